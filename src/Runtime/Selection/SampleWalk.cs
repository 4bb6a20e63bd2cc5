using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace PruneSharp;

/// <summary>
/// The positions of an evenly spread sample of <c>sampleSize</c> among <c>count</c> values, in increasing order: one
/// hashed position inside each sample's own stretch, so that the reads go forward through memory (the prefetcher
/// follows them) and do not alias with a layout as a fixed stride could. The walk steps in 32.32 fixed point, so a
/// position costs two multiplications and no division: with a division per position (about 40 cycles for 64 bits)
/// the walk cost as much as a pass over a 2.4 M-weight layer.
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
    /// Two values that bracket rank <paramref name="rank"/> of <paramref name="count"/> with high probability, from an
    /// evenly spread <paramref name="sample"/> of them (reordered): the sample's order statistics four standard
    /// deviations of its rank error (plus 16) either side of the rank's place in it; <paramref name="lowest"/> or
    /// <paramref name="highest"/> where that falls outside the sample.
    /// </summary>
    public static (T Low, T High) Bracket<T>(Span<T> sample, int rank, int count, T lowest, T highest)
        where T : struct, IComparisonOperators<T, T, bool>
    {
        var fraction = rank / (double)count;
        var center = (int)(fraction * sample.Length);
        var margin = (int)(4 * Math.Sqrt(sample.Length * fraction * (1 - fraction))) + 16;

        // Two order statistics of the sample, not a sort of it: introselect leaves everything below the first in front.
        var low = lowest;
        var high = highest;
        var rest = sample;
        if (center - margin > 0)
        {
            low = RadixSelect.SelectNth(rest, center - margin);
            rest = rest[(center - margin)..];
        }

        if (center + margin < sample.Length - 1) high = RadixSelect.SelectNth(rest, center + margin - (sample.Length - rest.Length));
        return (low, high);
    }
}
