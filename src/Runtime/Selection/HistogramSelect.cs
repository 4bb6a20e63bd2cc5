using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace PruneSharp;

/// <summary>
/// The key of a given rank among unsigned order keys that all lie in a known range: histograms of
/// <see cref="LevelBits"/> bits of <c>key − low</c>, top bits first, keeping after each level only the keys in the
/// bucket that holds the rank. Used over the few keys a sampled bracket gathers, float32 order keys
/// (<see cref="RadixSelect"/>'s magnitude path) and float64 order keys (<see cref="SampledSelect"/>) alike.
/// </summary>
internal static class HistogramSelect
{
    /// <summary>Bits per level: 2,048 buckets, a histogram that stays in the L1 cache.</summary>
    public const int LevelBits = 11;

    /// <summary>
    /// The key of rank <paramref name="rank"/> (0-based, ascending) among <paramref name="keys"/> (all in
    /// [<paramref name="low"/>, <paramref name="high"/>]), how many keys are smaller, and how many equal it.
    /// <paramref name="keys"/> is reordered: each level moves the keys it keeps to the front.
    /// </summary>
    public static (T Key, int Below, int AtKey) Nth<T>(Span<T> keys, int rank, T low, T high)
        where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        Span<int> histogram = stackalloc int[1 << LevelBits];
        var width = high - low;
        var bits = T.IsZero(width) ? 0 : (Unsafe.SizeOf<T>() * 8) - int.CreateTruncating(T.LeadingZeroCount(width));
        var shift = Math.Max(bits - LevelBits, 0);
        var levelMask = (T.One << Math.Min(bits, LevelBits)) - T.One;
        var count = keys.Length;
        var below = 0;
        var offset = T.Zero;
        while (true)
        {
            histogram.Clear();
            for (var index = 0; index < count; index++) histogram[int.CreateTruncating(((keys[index] - low) >> shift) & levelMask)]++;
            var bucket = 0;
            while (rank >= histogram[bucket])
            {
                rank -= histogram[bucket];
                below += histogram[bucket];
                bucket++;
            }

            var bucketKey = T.CreateTruncating(bucket);
            offset |= bucketKey << shift;
            if (shift == 0) return (low + offset, below, histogram[bucket]);

            var kept = 0;
            for (var index = 0; index < count; index++)
            {
                if ((((keys[index] - low) >> shift) & levelMask) == bucketKey) keys[kept++] = keys[index];
            }

            count = kept;
            var next = Math.Max(shift - LevelBits, 0);
            levelMask = (T.One << (shift - next)) - T.One;
            shift = next;
        }
    }
}
