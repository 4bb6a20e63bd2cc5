using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PruneSharp;

/// <summary>
/// Computes magnitude masks on the CPU for one weight shape and one set of reduced dims, over spans.
/// Everything it needs per update is allocated once, when the plan is created: a warm
/// <see cref="Compute"/> allocates nothing on the managed heap.
/// </summary>
/// <remarks>
/// <para>The rule, shared with <see cref="TorchMaskEngine"/> and documented in <c>docs/masks.md</c>:</para>
/// <list type="number">
/// <item>Each group's score is the mean of <c>|w|</c> over the reduced dims of the weight with a leading dummy dim,
/// accumulated in float64 (every float32 is exact in float64) and divided by the group size in float64.</item>
/// <item><c>round-half-to-even(sparsity × groups)</c> groups are pruned: the lowest scores first, and among equal
/// scores the lower flat group index first. <c>+Inf</c> ranks highest; a NaN weight is an error.</item>
/// <item>A sparsity that would prune every group is an error.</item>
/// </list>
/// <para>
/// The weight's dims are walked as segments: adjacent dims that are both reduced or both kept are merged, and
/// dims of size 1 are dropped, so the innermost loop runs over the longest contiguous stretch of memory.
/// </para>
/// </remarks>
public sealed class MaskPlan
{
    private readonly int[] _shape;
    private readonly int[] _segmentSizes;
    private readonly int[] _segmentGroupStrides;
    private readonly bool _innerSegmentReduced;
    private readonly int _innerSegmentSize;
    private readonly double[] _scores;
    private readonly double[] _selection;
    private readonly int[] _odometer;
    private readonly float[] _keep;

    private MaskPlan(string layerName, int[] shape, ReducedDims dims, int[] segmentSizes, bool[] segmentReduced, int groupCount, long groupSize)
    {
        LayerName = layerName;
        _shape = shape;
        ReducedDims = dims;
        GroupCount = groupCount;
        GroupSize = groupSize;
        ElementCount = groupCount * groupSize;

        _segmentSizes = segmentSizes;
        _segmentGroupStrides = new int[segmentSizes.Length];
        var stride = 1;
        for (var segment = segmentSizes.Length - 1; segment >= 0; segment--)
        {
            if (segmentReduced[segment]) continue;
            _segmentGroupStrides[segment] = stride;
            stride *= segmentSizes[segment];
        }

        _innerSegmentReduced = segmentReduced[^1];
        _innerSegmentSize = segmentSizes[^1];
        _scores = new double[groupCount];
        _selection = new double[groupCount];
        _odometer = new int[segmentSizes.Length - 1];
        _keep = new float[groupCount];
    }

    /// <summary>The layer the plan computes masks for; every error names it.</summary>
    public string LayerName { get; }

    /// <summary>The weight's shape.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The dims scores are reduced over (dummy dim = 0).</summary>
    public ReducedDims ReducedDims { get; }

    /// <summary>The number of groups the granularity splits the weight into.</summary>
    public int GroupCount { get; }

    /// <summary>The number of weight elements in each group.</summary>
    public long GroupSize { get; }

    /// <summary>The number of weight elements.</summary>
    public long ElementCount { get; }

    /// <summary>The scores of the last <see cref="Compute"/>, one per group, in flat group order.</summary>
    public ReadOnlySpan<double> Scores => _scores;

    /// <summary>Creates a plan for a weight of <paramref name="shape"/> reduced over <paramref name="dims"/>.</summary>
    /// <exception cref="PruningException">The shape is empty, has a zero dim, is too large for spans, or
    /// <paramref name="dims"/> names a dim past the weight's rank.</exception>
    public static MaskPlan Create(string layerName, ReadOnlySpan<int> shape, ReducedDims dims)
    {
        ArgumentNullException.ThrowIfNull(layerName);
        if (shape.Length == 0)
        {
            throw new PruningException(layerName, "the weight has no dims; a mask needs a weight of rank 1 or more.");
        }

        if (dims.IsEmpty || dims.MaxDim > shape.Length)
        {
            throw new PruningException(layerName, $"reduced dims {dims} do not fit a weight of rank {shape.Length} (with the leading dummy dim, dims run from 0 to {shape.Length}).");
        }

        long groups = 1, groupSize = 1;
        Span<int> sizes = stackalloc int[shape.Length];
        Span<bool> reduced = stackalloc bool[shape.Length];
        var segmentCount = 0;
        for (var axis = 0; axis < shape.Length; axis++)
        {
            var size = shape[axis];
            if (size <= 0)
            {
                throw new PruningException(layerName, $"the weight has shape {FormatShape(shape)}: an empty weight has nothing to prune.");
            }

            var isReduced = dims.Contains(axis + 1);
            if (isReduced) groupSize *= size;
            else groups *= size;

            if (groups * groupSize > int.MaxValue)
            {
                throw new PruningException(layerName, $"the weight has shape {FormatShape(shape)}, more than {int.MaxValue} elements; the CPU path works on spans of at most that many.");
            }

            // A dim of size 1 adds nothing to a group's index or size: dropping it lengthens the runs.
            if (size == 1) continue;
            if (segmentCount > 0 && reduced[segmentCount - 1] == isReduced)
            {
                sizes[segmentCount - 1] *= size;
            }
            else
            {
                sizes[segmentCount] = size;
                reduced[segmentCount] = isReduced;
                segmentCount++;
            }
        }

        if (segmentCount == 0)
        {
            sizes[0] = 1;
            reduced[0] = false;
            segmentCount = 1;
        }

        return new MaskPlan(layerName, shape.ToArray(), dims, sizes[..segmentCount].ToArray(), reduced[..segmentCount].ToArray(), (int)groups, groupSize);
    }

    /// <summary>
    /// Computes the mask of <paramref name="weight"/> (row-major, of the plan's shape) at <paramref name="sparsity"/>
    /// into <paramref name="mask"/>: 1 where a weight is kept, 0 where it is pruned.
    /// </summary>
    /// <returns>The number of groups pruned.</returns>
    /// <exception cref="ArgumentException">A span's length is not the plan's element count.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1].</exception>
    /// <exception cref="PruningException">A weight is NaN, or the sparsity would prune every group.</exception>
    public int Compute(ReadOnlySpan<float> weight, double sparsity, Span<float> mask)
    {
        if (weight.Length != ElementCount)
        {
            throw new ArgumentException($"Layer '{LayerName}': the weight span has {weight.Length} elements; shape {FormatShape(_shape)} has {ElementCount}.", nameof(weight));
        }

        if (mask.Length != ElementCount)
        {
            throw new ArgumentException($"Layer '{LayerName}': the mask span has {mask.Length} elements; shape {FormatShape(_shape)} has {ElementCount}.", nameof(mask));
        }

        var pruned = PrunedGroupCount(LayerName, sparsity, GroupCount, ReducedDims);
        if (IsElementwise)
        {
            if (!ComputeElementwiseMagnitudes(weight, existingMask: default, pruned, mask)) throw new PruningException(LayerName, NaNWeightMessage(FirstNaN(weight), _shape));
            return pruned;
        }

        ScoreGroups(weight, magnitudes: true, Reducer.Mean, existingMask: default);
        ThrowIfAnyScoreIsNaN(weight);
        SelectLowest(pruned);
        Expand(mask);
        return pruned;
    }

    /// <summary>
    /// The number of groups pruned at <paramref name="sparsity"/>: <c>round-half-to-even(sparsity × groups)</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is NaN or not in [0, 1].</exception>
    /// <exception cref="PruningException">The count would be every group.</exception>
    public static int PrunedGroupCount(string layerName, double sparsity, long groups, ReducedDims dims) =>
        PrunedGroupCount(layerName, sparsity, groups, dims, roundTo: 0);

    /// <summary>
    /// The number of groups pruned at <paramref name="sparsity"/>: <c>round-half-to-even(sparsity × groups)</c>; when
    /// <paramref name="roundTo"/> is above 1, the kept count <c>groups − pruned</c> is then rounded to
    /// <c>max(roundTo, roundTo × round-half-to-even(kept / roundTo))</c>, capped at <paramref name="groups"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is NaN or not in [0, 1], or <paramref name="roundTo"/> is negative.</exception>
    /// <exception cref="PruningException">The count before rounding would be every group.</exception>
    public static int PrunedGroupCount(string layerName, double sparsity, long groups, ReducedDims dims, int roundTo)
    {
        CheckSparsity(layerName, sparsity, nameof(sparsity));

        if (roundTo < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(roundTo), roundTo, $"Layer '{layerName}': RoundTo must be 0 (off) or positive; it is {roundTo}.");
        }

        var pruned = (long)Math.Round(sparsity * groups, MidpointRounding.ToEven);
        if (pruned >= groups)
        {
            throw new PruningException(layerName, $"sparsity {sparsity} would remove all {groups} groups of the granularity with reduced dims {dims} (round-half-to-even({sparsity} × {groups}) = {pruned}); at most {(groups - 1) / (double)groups:0.####} keeps at least one.");
        }

        if (roundTo > 1)
        {
            var kept = groups - pruned;
            var rounded = Math.Max(roundTo, roundTo * (long)Math.Round(kept / (double)roundTo, MidpointRounding.ToEven));
            pruned = groups - Math.Min(rounded, groups);
        }

        return (int)pruned;
    }

    /// <summary>Throws when <paramref name="sparsity"/> is NaN or outside [0, 1], naming the layer and the value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The sparsity is NaN or outside [0, 1].</exception>
    internal static void CheckSparsity(string layerName, double sparsity, string parameterName)
    {
        if (!(sparsity >= 0.0 && sparsity <= 1.0))
        {
            throw new ArgumentOutOfRangeException(parameterName, sparsity, $"Layer '{layerName}': sparsity must be in [0, 1]; it is {sparsity}.");
        }
    }

    /// <summary>The number of groups <paramref name="dims"/> splits a weight of <paramref name="shape"/> into.</summary>
    internal static long CountGroups(ReadOnlySpan<long> shape, ReducedDims dims)
    {
        long groups = 1;
        for (var axis = 0; axis < shape.Length; axis++)
        {
            if (!dims.Contains(axis + 1)) groups *= shape[axis];
        }

        return groups;
    }

    /// <summary>
    /// Reduces <paramref name="values"/> (element scores in the plan's layout) into one score per group: the sum or
    /// mean of the values (of their magnitudes when <paramref name="magnitudes"/> is set), in float64. Groups with an
    /// element that <paramref name="existingMask"/> (when not empty) already prunes score <c>-Inf</c>, so they are
    /// pruned first and masks only grow while the sparsity grows.
    /// </summary>
    internal void ScoreGroups(ReadOnlySpan<float> values, bool magnitudes, Reducer reducer, ReadOnlySpan<float> existingMask)
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

    /// <summary>The group scores of the last scoring, one per group, in flat group order (writable for global ranking).</summary>
    internal Span<double> GroupScores => _scores;

    /// <summary>1 for each kept group and 0 for each pruned one, after <see cref="SelectLowest"/> (writable for global ranking).</summary>
    internal Span<float> KeptGroups => _keep;

    /// <summary>Whether any group score is NaN.</summary>
    internal bool AnyGroupScoreIsNaN()
    {
        foreach (var score in _scores)
        {
            if (double.IsNaN(score)) return true;
        }

        return false;
    }

    private void ThrowIfAnyScoreIsNaN(ReadOnlySpan<float> weight)
    {
        // Magnitudes are never negative, so a sum is NaN exactly when one of its terms is: one pass over the
        // scores finds out, and the weights are searched only on the error path.
        if (AnyGroupScoreIsNaN()) throw new PruningException(LayerName, NaNWeightMessage(FirstNaN(weight), _shape));
    }

    internal static int FirstNaN(ReadOnlySpan<float> weight)
    {
        for (var index = 0; index < weight.Length; index++)
        {
            if (float.IsNaN(weight[index])) return index;
        }

        return -1;
    }

    internal static string NaNWeightMessage(long flatIndex, ReadOnlySpan<int> shape)
    {
        Span<long> index = stackalloc long[shape.Length];
        var rest = flatIndex;
        for (var axis = shape.Length - 1; axis >= 0; axis--)
        {
            index[axis] = rest % shape[axis];
            rest /= shape[axis];
        }

        return $"weight element {FormatShape(index)} (flat index {flatIndex}) is NaN; NaN weights cannot be ranked. Find where it came from (a diverged step, a bad checkpoint) before pruning.";
    }

    /// <summary>Marks the <paramref name="pruned"/> groups with the lowest scores (ties: lower flat index first) as pruned in <see cref="KeptGroups"/>.</summary>
    internal void SelectLowest(int pruned)
    {
        var keep = _keep.AsSpan();
        if (pruned == 0)
        {
            keep.Fill(1f);
            return;
        }

        var scores = _scores.AsSpan();

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

        var (threshold, below) = scores.Length < RadixSelect.MinimumCount
            ? RadixSelect.NthKeyBySelection(scores, pruned - 1, _selection)
            : RadixSelect.NthKey(scores, pruned - 1, MemoryMarshal.Cast<double, int>(_selection.AsSpan()));

        // Every group below the threshold goes; of the groups at it, the lowest flat indices go first. The first pass
        // has no data-dependent branch but the rare one at the threshold, which it records for the second.
        var tiesToPrune = pruned - below;
        var atThreshold = MemoryMarshal.Cast<double, int>(_selection.AsSpan());
        var tieCount = 0;
        for (var group = 0; group < scores.Length; group++)
        {
            var key = RadixSelect.Key(scores[group]);
            keep[group] = key >= threshold ? 1 : 0; // an integer select, which compiles without a branch
            if (key == threshold) atThreshold[tieCount++] = group;
        }

        for (var tie = 0; tie < tiesToPrune; tie++) keep[atThreshold[tie]] = 0f;
    }

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

    /// <summary>
    /// Whether every group is one element, in element order (no reduced dim of size above 1), and there are enough of
    /// them for the float32 radix path to pay off.
    /// </summary>
    internal bool IsElementwise => GroupSize == 1 && GroupCount >= RadixSelect.MinimumCount;

    /// <summary>
    /// The elementwise case of the rule with magnitude scores (<see cref="Granularity.Weight"/> with |w| or |w0|):
    /// every group is one element and the mean of one magnitude is itself, exact in float32, so the selection runs
    /// on float32 bit patterns and writes the mask directly, without group scores.
    /// </summary>
    /// <returns>False, writing nothing, when a value is NaN.</returns>
    internal bool ComputeElementwiseMagnitudes(ReadOnlySpan<float> values, ReadOnlySpan<float> existingMask, int pruned, Span<float> mask)
    {
        var candidates = MemoryMarshal.Cast<double, int>(_selection.AsSpan());
        return RadixSelect.MaskLowestMagnitudes(values, existingMask, pruned, candidates, mask);
    }

    /// <summary>Writes <see cref="KeptGroups"/> out to every element of the mask.</summary>
    internal void Expand(Span<float> mask)
    {
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
                    // Two overlapping vector stores cover a run of one to two vectors (a 3×3 kernel) without a loop.
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
    private const int ShortRun = 16;

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

    internal static string FormatShape(ReadOnlySpan<int> shape)
    {
        Span<long> wide = stackalloc long[shape.Length];
        for (var axis = 0; axis < shape.Length; axis++) wide[axis] = shape[axis];
        return FormatShape(wide);
    }

    internal static string FormatShape(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}
