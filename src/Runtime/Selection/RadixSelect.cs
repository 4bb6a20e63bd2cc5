using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace PruneSharp;

/// <summary>
/// Exact selection by the mask rule's order without sorting: histograms over 16-bit digits of order-preserving
/// integer keys. Each pass reads memory front to back, which is what a CPU is fast at; quickselect's random swaps are
/// not. Small inputs use introselect, where clearing a 65,536-bucket histogram would cost more than the work.
/// </summary>
internal static partial class RadixSelect
{
    /// <summary>Below this many values, selection uses introselect.</summary>
    public const int MinimumCount = 16384;

    /// <summary>
    /// From this many weights, an element-wise magnitude mask takes the float32 path (a sampled bracket, then histograms
    /// of the few keys in it), which never clears a full histogram unless the bracket misses.
    /// </summary>
    public const int MinimumMagnitudeCount = 1024;

    private const int DigitBits = 16;
    private const int Buckets = 1 << DigitBits;

    [ThreadStatic]
    private static int[]? t_histogram;

    private static Span<int> Histogram()
    {
        // One per thread, allocated on first use: every warm call allocates nothing.
        var histogram = t_histogram ??= new int[Buckets];
        histogram.AsSpan().Clear();
        return histogram;
    }

    /// <summary>
    /// An unsigned key with the order of the doubles (no NaN): -0 and +0 get the same key, as they compare equal.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Key(double value)
    {
        var bits = BitConverter.DoubleToInt64Bits(value == 0.0 ? 0.0 : value);
        return bits < 0 ? ~(ulong)bits : (ulong)bits | 0x8000_0000_0000_0000UL;
    }

    /// <summary>
    /// The key of the value of rank <paramref name="n"/> (0-based, ascending) and how many values have a smaller key.
    /// <paramref name="candidates"/> needs room for <c>values.Length</c> indices.
    /// </summary>
    public static (ulong Threshold, int Below) NthKey(ReadOnlySpan<double> values, int n, Span<int> candidates)
    {
        var histogram = Histogram();
        foreach (var value in values) histogram[(int)(Key(value) >> 48)]++;
        var (digit, below) = Find(histogram, n);
        var rank = n - below;

        var count = 0;
        for (var index = 0; index < values.Length; index++)
        {
            if ((int)(Key(values[index]) >> 48) == digit) candidates[count++] = index;
        }

        var threshold = (ulong)digit;
        for (var shift = 32; shift >= 0; shift -= DigitBits)
        {
            histogram = Histogram();
            for (var candidate = 0; candidate < count; candidate++)
            {
                histogram[(int)(Key(values[candidates[candidate]]) >> shift) & (Buckets - 1)]++;
            }

            var (next, belowInBucket) = Find(histogram, rank);
            rank -= belowInBucket;
            below += belowInBucket;
            threshold = (threshold << DigitBits) | (uint)next;

            var kept = 0;
            for (var candidate = 0; candidate < count; candidate++)
            {
                var index = candidates[candidate];
                if (((int)(Key(values[index]) >> shift) & (Buckets - 1)) == next) candidates[kept++] = index;
            }

            count = kept;
        }

        return (threshold, below);
    }

    /// <summary>As <see cref="NthKey"/>, by introselect on a copy in <paramref name="scratch"/> (for small inputs).</summary>
    public static (ulong Threshold, int Below) NthKeyBySelection(ReadOnlySpan<double> values, int n, Span<double> scratch)
    {
        var copy = scratch[..values.Length];
        values.CopyTo(copy);
        var threshold = Key(SelectNth(copy, n));
        var below = 0;
        foreach (var value in values)
        {
            if (Key(value) < threshold) below++;
        }

        return (threshold, below);
    }

    /// <summary>The bucket that holds rank <paramref name="rank"/>, and how many values lie in the buckets before it.</summary>
    private static (int Digit, int Below) Find(ReadOnlySpan<int> histogram, int rank)
    {
        var below = 0;
        for (var digit = 0; digit < histogram.Length; digit++)
        {
            if (below + histogram[digit] > rank) return (digit, below);
            below += histogram[digit];
        }

        throw new InvalidOperationException($"Rank {rank} is past the {below} values counted.");
    }

    /// <summary>
    /// Rearranges <paramref name="values"/> so that position <paramref name="n"/> holds the value a full sort would
    /// put there, and returns it (introselect: quickselect with median-of-three pivots, falling back to a sort of the
    /// remaining range when partitioning degrades). No NaN may be present.
    /// </summary>
    internal static T SelectNth<T>(Span<T> values, int n)
        where T : struct, IComparisonOperators<T, T, bool>
    {
        var low = 0;
        var high = values.Length - 1;
        var budget = 2 * (BitOperations.Log2((uint)values.Length) + 1);
        while (high > low)
        {
            if (budget-- == 0)
            {
                values[low..(high + 1)].Sort();
                return values[n];
            }

            var middle = low + ((high - low) >> 1);
            if (values[middle] < values[low]) Swap(values, middle, low);
            if (values[high] < values[low]) Swap(values, high, low);
            if (values[high] < values[middle]) Swap(values, high, middle);
            var pivot = values[middle];

            int left = low, right = high;
            while (left <= right)
            {
                while (values[left] < pivot) left++;
                while (values[right] > pivot) right--;
                if (left <= right)
                {
                    Swap(values, left, right);
                    left++;
                    right--;
                }
            }

            if (n <= right) high = right;
            else if (n >= left) low = left;
            else return values[n];
        }

        return values[n];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Swap<T>(Span<T> values, int a, int b) => (values[a], values[b]) = (values[b], values[a]);
}
