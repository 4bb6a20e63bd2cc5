using System;
using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Compaction;

/// <summary>
/// One channel space of a model, as its <c>forward</c> couples it: the output channels (or output features) of the
/// layers that produce it, summed where <c>forward</c> adds tensors (a residual connection), and the matching input
/// channels (or input features) of the layers that consume it. A channel is removed from all of them at once.
/// Compaction builds one group per coupled set of channels that <c>Compact()</c> can shrink.
/// </summary>
/// <remarks>
/// <para>
/// The masks decide. Channel <c>c</c> is removed when every producer's mask removes output <c>c</c> entirely
/// (a pruned filter or output neuron: its output is zero once the model's <c>ZeroPrunedChannels()</c> has zeroed the
/// bias and BatchNorm that follow it), or when every consumer's mask removes input <c>c</c> entirely (no consumer
/// reads it). A layer without a mask removes nothing. When every channel would go, the first one is kept, so no
/// layer ends up with zero channels; it carries zeros only, so the outputs do not change.
/// </para>
/// <para>
/// A <c>Linear</c> consumer may read the group through a flatten: its input features are then channel-major blocks,
/// <c>in_features / channels</c> features per channel (the H × W positions of each channel).
/// </para>
/// </remarks>
internal sealed class ChannelGroup
{
    private readonly List<(string Name, nn.Module Layer)> _producers = [];
    private readonly List<(string Name, nn.Module Layer)> _consumers = [];
    private long[]? _kept;
    private long _channels;

    /// <summary>Creates an empty group.</summary>
    /// <param name="name">A name for error messages, e.g. the layers that produce the channels.</param>
    public ChannelGroup(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
    }

    /// <summary>The group's name, for error messages.</summary>
    public string Name { get; }

    /// <summary>Adds a layer whose output channels (Conv2d) or output features (Linear) are the group's channels.</summary>
    /// <returns>This group.</returns>
    /// <exception cref="InvalidOperationException">The channels were already decided.</exception>
    public ChannelGroup AddProducer(string layerName, nn.Module layer)
    {
        AddLayer(_producers, layerName, layer);
        return this;
    }

    /// <summary>Adds a layer whose input channels (Conv2d) or input features (Linear) read the group's channels.</summary>
    /// <returns>This group.</returns>
    /// <exception cref="InvalidOperationException">The channels were already decided.</exception>
    public ChannelGroup AddConsumer(string layerName, nn.Module layer)
    {
        AddLayer(_consumers, layerName, layer);
        return this;
    }

    /// <summary>The number of channels before compaction (the producers' output size).</summary>
    /// <exception cref="PruningException">The layers of the group disagree on the channel count, or one of them is
    /// not a layer the group can shrink.</exception>
    public long Channels
    {
        get
        {
            Decide();
            return _channels;
        }
    }

    /// <summary>The channels that stay, ascending. Decided from the masks on first use.</summary>
    /// <exception cref="PruningException">The layers of the group disagree on the channel count, or one of them is
    /// not a layer the group can shrink.</exception>
    public IReadOnlyList<long> KeptChannels => Decide();

    /// <summary>The indices along a layer's input axis that stay: <see cref="KeptChannels"/>, each expanded to its block of <paramref name="blockSize"/> features.</summary>
    internal long[] KeptIndices(long blockSize)
    {
        var kept = Decide();
        if (blockSize == 1) return kept;
        var indices = new long[kept.Length * blockSize];
        var next = 0;
        foreach (var channel in kept)
        {
            for (var offset = 0L; offset < blockSize; offset++) indices[next++] = (channel * blockSize) + offset;
        }

        return indices;
    }

    /// <summary>
    /// The number of input features per channel of <paramref name="layer"/> as a consumer of <paramref name="channels"/>
    /// channels: 1 for a Conv2d, <c>in_features / channels</c> for a Linear.
    /// </summary>
    internal static long InputBlockSize(string layerName, nn.Module layer, long channels)
    {
        switch (layer)
        {
            case Conv2d conv:
                if (conv.in_channels != channels)
                {
                    throw new PruningException(layerName, $"it has {conv.in_channels} input channels, but the layers that feed it produce {channels}.");
                }

                return 1;
            case Linear linear:
                if (linear.in_features % channels != 0)
                {
                    throw new PruningException(layerName, $"its {linear.in_features} input features are not a whole number of blocks of the {channels} channels that feed it.");
                }

                return linear.in_features / channels;
            default:
                throw NotShrinkable(layerName, layer);
        }
    }

    /// <summary>The output size of a producer: a Conv2d's output channels or a Linear's output features.</summary>
    internal static long OutputSize(string layerName, nn.Module layer) => layer switch
    {
        Conv2d conv => conv.out_channels,
        Linear linear => linear.out_features,
        _ => throw NotShrinkable(layerName, layer),
    };

    /// <summary>
    /// For each output unit of <paramref name="layer"/>: whether its mask removes that unit entirely (every weight of
    /// the filter or row is masked). <see langword="null"/> when the layer has no mask.
    /// </summary>
    internal static bool[]? RemovedOutputs(string layerName, nn.Module layer)
    {
        var outputs = OutputSize(layerName, layer);
        var mask = MaskOf(layer);
        if (mask is null) return null;
        using var scope = NewDisposeScope();
        return ToArray(mask.reshape(outputs, -1).ne(0).any(1).logical_not());
    }

    private static bool[]? RemovedInputs(string layerName, nn.Module layer, long channels)
    {
        var block = InputBlockSize(layerName, layer, channels);

        // A depthwise convolution reads input channel c with filter c only.
        if (IsDepthwise(layer)) return RemovedOutputs(layerName, layer);
        var mask = MaskOf(layer);
        if (mask is null) return null;
        using var scope = NewDisposeScope();
        var outputs = mask.size(0);
        return ToArray(mask.reshape(outputs, channels, -1).transpose(0, 1).reshape(channels, -1).ne(0).any(1).logical_not());
    }

    /// <summary>A depthwise convolution: <c>groups = in_channels = out_channels</c>, so output channel c reads input channel c only.</summary>
    internal static bool IsDepthwise(nn.Module layer) =>
        layer is Conv2d conv && conv.groups > 1 && conv.groups == conv.in_channels && conv.groups == conv.out_channels;

    internal static Tensor? MaskOf(nn.Module layer) =>
        layer.has_buffer(PrunedLayer.MaskBufferName) ? layer.get_buffer(PrunedLayer.MaskBufferName) : null;

    internal static PruningException NotShrinkable(string layerName, nn.Module layer) =>
        new(layerName, $"it is a {layer.GetType().Name}; a channel group shrinks Conv2d and Linear layers only.");

    private static bool[] ToArray(Tensor flags)
    {
        using var onCpu = flags.cpu();
        return onCpu.data<bool>().ToArray();
    }

    private void AddLayer(List<(string, nn.Module)> layers, string layerName, nn.Module layer)
    {
        ArgumentNullException.ThrowIfNull(layerName);
        ArgumentNullException.ThrowIfNull(layer);
        if (_kept is not null)
        {
            throw new InvalidOperationException($"Channel group '{Name}': its channels are already decided; add layers before reading them.");
        }

        if (layer is Conv2d { groups: not 1 } grouped && !IsDepthwise(grouped))
        {
            throw new PruningException(layerName, $"it is a grouped convolution (groups = {grouped.groups}); a channel group shrinks convolutions with groups = 1 and depthwise ones only.");
        }

        layers.Add((layerName, layer));
    }

    private long[] Decide()
    {
        if (_kept is not null) return _kept;
        if (_producers.Count == 0)
        {
            throw new InvalidOperationException($"Channel group '{Name}' has no producer, so its channel count is unknown.");
        }

        var channels = OutputSize(_producers[0].Name, _producers[0].Layer);
        foreach (var (name, layer) in _producers)
        {
            var size = OutputSize(name, layer);
            if (size != channels)
            {
                throw new PruningException(name, $"it produces {size} channels, but '{_producers[0].Name}', whose channels forward adds to or passes on with its own, produces {channels}.");
            }
        }

        var removedByProducers = AllRemove(_producers, (name, layer) => RemovedOutputs(name, layer), channels);
        var ignoredByConsumers = AllRemove(_consumers, (name, layer) => RemovedInputs(name, layer, channels), channels);
        var kept = new List<long>();
        for (var channel = 0; channel < channels; channel++)
        {
            if (!removedByProducers[channel] && !ignoredByConsumers[channel]) kept.Add(channel);
        }

        // Every channel removed: keep the first (it carries zeros, or nothing reads it) so no layer has zero channels.
        if (kept.Count == 0) kept.Add(0);
        _channels = channels;
        return _kept = kept.ToArray();
    }

    private static bool[] AllRemove(List<(string Name, nn.Module Layer)> layers, Func<string, nn.Module, bool[]?> removed, long channels)
    {
        var all = new bool[channels];
        if (layers.Count == 0) return all;
        Array.Fill(all, true);
        foreach (var (name, layer) in layers)
        {
            var flags = removed(name, layer);
            if (flags is null) return new bool[channels];
            for (var channel = 0; channel < channels; channel++) all[channel] &= flags[channel];
        }

        return all;
    }
}
