using System;
using System.Linq;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// Computes magnitude masks with TorchSharp ops, on whatever device the weight lives (CPU or CUDA), by the same
/// rule as <see cref="MaskPlan"/>: the two give identical masks for the same weights.
/// </summary>
public static class TorchMaskEngine
{
    /// <summary>
    /// Computes the mask of <paramref name="weight"/> at <paramref name="sparsity"/>: a new tensor of the weight's
    /// shape, dtype and device, 1 where a weight is kept and 0 where it is pruned. The caller owns (disposes) it.
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
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(layerName);
        if (!weight.is_floating_point())
        {
            throw new PruningException(layerName, $"the weight has dtype {weight.dtype}; masks are computed for floating-point weights only.");
        }

        var shape = weight.shape;
        var rank = shape.Length;
        if (rank == 0 || shape.Any(size => size == 0))
        {
            throw new PruningException(layerName, $"the weight has shape {MaskPlan.FormatShape(shape)}: an empty weight has nothing to prune.");
        }

        if (dims.IsEmpty || dims.MaxDim > rank)
        {
            throw new PruningException(layerName, $"reduced dims {dims} do not fit a weight of rank {rank} (with the leading dummy dim, dims run from 0 to {rank}).");
        }

        var reduceAxes = Enumerable.Range(1, rank).Where(dims.Contains).Select(axis => (long)axis).ToArray();
        var groups = MaskPlan.CountGroups(shape, dims);
        var groupSize = weight.numel() / groups;
        var pruned = prunedGroups = MaskPlan.PrunedGroupCount(layerName, sparsity, groups, dims);

        using var scope = NewDisposeScope();
        var values = weight.detach().to(ScalarType.Float32);
        var scores = values.abs().to(ScalarType.Float64).unsqueeze(0);
        if (reduceAxes.Length > 0)
        {
            scores = scores.sum(reduceAxes, keepdim: true);
            if (groupSize > 1) scores = scores.div(groupSize);
        }

        var flatScores = scores.flatten();
        if (flatScores.isnan().any().item<bool>())
        {
            var firstNaN = values.isnan().flatten().nonzero()[0, 0].item<long>();
            throw new PruningException(layerName, MaskPlan.NaNWeightMessage(firstNaN, shape.Select(size => (int)size).ToArray()));
        }

        var keep = ones(groups, dtype: weight.dtype, device: weight.device);
        if (pruned > 0)
        {
            // A stable ascending sort puts equal scores in flat-index order: the first `pruned` indices are exactly
            // the groups the tie rule prunes.
            var order = flatScores.sort(stable: true).Indices;
            keep.index_fill_(0, order.narrow(0, 0, pruned), 0);
        }

        var expandedShape = new long[rank + 1];
        expandedShape[0] = 1;
        Array.Copy(shape, 0, expandedShape, 1, rank);
        var mask = keep.reshape(scores.shape).expand(expandedShape).squeeze(0).contiguous();
        return mask.MoveToOuterDisposeScope();
    }
}
