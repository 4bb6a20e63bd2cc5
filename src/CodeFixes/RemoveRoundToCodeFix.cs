using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PruneSharp.Generator;

namespace PruneSharp.CodeFixes;

/// <summary>
/// PRUNE026: removes the <c>RoundTo = n</c> argument that global scope ignores, so that the attribute says what the
/// model does.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveRoundToCodeFix))]
[Shared]
public sealed class RemoveRoundToCodeFix : CodeFixProvider
{
    /// <summary>The fix's equivalence key.</summary>
    public const string EquivalenceKey = "PruneSharp.RemoveRoundTo";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(FixableDiagnostics.RoundToUnderGlobalScope);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;

        foreach (var diagnostic in context.Diagnostics)
        {
            // The diagnostic is on the value; the argument (RoundTo = value) is what goes.
            var argument = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<AttributeArgumentSyntax>().FirstOrDefault();
            if (argument?.Parent is not AttributeArgumentListSyntax) continue;
            context.RegisterCodeFix(CodeAction.Create("Remove RoundTo", token => RemoveAsync(context.Document, argument, token), EquivalenceKey), diagnostic);
        }
    }

    private static async Task<Document> RemoveAsync(Document document, AttributeArgumentSyntax argument, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var newRoot = root?.RemoveNode(argument, SyntaxRemoveOptions.KeepNoTrivia);
        return newRoot is null ? document : document.WithSyntaxRoot(newRoot);
    }
}
