using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using static TorchSharp.torch;

namespace PruneSharp.Training;

/// <summary>One tensor as a validated safetensors header describes it.</summary>
public sealed class SafeTensorsEntry
{
    internal SafeTensorsEntry(string name, string dtype, ScalarType? elementType, int elementSize, long[] shape, long dataStart, long dataEnd)
    {
        Name = name;
        DType = dtype;
        ElementType = elementType;
        ElementSize = elementSize;
        ShapeArray = shape;
        DataStart = dataStart;
        DataEnd = dataEnd;
    }

    /// <summary>The tensor's name (a state-dict name such as <c>layer1.0.conv1.weight</c>).</summary>
    public string Name { get; }

    /// <summary>The element type as the file names it (<c>F32</c>, <c>BF16</c>, <c>I64</c>, ...).</summary>
    public string DType { get; }

    /// <summary>The TorchSharp element type of <see cref="DType"/>, or <see langword="null"/> where TorchSharp has none (<c>U16</c>, <c>U32</c>, <c>U64</c>, the 8-bit floats).</summary>
    public ScalarType? ElementType { get; }

    /// <summary>The tensor's shape (empty for a scalar).</summary>
    public IReadOnlyList<long> Shape => ShapeArray;

    /// <summary>Where the tensor's data starts in the file's data buffer (which starts at <see cref="SafeTensorsHeader.DataOffset"/>).</summary>
    public long DataStart { get; }

    /// <summary>Where the tensor's data ends (exclusive) in the file's data buffer.</summary>
    public long DataEnd { get; }

    internal int ElementSize { get; }

    internal long[] ShapeArray { get; }
}

/// <summary>
/// The header of a safetensors file, read by <see cref="SafeTensorsFile.ReadHeader(string)"/> and valid by construction: a
/// header length within the format's limit and the file, strict JSON with no key twice, every dtype known, every
/// tensor's byte range exactly <c>elements × element size</c> with no overflow, and the ranges, in order, covering the
/// data buffer exactly: no overlap, no gap, nothing after the last one.
/// </summary>
public sealed class SafeTensorsHeader
{
    /// <summary>The format's limit on the header's length, 100,000,000 bytes (as the reference implementation).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private const int MaxRank = 64;
    private const string MetadataKey = "__metadata__";

    private static readonly Dictionary<string, (ScalarType? Type, int Size)> DTypes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = (ScalarType.Bool, 1),
        ["U8"] = (ScalarType.Byte, 1),
        ["I8"] = (ScalarType.Int8, 1),
        ["I16"] = (ScalarType.Int16, 2),
        ["I32"] = (ScalarType.Int32, 4),
        ["I64"] = (ScalarType.Int64, 8),
        ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2),
        ["F32"] = (ScalarType.Float32, 4),
        ["F64"] = (ScalarType.Float64, 8),
        ["C64"] = (ScalarType.ComplexFloat32, 8),
        ["U16"] = (null, 2),
        ["U32"] = (null, 4),
        ["U64"] = (null, 8),
        ["F8_E5M2"] = (null, 1),
        ["F8_E4M3"] = (null, 1),
        ["F8_E8M0"] = (null, 1),
    };

    private SafeTensorsHeader(IReadOnlyList<SafeTensorsEntry> tensors, IReadOnlyDictionary<string, string> metadata, long dataOffset)
    {
        Tensors = tensors;
        Metadata = metadata;
        DataOffset = dataOffset;
    }

    /// <summary>The tensors, in the order of their data in the file.</summary>
    public IReadOnlyList<SafeTensorsEntry> Tensors { get; }

    /// <summary>The free-form <c>__metadata__</c> strings (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Where the data buffer starts in the file: 8 bytes of header length plus the header.</summary>
    public long DataOffset { get; }

    /// <summary>The file's dtype name for a TorchSharp element type, or <see langword="null"/> where the format has none.</summary>
    internal static string? DTypeOf(ScalarType type)
    {
        foreach (var (name, (dtype, _)) in DTypes)
        {
            if (dtype == type) return name;
        }

        return null;
    }

    /// <summary>
    /// Reads and validates the header of the safetensors file open in <paramref name="stream"/> (positioned anywhere).
    /// Nothing is allocated before the header length is known to be within the limit and the file.
    /// </summary>
    /// <param name="stream">The open file.</param>
    /// <param name="error">Makes the exception for a problem (tensor name or <see langword="null"/>, problem).</param>
    internal static SafeTensorsHeader Read(Stream stream, Func<string?, string, Exception> error)
    {
        var fileLength = stream.Length;
        if (fileLength < 8) throw error(null, $"the file has {fileLength} bytes; a safetensors file starts with an 8-byte header length.");
        stream.Position = 0;
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderLength)
        {
            throw error(null, $"its header length is {headerLength} bytes, over the format's limit of {MaxHeaderLength.ToString("N0", CultureInfo.InvariantCulture)}.");
        }

        if ((long)headerLength > fileLength - 8)
        {
            throw error(null, $"its header length is {headerLength} bytes, but only {fileLength - 8} bytes follow it: the file is truncated, or not a safetensors file.");
        }

        var json = new byte[headerLength];
        stream.ReadExactly(json);
        var dataOffset = 8 + (long)headerLength;
        var (tensors, metadata) = Parse(json, error);
        CheckLayout(tensors, fileLength - dataOffset, error);
        return new SafeTensorsHeader(tensors, metadata, dataOffset);
    }

    private static (List<SafeTensorsEntry>, Dictionary<string, string>) Parse(ReadOnlySpan<byte> json, Func<string?, string, Exception> error)
    {
        if (json.Length == 0 || json[0] != (byte)'{') throw error(null, "its header is not a JSON object (it must start with '{').");
        var tensors = new List<SafeTensorsEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false, MaxDepth = 3 });
        string? current = null;
        try
        {
            reader.Read();
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                current = reader.GetString()!;
                if (!keys.Add(current)) throw error(current, "the header names it twice.");
                if (current == MetadataKey)
                {
                    current = null;
                    ReadMetadata(ref reader, metadata, error);
                }
                else
                {
                    tensors.Add(ReadTensor(ref reader, current, error));
                }

                current = null;
            }

            // The object ended; anything but whitespace after it is an error of the JSON reader.
            if (reader.Read()) throw error(null, "its header has content after the JSON object.");
        }
        catch (JsonException exception)
        {
            throw error(current, $"its header is not valid JSON: {exception.Message}");
        }
        catch (InvalidOperationException exception)
        {
            // Strings that are not valid UTF-8 (or escape lone surrogates) fail when they are decoded.
            throw error(current, $"its header has an invalid string: {exception.Message}");
        }

        return (tensors, metadata);
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read()) throw new JsonException("The JSON ends early.");
        return reader.TokenType;
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, Func<string?, string, Exception> error)
    {
        if (Next(ref reader) != JsonTokenType.StartObject) throw error(null, $"its header's {MetadataKey} is not an object of strings.");
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            if (Next(ref reader) != JsonTokenType.String) throw error(null, $"its header's {MetadataKey} value for '{key}' is not a string.");
            if (!metadata.TryAdd(key, reader.GetString()!)) throw error(null, $"its header's {MetadataKey} names '{key}' twice.");
        }
    }

    private static SafeTensorsEntry ReadTensor(ref Utf8JsonReader reader, string name, Func<string?, string, Exception> error)
    {
        if (Next(ref reader) != JsonTokenType.StartObject) throw error(name, "its header entry is not an object.");
        string? dtype = null;
        List<long>? shape = null;
        List<long>? offsets = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var field = reader.GetString()!;
            switch (field)
            {
                case "dtype" when dtype is null:
                    if (Next(ref reader) != JsonTokenType.String) throw error(name, "its dtype is not a string.");
                    dtype = reader.GetString()!;
                    break;
                case "shape" when shape is null:
                    shape = ReadIntegers(ref reader, name, "shape", error);
                    if (shape.Count > MaxRank) throw error(name, $"its shape has {shape.Count} dimensions, over {MaxRank}.");
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ReadIntegers(ref reader, name, "data_offsets", error);
                    if (offsets.Count != 2) throw error(name, $"its data_offsets has {offsets.Count} numbers; it must be [begin, end].");
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw error(name, $"its header entry has '{field}' twice.");
                default:
                    throw error(name, $"its header entry has the field '{field}'; an entry has exactly dtype, shape and data_offsets.");
            }
        }

        if (dtype is null || shape is null || offsets is null)
        {
            var missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw error(name, $"its header entry has no {missing}.");
        }

        if (!DTypes.TryGetValue(dtype, out var known)) throw error(name, $"its dtype '{dtype}' is not one this reader knows.");
        var shapeArray = shape.ToArray();
        if (!TensorBytes.TrySize(shapeArray, known.Size, out var elements, out var bytes))
        {
            throw error(name, $"its shape {MaskPlan.FormatShape(shapeArray)} of {dtype} has more bytes than a 64-bit count holds.");
        }

        var (begin, end) = (offsets[0], offsets[1]);
        if (end < begin) throw error(name, $"its data_offsets [{begin}, {end}] end before they begin.");
        if (end - begin != bytes)
        {
            throw error(name, $"its data_offsets [{begin}, {end}] span {end - begin} bytes, but {elements} elements of {dtype} (shape {MaskPlan.FormatShape(shapeArray)}) are {bytes} bytes.");
        }

        return new SafeTensorsEntry(name, dtype, known.Type, known.Size, shapeArray, begin, end);
    }

    private static List<long> ReadIntegers(ref Utf8JsonReader reader, string name, string field, Func<string?, string, Exception> error)
    {
        if (Next(ref reader) != JsonTokenType.StartArray) throw error(name, $"its {field} is not an array.");
        var values = new List<long>();
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value) || value < 0)
            {
                var text = reader.TokenType == JsonTokenType.Number ? System.Text.Encoding.UTF8.GetString(reader.ValueSpan) : reader.TokenType.ToString();
                throw error(name, $"its {field} holds {text}, which is not an integer in [0, 2^63).");
            }

            values.Add(value);
            if (values.Count > MaxRank) break;
        }

        return values;
    }

    /// <summary>The ranges, sorted by start, must tile [0, <paramref name="dataLength"/>) exactly.</summary>
    private static void CheckLayout(List<SafeTensorsEntry> tensors, long dataLength, Func<string?, string, Exception> error)
    {
        tensors.Sort((left, right) => left.DataStart != right.DataStart ? left.DataStart.CompareTo(right.DataStart)
            : left.DataEnd != right.DataEnd ? left.DataEnd.CompareTo(right.DataEnd) : string.CompareOrdinal(left.Name, right.Name));
        long expected = 0;
        SafeTensorsEntry? previous = null;
        foreach (var tensor in tensors)
        {
            if (tensor.DataStart < expected)
            {
                throw error(tensor.Name, $"its data [{tensor.DataStart}, {tensor.DataEnd}) overlaps that of '{previous!.Name}' [{previous.DataStart}, {previous.DataEnd}).");
            }

            if (tensor.DataStart > expected)
            {
                throw error(tensor.Name, $"its data starts at {tensor.DataStart}, leaving bytes [{expected}, {tensor.DataStart}) that no tensor holds; the format allows no gaps.");
            }

            if (tensor.DataEnd > dataLength)
            {
                throw error(tensor.Name, $"its data ends at byte {tensor.DataEnd} of the data buffer, but the file holds {dataLength}: the file is truncated.");
            }

            expected = tensor.DataEnd;
            previous = tensor;
        }

        if (expected != dataLength)
        {
            throw error(null, $"{dataLength - expected} bytes follow the last tensor's data; the header describes {expected} bytes of data and the format allows nothing after them.");
        }
    }
}
