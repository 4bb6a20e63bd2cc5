using System;
using System.Linq;

namespace PruneSharp.Tests;

/// <summary>
/// The mask rule written as plainly as possible, independent of the engines under test: group index from
/// coordinates, float64 sums in element order, mean, a full sort by (score, index), prune the first
/// round-half-to-even(sparsity × groups).
/// </summary>
internal static class ReferenceMasks
{
    /// <summary>The mask (1 kept, 0 pruned), or null where the sparsity would remove every group.</summary>
    public static float[]? Compute(float[] weights, int[] shape, int[] reducedDims, double sparsity)
    {
        var rank = shape.Length;
        var kept = Enumerable.Range(1, rank).Where(dim => !reducedDims.Contains(dim)).ToArray();
        var groupCount = kept.Aggregate(1, (product, dim) => product * shape[dim - 1]);
        var groupSize = weights.Length / groupCount;

        var groupOf = new int[weights.Length];
        var sums = new double[groupCount];
        for (var flat = 0; flat < weights.Length; flat++)
        {
            var coordinates = new int[rank];
            var rest = flat;
            for (var axis = rank - 1; axis >= 0; axis--)
            {
                coordinates[axis] = rest % shape[axis];
                rest /= shape[axis];
            }

            var group = 0;
            foreach (var dim in kept) group = (group * shape[dim - 1]) + coordinates[dim - 1];
            groupOf[flat] = group;
            sums[group] += Math.Abs((double)weights[flat]);
        }

        var scores = sums.Select(sum => sum / groupSize).ToArray();
        var pruneCount = (int)Math.Round(sparsity * groupCount, MidpointRounding.ToEven);
        if (pruneCount >= groupCount) return null;

        var order = Enumerable.Range(0, groupCount).OrderBy(group => scores[group]).ThenBy(group => group).ToArray();
        var keep = Enumerable.Repeat(1f, groupCount).ToArray();
        foreach (var group in order.Take(pruneCount)) keep[group] = 0f;
        return groupOf.Select(group => keep[group]).ToArray();
    }

    /// <summary>The dims tuple of a granularity, as the seed table lists it.</summary>
    public static int[] Dims(LayerKind kind, Granularity granularity)
    {
        Assert.True(Granularities.TryGetReducedDims(kind, granularity, out var dims));
        return Enumerable.Range(0, ReducedDims.MaxDims).Where(dims.Contains).ToArray();
    }
}
