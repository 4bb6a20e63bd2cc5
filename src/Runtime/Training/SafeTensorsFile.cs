using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Training;

/// <summary>
/// Reads and writes <a href="https://github.com/huggingface/safetensors">safetensors</a> files, the format of
/// PyTorch's <c>safetensors.torch.save_file</c> and <c>load_file</c>. Reading validates the whole header first (see
/// <see cref="SafeTensorsHeader"/>) and allocates no tensor until it passed; loading into a model goes through
/// <see cref="PruningCheckpoint.ImportSafetensors"/>, which also checks every tensor against the model first.
/// </summary>
public static class SafeTensorsFile
{
    /// <summary>Reads and validates the header of the safetensors file at <paramref name="path"/>; no tensor data is read.</summary>
    /// <exception cref="CheckpointException">The file is not a valid safetensors file (the message says where and why).</exception>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = OpenRead(path);
        return ReadHeader(stream, path, (tensor, problem) => new CheckpointException(path, tensor, problem));
    }

    /// <summary>
    /// Reads every tensor of the safetensors file at <paramref name="path"/> onto the CPU, after validating its header
    /// (so at most the file's own data size is allocated). The caller owns, and disposes, the tensors.
    /// </summary>
    /// <exception cref="CheckpointException">The file is not a valid safetensors file, holds a dtype TorchSharp lacks, or a
    /// boolean byte other than 0 or 1.</exception>
    public static Dictionary<string, Tensor> ReadTensors(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = OpenRead(path);
        var header = ReadHeader(stream, path, (tensor, problem) => new CheckpointException(path, tensor, problem));
        foreach (var entry in header.Tensors)
        {
            if (entry.ElementType is null) throw new CheckpointException(path, entry.Name, $"its dtype {entry.DType} has no TorchSharp element type.");
        }

        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in header.Tensors)
            {
                var tensor = TensorBytes.AllocateStaging(entry.ShapeArray, entry.ElementType!.Value);
                tensors.Add(entry.Name, tensor);
                stream.Position = header.DataOffset + entry.DataStart;
                TensorBytes.Fill(tensor, stream, null);
                if (tensor.dtype == ScalarType.Bool && TensorBytes.FirstByteNotZeroOrOne(tensor) is var index and >= 0)
                {
                    throw new CheckpointException(path, entry.Name, $"a boolean tensor holds the byte value {TensorBytes.ByteAt(tensor, index)} at flat index {index}; booleans are 0 or 1.");
                }
            }
        }
        catch (Exception exception)
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            if (exception is EndOfStreamException) throw new CheckpointException(path, null, "the file ended while it was read (did it change meanwhile?).", exception);
            throw;
        }

        return tensors;
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> as a safetensors file that PyTorch's <c>safetensors.torch.load_file</c> reads:
    /// data ordered by element size, then name, as the reference writer orders it, and the header padded to 8 bytes.
    /// The file is written next to <paramref name="path"/> and then moved over it, so a failed write leaves any earlier
    /// file in place.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">The tensors by name; any device, any layout.</param>
    /// <param name="metadata">The <c>__metadata__</c> strings (PyTorch writes <c>format: pt</c>), or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">A name is empty or <c>__metadata__</c>, a tensor is null or disposed, or its element type has no safetensors dtype.</exception>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = new List<(string Name, Tensor Tensor, string DType, int Size)>(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name) || name == "__metadata__") throw new ArgumentException($"'{name}' cannot name a tensor in a safetensors file.", nameof(tensors));
            if (tensor is null || tensor.IsInvalid) throw new ArgumentException($"Tensor '{name}' is null or disposed.", nameof(tensors));
            var dtype = SafeTensorsHeader.DTypeOf(tensor.dtype) ?? throw new ArgumentException($"Tensor '{name}' is {tensor.dtype}, which safetensors has no dtype for.", nameof(tensors));
            entries.Add((name, tensor, dtype, TensorBytes.ElementSize(tensor.dtype)));
        }

        entries.Sort((left, right) => left.Size != right.Size ? right.Size.CompareTo(left.Size) : string.CompareOrdinal(left.Name, right.Name));
        var header = Header(entries, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var entry in entries)
            {
                using var scope = NewDisposeScope();
                TensorBytes.Write(entry.Tensor.detach().cpu().contiguous(), stream, null);
            }
        });
    }

    internal static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);

    internal static SafeTensorsHeader ReadHeader(FileStream stream, string path, Func<string?, string, Exception> error)
    {
        try
        {
            return SafeTensorsHeader.Read(stream, error);
        }
        catch (EndOfStreamException exception)
        {
            throw new CheckpointException(path, null, "the file ended while it was read (did it change meanwhile?).", exception);
        }
    }

    private static byte[] Header(List<(string Name, Tensor Tensor, string DType, int Size)> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var (name, tensor, dtype, size) in entries)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype);
                json.WriteStartArray("shape");
                foreach (var dimension in tensor.shape) json.WriteNumberValue(dimension);
                json.WriteEndArray();
                var bytes = tensor.numel() * size;
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }

            json.WriteEndObject();
        }

        // The data starts at a multiple of 8 bytes, as the reference writer pads it, with spaces.
        while (buffer.Length % 8 != 0) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }
}
