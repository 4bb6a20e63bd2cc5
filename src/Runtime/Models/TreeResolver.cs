using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// Decides, for every layer the walk found, which declaration prunes it (docs/architecture.md, rules 2 and 3), runs
/// the tree's checks, and only then names the typed layers of block classes by their path in this model.
/// </summary>
/// <remarks>
/// Precedence, most specific first: a declaration on the layer itself (a member's <c>[Prune]</c>, a layer of a plain
/// <see cref="IPrunableModule"/>, the imperative entry's <c>Layer(name, …)</c>); then, block by block from the
/// innermost block holding the layer outwards, the block's container rules that hold the layer (deepest container
/// first), then the block's class-level rules (the imperative entry's later rules first). A declaration that does not
/// reach the layer (its granularity does not fit the kind, its selection leaves the layer out, or the layer is the
/// output layer and it does not opt in) passes it on to the next.
/// </remarks>
internal static class TreeResolver
{
    private const int NamesInMessages = 12;

    public static ResolvedTree Resolve(nn.Module root, BlockDeclarations? outer)
    {
        var walk = TreeWalk.Run(root, outer);
        var rootBlock = walk.Blocks.FirstOrDefault(block => block.Path.Length == 0 && !ReferenceEquals(block.Declarations, outer));
        var scope = outer?.Scope ?? rootBlock?.Declarations.Scope ?? PruningScope.Local;
        var globalSparsity = outer?.Scope is not null ? outer.GlobalSparsity : rootBlock?.Declarations.GlobalSparsity ?? 0.0;
        var owner = root.GetType().Name;
        if (scope == PruningScope.Global && double.IsNaN(globalSparsity))
        {
            throw new InvalidOperationException($"{owner} uses global scope, but its layers declare different sparsities, so the model-wide one is not known: give it with Pruning.Of(model).Global(sparsity), or prune locally with Local().");
        }

        var containers = new Dictionary<TreeBlock, List<(string Path, TreeRule Rule)>>();
        foreach (var block in walk.Blocks)
        {
            containers[block] = ResolveContainers(walk, block);
            foreach (var (path, rule) in containers[block]) CheckContainerFits(walk, block, path, rule);
        }

        var used = new Usage();
        var chosen = new List<(LayerSite Site, PrunedLayer Layer)>();
        foreach (var site in walk.Sites)
        {
            var layer = Choose(site, outer, ReferenceEquals(site, walk.OutputLayer), containers, used);
            if (layer is not null) chosen.Add((site, layer));
        }

        if (outer is not null) CheckOuterDeclarations(walk, outer, used, chosen.Count);

        var named = chosen.Select(entry => (entry.Site.Name, entry.Layer)).ToList();
        foreach (var (name, layer) in named) TreeChecks.CheckLayer(name, layer, scope);
        var globalSettings = scope == PruningScope.Global ? GlobalSettings(root, outer, globalSparsity) : null;
        if (scope == PruningScope.Global)
        {
            TreeChecks.CheckGlobal(named, globalSparsity, owner);
            TreeChecks.CheckNormalization(named, globalSettings!.Normalization, owner);
        }

        // Every check passed: now (and only now) the typed layers of block classes take their names in this model.
        // A tree built on an inner block later does not shorten the name an outer model gave (rule 1 names by the root).
        foreach (var (site, layer) in chosen)
        {
            if (!used.Created.Contains(layer) && Segments(site.Name) >= Segments(layer.Name)) layer.Rename(site.Name);
        }

        var output = walk.OutputLayer;
        return new ResolvedTree(chosen.Select(entry => entry.Layer).ToArray(), scope, globalSparsity, globalSettings, output?.Name);
    }

    /// <summary>
    /// The model-wide declaration under global scope: the schedule the imperative entry's <c>Global(sparsity, schedule, …)</c>
    /// gave, else the root class's generated class-level declaration where it gives the same sparsity, else one-shot (the
    /// granularity is not used); with the normalization the imperative entry gave, where it gave one.
    /// </summary>
    private static PruneSettings GlobalSettings(nn.Module root, BlockDeclarations? outer, double sparsity)
    {
        var imperative = outer?.Scope is not null ? outer : null;
        var settings = imperative?.GlobalSettings is { } given ? given
            : (root as IPrunableModule)?.GlobalSettings is { } declared && declared.Sparsity == sparsity ? declared
            : new PruneSettings(Granularity.Weight, sparsity);
        return imperative?.GlobalNormalization is { } normalization ? settings with { Normalization = normalization } : settings;
    }

    private static PrunedLayer? Choose(
        LayerSite site,
        BlockDeclarations? outer,
        bool isOutputLayer,
        Dictionary<TreeBlock, List<(string Path, TreeRule Rule)>> containers,
        Usage used)
    {
        // 1. The layer's own declaration.
        PrunedLayer? member = null;
        for (var index = site.Chain.Length - 1; index >= 0 && member is null; index--)
        {
            member = site.Chain[index].Declarations.Members.FirstOrDefault(candidate => ReferenceEquals(candidate.Layer, site.Module));
        }

        var namedIndex = outer?.NamedLayers.FindLastIndex(entry => entry.Name == site.Name) ?? -1;
        if (namedIndex >= 0)
        {
            used.Names.Add(site.Name);
            if (member is not null)
            {
                throw new InvalidOperationException($"Layer '{site.Name}' is declared by its own [Prune] in a model class, so Layer(\"{site.Name}\", …) cannot declare it again: remove one of the two.");
            }

            var settings = outer!.NamedLayers[namedIndex].Settings;
            TreeChecks.CheckExplicitFit(site.Name, site.Kind, settings);
            return used.Create(site, settings);
        }

        if (member is not null) return member;

        // 2. Block by block, innermost first: containers holding the layer (deepest first), then class-level rules.
        for (var index = site.Chain.Length - 1; index >= 0; index--)
        {
            var block = site.Chain[index];
            var relative = block.Relative(site.Name);
            foreach (var (path, rule) in containers[block])
            {
                if (relative.StartsWith(path + ".", StringComparison.Ordinal) && rule.Reaches(relative, site.Kind, isOutputLayer))
                {
                    return rule.Typed.TryGetValue(site.Module, out var typed) ? typed : used.Create(site, rule.Settings);
                }
            }

            var classRules = block.Declarations.ClassRules;
            for (var rule = classRules.Count - 1; rule >= 0; rule--)
            {
                if (!classRules[rule].Reaches(relative, site.Kind, isOutputLayer)) continue;
                used.Rules.Add(classRules[rule]);
                return block.Declarations.ClassDefaults.TryGetValue(site.Module, out var typed) ? typed : used.Create(site, classRules[rule].Settings);
            }
        }

        return null;
    }

    /// <summary>A block's container rules with their paths relative to the block, deepest container first, later rules first.</summary>
    private static List<(string Path, TreeRule Rule)> ResolveContainers(TreeWalk walk, TreeBlock block)
    {
        var resolved = new List<(string, TreeRule)>();
        var declarations = block.Declarations;
        for (var index = declarations.Containers.Count - 1; index >= 0; index--)
        {
            var (name, rule) = declarations.Containers[index];
            resolved.Add((ContainerPath(walk, block, name), rule));
        }

        return resolved.OrderByDescending(entry => Segments(entry.Item1)).ToList();
    }

    private static string ContainerPath(TreeWalk walk, TreeBlock block, string name)
    {
        if (walk.ModuleAt(TreeWalk.Join(block.Path, name)) is not null) return name;
        if (block.Declarations.Unregistered.Any(entry => entry.Name == name)) return name;

        // An auto-property's module is registered under its backing field's name.
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var backing = "<" + (dot < 0 ? name : name[..dot]) + ">k__BackingField" + (dot < 0 ? string.Empty : name[dot..]);
        if (walk.ModuleAt(TreeWalk.Join(block.Path, backing)) is not null) return backing;

        var where = block.Path.Length == 0 ? "the model" : $"'{block.Path}'";
        throw new InvalidOperationException($"{block.Declarations.Owner} declares a container '{name}', but {where} holds no module registered under that name and no collection declared with Unregistered(\"{name}\", …).");
    }

    /// <summary>
    /// A container's <c>[Prune]</c> is explicit, as a member's is: where its granularity fits none of the layers inside
    /// the container, that is the error PRUNE001 (PRUNE010 for Custom dims) names, for the container's first layer.
    /// (A class-level rule whose granularity fits no layer is a warning at compile time, PRUNE008, and nothing here.)
    /// </summary>
    private static void CheckContainerFits(TreeWalk walk, TreeBlock block, string path, TreeRule rule)
    {
        var prefix = TreeWalk.Join(block.Path, path) + ".";
        LayerSite? first = null;
        foreach (var site in walk.Sites)
        {
            if (!site.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (TreeChecks.Fits(site.Kind, rule.Settings)) return;
            first ??= site;
        }

        if (first is not null) TreeChecks.CheckExplicitFit(first.Name, first.Kind, rule.Settings);
    }

    /// <summary>
    /// The imperative entry's promises: every named layer exists, every <c>Except</c> pattern matches a layer, a rule
    /// that <c>Matching</c> narrowed reaches a layer, and the entry prunes some layer. (A rule that only names kinds
    /// and a granularity may reach nothing in a given model: generic rules apply to many models.)
    /// </summary>
    private static void CheckOuterDeclarations(TreeWalk walk, BlockDeclarations outer, Usage used, int prunedLayers)
    {
        foreach (var (name, _) in outer.NamedLayers)
        {
            if (used.Names.Contains(name)) continue;
            var module = walk.ModuleAt(name);
            var alias = module is null ? null : walk.Sites.FirstOrDefault(site => ReferenceEquals(site.Module, module));
            var reason = module is null ? "no module has that name"
                : alias is not null ? $"that module is registered twice, and the tree names it by its first path, '{alias.Name}'"
                : $"it is a {module.GetType().Name}, which PruneSharp cannot prune";
            throw new InvalidOperationException($"Layer(\"{name}\", …): {reason}. The model's prunable layers: {NameList(walk)}.");
        }

        foreach (var rule in outer.ClassRules)
        {
            foreach (var pattern in rule.Exclude)
            {
                if (!walk.Sites.Any(site => pattern.Matches(site.Name)))
                {
                    throw new InvalidOperationException($"{rule.Description}: Except(\"{pattern.Text}\") matches no prunable layer. The model's prunable layers: {NameList(walk)}.");
                }
            }

            if (rule.Include.Length > 0 && !used.Rules.Contains(rule))
            {
                throw new InvalidOperationException($"{rule.Description} reaches no layer: {WhyNothing(walk, rule)}. The model's prunable layers: {NameList(walk)}.");
            }
        }

        if (prunedLayers > 0) return;
        var rules = outer.ClassRules.Count == 0 && outer.NamedLayers.Count == 0
            ? "it has no rule (Layers(…), Layer(…)), and the model's classes declare none"
            : string.Join("; ", outer.ClassRules.Select(rule => $"{rule.Description}: {WhyNothing(walk, rule)}"));
        throw new InvalidOperationException($"{outer.Owner} prunes no layer: {rules}. The model's prunable layers: {NameList(walk)}.");
    }

    private static string WhyNothing(TreeWalk walk, TreeRule rule)
    {
        var output = walk.OutputLayer;
        if (output is not null && !rule.Selection.IncludeOutputLayer && rule.Reaches(output.Name, output.Kind, isOutputLayer: false))
        {
            return $"it selects the output layer '{output.Name}', which is left alone unless the rule says IncludingOutputLayer() or Layer(\"{output.Name}\", …) names it";
        }

        return "no layer of a kind its granularity fits matches its selection, or a more specific declaration prunes each one that does";
    }

    private static string NameList(TreeWalk walk)
    {
        var names = walk.Sites.Take(NamesInMessages).Select(site => $"{site.Name} ({site.Kind})");
        var more = walk.Sites.Count > NamesInMessages ? $", … ({walk.Sites.Count} in all)" : string.Empty;
        return walk.Sites.Count == 0 ? "none" : string.Join(", ", names) + more;
    }

    private static int Segments(string name) => name.Count(character => character == '.') + 1;

    /// <summary>What one resolution used: the layers it created, the rules that reached a layer, the names <c>Layer(name, …)</c> found.</summary>
    private sealed class Usage
    {
        public HashSet<PrunedLayer> Created { get; } = new(ReferenceEqualityComparer.Instance);

        public HashSet<TreeRule> Rules { get; } = new(ReferenceEqualityComparer.Instance);

        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

        public PrunedLayer Create(LayerSite site, PruneSettings settings)
        {
            var layer = new ModulePrunedLayer(site.Name, site.Module, settings);
            Created.Add(layer);
            return layer;
        }
    }
}

/// <summary>What a tree resolves to.</summary>
/// <summary>What a tree resolved to; <paramref name="GlobalSettings"/> is the model-wide declaration under global scope (its schedule and normalization), or null.</summary>
internal sealed record ResolvedTree(PrunedLayer[] Layers, PruningScope Scope, double GlobalSparsity, PruneSettings? GlobalSettings, string? OutputLayerName);
