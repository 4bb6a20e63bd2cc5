using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace PruneSharp.Benchmarks;

/// <summary>
/// The memory traffic that any correct update must move, as one plain vectorized pass with no selection in it: the
/// bound the kernels are measured against beside the one-read floor.
/// <list type="bullet">
/// <item>A growing update reads every weight (each kept group's score, and the NaN check of every weight) and every
/// held mask value (a group is pruned when any of its mask values is 0, and each must be 0 or 1): two streams, read
/// here in one pass (a dot product).</item>
/// <item>A first mask reads every weight and writes every mask value, and no mask value is known before the layer's
/// last weight is read (the selection depends on every score): per layer, a read pass, then a write pass with
/// streaming stores where the kernels use them (1 MiB and up, with AVX-512), so that the write does not read the line
/// first.</item>
/// </list>
/// </summary>
public static class TrafficBounds
{
    /// <summary>Reads every weight and its held mask value in one pass per layer.</summary>
    public static float ReadWeightsAndMasks(PrunedLayer[] layers, Tensor[] masks)
    {
        var total = 0f;
        for (var index = 0; index < layers.Length; index++)
        {
            total += TensorPrimitives.Dot(ResNetLayers.Values(layers[index].Weight), ResNetLayers.Values(masks[index]));
        }

        return total;
    }

    /// <summary>Per layer, reads every weight, then writes every mask value (a first mask's two passes, without the selection).</summary>
    public static float ReadWeightsThenWriteMasks(PrunedLayer[] layers, float[][] masks)
    {
        var total = 0f;
        for (var index = 0; index < layers.Length; index++)
        {
            total += TensorPrimitives.SumOfMagnitudes(ResNetLayers.Values(layers[index].Weight));
            Fill(masks[index], total > 0 ? 1f : 0f);
        }

        return total;
    }

    /// <summary>Fills a mask as the kernels write a new one: with the kernels' streaming writer where it pays (one group
    /// spanning the mask), plain stores otherwise.</summary>
    private static void Fill(Span<float> mask, float value)
    {
        if (StreamingStores.Pays(mask.Length)) StreamingStores.ExpandContiguous([value], mask.Length, mask);
        else mask.Fill(value);
    }
}
