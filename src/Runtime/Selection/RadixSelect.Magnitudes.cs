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
    /// needs room for <c>values.Length</c> + 16 keys (a gather stores whole vectors of up to 16).
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

        var (key, belowInBracket, atThreshold) = HistogramSelect.Nth(MemoryMarshal.Cast<int, uint>(candidates[..scan.Count]), rank - below, low, high);
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
        var (thresholdKey, belowInDigit, atThreshold) = HistogramSelect.Nth(MemoryMarshal.Cast<int, uint>(candidates[..count]), pruned - 1 - below, low, low | (Buckets - 1));
        threshold = new MagnitudeThreshold(thresholdKey, pruned - below - belowInDigit, atThreshold);
        return true;
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
        var index = Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? WriteMaskInSixteens(values, existingMask, threshold, ref tiesToPrune, mask) : 0;
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

    /// <summary>
    /// <see cref="WriteMask"/> sixteen weights a step (AVX-512). Where the existing mask is the mask itself (an update of
    /// a held mask), only the lanes that change are stored: a masked store that changes nothing leaves its cache line
    /// clean, so in a growing schedule most of the mask is never written back to memory. A large new mask is written
    /// with streaming stores.
    /// </summary>
    /// <returns>The weights done; the caller finishes the rest.</returns>
    private static unsafe int WriteMaskInSixteens(ReadOnlySpan<float> values, ReadOnlySpan<float> existingMask, uint threshold, ref int tiesToPrune, Span<float> mask)
    {
        var masked = !existingMask.IsEmpty;
        var inPlace = masked && Unsafe.AreSame(ref MemoryMarshal.GetReference(existingMask), ref MemoryMarshal.GetReference(mask));
        var thresholdVector = Vector512.Create(threshold);
        var magnitudeBits = Vector512.Create(0x7FFF_FFFFu);
        ref var valueStart = ref MemoryMarshal.GetReference(values);
        ref var existingStart = ref MemoryMarshal.GetReference(existingMask);
        var index = 0;
        var stream = !inPlace && StreamingStores.Pays(mask.Length);
        fixed (float* target = mask)
        {
            // Streaming stores need whole aligned lines: the head before the first is written one weight at a time.
            for (var head = stream ? StreamingStores.HeadLength(target, values.Length) : 0; index < head; index++)
            {
                var key = masked && existingMask[index] == 0f ? 0 : MagnitudeKey(values[index]);
                target[index] = KeepAt(key, threshold, ref tiesToPrune);
            }

            for (; index <= values.Length - Vector512<uint>.Count; index += Vector512<uint>.Count)
            {
                var keys = (Vector512.LoadUnsafe(ref valueStart, (nuint)index).AsUInt32() & magnitudeBits) + Vector512<uint>.One;
                var existing = masked ? Vector512.LoadUnsafe(ref existingStart, (nuint)index) : default;
                if (masked) keys = Vector512.AndNot(keys, Vector512.Equals(existing, Vector512<float>.Zero).AsUInt32());
                var kept = Vector512.ConditionalSelect(Vector512.LessThan(keys, thresholdVector).AsSingle(), Vector512<float>.Zero, Vector512<float>.One);
                var atThreshold = Vector512.Equals(keys, thresholdVector).ExtractMostSignificantBits();
                while (atThreshold != 0 && tiesToPrune > 0)
                {
                    kept = kept.WithElement(BitOperations.TrailingZeroCount(atThreshold), 0f);
                    atThreshold &= atThreshold - 1;
                    tiesToPrune--;
                }

                if (inPlace) Avx512F.MaskStore(target + index, ~Vector512.Equals(kept, existing), kept);
                else if (stream) Avx512F.StoreAlignedNonTemporal(target + index, kept);
                else kept.StoreUnsafe(ref *target, (nuint)index);
            }

            if (stream) Sse.StoreFence();
        }

        return index;
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
