using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// Computes masks with TorchSharp ops, on whatever device the weight lives (CPU or CUDA), by the same rule as
/// <see cref="MaskPlan"/>: the two give identical masks for the same weights.
/// </summary>
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
        var scores = GroupScores(values, magnitudes: true, Reducer.Mean, existingMask: null, dims);
        ThrowIfNaN(scores, () => MaskPlan.NaNWeightMessage(FirstNaN(values), IntShape(weight)), layerName);
        var groups = scores.numel();
        var pruned = prunedGroups = MaskPlan.PrunedGroupCount(layerName, sparsity, groups, dims);
        var keep = KeepAllButLowest(scores.flatten(), pruned);
        return Expand(keep, scores.shape, weight.shape, weight.dtype).MoveToOuterDisposeScope();
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

    /// <summary>
    /// The float32 element scores of <paramref name="criterion"/>, with the same operations as <see cref="ElementScores"/>.
    /// </summary>
    internal static Tensor CriterionScores(Criterion criterion, Tensor weight, Tensor? other, Tensor? factors, ulong randomStream)
    {
        var w = weight.to(ScalarType.Float32);
        var o = other?.to(ScalarType.Float32);
        return criterion switch
        {
            Criterion.LargeFinal => w.abs(),
            Criterion.SmallFinal => w.abs().neg(),
            Criterion.SquaredFinal => w.mul(w),
            Criterion.LargeInit => o!.abs(),
            Criterion.SmallInit => o!.abs().neg(),
            Criterion.LargeInitLargeFinal => minimum(o!.abs(), w.abs()),
            Criterion.SmallInitSmallFinal => maximum(o!.abs(), w.abs()).neg(),
            Criterion.MagnitudeIncrease or Criterion.UpdatingMagnitudeIncrease => w.abs().sub(o!.abs()),
            Criterion.Movement or Criterion.UpdatingMovement => w.sub(o!).abs(),
            Criterion.MovementMagnitude or Criterion.UpdatingMovementMagnitude => w.mul(w.sub(o!)).abs(),
            Criterion.Taylor => w.mul(o!).square(),
            Criterion.Wanda => w.abs().mul(factors!),
            Criterion.Random => RandomScores(weight, randomStream),
            _ => throw new ArgumentOutOfRangeException(nameof(criterion), criterion, $"Unknown criterion {criterion}."),
        };
    }

    private static Tensor RandomScores(Tensor weight, ulong stream)
    {
        // Generated on the CPU with the same counter-based generator as the fast path, then moved: every device gets
        // the same scores.
        var values = new float[weight.numel()];
        for (var index = 0; index < values.Length; index++) values[index] = ElementScores.RandomScore(stream, index);
        return tensor(values, dtype: ScalarType.Float32).reshape(weight.shape).to(weight.device);
    }

    /// <summary>
    /// One float64 score per group, shaped like the weight with a leading dummy dim and size 1 on every reduced dim:
    /// the sum or mean of <paramref name="values"/> (of their magnitudes when <paramref name="magnitudes"/> is set).
    /// Groups holding an element that <paramref name="existingMask"/> prunes score <c>-Inf</c>.
    /// </summary>
    internal static Tensor GroupScores(Tensor values, bool magnitudes, Reducer reducer, Tensor? existingMask, ReducedDims dims)
    {
        var rank = (int)values.dim();
        var reduceAxes = Enumerable.Range(1, rank).Where(dims.Contains).Select(axis => (long)axis).ToArray();
        var scores = (magnitudes ? values.abs() : values).to(ScalarType.Float64).unsqueeze(0);
        var groupSize = 1L;
        foreach (var axis in reduceAxes) groupSize *= values.size((int)axis - 1);
        if (reduceAxes.Length > 0)
        {
            scores = scores.sum(reduceAxes, keepdim: true);
            if (reducer == Reducer.Mean && groupSize > 1)
            {
                // Scalars are held in locals: TorchSharp passes their handles without keeping them alive, so a
                // temporary one can be finalized during the native call.
                using var divisor = ((double)groupSize).ToScalar();
                scores = scores.div(divisor);
            }
        }

        if (existingMask is not null)
        {
            var kept = existingMask.to(ScalarType.Float64).unsqueeze(0);
            if (reduceAxes.Length > 0) kept = kept.sum(reduceAxes, keepdim: true);
            using var size = ((double)groupSize).ToScalar();
            using var lowest = double.NegativeInfinity.ToScalar();
            scores = scores.masked_fill(kept.lt(size).logical_and(scores.isnan().logical_not()), lowest);
        }

        return scores;
    }

    /// <summary>Throws a <see cref="PruningException"/> with <paramref name="message"/>'s text when any score is NaN.</summary>
    internal static void ThrowIfNaN(Tensor scores, Func<string> message, string layerName)
    {
        using var anyNaN = scores.isnan().any();
        if (anyNaN.item<bool>()) throw new PruningException(layerName, message());
    }

    /// <summary>The flat index of the first NaN in <paramref name="values"/>, or -1.</summary>
    internal static long FirstNaN(Tensor values)
    {
        using var scope = NewDisposeScope();
        var found = values.isnan().flatten().nonzero();
        return found.shape[0] == 0 ? -1 : found[0, 0].item<long>();
    }

    /// <summary>1 for each group kept, 0 for the <paramref name="pruned"/> lowest (ties: lower flat index first).</summary>
    internal static Tensor KeepAllButLowest(Tensor flatScores, long pruned)
    {
        var keep = ones(flatScores.shape[0], dtype: ScalarType.Float32, device: flatScores.device);
        if (pruned > 0)
        {
            // A stable ascending sort puts equal scores in flat-index order: the first `pruned` indices are exactly
            // the groups the tie rule prunes.
            var order = flatScores.sort(stable: true).Indices;
            using var pruneValue = 0f.ToScalar();
            keep.index_fill_(0, order.narrow(0, 0, pruned), pruneValue);
        }

        return keep;
    }

    /// <summary>Broadcasts one value per group (<paramref name="keep"/>, flat) to a contiguous mask of <paramref name="shape"/>.</summary>
    internal static Tensor Expand(Tensor keep, long[] groupShape, long[] shape, ScalarType dtype)
    {
        var expandedShape = new long[shape.Length + 1];
        expandedShape[0] = 1;
        Array.Copy(shape, 0, expandedShape, 1, shape.Length);
        return keep.to(dtype).reshape(groupShape).expand(expandedShape).squeeze(0).contiguous();
    }

    /// <summary>
    /// The N:M mask of element <paramref name="scores"/>: in every run of <paramref name="m"/> along
    /// <paramref name="inputAxis"/>, the <paramref name="m"/> − <paramref name="n"/> lowest are pruned (ties: lower index first).
    /// </summary>
    internal static Tensor NOfMMask(Tensor scores, Tensor? existingMask, int inputAxis, int n, int m)
    {
        var shape = scores.shape;
        long outer = 1, inner = 1;
        for (var axis = 0; axis < inputAxis; axis++) outer *= shape[axis];
        for (var axis = inputAxis + 1; axis < shape.Length; axis++) inner *= shape[axis];
        var runs = scores.reshape(outer, shape[inputAxis] / m, m, inner);
        if (existingMask is not null)
        {
            using var zero = 0f.ToScalar();
            using var lowest = float.NegativeInfinity.ToScalar();
            runs = runs.masked_fill(existingMask.reshape(outer, shape[inputAxis] / m, m, inner).eq(zero), lowest);
        }

        var order = runs.sort(dim: 2, stable: true).Indices.narrow(2, 0, m - n);
        var mask = ones_like(runs, dtype: ScalarType.Float32).scatter_(2, order, zeros_like(order, dtype: ScalarType.Float32));
        return mask.reshape(shape);
    }

    internal static int[] IntShape(Tensor tensor) => tensor.shape.Select(size => (int)size).ToArray();
}
