using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Compaction;

/// <summary>
/// Builds the smaller layers of a compacted model: each keeps the channels its <see cref="ChannelGroup"/>s keep and
/// the surviving weights, multiplied by the layer's mask where it has one. The code PruneSharp generates for
/// <c>Compact()</c> calls these; they are public so that a hand-written compaction can use them too.
/// </summary>
/// <remarks>
/// A new layer lives on its source layer's device, with its dtype, and copies its configuration (kernel, stride,
/// padding, dilation, padding mode, bias; for BatchNorm eps, momentum, affine and running statistics). It has no mask
/// buffer: it is dense.
/// </remarks>
public static class LayerCompaction
{
    /// <summary>
    /// A Conv2d with the output channels of <paramref name="outputs"/> and the input channels of
    /// <paramref name="inputs"/> that stay; <see langword="null"/> keeps every channel of that side.
    /// </summary>
    /// <exception cref="PruningException">The layer is a grouped convolution, or its size does not match a group's.</exception>
    public static Conv2d Conv2d(string layerName, Conv2d source, ChannelGroup? outputs, ChannelGroup? inputs)
    {
        ArgumentNullException.ThrowIfNull(layerName);
        ArgumentNullException.ThrowIfNull(source);
        if (source.groups != 1)
        {
            throw new PruningException(layerName, $"it is a grouped convolution (groups = {source.groups}); Compact() shrinks convolutions with groups = 1 only.");
        }

        using var scope = NewDisposeScope();
        var (weight, bias) = SliceWeightAndBias(layerName, source, source.weight, source.bias, outputs, inputs);
        var kernel = (source.kernel_size[0], source.kernel_size[1]);
        var stride = (source.stride[0], source.stride[1]);
        var dilation = (source.dilation[0], source.dilation[1]);
        var device = source.weight.device;
        var dtype = source.weight.dtype;
        var compacted = source.padding_type is { } paddingType
            ? nn.Conv2d(weight.size(1), weight.size(0), kernel, paddingType, stride, dilation, source.padding_mode, 1, bias is not null, device, dtype)
            : nn.Conv2d(weight.size(1), weight.size(0), kernel, stride, (source.padding![0], source.padding[1]), dilation, source.padding_mode, 1, bias is not null, device, dtype);
        compacted.weight = new Parameter(weight.DetachFromDisposeScope(), source.weight.requires_grad);
        if (bias is not null) compacted.bias = new Parameter(bias.DetachFromDisposeScope(), source.bias!.requires_grad);
        compacted.train(source.training);
        return compacted;
    }

    /// <summary>
    /// A Linear with the output features of <paramref name="outputs"/> and the input features of
    /// <paramref name="inputs"/> that stay; <see langword="null"/> keeps every feature of that side. Where the input
    /// comes from a flatten, each channel of <paramref name="inputs"/> is a block of <c>in_features / channels</c> features.
    /// </summary>
    /// <exception cref="PruningException">The layer's size does not match a group's.</exception>
    public static Linear Linear(string layerName, Linear source, ChannelGroup? outputs, ChannelGroup? inputs)
    {
        ArgumentNullException.ThrowIfNull(layerName);
        ArgumentNullException.ThrowIfNull(source);
        using var scope = NewDisposeScope();
        var (weight, bias) = SliceWeightAndBias(layerName, source, source.weight, source.bias, outputs, inputs);
        var compacted = nn.Linear(
            new Parameter(weight.DetachFromDisposeScope(), source.weight.requires_grad),
            bias is null ? null : new Parameter(bias.DetachFromDisposeScope(), source.bias!.requires_grad));
        compacted.train(source.training);
        return compacted;
    }

    /// <summary>A BatchNorm1d with the features of <paramref name="channels"/> that stay.</summary>
    /// <exception cref="PruningException">The layer's size does not match the group's.</exception>
    public static BatchNorm1d BatchNorm1d(string layerName, BatchNorm1d source, ChannelGroup channels)
    {
        ArgumentNullException.ThrowIfNull(source);
        var kept = KeptFeatures(layerName, source, channels);
        var compacted = nn.BatchNorm1d(kept.Length, source.eps, source.momentum ?? 0.1, source.affine, source.track_running_stats, DeviceOf(source), DtypeOf(source));
        CopyBatchNorm(source, compacted, kept);
        return compacted;
    }

    /// <summary>A BatchNorm2d with the channels of <paramref name="channels"/> that stay.</summary>
    /// <exception cref="PruningException">The layer's size does not match the group's.</exception>
    public static BatchNorm2d BatchNorm2d(string layerName, BatchNorm2d source, ChannelGroup channels)
    {
        ArgumentNullException.ThrowIfNull(source);
        var kept = KeptFeatures(layerName, source, channels);
        var compacted = nn.BatchNorm2d(kept.Length, source.eps, source.momentum ?? 0.1, source.affine, source.track_running_stats, DeviceOf(source), DtypeOf(source));
        CopyBatchNorm(source, compacted, kept);
        return compacted;
    }

    /// <summary>
    /// Copies every parameter and buffer of <paramref name="source"/> into the same-named one of
    /// <paramref name="target"/>, a model of the same class as its constructor built it. A parameter named
    /// <c>weight</c> whose layer has a mask buffer (<see cref="PrunedLayer.MaskBufferName"/>) is copied multiplied
    /// by the mask; the mask buffers themselves are not copied. <paramref name="target"/> is first moved to the
    /// device and dtype of <paramref name="source"/>'s first parameter.
    /// </summary>
    /// <exception cref="InvalidOperationException">The two models do not have the same parameters and buffers
    /// (other than masks) with the same shapes.</exception>
    public static void CopyState(nn.Module source, nn.Module target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var sourceParameters = source.named_parameters().ToDictionary(pair => pair.name, pair => (Tensor)pair.parameter, StringComparer.Ordinal);
        var sourceBuffers = source.named_buffers().ToDictionary(pair => pair.name, pair => pair.buffer, StringComparer.Ordinal);
        MoveLike(source, target);

        var targetParameters = target.named_parameters().ToList();
        var targetBuffers = target.named_buffers().ToList();
        Require(sourceParameters.Keys, targetParameters.Select(pair => pair.name), "parameter");
        Require(sourceBuffers.Keys.Where(name => !IsMask(name)), targetBuffers.Select(pair => pair.name), "buffer");

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, parameter) in targetParameters)
        {
            var value = sourceParameters[name];
            CheckShape(name, value, parameter);
            if (MaskNameOf(name) is { } maskName && sourceBuffers.TryGetValue(maskName, out var mask)) value = value.mul(mask);
            parameter.copy_(value);
        }

        foreach (var (name, buffer) in targetBuffers)
        {
            var value = sourceBuffers[name];
            CheckShape(name, value, buffer);
            buffer.copy_(value);
        }
    }

    /// <summary>The weight (times its mask) and bias of a layer, sliced to the outputs and inputs that stay.</summary>
    private static (Tensor Weight, Tensor? Bias) SliceWeightAndBias(string layerName, nn.Module source, Tensor weight, Tensor? bias, ChannelGroup? outputs, ChannelGroup? inputs)
    {
        using var noGrad = no_grad();
        var mask = ChannelGroup.MaskOf(source);
        var sliced = mask is null ? weight.detach().clone() : weight.mul(mask);
        var slicedBias = bias?.detach().clone();
        if (outputs is not null)
        {
            var size = ChannelGroup.OutputSize(layerName, source);
            if (size != outputs.Channels)
            {
                throw new PruningException(layerName, $"it has {size} outputs, but its channel group '{outputs.Name}' has {outputs.Channels} channels.");
            }

            var index = tensor(outputs.KeptIndices(1), device: weight.device);
            sliced = sliced.index_select(0, index);
            slicedBias = slicedBias?.index_select(0, index);
        }

        if (inputs is not null)
        {
            var block = ChannelGroup.InputBlockSize(layerName, source, inputs.Channels);
            sliced = sliced.index_select(1, tensor(inputs.KeptIndices(block), device: weight.device));
        }

        return (sliced.contiguous(), slicedBias?.contiguous());
    }

    private static long[] KeptFeatures(string layerName, NormBase source, ChannelGroup channels)
    {
        ArgumentNullException.ThrowIfNull(layerName);
        ArgumentNullException.ThrowIfNull(channels);
        if (source.num_features != channels.Channels)
        {
            throw new PruningException(layerName, $"it normalizes {source.num_features} features, but its channel group '{channels.Name}' has {channels.Channels} channels.");
        }

        return channels.KeptIndices(1);
    }

    private static void CopyBatchNorm(NormBase source, NormBase target, long[] kept)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var index = tensor(kept, device: DeviceOf(source));
        target.momentum = source.momentum;
        if (source.affine)
        {
            target.weight = new Parameter(source.weight.index_select(0, index).DetachFromDisposeScope(), source.weight.requires_grad);
            target.bias = new Parameter(source.bias!.index_select(0, index).DetachFromDisposeScope(), source.bias.requires_grad);
        }

        if (source.running_mean is { } mean) target.running_mean = mean.index_select(0, index).DetachFromDisposeScope();
        if (source.running_var is { } variance) target.running_var = variance.index_select(0, index).DetachFromDisposeScope();
        if (source.num_batches_tracked is { } batches) target.num_batches_tracked = batches.clone().DetachFromDisposeScope();
        target.train(source.training);
    }

    private static Device DeviceOf(NormBase layer) =>
        (layer.running_mean ?? (layer.affine ? layer.weight : null))?.device ?? CPU;

    private static ScalarType? DtypeOf(NormBase layer) =>
        (layer.running_mean ?? (layer.affine ? layer.weight : null))?.dtype;

    private static void MoveLike(nn.Module source, nn.Module target)
    {
        var first = source.parameters().FirstOrDefault();
        var targetFirst = target.parameters().FirstOrDefault();
        if (first is null || targetFirst is null) return;
        if (targetFirst.device != first.device) target.to(first.device);
        if (targetFirst.dtype != first.dtype) target.to(first.dtype);
    }

    private static bool IsMask(string name) => name == PrunedLayer.MaskBufferName || name.EndsWith("." + PrunedLayer.MaskBufferName, StringComparison.Ordinal);

    /// <summary>The mask buffer of a parameter named <c>weight</c> (<c>conv1.weight</c> → <c>conv1.weight_mask</c>).</summary>
    private static string? MaskNameOf(string parameterName)
    {
        const string Weight = "weight";
        if (parameterName == Weight) return PrunedLayer.MaskBufferName;
        return parameterName.EndsWith("." + Weight, StringComparison.Ordinal)
            ? parameterName.Substring(0, parameterName.Length - Weight.Length) + PrunedLayer.MaskBufferName
            : null;
    }

    private static void Require(IEnumerable<string> sourceNames, IEnumerable<string> targetNames, string what)
    {
        var source = new HashSet<string>(sourceNames, StringComparer.Ordinal);
        var target = new HashSet<string>(targetNames, StringComparer.Ordinal);
        var onlySource = source.Except(target).OrderBy(name => name, StringComparer.Ordinal).ToList();
        var onlyTarget = target.Except(source).OrderBy(name => name, StringComparer.Ordinal).ToList();
        if (onlySource.Count == 0 && onlyTarget.Count == 0) return;
        var missing = onlySource.Count > 0 ? $" The model has {what}s {string.Join(", ", onlySource.Select(name => $"'{name}'"))} that a newly constructed one lacks." : string.Empty;
        var extra = onlyTarget.Count > 0 ? $" A newly constructed model has {what}s {string.Join(", ", onlyTarget.Select(name => $"'{name}'"))} that the model lacks." : string.Empty;
        throw new InvalidOperationException($"Compaction copies the model into a newly constructed one of its class, but their {what}s differ.{missing}{extra}");
    }

    private static string FormatShape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    private static void CheckShape(string name, Tensor source, Tensor target)
    {
        if (source.shape.SequenceEqual(target.shape)) return;
        throw new InvalidOperationException(
            $"Compaction copies the model into a newly constructed one of its class, but '{name}' has shape {FormatShape(source.shape)} in the model and {FormatShape(target.shape)} in the new one. " +
            "Compact() takes a model whose layers have the shapes its constructor gives them; a compacted model cannot be compacted again.");
    }
}
