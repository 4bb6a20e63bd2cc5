using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// Finds every prunable layer of a module tree, with its name and the blocks that hold it (docs/architecture.md,
/// rule 1). Registered modules are named by their path through <c>named_children()</c> and visited depth-first,
/// children in registration order: the order of PyTorch's <c>named_modules()</c> and of <c>state_dict()</c>.
/// (TorchSharp 0.107's own <c>named_modules()</c> lists each level's children before their descendants; the names
/// are the same.) A module reached by two paths is visited once, at the first. Modules in plain arrays or lists
/// that a block declares come after that block's registered children, named by access path (<c>convs.0</c>).
/// </summary>
internal sealed class TreeWalk
{
    // The name a typed layer had when a tree first saw it, before any tree renamed it: its path in its own class.
    private static readonly ConditionalWeakTable<PrunedLayer, string> s_localNames = new();

    private readonly Dictionary<nn.Module, string> _registered = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, nn.Module> _byPath = new(StringComparer.Ordinal);
    private readonly HashSet<nn.Module> _visited = new(ReferenceEqualityComparer.Instance);
    private readonly List<LayerSite> _sites = [];
    private readonly List<TreeBlock> _blocks = [];
    private readonly Dictionary<string, List<TreeBlock>> _chainsByPath = new(StringComparer.Ordinal);
    private nn.Module? _lastRegisteredLayer;

    private TreeWalk()
    {
    }

    /// <summary>The prunable layers, in walk order.</summary>
    public IReadOnlyList<LayerSite> Sites => _sites;

    /// <summary>Every block met, outer ones first.</summary>
    public IReadOnlyList<TreeBlock> Blocks => _blocks;

    /// <summary>The output layer: the last registered prunable layer, or the last one where none is registered.</summary>
    public LayerSite? OutputLayer { get; private set; }

    /// <summary>Walks <paramref name="root"/>; <paramref name="outer"/> (the imperative entry's declarations) encloses the root.</summary>
    public static TreeWalk Run(nn.Module root, BlockDeclarations? outer)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (ModulePrunedLayer.TryGetKind(root, out var kind))
        {
            throw new ArgumentException($"The model is a single {kind} layer: prune it with new ModulePrunedLayer(name, layer, settings).", nameof(root));
        }

        var walk = new TreeWalk();
        walk._registered[root] = string.Empty;
        walk.Register(root, string.Empty);
        var chain = new List<TreeBlock>();
        if (outer is not null)
        {
            var block = new TreeBlock(outer, string.Empty);
            walk._blocks.Add(block);
            chain.Add(block);
        }

        walk.Visit(root, string.Empty, chain);
        if (outer is not null) walk.VisitUnregistered(outer, string.Empty, walk._chainsByPath[string.Empty]);
        foreach (var site in walk._sites)
        {
            if (ReferenceEquals(site.Module, walk._lastRegisteredLayer)) walk.OutputLayer = site;
        }

        walk.OutputLayer ??= walk._sites.Count > 0 ? walk._sites[^1] : null;
        return walk;
    }

    /// <summary>The module registered at <paramref name="path"/>, if any.</summary>
    public nn.Module? ModuleAt(string path) => _byPath.TryGetValue(path, out var module) ? module : null;

    /// <summary>The name a typed layer's own class gave it.</summary>
    public static string LocalName(PrunedLayer layer) => s_localNames.GetValue(layer, static first => first.Name);

    /// <summary><paramref name="name"/> under <paramref name="path"/>.</summary>
    public static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private void Register(nn.Module module, string path)
    {
        foreach (var (name, child) in module.named_children())
        {
            var childPath = Join(path, name);
            _byPath.TryAdd(childPath, child);
            if (!_registered.TryAdd(child, childPath)) continue;
            if (ModulePrunedLayer.TryGetKind(child, out _)) _lastRegisteredLayer = child;
            Register(child, childPath);
        }
    }

    private void Visit(nn.Module module, string path, List<TreeBlock> chain)
    {
        if (!_visited.Add(module)) return;
        if (ModulePrunedLayer.TryGetKind(module, out var kind))
        {
            _sites.Add(new LayerSite(module, path, kind, chain.ToArray()));
            return;
        }

        var declarations = DeclarationsOf(module);
        if (declarations is not null)
        {
            var block = new TreeBlock(declarations, path);
            _blocks.Add(block);
            chain = [.. chain, block];
        }

        _chainsByPath.TryAdd(path, chain);
        foreach (var (name, child) in module.named_children()) Visit(child, Join(path, name), chain);
        if (declarations is null) return;

        VisitUnregistered(declarations, path, chain);

        // A typed layer whose field is not registered (a class that does not call RegisterComponents for it).
        foreach (var layer in TypedLayers(declarations))
        {
            if (!_registered.ContainsKey(layer.Layer)) Visit(layer.Layer, Join(path, LocalName(layer)), chain);
        }
    }

    /// <summary>
    /// The block's plain collections, under the block (<c>convs.0</c>). The imperative entry may name a collection deeper
    /// in the tree (<c>blocks.2.convs</c>): its elements then get the declarations of the module at that path.
    /// </summary>
    private void VisitUnregistered(BlockDeclarations declarations, string path, List<TreeBlock> chain)
    {
        foreach (var (name, modules) in declarations.Unregistered)
        {
            var dot = name.LastIndexOf('.');
            var holderChain = dot > 0 && _chainsByPath.TryGetValue(Join(path, name[..dot]), out var deeper) ? deeper : chain;
            for (var index = 0; index < modules.Length; index++)
            {
                if (!_registered.ContainsKey(modules[index])) Visit(modules[index], Join(path, name + "." + index), holderChain);
            }
        }
    }

    private static BlockDeclarations? DeclarationsOf(nn.Module module)
    {
        BlockDeclarations block;
        if (module is IDeclaresPruning declaring)
        {
            block = new BlockDeclarations(module.GetType().Name);
            declaring.DeclarePruning(new PruningDeclarations(block));
        }
        else if (module is IPrunableModule prunable)
        {
            // A class generated before trees (or written by hand): its layers are its own declarations.
            block = new BlockDeclarations(module.GetType().Name);
            block.Members.AddRange(prunable.PrunedLayers);
            block.Scope = prunable.PruningScope;

            // Such a class ranks its layers towards its class-level sparsity: its GlobalSettings give it, or (written by
            // hand without them) each of its layers carries it.
            var sparsities = block.Members.Select(layer => layer.TargetSparsity).Distinct().ToList();
            block.GlobalSparsity = prunable.GlobalSettings?.Sparsity ?? (sparsities.Count == 1 ? sparsities[0] : double.NaN);
        }
        else
        {
            return null;
        }

        foreach (var layer in TypedLayers(block)) LocalName(layer);
        return block;
    }

    private static IEnumerable<PrunedLayer> TypedLayers(BlockDeclarations block)
    {
        foreach (var layer in block.Members) yield return layer;
        foreach (var layer in block.ClassDefaults.Values) yield return layer;
        foreach (var (_, rule) in block.Containers)
        {
            foreach (var layer in rule.Typed.Values) yield return layer;
        }
    }
}

/// <summary>A block of the tree: a module's declarations (or the imperative entry's) and its path.</summary>
internal sealed record TreeBlock(BlockDeclarations Declarations, string Path)
{
    /// <summary><paramref name="name"/> (a layer's full name under this block) relative to the block.</summary>
    public string Relative(string name) => Path.Length == 0 ? name : name.Substring(Path.Length + 1);
}

/// <summary>One prunable layer found by the walk: the module, its name, and the blocks on its path, outermost first.</summary>
internal sealed record LayerSite(nn.Module Module, string Name, LayerKind Kind, TreeBlock[] Chain);
