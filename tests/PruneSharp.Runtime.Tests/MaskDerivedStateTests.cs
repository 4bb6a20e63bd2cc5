using PruneSharp.Tests.Compaction;
using PruneSharp.Tests.Models;
using PruneSharp.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// What a layer does with its mask follows the mask that is in the buffer, not the one its last update computed: after
/// a checkpoint loads other masks into a model that had masks, after <c>Compact()</c> slices the masks in place, and
/// after other code writes a mask, <see cref="PrunedLayer.ApplyMask"/> zeroes exactly the biases of the output units
/// the current mask removes (and keeps every other bias), and the report counts that mask.
/// </summary>
public sealed class MaskDerivedStateTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("prunesharp-derived-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void After_a_load_of_other_masks_ApplyMask_zeroes_the_biases_of_the_units_the_loaded_masks_remove()
    {
        manual_seed(31);
        using var source = new FilterNet();
        source.ComputeMasks();
        var path = Path.Combine(_directory, "source.bin");
        PruningCheckpoint.Save(source, path);

        using var model = new FilterNet();
        model.ComputeMasks();
        model.ApplyMasks();
        var layers = model.PrunedLayers;
        Assert.True(Enumerable.Range(0, layers.Count).Any(index => !RemovedUnits(layers[index]).SequenceEqual(RemovedUnits(source.PrunedLayers[index]))), "the two models must remove other units for this test to mean anything");

        PruningCheckpoint.Load(model, path);
        SetBiases(model, 1f);
        model.ApplyMasks();
        for (var index = 0; index < layers.Count; index++)
        {
            Assert.Equal(RemovedUnits(source.PrunedLayers[index]), RemovedUnits(layers[index]));
            AssertBiasZeroExactlyAtRemovedUnits(layers[index]);
        }

        Assert.Equal(source.GetSparsityReport().Layers.Select(layer => layer.PrunedGroups), model.GetSparsityReport().Layers.Select(layer => layer.PrunedGroups));
    }

    [Fact]
    public void After_Compact_ApplyMask_zeroes_the_biases_of_the_units_the_sliced_masks_still_remove()
    {
        // stem and blockConv2 feed one residual add: a channel goes only where both remove it, so each keeps
        // (with fewer units than before) some units that its own mask removes.
        manual_seed(4);
        using var model = new ResidualNet();
        model.eval();
        model.ComputeMasks();
        model.ApplyMasks();
        model.Compact();

        var stem = model.PrunedLayers.Single(layer => layer.Name == "stem");
        Assert.True(stem.Weight.shape[0] < 16, "stem must have lost units for this test to mean anything");
        Assert.NotEmpty(RemovedUnits(stem));
        SetBiases(model, 1f);
        model.ApplyMasks();
        Assert.All(model.PrunedLayers.Where(layer => layer.RemovesOutputUnits), AssertBiasZeroExactlyAtRemovedUnits);
    }

    [Fact]
    public void A_mask_written_by_other_code_decides_which_biases_ApplyMask_zeroes()
    {
        manual_seed(32);
        using var model = new FilterNet();
        model.ComputeMasks();
        var conv = model.PrunedLayers.Single(layer => layer.Name == "conv");
        var kept = Enumerable.Range(0, (int)conv.Weight.shape[0]).Except(RemovedUnits(conv)).ToList();

        // Other code removes one more filter, and gives one back, writing the mask itself.
        var revived = RemovedUnits(conv)[0];
        using (no_grad())
        {
            conv.Mask![kept[0]].zero_();
            conv.Mask![revived].fill_(1f);
        }

        SetBiases(model, 1f);
        model.ApplyMasks();
        AssertBiasZeroExactlyAtRemovedUnits(conv);
        Assert.Contains(kept[0], RemovedUnits(conv));
        Assert.DoesNotContain(revived, RemovedUnits(conv));
    }

    private static void SetBiases(nn.Module model, float value)
    {
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal)) parameter.fill_(value);
        }
    }

    /// <summary>The output units whose every weight the layer's mask prunes (a Conv2d's filters, a Linear's rows).</summary>
    private static List<int> RemovedUnits(PrunedLayer layer) => CompactionTests.RemovedFilters(layer.Layer);

    private static void AssertBiasZeroExactlyAtRemovedUnits(PrunedLayer layer)
    {
        var bias = layer.Layer switch
        {
            Conv2d conv => conv.bias!,
            Linear linear => linear.bias!,
            _ => throw new ArgumentException(layer.Layer.GetType().Name),
        };
        var removed = RemovedUnits(layer);
        var values = bias.data<float>().ToArray();
        for (var unit = 0; unit < values.Length; unit++)
        {
            Assert.True(removed.Contains(unit) ? values[unit] == 0f : values[unit] == 1f, $"{layer.Name}: bias of unit {unit} is {values[unit]}; removed units: [{string.Join(", ", removed)}]");
        }
    }
}
