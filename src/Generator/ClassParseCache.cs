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
/// inside method, accessor and operator bodies that write none of the class's field or property names, and that are
/// not one the parse reads (the methods named in <c>readBodies</c>: compaction planning reads <c>forward</c>; and the
/// methods construction calls, which the constructor reader runs).
/// Such a body declares nothing visible outside it, so nothing the parse binds can change with it.
/// </para>
/// <para>
/// One entry holds the parse of both outputs (<see cref="ModelClass"/>), so an edit inside <c>forward</c> parses the
/// class again, pruning model included. Reusing the model there and planning again was measured: the plan binds the
/// same factory calls as the model, and it saved too little to keep (docs/benchmarks.md, "Generator").
/// </para>
/// </remarks>
/// <typeparam name="T">The parse result: an immutable, equatable model.</typeparam>
/// <param name="readBodies">Names of the model class's methods whose bodies the parse reads.</param>
internal sealed class ClassParseCache<T>(params string[] readBodies)
    where T : class
{
    /// <summary>
    /// Entries kept at most: each holds its compilation's tree list, so the entries of classes that were renamed or
    /// deleted must not pile up over a long IDE session. No real project has this many model classes.
    /// </summary>
    private const int MaxEntries = 1024;

    private readonly object _gate = new();
    private readonly Dictionary<(string? Assembly, string Type), Entry> _entries = new();

    /// <summary>How many times <see cref="GetOrParse"/> had to parse (the tests' view of what was reused).</summary>
    public int Parses { get; private set; }

    /// <summary>The last parse of <paramref name="type"/> when it still holds in <paramref name="compilation"/>; otherwise a new one.</summary>
    public T? GetOrParse(INamedTypeSymbol type, Compilation compilation, Func<T?> parse, CancellationToken cancellationToken)
    {
        var key = (compilation.AssemblyName, type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
        var declaringTrees = type.DeclaringSyntaxReferences.Select(reference => reference.SyntaxTree).Distinct().ToList();
        var trees = compilation.SyntaxTrees.ToImmutableArray();
        var references = compilation.References.ToImmutableArray();

        Entry? entry;
        lock (_gate) _entries.TryGetValue(key, out entry);

        // The fingerprints are computed only when the rest matches: after an edit in another file there is nothing to compare.
        string[]? fingerprints = null;
        if (entry is not null && entry.Matches(compilation, trees, references, declaringTrees))
        {
            fingerprints = Fingerprints(type, trees, declaringTrees, cancellationToken);
            if (fingerprints.SequenceEqual(entry.Fingerprints, StringComparer.Ordinal)) return entry.Result;
        }

        var result = parse();
        fingerprints ??= Fingerprints(type, trees, declaringTrees, cancellationToken);
        lock (_gate)
        {
            Parses++;
            if (_entries.Count >= MaxEntries && !_entries.ContainsKey(key)) _entries.Clear();
            _entries[key] = new Entry(compilation.Options, trees, references, fingerprints, result);
        }

        return result;
    }

    /// <summary>One per tree of the compilation: the text of each tree declaring the class, without the bodies the parse cannot read; empty for the others.</summary>
    private string[] Fingerprints(INamedTypeSymbol type, ImmutableArray<SyntaxTree> trees, List<SyntaxTree> declaringTrees, CancellationToken cancellationToken)
    {
        var memberNames = new HashSet<string>(type.GetMembers().Where(member => member is IFieldSymbol or IPropertySymbol).Select(member => member.Name), StringComparer.Ordinal);
        var fingerprints = new string[trees.Length];
        for (var index = 0; index < trees.Length; index++)
        {
            fingerprints[index] = declaringTrees.Contains(trees[index]) ? Fingerprint(trees[index], memberNames, cancellationToken) : string.Empty;
        }

        return fingerprints;
    }

    private string Fingerprint(SyntaxTree tree, HashSet<string> memberNames, CancellationToken cancellationToken)
    {
        var root = tree.GetRoot(cancellationToken);
        var source = tree.GetText(cancellationToken);
        var text = new StringBuilder(source.Length);
        var start = 0;
        var calledDuringConstruction = CalledDuringConstruction(root, cancellationToken);
        foreach (var body in root.DescendantNodes(descendIntoChildren: node => !IsBody(node)).Where(IsBody))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!CanSkip(body, memberNames, calledDuringConstruction)) continue;
            text.Append(source.ToString(TextSpan.FromBounds(start, body.FullSpan.Start))).Append("{…}");
            start = body.FullSpan.End;
        }

        text.Append(source.ToString(TextSpan.FromBounds(start, root.FullSpan.End)));
        return text.ToString();
    }

    /// <summary>A method's, accessor's or operator's body or expression body; constructors' are always read.</summary>
    private static bool IsBody(SyntaxNode node) =>
        node is BlockSyntax or ArrowExpressionClauseSyntax &&
        node.Parent is MethodDeclarationSyntax or OperatorDeclarationSyntax or ConversionOperatorDeclarationSyntax or DestructorDeclarationSyntax or AccessorDeclarationSyntax or PropertyDeclarationSyntax or IndexerDeclarationSyntax;

    private bool CanSkip(SyntaxNode body, HashSet<string> memberNames, HashSet<string> calledDuringConstruction)
    {
        if (body.Parent is MethodDeclarationSyntax method && (readBodies.Contains(method.Identifier.ValueText) || calledDuringConstruction.Contains(method.Identifier.ValueText))) return false;
        return !MemberWrites.Sites(body).Any(site => memberNames.Contains(site.Name));
    }

    /// <summary>
    /// The names of the methods of the tree that construction may call: those invoked from a constructor or an
    /// initializer, and, transitively, from the bodies of those methods. The constructor reader runs them in place of
    /// the call (<c>ConstructionReader</c>), so their bodies are read. By name: an overload or a method of another class
    /// of the same name is read too, which costs a parse, never a stale one.
    /// </summary>
    private static HashSet<string> CalledDuringConstruction(SyntaxNode root, CancellationToken cancellationToken)
    {
        var called = new HashSet<string>(StringComparer.Ordinal);
        var methods = root.DescendantNodes().OfType<MethodDeclarationSyntax>().ToLookup(method => method.Identifier.ValueText, StringComparer.Ordinal);
        var pending = new Queue<SyntaxNode>(root.DescendantNodes().Where(node =>
            node is ConstructorDeclarationSyntax or EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax } or PropertyDeclarationSyntax }));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var invocation in pending.Dequeue().DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                var name = invocation.Expression switch
                {
                    IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                    GenericNameSyntax generic => generic.Identifier.ValueText,
                    MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
                    _ => null,
                };
                if (name is null || !called.Add(name)) continue;
                foreach (var method in methods[name]) pending.Enqueue(method);
            }
        }

        return called;
    }

    private sealed class Entry(CompilationOptions options, ImmutableArray<SyntaxTree> trees, ImmutableArray<MetadataReference> references, string[] fingerprints, T? result)
    {
        public string[] Fingerprints { get; } = fingerprints;

        public T? Result { get; } = result;

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
