using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PruneSharp;

/// <summary>
/// Writes a whole new mask with non-temporal (streaming) stores. An ordinary store to a line that is not in cache first
/// reads the line (read-for-ownership), so writing a mask that does not fit in cache costs two passes over its memory;
/// a streaming store of a whole aligned line costs one and leaves the cache to the weights. Small masks stay in cache
/// and want ordinary stores, so callers ask <see cref="Pays"/> first.
/// </summary>
/// <remarks>
/// Each writer stores the unaligned head and the tail with ordinary stores and every 64-byte line between with one
/// aligned streaming store, in index order, and ends with a store fence so that the mask is visible to other threads
/// as an ordinarily stored one would be. The values written are those of the ordinary kernels, lane for lane.
/// </remarks>
internal static class StreamingStores
{
    /// <summary>Masks of at least this many bytes are written with streaming stores: larger than a core's share of cache.</summary>
    public const int MinimumBytes = 1 << 20;

    /// <summary>Whether a mask of <paramref name="length"/> floats is large enough to stream, and the CPU can.</summary>
    public static bool Pays(int length) => length >= MinimumBytes / sizeof(float) && Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>The elements before the first 64-byte boundary of <paramref name="target"/> (at most <paramref name="length"/>).</summary>
    public static unsafe int HeadLength(float* target, int length) => Math.Min(length, (int)((64 - ((nuint)target & 63)) & 63) / sizeof(float));

    /// <summary>
    /// Writes each group's keep over its contiguous run of <paramref name="size"/> (at least 16) elements: the mask
    /// <see cref="GroupKernels.ExpandContiguous"/> writes with no held mask. A line spans at most two groups.
    /// </summary>
    public static unsafe void ExpandContiguous(ReadOnlySpan<float> keep, int size, Span<float> mask)
    {
        fixed (float* target = mask)
        {
            var length = mask.Length;
            var position = HeadLength(target, length);
            for (var index = 0; index < position; index++) target[index] = keep[index / size];
            var group = position / size;
            var left = ((group + 1) * size) - position; // elements of `group` from `position` on, at least 1
            var lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            for (; position + 16 <= length; position += 16)
            {
                Vector512<float> line;
                if (left > 16)
                {
                    line = Vector512.Create(keep[group]);
                    left -= 16;
                }
                else
                {
                    // The line ends `group` (lanes below `left`) and, unless it ends exactly there, begins the next.
                    var next = left == 16 ? keep[group] : keep[group + 1];
                    line = Vector512.ConditionalSelect(Vector512.LessThan(lanes, Vector512.Create(left)).AsSingle(), Vector512.Create(keep[group]), Vector512.Create(next));
                    group++;
                    left = size - (16 - left);
                }

                Avx512F.StoreAlignedNonTemporal(target + position, line);
            }

            for (; position < length; position++) target[position] = keep[position / size];
            Sse.StoreFence();
        }
    }

    /// <summary>
    /// Writes each group's keep over its run of 9: the mask <see cref="GroupKernels.ExpandRunsOf9"/> writes with no held
    /// mask. A line covers parts of two or three groups: sixteen keeps loaded from the line's first group, permuted.
    /// </summary>
    public static unsafe void ExpandRunsOf9(ReadOnlySpan<float> keep, Span<float> mask)
    {
        fixed (float* target = mask)
        {
            var length = mask.Length;
            var position = HeadLength(target, length);
            for (var index = 0; index < position; index++) target[index] = keep[index / 9];
            var group = position / 9;
            var offset = position - (group * 9); // of the line's first element in its group, 0 to 8

            // (offset + lane) / 9 for offset + lane below 25, as ((offset + lane) · 7282) >> 16.
            var scaledLanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) * 7282;
            ref var keepStart = ref MemoryMarshal.GetReference(keep);
            for (; position + 16 <= length && group + 16 <= keep.Length; position += 16)
            {
                var groups = Vector512.LoadUnsafe(ref keepStart, (nuint)group);
                var control = Vector512.ShiftRightLogical(Vector512.Create(offset * 7282) + scaledLanes, 16);
                Avx512F.StoreAlignedNonTemporal(target + position, Avx512F.PermuteVar16x32(groups, control));
                offset += 16; // 16 to 24: one or two groups further on
                var advance = offset >= 18 ? 2 : 1;
                group += advance;
                offset -= 9 * advance;
            }

            for (; position < length; position++) target[position] = keep[position / 9];
            Sse.StoreFence();
        }
    }
}
