using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using PruneSharp.Compaction;
using PruneSharp.Generator.Compaction;

namespace PruneSharp.Generator;

/// <summary>One prunable layer of a model class's module tree as its code shows it.</summary>
/// <param name="Path">Its dotted name relative to the class, by registered names (<c>features.conv1</c>, <c>layer1.0.conv2</c>, <c>convs.0</c>).</param>
/// <param name="Kind">Its layer kind.</param>
/// <param name="Shape">Its weight shape, where the code shows it.</param>
/// <param name="Member">The class's member that holds it: the layer itself, or its container.</param>
/// <param name="PathInMember">Its path under <paramref name="Member"/> (<c>conv1</c>, <c>0.conv2</c>); empty for a layer member.</param>
/// <param name="DeclaredByNestedClass">Whether it lies in a block class that declares its own pruning (<c>[Prune]</c>, <c>IPrunableModule</c>): that class's declarations win for it.</param>
/// <param name="Index">Its position in the tree's depth-first order.</param>
/// <param name="Registered">Whether TorchSharp registers it (not in a plain array or list): the output layer is the last registered one.</param>
internal sealed record StaticLayer(string Path, LayerKind Kind, LayerShape? Shape, MemberDeclaration Member, string PathInMember, bool DeclaredByNestedClass, int Index, bool Registered);

/// <summary>
/// The prunable layers of a model class's module tree, as its code shows them (<see cref="StaticModules"/>, read by
/// the constructor reader), in the depth-first order of <c>state_dict()</c>: the layer fields, the layers inside
/// Sequentials, ModuleLists, ModuleDicts and blocks built in code the generator can read, then those of plain arrays
/// and lists of modules. Where the code does not show what a member holds, the tree is incomplete there: run time
/// finds those layers (and checks them with the same words).
/// </summary>
internal sealed class StaticTree
{
    /// <summary>TorchSharp modules that hold layers of their own (<c>MultiheadAttention</c>'s projections): what is inside is not read.</summary>
    private static readonly string[] CompositeFactories = ["Transformer", "MultiheadAttention"];

    private readonly List<StaticLayer> _layers = [];
    private readonly HashSet<MemberDeclaration> _incompleteMembers = [];
    private readonly StaticModules _host;
    private readonly INamedTypeSymbol? _prunableModule;
    private readonly INamedTypeSymbol _pruneAttribute;
    private readonly CancellationToken _cancellationToken;
    private bool _incompleteElsewhere;

    private StaticTree(StaticModules host, INamedTypeSymbol pruneAttribute, INamedTypeSymbol? prunableModule, CancellationToken cancellationToken)
    {
        _host = host;
        _pruneAttribute = pruneAttribute;
        _prunableModule = prunableModule;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The layers, depth first.</summary>
    public IReadOnlyList<StaticLayer> Layers => _layers;

    /// <summary>Whether the code shows every layer of the tree.</summary>
    public bool IsComplete => _incompleteMembers.Count == 0 && !_incompleteElsewhere;

    /// <summary>Whether the code shows every layer <paramref name="member"/> holds.</summary>
    public bool IsMemberComplete(MemberDeclaration member) => !_incompleteMembers.Contains(member);

    /// <summary>The layers <paramref name="member"/> holds (itself, for a layer member).</summary>
    public IEnumerable<StaticLayer> LayersOf(MemberDeclaration member) => _layers.Where(layer => layer.Member == member);

    /// <summary>
    /// Whether <paramref name="layer"/> may be the model's output layer, which declarations through a class or a
    /// container leave alone (docs/architecture.md, rule 3): no layer the code shows comes after it. (Where this class
    /// is a block of another model, it is not; the checks that depend on it are left to run time.)
    /// </summary>
    public bool MayBeOutputLayer(StaticLayer layer)
    {
        _outputIndex ??= _layers.LastOrDefault(other => other.Registered)?.Index ?? _layers.Count - 1;
        return layer.Index == _outputIndex;
    }

    private int? _outputIndex;

    public static StaticTree Read(ModelDeclaration model, INamedTypeSymbol pruneAttribute)
    {
        var token = model.CancellationToken;
        var host = new StaticModules(new Dictionary<string, FlowClass>(), model.Binding.Reader, token);
        var tree = new StaticTree(host, pruneAttribute, model.Compilation.GetTypeByMetadataName(KnownTypeNames.PrunableModule), token);
        var root = StaticModules.Root(model.Type);

        // Registered members first (RegisterComponents: the class's fields, then its base classes'), then the plain
        // collections, as the run-time walk visits them.
        foreach (var member in model.Members.Where(member => member.IsRegisteredModule))
        {
            token.ThrowIfCancellationRequested();
            if (member.LayerKind is { } kind)
            {
                tree.Add(new StaticLayer(member.RegisteredName, kind, member.Shape, member, string.Empty, false, tree._layers.Count, Registered: true));
                continue;
            }

            var found = host.Member(root, member.Name, out var node);
            if (found == FlowMember.Unknown || (found == FlowMember.Module && node is null))
            {
                // Built where the reader does not follow; a TorchSharp module that holds no layers is known by its type.
                if (!IsLeafModuleType(member.Type)) tree._incompleteMembers.Add(member);
            }
            else if (node is not null)
            {
                tree.Walk(node, member, member.RegisteredName, declaredByNestedClass: false, registered: true);
            }
        }

        if (!IsModuleBase(model.Type.BaseType)) tree._incompleteElsewhere = true;

        foreach (var member in model.Members.Where(member => member.Role == MemberRole.Collection && member.Form is MemberForm.Field or MemberForm.AutoProperty))
        {
            var elements = host.CollectionElements(root, member.Symbol);
            if (elements is null)
            {
                tree._incompleteMembers.Add(member);
                continue;
            }

            foreach (var element in elements) tree.Walk(element, member, member.Name, declaredByNestedClass: false, registered: false);
        }

        return tree;
    }

    private void Add(StaticLayer layer) => _layers.Add(layer);

    private void Walk(StaticModule node, MemberDeclaration member, string memberPath, bool declaredByNestedClass, bool registered)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        var pathInMember = node.Path.Length > memberPath.Length ? node.Path.Substring(memberPath.Length + 1) : string.Empty;
        if (node.Layer is { } kind)
        {
            Add(new StaticLayer(node.Path, kind, node.Shape, member, pathInMember, declaredByNestedClass, _layers.Count, registered));
            return;
        }

        if (node.Children is { } children)
        {
            foreach (var child in children) Walk(child, member, memberPath, declaredByNestedClass, registered);
            return;
        }

        if (node.Class is { } block)
        {
            var declares = declaredByNestedClass || ModelParser.UsesPrune(block, _pruneAttribute) ||
                (_prunableModule is not null && block.AllInterfaces.Contains(_prunableModule, SymbolEqualityComparer.Default));
            foreach (var inner in _host.ModuleMembers(block))
            {
                var found = _host.Member(node, inner.Name, out var child);
                if (found == FlowMember.Unknown) _incompleteMembers.Add(member);
                else if (child is not null) Walk(child, member, memberPath, declares, registered);
            }

            foreach (var collection in ModelParser.MembersInDeclarationOrder(block, _cancellationToken).Where(candidate => !candidate.IsStatic && IsModuleCollection(TypeOf(candidate))))
            {
                var elements = _host.CollectionElements(node, collection);
                if (elements is null) _incompleteMembers.Add(member);
                else foreach (var element in elements) Walk(element, member, memberPath, declares, registered: false);
            }

            if (!IsModuleBase(block.BaseType)) _incompleteMembers.Add(member);
            return;
        }

        // A TorchSharp module without children is a leaf (ReLU, BatchNorm2d, Embedding, ...), except the composite ones;
        // a container or a module whose construction was not seen is not known.
        if (node.Kind is FlowModuleKind.Unknown or FlowModuleKind.Sequential || CompositeFactories.Any(prefix => node.TypeName.StartsWith(prefix, StringComparison.Ordinal)) || node.TypeName == "ModuleDict")
        {
            _incompleteMembers.Add(member);
        }
    }

    /// <summary>A TorchSharp module type that holds no layers PruneSharp prunes: not a container, not a composite, not a layer.</summary>
    private static bool IsLeafModuleType(ITypeSymbol type) =>
        type.ContainingNamespace?.ToDisplayString() == "TorchSharp.Modules" && type is INamedTypeSymbol { IsGenericType: false } &&
        type.Name is not ("Sequential" or "ModuleList" or "ModuleDict") && !CompositeFactories.Any(prefix => type.Name.StartsWith(prefix, StringComparison.Ordinal));

    private static ITypeSymbol? TypeOf(ISymbol member) => member switch
    {
        IFieldSymbol field => field.Type,
        IPropertySymbol property => property.Type,
        _ => null,
    };

    /// <summary>Whether <paramref name="type"/> is TorchSharp's module base (<c>Module</c>, <c>Module&lt;T, TResult&gt;</c>, ...): a class deriving directly from it has no base-class layers.</summary>
    private static bool IsModuleBase(INamedTypeSymbol? type) =>
        type is null || type.ContainingNamespace?.ToDisplayString() == "TorchSharp" && type.ContainingType?.Name == "nn" && type.Name == "Module";

    /// <summary>An array or a generic collection of modules that is not itself a module (TorchSharp does not register it).</summary>
    internal static bool IsModuleCollection(ITypeSymbol? type) => CollectionElementType(type) is not null;

    /// <summary>The module type a plain array or collection holds, or null.</summary>
    internal static ITypeSymbol? CollectionElementType(ITypeSymbol? type)
    {
        if (type is null || ForwardCompiler.IsModuleType(type)) return null;
        if (type is IArrayTypeSymbol { Rank: 1, ElementType: var element }) return ForwardCompiler.IsModuleType(element) ? element : null;
        if (type is not INamedTypeSymbol named) return null;
        foreach (var candidate in new[] { named }.Concat(named.AllInterfaces))
        {
            if (candidate is { Name: "IEnumerable", Arity: 1 } && candidate.ContainingNamespace?.ToDisplayString() == "System.Collections.Generic" && ForwardCompiler.IsModuleType(candidate.TypeArguments[0]))
            {
                return candidate.TypeArguments[0];
            }
        }

        return null;
    }
}
