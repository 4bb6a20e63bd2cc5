using System;
using System.IO;
using System.Security.Cryptography;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Training;

/// <summary>
/// The element types a checkpoint can hold, and the one place where file bytes become tensor memory (and back). Every
/// tensor a load creates for file data is allocated here, after the file's claims were checked against the model or
/// against the file's length, so <see cref="StagedBytes"/> counts what a load set aside for file data (a conversion or
/// a value check makes temporaries of at most the same size).
/// </summary>
internal static class TensorBytes
{
    /// <summary>Bytes allocated for staged tensors on this thread since it started (the tests bound it).</summary>
    [ThreadStatic]
    private static long t_stagedBytes;

    internal static long StagedBytes => t_stagedBytes;

    /// <summary>The element size of the TorchSharp types a checkpoint may hold; 0 for any other (quantized) type.</summary>
    internal static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.Bool or ScalarType.Byte or ScalarType.Int8 => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.ComplexFloat64 => 16,
        _ => 0,
    };

    /// <summary>Whether a value of this type can be NaN or infinite (the real floating-point types).</summary>
    internal static bool IsFloatingPoint(ScalarType type) =>
        type is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    /// <summary>
    /// The number of elements and bytes of a tensor of <paramref name="shape"/> and <paramref name="elementSize"/>, or
    /// false when either overflows a signed 64-bit count (or a dimension is negative).
    /// </summary>
    internal static bool TrySize(ReadOnlySpan<long> shape, int elementSize, out long elements, out long bytes)
    {
        elements = 1;
        bytes = 0;
        foreach (var size in shape)
        {
            if (size < 0) return false;
            try
            {
                elements = checked(elements * size);
            }
            catch (OverflowException)
            {
                return false;
            }
        }

        try
        {
            bytes = checked(elements * elementSize);
        }
        catch (OverflowException)
        {
            return false;
        }

        return true;
    }

    /// <summary>A new CPU tensor for file data, counted in <see cref="StagedBytes"/>. The caller checked the size.</summary>
    internal static Tensor AllocateStaging(ReadOnlySpan<long> shape, ScalarType type)
    {
        EnsureLittleEndian();
        TrySize(shape, ElementSize(type), out _, out var bytes);
        var tensor = empty(shape.ToArray(), dtype: type, device: CPU).DetachFromDisposeScope();
        t_stagedBytes += bytes;
        return tensor;
    }

    /// <summary>
    /// Reads exactly the bytes of <paramref name="tensor"/> (a new contiguous CPU tensor) from <paramref name="stream"/>,
    /// straight into its memory, adding them to <paramref name="hash"/> when given.
    /// </summary>
    /// <exception cref="EndOfStreamException">The stream ends first.</exception>
    internal static void Fill(Tensor tensor, Stream stream, IncrementalHash? hash)
    {
        foreach (var chunk in Chunks(tensor))
        {
            using (chunk.Owned)
            {
                var span = chunk.Tensor.bytes;
                stream.ReadExactly(span);
                hash?.AppendData(span);
            }
        }
    }

    /// <summary>Writes the bytes of <paramref name="tensor"/> (contiguous, on the CPU) to <paramref name="stream"/>.</summary>
    internal static void Write(Tensor tensor, Stream stream, IncrementalHash? hash)
    {
        EnsureLittleEndian();
        foreach (var chunk in Chunks(tensor))
        {
            using (chunk.Owned)
            {
                ReadOnlySpan<byte> span = chunk.Tensor.bytes;
                stream.Write(span);
                hash?.AppendData(span);
            }
        }
    }

    /// <summary>
    /// Reads and hashes <paramref name="byteCount"/> bytes without keeping them: how a checkpoint entry that the model
    /// cannot take is checked for damage before its metadata is blamed.
    /// </summary>
    internal static void Skip(Stream stream, long byteCount, IncrementalHash hash)
    {
        Span<byte> buffer = stackalloc byte[4096];
        while (byteCount > 0)
        {
            var part = buffer[..(int)Math.Min(buffer.Length, byteCount)];
            stream.ReadExactly(part);
            hash.AppendData(part);
            byteCount -= part.Length;
        }
    }

    /// <summary>The flat index of the first byte of <paramref name="tensor"/> (CPU, contiguous) that is neither 0 nor 1, or -1.</summary>
    internal static long FirstByteNotZeroOrOne(Tensor tensor)
    {
        long offset = 0;
        foreach (var chunk in Chunks(tensor))
        {
            using (chunk.Owned)
            {
                ReadOnlySpan<byte> span = chunk.Tensor.bytes;
                var index = span.IndexOfAnyExcept((byte)0, (byte)1);
                if (index >= 0) return offset + index;
                offset += span.Length;
            }
        }

        return -1;
    }

    /// <summary>The byte at flat index <paramref name="index"/> of a one-byte-per-element CPU tensor.</summary>
    internal static byte ByteAt(Tensor tensor, long index)
    {
        using var flat = tensor.view(-1);
        using var element = flat.narrow(0, index, 1);
        return element.bytes[0];
    }

    /// <summary>
    /// A tensor's memory in spans of at most 1 GiB (a span's length is an <see cref="int"/>): the tensor itself when it
    /// fits, else slices of its flat view, which each own their wrapper.
    /// </summary>
    private static System.Collections.Generic.IEnumerable<(Tensor Tensor, IDisposable? Owned)> Chunks(Tensor tensor)
    {
        var elements = tensor.numel();
        if (elements == 0) yield break;
        var elementSize = tensor.ElementSize;
        var perChunk = (1L << 30) / elementSize;
        if (elements <= perChunk)
        {
            yield return (tensor, null);
            yield break;
        }

        using var flat = tensor.view(-1);
        for (long start = 0; start < elements; start += perChunk)
        {
            var part = flat.narrow(0, start, Math.Min(perChunk, elements - start));
            yield return (part, part);
        }
    }

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("PruneSharp checkpoints and safetensors files are little-endian; this machine is big-endian.");
        }
    }
}
