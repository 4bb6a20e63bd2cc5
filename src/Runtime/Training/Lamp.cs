using System;
using System.Buffers;
using System.Collections.Generic;

namespace PruneSharp.Training;

/// <summary>
/// Layer-adaptive magnitude pruning (LAMP, Lee et al., ICLR 2021): a normalization of each layer's magnitude scores
/// that makes them comparable across layers, so that one global ranking gives every layer its own sparsity and small
/// layers are not emptied first.
/// </summary>
/// <remarks>
/// <para>
/// The paper's definition: sort a layer's weights so that <c>u &lt; v</c> implies <c>|W[u]| ≤ |W[v]|</c>; the LAMP
/// score of weight <c>u</c> is <c>W[u]² / Σ_{v ≥ u} W[v]²</c>. A layer's largest weight scores 1, and pruning the
/// lowest LAMP scores over all layers at once prunes each layer as far as its own distribution allows. PruneSharp
/// applies it to the granularity's groups: <c>W[u]</c> is a group's magnitude score (mean <c>|w|</c>, exactly
/// <c>|w|</c> at <see cref="Granularity.Weight"/>, where it is the paper's score), and ties are ordered as the mask
/// rule orders them, lower flat index first.
/// </para>
/// <para>
/// <see cref="Allocate(IPrunableModule, double)"/> runs LAMP's global ranking and returns its result as per-layer
/// sparsities, which local pruning and per-layer <see cref="Sparsifier"/> schedules use as they are.
/// <see cref="Normalize(string, ReadOnlySpan{double}, Span{double})"/> is the pure normalization, for a global ranking
/// over group scores to call.
/// </para>
/// </remarks>
public static class Lamp
{
    /// <summary>
    /// Writes the LAMP score of each group of one layer: <c>s[u]² / Σ_{v ≥ u} s[v]²</c> in the order of increasing
    /// score (ties: lower index first). The layer's best group (last in that order) scores 1; a group whose tail sum
    /// is 0 (it and every group after it score 0) scores 0, the best group excepted. A group scored <c>-Inf</c>
    /// (already pruned by a mask, as the mask rule scores it) keeps <c>-Inf</c>, so it ranks first, and adds nothing
    /// to the other groups' tail sums.
    /// </summary>
    /// <param name="layerName">The layer, for error messages.</param>
    /// <param name="scores">The groups' magnitude scores, in flat group order: each finite and not negative, or <c>-Inf</c>.</param>
    /// <param name="lampScores">Receives the LAMP scores, one per group, in the same order.</param>
    /// <exception cref="ArgumentException">The spans' lengths differ, or a score is NaN, negative or <c>+Inf</c>.</exception>
    public static void Normalize(string layerName, ReadOnlySpan<double> scores, Span<double> lampScores)
    {
        ArgumentNullException.ThrowIfNull(layerName);
        if (lampScores.Length != scores.Length)
        {
            throw new ArgumentException($"Layer '{layerName}': {scores.Length} scores but room for {lampScores.Length} LAMP scores.", nameof(lampScores));
        }

        var invalid = FirstInvalid(scores);
        if (invalid >= 0)
        {
            throw new ArgumentException($"Layer '{layerName}': {InvalidScoreMessage(invalid, scores[invalid])}", nameof(scores));
        }

        if (scores.Length == 0) return;
        var keys = ArrayPool<double>.Shared.Rent(scores.Length);
        var order = ArrayPool<int>.Shared.Rent(scores.Length);
        try
        {
            var sortedKeys = keys.AsSpan(0, scores.Length);
            var sortedOrder = order.AsSpan(0, scores.Length);
            scores.CopyTo(sortedKeys);
            for (var index = 0; index < sortedOrder.Length; index++) sortedOrder[index] = index;
            sortedKeys.Sort(sortedOrder);
            // The sort is not stable: among equal scores, put the lower index first, as the mask rule does.
            for (var start = 0; start < sortedKeys.Length;)
            {
                var end = start + 1;
                while (end < sortedKeys.Length && sortedKeys[end] == sortedKeys[start]) end++;
                if (end - start > 1) sortedOrder[start..end].Sort();
                start = end;
            }

            var tail = 0.0;
            for (var position = sortedKeys.Length - 1; position >= 0; position--)
            {
                var score = sortedKeys[position];
                var group = sortedOrder[position];
                if (score == double.NegativeInfinity)
                {
                    lampScores[group] = double.NegativeInfinity;
                    continue;
                }

                var square = score * score;
                tail += square;
                lampScores[group] = position == sortedKeys.Length - 1 ? 1.0 : tail > 0.0 ? square / tail : 0.0;
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(keys);
            ArrayPool<int>.Shared.Return(order);
        }
    }

    /// <summary>The first group whose score LAMP cannot normalize (NaN, negative or <c>+Inf</c>; <c>-Inf</c> is a pruned group), or -1.</summary>
    internal static int FirstInvalid(ReadOnlySpan<double> scores)
    {
        for (var index = 0; index < scores.Length; index++)
        {
            var score = scores[index];
            if (!(score >= 0.0 && score < double.PositiveInfinity) && score != double.NegativeInfinity) return index;
        }

        return -1;
    }

    /// <summary>Why LAMP cannot normalize group <paramref name="group"/>'s <paramref name="score"/>: every caller's error, after the layer's name.</summary>
    internal static string InvalidScoreMessage(long group, double score) =>
        $"group {group} scores {score.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}; LAMP normalizes magnitudes, which are finite and not negative (or -Inf for a group a mask already prunes).";

    /// <summary>The LAMP scores of <paramref name="scores"/> (see <see cref="Normalize(string, ReadOnlySpan{double}, Span{double})"/>).</summary>
    /// <exception cref="ArgumentException">A score is NaN, negative or <c>+Inf</c>.</exception>
    public static double[] Normalize(string layerName, ReadOnlySpan<double> scores)
    {
        var result = new double[scores.Length];
        Normalize(layerName, scores, result);
        return result;
    }

    /// <summary>
    /// The LAMP scores of <paramref name="layer"/>'s groups from its current weights: the mask rule's magnitude score
    /// of each group (mean <c>|w|</c>; <c>-Inf</c> where the layer's mask already prunes it), normalized.
    /// </summary>
    /// <exception cref="ArgumentException">The layer uses N:M, or is a grouped transposed convolution.</exception>
    /// <exception cref="PruningException">A weight is NaN.</exception>
    public static double[] Scores(PrunedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        LayerGroups.CheckSupported([layer], "LAMP", nameof(layer));
        return Normalize(layer.Name, LayerGroups.MagnitudeScores(layer));
    }

    /// <summary>
    /// LAMP's global ranking as per-layer sparsities: the groups of all of <paramref name="model"/>'s pruned layers,
    /// ranked by LAMP score, are pruned lowest first until the pruned weights come nearest to
    /// <paramref name="targetSparsity"/> of all their weights. Each layer keeps its best group.
    /// </summary>
    /// <param name="model">The model; its pruned layers are allocated.</param>
    /// <param name="targetSparsity">The model-wide sparsity: the fraction of the pruned layers' weights to prune, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">The target is not in [0, 1].</exception>
    /// <exception cref="ArgumentException">A layer uses N:M or is a grouped transposed convolution.</exception>
    /// <exception cref="PruningException">A weight is NaN, or the target would take a layer's last group.</exception>
    public static SparsityAllocation Allocate(IPrunableModule model, double targetSparsity)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Allocate(model.PrunedLayers, targetSparsity);
    }

    /// <summary>LAMP's global ranking over <paramref name="layers"/> (see <see cref="Allocate(IPrunableModule, double)"/>).</summary>
    public static SparsityAllocation Allocate(IReadOnlyList<PrunedLayer> layers, double targetSparsity)
    {
        LayerGroups.CheckSupported(layers, "LAMP", nameof(layers));
        SparsityAllocation.CheckTarget(targetSparsity, nameof(targetSparsity));
        var lamp = new double[layers.Count][];
        var groupSizes = new long[layers.Count];
        long total = 0;
        var candidates = new List<(double Score, int Layer, int Group)>();
        for (var index = 0; index < layers.Count; index++)
        {
            var layer = layers[index];
            var scores = LayerGroups.MagnitudeScores(layer);
            lamp[index] = Normalize(layer.Name, scores);
            var weights = layer.Weight.numel();
            groupSizes[index] = weights / scores.Length;
            total += weights;

            // The best group, the one the order (score, flat index) puts last, never competes, as under global scope.
            var best = 0;
            for (var group = 1; group < scores.Length; group++)
            {
                if (scores[group] >= scores[best]) best = group;
            }

            for (var group = 0; group < scores.Length; group++)
            {
                if (group != best) candidates.Add((lamp[index][group], index, group));
            }
        }

        // Ties prune the earlier layer, then the lower flat index, first: the tuple order.
        candidates.Sort();
        var goal = targetSparsity * total;
        double removed = 0;
        var pruned = new long[layers.Count];
        var exhausted = true;
        foreach (var (_, layer, _) in candidates)
        {
            var next = removed + groupSizes[layer];
            if (Math.Abs(next - goal) >= Math.Abs(removed - goal))
            {
                exhausted = false;
                break;
            }

            removed = next;
            pruned[layer]++;
        }

        // Every candidate pruned and still short of the goal by at least half a weight: the target is out of reach.
        if (exhausted && goal - removed >= 0.5)
        {
            throw new PruningException("(global)", $"model-wide sparsity {targetSparsity} would prune {goal:0} of {total} weights, but every one of the {layers.Count} layers keeps at least its best group; at most {removed / total:0.####} is possible.");
        }

        var allocation = new LayerAllocation[layers.Count];
        for (var index = 0; index < allocation.Length; index++)
        {
            allocation[index] = new LayerAllocation(layers[index].Name, lamp[index].Length, pruned[index], layers[index].Weight.numel());
        }

        return new SparsityAllocation(allocation, targetSparsity, predictedScoreDrop: null);
    }
}
