using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// The pruning of a whole module tree: every layer of the model that a declaration reaches, named by its dotted path
/// (<c>layer1.0.conv1</c>), with the surface of a generated model (<see cref="IPrunableModule"/>). It works with
/// <see cref="Training.Sparsifier"/> and <see cref="Training.PruningCheckpoint"/> like a generated model does.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Pruning.Of"/> builds one for a model that carries no attributes (a library model, one loaded from a
/// checkpoint); <see cref="Build"/> builds one from the declarations of the model's classes (<see cref="IDeclaresPruning"/>,
/// and the layers of every <see cref="IPrunableModule"/> in the tree), which is what generated code calls.
/// </para>
/// <para>
/// The tree is fixed when it is built: every check that needs the layers' shapes runs then, with the generator's
/// words (a <see cref="PruningException"/> naming the layer), and nothing in the model changes when one fails.
/// Build a new tree after replacing layers of the model.
/// </para>
/// </remarks>
public sealed class PruningTree : IPrunableModule
{
    private readonly PrunedLayer[] _layers;

    private PruningTree(nn.Module model, ResolvedTree resolved)
    {
        Model = model;
        _layers = resolved.Layers;
        PruningScope = resolved.Scope;
        GlobalSparsity = resolved.Scope == PruningScope.Global ? resolved.GlobalSparsity : null;
        GlobalSettings = resolved.GlobalSettings;
        OutputLayerName = resolved.OutputLayerName;
    }

    /// <summary>
    /// Resolves the declarations of <paramref name="model"/>'s classes into one tree: each module in it that implements
    /// <see cref="IDeclaresPruning"/> declares its part, each other <see cref="IPrunableModule"/> contributes its own
    /// layers. Generated code calls this once, from its <see cref="IPrunableModule.PrunedLayers"/>.
    /// </summary>
    /// <exception cref="PruningException">A declaration does not fit its layer (the generator's words, naming the layer).</exception>
    /// <exception cref="InvalidOperationException">A declaration names a container the model does not hold, or two declarations conflict.</exception>
    public static PruningTree Build(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new PruningTree(model, TreeResolver.Resolve(model, outer: null));
    }

    internal static PruningTree Resolve(nn.Module model, BlockDeclarations outer) => new(model, TreeResolver.Resolve(model, outer));

    /// <summary>The model the tree prunes.</summary>
    public nn.Module Model { get; }

    /// <summary>The pruned layers, in the model's depth-first module order (that of <c>state_dict()</c>), each pruned once.</summary>
    public IReadOnlyList<PrunedLayer> PrunedLayers => _layers;

    /// <inheritdoc/>
    public PruningScope PruningScope { get; }

    /// <summary>Under global scope, the model-wide sparsity <see cref="ComputeMasks"/> ranks towards; otherwise <see langword="null"/>.</summary>
    public double? GlobalSparsity { get; }

    /// <summary>
    /// Under global scope, the model-wide declaration: <see cref="GlobalSparsity"/> with its schedule, the one
    /// <see cref="PruningBuilder.Global(double, Schedule, double, double, int, GlobalScoreNormalization)"/> gave, else the root class's where its
    /// generated class-level declaration gives one for the same sparsity, else one-shot (the granularity is not used);
    /// its <see cref="PruneSettings.Normalization"/> is the one <c>Global(…, normalization)</c> gave, else that
    /// declaration's. <see cref="ComputeMasks"/> and a <see cref="Training.Sparsifier"/> follow it. Null under local scope.
    /// </summary>
    public PruneSettings? GlobalSettings { get; }

    /// <summary>
    /// The model's output layer (the last prunable layer in its depth-first module order), which class and container
    /// declarations leave alone unless they opt in; <see langword="null"/> when the model has no prunable layer.
    /// </summary>
    public string? OutputLayerName { get; }

    /// <summary>
    /// Computes every layer's mask in one model-level pass (<see cref="PruneSharp.MaskPass"/>): each at its declared
    /// sparsity under local scope, or all ranked together towards <see cref="GlobalSparsity"/> under global scope.
    /// </summary>
    /// <exception cref="PruningException">A mask cannot be computed (the exception names the layer).</exception>
    public void ComputeMasks() => PruneSharp.MaskPass.ComputeMasks(this);

    /// <inheritdoc/>
    public void ApplyMasks()
    {
        foreach (var layer in _layers) layer.ApplyMask();
    }

    /// <inheritdoc/>
    public PruningReport GetSparsityReport() => PrunedLayer.Report(_layers);
}
