using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PruneSharp.Generator;

namespace PruneSharp.CodeFixes;

/// <summary>
/// PRUNE005: adds <c>partial</c> to the model class and to every class it is nested in that lacks it, so one fix
/// clears every PRUNE005 of the chain.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFix))]
[Shared]
public sealed class MakePartialCodeFix : CodeFixProvider
{
    /// <summary>The equivalence key of the fix, the same for every PRUNE005.</summary>
    public const string EquivalenceKey = "PruneSharp.MakePartial";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(FixableDiagnostics.ClassNotPartial);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;

        foreach (var diagnostic in context.Diagnostics)
        {
            var model = ModelDeclaration(root, diagnostic);
            if (model is null) continue;
            context.RegisterCodeFix(
                CodeAction.Create($"Make '{model.Identifier.ValueText}' and its containing types partial", token => MakePartialAsync(context.Document, root, model, token), EquivalenceKey),
                diagnostic);
        }
    }

    /// <summary>
    /// The model class: the analyzer passes its identifier as the diagnostic's additional location (the diagnostic
    /// itself may be on a class it is nested in).
    /// </summary>
    private static TypeDeclarationSyntax? ModelDeclaration(SyntaxNode root, Diagnostic diagnostic)
    {
        var location = diagnostic.AdditionalLocations.FirstOrDefault(candidate => candidate.SourceTree == root.SyntaxTree) ?? diagnostic.Location;
        if (location.SourceTree != root.SyntaxTree) return null;
        return root.FindToken(location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<TypeDeclarationSyntax>();
    }

    private static Task<Document> MakePartialAsync(Document document, SyntaxNode root, TypeDeclarationSyntax model, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var chain = model.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().Where(declaration => !declaration.Modifiers.Any(SyntaxKind.PartialKeyword));
        var updated = root.ReplaceNodes(chain, (_, rewritten) => AddPartial(rewritten));
        return Task.FromResult(document.WithSyntaxRoot(updated));
    }

    /// <summary>Adds <c>partial</c> as the last modifier, right before the type keyword, where C# requires it.</summary>
    private static TypeDeclarationSyntax AddPartial(TypeDeclarationSyntax declaration)
    {
        var partial = SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space);
        if (declaration.Modifiers.Count > 0) return declaration.WithModifiers(declaration.Modifiers.Add(partial));

        // No modifiers: the keyword's indentation moves to the new first token.
        var keyword = declaration.Keyword;
        return declaration
            .WithKeyword(keyword.WithLeadingTrivia(SyntaxFactory.TriviaList()))
            .WithModifiers(SyntaxFactory.TokenList(partial.WithLeadingTrivia(keyword.LeadingTrivia)));
    }
}
