using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PruneSharp;

/// <content>
/// The span kernels: reducing element scores (and the existing mask) into group scores in one walk over the runs, and
/// expanding the kept groups back to every element of the mask.
/// </content>
public sealed partial class MaskPlan
{
    /// <summary>
    /// Reduces <paramref name="values"/> (element scores in the plan's layout) into one score per group: the sum or
    /// mean of the values (of their magnitudes when <paramref name="magnitudes"/> is set), in float64. Groups with an
    /// element that <paramref name="existingMask"/> (when not empty) already prunes score <c>-Inf</c>, so they are
    /// pruned first and masks only grow while the sparsity grows.
    /// </summary>
    /// <remarks>
    /// The geometry's kernel runs where it has one (<see cref="GroupKernels"/>); it also notes which groups the held
    /// mask keeps or prunes whole, so that <see cref="Expand"/> leaves them alone when their keep does not change. A held
    /// mask with a value other than 0 and 1 (never one PruneSharp wrote) takes the odometer walk, whose rule (a group's
    /// mask sum below its size) is the one the torch path applies.
    /// </remarks>
    internal void ScoreGroups(ReadOnlySpan<float> values, bool magnitudes, Reducer reducer, ReadOnlySpan<float> existingMask)
    {
        var divisor = reducer == Reducer.Mean ? (double)GroupSize : 1.0;
        var held = _heldStates.AsSpan();
        var scored = Kernel switch
        {
            MaskKernel.ContiguousGroups => magnitudes
                ? GroupKernels.ScoreContiguous<Magnitude>(values, existingMask, (int)GroupSize, divisor, _scores, held)
                : GroupKernels.ScoreContiguous<AsIs>(values, existingMask, (int)GroupSize, divisor, _scores, held),
            MaskKernel.RunsOf9 => magnitudes
                ? GroupKernels.ScoreRunsOf9<Magnitude>(values, existingMask, divisor, _scores, held)
                : GroupKernels.ScoreRunsOf9<AsIs>(values, existingMask, divisor, _scores, held),
            _ => false,
        };

        _heldStatesKnown = scored && !existingMask.IsEmpty;
        if (!scored) ScoreByWalk(values, magnitudes, reducer, existingMask);
    }

    /// <summary>The odometer walk over the segments: any layout, and a held mask of any values.</summary>
    private void ScoreByWalk(ReadOnlySpan<float> values, bool magnitudes, Reducer reducer, ReadOnlySpan<float> existingMask)
    {
        var scores = _scores.AsSpan();
        var kept = _selection.AsSpan();
        ReduceRuns(values, magnitudes, scores, existingMask, kept);
        if (reducer == Reducer.Mean && GroupSize > 1)
        {
            var divisor = (double)GroupSize;
            for (var index = 0; index < scores.Length; index++) scores[index] /= divisor;
        }

        if (existingMask.IsEmpty) return;

        // A mask holds only 0 and 1, so its sum over a group falls short of the group size exactly when the group
        // holds a pruned element; the sums are exact in float64. A NaN score stays NaN so that the caller reports it.
        // Vector selects, not branches: which groups the mask pruned is as unpredictable as the weights.
        var group = 0;
        double groupSize = GroupSize;
        if (Vector.IsHardwareAccelerated)
        {
            var full = new Vector<double>(groupSize);
            var negativeInfinity = new Vector<double>(double.NegativeInfinity);
            ref var score = ref MemoryMarshal.GetReference(scores);
            ref var keptSum = ref MemoryMarshal.GetReference(kept);
            for (; group <= scores.Length - Vector<double>.Count; group += Vector<double>.Count)
            {
                var current = Vector.LoadUnsafe(ref score, (nuint)group);
                var pruned = Vector.LessThan(Vector.LoadUnsafe(ref keptSum, (nuint)group), full) & Vector.Equals(current, current);
                Vector.ConditionalSelect(pruned, negativeInfinity, current).StoreUnsafe(ref score, (nuint)group);
            }
        }

        for (; group < scores.Length; group++)
        {
            if (kept[group] < groupSize && !double.IsNaN(scores[group])) scores[group] = double.NegativeInfinity;
        }
    }

    /// <summary>
    /// Sums <paramref name="values"/> (or their magnitudes) into <paramref name="sums"/> per group and, when
    /// <paramref name="mask"/> is not empty, the mask into <paramref name="maskSums"/> in the same walk over the runs:
    /// for short runs (a 3×3 kernel) the walk, not the memory, is most of the cost.
    /// </summary>
    private void ReduceRuns(ReadOnlySpan<float> values, bool magnitudes, Span<double> sums, ReadOnlySpan<float> mask, Span<double> maskSums)
    {
        var withMask = !mask.IsEmpty;
        sums.Clear();
        if (withMask) maskSums.Clear();
        var runLength = _innerSegmentSize;
        var runs = values.Length / runLength;
        var odometer = new RunOdometer(_segmentSizes.AsSpan(0, _segmentSizes.Length - 1), _segmentGroupStrides.AsSpan(0, _segmentSizes.Length - 1), _odometer);
        var run = 0;
        if (_innerSegmentReduced && runLength < ShortRun)
        {
            // Four short runs at a time: four independent float64 addition chains instead of one long one, so the
            // adds overlap instead of waiting on each other's latency.
            for (; run + 4 <= runs; run += 4)
            {
                var first = values.Slice(run * runLength, 4 * runLength);
                double a = 0, b = 0, c = 0, d = 0;
                for (var index = 0; index < runLength; index++)
                {
                    float va = first[index], vb = first[runLength + index], vc = first[(2 * runLength) + index], vd = first[(3 * runLength) + index];
                    if (magnitudes)
                    {
                        va = Math.Abs(va);
                        vb = Math.Abs(vb);
                        vc = Math.Abs(vc);
                        vd = Math.Abs(vd);
                    }

                    a += va;
                    b += vb;
                    c += vc;
                    d += vd;
                }

                // Mask sums of at most 15 ones are exact in float32.
                float ma = 0, mb = 0, mc = 0, md = 0;
                if (withMask)
                {
                    var masks = mask.Slice(run * runLength, 4 * runLength);
                    for (var index = 0; index < runLength; index++)
                    {
                        ma += masks[index];
                        mb += masks[runLength + index];
                        mc += masks[(2 * runLength) + index];
                        md += masks[(3 * runLength) + index];
                    }
                }

                AddRun(sums, maskSums, withMask, ref odometer, a, ma);
                AddRun(sums, maskSums, withMask, ref odometer, b, mb);
                AddRun(sums, maskSums, withMask, ref odometer, c, mc);
                AddRun(sums, maskSums, withMask, ref odometer, d, md);
            }
        }

        for (; run < runs; run++)
        {
            var group = odometer.Group;
            var runValues = values.Slice(run * runLength, runLength);
            var runMask = withMask ? mask.Slice(run * runLength, runLength) : default;
            if (_innerSegmentReduced)
            {
                // Short runs (a 3×3 kernel) lose more to vector setup and the horizontal sum than they gain.
                sums[group] += runLength < ShortRun ? ShortSum(runValues, magnitudes) : Sum(runValues, magnitudes);
                if (withMask) maskSums[group] += runLength < ShortRun ? ShortSum(runMask, magnitudes: false) : Sum(runMask, magnitudes: false);
            }
            else
            {
                Add(runValues, magnitudes, sums.Slice(group, runLength));
                if (withMask) Add(runMask, magnitudes: false, maskSums.Slice(group, runLength));
            }

            odometer.Advance();
        }
    }

    /// <summary>Adds one run's sums to its group and moves to the next run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRun(Span<double> sums, Span<double> maskSums, bool withMask, ref RunOdometer odometer, double sum, float maskSum)
    {
        sums[odometer.Group] += sum;
        if (withMask) maskSums[odometer.Group] += maskSum;
        odometer.Advance();
    }

    /// <summary>
    /// Writes <see cref="KeptGroups"/> out to every element of <paramref name="mask"/>. When <paramref name="maskIsHeld"/>
    /// (the mask is the one the last <see cref="ScoreGroups"/> read), groups it already keeps or prunes whole, as they are
    /// to be now, are not written again: in a growing schedule most of them.
    /// </summary>
    internal void Expand(Span<float> mask, bool maskIsHeld)
    {
        var held = maskIsHeld && _heldStatesKnown ? _heldStates : default(ReadOnlySpan<byte>);
        switch (Kernel)
        {
            case MaskKernel.ContiguousGroups:
                GroupKernels.ExpandContiguous(_keep, held, (int)GroupSize, mask);
                return;
            case MaskKernel.RunsOf9 when GroupKernels.ExpandRunsOf9(_keep, held, mask):
                return;
        }

        var keep = _keep.AsSpan();
        var runLength = _innerSegmentSize;
        var runs = mask.Length / runLength;
        var odometer = new RunOdometer(_segmentSizes.AsSpan(0, _segmentSizes.Length - 1), _segmentGroupStrides.AsSpan(0, _segmentSizes.Length - 1), _odometer);
        for (var run = 0; run < runs; run++)
        {
            var group = odometer.Group;
            var target = mask.Slice(run * runLength, runLength);
            if (_innerSegmentReduced)
            {
                var value = keep[group];
                if (runLength >= Vector<float>.Count && runLength < 2 * Vector<float>.Count)
                {
                    // Two overlapping vector stores cover a run of one to two vectors without a loop.
                    ref var start = ref MemoryMarshal.GetReference(target);
                    var fill = new Vector<float>(value);
                    fill.StoreUnsafe(ref start);
                    fill.StoreUnsafe(ref start, (nuint)(runLength - Vector<float>.Count));
                }
                else if (runLength < ShortRun)
                {
                    for (var index = 0; index < target.Length; index++) target[index] = value;
                }
                else
                {
                    target.Fill(value);
                }
            }
            else
            {
                keep.Slice(group, runLength).CopyTo(target);
            }

            odometer.Advance();
        }
    }

    /// <summary>Sum of x, or of |x| when <paramref name="magnitudes"/> is set, accumulated in float64.</summary>
    internal static double Sum(ReadOnlySpan<float> values, bool magnitudes)
    {
        var index = 0;
        var total = 0.0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            var low = Vector<double>.Zero;
            var high = Vector<double>.Zero;
            ref var start = ref MemoryMarshal.GetReference(values);
            for (; index <= values.Length - Vector<float>.Count; index += Vector<float>.Count)
            {
                var loaded = Vector.LoadUnsafe(ref start, (nuint)index);
                Vector.Widen(magnitudes ? Vector.Abs(loaded) : loaded, out var lowHalf, out var highHalf);
                low += lowHalf;
                high += highHalf;
            }

            total = Vector.Sum(low + high);
        }

        for (; index < values.Length; index++) total += magnitudes ? Math.Abs(values[index]) : values[index];
        return total;
    }

    /// <summary>Runs shorter than this are summed and filled with plain loops.</summary>
    private const int ShortRun = MaskGeometry.ShortRun;

    /// <summary>Sum of x (or |x|) in float64 with two accumulators, for runs too short to vectorize well.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ShortSum(ReadOnlySpan<float> values, bool magnitudes)
    {
        double even = 0, odd = 0;
        var index = 0;
        for (; index + 1 < values.Length; index += 2)
        {
            even += magnitudes ? Math.Abs(values[index]) : values[index];
            odd += magnitudes ? Math.Abs(values[index + 1]) : values[index + 1];
        }

        if (index < values.Length) even += magnitudes ? Math.Abs(values[index]) : values[index];
        return even + odd;
    }

    /// <summary>scores[i] += values[i] (or |values[i]| when <paramref name="magnitudes"/> is set), in float64.</summary>
    internal static void Add(ReadOnlySpan<float> values, bool magnitudes, Span<double> scores)
    {
        var index = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            ref var source = ref MemoryMarshal.GetReference(values);
            ref var target = ref MemoryMarshal.GetReference(scores);
            for (; index <= values.Length - Vector<float>.Count; index += Vector<float>.Count)
            {
                var loaded = Vector.LoadUnsafe(ref source, (nuint)index);
                Vector.Widen(magnitudes ? Vector.Abs(loaded) : loaded, out var lowHalf, out var highHalf);
                var lowAt = (nuint)index;
                var highAt = (nuint)(index + Vector<double>.Count);
                (Vector.LoadUnsafe(ref target, lowAt) + lowHalf).StoreUnsafe(ref target, lowAt);
                (Vector.LoadUnsafe(ref target, highAt) + highHalf).StoreUnsafe(ref target, highAt);
            }
        }

        for (; index < values.Length; index++) scores[index] += magnitudes ? Math.Abs(values[index]) : values[index];
    }
}
