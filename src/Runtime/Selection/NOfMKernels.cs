using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PruneSharp;

/// <summary>
/// The N:M kernels for runs of 4, the pattern sparse tensor cores run (2:4): runs of 4 adjacent weights
/// (<see cref="MaskKernel.NOfMChannelRuns"/>: 1×1 convolutions, <c>Linear</c>), two runs per 256-bit vector; and runs
/// whose weights are a kernel's size apart (<see cref="MaskKernel.NOfMKernelPositions"/>), eight kernel positions per
/// vector with the last vector of a block overlapping the one before. Both compute the rank of <see cref="NOfMPlan"/>
/// (lower scores, then equal scores at a lower index, count) with vector compares and no branch.
/// </summary>
/// <remarks>
/// They write every element of <c>mask</c> (in place over a held mask, only the vectors that change), and return false
/// when a score is NaN (the mask is then unspecified: the mask pass checks for NaN before it writes in place).
/// </remarks>
internal static class NOfMKernels
{
    /// <summary>Runs of 4 adjacent weights, two per vector. <paramref name="values"/> holds a multiple of 4.</summary>
    public static bool ChannelRunsOf4<T>(ReadOnlySpan<float> values, ReadOnlySpan<float> held, int prunedPerRun, Span<float> mask)
        where T : struct, IElementTransform
    {
        ref var value = ref MemoryMarshal.GetReference(values);
        ref var existing = ref MemoryMarshal.GetReference(held);
        ref var target = ref MemoryMarshal.GetReference(mask);
        var withHeld = !held.IsEmpty;
        var inPlace = withHeld && Unsafe.AreSame(ref existing, ref target);
        var limit = Vector256.Create((float)prunedPerRun);
        var negativeInfinity = Vector256.Create(float.NegativeInfinity);

        // Lane t meets lane (t + r) mod 4 of its run for r = 1, 2, 3; that lane comes before t exactly when t + r ≥ 4.
        var before1 = Vector256.Create(0, 0, 0, -1, 0, 0, 0, -1).AsSingle();
        var before2 = Vector256.Create(0, 0, -1, -1, 0, 0, -1, -1).AsSingle();
        var before3 = Vector256.Create(0, -1, -1, -1, 0, -1, -1, -1).AsSingle();
        var nan = Vector256<float>.Zero;
        var index = 0;
        for (; index + Vector256<float>.Count <= values.Length; index += Vector256<float>.Count)
        {
            var score = T.Apply(Vector256.LoadUnsafe(ref value, (nuint)index));
            nan |= ~Vector256.Equals(score, score);
            var before = withHeld ? Vector256.LoadUnsafe(ref existing, (nuint)index) : default;
            if (withHeld) score = Vector256.ConditionalSelect(Vector256.Equals(before, Vector256<float>.Zero), negativeInfinity, score);
            var rank = (Lower(Vector256.Shuffle(score, Vector256.Create(1, 2, 3, 0, 5, 6, 7, 4)), score, before1) & Vector256<float>.One)
                       + (Lower(Vector256.Shuffle(score, Vector256.Create(2, 3, 0, 1, 6, 7, 4, 5)), score, before2) & Vector256<float>.One)
                       + (Lower(Vector256.Shuffle(score, Vector256.Create(3, 0, 1, 2, 7, 4, 5, 6)), score, before3) & Vector256<float>.One);
            Store(Keep(rank, limit), before, inPlace, ref target, (nuint)index);
        }

        if (nan.ExtractMostSignificantBits() != 0) return false;
        for (; index < values.Length; index += 4)
        {
            if (!OneRun<T>(values, held, prunedPerRun, mask, index, 4, 1)) return false;
        }

        return true;
    }

    /// <summary>
    /// Runs of 4 whose weights are <paramref name="stride"/> (8 or more) apart, in <paramref name="blocks"/> blocks of
    /// 4 × <paramref name="stride"/> weights: eight kernel positions at a time.
    /// </summary>
    public static bool KernelPositionsOf4<T>(ReadOnlySpan<float> values, ReadOnlySpan<float> held, int prunedPerRun, int blocks, int stride, Span<float> mask)
        where T : struct, IElementTransform
    {
        ref var value = ref MemoryMarshal.GetReference(values);
        ref var existing = ref MemoryMarshal.GetReference(held);
        ref var target = ref MemoryMarshal.GetReference(mask);
        var withHeld = !held.IsEmpty;
        var inPlace = withHeld && Unsafe.AreSame(ref existing, ref target);
        var limit = Vector256.Create((float)prunedPerRun);
        var nan = Vector256<float>.Zero;
        var lastPosition = stride - Vector256<float>.Count;
        for (var block = 0; block < blocks; block++)
        {
            var first = block * 4 * stride;
            for (var position = 0; ; position += Vector256<float>.Count)
            {
                // The last vector of a block may overlap the one before: it writes the same values there again.
                if (position > lastPosition) position = lastPosition;
                var at = (nuint)(first + position);
                var h0 = withHeld ? Vector256.LoadUnsafe(ref existing, at) : default;
                var h1 = withHeld ? Vector256.LoadUnsafe(ref existing, at + (nuint)stride) : default;
                var h2 = withHeld ? Vector256.LoadUnsafe(ref existing, at + (nuint)(2 * stride)) : default;
                var h3 = withHeld ? Vector256.LoadUnsafe(ref existing, at + (nuint)(3 * stride)) : default;
                var s0 = Score<T>(ref value, h0, withHeld, at, ref nan);
                var s1 = Score<T>(ref value, h1, withHeld, at + (nuint)stride, ref nan);
                var s2 = Score<T>(ref value, h2, withHeld, at + (nuint)(2 * stride), ref nan);
                var s3 = Score<T>(ref value, h3, withHeld, at + (nuint)(3 * stride), ref nan);

                // rank(t) = #(u < t with s_u ≤ s_t) + #(u > t with s_u < s_t).
                var rank0 = Count(Vector256.LessThan(s1, s0)) + Count(Vector256.LessThan(s2, s0)) + Count(Vector256.LessThan(s3, s0));
                var rank1 = Count(Vector256.LessThanOrEqual(s0, s1)) + Count(Vector256.LessThan(s2, s1)) + Count(Vector256.LessThan(s3, s1));
                var rank2 = Count(Vector256.LessThanOrEqual(s0, s2)) + Count(Vector256.LessThanOrEqual(s1, s2)) + Count(Vector256.LessThan(s3, s2));
                var rank3 = Count(Vector256.LessThanOrEqual(s0, s3)) + Count(Vector256.LessThanOrEqual(s1, s3)) + Count(Vector256.LessThanOrEqual(s2, s3));
                Store(Keep(rank0, limit), h0, inPlace, ref target, at);
                Store(Keep(rank1, limit), h1, inPlace, ref target, at + (nuint)stride);
                Store(Keep(rank2, limit), h2, inPlace, ref target, at + (nuint)(2 * stride));
                Store(Keep(rank3, limit), h3, inPlace, ref target, at + (nuint)(3 * stride));
                if (position == lastPosition) break;
            }
        }

        return nan.ExtractMostSignificantBits() == 0;
    }

    /// <summary>One run of <paramref name="m"/> weights <paramref name="stride"/> apart from <paramref name="start"/>, without vectors.</summary>
    public static bool OneRun<T>(ReadOnlySpan<float> values, ReadOnlySpan<float> held, int prunedPerRun, Span<float> mask, int start, int m, int stride)
        where T : struct, IElementTransform
    {
        Span<float> run = stackalloc float[m];
        for (var t = 0; t < m; t++)
        {
            var index = start + (t * stride);
            var score = T.Apply(values[index]);
            if (float.IsNaN(score)) return false;
            run[t] = !held.IsEmpty && held[index] == 0f ? float.NegativeInfinity : score;
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

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Score<T>(ref float value, Vector256<float> held, bool withHeld, nuint at, ref Vector256<float> nan)
        where T : struct, IElementTransform
    {
        var score = T.Apply(Vector256.LoadUnsafe(ref value, at));
        nan |= ~Vector256.Equals(score, score);
        if (!withHeld) return score;
        return Vector256.ConditionalSelect(Vector256.Equals(held, Vector256<float>.Zero), Vector256.Create(float.NegativeInfinity), score);
    }

    /// <summary>
    /// Stores a vector of the new mask; in place over a held mask, only where it differs from what was there, so that a
    /// held mask that does not change (the steady state of 2:4) is read and never written back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> keep, Vector256<float> held, bool inPlace, ref float target, nuint at)
    {
        if (!inPlace || keep != held) keep.StoreUnsafe(ref target, at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Lower(Vector256<float> other, Vector256<float> self, Vector256<float> otherComesFirst) =>
        Vector256.LessThan(other, self) | (Vector256.Equals(other, self) & otherComesFirst);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Count(Vector256<float> condition) => condition & Vector256<float>.One;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Keep(Vector256<float> rank, Vector256<float> limit) =>
        Vector256.ConditionalSelect(Vector256.LessThan(rank, limit), Vector256<float>.Zero, Vector256<float>.One);
}
