using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PruneSharp;

/// <content>
/// <see cref="MaskKernel.RunsOf9"/>: 3×3 kernels, one group each. With AVX-512, eight groups a step: each group's nine
/// weights in one 16-lane load (lanes past the ninth cleared), widened to float64, and the eight partial sums transposed
/// into one vector of eight group sums; the held mask's nine values per group tested with two compares. Otherwise one
/// group a step in 256-bit vectors. No branch depends on the data, whose kept and pruned groups are unpredictable.
/// </content>
internal static partial class GroupKernels
{
    /// <summary>Scores groups that are contiguous runs of 9 weights; see <see cref="ScoreContiguous"/> for the contract.</summary>
    public static bool ScoreRunsOf9<T>(ReadOnlySpan<float> values, ReadOnlySpan<float> held, double divisor, Span<double> scores, Span<byte> states)
        where T : struct, IElementTransform
    {
        if (!Vector256.IsHardwareAccelerated) return false;
        ref var value = ref MemoryMarshal.GetReference(values);
        ref var mask = ref MemoryMarshal.GetReference(held);
        var withHeld = !held.IsEmpty;
        var binary = true;
        var group = Vector512.IsHardwareAccelerated && Avx512F.IsSupported
            ? ScoreRunsOf9InEights<T>(ref value, ref mask, withHeld, divisor, scores, states, ref binary)
            : 0;
        for (var start = group * 9; group < scores.Length; group++, start += 9)
        {
            // Eight weights in one vector, the ninth on its own.
            var loaded = T.Apply(Vector256.LoadUnsafe(ref value, (nuint)start));
            var score = (Vector256.Sum(Vector256.WidenLower(loaded) + Vector256.WidenUpper(loaded)) + T.Apply(Unsafe.Add(ref value, start + 8))) / divisor;
            if (!withHeld)
            {
                scores[group] = score;
                continue;
            }

            var heldEight = Vector256.LoadUnsafe(ref mask, (nuint)start);
            var ninth = Unsafe.Add(ref mask, start + 8);
            var ones = Vector256.Equals(heldEight, Vector256<float>.One).ExtractMostSignificantBits() | (ninth == 1f ? 0x100u : 0);
            var zeros = Vector256.Equals(heldEight, Vector256<float>.Zero).ExtractMostSignificantBits() | (ninth == 0f ? 0x100u : 0);
            var kept = (ones + 1) >> 9;
            binary &= (ones | zeros) == 0x1FF;
            scores[group] = kept != 0 || double.IsNaN(score) ? score : double.NegativeInfinity;
            states[group] = (byte)(kept | (((zeros + 1) >> 9) << 1));
        }

        return binary;
    }

    /// <summary>Writes each group's keep over its run of 9, skipping unchanged groups where <paramref name="held"/> is known.</summary>
    public static bool ExpandRunsOf9(ReadOnlySpan<float> keep, ReadOnlySpan<byte> held, Span<float> mask)
    {
        if (!Vector256.IsHardwareAccelerated) return false;
        ref var target = ref MemoryMarshal.GetReference(mask);
        if (held.IsEmpty && StreamingStores.Pays(mask.Length))
        {
            StreamingStores.ExpandRunsOf9(keep, mask);
            return true;
        }

        if (held.IsEmpty)
        {
            for (int group = 0, start = 0; group < keep.Length; group++, start += 9) WriteRunOf9(ref target, start, keep[group]);
            return true;
        }

        // Sixteen groups' "changed" bits first, with vector compares; then only the changed groups are written.
        var block = 0;
        ref var keepStart = ref MemoryMarshal.GetReference(keep);
        ref var heldStart = ref MemoryMarshal.GetReference(held);
        for (; Vector512.IsHardwareAccelerated && block + 16 <= keep.Length; block += 16)
        {
            var kept = Vector512.Equals(Vector512.LoadUnsafe(ref keepStart, (nuint)block), Vector512<float>.One).ExtractMostSignificantBits();
            var states = Vector128.LoadUnsafe(ref heldStart, (nuint)block);
            var heldKept = Vector128.Equals(states, Vector128.Create(HeldGroup.Kept)).ExtractMostSignificantBits();
            var heldPruned = Vector128.Equals(states, Vector128.Create(HeldGroup.Pruned)).ExtractMostSignificantBits();
            var changed = ~((kept & heldKept) | (~kept & heldPruned)) & 0xFFFF;
            while (changed != 0)
            {
                var group = block + System.Numerics.BitOperations.TrailingZeroCount(changed);
                changed &= changed - 1;
                WriteRunOf9(ref target, group * 9, keep[group]);
            }
        }

        for (; block < keep.Length; block++)
        {
            if (!Unchanged(keep[block], held[block])) WriteRunOf9(ref target, block * 9, keep[block]);
        }

        return true;
    }

    /// <summary>Eight groups a step while a 16-lane load from each stays inside the weights; returns the groups done.</summary>
    private static int ScoreRunsOf9InEights<T>(ref float value, ref float mask, bool withHeld, double divisor, Span<double> scores, Span<byte> states, ref bool binary)
        where T : struct, IElementTransform
    {
        var firstNine = Vector512.Create(-1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0).AsSingle();
        var nine = Vector512.Create(9.0);
        var divisors = Vector512.Create(divisor);
        var negativeInfinity = Vector512.Create(double.NegativeInfinity);
        var notBinary = Vector512<float>.Zero;
        ref var score = ref MemoryMarshal.GetReference(scores);
        ref var state = ref MemoryMarshal.GetReference(states);
        var group = 0;

        // The last group's 16-lane load would read 7 floats past the weights: stop one group early.
        for (; group + 9 <= scores.Length; group += 8)
        {
            var start = group * 9;
            var sums = SumEight(
                Partial<T>(ref value, start, firstNine), Partial<T>(ref value, start + 9, firstNine),
                Partial<T>(ref value, start + 18, firstNine), Partial<T>(ref value, start + 27, firstNine),
                Partial<T>(ref value, start + 36, firstNine), Partial<T>(ref value, start + 45, firstNine),
                Partial<T>(ref value, start + 54, firstNine), Partial<T>(ref value, start + 63, firstNine));
            var groupScores = sums / divisors;
            if (withHeld)
            {
                // The held mask's nine values per group summed the same way: 9 where the group is kept whole, 0 where it
                // is pruned whole (exact in float64); every value is checked to be 0 or 1 (x · x = x) on the way.
                var heldSums = SumEight(
                    HeldPartial(ref mask, start, firstNine, ref notBinary), HeldPartial(ref mask, start + 9, firstNine, ref notBinary),
                    HeldPartial(ref mask, start + 18, firstNine, ref notBinary), HeldPartial(ref mask, start + 27, firstNine, ref notBinary),
                    HeldPartial(ref mask, start + 36, firstNine, ref notBinary), HeldPartial(ref mask, start + 45, firstNine, ref notBinary),
                    HeldPartial(ref mask, start + 54, firstNine, ref notBinary), HeldPartial(ref mask, start + 63, firstNine, ref notBinary));
                var kept = Vector512.Equals(heldSums, nine);
                groupScores = Vector512.ConditionalSelect(Vector512.AndNot(Vector512.Equals(groupScores, groupScores), kept), negativeInfinity, groupScores);
                var heldStates = Spread(kept.ExtractMostSignificantBits()) | (Spread(Vector512.Equals(heldSums, Vector512<double>.Zero).ExtractMostSignificantBits()) << 1);
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref state, group), heldStates);
            }

            groupScores.StoreUnsafe(ref score, (nuint)group);
        }

        binary &= notBinary.ExtractMostSignificantBits() == 0;
        return group;
    }

    /// <summary>A group's nine weights (transformed) as eight float64 partial sums: lane 0 holds the first and the ninth.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Partial<T>(ref float value, int start, Vector512<float> firstNine)
        where T : struct, IElementTransform
    {
        var nine = T.Apply(Vector512.LoadUnsafe(ref value, (nuint)start)) & firstNine;
        return Vector512.WidenLower(nine) + Vector512.WidenUpper(nine);
    }

    /// <summary>A group's nine held-mask values as eight float64 partial sums; marks lanes that are neither 0 nor 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> HeldPartial(ref float mask, int start, Vector512<float> firstNine, ref Vector512<float> notBinary)
    {
        var nine = Vector512.LoadUnsafe(ref mask, (nuint)start) & firstNine;
        notBinary |= ~Vector512.Equals(nine * nine, nine);
        return Vector512.WidenLower(nine) + Vector512.WidenUpper(nine);
    }

    /// <summary>Eight vectors of eight partial sums to one vector of their eight totals, in order: three levels of pairwise adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> SumEight(
        Vector512<double> p0, Vector512<double> p1, Vector512<double> p2, Vector512<double> p3,
        Vector512<double> p4, Vector512<double> p5, Vector512<double> p6, Vector512<double> p7)
    {
        // Each 128-bit block k of a01 holds (p0[2k] + p0[2k+1], p1[2k] + p1[2k+1]).
        var a01 = Avx512F.UnpackLow(p0, p1) + Avx512F.UnpackHigh(p0, p1);
        var a23 = Avx512F.UnpackLow(p2, p3) + Avx512F.UnpackHigh(p2, p3);
        var a45 = Avx512F.UnpackLow(p4, p5) + Avx512F.UnpackHigh(p4, p5);
        var a67 = Avx512F.UnpackLow(p6, p7) + Avx512F.UnpackHigh(p6, p7);

        // Blocks of c0123: (p0, p1) over elements 0-3, the same over 4-7, then (p2, p3) likewise.
        var c0123 = Avx512F.Shuffle4x128(a01, a23, 0b10_00_10_00) + Avx512F.Shuffle4x128(a01, a23, 0b11_01_11_01);
        var c4567 = Avx512F.Shuffle4x128(a45, a67, 0b10_00_10_00) + Avx512F.Shuffle4x128(a45, a67, 0b11_01_11_01);
        return Avx512F.Shuffle4x128(c0123, c4567, 0b10_00_10_00) + Avx512F.Shuffle4x128(c0123, c4567, 0b11_01_11_01);
    }

    /// <summary>Bit k of <paramref name="bits"/> to byte k (0 or 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Spread(ulong bits)
    {
        if (Bmi2.X64.IsSupported) return Bmi2.X64.ParallelBitDeposit(bits, 0x0101_0101_0101_0101UL);
        var spread = 0UL;
        for (var bit = 0; bit < 8; bit++) spread |= ((bits >> bit) & 1) << (8 * bit);
        return spread;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WriteRunOf9(ref float target, int start, float value)
    {
        // Two overlapping stores of eight cover the nine.
        var fill = Vector256.Create(value);
        fill.StoreUnsafe(ref target, (nuint)start);
        fill.StoreUnsafe(ref target, (nuint)(start + 1));
    }
}
