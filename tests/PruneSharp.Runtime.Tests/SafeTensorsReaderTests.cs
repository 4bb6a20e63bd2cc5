using PruneSharp.Tests.Models;
using PruneSharp.Training;

namespace PruneSharp.Tests;

/// <summary>
/// Crafted safetensors files, each wrong in one way: the import refuses it with a <see cref="CheckpointException"/>
/// naming the file and the tensor, the model stays bit-identical, and neither the managed heap nor native memory
/// grows by what the file claims (header lengths of 2^29, shapes of 56,000 × 56,000).
/// </summary>
public sealed class SafeTensorsReaderTests : IDisposable
{
    // FilterNet's state dict as float32: conv.weight [6, 2, 3, 3], conv.bias [6], fc.weight [8, 24], fc.bias [8].
    private static readonly (string Name, long[] Shape)[] FilterNetTensors =
        [("conv.weight", [6, 2, 3, 3]), ("conv.bias", [6]), ("fc.weight", [8, 24]), ("fc.bias", [8])];

    /// <summary>What one failing import may allocate on the managed heap (the file's header included, at most a few KB here).</summary>
    private const long ManagedBound = 256 * 1024;

    private readonly string _directory = Directory.CreateTempSubdirectory("prunesharp-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string> Cases => new(CraftedFiles().Keys);

    [Fact]
    public void The_crafted_valid_file_loads()
    {
        using var model = new FilterNet();
        var path = WriteFile("valid", Valid());
        PruningCheckpoint.ImportSafetensors(model, path);
        Assert.Equal(-1f, model.PrunedLayers[0].Weight[0, 0, 0, 1].item<float>());   // element 1: 1 % 5 - 2
        Assert.Equal(FilterNetTensors.Sum(entry => entry.Shape.Aggregate(1L, (product, size) => product * size)), SafeTensorsFile.ReadHeader(path).Tensors.Sum(entry => (entry.DataEnd - entry.DataStart) / 4));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_crafted_file_is_refused_with_the_file_and_tensor_named_and_bounded_allocation(string name)
    {
        var (bytes, tensor, fragment) = CraftedFiles()[name];
        var modelOnly = fragment.StartsWith("model:", StringComparison.Ordinal);
        fragment = modelOnly ? fragment["model:".Length..] : fragment;
        var path = WriteFile(name, bytes);
        using var model = new FilterNet();
        model.ComputeMasks();
        var before = ModelState.Of(model);

        Assert.Throws<CheckpointException>(() => PruningCheckpoint.ImportSafetensors(model, path));   // warm: code paths loaded
        var staged = TensorBytes.StagedBytes;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<CheckpointException>(() => PruningCheckpoint.ImportSafetensors(model, path));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        staged = TensorBytes.StagedBytes - staged;

        Assert.Equal(path, error.FilePath);
        Assert.Equal(tensor, error.TensorName);
        Assert.Contains(fragment, error.Message);
        Assert.EndsWith("the model is unchanged.", error.Message);
        before.AssertSame(model);
        Assert.True(allocated < ManagedBound, $"{allocated} managed bytes allocated");
        Assert.Equal(0, staged);   // refused before any tensor was allocated for the file's data

        // The header alone (no model) is refused for the same reason, unless the file is valid and only the model differs.
        if (modelOnly)
        {
            SafeTensorsFile.ReadHeader(path);
            return;
        }

        var headerError = Assert.Throws<CheckpointException>(() => SafeTensorsFile.ReadHeader(path));
        Assert.Equal(tensor, headerError.TensorName);
    }

    [Fact]
    public void A_mask_holding_one_half_is_refused_after_staging_no_more_than_the_models_size()
    {
        var tensors = FilterNetTensors.Append(("conv.weight_mask", [6, 2, 3, 3])).ToArray();
        var data = Data(tensors);
        var maskStart = data.Length - 108 * 4;
        BitConverter.TryWriteBytes(data.AsSpan(maskStart + 4 * 7), 0.5f);
        for (var index = 0; index < 108; index++)
        {
            if (index != 7) BitConverter.TryWriteBytes(data.AsSpan(maskStart + 4 * index), 1f);
        }

        var path = WriteFile("half-mask", RawSafetensors.Bytes(Header(Layout(tensors)), data));
        using var model = new FilterNet();
        var before = ModelState.Of(model);
        var staged = TensorBytes.StagedBytes;
        var error = Assert.Throws<CheckpointException>(() => PruningCheckpoint.ImportSafetensors(model, path));
        Assert.Equal("conv.weight_mask", error.TensorName);
        Assert.Contains("0.5 at index [0, 0, 2, 1]", error.Message);
        Assert.True(TensorBytes.StagedBytes - staged <= data.Length, "staged no more than the file's data, which is the model's size");
        before.AssertSame(model);
    }

    [Fact]
    public void A_float16_file_loads_into_a_float32_model_only_when_conversion_is_asked_for()
    {
        var halves = FilterNetTensors.Select(entry => (entry.Name, "F16", entry.Shape)).ToArray();
        var layout = Layout(halves, elementSize: 2);
        var data = new byte[layout[^1].End];
        for (var index = 0; index < data.Length / 2; index++) BitConverter.TryWriteBytes(data.AsSpan(index * 2), (Half)(index % 7 - 3));
        var path = WriteFile("float16", RawSafetensors.Bytes(Header(layout), data));

        using var model = new FilterNet();
        var error = Assert.Throws<CheckpointException>(() => PruningCheckpoint.ImportSafetensors(model, path));
        Assert.Equal("conv.weight", error.TensorName);
        Assert.Contains("F16", error.Message);
        PruningCheckpoint.ImportSafetensors(model, path, new CheckpointLoadOptions { ConvertFloatingPoint = true });
        Assert.Equal(-2f, model.PrunedLayers[0].Weight[0, 0, 0, 1].item<float>());
    }

    [Fact]
    public void ReadTensors_allocates_only_after_the_whole_header_is_valid()
    {
        var path = WriteFile("huge-shape", RawSafetensors.Bytes(Header([("a", "F32", [2], 0, 8), ("b", "F32", [56000, 56000], 8, 12_544_000_008)]), new byte[16]));
        var staged = TensorBytes.StagedBytes;
        var error = Assert.Throws<CheckpointException>(() => SafeTensorsFile.ReadTensors(path));
        Assert.Equal("b", error.TensorName);
        Assert.Equal(0, TensorBytes.StagedBytes - staged);   // not even 'a', which was valid
    }

    [Fact]
    public void A_boolean_byte_other_than_0_or_1_is_refused()
    {
        var path = WriteFile("bool", RawSafetensors.Bytes(Header([("flags", "BOOL", [2, 2], 0, 4)]), [1, 0, 2, 1]));
        var error = Assert.Throws<CheckpointException>(() => SafeTensorsFile.ReadTensors(path));
        Assert.Equal("flags", error.TensorName);
        Assert.Contains("byte value 2 at flat index 2", error.Message);
    }

    /// <summary>
    /// Each file, the tensor its error names (null: the file's), and a fragment of the message, marked "model:" where the
    /// file is valid safetensors and only the check against the model refuses it.
    /// </summary>
    private static Dictionary<string, (byte[] Bytes, string? Tensor, string Fragment)> CraftedFiles()
    {
        var valid = Layout(FilterNetTensors.Select(entry => (entry.Name, "F32", entry.Shape)).ToArray());
        var data = Data(FilterNetTensors);
        var json = Header(valid);
        (string, string, long[], long, long)[] With(int index, (string, string, long[], long, long) entry)
        {
            var copy = valid.ToArray();
            copy[index] = entry;
            return copy;
        }

        var files = new Dictionary<string, (byte[], string?, string)>
        {
            ["offsets into the header"] = (RawSafetensors.Bytes(Header(valid.Select(entry => (entry.Name, entry.DType, entry.Shape, entry.Begin + 8 + json.Length, entry.End + 8 + json.Length)).ToArray()), data), "conv.weight", "leaving bytes [0, "),
            ["negative offset"] = (RawSafetensors.Bytes(Header(With(0, ("conv.weight", "F32", [6, 2, 3, 3], -8, 424))), data), "conv.weight", "holds -8, which is not an integer"),
            ["overflowing offset"] = (RawSafetensors.Bytes(json.Replace("[1224,1256]", "[1224,18446744073709551616]"), data), "fc.bias", "not an integer in [0, 2^63)"),
            ["an offset near 2^63"] = (RawSafetensors.Bytes(json.Replace("[1224,1256]", "[9223372036854775000,9223372036854775032]"), data), "fc.bias", "leaving bytes [1224, 9223372036854775000)"),
            ["a lying dtype"] = (RawSafetensors.Bytes(Header(With(0, ("conv.weight", "F64", [6, 2, 3, 3], 0, 432))), data), "conv.weight", "108 elements of F64 (shape [6, 2, 3, 3]) are 864 bytes"),
            ["a consistent dtype the model does not have"] = (Shifted(valid, 1, ("conv.bias", "I32", [6]), data), "conv.bias", "model:stores it as I32, but the model's tensor is Float32"),
            ["a dtype TorchSharp lacks"] = (Shifted(valid, 1, ("conv.bias", "U16", [6]), data, elementSize: 2), "conv.bias", "model:no element type"),
            ["an unknown dtype"] = (RawSafetensors.Bytes(json.Replace("\"F32\"", "\"F33\""), data), "conv.weight", "'F33' is not one this reader knows"),
            ["shape [1] for a whole weight"] = (Shifted(valid, 0, ("conv.weight", "F32", [1]), data), "conv.weight", "model:holds shape [1], but the model's tensor has shape [6, 2, 3, 3]"),
            ["overlapping ranges"] = (RawSafetensors.Bytes(Header(With(1, ("conv.bias", "F32", [6], 424, 448))), data), "conv.bias", "overlaps that of 'conv.weight' [0, 432)"),
            ["duplicate keys"] = (RawSafetensors.Bytes(json[..^1] + ",\"conv.bias\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[432,456]}}", data), "conv.bias", "names it twice"),
            ["duplicate field"] = (RawSafetensors.Bytes(json.Replace("\"shape\":[6],", "\"shape\":[6],\"shape\":[6],"), data), "conv.bias", "'shape' twice"),
            ["header length 2^29 in a small file"] = (RawSafetensors.Bytes(json, data, headerLength: 1UL << 29), null, "header length is 536870912 bytes"),
            ["header length over the format's limit"] = (RawSafetensors.Bytes(json, data, headerLength: 100_000_001), null, "over the format's limit of 100,000,000"),
            ["header length 2^64 - 1"] = (RawSafetensors.Bytes(json, data, headerLength: ulong.MaxValue), null, "over the format's limit"),
            ["a shape of [56000, 56000]"] = (RawSafetensors.Bytes(Header(With(0, ("conv.weight", "F32", [56000, 56000], 0, 432))), data), "conv.weight", "3136000000 elements of F32"),
            ["a shape of [56000, 56000] with offsets to match"] = (RawSafetensors.Bytes(Header([.. valid[1..].Select(entry => (entry.Name, entry.DType, entry.Shape, entry.Begin - 432, entry.End - 432)), ("conv.weight", "F32", [56000, 56000], 824, 824 + 12_544_000_000L)]), data[432..]), "conv.weight", "the file is truncated"),
            ["a shape whose size overflows"] = (RawSafetensors.Bytes(Header(With(0, ("conv.weight", "F32", [1L << 32, 1L << 32, 4], 0, 432))), data), "conv.weight", "more bytes than a 64-bit count holds"),
            ["truncated data"] = (RawSafetensors.Bytes(json, data[..^10]), "fc.bias", "the file is truncated"),
            ["trailing garbage after the data"] = (RawSafetensors.Bytes(json, [.. data, 1, 2, 3, 4, 5]), null, "5 bytes follow the last tensor's data"),
            ["trailing garbage after the JSON"] = (RawSafetensors.Bytes(json + "xyz", data), null, "not valid JSON"),
            ["not JSON"] = (RawSafetensors.Bytes("<html>not json</html>", data), null, "not a JSON object"),
            ["broken JSON"] = (RawSafetensors.Bytes(json[..^1], data), null, "not valid JSON"),
            ["a trailing comma"] = (RawSafetensors.Bytes(json[..^1] + ",}", data), null, "not valid JSON"),
            ["a comment"] = (RawSafetensors.Bytes(json[..^1] + "/* hi */}", data), null, "not valid JSON"),
            ["too deep"] = (RawSafetensors.Bytes(json.Replace("\"shape\":[6]", "\"shape\":[[6]]"), data), "conv.bias", "not valid JSON"),
            ["a fractional size"] = (RawSafetensors.Bytes(json.Replace("\"shape\":[6]", "\"shape\":[6.0]"), data), "conv.bias", "holds 6.0, which is not an integer"),
            ["an unknown field"] = (RawSafetensors.Bytes(json.Replace("\"shape\":[6],", "\"shape\":[6],\"stride\":[1],"), data), "conv.bias", "the field 'stride'"),
            ["a missing field"] = (RawSafetensors.Bytes(json.Replace("\"dtype\":\"F32\",\"shape\":[6],", "\"dtype\":\"F32\","), data), "conv.bias", "has no shape"),
            ["metadata that is not a string"] = (RawSafetensors.Bytes("{\"__metadata__\":{\"format\":1}," + json[1..], data), null, "__metadata__ value for 'format' is not a string"),
            ["invalid UTF-8 in a name"] = (Utf8Damaged(json, data), null, "its header"),
            ["an empty file"] = ([], null, "has 0 bytes"),
            ["seven bytes"] = ([1, 0, 0, 0, 0, 0, 0], null, "has 7 bytes"),
            ["a mask of the wrong shape"] = (WithMask(valid, data, [6, 2, 3, 1]), "conv.weight_mask", "model:the mask of layer 'conv' has its weight's shape [6, 2, 3, 3]"),
            ["an extra tensor"] = (Shifted([.. valid, ("fc.extra", "F32", [2], 1256, 1264)], 4, ("fc.extra", "F32", [2]), [.. data, .. new byte[8]]), "fc.extra", "model:no parameter or buffer of this name"),
            ["a missing tensor"] = (RawSafetensors.Bytes(Header(valid[..3]), data[..1224]), "fc.bias", "model:the model has this tensor but the file does not"),
        };

        return files;
    }

    private static byte[] Valid() =>
        RawSafetensors.Bytes(Header(Layout(FilterNetTensors.Select(entry => (entry.Name, "F32", entry.Shape)).ToArray())), Data(FilterNetTensors));

    /// <summary>Entries laid out one after another in order.</summary>
    private static (string Name, string DType, long[] Shape, long Begin, long End)[] Layout((string Name, string DType, long[] Shape)[] tensors, int elementSize = 4)
    {
        long offset = 0;
        return tensors.Select(entry =>
        {
            var bytes = entry.Shape.Aggregate(1L, (product, size) => product * size) * elementSize;
            var result = (entry.Name, entry.DType, entry.Shape, offset, offset + bytes);
            offset += bytes;
            return result;
        }).ToArray();
    }

    private static (string Name, string DType, long[] Shape, long Begin, long End)[] Layout((string Name, long[] Shape)[] tensors) =>
        Layout(tensors.Select(entry => (entry.Name, "F32", entry.Shape)).ToArray());

    /// <summary>Float32 data for the tensors: element i of the flat buffer is i % 5 - 2.</summary>
    private static byte[] Data((string Name, long[] Shape)[] tensors)
    {
        var count = tensors.Sum(entry => entry.Shape.Aggregate(1L, (product, size) => product * size));
        return RawSafetensors.Floats(Enumerable.Range(0, (int)count).Select(index => (float)(index % 5 - 2)).ToArray());
    }

    /// <summary>A consistent file in which entry <paramref name="index"/> is replaced (its data resized, the rest moved).</summary>
    private static byte[] Shifted((string Name, string DType, long[] Shape, long Begin, long End)[] layout, int index, (string Name, string DType, long[] Shape) replacement, byte[] data, int elementSize = 4)
    {
        var entries = layout.Select(entry => (entry.Name, entry.DType, entry.Shape)).ToArray();
        entries[index] = replacement;
        var sizes = entries.Select((entry, at) => at == index ? entry.Shape.Aggregate(1L, (product, size) => product * size) * elementSize : layout[at].End - layout[at].Begin).ToArray();
        var shifted = new List<(string, string, long[], long, long)>();
        var bytes = new List<byte>();
        long offset = 0;
        for (var at = 0; at < entries.Length; at++)
        {
            shifted.Add((entries[at].Name, entries[at].DType, entries[at].Shape, offset, offset + sizes[at]));
            bytes.AddRange(at == index ? new byte[sizes[at]] : data[(int)layout[at].Begin..(int)layout[at].End]);
            offset += sizes[at];
        }

        return RawSafetensors.Bytes(Header([.. shifted]), [.. bytes]);
    }

    private static byte[] WithMask((string Name, string DType, long[] Shape, long Begin, long End)[] layout, byte[] data, long[] maskShape)
    {
        var maskBytes = maskShape.Aggregate(1L, (product, size) => product * size) * 4;
        var end = layout[^1].End;
        return RawSafetensors.Bytes(Header([.. layout, ("conv.weight_mask", "F32", maskShape, end, end + maskBytes)]), [.. data, .. RawSafetensors.Floats(Enumerable.Repeat(1f, (int)(maskBytes / 4)).ToArray())]);
    }

    private static byte[] Utf8Damaged(string json, byte[] data)
    {
        var bytes = RawSafetensors.Bytes(json, data);
        var name = System.Text.Encoding.UTF8.GetBytes("conv.bias");
        var at = bytes.AsSpan().IndexOf(name);
        bytes[at + 4] = 0xFF;   // not a UTF-8 byte
        return bytes;
    }

    private static string Header((string Name, string DType, long[] Shape, long Begin, long End)[] entries) =>
        "{" + string.Join(",", entries.Select(entry => $"\"{entry.Name}\":{{\"dtype\":\"{entry.DType}\",\"shape\":[{string.Join(",", entry.Shape)}],\"data_offsets\":[{entry.Begin},{entry.End}]}}")) + "}";

    private string WriteFile(string name, byte[] bytes)
    {
        var path = Path.Combine(_directory, name.Replace(' ', '-') + ".safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
