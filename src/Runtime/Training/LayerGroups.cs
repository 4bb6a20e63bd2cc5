using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Training;

/// <summary>
/// A pruned layer's groups (the blocks its granularity removes together) as the training helpers see them: which
/// layers they can work on, how many groups and weights a layer has, which weight axes a group spans, and the
/// groups' magnitude scores by the mask rule's own scoring (<see cref="MaskPlan"/>).
/// </summary>
internal static class LayerGroups
{
    /// <summary>
    /// Throws where <paramref name="feature"/> cannot form the layer's groups: an N:M layer (no groups, a fixed
    /// pattern) or a grouped transposed convolution (whose output channels span two weight axes).
    /// </summary>
    /// <exception cref="ArgumentException">The layer is not supported, or is listed twice.</exception>
    public static void CheckSupported(IReadOnlyList<PrunedLayer> layers, string feature, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(layers, parameterName);
        var seen = new HashSet<PrunedLayer>(ReferenceEqualityComparer.Instance);
        for (var index = 0; index < layers.Count; index++)
        {
            var layer = layers[index] ?? throw new ArgumentException($"Layer {index} of the list is null.", parameterName);
            if (!seen.Add(layer))
            {
                throw new ArgumentException($"Layer '{layer.Name}' is listed twice.", parameterName);
            }

            if (layer.Granularity == Granularity.NOfM)
            {
                throw new ArgumentException($"Layer '{layer.Name}' uses N:M sparsity, a fixed pattern of {layer.Settings.N} kept in every {layer.Settings.M} weights with no groups for {feature} to rank or vary.", parameterName);
            }

            if (Granularities.IsTransposed(layer.Kind) && layer.Layer is Convolution { groups: > 1 } convolution)
            {
                throw new ArgumentException($"Layer '{layer.Name}' is a transposed convolution with {convolution.groups} groups, whose output channels span two weight axes; {feature} does not support it yet.", parameterName);
            }
        }
    }

    /// <summary>The weight axes (0-based) that one group spans: the granularity's reduced dims without the dummy dim 0.</summary>
    public static long[] ReducedAxes(PrunedLayer layer) => LayerGeometry.WeightAxes(layer.ReducedDims, (int)layer.Weight.dim());

    /// <summary>The number of groups the layer's granularity splits its weight into.</summary>
    public static long CountGroups(PrunedLayer layer) => MaskPlan.CountGroups(layer.Weight.shape, layer.ReducedDims);

    /// <summary>
    /// Each group's score by the mask rule's magnitude criterion (mean <c>|w|</c> over the group, in float64, in flat
    /// group order), computed on the CPU; groups that the layer's current mask prunes score <c>-Inf</c>.
    /// </summary>
    /// <exception cref="PruningException">A weight is NaN.</exception>
    public static double[] MagnitudeScores(PrunedLayer layer)
    {
        using var scope = NewDisposeScope();
        var weight = layer.Weight.detach().to(ScalarType.Float32).cpu().contiguous();
        var mask = layer.Mask?.detach().to(ScalarType.Float32).cpu().contiguous();
        var shape = new int[weight.dim()];
        for (var axis = 0; axis < shape.Length; axis++) shape[axis] = checked((int)weight.size(axis));
        var plan = MaskPlan.Create(layer.Name, shape, layer.ReducedDims);
        var values = MemoryMarshal.Cast<byte, float>(weight.bytes);
        var existing = mask is null ? default : MemoryMarshal.Cast<byte, float>(mask.bytes);
        plan.ScoreGroups(values, magnitudes: true, Reducer.Mean, existing);
        if (plan.AnyGroupScoreIsNaN()) throw new PruningException(layer.Name, MaskPlan.NaNWeightMessage(MaskPlan.FirstNaN(values), shape));
        return plan.GroupScores.ToArray();
    }
}
