using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PruneSharp;

/// <content>
/// The element-wise case: the selection runs on float32 magnitude keys and writes the mask directly. It is split in
/// two, so that a mask pass finds every layer's threshold (and every NaN) before it writes any mask.
/// </content>
internal static partial class RadixSelect
{
    /// <summary>
    /// Writes the mask that prunes the <paramref name="pruned"/> lowest magnitudes of <paramref name="values"/>
    /// (ties: lower index first; weights <paramref name="existingMask"/> prunes count lowest): <see cref="TryFindMagnitudeThreshold"/>,
    /// then <see cref="WriteMagnitudeMask"/>. The existing mask may be the same memory as <paramref name="mask"/>.
    /// </summary>
    /// <returns>False, writing nothing, when a value is NaN.</returns>
    public static bool MaskLowestMagnitudes(ReadOnlySpan<float> values, ReadOnlySpan<float> existingMask, int pruned, Span<int> candidates, Span<float> mask)
    {
        if (!TryFindMagnitudeThreshold(values, existingMask, pruned, candidates, out var threshold)) return false;
        WriteMagnitudeMask(values, existingMask, threshold, mask);
        return true;
    }

    /// <summary>As <see cref="MaskLowestMagnitudes"/>, with the threshold found by the histogram alone (no sampled bracket).</summary>
    internal static bool MaskLowestMagnitudesByHistogram(ReadOnlySpan<float> values, ReadOnlySpan<float> existingMask, int pruned, Span<int> candidates, Span<float> mask)
    {
        if (!TryFindThresholdByHistogram(values, existingMask, pruned, candidates, out var threshold)) return false;
        WriteMagnitudeMask(values, existingMask, threshold, mask);
        return true;
    }

    /// <summary>
    /// Finds the magnitude key at which the <paramref name="pruned"/> lowest magnitudes of <paramref name="values"/>
    /// end, reading <paramref name="values"/> and <paramref name="existingMask"/> only. The keys are the float32 bit
    /// patterns of the magnitudes, shifted up by one so that 0 can stand for "already pruned". <paramref name="candidates"/>
    /// needs room for <c>values.Length</c> + 8 keys.
    /// </summary>
    /// <returns>False when a value is NaN.</returns>
    public static bool TryFindMagnitudeThreshold(ReadOnlySpan<float> values, ReadOnlySpan<float> existingMask, int pruned, Span<int> candidates, out MagnitudeThreshold threshold)
    {
        if (pruned == 0 || !Vector256.IsHardwareAccelerated)
        {
            return TryFindThresholdByHistogram(values, existingMask, pruned, candidates, out threshold);
        }

        // Bracket the threshold from a sample, count and gather in one vectorized pass, and fall back to the histogram
        // when the bracket misses (never wrong, only slower).
        var (low, high) = SampleBracket(values, existingMask, pruned - 1);

        // Key 0 (already pruned) is counted apart and never gathered: in training, repeated updates find half the
        // weights masked, and gathering them would make the bracket as large as the layer.
        low = Math.Max(low, 1u);
        high = Math.Max(high, low);
        var scan = ScanBracket(values, existingMask, low, high, candidates);
        threshold = default;
        if (scan.SawNaN) return false;
        var rank = pruned - 1;
        if (scan.Zeros > rank)
        {
            // The threshold is the masked key itself: the first `pruned` masked weights go, in index order.
            threshold = new MagnitudeThreshold(0, pruned, scan.Zeros);
            return true;
        }

        var below = scan.Zeros + scan.Below;
        if (below > rank || below + scan.Count <= rank)
        {
            return TryFindThresholdByHistogram(values, existingMask, pruned, candidates, out threshold);
        }

        var (key, belowInBracket, atThreshold) = NthCandidateKey(MemoryMarshal.Cast<int, uint>(candidates[..scan.Count]), rank - below, low, high);
        threshold = new MagnitudeThreshold(key, pruned - below - belowInBracket, atThreshold);
        return true;
    }

    /// <summary>
    /// Writes the mask of a threshold from <see cref="TryFindMagnitudeThreshold"/> for the same values and existing mask:
    /// keys below it are pruned, keys above kept, and of the keys at it the first <see cref="MagnitudeThreshold.TiesToPrune"/>
    /// in index order. The existing mask may be the same memory as <paramref name="mask"/>.
    /// </summary>
    public static void WriteMagnitudeMask(ReadOnlySpan<float> values, ReadOnlySpan<float> existingMask, MagnitudeThreshold threshold, Span<float> mask) =>
        WriteMask(values, existingMask, threshold.Key, threshold.TiesToPrune, threshold.KeysAtThreshold, mask);

    /// <summary>The threshold by two histogram passes over 16-bit digits of the keys, and a third over the candidates' keys.</summary>
    private static bool TryFindThresholdByHistogram(ReadOnlySpan<float> values, ReadOnlySpan<float> existingMask, int pruned, Span<int> candidates, out MagnitudeThreshold threshold)
    {
        const uint NaNAbove = 0x7F80_0001u; // +Inf's bits plus one
        threshold = default;
        var histogram = Histogram();
        var masked = !existingMask.IsEmpty;
        for (var index = 0; index < values.Length; index++)
        {
            var key = MagnitudeKey(values[index]);
            if (key > NaNAbove) return false;
            if (masked && existingMask[index] == 0f) key = 0;
            histogram[(int)(key >> DigitBits)]++;
        }

        if (pruned == 0)
        {
            // Nothing goes, not even what the existing mask pruned: no key is below 0, and no tie is pruned.
            threshold = new MagnitudeThreshold(0, 0, -1);
            return true;
        }

        var (digit, below) = Find(histogram, pruned - 1);
        var count = 0;
        for (var index = 0; index < values.Length; index++)
        {
            var key = masked && existingMask[index] == 0f ? 0 : MagnitudeKey(values[index]);
            if ((int)(key >> DigitBits) == digit) candidates[count++] = (int)key;
        }

        var low = (uint)digit << DigitBits;
        var (thresholdKey, belowInDigit, atThreshold) = NthCandidateKey(MemoryMarshal.Cast<int, uint>(candidates[..count]), pruned - 1 - below, low, low | (Buckets - 1));
        threshold = new MagnitudeThreshold(thresholdKey, pruned - below - belowInDigit, atThreshold);
        return true;
    }

    private const int SampleSize = 4096;

    [ThreadStatic]
    private static uint[]? t_sample;

    /// <summary>Keys that bracket rank <paramref name="rank"/> with high probability, from an evenly spread sample.</summary>
    private static (uint Low, uint High) SampleBracket(ReadOnlySpan<float> values, ReadOnlySpan<float> existingMask, int rank)
    {
        var sample = t_sample ??= new uint[SampleSize];
        var masked = !existingMask.IsEmpty;
        var position = 0x9E3779B9u;
        for (var index = 0; index < sample.Length; index++)
        {
            // A multiplicative hash spreads the positions without the aliasing a fixed stride could have with a layout.
            position = (position * 1664525u) + 1013904223u;
            var at = (int)(((ulong)position * (ulong)values.Length) >> 32);
            sample[index] = masked && existingMask[at] == 0f ? 0 : MagnitudeKey(values[at]);
        }

        Array.Sort(sample);
        var fraction = rank / (double)values.Length;
        var center = (int)(fraction * SampleSize);
        var margin = (int)(4 * Math.Sqrt(SampleSize * fraction * (1 - fraction))) + 16;
        var low = center - margin <= 0 ? 0u : sample[center - margin];
        var high = center + margin >= SampleSize - 1 ? uint.MaxValue : sample[center + margin];
        return (low, high);
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
        var masked = !existingMask.IsEmpty;
        var zeros = 0;
        var below = 0;
        var count = 0;
        var index = 0;
        var nan = false;
        if (Vector256.IsHardwareAccelerated)
        {
            var lowVector = Vector256.Create(low);
            var widthVector = Vector256.Create(high - low);
            ref var candidateStart = ref MemoryMarshal.GetReference(candidates);
            if (candidates.Length < values.Length + Vector256<int>.Count)
            {
                throw new ArgumentException("The candidate buffer needs room for every value and one more vector.", nameof(candidates));
            }

            var nanVector = Vector256.Create(NaNAbove);
            var magnitudeBits = Vector256.Create(0x7FFF_FFFFu);
            var sawNaN = Vector256<uint>.Zero;
            ref var valueStart = ref MemoryMarshal.GetReference(values);
            ref var maskStart = ref MemoryMarshal.GetReference(existingMask);
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
                    // hold a candidate, so branching on each one mispredicts too often. The store may write up to 8
                    // slots past the last candidate; the buffer has room (see the caller).
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

    /// <summary>
    /// The key of rank <paramref name="rank"/> among the gathered <paramref name="keys"/> (all in [low, high]), and how
    /// many are smaller: a histogram of <c>key − low</c> scaled to at most 65,536 buckets, then one within the bucket.
    /// </summary>
    private static (uint Threshold, int Below, int AtThreshold) NthCandidateKey(ReadOnlySpan<uint> keys, int rank, uint low, uint high)
    {
        var width = high - low;
        var shift = width < Buckets ? 0 : 32 - BitOperations.LeadingZeroCount(width) - DigitBits;
        var histogram = Histogram();
        foreach (var key in keys) histogram[(int)((key - low) >> shift)]++;
        var (bucket, below) = Find(histogram, rank);
        if (shift == 0) return (low + (uint)bucket, below, histogram[bucket]);

        histogram = Histogram();
        var lowBits = (1u << shift) - 1;
        foreach (var key in keys)
        {
            var offset = key - low;
            if ((int)(offset >> shift) == bucket) histogram[(int)(offset & lowBits)]++;
        }

        var (within, belowWithin) = Find(histogram, rank - below);
        return (low + ((uint)bucket << shift) + (uint)within, below + belowWithin, histogram[within]);
    }

    /// <summary>
    /// Writes the mask in one vectorized pass: keys below the threshold are pruned, keys above kept, and of the keys
    /// at it the first <paramref name="tiesToPrune"/> in index order are pruned.
    /// </summary>
    private static void WriteMask(ReadOnlySpan<float> values, ReadOnlySpan<float> existingMask, uint threshold, int tiesToPrune, int keysAtThreshold, Span<float> mask)
    {
        if (tiesToPrune == keysAtThreshold)
        {
            // Every key at the threshold goes (the usual case, and the steady state of repeated updates): one more
            // than the threshold is a threshold without ties.
            threshold++;
            tiesToPrune = 0;
        }

        var masked = !existingMask.IsEmpty;
        var index = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var thresholdVector = Vector256.Create(threshold);
            var magnitudeBits = Vector256.Create(0x7FFF_FFFFu);
            ref var valueStart = ref MemoryMarshal.GetReference(values);
            ref var existingStart = ref MemoryMarshal.GetReference(existingMask);
            ref var maskStart = ref MemoryMarshal.GetReference(mask);
            for (; index <= values.Length - Vector256<uint>.Count; index += Vector256<uint>.Count)
            {
                var keys = (Vector256.LoadUnsafe(ref valueStart, (nuint)index).AsUInt32() & magnitudeBits) + Vector256<uint>.One;
                if (masked)
                {
                    var pruned = Vector256.Equals(Vector256.LoadUnsafe(ref existingStart, (nuint)index), Vector256<float>.Zero).AsUInt32();
                    keys = Vector256.AndNot(keys, pruned);
                }

                // The existing mask may be this same memory: every lane was read above, before this store.
                var below = Vector256.LessThan(keys, thresholdVector).AsSingle();
                Vector256.ConditionalSelect(below, Vector256<float>.Zero, Vector256<float>.One).StoreUnsafe(ref maskStart, (nuint)index);
                var atThreshold = Vector256.Equals(keys, thresholdVector).ExtractMostSignificantBits();
                while (atThreshold != 0)
                {
                    var lane = index + BitOperations.TrailingZeroCount(atThreshold);
                    atThreshold &= atThreshold - 1;
                    if (tiesToPrune == 0) break;
                    mask[lane] = 0f;
                    tiesToPrune--;
                }
            }
        }

        for (; index < values.Length; index++)
        {
            var key = masked && existingMask[index] == 0f ? 0 : MagnitudeKey(values[index]);
            mask[index] = KeepAt(key, threshold, ref tiesToPrune);
        }
    }

    /// <summary>The mask value of a key: pruned below the threshold, and at it while ties are left to prune.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float KeepAt(uint key, uint threshold, ref int tiesToPrune)
    {
        if (key < threshold) return 0f;
        if (key != threshold || tiesToPrune == 0) return 1f;
        tiesToPrune--;
        return 0f;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint MagnitudeKey(float value) => (BitConverter.SingleToUInt32Bits(value) & 0x7FFF_FFFFu) + 1;

}

/// <summary>
/// Where an element-wise selection ends: magnitude keys below <see cref="Key"/> are pruned, and of the
/// <see cref="KeysAtThreshold"/> keys equal to it, the first <see cref="TiesToPrune"/> in index order.
/// </summary>
internal readonly record struct MagnitudeThreshold(uint Key, int TiesToPrune, int KeysAtThreshold);
