using System;
using System.Collections.Generic;
using System.Linq;

namespace PruneSharp.Training;

/// <summary>One layer's share of a <see cref="SparsityAllocation"/>.</summary>
/// <param name="LayerName">The layer's dotted name (<see cref="PrunedLayer.Name"/>).</param>
/// <param name="Groups">The number of groups its granularity splits its weight into.</param>
/// <param name="PrunedGroups">The number of groups the allocation prunes.</param>
/// <param name="Weights">The number of weight elements.</param>
public sealed record LayerAllocation(string LayerName, long Groups, long PrunedGroups, long Weights)
{
    /// <summary>The layer's sparsity, <c>PrunedGroups / Groups</c>: a local update at this sparsity prunes exactly <see cref="PrunedGroups"/> groups (without <c>RoundTo</c>).</summary>
    public double Sparsity => PrunedGroups / (double)Groups;
}

/// <summary>
/// Per-layer sparsities that together meet a model-wide target: the result of <see cref="Lamp.Allocate(IPrunableModule, double)"/>
/// and <see cref="SensitivityResult.Allocate"/>. Each layer's sparsity is a whole number of its groups, so pruning
/// each layer locally at its sparsity (<see cref="PrunedLayer.UpdateMask(double)"/>, or a <see cref="Sparsifier"/>
/// schedule per layer) gives exactly this allocation.
/// </summary>
public sealed class SparsityAllocation
{
    private readonly LayerAllocation[] _layers;

    internal SparsityAllocation(LayerAllocation[] layers, double targetSparsity, double? predictedScoreDrop)
    {
        _layers = layers;
        TargetSparsity = targetSparsity;
        PredictedScoreDrop = predictedScoreDrop;
        long weights = 0;
        double pruned = 0;
        foreach (var layer in layers)
        {
            weights += layer.Weights;
            pruned += layer.Sparsity * layer.Weights;
        }

        TotalWeights = weights;
        OverallSparsity = weights == 0 ? 0.0 : pruned / weights;
    }

    /// <summary>The layers, in the order they were given.</summary>
    public IReadOnlyList<LayerAllocation> Layers => _layers;

    /// <summary>The model-wide sparsity asked for: the fraction of all the layers' weights to prune.</summary>
    public double TargetSparsity { get; }

    /// <summary>The model-wide sparsity the allocation reaches: pruned weights over all the layers' weights (the nearest whole groups to the target).</summary>
    public double OverallSparsity { get; }

    /// <summary>The number of weight elements of all the layers.</summary>
    public long TotalWeights { get; }

    /// <summary>
    /// For an allocation from a sensitivity scan: the drop of the evaluated score it predicts (the sum of the layers'
    /// drops, read off their scanned curves); <see langword="null"/> otherwise.
    /// </summary>
    public double? PredictedScoreDrop { get; }

    /// <summary>The sparsity allocated to the layer named <paramref name="layerName"/>.</summary>
    /// <exception cref="ArgumentException">No layer of the allocation has that name.</exception>
    public double SparsityOf(string layerName)
    {
        ArgumentNullException.ThrowIfNull(layerName);
        foreach (var layer in _layers)
        {
            if (layer.LayerName == layerName) return layer.Sparsity;
        }

        throw new ArgumentException($"Layer '{layerName}' is not part of this allocation; its layers are {string.Join(", ", _layers.Select(layer => $"'{layer.LayerName}'"))}.", nameof(layerName));
    }

    /// <summary>The sparsity allocated to <paramref name="layer"/>, for example as a schedule's target: <c>layer => SparsitySchedule.Create(Schedule.Agp, allocation.SparsityOf(layer), 0, 0.7)</c>.</summary>
    /// <exception cref="ArgumentException">The layer is not part of the allocation.</exception>
    public double SparsityOf(PrunedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return SparsityOf(layer.Name);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Join(", ", _layers.Select(layer => $"{layer.LayerName} {layer.Sparsity:P1}")) + $" (overall {OverallSparsity:P1})";

    /// <summary>Throws where the target is not a fraction in [0, 1].</summary>
    internal static void CheckTarget(double targetSparsity, string parameterName)
    {
        if (!(targetSparsity >= 0.0 && targetSparsity <= 1.0))
        {
            throw new ArgumentOutOfRangeException(parameterName, targetSparsity, $"The model-wide target sparsity must be in [0, 1]; it is {targetSparsity}.");
        }
    }
}
