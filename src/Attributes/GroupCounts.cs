using System;
using System.Collections.Generic;

namespace PruneSharp;

/// <summary>
/// How many groups a granularity splits a weight into and how many of them a sparsity prunes: the counting half of the
/// mask rule (<c>docs/masks.md</c>). The runtime's selection and the generator's compile-time checks (PRUNE003, PRUNE022,
/// PRUNE025) both count with this file, which the generator compiles too, so they cannot disagree.
/// </summary>
internal static class GroupCounts
{
    /// <summary>
    /// Whether <paramref name="dims"/> reduce every dim of a weight of <paramref name="kind"/> (the dummy dim aside):
    /// the whole layer is one group (<see cref="Granularity.Layer"/>, or a <see cref="Granularity.Custom"/> tuple that names every dim).
    /// </summary>
    public static bool ReducesEveryWeightDim(LayerKind kind, ReducedDims dims)
    {
        var rank = Granularities.WeightRank(kind);
        for (var dim = 1; dim <= rank; dim++)
        {
            if (!dims.Contains(dim)) return false;
        }

        return rank > 0;
    }

    /// <summary>
    /// Whether the weight of a transposed convolution with <paramref name="convolutionGroups"/> groups is viewed as
    /// <c>[groups, in/groups, out/groups, k…]</c> with the group axis kept, so that an output unit is (group, index in
    /// group). The axis is kept for every granularity but those that make the whole layer one group.
    /// </summary>
    public static bool KeepsGroupAxis(LayerKind kind, ReducedDims dims, long convolutionGroups) =>
        convolutionGroups > 1 && Granularities.IsTransposed(kind) && !ReducesEveryWeightDim(kind, dims);

    /// <summary>
    /// The number of groups <paramref name="dims"/> split a weight of <paramref name="shape"/> into: the product of the
    /// kept dims' sizes, times the convolution groups where <see cref="KeepsGroupAxis"/> and the input axis is reduced.
    /// </summary>
    public static long Count(LayerKind kind, ReducedDims dims, IReadOnlyList<long> shape, long convolutionGroups)
    {
        long count = 1;
        for (var axis = 0; axis < shape.Count; axis++)
        {
            if (!dims.Contains(axis + 1)) count *= shape[axis];
        }

        // A transposed weight's axis 0 is its input channels: when they are reduced, the kept group axis still counts.
        if (KeepsGroupAxis(kind, dims, convolutionGroups) && dims.Contains(1)) count *= convolutionGroups;
        return count;
    }

    /// <summary><c>round-half-to-even(sparsity × groups)</c>, the product in float64: the groups a sparsity prunes before RoundTo.</summary>
    public static long Pruned(double sparsity, long groups) => (long)Math.Round(sparsity * groups, MidpointRounding.ToEven);

    /// <summary>Whether <paramref name="sparsity"/> would prune every one of <paramref name="groups"/> groups (local scope).</summary>
    public static bool RemovesEveryGroup(double sparsity, long groups) => Pruned(sparsity, groups) >= groups;

    /// <summary>
    /// The pruned count after RoundTo: when <paramref name="roundTo"/> is above 1, the kept count <c>groups − pruned</c>
    /// becomes <c>max(roundTo, roundTo × round-half-to-even(kept / roundTo))</c>, capped at <paramref name="groups"/>.
    /// </summary>
    public static long RoundedToMultiple(long pruned, long groups, int roundTo)
    {
        if (roundTo <= 1) return pruned;
        var kept = groups - pruned;
        var rounded = Math.Max(roundTo, roundTo * (long)Math.Round(kept / (double)roundTo, MidpointRounding.ToEven));
        return groups - Math.Min(rounded, groups);
    }

    /// <summary>The groups a global ranking over <paramref name="total"/> groups of <paramref name="layers"/> layers can prune: each layer keeps its best group.</summary>
    public static long GloballyPrunable(long total, int layers) => total - layers;

    /// <summary>Whether a global <paramref name="sparsity"/> would take some layer's last group.</summary>
    public static bool GlobalTakesLastGroups(double sparsity, long total, int layers) => Pruned(sparsity, total) > GloballyPrunable(total, layers);
}
