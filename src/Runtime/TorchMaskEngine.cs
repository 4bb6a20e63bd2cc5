using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// The magnitude mask of a bare tensor, with TorchSharp ops on whatever device it lives (CPU or CUDA), by the same rule
/// as <see cref="MaskPlan"/> (its CPU-span counterpart): the two give identical masks for the same weights (see
/// <c>docs/masks.md</c> for when sums are exact). It scores with <see cref="TorchScoring"/> and selects with
/// <see cref="TorchSelection"/>, as the mask pass does.
/// </summary>
/// <remarks>
/// A tensor has no layer: no criterion but magnitude, no existing mask, no state. The masks of layers (every criterion,
/// held masks, one batched selection per device) come from the model-level <see cref="MaskPass"/> alone, which a
/// model's <c>ComputeMasks()</c>, the <see cref="Training.Sparsifier"/> and <see cref="PrunedLayer.UpdateMask(double)"/> run.
/// </remarks>
public static partial class TorchMaskEngine
{
    /// <summary>
    /// Computes the magnitude mask of <paramref name="weight"/> at <paramref name="sparsity"/>: a new tensor of the
    /// weight's shape, dtype and device, 1 where a weight is kept and 0 where it is pruned. The caller owns (disposes) it.
    /// </summary>
    /// <remarks>
    /// Floating-point weights of any precision are scored as float32 values (float16 and bfloat16 convert exactly),
    /// so every dtype gets the mask the float32 fast path gives for the same values. All temporaries are disposed
    /// before this returns.
    /// </remarks>
    /// <exception cref="PruningException">The weight is empty or not floating point, the dims do not fit its rank,
    /// a weight is NaN, or the sparsity would prune every group.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1].</exception>
    public static Tensor ComputeMask(Tensor weight, ReducedDims dims, double sparsity, string layerName) =>
        ComputeMask(weight, dims, sparsity, layerName, out _);

    /// <summary>As <see cref="ComputeMask(Tensor, ReducedDims, double, string)"/>, also giving the number of groups pruned.</summary>
    internal static Tensor ComputeMask(Tensor weight, ReducedDims dims, double sparsity, string layerName, out int prunedGroups)
    {
        CheckWeight(weight, dims, layerName);
        using var scope = NewDisposeScope();
        var values = weight.detach().to(ScalarType.Float32);
        var scores = TorchScoring.GroupScores(values, magnitudes: true, Reducer.Mean, existingMask: null, dims);
        TorchScoring.ThrowIfNaN(scores, () => MaskPlan.NaNWeightMessage(TorchScoring.FirstNaN(values), IntShape(weight)), layerName);
        var groups = scores.numel();
        var pruned = prunedGroups = MaskPlan.PrunedGroupCount(layerName, sparsity, groups, dims);
        var keep = KeepAllButLowest(scores.flatten(), pruned);
        return TorchSelection.Expand(keep, scores.shape, weight.shape, weight.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Checks that <paramref name="weight"/> can be masked over <paramref name="dims"/>.</summary>
    internal static void CheckWeight(Tensor weight, ReducedDims dims, string layerName)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(layerName);
        if (!weight.is_floating_point())
        {
            throw new PruningException(layerName, $"the weight has dtype {weight.dtype}; masks are computed for floating-point weights only.");
        }

        var shape = weight.shape;
        if (shape.Length == 0 || shape.Any(size => size == 0))
        {
            throw new PruningException(layerName, $"the weight has shape {MaskPlan.FormatShape(shape)}: an empty weight has nothing to prune.");
        }

        if (dims.IsEmpty || dims.MaxDim > shape.Length)
        {
            throw new PruningException(layerName, $"reduced dims {dims} do not fit a weight of rank {shape.Length} (with the leading dummy dim, dims run from 0 to {shape.Length}).");
        }
    }

    /// <summary>1 for each group kept, 0 for the <paramref name="pruned"/> lowest (ties: lower flat index first): one segment of <see cref="TorchSelection"/>.</summary>
    internal static Tensor KeepAllButLowest(Tensor flatScores, long pruned) =>
        TorchSelection.KeepAllButLowest(new Segments([flatScores.shape[0]], [pruned], flatScores.device), flatScores, BatchSelection.Sort);

    internal static int[] IntShape(Tensor tensor) => tensor.shape.Select(size => (int)size).ToArray();
}
