using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using PruneSharp.Generator;

namespace PruneSharp.CodeFixes;

/// <summary>
/// PRUNE001: offers one fix per granularity that the layer kind has ("Use Granularity.Row", ...), from the list the
/// analyzer puts in the diagnostic. Custom and N:M are not offered: they need more arguments than a granularity.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseGranularityCodeFix))]
[Shared]
public sealed class UseGranularityCodeFix : CodeFixProvider
{
    /// <summary>The equivalence key prefix; the granularity's name follows: <c>PruneSharp.UseGranularity.Row</c>.</summary>
    public const string EquivalenceKeyPrefix = "PruneSharp.UseGranularity.";

    private const string GranularityType = "PruneSharp.Granularity";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(FixableDiagnostics.GranularityNotValidForLayer);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;

        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(FixableDiagnostics.ValidGranularitiesProperty, out var list) || string.IsNullOrEmpty(list)) continue;
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax argument) continue;

            foreach (var granularity in list!.Split(','))
            {
                context.RegisterCodeFix(
                    CodeAction.Create($"Use Granularity.{granularity}", token => ReplaceAsync(context.Document, argument, granularity, token), EquivalenceKeyPrefix + granularity),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> ReplaceAsync(Document document, ExpressionSyntax argument, string granularity, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var semanticModel = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || semanticModel is null) return document;

        // Granularity.Filter → Granularity.Row keeps the user's qualification; anything else (a cast, a constant)
        // becomes the fully qualified member, which the code action's simplification shortens where a using allows.
        SyntaxNode replacement;
        if (argument is MemberAccessExpressionSyntax { Name: IdentifierNameSyntax name } access &&
            semanticModel.GetSymbolInfo(access, cancellationToken).Symbol is IFieldSymbol { ContainingType: { } type } &&
            type.ToDisplayString() == GranularityType)
        {
            replacement = access.WithName(SyntaxFactory.IdentifierName(granularity).WithTriviaFrom(name));
        }
        else
        {
            replacement = SyntaxFactory.ParseExpression($"global::{GranularityType}.{granularity}")
                .WithTriviaFrom(argument)
                .WithAdditionalAnnotations(Simplifier.Annotation);
        }

        return document.WithSyntaxRoot(root.ReplaceNode(argument, replacement));
    }
}
