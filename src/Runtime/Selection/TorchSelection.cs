using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// The selection rule with TorchSharp ops, on the scores' device: prune the lowest scores, lower index first among
/// equals, for many layers at once with a fixed number of launches and no synchronization. Every torch caller selects
/// here: one layer and a batch of layers (<see cref="KeepAllButLowest"/>, each segment its own count), a global ranking
/// (<see cref="KeepGlobal"/>) and N:M runs (<see cref="NOfMMask"/>, the same order along a dim of length M). Results
/// are new tensors in the caller's dispose scope; no NaN may reach it (scoring reports them).
/// </summary>
internal static class TorchSelection
{
    /// <summary>
    /// For every segment of <paramref name="scores"/> (flat, float64, one layer after another), 1 for each kept group
    /// and 0 for the segment's <see cref="Segments.Pruned"/> lowest (ties: lower flat index first), as float32.
    /// </summary>
    public static Tensor KeepAllButLowest(Segments segments, Tensor scores, BatchSelection selection) =>
        TorchMaskEngine.ResolveSelection(selection, segments.Device) == BatchSelection.Sort ? KeptBySort(segments, scores) : KeptByThreshold(segments, scores);

    /// <summary>
    /// A global ranking over the segments of <paramref name="scores"/>: each segment's best group (the last in its
    /// (score, index) order) is set aside and kept; of the rest, the <paramref name="pruned"/> lowest in (score, segment,
    /// index) order, which is (score, position) order, are pruned. 1/0 per position, float32.
    /// </summary>
    /// <remarks>A per-layer score normalization (LAMP, for instance) is the caller's: it transforms each segment before
    /// this ranking, which compares the values as they are.</remarks>
    public static Tensor KeepGlobal(Segments segments, Tensor scores, long pruned)
    {
        var order = scores.sort(stable: true).Indices;
        var byLayer = segments.Count == 1 ? order : order.index_select(0, segments.LayerOfPosition(ScalarType.Int64).index_select(0, order).sort(stable: true).Indices);

        // Each layer's groups now fill [start, start + groups) in rising (score, index) order: its last is its best.
        var lastOfLayer = new long[segments.Count];
        for (var index = 0; index < lastOfLayer.Length; index++) lastOfLayer[index] = segments.Starts[index] + segments.Groups[index] - 1;
        var best = byLayer.index_select(0, tensor(lastOfLayer, device: segments.Device));
        using var zero = 0L.ToScalar();
        var candidate = ones(segments.Total, dtype: ScalarType.Int64, device: segments.Device).index_fill_(0, best, zero);

        // Ranked among the candidates in (score, position) order, the first `pruned` go.
        var candidateInOrder = candidate.index_select(0, order);
        using var limit = pruned.ToScalar();
        var prunedInOrder = candidateInOrder.cumsum(0).le(limit).logical_and(candidateInOrder.to(ScalarType.Bool));
        return zeros(segments.Total, dtype: ScalarType.Float32, device: segments.Device)
            .index_copy_(0, order, prunedInOrder.logical_not().to(ScalarType.Float32));
    }

    /// <summary>
    /// The N:M mask of element <paramref name="scores"/>: in every run of <paramref name="m"/> along
    /// <paramref name="inputAxis"/>, the <paramref name="m"/> − <paramref name="n"/> lowest are pruned (ties: lower
    /// index first; elements <paramref name="existingMask"/> prunes count lowest). Float32, of the scores' shape.
    /// </summary>
    public static Tensor NOfMMask(Tensor scores, Tensor? existingMask, int inputAxis, int n, int m)
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

        // A stable sort along each run orders it by (score, index): its first M − N go, as a segment's first `pruned`.
        var order = runs.sort(dim: 2, stable: true).Indices.narrow(2, 0, m - n);
        var mask = ones_like(runs, dtype: ScalarType.Float32).scatter_(2, order, zeros_like(order, dtype: ScalarType.Float32));
        return mask.reshape(shape);
    }

    /// <summary>Broadcasts one value per group (<paramref name="keep"/>, flat) to a contiguous mask of <paramref name="shape"/>.</summary>
    public static Tensor Expand(Tensor keep, long[] groupShape, long[] shape, ScalarType dtype)
    {
        var expandedShape = new long[shape.Length + 1];
        expandedShape[0] = 1;
        Array.Copy(shape, 0, expandedShape, 1, shape.Length);
        return keep.to(dtype).reshape(groupShape).expand(expandedShape).squeeze(0).contiguous();
    }

    private static Tensor KeptBySort(Segments segments, Tensor scores)
    {
        // A stable ascending sort orders all groups by (score, position); positions follow layer order and, within a
        // layer, flat group index. A stable sort of those positions by layer then lists each layer's groups in its
        // own (score, flat index) order: the order the tie rule prunes in.
        var order = scores.sort(stable: true).Indices;
        if (segments.Count > 1)
        {
            // The narrowest integer type makes the cheapest sort key (fewer radix passes on CUDA).
            var keyType = segments.Count <= short.MaxValue ? ScalarType.Int16 : ScalarType.Int32;
            var byLayer = segments.LayerOfPosition(keyType).index_select(0, order).sort(stable: true).Indices;
            order = order.index_select(0, byLayer);
        }

        // Layer l's groups now fill positions [start_l, start_l + groups_l) in rising rank; its first `pruned_l` go.
        var firstKept = new long[segments.Count];
        for (var index = 0; index < firstKept.Length; index++) firstKept[index] = segments.Starts[index] + segments.Pruned[index];
        var keptInOrder = Arange(segments.Total, ScalarType.Int64, segments.Device).ge(segments.PerPosition(firstKept));
        return zeros(segments.Total, dtype: ScalarType.Float32, device: segments.Device)
            .index_copy_(0, order, keptInOrder.to(ScalarType.Float32));
    }

    private static Tensor KeptByThreshold(Segments segments, Tensor scores)
    {
        // Layer l prunes every group scoring below its threshold t_l (the pruned_l-th lowest score), and of the
        // groups scoring exactly t_l as many as are still owed, lowest flat index first. A layer that prunes nothing
        // owes nothing, whatever its threshold.
        var thresholds = new Tensor[segments.Count];
        using var negativeInfinity = double.NegativeInfinity.ToScalar();
        for (var index = 0; index < segments.Count; index++)
        {
            thresholds[index] = segments.Pruned[index] == 0
                ? full(1, negativeInfinity, dtype: scores.dtype, device: segments.Device)
                : segments.Slice(scores, index).kthvalue(segments.Pruned[index], 0).values.reshape(1);
        }

        var threshold = segments.PerPosition(cat(thresholds, 0));
        var below = scores.lt(threshold);
        var atThreshold = scores.eq(threshold);

        using var one = 1L.ToScalar();
        var belowPerLayer = zeros(segments.Count, dtype: ScalarType.Int64, device: segments.Device)
            .index_add_(0, segments.LayerOfPosition(ScalarType.Int64), below.to(ScalarType.Int64), alpha: one);
        var owed = tensor(segments.Pruned, device: segments.Device).sub(belowPerLayer);

        // The 1-based rank of each tie within its layer: a running count over all positions, less the count before
        // the layer's first position.
        var ties = atThreshold.to(ScalarType.Int64);
        var tiesSoFar = ties.cumsum(0);
        var tiesBeforeLayer = tiesSoFar.sub(ties).index_select(0, tensor(segments.Starts, device: segments.Device));
        var tieRank = tiesSoFar.sub(segments.PerPosition(tiesBeforeLayer));
        var prunedTies = atThreshold.logical_and(tieRank.le(segments.PerPosition(owed)));
        return below.logical_or(prunedTies).logical_not().to(ScalarType.Float32);
    }

    /// <summary>0, 1, ..., <paramref name="count"/> − 1.</summary>
    internal static Tensor Arange(long count, ScalarType dtype, Device device)
    {
        // TorchSharp 0.107 passes a Scalar's native handle without keeping the Scalar alive, so one made implicitly can
        // be finalized (and freed) by a collection during the call. Scalars held by `using` live until the call returns.
        using var start = 0L.ToScalar();
        using var stop = count.ToScalar();
        using var step = 1L.ToScalar();
        return arange(start, stop, step, dtype, device);
    }
}

/// <summary>Layers laid one after another in a flat tensor of group values: per layer, its groups and the count to prune.</summary>
internal sealed class Segments
{
    private Tensor? _layerOfPosition;

    public Segments(long[] groups, long[] pruned, Device device)
    {
        Groups = groups;
        Pruned = pruned;
        Device = device;
        Starts = new long[groups.Length];
        for (var index = 0; index < groups.Length; index++)
        {
            Starts[index] = Total;
            Total += groups[index];
        }
    }

    /// <summary>Segments of the given flat tensors, in their order, on the first one's device.</summary>
    public static Segments Of(IReadOnlyList<Tensor> flatScores, long[] pruned) =>
        new(flatScores.Select(scores => scores.shape[0]).ToArray(), pruned, flatScores.Count == 0 ? CPU : flatScores[0].device);

    public int Count => Groups.Length;

    public long[] Groups { get; }

    public long[] Pruned { get; }

    public long[] Starts { get; }

    public long Total { get; }

    public Device Device { get; }

    /// <summary>The layer index of every position, as <paramref name="type"/> (int64 to index with).</summary>
    public Tensor LayerOfPosition(ScalarType type)
    {
        if (type == ScalarType.Int64 && _layerOfPosition is { IsInvalid: false } cached) return cached;
        var layers = Count == 1
            ? zeros(Total, dtype: type, device: Device)
            : TorchSelection.Arange(Count, type, Device).repeat_interleave(tensor(Groups, device: Device), dim: 0, output_size: Total);
        if (type == ScalarType.Int64) _layerOfPosition = layers;
        return layers;
    }

    /// <summary>Spreads one value per layer to every position of that layer (a one-layer batch broadcasts it).</summary>
    public Tensor PerPosition(Tensor perLayer) => Count == 1 ? perLayer : perLayer.index_select(0, LayerOfPosition(ScalarType.Int64));

    /// <inheritdoc cref="PerPosition(Tensor)"/>
    public Tensor PerPosition(long[] perLayer) => PerPosition(tensor(perLayer, device: Device));

    /// <summary>Layer <paramref name="index"/>'s slice of a flat per-group tensor.</summary>
    public Tensor Slice(Tensor flat, int index) => flat.narrow(0, Starts[index], Groups[index]);
}
