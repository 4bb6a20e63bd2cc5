using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PruneSharp;

/// <summary>
/// The group kernels a <see cref="MaskGeometry"/> names, each a loop written for one layout: every group one contiguous
/// run (<see cref="MaskKernel.ContiguousGroups"/>) or one run of 9 (<see cref="MaskKernel.RunsOf9"/>). They score a group
/// and read its part of the held mask in the same visit, and note whether the held mask keeps or prunes the group
/// whole (<see cref="HeldGroup"/>), so that writing the new mask can skip what does not change.
/// </summary>
/// <remarks>
/// A kernel returns false, having written scores that must be ignored, when the hardware lacks 256-bit vectors or the
/// held mask holds a value other than 0 and 1; <see cref="MaskPlan"/> then walks the layout the general way.
/// The type parameter picks the element transform (magnitude or the value as it is) at JIT time, so each kernel is
/// compiled once per transform with no branch in its loop.
/// </remarks>
internal static partial class GroupKernels
{
    /// <summary>
    /// Scores groups that are contiguous runs of <paramref name="size"/> (at least 16) weights: the sum (divided by
    /// <paramref name="divisor"/>) of each run's transformed values in float64, <c>-Inf</c> where the held mask (when not
    /// empty) prunes one of its weights; and each group's <see cref="HeldGroup"/> into <paramref name="states"/>.
    /// </summary>
    /// <returns>False when the kernel cannot run here or the held mask is not all 0 and 1 (the scores are then to be ignored).</returns>
    public static bool ScoreContiguous<T>(ReadOnlySpan<float> values, ReadOnlySpan<float> held, int size, double divisor, Span<double> scores, Span<byte> states)
        where T : struct, IElementTransform
    {
        if (!Vector256.IsHardwareAccelerated) return false;
        ref var value = ref MemoryMarshal.GetReference(values);
        ref var mask = ref MemoryMarshal.GetReference(held);
        var withHeld = !held.IsEmpty;
        var binary = true;
        for (int group = 0, start = 0; group < scores.Length; group++, start += size)
        {
            // binary is a local: held by reference below, it stays in a register only because HeldRun is inlined.
            var score = SumRun<T>(ref value, start, size) / divisor;
            if (!withHeld)
            {
                scores[group] = score;
                continue;
            }

            var state = HeldRun(ref mask, start, size, ref binary);
            scores[group] = state == HeldGroup.Kept || double.IsNaN(score) ? score : double.NegativeInfinity;
            states[group] = state;
        }

        return binary;
    }

    /// <summary>The float64 sum of a run's transformed values: four (AVX-512) or two accumulators, so the adds overlap.</summary>
    private static double SumRun<T>(ref float value, int start, int size)
        where T : struct, IElementTransform
    {
        var index = 0;
        double sum;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<double> a = default, b = default, c = default, d = default;
            for (; index + 32 <= size; index += 32)
            {
                var first = T.Apply(Vector512.LoadUnsafe(ref value, (nuint)(start + index)));
                var second = T.Apply(Vector512.LoadUnsafe(ref value, (nuint)(start + index + 16)));
                a += Vector512.WidenLower(first);
                b += Vector512.WidenUpper(first);
                c += Vector512.WidenLower(second);
                d += Vector512.WidenUpper(second);
            }

            for (; index + 16 <= size; index += 16)
            {
                var loaded = T.Apply(Vector512.LoadUnsafe(ref value, (nuint)(start + index)));
                a += Vector512.WidenLower(loaded);
                b += Vector512.WidenUpper(loaded);
            }

            sum = Vector512.Sum((a + b) + (c + d));
        }
        else
        {
            Vector256<double> a = default, b = default;
            for (; index + 8 <= size; index += 8)
            {
                var loaded = T.Apply(Vector256.LoadUnsafe(ref value, (nuint)(start + index)));
                a += Vector256.WidenLower(loaded);
                b += Vector256.WidenUpper(loaded);
            }

            sum = Vector256.Sum(a + b);
        }

        for (; index < size; index++) sum += T.Apply(Unsafe.Add(ref value, start + index));
        return sum;
    }

    /// <summary>What the held mask holds over a run; clears <paramref name="binary"/> at a value other than 0 and 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte HeldRun(ref float mask, int start, int size, ref bool binary)
    {
        var index = 0;
        bool kept, pruned;
        if (Vector512.IsHardwareAccelerated)
        {
            var allOne = Vector512<float>.AllBitsSet;
            var allZero = Vector512<float>.AllBitsSet;
            var other = Vector512<float>.Zero;
            for (; index + 16 <= size; index += 16)
            {
                var loaded = Vector512.LoadUnsafe(ref mask, (nuint)(start + index));
                var one = Vector512.Equals(loaded, Vector512<float>.One);
                var zero = Vector512.Equals(loaded, Vector512<float>.Zero);
                allOne &= one;
                allZero &= zero;
                other |= ~(one | zero);
            }

            kept = allOne.ExtractMostSignificantBits() == 0xFFFF;
            pruned = allZero.ExtractMostSignificantBits() == 0xFFFF;
            binary &= other.ExtractMostSignificantBits() == 0;
        }
        else
        {
            var allOne = Vector256<float>.AllBitsSet;
            var allZero = Vector256<float>.AllBitsSet;
            var other = Vector256<float>.Zero;
            for (; index + 8 <= size; index += 8)
            {
                var loaded = Vector256.LoadUnsafe(ref mask, (nuint)(start + index));
                var one = Vector256.Equals(loaded, Vector256<float>.One);
                var zero = Vector256.Equals(loaded, Vector256<float>.Zero);
                allOne &= one;
                allZero &= zero;
                other |= ~(one | zero);
            }

            kept = allOne.ExtractMostSignificantBits() == 0xFF;
            pruned = allZero.ExtractMostSignificantBits() == 0xFF;
            binary &= other.ExtractMostSignificantBits() == 0;
        }

        var tailBinary = true;
        for (; index < size; index++)
        {
            var element = Unsafe.Add(ref mask, start + index);
            kept &= element == 1f;
            pruned &= element == 0f;
            tailBinary &= element == 0f || element == 1f;
        }

        binary &= tailBinary;

        return kept ? HeldGroup.Kept : pruned ? HeldGroup.Pruned : HeldGroup.Mixed;
    }

    /// <summary>
    /// Writes each group's keep over its contiguous run; where <paramref name="held"/> is known, skips the groups the held
    /// mask already has as they are to be. A large new mask is written with streaming stores.
    /// </summary>
    public static void ExpandContiguous(ReadOnlySpan<float> keep, ReadOnlySpan<byte> held, int size, Span<float> mask)
    {
        var withHeld = !held.IsEmpty;
        if (!withHeld && StreamingStores.Pays(mask.Length))
        {
            StreamingStores.ExpandContiguous(keep, size, mask);
            return;
        }

        for (int group = 0, start = 0; group < keep.Length; group++, start += size)
        {
            if (withHeld && Unchanged(keep[group], held[group])) continue;
            mask.Slice(start, size).Fill(keep[group]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Unchanged(float keep, byte held) => held == (keep == 0f ? HeldGroup.Pruned : HeldGroup.Kept);
}

/// <summary>What the held mask holds over one group, as a group kernel found it.</summary>
internal static class HeldGroup
{
    /// <summary>Some elements 0, some 1: written whatever the new keep.</summary>
    public const byte Mixed = 0;

    /// <summary>Every element 1.</summary>
    public const byte Kept = 1;

    /// <summary>Every element 0.</summary>
    public const byte Pruned = 2;
}

/// <summary>The element transform a kernel applies before summing, chosen at JIT time by a struct type argument.</summary>
internal interface IElementTransform
{
    static abstract Vector512<float> Apply(Vector512<float> values);

    static abstract Vector256<float> Apply(Vector256<float> values);

    static abstract float Apply(float value);
}

/// <summary>|x|: the values are weights (or initial weights) scored by their magnitudes.</summary>
internal readonly struct Magnitude : IElementTransform
{
    public static Vector512<float> Apply(Vector512<float> values) => Vector512.Abs(values);

    public static Vector256<float> Apply(Vector256<float> values) => Vector256.Abs(values);

    public static float Apply(float value) => Math.Abs(value);
}

/// <summary>x: the values are element scores already.</summary>
internal readonly struct AsIs : IElementTransform
{
    public static Vector512<float> Apply(Vector512<float> values) => values;

    public static Vector256<float> Apply(Vector256<float> values) => values;

    public static float Apply(float value) => value;
}
