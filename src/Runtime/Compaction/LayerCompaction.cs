using System;
using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Compaction;

/// <summary>
/// Shrinks one layer in place: its weight, bias and mask (and a BatchNorm's parameters and running statistics) are
/// replaced by the slices of the channels that stay, and its size fields (<c>in_channels</c>, <c>out_channels</c>,
/// <c>groups</c>, <c>in_features</c>, <c>out_features</c>, <c>num_features</c>) follow. The module object stays the same,
/// so every field, <c>Sequential</c>, <c>ModuleList</c> or list that holds it sees the smaller layer.
/// </summary>
/// <remarks>
/// Two steps, so a model is never left half-compacted: <see cref="Prepare"/> computes every new tensor and checks the
/// sizes (and can throw); <see cref="LayerEdit.Commit"/> only assigns. A weight is sliced times its mask, so the
/// compacted weights are exactly the masked model's; the mask buffer is sliced too and stays on the layer.
/// TorchSharp 0.107 keeps a convolution's channel counts in get-only properties and a BatchNorm's feature count behind
/// a private setter: they are set through reflection, checked once (<see cref="SizeFields"/>).
/// </remarks>
internal static class LayerCompaction
{
    /// <summary>The new tensors of <paramref name="layer"/>: <paramref name="outputs"/> and <paramref name="inputs"/> keep every channel where null.</summary>
    /// <exception cref="PruningException">The layer's size does not match a group's.</exception>
    public static LayerEdit Prepare(string layerName, nn.Module layer, ChannelGroup? outputs, ChannelGroup? inputs)
    {
        SizeFields.Check();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        switch (layer)
        {
            case Conv2d conv when ChannelGroup.IsDepthwise(conv):
            {
                // One group for both sides: filter c reads input channel c only, so the weight [C, 1, k, k] keeps its dim 1.
                var group = outputs ?? inputs;
                var edit = SliceWeighted(layerName, conv, conv.weight, conv.bias, group, null);
                var channels = edit.Weight.size(0);
                return edit.Detach(() =>
                {
                    SizeFields.SetConv(conv, channels, channels);
                    conv.groups = channels;
                });
            }

            case Conv2d conv:
            {
                var edit = SliceWeighted(layerName, conv, conv.weight, conv.bias, outputs, inputs);
                var (inChannels, outChannels) = (edit.Weight.size(1), edit.Weight.size(0));
                return edit.Detach(() => SizeFields.SetConv(conv, inChannels, outChannels));
            }

            case Linear linear:
            {
                var edit = SliceWeighted(layerName, linear, linear.weight, linear.bias, outputs, inputs);
                var (inFeatures, outFeatures) = (edit.Weight.size(1), edit.Weight.size(0));
                return edit.Detach(() =>
                {
                    linear.in_features = inFeatures;
                    linear.out_features = outFeatures;
                });
            }

            case BatchNorm batchNorm:
                return SliceBatchNorm(layerName, batchNorm, outputs ?? throw new ArgumentNullException(nameof(outputs)));
            default:
                throw ChannelGroup.NotShrinkable(layerName, layer);
        }
    }

    private static LayerEdit SliceWeighted(string layerName, nn.Module layer, Parameter weight, Parameter? bias, ChannelGroup? outputs, ChannelGroup? inputs)
    {
        var mask = ChannelGroup.MaskOf(layer);
        var sliced = mask is null ? weight.detach() : weight.mul(mask);
        var slicedMask = mask;
        var slicedBias = bias?.detach();
        if (outputs is not null)
        {
            var size = ChannelGroup.OutputSize(layerName, layer);
            if (size != outputs.Channels)
            {
                throw new PruningException(layerName, $"it has {size} outputs, but its channel group '{outputs.Name}' has {outputs.Channels} channels.");
            }

            var index = tensor(outputs.KeptIndices(1), device: weight.device);
            sliced = sliced.index_select(0, index);
            slicedMask = slicedMask?.index_select(0, index);
            slicedBias = slicedBias?.index_select(0, index);
        }

        if (inputs is not null)
        {
            var block = ChannelGroup.InputBlockSize(layerName, layer, inputs.Channels);
            var index = tensor(inputs.KeptIndices(block), device: weight.device);
            sliced = sliced.index_select(1, index);
            slicedMask = slicedMask?.index_select(1, index);
        }

        return new LayerEdit(layer, sliced.contiguous(), weight.requires_grad, slicedBias?.contiguous(), bias?.requires_grad ?? false, slicedMask?.contiguous());
    }

    private static LayerEdit SliceBatchNorm(string layerName, BatchNorm batchNorm, ChannelGroup channels)
    {
        if (batchNorm.num_features != channels.Channels)
        {
            throw new PruningException(layerName, $"it normalizes {batchNorm.num_features} features, but its channel group '{channels.Name}' has {channels.Channels} channels.");
        }

        var kept = channels.KeptIndices(1);
        var device = (batchNorm.running_mean ?? (batchNorm.affine ? batchNorm.weight : null))?.device ?? CPU;
        var index = tensor(kept, device: device);
        var weight = batchNorm.affine ? batchNorm.weight.detach().index_select(0, index).contiguous().DetachFromDisposeScope() : null;
        var bias = batchNorm.affine ? batchNorm.bias!.detach().index_select(0, index).contiguous().DetachFromDisposeScope() : null;
        var mean = batchNorm.running_mean?.index_select(0, index).contiguous().DetachFromDisposeScope();
        var variance = batchNorm.running_var?.index_select(0, index).contiguous().DetachFromDisposeScope();
        var weightGrad = batchNorm.affine && batchNorm.weight.requires_grad;
        var biasGrad = batchNorm.affine && batchNorm.bias!.requires_grad;
        return new LayerEdit(() =>
        {
            if (weight is not null) batchNorm.weight = new Parameter(weight, weightGrad);
            if (bias is not null) batchNorm.bias = new Parameter(bias, biasGrad);
            if (mean is not null) batchNorm.running_mean = mean;
            if (variance is not null) batchNorm.running_var = variance;
            SizeFields.SetFeatures(batchNorm, kept.Length);
        });
    }

    /// <summary>TorchSharp 0.107's size fields that have no public setter.</summary>
    private static class SizeFields
    {
        private static readonly FieldInfo? InChannels = typeof(Convolution).GetField("<in_channels>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic);
        private static readonly FieldInfo? OutChannels = typeof(Convolution).GetField("<out_channels>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic);
        private static readonly MethodInfo? NumFeatures = typeof(NormBase).GetProperty(nameof(NormBase.num_features))?.GetSetMethod(nonPublic: true);

        public static void Check()
        {
            if (InChannels is null || OutChannels is null || NumFeatures is null)
            {
                throw new NotSupportedException("Compact() sets Convolution.in_channels/out_channels and NormBase.num_features, which this TorchSharp version keeps in another way; PruneSharp supports TorchSharp 0.107.");
            }
        }

        public static void SetConv(Convolution conv, long inChannels, long outChannels)
        {
            InChannels!.SetValue(conv, inChannels);
            OutChannels!.SetValue(conv, outChannels);
        }

        public static void SetFeatures(NormBase norm, long features) => NumFeatures!.Invoke(norm, [features]);
    }
}

/// <summary>The new tensors of one layer, computed and checked; <see cref="Commit"/> puts them in place and cannot fail on sizes.</summary>
internal sealed class LayerEdit
{
    private readonly Action _commit;

    public LayerEdit(Action commit) => _commit = commit;

    public LayerEdit(nn.Module layer, Tensor weight, bool weightGrad, Tensor? bias, bool biasGrad, Tensor? mask)
    {
        Layer = layer;
        Weight = weight;
        WeightGrad = weightGrad;
        Bias = bias;
        BiasGrad = biasGrad;
        Mask = mask;
        _commit = () => { };
    }

    private nn.Module? Layer { get; }

    public Tensor Weight { get; } = null!;

    private bool WeightGrad { get; }

    private Tensor? Bias { get; }

    private bool BiasGrad { get; }

    private Tensor? Mask { get; }

    /// <summary>Keeps the new tensors past the dispose scope they were made in, and adds the layer's size fields to the commit.</summary>
    public LayerEdit Detach(Action setSizes)
    {
        var weight = Weight.DetachFromDisposeScope();
        var bias = Bias?.DetachFromDisposeScope();
        var mask = Mask?.DetachFromDisposeScope();
        var layer = Layer!;
        return new LayerEdit(() =>
        {
            switch (layer)
            {
                case Convolution conv:
                    conv.weight = new Parameter(weight, WeightGrad);
                    if (bias is not null) conv.bias = new Parameter(bias, BiasGrad);
                    break;
                case Linear linear:
                    linear.weight = new Parameter(weight, WeightGrad);
                    if (bias is not null) linear.bias = new Parameter(bias, BiasGrad);
                    break;
            }

            // The mask buffer keeps its tensor object (PrunedLayer holds it): its storage and shape change.
            if (mask is not null)
            {
                using var noGrad = no_grad();
                ChannelGroup.MaskOf(layer)!.set_(mask);
                mask.Dispose();
            }

            setSizes();
        });
    }

    /// <summary>Puts the new tensors in place.</summary>
    public void Commit() => _commit();
}
