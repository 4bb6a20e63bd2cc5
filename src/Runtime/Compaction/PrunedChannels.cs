using System;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Compaction;

/// <summary>
/// Makes pruned filters and output neurons really silent. A mask zeroes a filter's weights, but its bias still adds
/// a constant to the channel, and a BatchNorm after it turns that channel into <c>bias − γ·mean/σ</c>: the channel
/// is not zero, so removing it would change the model's outputs. Zeroing the bias and the BatchNorm's γ and β
/// at those channels makes their output exactly zero, which is what <c>Compact()</c> then removes.
/// </summary>
/// <remarks>
/// The model's generated <c>ZeroPrunedChannels()</c> calls these for its layers, after <c>ApplyMasks()</c>, with the
/// BatchNorm-to-layer links its <c>forward</c> shows. Call it again after each training step that updates them.
/// </remarks>
internal static class PrunedChannels
{
    /// <summary>
    /// Zeroes the bias of <paramref name="layer"/> (a Conv2d or Linear) at every output its mask removes entirely.
    /// Does nothing when the layer has no mask or no bias.
    /// </summary>
    /// <exception cref="PruningException">The layer is neither a Conv2d nor a Linear.</exception>
    public static void ZeroBias(string layerName, nn.Module layer)
    {
        ArgumentNullException.ThrowIfNull(layerName);
        ArgumentNullException.ThrowIfNull(layer);
        var removed = ChannelGroup.RemovedOutputs(layerName, layer);
        var bias = layer switch
        {
            Conv2d conv => conv.bias,
            Linear linear => linear.bias,
            _ => null,
        };
        if (removed is null || bias is null) return;
        Zero(bias, removed);
    }

    /// <summary>
    /// Zeroes the weight (γ) and bias (β) of <paramref name="batchNorm"/> at every channel that all of
    /// <paramref name="producers"/> (the Conv2d or Linear layers whose outputs reach it, summed where forward adds
    /// them) remove entirely. Does nothing when a producer has no mask or the BatchNorm has no affine parameters.
    /// </summary>
    /// <exception cref="PruningException">A producer is neither a Conv2d nor a Linear, or its size is not the BatchNorm's.</exception>
    public static void ZeroBatchNorm(string batchNormName, BatchNorm batchNorm, params (string Name, nn.Module Layer)[] producers)
    {
        ArgumentNullException.ThrowIfNull(batchNormName);
        ArgumentNullException.ThrowIfNull(batchNorm);
        ArgumentNullException.ThrowIfNull(producers);
        if (!batchNorm.affine || producers.Length == 0) return;

        var removed = new bool[batchNorm.num_features];
        Array.Fill(removed, true);
        foreach (var (name, layer) in producers)
        {
            var flags = ChannelGroup.RemovedOutputs(name, layer);
            if (flags is null) return;
            if (flags.Length != removed.Length)
            {
                throw new PruningException(batchNormName, $"it normalizes {removed.Length} features, but '{name}', which feeds it, produces {flags.Length}.");
            }

            for (var channel = 0; channel < removed.Length; channel++) removed[channel] &= flags[channel];
        }

        Zero(batchNorm.weight, removed);
        Zero(batchNorm.bias!, removed);
    }

    private static void Zero(Tensor values, bool[] where)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var flags = tensor(where, device: values.device);
        values.masked_fill_(flags, 0);
    }
}
