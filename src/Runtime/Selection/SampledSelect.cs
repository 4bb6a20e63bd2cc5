using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PruneSharp;

/// <summary>
/// The value of a given rank among many float64 group scores, found from a sample: an evenly spread sample brackets the
/// rank (<see cref="SampleWalk"/>), one vectorized pass counts the scores below the bracket and gathers those inside
/// it, and histograms of their order keys find the rank among the few gathered (<see cref="HistogramSelect"/>). Two
/// reads of the scores in all, where the radix select needs a histogram pass and then reads its candidates at random. When the bracket misses (rarely: it spans four standard deviations of the
/// sample's rank error) the caller selects by radix instead; the result is exact either way.
/// </summary>
internal static class SampledSelect
{
    /// <summary>
    /// From this many scores the sampled bracket is tried first: below, introselect's branchy partitions cost less than
    /// a sample and a pass; above, several times more (4,096 groups: about 0.1 ms against 0.03).
    /// </summary>
    public const int MinimumCount = 1024;

    [ThreadStatic]
    private static ulong[]? t_sample;

    /// <summary>
    /// Finds the value of rank <paramref name="n"/> (0-based, ascending) among <paramref name="values"/> (no NaN) and how
    /// many values are below it. <paramref name="candidates"/> is scratch with room for every value and one vector more.
    /// </summary>
    /// <returns>False when the bracket missed or the scratch is too small; nothing is found then.</returns>
    public static bool TryFindNth(ReadOnlySpan<double> values, int n, Span<double> candidates, out double nth, out int below)
    {
        nth = 0;
        below = 0;
        if (candidates.Length < values.Length + Vector512<double>.Count) return false;
        var (low, high) = Bracket(values, n);
        var count = Gather(values, low, high, candidates, out var underLow);
        if (underLow > n || underLow + count <= n) return false;

        // The rank among the gathered scores, by histograms of their order-preserving keys: sequential passes over a few
        // thousand values, where introselect's swaps would mispredict a branch for every other one.
        var keys = MemoryMarshal.Cast<double, ulong>(candidates[..count]);
        for (var index = 0; index < keys.Length; index++) keys[index] = RadixSelect.Key(BitConverter.UInt64BitsToDouble(keys[index]));
        var (key, underKey, _) = HistogramSelect.Nth(keys, n - underLow, RadixSelect.Key(low), RadixSelect.Key(high));
        nth = FromKey(key);
        below = underLow + underKey;
        return true;
    }

    /// <summary>The double whose <see cref="RadixSelect.Key"/> is <paramref name="key"/> (+0 for the key of ±0).</summary>
    private static double FromKey(ulong key) =>
        BitConverter.UInt64BitsToDouble((key & 0x8000_0000_0000_0000UL) != 0 ? key & 0x7FFF_FFFF_FFFF_FFFFUL : ~key);

    /// <summary>Scores that bracket rank <paramref name="n"/> with high probability, from an evenly spread sample.</summary>
    private static (double Low, double High) Bracket(ReadOnlySpan<double> values, int n)
    {
        var sample = (t_sample ??= new ulong[RadixSelect.SampleSize]).AsSpan(0, RadixSelect.SampleSizeFor(values.Length));
        var walk = new SampleWalk(sample.Length, values.Length);
        for (var index = 0; index < sample.Length; index++) sample[index] = RadixSelect.Key(values[walk.Next()]);
        var (lowKey, highKey) = SampleWalk.Bracket(sample, n, values.Length, lowest: RadixSelect.Key(double.NegativeInfinity));

        // The keys from -Inf's to +Inf's are the doubles in order, without a NaN; the largest key (a NaN's) stands for
        // "none above".
        var low = FromKey(lowKey);
        var high = highKey == ulong.MaxValue ? double.PositiveInfinity : FromKey(highKey);

        // -Inf (groups the held mask prunes, often half the layer) is counted below the bracket, never gathered: from
        // the lowest finite score up.
        return (Math.Max(low, double.MinValue), high);
    }

    /// <summary>Counts the values below <paramref name="low"/> and gathers those in [low, high] into <paramref name="candidates"/>, in order.</summary>
    private static int Gather(ReadOnlySpan<double> values, double low, double high, Span<double> candidates, out int underLow)
    {
        var count = 0;
        var under = 0;
        var index = 0;
        ref var start = ref MemoryMarshal.GetReference(values);
        ref var target = ref MemoryMarshal.GetReference(candidates);
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            var lows = Vector512.Create(low);
            var highs = Vector512.Create(high);
            for (; index + Vector512<double>.Count <= values.Length; index += Vector512<double>.Count)
            {
                var loaded = Vector512.LoadUnsafe(ref start, (nuint)index);
                var isUnder = Vector512.LessThan(loaded, lows);
                var inside = Vector512.AndNot(Vector512.LessThanOrEqual(loaded, highs), isUnder);
                under += BitOperations.PopCount(isUnder.ExtractMostSignificantBits());

                // The register form of compress, then a plain store: the store writes up to a vector past the last
                // candidate, which the scratch has room for.
                Avx512F.Compress(Vector512<double>.Zero, inside, loaded).StoreUnsafe(ref target, (nuint)count);
                count += BitOperations.PopCount(inside.ExtractMostSignificantBits());
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var lows = Vector256.Create(low);
            var highs = Vector256.Create(high);
            for (; index + Vector256<double>.Count <= values.Length; index += Vector256<double>.Count)
            {
                var loaded = Vector256.LoadUnsafe(ref start, (nuint)index);
                var isUnder = Vector256.LessThan(loaded, lows);
                under += BitOperations.PopCount(isUnder.ExtractMostSignificantBits());
                var inside = Vector256.AndNot(Vector256.LessThanOrEqual(loaded, highs), isUnder).ExtractMostSignificantBits();
                while (inside != 0)
                {
                    Unsafe.Add(ref target, count++) = Unsafe.Add(ref start, index + BitOperations.TrailingZeroCount(inside));
                    inside &= inside - 1;
                }
            }
        }

        for (; index < values.Length; index++)
        {
            var value = values[index];
            if (value < low) under++;
            else if (value <= high) candidates[count++] = value;
        }

        underLow = under;
        return count;
    }
}
