using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// What one module class declares about the pruning of its tree, as <see cref="IDeclaresPruning.DeclarePruning"/>
/// receives it. Names are relative to the declaring module: a field's registered name (<c>features</c>), or the
/// name of a plain array or list of layers (<c>convs</c>).
/// </summary>
/// <remarks>
/// The calls mirror the attributes: <see cref="Member"/> for a layer field with its own <c>[Prune]</c>,
/// <see cref="ClassDefault"/> for a layer that the class-level <c>[Prune]</c> reaches, <see cref="Container"/>
/// for <c>[Prune]</c> on a container field (<see cref="ContainerDefault"/> for a layer inside it whose path and shape
/// the code shows), <see cref="Unregistered"/> for layers held in plain arrays or lists, and
/// <see cref="ClassLevel"/> for the class-level <c>[Prune]</c>, which reaches every layer of the tree that nothing
/// more specific declares. <c>docs/existing-models.md</c> has the precedence.
/// </remarks>
public sealed class PruningDeclarations
{
    private readonly BlockDeclarations _block;

    internal PruningDeclarations(BlockDeclarations block)
    {
        _block = block;
    }

    /// <summary>A layer field with its own <c>[Prune]</c>: it wins over every other declaration of that layer, and
    /// it prunes the model's output layer too.</summary>
    public PruningDeclarations Member(PrunedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        _block.Members.Add(layer);
        return this;
    }

    /// <summary>
    /// A layer that the class-level <c>[Prune]</c> reaches (a layer field, or a layer inside a container whose path and
    /// shape the code shows), with its typed pruning object: where the class-level rule applies to that layer, this
    /// object is the one in the tree (so its typed member and the tree share one state).
    /// </summary>
    public PruningDeclarations ClassDefault(PrunedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        _block.ClassDefaults[layer.Layer] = layer;
        return this;
    }

    /// <summary>
    /// <c>[Prune]</c> on a container field (<c>Sequential</c>, <c>ModuleList</c>, <c>ModuleDict</c>, a block, an
    /// array or list declared with <see cref="Unregistered"/>): it reaches every layer inside that its granularity fits,
    /// unless a member or the class that holds the layer declares it.
    /// </summary>
    /// <param name="name">The field's registered name; for an auto-property its name (<c>Features</c>) works too.</param>
    /// <param name="settings">How the layers are pruned.</param>
    /// <param name="selection">Patterns (relative to the container's holder), kinds and the output-layer opt-in; every layer by default.</param>
    /// <exception cref="ArgumentException">The settings are invalid (the generator's words, e.g. PRUNE002).</exception>
    public PruningDeclarations Container(string name, PruneSettings settings, LayerSelection? selection = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var description = _block.Owner + "." + name;
        TreeChecks.CheckSettings(settings, description, nameof(settings));
        _block.Containers.Add((name, new TreeRule(settings, selection ?? LayerSelection.All, description)));
        return this;
    }

    /// <summary>
    /// A layer inside the container <paramref name="container"/> that the container's <c>[Prune]</c> reaches, with its
    /// typed pruning object (the generator emits one where the code shows the layer's path and shape): where the
    /// container's rule applies to that layer, this object is the one in the tree. Declare the container first.
    /// </summary>
    /// <exception cref="InvalidOperationException">No <see cref="Container"/> of that name was declared before.</exception>
    public PruningDeclarations ContainerDefault(string container, PrunedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(layer);
        var index = _block.Containers.FindLastIndex(entry => entry.Container == container);
        if (index < 0)
        {
            throw new InvalidOperationException($"{_block.Owner} declares the layer '{layer.Name}' of container '{container}' before the container: call Container(\"{container}\", …) first.");
        }

        _block.Containers[index].Rule.Typed[layer.Layer] = layer;
        return this;
    }

    /// <summary>
    /// Layers (or modules holding layers) kept in a plain array or list that TorchSharp does not register: each is
    /// named by its access path, <c>name.0</c>, <c>name.1</c>, ... A module that is also registered keeps its registered name.
    /// </summary>
    public PruningDeclarations Unregistered(string name, IEnumerable<nn.Module> modules)
    {
        _block.AddUnregistered(name, modules, nameof(modules));
        return this;
    }

    /// <summary>
    /// The class-level <c>[Prune]</c>: the default for every layer of the module's tree that its granularity fits and
    /// nothing more specific declares; the model's output layer only when <paramref name="selection"/> opts in.
    /// </summary>
    /// <param name="settings">How the layers are pruned; under global scope, its sparsity is the model-wide target.</param>
    /// <param name="scope">Local or global; only the root model's scope counts.</param>
    /// <param name="selection">Patterns, kinds and the output-layer opt-in; every layer but the output layer by default.</param>
    /// <exception cref="ArgumentException">The settings are invalid (the generator's words, e.g. PRUNE002).</exception>
    public PruningDeclarations ClassLevel(PruneSettings settings, PruningScope scope = PruningScope.Local, LayerSelection? selection = null)
    {
        TreeChecks.CheckSettings(settings, _block.Owner, nameof(settings));
        _block.ClassRules.Add(new TreeRule(settings, selection ?? LayerSelection.All, _block.Owner));
        _block.Scope = scope;
        _block.GlobalSparsity = settings.Sparsity;
        return this;
    }
}
