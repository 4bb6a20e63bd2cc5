using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace PruneSharp.Generator;

/// <summary>
/// Each model class's last parse, reused while the compilation differs from the one it was parsed in only inside method
/// bodies the parse does not read: typing in a training loop or any other such body costs a syntax walk, not a parse.
/// The pruning model and the <c>Compact()</c> plan are reused apart: an edit inside <c>forward</c> (the one body the
/// plan reads) plans again with the model it already has.
/// </summary>
/// <remarks>
/// <para>
/// Why: Roslyn reruns a <c>ForAttributeWithMetadataName</c> transform on every edit, and the parse binds every layer's
/// factory call and the constructors (shape inference); for a class of 200 layers that is tens of milliseconds per
/// keystroke. The pipeline's equality check then finds the model unchanged, but only after paying for it.
/// </para>
/// <para>
/// Why it is sound: a parse reads the class's declarations, attributes, initializers and constructors, the writes to its
/// members anywhere in its bodies, the types and constants it names (in any file) and the references. An entry is
/// reused only when the compilation has the same references, options and syntax trees (the same tree objects: the
/// compiler and the IDE replace only the trees that were edited), except that the trees declaring the class may differ
/// inside method, accessor and operator bodies that write none of the class's field or property names. Of those bodies
/// the model reads none and the plan reads the ones named in <c>planBodies</c> (<c>forward</c>): the plan is reused only
/// when their text is unchanged too. Such a body declares nothing visible outside it, so nothing else the parse binds
/// can change with it.
/// </para>
/// </remarks>
/// <param name="planBodies">Names of the model class's methods whose bodies the <c>Compact()</c> plan reads.</param>
internal sealed class ClassParseCache(params string[] planBodies)
{
    /// <summary>
    /// Entries kept at most: each holds its compilation's tree list, so the entries of classes that were renamed or
    /// deleted must not pile up over a long IDE session. No real project has this many model classes.
    /// </summary>
    private const int MaxEntries = 1024;

    private readonly HashSet<string> _planBodies = new(planBodies, StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly Dictionary<(string? Assembly, string Type), Entry> _entries = new();

    /// <summary>How many times <see cref="GetOrParse"/> parsed the model (the tests' view of what was reused).</summary>
    public int ModelParses { get; private set; }

    /// <summary>How many times <see cref="GetOrParse"/> made the plan: with every model parse, and after edits inside the plan's bodies.</summary>
    public int PlanParses { get; private set; }

    /// <summary>
    /// The last parse of <paramref name="type"/> where it still holds in <paramref name="compilation"/>; otherwise
    /// <paramref name="parse"/>'s, which is given the model to reuse where only the plan's bodies changed (null otherwise).
    /// </summary>
    public ModelClass? GetOrParse(INamedTypeSymbol type, Compilation compilation, Func<ModelSpec?, ModelClass?> parse, CancellationToken cancellationToken)
    {
        var key = (compilation.AssemblyName, type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
        var declaringTrees = type.DeclaringSyntaxReferences.Select(reference => reference.SyntaxTree).Distinct().ToList();
        var trees = compilation.SyntaxTrees.ToImmutableArray();
        var references = compilation.References.ToImmutableArray();

        Entry? entry;
        lock (_gate) _entries.TryGetValue(key, out entry);

        // The fingerprints are computed only when the rest matches: after an edit in another file there is nothing to compare.
        TreeFingerprint[]? fingerprints = null;
        ModelSpec? reusedModel = null;
        if (entry is not null && entry.Matches(compilation, trees, references, declaringTrees))
        {
            fingerprints = Fingerprints(type, trees, declaringTrees, cancellationToken);
            if (fingerprints.Select(print => print.Declarations).SequenceEqual(entry.Fingerprints.Select(print => print.Declarations), StringComparer.Ordinal))
            {
                // Not a model (no pruning parse): no plan either, whatever forward says.
                if (entry.Result is null) return null;
                if (fingerprints.Select(print => print.PlanBodies).SequenceEqual(entry.Fingerprints.Select(print => print.PlanBodies), StringComparer.Ordinal)) return entry.Result;
                reusedModel = entry.Result.Pruning;
            }
        }

        var result = parse(reusedModel);
        fingerprints ??= Fingerprints(type, trees, declaringTrees, cancellationToken);
        lock (_gate)
        {
            if (reusedModel is null) ModelParses++;
            PlanParses++;
            if (_entries.Count >= MaxEntries && !_entries.ContainsKey(key)) _entries.Clear();
            _entries[key] = new Entry(compilation.Options, trees, references, fingerprints, result);
        }

        return result;
    }

    /// <summary>One per tree of the compilation: the texts of each tree declaring the class; empty for the others.</summary>
    private TreeFingerprint[] Fingerprints(INamedTypeSymbol type, ImmutableArray<SyntaxTree> trees, List<SyntaxTree> declaringTrees, CancellationToken cancellationToken)
    {
        var memberNames = new HashSet<string>(type.GetMembers().Where(member => member is IFieldSymbol or IPropertySymbol).Select(member => member.Name), StringComparer.Ordinal);
        var fingerprints = new TreeFingerprint[trees.Length];
        for (var index = 0; index < trees.Length; index++)
        {
            fingerprints[index] = declaringTrees.Contains(trees[index]) ? Fingerprint(trees[index], memberNames, cancellationToken) : default;
        }

        return fingerprints;
    }

    /// <summary>The tree's text without the bodies the parse can skip, and the text of those of them the plan reads.</summary>
    private TreeFingerprint Fingerprint(SyntaxTree tree, HashSet<string> memberNames, CancellationToken cancellationToken)
    {
        var root = tree.GetRoot(cancellationToken);
        var source = tree.GetText(cancellationToken);
        var declarations = new StringBuilder(source.Length);
        var planBodyTexts = new StringBuilder();
        var start = 0;
        foreach (var body in root.DescendantNodes(descendIntoChildren: node => !IsBody(node)).Where(IsBody))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (MemberWrites.Sites(body).Any(site => memberNames.Contains(site.Name))) continue;
            declarations.Append(source.ToString(TextSpan.FromBounds(start, body.FullSpan.Start))).Append("{…}");
            start = body.FullSpan.End;
            if (body.Parent is MethodDeclarationSyntax method && _planBodies.Contains(method.Identifier.ValueText))
            {
                planBodyTexts.Append(source.ToString(body.FullSpan)).Append('\n');
            }
        }

        declarations.Append(source.ToString(TextSpan.FromBounds(start, root.FullSpan.End)));
        return new TreeFingerprint(declarations.ToString(), planBodyTexts.ToString());
    }

    /// <summary>A method's, accessor's or operator's body or expression body; constructors' are always read.</summary>
    private static bool IsBody(SyntaxNode node) =>
        node is BlockSyntax or ArrowExpressionClauseSyntax &&
        node.Parent is MethodDeclarationSyntax or OperatorDeclarationSyntax or ConversionOperatorDeclarationSyntax or DestructorDeclarationSyntax or AccessorDeclarationSyntax or PropertyDeclarationSyntax or IndexerDeclarationSyntax;

    /// <summary>A declaring tree's text without the skippable bodies, and the text of the skipped bodies the plan reads.</summary>
    private readonly record struct TreeFingerprint(string? Declarations, string? PlanBodies);

    private sealed class Entry(CompilationOptions options, ImmutableArray<SyntaxTree> trees, ImmutableArray<MetadataReference> references, TreeFingerprint[] fingerprints, ModelClass? result)
    {
        public TreeFingerprint[] Fingerprints { get; } = fingerprints;

        public ModelClass? Result { get; } = result;

        /// <summary>Same options, references and trees, except the trees that declare the class (compared by fingerprint).</summary>
        public bool Matches(Compilation compilation, ImmutableArray<SyntaxTree> currentTrees, ImmutableArray<MetadataReference> currentReferences, List<SyntaxTree> declaringTrees)
        {
            if (!options.Equals(compilation.Options) || trees.Length != currentTrees.Length || references.Length != currentReferences.Length) return false;
            for (var index = 0; index < references.Length; index++)
            {
                if (!ReferenceEquals(references[index], currentReferences[index])) return false;
            }

            for (var index = 0; index < trees.Length; index++)
            {
                var current = currentTrees[index];
                if (!ReferenceEquals(trees[index], current) && !(declaringTrees.Contains(current) && trees[index].FilePath == current.FilePath)) return false;
            }

            return true;
        }
    }
}
