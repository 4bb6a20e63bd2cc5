using System.Collections.Generic;
using PruneSharp;

namespace PruneSharp.DeviceCheck;

/// <summary>One conv or linear weight of a network: its name, its kind and its weight shape.</summary>
/// <param name="Name">The layer's name in the network, e.g. <c>layer3.2.conv2</c> (torchvision's naming).</param>
/// <param name="Kind">Conv2d or Linear.</param>
/// <param name="Shape">The weight shape: [out, in, kh, kw] for a Conv2d, [out, in] for a Linear.</param>
/// <param name="Stride">The convolution's stride (1 for a Linear); it does not change the weight, only the module built.</param>
internal sealed record LayerShape(string Name, LayerKind Kind, long[] Shape, int Stride)
{
    public long Elements
    {
        get
        {
            var count = 1L;
            foreach (var size in Shape) count *= size;
            return count;
        }
    }
}

/// <summary>
/// Every conv and linear weight shape of torchvision's ResNet-50, derived from the architecture rather than copied
/// from a table: a 7×7 stem of 64 channels, then four stages of [3, 4, 6, 3] bottleneck blocks of widths 64, 128,
/// 256 and 512 (each block: 1×1 reduce, 3×3, 1×1 expand ×4; the first block of each stage adds a 1×1 downsample
/// projection), then a 2048 → 1000 classifier. That is 53 convolutions and 1 linear layer, 25,502,912 weights.
/// </summary>
internal static class ResNet50Shapes
{
    public const int Expansion = 4;

    private static readonly (int Blocks, int Width)[] Stages = [(3, 64), (4, 128), (6, 256), (3, 512)];

    /// <summary>
    /// The shapes, with every channel count divided by <paramref name="widthDivisor"/> (1: the real network; larger:
    /// the same architecture, smaller, for quick checks) and <paramref name="classes"/> outputs.
    /// </summary>
    public static IReadOnlyList<LayerShape> Create(int widthDivisor = 1, int classes = 1000)
    {
        var stem = 64 / widthDivisor;
        var shapes = new List<LayerShape> { Conv("conv1", stem, 3, 7, stride: 2) };
        var inputs = stem;
        for (var stage = 0; stage < Stages.Length; stage++)
        {
            var (blocks, width) = Stages[stage];
            width /= widthDivisor;
            var outputs = width * Expansion;
            for (var block = 0; block < blocks; block++)
            {
                // torchvision's ResNet v1.5: the stride of a stage's first block sits on its 3×3 conv; stage 1 keeps stride 1.
                var stride = block == 0 && stage > 0 ? 2 : 1;
                var prefix = $"layer{stage + 1}.{block}";
                shapes.Add(Conv($"{prefix}.conv1", width, inputs, 1, stride: 1));
                shapes.Add(Conv($"{prefix}.conv2", width, width, 3, stride));
                shapes.Add(Conv($"{prefix}.conv3", outputs, width, 1, stride: 1));
                if (block == 0) shapes.Add(Conv($"{prefix}.downsample.0", outputs, inputs, 1, stride));
                inputs = outputs;
            }
        }

        shapes.Add(new LayerShape("fc", LayerKind.Linear, [classes, inputs], 1));
        return shapes;
    }

    private static LayerShape Conv(string name, int outputs, int inputs, int kernel, int stride) =>
        new(name, LayerKind.Conv2d, [outputs, inputs, kernel, kernel], stride);
}
