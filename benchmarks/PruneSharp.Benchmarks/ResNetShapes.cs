namespace PruneSharp.Benchmarks;

/// <summary>The conv and linear weight shapes of torchvision's ResNet-18 and ResNet-50, built from the architecture.</summary>
public static class ResNetShapes
{
    /// <summary>ResNet-18: a 7×7 stem, four stages of two basic blocks (two 3×3 convs), 1×1 downsamples, fc 512 → 1000.</summary>
    public static IReadOnlyList<long[]> ResNet18()
    {
        var shapes = new List<long[]> { new long[] { 64, 3, 7, 7 } };
        long inputs = 64;
        foreach (var width in new long[] { 64, 128, 256, 512 })
        {
            for (var block = 0; block < 2; block++)
            {
                shapes.Add([width, inputs, 3, 3]);
                shapes.Add([width, width, 3, 3]);
                if (inputs != width) shapes.Add([width, inputs, 1, 1]);
                inputs = width;
            }
        }

        shapes.Add([1000, 512]);
        return shapes;
    }

    /// <summary>ResNet-50: a 7×7 stem, bottleneck stages of [3, 4, 6, 3] blocks (1×1, 3×3, 1×1 ×4), downsamples, fc 2048 → 1000.</summary>
    public static IReadOnlyList<long[]> ResNet50()
    {
        var shapes = new List<long[]> { new long[] { 64, 3, 7, 7 } };
        long inputs = 64;
        foreach (var (blocks, width) in new[] { (3, 64L), (4, 128L), (6, 256L), (3, 512L) })
        {
            for (var block = 0; block < blocks; block++)
            {
                shapes.Add([width, inputs, 1, 1]);
                shapes.Add([width, width, 3, 3]);
                shapes.Add([width * 4, width, 1, 1]);
                if (block == 0) shapes.Add([width * 4, inputs, 1, 1]);
                inputs = width * 4;
            }
        }

        shapes.Add([1000, 2048]);
        return shapes;
    }
}
