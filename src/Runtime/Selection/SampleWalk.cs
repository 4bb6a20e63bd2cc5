using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace PruneSharp;

/// <summary>
/// The positions of an evenly spread sample of <c>sampleSize</c> among <c>count</c> values, in increasing order: one
/// hashed position inside each sample's own stretch, so that the reads go forward through memory (the prefetcher
/// follows them) and do not alias with a layout as a fixed stride could. The walk steps in 32.32 fixed point, so a
/// position costs two multiplications and no division: the 64-bit divisions a position cost before made about a fifth
/// of the sampling time of a 2.4 M-weight layer (0.156 against 0.127 ms, caches cold).
/// </summary>
/// <remarks>Where the samples fall changes only how tight a bracket is, never a result: a bracket that misses the
/// rank is detected, and the caller selects over every value.</remarks>
internal struct SampleWalk
{
    private readonly ulong _stride;
    private readonly ulong _width;
    private ulong _start;
    private uint _hash;

    /// <summary>A walk of <paramref name="sampleSize"/> positions (at least 1) among <paramref name="count"/> values (at least <paramref name="sampleSize"/>).</summary>
    public SampleWalk(int sampleSize, int count)
    {
        // count < 2^31, so count · 2^32 fits in 64 bits; each stretch starts at or before i · count / sampleSize
        // (the stride is rounded down) and the hashed offset stays below the width, so a position stays below count.
        _stride = ((ulong)count << 32) / (ulong)sampleSize;
        _width = (ulong)(count / sampleSize);
        _start = 0;
        _hash = 0x9E3779B9u;
    }

    /// <summary>The next position.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Next()
    {
        _hash = (_hash * 1664525u) + 1013904223u;
        var position = (int)((_start >> 32) + ((_hash * _width) >> 32));
        _start += _stride;
        return position;
    }

    /// <summary>
    /// Two order keys that bracket rank <paramref name="rank"/> of <paramref name="count"/> with high probability, from
    /// an evenly spread <paramref name="sample"/> of their keys: at or below the sample's order statistic four standard
    /// deviations of its rank error (plus 16) under the rank's place in it, and at or above the one as far over it;
    /// <paramref name="lowest"/> and <see cref="IMinMaxValue{T}.MaxValue"/> where that falls outside the sample.
    /// </summary>
    /// <remarks>
    /// The order statistics are bounded by one histogram of the sample's keys (2,048 buckets over their range), not
    /// found exactly: an introselect of 4,096 keys mispredicts a branch at about every other comparison and cost about
    /// 35 µs per layer, as much as a read of a 350,000-weight layer from memory. Each end moves out by less than one
    /// bucket's width of keys. Keys equal to <paramref name="lowest"/> (weights or groups the held mask
    /// prunes) are counted apart, so that they do not stretch the buckets over the whole key range.
    /// </remarks>
    public static (T Low, T High) Bracket<T>(ReadOnlySpan<T> sample, int rank, int count, T lowest)
        where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>, IMinMaxValue<T>
    {
        var fraction = rank / (double)count;
        var center = (int)(fraction * sample.Length);
        var margin = (int)(4 * Math.Sqrt(sample.Length * fraction * (1 - fraction))) + 16;
        var lowRank = center - margin;
        var highRank = center + margin;
        var low = lowest;
        var high = T.MaxValue;
        if (lowRank <= 0 && highRank >= sample.Length - 1) return (low, high);

        var least = T.MaxValue;
        var most = lowest;
        var atLowest = 0;
        foreach (var key in sample)
        {
            if (key == lowest)
            {
                atLowest++;
                continue;
            }

            least = T.Min(least, key);
            most = T.Max(most, key);
        }

        if (atLowest == sample.Length) return (low, high);
        var width = most - least;
        var bits = T.IsZero(width) ? 0 : (Unsafe.SizeOf<T>() * 8) - int.CreateTruncating(T.LeadingZeroCount(width));
        var shift = Math.Max(bits - HistogramSelect.LevelBits, 0);
        Span<int> histogram = stackalloc int[1 << HistogramSelect.LevelBits];
        histogram.Clear();
        foreach (var key in sample)
        {
            if (key != lowest) histogram[int.CreateTruncating((key - least) >> shift)]++;
        }

        // Walk the buckets in order, counting the keys at `lowest` first: the bucket holding a rank bounds its key.
        if (highRank < atLowest) return (low, lowest);
        var seen = atLowest;
        for (var bucket = 0; bucket < histogram.Length; bucket++)
        {
            var next = seen + histogram[bucket];
            if (lowRank > 0 && lowRank >= seen && lowRank < next) low = least + (T.CreateTruncating(bucket) << shift);
            if (highRank < sample.Length - 1 && highRank >= seen && highRank < next)
            {
                // The bucket's last key, or the sample's largest where the bucket reaches past it (and could overflow).
                var edge = T.CreateTruncating(bucket) << shift;
                high = (width - edge) >> shift == T.Zero ? most : least + edge + ((T.One << shift) - T.One);
                break;
            }

            seen = next;
        }

        return (low, high);
    }
}
