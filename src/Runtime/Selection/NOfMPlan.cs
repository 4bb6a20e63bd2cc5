using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PruneSharp;

/// <summary>
/// N:M semi-structured masks on the CPU: in every run of M consecutive weights along the input axis (at one output
/// channel and kernel position), the N with the highest scores are kept. Ties prune the lower index first, as
/// everywhere: this is the selection rule of <see cref="SpanSelection"/> for runs of M, computed as ranks without
/// branches. Allocates nothing per call.
/// </summary>
internal sealed class NOfMPlan
{
    private readonly int _blocks;
    private readonly int _inner;

    private NOfMPlan(string layerName, MaskGeometry geometry)
    {
        LayerName = layerName;
        Geometry = geometry;
        N = geometry.N;
        M = geometry.M;
        _blocks = geometry.RunBlocks;
        _inner = geometry.RunStride;
    }

    public string LayerName { get; }

    /// <summary>Where the runs lie and which kernel ranks them.</summary>
    public MaskGeometry Geometry { get; }

    public int N { get; }

    public int M { get; }

    /// <summary>The number of runs of M weights.</summary>
    public long RunCount => (long)_blocks * _inner;

    /// <exception cref="PruningException">N and M do not describe a valid pattern, or the input axis is not a multiple of M.</exception>
    public static NOfMPlan Create(string layerName, ReadOnlySpan<int> shape, int inputAxis, int n, int m)
    {
        if (n < 1 || m <= n)
        {
            throw new PruningException(layerName, $"N:M needs 1 ≤ N < M; it is {n}:{m}.");
        }

        if (inputAxis < 0 || inputAxis >= shape.Length)
        {
            throw new PruningException(layerName, $"the weight has shape {MaskPlan.FormatShape(shape)}, which has no input axis {inputAxis}.");
        }

        if (shape[inputAxis] % m != 0)
        {
            throw new PruningException(layerName, $"the weight has shape {MaskPlan.FormatShape(shape)}: its input size {shape[inputAxis]} (axis {inputAxis}) is not a multiple of M = {m}, so it does not split into runs of {m}.");
        }

        return new NOfMPlan(layerName, MaskGeometry.ForNOfM(LayerGeometry.LongShape(shape), inputAxis, n, m));
    }

    /// <summary>A plan from a geometry worked out before (a generated layer's).</summary>
    public static NOfMPlan Create(string layerName, MaskGeometry geometry) => new(layerName, geometry);

    /// <summary>The number of weights every computation prunes: (M − N) per run.</summary>
    public long PrunedCount => RunCount * (M - N);

    /// <summary>
    /// Writes the mask for element scores <paramref name="values"/> (their magnitudes when <paramref name="magnitudes"/>
    /// is set; higher is kept) into <paramref name="mask"/>. Elements that <paramref name="existingMask"/> (when not
    /// empty) prunes count as the lowest scores. The existing mask may be the same memory as <paramref name="mask"/>.
    /// </summary>
    /// <returns>False, writing nothing, when a score is NaN.</returns>
    public bool Compute(ReadOnlySpan<float> values, bool magnitudes, ReadOnlySpan<float> existingMask, Span<float> mask)
    {
        if (SpanScoring.ContainsNaN(values)) return false;
        Write(values, magnitudes, existingMask, mask);
        return true;
    }

    /// <summary>As <see cref="Compute"/>, for scores known to hold no NaN (the mask pass checks them before its commit).</summary>
    /// <remarks>
    /// An element is pruned when its rank in its run, <c>#(lower scores) + #(equal scores at a lower index)</c>, is
    /// below M − N: the rule's order, computed without branches. Runs of 4 take the kernels the geometry names
    /// (<see cref="NOfMKernels"/>); other runs are vectorized across kernel positions when a kernel holds a vector or
    /// more, and ranked one at a time otherwise.
    /// </remarks>
    public void Write(ReadOnlySpan<float> values, bool magnitudes, ReadOnlySpan<float> existingMask, Span<float> mask)
    {
        var m = M;
        var stride = _inner;
        if (m == 4 && Vector256.IsHardwareAccelerated)
        {
            if (Geometry.Kernel == MaskKernel.NOfMChannelRuns)
            {
                if (magnitudes) NOfMKernels.ChannelRunsOf4<Magnitude>(values, existingMask, m - N, mask);
                else NOfMKernels.ChannelRunsOf4<AsIs>(values, existingMask, m - N, mask);
                return;
            }

            if (stride >= Vector256<float>.Count)
            {
                if (magnitudes) NOfMKernels.KernelPositionsOf4<Magnitude>(values, existingMask, m - N, _blocks, stride, mask);
                else NOfMKernels.KernelPositionsOf4<AsIs>(values, existingMask, m - N, _blocks, stride, mask);
                return;
            }
        }

        var runLength = m * stride;
        for (var block = 0; block < _blocks; block++)
        {
            var first = block * runLength;
            if (Vector256.IsHardwareAccelerated && m <= MaxVectorM && stride >= Vector256<float>.Count)
            {
                for (var position = 0; ; position += Vector256<float>.Count)
                {
                    // The last vector may overlap the one before: it writes the same values there again.
                    position = Math.Min(position, stride - Vector256<float>.Count);
                    RanksAcrossPositions(values, magnitudes, existingMask, mask, first + position, stride);
                    if (position == stride - Vector256<float>.Count) break;
                }

                continue;
            }

            if (stride == 1 && m == 4 && Vector128.IsHardwareAccelerated)
            {
                RanksWithinRunOf4(values.Slice(first, 4), magnitudes, existingMask.IsEmpty ? default : existingMask.Slice(first, 4), mask.Slice(first, 4));
                continue;
            }

            for (var position = 0; position < stride; position++)
            {
                if (magnitudes) NOfMKernels.OneRun<Magnitude>(values, existingMask, m - N, mask, first + position, m, stride);
                else NOfMKernels.OneRun<AsIs>(values, existingMask, m - N, mask, first + position, m, stride);
            }
        }
    }

    private const int MaxVectorM = 16;

    private void RanksAcrossPositions(ReadOnlySpan<float> values, bool magnitudes, ReadOnlySpan<float> existingMask, Span<float> mask, int start, int stride)
    {
        var m = M;
        Span<Vector256<float>> run = stackalloc Vector256<float>[MaxVectorM];
        ref var valueStart = ref MemoryMarshal.GetReference(values);
        ref var existingStart = ref MemoryMarshal.GetReference(existingMask);
        var negativeInfinity = Vector256.Create(float.NegativeInfinity);
        for (var t = 0; t < m; t++)
        {
            var at = (nuint)(start + (t * stride));
            var score = Vector256.LoadUnsafe(ref valueStart, at);
            if (magnitudes) score = Vector256.Abs(score);
            if (!existingMask.IsEmpty)
            {
                score = Vector256.ConditionalSelect(Vector256.Equals(Vector256.LoadUnsafe(ref existingStart, at), Vector256<float>.Zero), negativeInfinity, score);
            }

            run[t] = score;
        }

        var pruneBelow = Vector256.Create((float)(m - N));
        ref var maskStart = ref MemoryMarshal.GetReference(mask);
        for (var t = 0; t < m; t++)
        {
            var rank = Vector256<float>.Zero;
            for (var u = 0; u < m; u++)
            {
                if (u == t) continue;
                var lower = u < t ? Vector256.LessThanOrEqual(run[u], run[t]) : Vector256.LessThan(run[u], run[t]);
                rank += lower & Vector256<float>.One;
            }

            Vector256.ConditionalSelect(Vector256.LessThan(rank, pruneBelow), Vector256<float>.Zero, Vector256<float>.One)
                .StoreUnsafe(ref maskStart, (nuint)(start + (t * stride)));
        }
    }

    private void RanksWithinRunOf4(ReadOnlySpan<float> values, bool magnitudes, ReadOnlySpan<float> existingMask, Span<float> mask)
    {
        var score = Vector128.Create(values);
        if (magnitudes) score = Vector128.Abs(score);
        if (!existingMask.IsEmpty)
        {
            score = Vector128.ConditionalSelect(Vector128.Equals(Vector128.Create(existingMask), Vector128<float>.Zero), Vector128.Create(float.NegativeInfinity), score);
        }

        // Lane t meets lane (t + r) mod 4 for r = 1, 2, 3; that lane comes before t exactly when t + r ≥ 4.
        var rotated1 = Vector128.Shuffle(score, Vector128.Create(1, 2, 3, 0));
        var rotated2 = Vector128.Shuffle(score, Vector128.Create(2, 3, 0, 1));
        var rotated3 = Vector128.Shuffle(score, Vector128.Create(3, 0, 1, 2));
        var before1 = Vector128.Create(0, 0, 0, -1).AsSingle();
        var before2 = Vector128.Create(0, 0, -1, -1).AsSingle();
        var before3 = Vector128.Create(0, -1, -1, -1).AsSingle();
        var rank = (Lower(rotated1, score, before1) & Vector128<float>.One)
                   + (Lower(rotated2, score, before2) & Vector128<float>.One)
                   + (Lower(rotated3, score, before3) & Vector128<float>.One);
        Vector128.ConditionalSelect(Vector128.LessThan(rank, Vector128.Create((float)(M - N))), Vector128<float>.Zero, Vector128<float>.One).CopyTo(mask);

        static Vector128<float> Lower(Vector128<float> other, Vector128<float> self, Vector128<float> otherComesFirst) =>
            Vector128.LessThan(other, self) | (Vector128.Equals(other, self) & otherComesFirst);
    }
}
