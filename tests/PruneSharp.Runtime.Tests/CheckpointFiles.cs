// What the checkpoint tests share: models that differ from FilterNet in one way, a byte-exact snapshot of a model's
// state, an independent writer of PruneSharp's checkpoint format (from its documented layout), and raw safetensors files.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using PruneSharp.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.Models;

/// <summary>FilterNet with another classifier head: 10 outputs instead of 8.</summary>
[Prune(Granularity.Filter, 0.5)]
public sealed partial class FilterNetWideHead : Module<Tensor, Tensor>
{
    public readonly Conv2d conv = Conv2d(2, 6, 3);                        // [6, 2, 3, 3], as FilterNet's
    [Prune(Granularity.Row, 0.25)] public readonly Linear fc = Linear(24, 10); // [10, 24], FilterNet's is [8, 24]

    public FilterNetWideHead() : base(nameof(FilterNetWideHead)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only state is tested.");
}

/// <summary>Pruned layers inside a <c>Sequential</c>, named by their dotted state-dict paths (<c>blocks.0</c>).</summary>
public sealed class BlockNet : Module<Tensor, Tensor>, IPrunableModule
{
    private readonly Sequential blocks;
    private readonly BatchNorm1d norm = BatchNorm1d(4);
    private readonly PrunedLayer[] _layers;

    public BlockNet() : base(nameof(BlockNet))
    {
        var first = Linear(6, 5);
        var second = Linear(5, 4);
        blocks = Sequential(("0", first), ("1", second));
        RegisterComponents();
        _layers =
        [
            new HandPrunedLinear("blocks.0", first, new PruneSettings(Granularity.Weight, 0.5)),
            new HandPrunedLinear("blocks.1", second, new PruneSettings(Granularity.Row, 0.5)),
        ];
    }

    public IReadOnlyList<PrunedLayer> PrunedLayers => _layers;

    public PruningScope PruningScope => PruningScope.Local;

    public void ComputeMasks()
    {
        foreach (var layer in _layers) layer.UpdateMask();
    }

    public void ApplyMasks()
    {
        foreach (var layer in _layers) layer.ApplyMask();
    }

    public PruningReport GetSparsityReport() => PrunedLayer.Report(_layers);

    public override Tensor forward(Tensor input) => norm.forward(blocks.forward(input));
}

/// <summary>A pruned layer the model never registers: the state dict cannot hold it.</summary>
public sealed class UnregisteredLayerNet : Module<Tensor, Tensor>, IPrunableModule
{
    private readonly Linear registered = Linear(4, 3);
    private readonly PrunedLayer[] _layers;

    public UnregisteredLayerNet() : base(nameof(UnregisteredLayerNet))
    {
        RegisterComponents();
        _layers = [new HandPrunedLinear("convs.0", Linear(3, 2), new PruneSettings(Granularity.Weight, 0.5))];
    }

    public IReadOnlyList<PrunedLayer> PrunedLayers => _layers;

    public PruningScope PruningScope => PruningScope.Local;

    public void ComputeMasks() => _layers[0].UpdateMask();

    public void ApplyMasks() => _layers[0].ApplyMask();

    public PruningReport GetSparsityReport() => PrunedLayer.Report(_layers);

    public override Tensor forward(Tensor input) => registered.forward(input);
}

/// <summary>Every persistent tensor of a model, byte for byte, and the names of its buffers.</summary>
public sealed class ModelState
{
    private readonly Dictionary<string, (ScalarType Type, long[] Shape, byte[] Bytes)> _tensors;

    private ModelState(Dictionary<string, (ScalarType, long[], byte[])> tensors) => _tensors = tensors;

    public IReadOnlyCollection<string> Names => _tensors.Keys;

    public static ModelState Of(Module model)
    {
        var tensors = new Dictionary<string, (ScalarType, long[], byte[])>(StringComparer.Ordinal);
        foreach (var (name, parameter) in model.named_parameters()) tensors.Add(name, Copy(parameter));
        foreach (var (name, buffer) in model.named_buffers()) tensors.TryAdd(name, Copy(buffer));
        return new ModelState(tensors);
    }

    /// <summary>Null when <paramref name="other"/> is bit-identical; else what differs first.</summary>
    public string? Difference(ModelState other)
    {
        var names = _tensors.Keys.Order(StringComparer.Ordinal).ToArray();
        var otherNames = other._tensors.Keys.Order(StringComparer.Ordinal).ToArray();
        if (!names.SequenceEqual(otherNames)) return $"tensors [{string.Join(", ", names)}] vs [{string.Join(", ", otherNames)}]";
        foreach (var name in names)
        {
            var (type, shape, bytes) = _tensors[name];
            var (otherType, otherShape, otherBytes) = other._tensors[name];
            if (type != otherType || !shape.SequenceEqual(otherShape) || !bytes.AsSpan().SequenceEqual(otherBytes)) return $"tensor '{name}' differs";
        }

        return null;
    }

    public void AssertSame(Module model)
    {
        var difference = Difference(Of(model));
        Assert.True(difference is null, difference);
    }

    private static (ScalarType, long[], byte[]) Copy(Tensor tensor)
    {
        using var copy = tensor.detach().cpu().contiguous();
        return (tensor.dtype, tensor.shape, copy.numel() == 0 ? [] : copy.bytes.ToArray());
    }
}

/// <summary>
/// PruneSharp's checkpoint format written from its documented layout alone (docs/reliability.md), to check that
/// <see cref="PruningCheckpoint.Save"/> writes exactly it and to craft files the model must refuse.
/// </summary>
public static class CheckpointFormat
{
    public static readonly byte[] Magic = [0x89, (byte)'P', (byte)'S', (byte)'C', (byte)'K', (byte)'P', (byte)'T', 0x0A];

    /// <summary>The bytes of a version-2 file holding <paramref name="tensors"/> in order, and where each tensor's data lies.</summary>
    public static (byte[] Bytes, List<(string Name, int DataStart, int DataEnd)> Layout) Write(IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        var entries = tensors.ToList();
        var file = new MemoryStream();
        var header = new byte[16];
        Magic.CopyTo(header, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), (uint)entries.Count);
        file.Write(header);
        var layout = new List<(string, int, int)>();
        foreach (var (name, tensor) in entries)
        {
            var entry = new MemoryStream();
            var writer = new BinaryWriter(entry, new UTF8Encoding(false), leaveOpen: true);
            writer.Write(name);                        // 7-bit length, then UTF-8, as TorchSharp writes names
            Leb128(entry, (long)tensor.dtype);
            Leb128(entry, tensor.dim());
            foreach (var size in tensor.shape) Leb128(entry, size);
            var dataStart = (int)(file.Position + entry.Length);
            using (var data = tensor.detach().cpu().contiguous())
            {
                if (data.numel() > 0) entry.Write(data.bytes);
            }

            layout.Add((name, dataStart, (int)(file.Position + entry.Length)));
            var bytes = entry.ToArray();
            file.Write(bytes);
            file.Write(SHA256.HashData(bytes));
        }

        return (file.ToArray(), layout);
    }

    /// <summary>The state dict of <paramref name="model"/> in the order PruneSharp saves it: parameters, then buffers.</summary>
    public static IEnumerable<(string Name, Tensor Tensor)> StateOf(Module model)
    {
        foreach (var (name, parameter) in model.named_parameters()) yield return (name, parameter);
        foreach (var (name, buffer) in model.named_buffers()) yield return (name, buffer);
    }

    private static void Leb128(Stream stream, long value)
    {
        var remaining = (ulong)value;
        while (remaining >= 0x80)
        {
            stream.WriteByte((byte)(remaining | 0x80));
            remaining >>= 7;
        }

        stream.WriteByte((byte)remaining);
    }
}

/// <summary>Safetensors files written byte by byte: any header text, any data.</summary>
public static class RawSafetensors
{
    public static byte[] Bytes(string header, byte[] data, ulong? headerLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, headerLength ?? (ulong)json.Length);
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + json.Length);
        return file;
    }

    /// <summary>The little-endian bytes of <paramref name="values"/> as float32.</summary>
    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var index = 0; index < values.Length; index++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(index * 4), values[index]);
        return bytes;
    }
}
