using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace PruneSharp;

/// <summary>
/// A layer's mask geometry: where a granularity's groups (or the runs of an N:M pattern) lie in the memory of a row-major
/// weight of one shape, and which <see cref="MaskKernel"/> computes them. The generator works it out at compile time for
/// every layer whose weight shape the code shows and writes it into the layer's generated class as constants
/// (<see cref="Groups"/>, <see cref="NOfM"/>); the runtime works out the same (<see cref="ForGroups"/>,
/// <see cref="ForNOfM"/>) for a shape it learns at run time. Both run this file, so they cannot disagree.
/// </summary>
/// <remarks>
/// The weight's dims are merged into segments: adjacent dims that are both reduced or both kept become one, and dims of
/// size 1 are dropped, so the innermost loop runs over the longest contiguous stretch of memory. A kept segment's group
/// stride is the product of the sizes of the kept segments after it; a reduced segment's is 0.
/// </remarks>
public sealed class MaskGeometry : IEquatable<MaskGeometry>
{
    /// <summary>Runs shorter than this are summed by <see cref="MaskKernel.ShortRuns"/> (or <see cref="MaskKernel.RunsOf9"/>).</summary>
    internal const int ShortRun = 16;

    private readonly long[] _shape;
    private readonly int[] _segmentSizes;
    private readonly int[] _segmentGroupStrides;

    private MaskGeometry(MaskKernel kernel, long[] shape, ReducedDims dims, int groupCount, int groupSize, int[] segmentSizes, int[] segmentGroupStrides, int n, int m, int inputAxis, int runBlocks, int runStride)
    {
        Kernel = kernel;
        _shape = shape;
        ReducedDims = dims;
        GroupCount = groupCount;
        GroupSize = groupSize;
        _segmentSizes = segmentSizes;
        _segmentGroupStrides = segmentGroupStrides;
        N = n;
        M = m;
        InputAxis = inputAxis;
        RunBlocks = runBlocks;
        RunStride = runStride;
    }

    /// <summary>The kernel that computes the mask.</summary>
    public MaskKernel Kernel { get; }

    /// <summary>The shape the mask is computed on: the weight's, or for a transposed convolution with groups the grouped view of it.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>The dims scores are reduced over (dummy dim = 0); <c>(0)</c> for N:M.</summary>
    public ReducedDims ReducedDims { get; }

    /// <summary>The number of groups; for N:M, the number of weights.</summary>
    public int GroupCount { get; }

    /// <summary>The number of weights in each group; 1 for N:M.</summary>
    public int GroupSize { get; }

    /// <summary>The sizes of the merged segments, outermost first (empty for N:M).</summary>
    public IReadOnlyList<int> SegmentSizes => _segmentSizes;

    /// <summary>For each segment, how far the flat group index moves per step along it: 0 for a reduced segment.</summary>
    public IReadOnlyList<int> SegmentGroupStrides => _segmentGroupStrides;

    /// <summary>Whether this is an N:M geometry.</summary>
    public bool IsNOfM => M > 0;

    /// <summary>N:M: the weights kept in every run (0 otherwise).</summary>
    public int N { get; }

    /// <summary>N:M: the length of a run (0 otherwise).</summary>
    public int M { get; }

    /// <summary>N:M: the weight axis the runs follow (dim 1 of a convolution or <c>Linear</c>, dim 0 of a transposed convolution).</summary>
    public int InputAxis { get; }

    /// <summary>N:M: the number of blocks of M runs' positions, one per outer index and run along the input axis.</summary>
    public int RunBlocks { get; }

    /// <summary>N:M: the distance between consecutive weights of a run (the kernel size; 1 for 1×1 kernels and <c>Linear</c>).</summary>
    public int RunStride { get; }

    /// <summary>The number of weights.</summary>
    public long ElementCount => (long)GroupCount * GroupSize;

    /// <summary>Works out the geometry of a group granularity reducing <paramref name="dims"/> on a weight of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The shape is empty, has a dim below 1, or holds more than <see cref="int.MaxValue"/>
    /// weights; or <paramref name="dims"/> is empty or names a dim past the weight's rank.</exception>
    public static MaskGeometry ForGroups(IReadOnlyList<long> shape, ReducedDims dims)
    {
        var sizes = CheckedShape(shape);
        if (dims.IsEmpty || dims.MaxDim > sizes.Length)
        {
            throw new ArgumentException($"Reduced dims {dims} do not fit a weight of rank {sizes.Length} (with the leading dummy dim, dims run from 0 to {sizes.Length}).", nameof(dims));
        }

        long groups = 1, groupSize = 1;
        var segments = new List<int>();
        var reduced = new List<bool>();
        for (var axis = 0; axis < sizes.Length; axis++)
        {
            var size = (int)sizes[axis];
            var isReduced = dims.Contains(axis + 1);
            if (isReduced) groupSize *= size;
            else groups *= size;

            // A dim of size 1 adds nothing to a group's index or size: dropping it lengthens the runs.
            if (size == 1) continue;
            if (segments.Count > 0 && reduced[reduced.Count - 1] == isReduced) segments[segments.Count - 1] *= size;
            else
            {
                segments.Add(size);
                reduced.Add(isReduced);
            }
        }

        if (segments.Count == 0)
        {
            segments.Add(1);
            reduced.Add(false);
        }

        var strides = new int[segments.Count];
        var stride = 1;
        for (var segment = segments.Count - 1; segment >= 0; segment--)
        {
            if (reduced[segment]) continue;
            strides[segment] = stride;
            stride *= segments[segment];
        }

        return new MaskGeometry(GroupKernel(segments, reduced), sizes, dims, (int)groups, (int)groupSize, segments.ToArray(), strides, 0, 0, 0, 0, 0);
    }

    /// <summary>
    /// Works out the geometry of N:M on a weight of <paramref name="shape"/> whose input axis (<see cref="Granularities.InputAxis"/>
    /// of the layer's kind) is <paramref name="inputAxis"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The shape is not a valid weight shape or has no axis <paramref name="inputAxis"/>,
    /// 1 ≤ N &lt; M does not hold, or the input size is not a multiple of M.</exception>
    public static MaskGeometry ForNOfM(IReadOnlyList<long> shape, int inputAxis, int n, int m)
    {
        var sizes = CheckedShape(shape);
        if (n < 1 || m <= n) throw new ArgumentException($"N:M needs 1 ≤ N < M; it is {n}:{m}.", nameof(n));
        var axis = inputAxis;
        if (axis < 0 || axis >= sizes.Length)
        {
            throw new ArgumentException($"Shape {Format(sizes)} has no input axis {axis}.", nameof(inputAxis));
        }

        if (sizes[axis] % m != 0)
        {
            throw new ArgumentException($"The input size {sizes[axis]} (axis {axis}) of shape {Format(sizes)} is not a multiple of M = {m}.", nameof(shape));
        }

        long outer = 1, inner = 1;
        for (var index = 0; index < axis; index++) outer *= sizes[index];
        for (var index = axis + 1; index < sizes.Length; index++) inner *= sizes[index];
        var kernel = inner == 1 ? MaskKernel.NOfMChannelRuns : MaskKernel.NOfMKernelPositions;
        var elements = (int)(outer * sizes[axis] * inner);
        return new MaskGeometry(kernel, sizes, ReducedDims.Of(0), elements, 1, Array.Empty<int>(), Array.Empty<int>(), n, m, axis, (int)(outer * (sizes[axis] / m)), (int)inner);
    }

    /// <summary>
    /// The geometry of a group granularity as the generator writes it: every value is checked once against
    /// <see cref="ForGroups"/>, so a geometry that does not belong to its shape and dims is an error, never a wrong mask.
    /// </summary>
    /// <exception cref="ArgumentException">A value differs from what <see cref="ForGroups"/> works out.</exception>
    public static MaskGeometry Groups(MaskKernel kernel, long[] shape, ReducedDims dims, int groupCount, int groupSize, int[] segmentSizes, int[] segmentGroupStrides)
    {
        var expected = ForGroups(shape, dims);
        var given = new MaskGeometry(kernel, (long[])shape.Clone(), dims, groupCount, groupSize, Copy(segmentSizes), Copy(segmentGroupStrides), 0, 0, 0, 0, 0);
        return Checked(given, expected);
    }

    /// <summary>The geometry of N:M as the generator writes it, checked once against <see cref="ForNOfM"/>.</summary>
    /// <exception cref="ArgumentException">A value differs from what <see cref="ForNOfM"/> works out.</exception>
    public static MaskGeometry NOfM(MaskKernel kernel, long[] shape, int inputAxis, int n, int m, int runBlocks, int runStride)
    {
        var expected = ForNOfM(shape, inputAxis, n, m);
        var given = new MaskGeometry(kernel, (long[])shape.Clone(), ReducedDims.Of(0), expected.GroupCount, 1, Array.Empty<int>(), Array.Empty<int>(), n, m, inputAxis, runBlocks, runStride);
        return Checked(given, expected);
    }

    /// <inheritdoc/>
    public bool Equals(MaskGeometry? other) =>
        other is not null && Kernel == other.Kernel && ReducedDims.Equals(other.ReducedDims) && GroupCount == other.GroupCount &&
        GroupSize == other.GroupSize && N == other.N && M == other.M && InputAxis == other.InputAxis && RunBlocks == other.RunBlocks &&
        RunStride == other.RunStride && _shape.SequenceEqual(other._shape) && _segmentSizes.SequenceEqual(other._segmentSizes) &&
        _segmentGroupStrides.SequenceEqual(other._segmentGroupStrides);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as MaskGeometry);

    /// <inheritdoc/>
    public override int GetHashCode() => ((((int)Kernel * 397) ^ GroupCount) * 397) ^ GroupSize;

    /// <summary>The geometry in words, e.g. <c>RunsOf9: 2048 groups of 9 in shape [64, 32, 3, 3], segments 2048 × 9 (reduced)</c>.</summary>
    public override string ToString()
    {
        if (IsNOfM) return $"{Kernel}: {N}:{M} on shape {Format(_shape)}, {RunBlocks} blocks of {M} runs, weights {RunStride} apart";
        var segments = string.Join(" × ", _segmentSizes.Select((size, index) => size.ToString(CultureInfo.InvariantCulture) + (_segmentGroupStrides[index] == 0 ? " (reduced)" : string.Empty)));
        return $"{Kernel}: {GroupCount} groups of {GroupSize} in shape {Format(_shape)}, segments {segments}";
    }

    /// <summary>The kernel for merged segments: the layout the groups have in memory decides.</summary>
    private static MaskKernel GroupKernel(List<int> segments, List<bool> reduced)
    {
        var innerReduced = reduced[reduced.Count - 1];
        var inner = segments[segments.Count - 1];
        if (!innerReduced) return segments.Count == 1 ? MaskKernel.Elementwise : MaskKernel.Strided;

        // One contiguous run per group: the group route is [groups, run] (or [run] for a single group).
        if (segments.Count > 2 || (segments.Count == 2 && reduced[0])) return MaskKernel.Strided;
        if (inner >= ShortRun) return MaskKernel.ContiguousGroups;
        return inner == 9 ? MaskKernel.RunsOf9 : MaskKernel.ShortRuns;
    }

    private static long[] CheckedShape(IReadOnlyList<long> shape)
    {
        if (shape is null) throw new ArgumentNullException(nameof(shape));
        if (shape.Count == 0) throw new ArgumentException("A weight of rank 0 has no groups.", nameof(shape));
        var sizes = shape.ToArray();
        long elements = 1;
        foreach (var size in sizes)
        {
            if (size < 1) throw new ArgumentException($"Shape {Format(sizes)} has a dim below 1.", nameof(shape));
            elements *= size;
            if (elements > int.MaxValue) throw new ArgumentException($"Shape {Format(sizes)} holds more than {int.MaxValue} weights; the CPU kernels work on spans of at most that many.", nameof(shape));
        }

        return sizes;
    }

    private static MaskGeometry Checked(MaskGeometry given, MaskGeometry expected)
    {
        if (!given.Equals(expected))
        {
            throw new ArgumentException($"The mask geometry '{given}' does not belong to its shape and dims, whose geometry is '{expected}': was the generated code edited, or built by another version of PruneSharp?");
        }

        return given;
    }

    private static int[] Copy(int[] values) => values is null ? throw new ArgumentNullException(nameof(values)) : (int[])values.Clone();

    private static string Format(long[] shape) => "[" + string.Join(", ", shape.Select(size => size.ToString(CultureInfo.InvariantCulture))) + "]";
}
