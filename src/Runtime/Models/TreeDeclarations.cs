using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// One declaration that reaches many layers: a class-level rule, a container field's rule, or a rule of the
/// imperative entry. Its selection is matched against layer names relative to the block that declares it.
/// </summary>
internal sealed class TreeRule
{
    public TreeRule(PruneSettings settings, LayerSelection selection, string description)
    {
        Settings = settings;
        Selection = selection;
        Description = description;
        Include = selection.Include.Select(pattern => LayerNamePattern.Parse(pattern, nameof(selection))).ToArray();
        Exclude = selection.Exclude.Select(pattern => LayerNamePattern.Parse(pattern, nameof(selection))).ToArray();
        Kinds = selection.Kinds.ToHashSet();
    }

    public PruneSettings Settings { get; }

    public LayerSelection Selection { get; }

    /// <summary>How a message names the rule: <c>Layers&lt;Conv2d&gt;(Filter, 0.3)</c>, <c>ResNet</c>, <c>ResNet.layer1</c>.</summary>
    public string Description { get; }

    public LayerNamePattern[] Include { get; }

    public LayerNamePattern[] Exclude { get; }

    public HashSet<LayerKind> Kinds { get; }

    /// <summary>Typed layers the generator emitted for layers this rule reaches, by module: the tree uses these objects for them.</summary>
    public Dictionary<nn.Module, PrunedLayer> Typed { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Whether the selection (kinds, patterns, output layer) and the granularity let the rule reach a layer.</summary>
    public bool Reaches(string relativeName, LayerKind kind, bool isOutputLayer) =>
        (Kinds.Count == 0 || Kinds.Contains(kind))
        && (!isOutputLayer || Selection.IncludeOutputLayer)
        && (Include.Length == 0 || Include.Any(pattern => pattern.Matches(relativeName)))
        && !Exclude.Any(pattern => pattern.Matches(relativeName))
        && TreeChecks.Fits(kind, Settings);
}

/// <summary>Everything one block (a module class, or the imperative entry around the root) declares.</summary>
internal sealed class BlockDeclarations
{
    public BlockDeclarations(string owner)
    {
        Owner = owner;
    }

    /// <summary>How messages name the block: its type name, or the imperative entry.</summary>
    public string Owner { get; }

    /// <summary>The layers whose own member declares them (and every layer of a plain <see cref="IPrunableModule"/>).</summary>
    public List<PrunedLayer> Members { get; } = [];

    /// <summary>The typed layers the generator emitted for direct fields that the class-level rule reaches.</summary>
    public Dictionary<nn.Module, PrunedLayer> ClassDefaults { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Rules on container fields, by the container's name relative to the block.</summary>
    public List<(string Container, TreeRule Rule)> Containers { get; } = [];

    /// <summary>The block's rules over its whole tree: a class's one rule; the imperative entry's rules, later ones first in precedence.</summary>
    public List<TreeRule> ClassRules { get; } = [];

    /// <summary>Layers the caller names one by one (the imperative entry's <c>Layer(name, …)</c>): as a member's own declaration.</summary>
    public List<(string Name, PruneSettings Settings)> NamedLayers { get; } = [];

    /// <summary>Collections of modules that are not registered with TorchSharp, named by access path (<c>convs.0</c>).</summary>
    public List<(string Name, nn.Module[] Modules)> Unregistered { get; } = [];

    /// <summary>The scope the block declares; only the root's (or the imperative entry's) counts.</summary>
    public PruningScope? Scope { get; set; }

    /// <summary>Under global scope, the model-wide sparsity.</summary>
    public double GlobalSparsity { get; set; }

    /// <summary>Under global scope, the model-wide declaration with its schedule where one was given (the imperative entry's <c>Global(sparsity, schedule, …)</c>); null otherwise.</summary>
    public PruneSettings? GlobalSettings { get; set; }

    /// <summary>Under global scope, the normalization the imperative entry's <c>Global(sparsity, …, normalization)</c> gave; null where none was given (the chosen declaration's then holds).</summary>
    public GlobalScoreNormalization? GlobalNormalization { get; set; }

    public void AddUnregistered(string name, IEnumerable<nn.Module> modules, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(modules);
        var pattern = LayerNamePattern.Parse(name, nameof(name));
        if (pattern.Text.Contains('*', StringComparison.Ordinal) || pattern.Text.Contains('?', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}' names a collection of modules; it is a path, not a pattern.", nameof(name));
        }

        var array = modules.ToArray();
        for (var index = 0; index < array.Length; index++)
        {
            if (array[index] is null) throw new ArgumentException($"Element {index} of '{name}' is null.", parameterName);
        }

        Unregistered.Add((name, array));
    }
}
