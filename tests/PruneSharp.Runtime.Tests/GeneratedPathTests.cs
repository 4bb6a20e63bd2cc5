using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// For every Conv2d and Linear granularity: the masks the generated code computes equal the reference
/// implementation's on every layer shape of the granularity's test model, at several sparsities, for random
/// weights and for weights full of ties.
/// </summary>
public sealed class GeneratedPathTests
{
    private static readonly double[] Sparsities = [0.0, 0.1, 0.25, 0.3, 0.5, 0.7, 0.75, 0.9];

    public static IEnumerable<object[]> AllGranularities() =>
        new[] { LayerKind.Conv2d, LayerKind.Linear }
            .SelectMany(kind => Enum.GetValues<Granularity>().Where(granularity => granularity != Granularity.Layer && Granularities.TryGetReducedDims(kind, granularity, out _)).Select(granularity => new object[] { kind, granularity }));

    [Fact]
    public void There_are_15_Conv2d_and_3_Linear_granularities()
    {
        var all = AllGranularities().Select(row => ((LayerKind)row[0], (Granularity)row[1])).ToList();
        Assert.Equal(15, all.Count(row => row.Item1 == LayerKind.Conv2d));
        Assert.Equal(3, all.Count(row => row.Item1 == LayerKind.Linear));
    }

    [Theory]
    [MemberData(nameof(AllGranularities))]
    public void Generated_masks_equal_reference_masks(LayerKind kind, Granularity granularity)
    {
        var model = GranularityModelCatalog.Create(kind, granularity);
        using var module = (nn.Module)model;
        var dims = ReferenceMasks.Dims(kind, granularity);
        var random = new Random(HashCode.Combine(kind, granularity));
        var checkedMasks = 0;
        foreach (var layer in model.PrunedLayers)
        {
            Assert.Equal(granularity, layer.Granularity);
            var shape = layer.Weight.shape.Select(size => (int)size).ToArray();
            foreach (var ties in new[] { false, true })
            {
                var weights = RandomWeights(random, layer.Weight.numel(), ties);
                SetWeights(layer, weights);
                foreach (var sparsity in Sparsities)
                {
                    var expected = ReferenceMasks.Compute(weights, shape, dims, sparsity);
                    if (expected is null)
                    {
                        var error = Assert.Throws<PruningException>(() => layer.UpdateMask(sparsity));
                        Assert.Equal(layer.Name, error.LayerName);
                        continue;
                    }

                    layer.UpdateMask(sparsity);
                    Assert.Equal(expected, layer.Mask!.data<float>().ToArray());
                    checkedMasks++;
                }
            }
        }

        Assert.True(checkedMasks >= model.PrunedLayers.Count * 4, $"only {checkedMasks} masks were compared");
    }

    [Theory]
    [MemberData(nameof(AllGranularities))]
    public void ComputeMasks_uses_the_declared_sparsity_and_ApplyMasks_zeroes_exactly_the_masked_weights(LayerKind kind, Granularity granularity)
    {
        var model = GranularityModelCatalog.Create(kind, granularity);
        using var module = (nn.Module)model;
        var random = new Random(7);
        foreach (var layer in model.PrunedLayers) SetWeights(layer, RandomWeights(random, layer.Weight.numel(), ties: false));

        model.ComputeMasks();
        model.ApplyMasks();

        foreach (var layer in model.PrunedLayers)
        {
            Assert.Equal(0.25, layer.TargetSparsity);
            var weights = layer.Weight.data<float>().ToArray();
            var mask = layer.Mask!.data<float>().ToArray();
            for (var index = 0; index < weights.Length; index++)
            {
                Assert.Equal(mask[index] == 0f, weights[index] == 0f);
            }
        }

        var report = model.GetSparsityReport();
        Assert.Equal(model.PrunedLayers.Select(layer => layer.Name), report.Layers.Select(layer => layer.Name));
        Assert.All(report.Layers, layer => Assert.Equal(layer.PrunedGroups * (layer.Shape.Aggregate(1L, (a, b) => a * b) / layer.Groups), (long)Math.Round(layer.MeasuredSparsity * layer.Shape.Aggregate(1L, (a, b) => a * b))));
    }

    internal static float[] RandomWeights(Random random, long count, bool ties) =>
        Enumerable.Range(0, (int)count).Select(_ => ties ? random.Next(-2, 3) : (float)((random.NextDouble() * 2) - 1)).ToArray();

    internal static void SetWeights(PrunedLayer layer, float[] weights)
    {
        using (no_grad())
        {
            weights.AsSpan().CopyTo(MemoryMarshal.Cast<byte, float>(layer.Weight.bytes));
        }
    }
}
