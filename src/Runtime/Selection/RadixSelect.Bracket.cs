using System;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PruneSharp;

/// <content>
/// The element-wise selection's bracket: an evenly spread sample gives two magnitude keys that hold the threshold with
/// high probability, one vectorized pass counts the keys below them and gathers the keys between them, and a histogram
/// of a few levels over the gathered keys finds the threshold.
/// </content>
internal static partial class RadixSelect
{
    /// <summary>The largest bracket sample (<see cref="SampleSizeFor"/>), for float32 and float64 scores alike.</summary>
    internal const int SampleSize = 4096;

    /// <summary>How many samples ahead <see cref="SampleBracket"/> prefetches: about the misses a core keeps in flight.</summary>
    private const int PrefetchDistance = 24;

    [ThreadStatic]
    private static uint[]? t_sample;

    /// <summary>
    /// How many values a bracket samples from <paramref name="count"/>: one in 32, from 512 up to 4,096. A small layer
    /// needs fewer samples for as tight a bracket (relative to its size), and ordering them costs more than scanning it.
    /// </summary>
    internal static int SampleSizeFor(int count) => Math.Clamp(count / 32, 512, SampleSize);

    /// <summary>Keys that bracket rank <paramref name="rank"/> with high probability, from an evenly spread sample.</summary>
    private static unsafe (uint Low, uint High) SampleBracket(ReadOnlySpan<float> values, ReadOnlySpan<float> existingMask, int rank)
    {
        var sample = (t_sample ??= new uint[SampleSize]).AsSpan(0, SampleSizeFor(values.Length));
        var masked = !existingMask.IsEmpty;
        var walk = new SampleWalk(sample.Length, values.Length);

        // The samples miss the cache and the hardware prefetcher cannot guess where they lie, but their positions are
        // known: each read is prefetched PrefetchDistance samples ahead, so that many misses are in flight at once.
        var ahead = walk;
        var prefetched = 0;
        fixed (float* valueStart = values)
        fixed (float* maskStart = existingMask)
        {
            for (var index = 0; index < sample.Length; index++)
            {
                for (; prefetched < sample.Length && prefetched <= index + PrefetchDistance; prefetched++)
                {
                    var next = ahead.Next();
                    if (!Sse.IsSupported) continue;
                    Sse.Prefetch0(valueStart + next);
                    if (masked) Sse.Prefetch0(maskStart + next);
                }

                var at = walk.Next();

                // No branch on the mask: a mispredicted one would stall the reads still in flight, and these miss the cache.
                sample[index] = MagnitudeKey(values[at]) * (masked ? (existingMask[at] != 0f ? 1u : 0u) : 1u);
            }
        }

        return SampleWalk.Bracket<uint>(sample, rank, values.Length, lowest: 0u);
    }

    private readonly record struct BracketScan(int Zeros, int Below, int Count, bool SawNaN);

    /// <summary>For each 8-bit lane mask, the permutation that moves the selected lanes to the front, in order.</summary>
    private static readonly Vector256<int>[] LeftPackPermutations = CreateLeftPackPermutations();

    private static Vector256<int>[] CreateLeftPackPermutations()
    {
        var table = new Vector256<int>[256];
        Span<int> lanes = stackalloc int[8];
        for (var mask = 0; mask < table.Length; mask++)
        {
            lanes.Clear();
            var next = 0;
            for (var lane = 0; lane < 8; lane++)
            {
                if ((mask & (1 << lane)) != 0) lanes[next++] = lane;
            }

            table[mask] = Vector256.Create<int>(lanes);
        }

        return table;
    }

    /// <summary>Counts the keys below <paramref name="low"/> and gathers the keys in [low, high] (as ints, same bits).</summary>
    private static BracketScan ScanBracket(ReadOnlySpan<float> values, ReadOnlySpan<float> existingMask, uint low, uint high, Span<int> candidates)
    {
        const uint NaNAbove = 0x7F80_0001u;
        if (candidates.Length < values.Length + Vector512<int>.Count)
        {
            throw new ArgumentException("The candidate buffer needs room for every value and one more vector.", nameof(candidates));
        }

        var masked = !existingMask.IsEmpty;
        var zeros = 0;
        var below = 0;
        var count = 0;
        var index = 0;
        var nan = false;
        ref var candidateStart = ref MemoryMarshal.GetReference(candidates);
        ref var valueStart = ref MemoryMarshal.GetReference(values);
        ref var maskStart = ref MemoryMarshal.GetReference(existingMask);
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            // Sixteen keys a step. Counts accumulate in vectors (a lane that matches adds -1), so the loop's only
            // scalar work is the candidates' count; compress in a register, then one plain store that may write up to
            // a vector past the last candidate (the buffer has room).
            var lowVector = Vector512.Create(low);
            var widthVector = Vector512.Create(high - low);
            var nanVector = Vector512.Create(NaNAbove);
            var magnitudeBits = Vector512.Create(0x7FFF_FFFFu);
            var sawNaN = Vector512<uint>.Zero;
            var zeroCounts = Vector512<uint>.Zero;
            var belowCounts = Vector512<uint>.Zero;
            for (; index <= values.Length - Vector512<uint>.Count; index += Vector512<uint>.Count)
            {
                var keys = (Vector512.LoadUnsafe(ref valueStart, (nuint)index).AsUInt32() & magnitudeBits) + Vector512<uint>.One;
                sawNaN |= Vector512.GreaterThan(keys, nanVector);
                if (masked)
                {
                    keys = Vector512.AndNot(keys, Vector512.Equals(Vector512.LoadUnsafe(ref maskStart, (nuint)index), Vector512<float>.Zero).AsUInt32());
                }

                var isZero = Vector512.Equals(keys, Vector512<uint>.Zero);
                zeroCounts -= isZero;
                belowCounts -= Vector512.AndNot(Vector512.LessThan(keys, lowVector), isZero);
                var inBracket = Vector512.LessThanOrEqual(keys - lowVector, widthVector);
                Avx512F.Compress(Vector512<uint>.Zero, inBracket, keys).AsInt32().StoreUnsafe(ref candidateStart, (nuint)count);
                count += BitOperations.PopCount(inBracket.ExtractMostSignificantBits());
            }

            zeros = (int)Vector512.Sum(zeroCounts);
            below = (int)Vector512.Sum(belowCounts);
            nan = sawNaN != Vector512<uint>.Zero;
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var lowVector = Vector256.Create(low);
            var widthVector = Vector256.Create(high - low);
            var nanVector = Vector256.Create(NaNAbove);
            var magnitudeBits = Vector256.Create(0x7FFF_FFFFu);
            var sawNaN = Vector256<uint>.Zero;
            for (; index <= values.Length - Vector256<uint>.Count; index += Vector256<uint>.Count)
            {
                var keys = (Vector256.LoadUnsafe(ref valueStart, (nuint)index).AsUInt32() & magnitudeBits) + Vector256<uint>.One;
                sawNaN |= Vector256.GreaterThan(keys, nanVector);
                if (masked)
                {
                    var pruned = Vector256.Equals(Vector256.LoadUnsafe(ref maskStart, (nuint)index), Vector256<float>.Zero).AsUInt32();
                    keys = Vector256.AndNot(keys, pruned);
                }

                var isZero = Vector256.Equals(keys, Vector256<uint>.Zero);
                zeros += BitOperations.PopCount(isZero.ExtractMostSignificantBits());
                below += BitOperations.PopCount(Vector256.AndNot(Vector256.LessThan(keys, lowVector), isZero).ExtractMostSignificantBits());
                var inBracket = Vector256.LessThanOrEqual(keys - lowVector, widthVector).ExtractMostSignificantBits();
                if (Avx2.IsSupported)
                {
                    // Left-pack the lanes in the bracket without a branch per vector: a third or more of the vectors
                    // hold a candidate, so branching on each one mispredicts too often.
                    var packed = Avx2.PermuteVar8x32(keys.AsInt32(), LeftPackPermutations[inBracket]);
                    packed.StoreUnsafe(ref candidateStart, (nuint)count);
                    count += BitOperations.PopCount(inBracket);
                }
                else
                {
                    while (inBracket != 0)
                    {
                        candidates[count++] = (int)keys[BitOperations.TrailingZeroCount(inBracket)];
                        inBracket &= inBracket - 1;
                    }
                }
            }

            nan = sawNaN != Vector256<uint>.Zero;
        }

        for (; index < values.Length; index++)
        {
            var key = MagnitudeKey(values[index]);
            nan |= key > NaNAbove;
            if (masked && existingMask[index] == 0f) key = 0;
            if (key == 0) zeros++;
            else if (key < low) below++;
            else if (key <= high) candidates[count++] = (int)key;
        }

        return new BracketScan(zeros, below, count, nan);
    }
}
