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
/// A plan scores (<see cref="ScoreGroups"/>) and expands (<see cref="Expand"/>); the selection between them is
/// <see cref="SpanSelection"/>'s, the one every CPU caller uses. A <see cref="MaskPass"/> keeps one plan per layer.
/// </para>
/// <para>
/// The weight's dims are walked as segments: adjacent dims that are both reduced or both kept are merged, and
/// dims of size 1 are dropped, so the innermost loop runs over the longest contiguous stretch of memory.
/// </para>
/// </remarks>
public sealed partial class MaskPlan
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
    private readonly byte[] _heldStates;
    private bool _heldStatesKnown;

    private MaskPlan(string layerName, MaskGeometry geometry)
    {
        LayerName = layerName;
        Geometry = geometry;
        _shape = new int[geometry.Shape.Count];
        for (var axis = 0; axis < _shape.Length; axis++) _shape[axis] = (int)geometry.Shape[axis];
        ReducedDims = geometry.ReducedDims;
        GroupCount = geometry.GroupCount;
        GroupSize = geometry.GroupSize;
        ElementCount = geometry.ElementCount;
        Kernel = geometry.Kernel;

        _segmentSizes = [.. geometry.SegmentSizes];
        _segmentGroupStrides = [.. geometry.SegmentGroupStrides];
        _innerSegmentReduced = _segmentGroupStrides[^1] == 0;
        _innerSegmentSize = _segmentSizes[^1];
        _scores = new double[GroupCount];
        _selection = new double[GroupCount + 8]; // a vector more: a gather stores whole vectors
        _odometer = new int[_segmentSizes.Length - 1];
        _keep = new float[GroupCount];
        _heldStates = new byte[GroupCount];
    }

    /// <summary>The layer the plan computes masks for; every error names it.</summary>
    public string LayerName { get; }

    /// <summary>Where the groups lie in the weight's memory and which kernel scores them.</summary>
    public MaskGeometry Geometry { get; }

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

    /// <summary>The kernel that scores the groups and writes the mask.</summary>
    internal MaskKernel Kernel { get; }

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

        long elements = 1;
        foreach (var size in shape)
        {
            if (size <= 0)
            {
                throw new PruningException(layerName, $"the weight has shape {FormatShape(shape)}: an empty weight has nothing to prune.");
            }

            elements *= size;
            if (elements > int.MaxValue)
            {
                throw new PruningException(layerName, $"the weight has shape {FormatShape(shape)}, more than {int.MaxValue} elements; the CPU path works on spans of at most that many.");
            }
        }

        return new MaskPlan(layerName, MaskGeometry.ForGroups(LayerGeometry.LongShape(shape), dims));
    }

    /// <summary>
    /// Creates a plan from a geometry worked out before: the one a generated layer class holds as constants, or
    /// <see cref="MaskGeometry.ForGroups"/>'s. Nothing is planned again.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="geometry"/> is an N:M geometry, which has no groups.</exception>
    public static MaskPlan Create(string layerName, MaskGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(layerName);
        ArgumentNullException.ThrowIfNull(geometry);
        if (geometry.IsNOfM) throw new ArgumentException($"Layer '{layerName}': {geometry} has runs, not groups; N:M masks are computed by the mask pass.", nameof(geometry));
        return new MaskPlan(layerName, geometry);
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
            if (!SpanSelection.MaskLowestMagnitudes(weight, existingMask: default, pruned, _selection, mask)) throw new PruningException(LayerName, NaNWeightMessage(FirstNaN(weight), _shape));
            return pruned;
        }

        ScoreGroups(weight, magnitudes: true, Reducer.Mean, existingMask: default);
        ThrowIfAnyScoreIsNaN(weight);
        SpanSelection.SelectLowest(_scores, pruned, _keep, _selection);
        Expand(mask, maskIsHeld: false);
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

        var pruned = GroupCounts.Pruned(sparsity, groups);
        if (pruned >= groups)
        {
            throw new PruningException(layerName, $"sparsity {sparsity} would remove all {groups} groups of the granularity with reduced dims {dims} (round-half-to-even({sparsity} × {groups}) = {pruned}); at most {(groups - 1) / (double)groups:0.####} keeps at least one.");
        }

        pruned = GroupCounts.RoundedToMultiple(pruned, groups, roundTo);
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

    /// <summary>The group scores of the last <see cref="ScoreGroups"/>, one per group, in flat group order: where a mask pass reads them.</summary>
    internal Span<double> GroupScores => _scores;

    /// <summary>1 for each kept group and 0 for each pruned one: where a selection writes and <see cref="Expand"/> reads.</summary>
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

    /// <summary>
    /// Whether every group is one element, in element order (no reduced dim of size above 1), and there are enough of
    /// them for the float32 radix path to pay off.
    /// </summary>
    internal bool IsElementwise => GroupSize == 1 && GroupCount >= RadixSelect.MinimumMagnitudeCount;

    /// <summary>
    /// Scratch for the selection: as doubles, one per group and eight more (a copy for introselect, or the scores a sampled
    /// bracket gathers, stored in whole vectors); as ints, two per group and sixteen more (radix candidates and ties, or
    /// an element-wise selection's candidate keys, which need one per element and a vector more).
    /// </summary>
    internal Span<double> SelectionScratch => _selection;

    internal static string FormatShape(ReadOnlySpan<int> shape)
    {
        Span<long> wide = stackalloc long[shape.Length];
        for (var axis = 0; axis < shape.Length; axis++) wide[axis] = shape[axis];
        return FormatShape(wide);
    }

    internal static string FormatShape(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}
