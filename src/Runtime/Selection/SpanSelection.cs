using System;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PruneSharp;

/// <summary>
/// The selection rule on the CPU, over spans: prune the <c>pruned</c> lowest scores, lower index first among equals.
/// Every CPU caller selects here: a layer's groups (<see cref="SelectLowest"/>), a global ranking over many layers
/// (<see cref="SelectGlobal"/>), the element-wise magnitude case (<see cref="MaskLowestMagnitudes"/>, on float32 keys)
/// and N:M runs (<see cref="NOfMPlan"/>, the same order within runs of M). No NaN may reach it: scoring reports them.
/// </summary>
internal static class SpanSelection
{
    /// <summary>
    /// Writes 1 into <paramref name="keep"/> for each kept group and 0 for the <paramref name="pruned"/> lowest
    /// <paramref name="scores"/> (ties: lower index first). <paramref name="scratch"/> holds at least as many doubles as
    /// there are scores, and is not <paramref name="scores"/>. Allocates nothing.
    /// </summary>
    public static void SelectLowest(ReadOnlySpan<double> scores, int pruned, Span<float> keep, Span<double> scratch)
    {
        if (pruned == 0)
        {
            keep.Fill(1f);
            return;
        }

        // The steady state of training: the existing mask's groups score -Inf, the lowest key, and there are at least as
        // many of them as groups to prune (the sparsity did not grow). The threshold is then -Inf and its lowest flat
        // indices go; a selection over keys that are nearly all equal would be the slowest case of the radix passes.
        var alreadyPruned = CountNegativeInfinity(scores);
        if (alreadyPruned == pruned)
        {
            for (var group = 0; group < scores.Length; group++)
            {
                keep[group] = double.IsNegativeInfinity(scores[group]) ? 0 : 1; // an integer select, without a branch
            }

            return;
        }

        if (alreadyPruned > pruned)
        {
            keep.Fill(1f);
            var left = pruned;
            for (var group = 0; left > 0; group++)
            {
                if (double.IsNegativeInfinity(scores[group]))
                {
                    keep[group] = 0f;
                    left--;
                }
            }

            return;
        }

        if (scores.Length >= SampledSelect.MinimumCount && SampledSelect.TryFindNth(scores, pruned - 1, scratch, out var nth, out var underNth))
        {
            KeepAbove(scores, nth, pruned - underNth, keep);
            return;
        }

        var (threshold, below) = scores.Length < RadixSelect.MinimumCount
            ? RadixSelect.NthKeyBySelection(scores, pruned - 1, scratch)
            : RadixSelect.NthKey(scores, pruned - 1, MemoryMarshal.Cast<double, int>(scratch));

        // Every group below the threshold goes; of the groups at it, the lowest flat indices go first. The first pass
        // has no data-dependent branch but the rare one at the threshold, which it records for the second.
        var tiesToPrune = pruned - below;
        var atThreshold = MemoryMarshal.Cast<double, int>(scratch);
        var tieCount = 0;
        for (var group = 0; group < scores.Length; group++)
        {
            var key = RadixSelect.Key(scores[group]);
            keep[group] = key >= threshold ? 1 : 0; // an integer select, which compiles without a branch
            if (key == threshold) atThreshold[tieCount++] = group;
        }

        for (var tie = 0; tie < tiesToPrune; tie++) keep[atThreshold[tie]] = 0f;
    }

    /// <summary>
    /// Keeps the groups scoring above <paramref name="threshold"/> and prunes those below it; of the groups at it, the
    /// first <paramref name="tiesToPrune"/> in index order are pruned. One vectorized pass.
    /// </summary>
    private static void KeepAbove(ReadOnlySpan<double> scores, double threshold, int tiesToPrune, Span<float> keep)
    {
        var group = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var thresholds = Vector256.Create(threshold);
            ref var score = ref MemoryMarshal.GetReference(scores);
            ref var target = ref MemoryMarshal.GetReference(keep);
            for (; group + 8 <= scores.Length; group += 8)
            {
                var low = Vector256.LoadUnsafe(ref score, (nuint)group);
                var high = Vector256.LoadUnsafe(ref score, (nuint)(group + 4));
                var kept = Vector256.Narrow(
                    Vector256.ConditionalSelect(Vector256.GreaterThan(low, thresholds), Vector256<double>.One, Vector256<double>.Zero),
                    Vector256.ConditionalSelect(Vector256.GreaterThan(high, thresholds), Vector256<double>.One, Vector256<double>.Zero));
                var ties = Vector256.Equals(low, thresholds).ExtractMostSignificantBits() | (Vector256.Equals(high, thresholds).ExtractMostSignificantBits() << 4);
                while (ties != 0)
                {
                    // A tie is pruned while ties are owed, kept after.
                    var lane = BitOperations.TrailingZeroCount(ties);
                    ties &= ties - 1;
                    if (tiesToPrune > 0) tiesToPrune--;
                    else kept = kept.WithElement(lane, 1f);
                }

                kept.StoreUnsafe(ref target, (nuint)group);
            }
        }

        for (; group < scores.Length; group++)
        {
            var value = scores[group];
            if (value > threshold) keep[group] = 1f;
            else if (value < threshold) keep[group] = 0f;
            else if (tiesToPrune > 0)
            {
                keep[group] = 0f;
                tiesToPrune--;
            }
            else
            {
                keep[group] = 1f;
            }
        }
    }

    /// <summary>
    /// A global ranking: <paramref name="scores"/> holds the group scores of several layers one after another, layer
    /// <c>l</c> at <c>[starts[l], starts[l + 1])</c>. Each layer's best group (the last in its (score, index) order) is
    /// set aside and kept; of the rest, the <paramref name="pruned"/> lowest in (score, layer, index) order are pruned,
    /// which is (score, position) order. Writes 1/0 per position into <paramref name="keep"/>.
    /// </summary>
    /// <remarks>A per-layer score normalization (LAMP, for instance) is the caller's: it transforms each layer's
    /// slice of <paramref name="scores"/> before this ranking, which compares the values as they are.</remarks>
    public static void SelectGlobal(ReadOnlySpan<double> scores, ReadOnlySpan<int> starts, int pruned, Span<float> keep)
    {
        var layers = starts.Length - 1;
        var best = new int[layers];
        for (var layer = 0; layer < layers; layer++)
        {
            var first = starts[layer];
            var at = first;
            for (var position = first + 1; position < starts[layer + 1]; position++)
            {
                // The order puts equal scores by index, so the best is the last of the highest: >=, not >.
                if (RadixSelect.Key(scores[position]) >= RadixSelect.Key(scores[at])) at = position;
            }

            best[layer] = at;
        }

        // The candidates keep their relative order, so (score, position among candidates) is (score, layer, index).
        var candidates = new double[scores.Length - layers];
        var next = 0;
        for (var layer = 0; layer < layers; layer++)
        {
            for (var position = starts[layer]; position < starts[layer + 1]; position++)
            {
                if (position != best[layer]) candidates[next++] = scores[position];
            }
        }

        var candidateKeep = new float[candidates.Length];
        SelectLowest(candidates, pruned, candidateKeep, new double[candidates.Length + Vector512<double>.Count]);
        next = 0;
        for (var layer = 0; layer < layers; layer++)
        {
            for (var position = starts[layer]; position < starts[layer + 1]; position++)
            {
                keep[position] = position == best[layer] ? 1f : candidateKeep[next++];
            }
        }
    }

    /// <summary>
    /// The element-wise magnitude case (every group one weight, scored by its magnitude): the selection runs on float32
    /// keys and writes <paramref name="mask"/> directly (see <see cref="RadixSelect.TryFindMagnitudeThreshold"/>).
    /// <paramref name="scratch"/> is a plan's selection scratch (two ints per element).
    /// </summary>
    /// <returns>False, writing nothing, when a value is NaN.</returns>
    public static bool MaskLowestMagnitudes(ReadOnlySpan<float> values, ReadOnlySpan<float> existingMask, int pruned, Span<double> scratch, Span<float> mask) =>
        RadixSelect.MaskLowestMagnitudes(values, existingMask, pruned, MemoryMarshal.Cast<double, int>(scratch), mask);

    /// <inheritdoc cref="RadixSelect.TryFindMagnitudeThreshold"/>
    public static bool TryFindMagnitudeThreshold(ReadOnlySpan<float> values, ReadOnlySpan<float> existingMask, int pruned, Span<double> scratch, out MagnitudeThreshold threshold) =>
        RadixSelect.TryFindMagnitudeThreshold(values, existingMask, pruned, MemoryMarshal.Cast<double, int>(scratch), out threshold);

    private static int CountNegativeInfinity(ReadOnlySpan<double> scores)
    {
        var count = 0;
        var index = 0;
        if (Vector.IsHardwareAccelerated && scores.Length >= Vector<double>.Count)
        {
            var negativeInfinity = new Vector<double>(double.NegativeInfinity);
            var counts = Vector<long>.Zero;
            ref var start = ref MemoryMarshal.GetReference(scores);
            for (; index <= scores.Length - Vector<double>.Count; index += Vector<double>.Count)
            {
                // Equal lanes are all ones, that is -1: subtracting counts them.
                counts -= Vector.Equals(Vector.LoadUnsafe(ref start, (nuint)index), negativeInfinity);
            }

            count = (int)Vector.Sum(counts);
        }

        for (; index < scores.Length; index++)
        {
            if (double.IsNegativeInfinity(scores[index])) count++;
        }

        return count;
    }
}
