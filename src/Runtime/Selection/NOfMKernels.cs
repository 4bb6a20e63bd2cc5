using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PruneSharp;

/// <summary>
/// The N:M kernels for runs of 4, the pattern sparse tensor cores run (2:4): runs of 4 adjacent weights
/// (<see cref="MaskKernel.NOfMChannelRuns"/>: 1×1 convolutions, <c>Linear</c>), four runs per 512-bit vector (two per
/// 256-bit one); and runs whose weights are a kernel's size apart (<see cref="MaskKernel.NOfMKernelPositions"/>),
/// sixteen (or eight) kernel positions a step. Both apply <see cref="NOfMPlan"/>'s order: a weight comes before another
/// of its run when its score is lower, or equal at a lower index; it is kept when at least M − N of the other three
/// come before it. Six comparisons order the four; no branch depends on the data.
/// </summary>
/// <remarks>
/// They write every element of <c>mask</c> (in place over a held mask, only what changes, so a held mask that stays is
/// read and never written back) and expect no NaN score: <see cref="NOfMPlan.Compute"/> checks first.
/// </remarks>
internal static class NOfMKernels
{
    /// <summary>Runs of 4 adjacent weights. <paramref name="values"/> holds a multiple of 4.</summary>
    public static void ChannelRunsOf4<T>(ReadOnlySpan<float> values, ReadOnlySpan<float> held, int prunedPerRun, Span<float> mask)
        where T : struct, IElementTransform
    {
        ref var value = ref MemoryMarshal.GetReference(values);
        ref var existing = ref MemoryMarshal.GetReference(held);
        ref var target = ref MemoryMarshal.GetReference(mask);
        var withHeld = !held.IsEmpty;
        var inPlace = withHeld && Unsafe.AreSame(ref existing, ref target);
        var index = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // Lane t meets lane (t + r) mod 4 of its run for r = 1, 2, 3; that lane comes first on a tie exactly when
            // t + r ≥ 4, so it is compared with ≤ there and with < elsewhere.
            var tieFirst1 = Vector512.Create(0, 0, 0, -1, 0, 0, 0, -1, 0, 0, 0, -1, 0, 0, 0, -1).AsSingle();
            var tieFirst2 = Vector512.Create(0, 0, -1, -1, 0, 0, -1, -1, 0, 0, -1, -1, 0, 0, -1, -1).AsSingle();
            var tieFirst3 = Vector512.Create(0, -1, -1, -1, 0, -1, -1, -1, 0, -1, -1, -1, 0, -1, -1, -1).AsSingle();
            for (; index + Vector512<float>.Count <= values.Length; index += Vector512<float>.Count)
            {
                var before = withHeld ? Vector512.LoadUnsafe(ref existing, (nuint)index) : default;
                var score = Score<T>(ref value, before, withHeld, index);
                var other1 = Vector512.Shuffle(score, Vector512.Create(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12));
                var other2 = Vector512.Shuffle(score, Vector512.Create(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
                var other3 = Vector512.Shuffle(score, Vector512.Create(3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14));
                var keep = AtLeast(prunedPerRun, First(other1, score, tieFirst1), First(other2, score, tieFirst2), First(other3, score, tieFirst3)) & Vector512<float>.One;
                if (!inPlace || keep != before) keep.StoreUnsafe(ref target, (nuint)index);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            var tieFirst1 = Vector256.Create(0, 0, 0, -1, 0, 0, 0, -1).AsSingle();
            var tieFirst2 = Vector256.Create(0, 0, -1, -1, 0, 0, -1, -1).AsSingle();
            var tieFirst3 = Vector256.Create(0, -1, -1, -1, 0, -1, -1, -1).AsSingle();
            for (; index + Vector256<float>.Count <= values.Length; index += Vector256<float>.Count)
            {
                var before = withHeld ? Vector256.LoadUnsafe(ref existing, (nuint)index) : default;
                var score = Score<T>(ref value, before, withHeld, index);
                var other1 = Vector256.Shuffle(score, Vector256.Create(1, 2, 3, 0, 5, 6, 7, 4));
                var other2 = Vector256.Shuffle(score, Vector256.Create(2, 3, 0, 1, 6, 7, 4, 5));
                var other3 = Vector256.Shuffle(score, Vector256.Create(3, 0, 1, 2, 7, 4, 5, 6));
                var keep = AtLeast(prunedPerRun, First(other1, score, tieFirst1), First(other2, score, tieFirst2), First(other3, score, tieFirst3)) & Vector256<float>.One;
                if (!inPlace || keep != before) keep.StoreUnsafe(ref target, (nuint)index);
            }
        }

        for (; index < values.Length; index += 4) OneRun<T>(values, held, prunedPerRun, mask, index, 4, 1);
    }

    /// <summary>
    /// Runs of 4 whose weights are <paramref name="stride"/> (more than 8) apart, in <paramref name="blocks"/> blocks of
    /// 4 × <paramref name="stride"/> weights.
    /// </summary>
    public static void KernelPositionsOf4<T>(ReadOnlySpan<float> values, ReadOnlySpan<float> held, int prunedPerRun, int blocks, int stride, Span<float> mask)
        where T : struct, IElementTransform
    {
        ref var value = ref MemoryMarshal.GetReference(values);
        ref var existing = ref MemoryMarshal.GetReference(held);
        ref var target = ref MemoryMarshal.GetReference(mask);
        var withHeld = !held.IsEmpty;
        var inPlace = withHeld && Unsafe.AreSame(ref existing, ref target);
        var block = Vector512.IsHardwareAccelerated && Avx512F.IsSupported
            ? KernelPositionsOf4InSixteens<T>(ref value, ref existing, ref target, values.Length, withHeld, inPlace, prunedPerRun, blocks, stride)
            : 0;

        // Eight positions a step, the last vector of a block overlapping the one before (it writes the same values
        // again). Each step is loaded before the one before it is stored: a load that overlaps a store in flight waits.
        var lastPosition = stride - Vector256<float>.Count;
        var pending = new EightPositions(stride);
        var pendingAt = -1;
        for (; block < blocks; block++)
        {
            var first = block * 4 * stride;
            for (var position = 0; ; position += Vector256<float>.Count)
            {
                if (position > lastPosition) position = lastPosition;
                var step = new EightPositions(stride);
                step.Load<T>(ref value, ref existing, withHeld, first + position);
                if (pendingAt >= 0) pending.Store(prunedPerRun, inPlace, ref target, pendingAt);
                (pending, pendingAt) = (step, first + position);
                if (position == lastPosition) break;
            }
        }

        if (pendingAt >= 0) pending.Store(prunedPerRun, inPlace, ref target, pendingAt);
    }

    /// <summary>Eight kernel positions of the four runs of a block: their held mask and scores.</summary>
    private struct EightPositions(int stride)
    {
        private Vector256<float> _h0, _h1, _h2, _h3, _s0, _s1, _s2, _s3;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Load<T>(ref float value, ref float existing, bool withHeld, int at)
            where T : struct, IElementTransform
        {
            _h0 = withHeld ? Vector256.LoadUnsafe(ref existing, (nuint)at) : default;
            _h1 = withHeld ? Vector256.LoadUnsafe(ref existing, (nuint)(at + stride)) : default;
            _h2 = withHeld ? Vector256.LoadUnsafe(ref existing, (nuint)(at + (2 * stride))) : default;
            _h3 = withHeld ? Vector256.LoadUnsafe(ref existing, (nuint)(at + (3 * stride))) : default;
            _s0 = Score<T>(ref value, _h0, withHeld, at);
            _s1 = Score<T>(ref value, _h1, withHeld, at + stride);
            _s2 = Score<T>(ref value, _h2, withHeld, at + (2 * stride));
            _s3 = Score<T>(ref value, _h3, withHeld, at + (3 * stride));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Store(int prunedPerRun, bool inPlace, ref float target, int at)
        {
            var first01 = Vector256.LessThanOrEqual(_s0, _s1);
            var first02 = Vector256.LessThanOrEqual(_s0, _s2);
            var first03 = Vector256.LessThanOrEqual(_s0, _s3);
            var first12 = Vector256.LessThanOrEqual(_s1, _s2);
            var first13 = Vector256.LessThanOrEqual(_s1, _s3);
            var first23 = Vector256.LessThanOrEqual(_s2, _s3);
            NOfMKernels.Store(AtLeast(prunedPerRun, ~first01, ~first02, ~first03) & Vector256<float>.One, _h0, inPlace, ref target, at);
            NOfMKernels.Store(AtLeast(prunedPerRun, first01, ~first12, ~first13) & Vector256<float>.One, _h1, inPlace, ref target, at + stride);
            NOfMKernels.Store(AtLeast(prunedPerRun, first02, first12, ~first23) & Vector256<float>.One, _h2, inPlace, ref target, at + (2 * stride));
            NOfMKernels.Store(AtLeast(prunedPerRun, first03, first13, first23) & Vector256<float>.One, _h3, inPlace, ref target, at + (3 * stride));
        }
    }

    /// <summary>One run of <paramref name="m"/> weights <paramref name="stride"/> apart from <paramref name="start"/>, without vectors.</summary>
    public static void OneRun<T>(ReadOnlySpan<float> values, ReadOnlySpan<float> held, int prunedPerRun, Span<float> mask, int start, int m, int stride)
        where T : struct, IElementTransform
    {
        Span<float> run = stackalloc float[m];
        for (var t = 0; t < m; t++)
        {
            var index = start + (t * stride);
            run[t] = !held.IsEmpty && held[index] == 0f ? float.NegativeInfinity : T.Apply(values[index]);
        }

        for (var t = 0; t < m; t++)
        {
            var rank = 0;
            for (var u = 0; u < m; u++)
            {
                if (run[u] < run[t] || (run[u] == run[t] && u < t)) rank++;
            }

            mask[start + (t * stride)] = rank < prunedPerRun ? 0f : 1f;
        }
    }

    /// <summary>
    /// <see cref="KernelPositionsOf4"/> sixteen kernel positions a step: a kernel of 9 to 16 positions (3×3) in one step
    /// per block, its lanes past the kernel left unstored; longer kernels in steps of 16, the last one overlapping. Stops
    /// before a block whose loads would read past the weights; returns the blocks done.
    /// </summary>
    private static unsafe int KernelPositionsOf4InSixteens<T>(ref float value, ref float existing, ref float target, int length, bool withHeld, bool inPlace, int prunedPerRun, int blocks, int stride)
        where T : struct, IElementTransform
    {
        const int Lanes = 16;
        var lanes = stride >= Lanes ? Vector512<float>.AllBitsSet : Vector512.LessThan(Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create((float)stride));
        var lastPosition = Math.Max(stride - Lanes, 0);
        var runs = new RunsOf4(stride);
        var block = 0;
        fixed (float* output = &target)
        {
            if (stride < Lanes)
            {
                // One step per block. The next block is loaded before this one is stored: its loads overlap the bytes
                // this block's masked stores span (not those they write), and a load after such a store waits for it.
                var blocksInReach = 0;
                while (blocksInReach < blocks && ((blocksInReach + 1) * 4 * stride) - stride + Lanes <= length) blocksInReach++;
                if (blocksInReach == 0) return 0;
                runs.Load<T>(ref value, ref existing, withHeld, 0);
                for (; block < blocksInReach; block++)
                {
                    var current = runs;
                    if (block + 1 < blocksInReach) runs.Load<T>(ref value, ref existing, withHeld, (block + 1) * 4 * stride);
                    current.Store(prunedPerRun, inPlace, lanes, output + (block * 4 * stride));
                }

                return block;
            }

            for (; block < blocks && (block + 1) * 4 * stride <= length; block++)
            {
                for (var position = 0; ; position += Lanes)
                {
                    if (position > lastPosition) position = lastPosition;
                    var at = (block * 4 * stride) + position;
                    runs.Load<T>(ref value, ref existing, withHeld, at);
                    runs.Store(prunedPerRun, inPlace, lanes, output + at);
                    if (position == lastPosition) break;
                }
            }
        }

        return block;
    }

    /// <summary>Sixteen kernel positions of the four runs of a block: their held mask and scores.</summary>
    private struct RunsOf4(int stride)
    {
        private Vector512<float> _h0, _h1, _h2, _h3, _s0, _s1, _s2, _s3;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Load<T>(ref float value, ref float existing, bool withHeld, int at)
            where T : struct, IElementTransform
        {
            _h0 = withHeld ? Vector512.LoadUnsafe(ref existing, (nuint)at) : default;
            _h1 = withHeld ? Vector512.LoadUnsafe(ref existing, (nuint)(at + stride)) : default;
            _h2 = withHeld ? Vector512.LoadUnsafe(ref existing, (nuint)(at + (2 * stride))) : default;
            _h3 = withHeld ? Vector512.LoadUnsafe(ref existing, (nuint)(at + (3 * stride))) : default;
            _s0 = Score<T>(ref value, _h0, withHeld, at);
            _s1 = Score<T>(ref value, _h1, withHeld, at + stride);
            _s2 = Score<T>(ref value, _h2, withHeld, at + (2 * stride));
            _s3 = Score<T>(ref value, _h3, withHeld, at + (3 * stride));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly unsafe void Store(int prunedPerRun, bool inPlace, Vector512<float> lanes, float* at)
        {
            // u comes before t (u < t) when s_u ≤ s_t; t before u otherwise.
            var first01 = Vector512.LessThanOrEqual(_s0, _s1);
            var first02 = Vector512.LessThanOrEqual(_s0, _s2);
            var first03 = Vector512.LessThanOrEqual(_s0, _s3);
            var first12 = Vector512.LessThanOrEqual(_s1, _s2);
            var first13 = Vector512.LessThanOrEqual(_s1, _s3);
            var first23 = Vector512.LessThanOrEqual(_s2, _s3);
            NOfMKernels.Store(AtLeast(prunedPerRun, ~first01, ~first02, ~first03) & Vector512<float>.One, _h0, inPlace, lanes, at);
            NOfMKernels.Store(AtLeast(prunedPerRun, first01, ~first12, ~first13) & Vector512<float>.One, _h1, inPlace, lanes, at + stride);
            NOfMKernels.Store(AtLeast(prunedPerRun, first02, first12, ~first23) & Vector512<float>.One, _h2, inPlace, lanes, at + (2 * stride));
            NOfMKernels.Store(AtLeast(prunedPerRun, first03, first13, first23) & Vector512<float>.One, _h3, inPlace, lanes, at + (3 * stride));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Score<T>(ref float value, Vector512<float> held, bool withHeld, int at)
        where T : struct, IElementTransform
    {
        var score = T.Apply(Vector512.LoadUnsafe(ref value, (nuint)at));
        return withHeld ? Vector512.ConditionalSelect(Vector512.Equals(held, Vector512<float>.Zero), Vector512.Create(float.NegativeInfinity), score) : score;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Score<T>(ref float value, Vector256<float> held, bool withHeld, int at)
        where T : struct, IElementTransform
    {
        var score = T.Apply(Vector256.LoadUnsafe(ref value, (nuint)at));
        return withHeld ? Vector256.ConditionalSelect(Vector256.Equals(held, Vector256<float>.Zero), Vector256.Create(float.NegativeInfinity), score) : score;
    }

    /// <summary>Lanes where <paramref name="other"/> comes before <paramref name="self"/>: lower, or equal where <paramref name="tieFirst"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> First(Vector512<float> other, Vector512<float> self, Vector512<float> tieFirst) =>
        Vector512.ConditionalSelect(tieFirst, Vector512.LessThanOrEqual(other, self), Vector512.LessThan(other, self));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> First(Vector256<float> other, Vector256<float> self, Vector256<float> tieFirst) =>
        Vector256.ConditionalSelect(tieFirst, Vector256.LessThanOrEqual(other, self), Vector256.LessThan(other, self));

    /// <summary>Lanes where at least <paramref name="count"/> (1 to 3) of the three conditions hold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> AtLeast(int count, Vector512<float> x, Vector512<float> y, Vector512<float> z) => count switch
    {
        1 => x | y | z,
        2 => (x & y) | (z & (x | y)),
        _ => x & y & z,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> AtLeast(int count, Vector256<float> x, Vector256<float> y, Vector256<float> z) => count switch
    {
        1 => x | y | z,
        2 => (x & y) | (z & (x | y)),
        _ => x & y & z,
    };

    /// <summary>Stores lanes of the new mask; in place over a held mask, only those that change.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(Vector512<float> keep, Vector512<float> held, bool inPlace, Vector512<float> lanes, float* at) =>
        Avx512F.MaskStore(at, inPlace ? lanes & ~Vector512.Equals(keep, held) : lanes, keep);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> keep, Vector256<float> held, bool inPlace, ref float target, int at)
    {
        if (!inPlace || keep != held) keep.StoreUnsafe(ref target, (nuint)at);
    }
}
