using PruneSharp.Samples;
using PruneSharp.Tests.Models;
using PruneSharp.Training;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>Masks travel with the model's state: TorchSharp checkpoints and PyTorch safetensors files.</summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("prunesharp-checkpoints-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Pruned_model_loaded_into_a_fresh_instance_has_identical_masks_weights_and_sparsity()
    {
        using var model = new FilterNet();
        model.ComputeMasks();
        model.ApplyMasks();
        var path = Path.Combine(_directory, "filter-net.bin");
        PruningCheckpoint.Save(model, path);

        using var fresh = new FilterNet();   // other random weights, no masks
        Assert.All(fresh.PrunedLayers, layer => Assert.Null(layer.Mask));
        PruningCheckpoint.Load(fresh, path);

        AssertSameState(model, fresh);
        AssertSameSparsity(model.GetSparsityReport(), fresh.GetSparsityReport());
        Assert.Equal(0.5, fresh.GetSparsityReport().Layers[0].MeasuredSparsity);   // 3 of 6 filters
    }

    [Fact]
    public void A_fresh_instance_without_mask_buffers_cannot_load_a_checkpoint_with_masks()
    {
        using var model = new FilterNet();
        model.ComputeMasks();
        var path = Path.Combine(_directory, "filter-net.bin");
        PruningCheckpoint.Save(model, path);
        using var fresh = new FilterNet();
        Assert.ThrowsAny<Exception>(() => fresh.load(path));   // why Load registers the buffers first
    }

    [Fact]
    public void Registering_mask_buffers_adds_all_ones_masks_and_keeps_existing_ones()
    {
        using var model = new FilterNet();
        model.PrunedLayers[0].UpdateMask();
        using var existing = model.PrunedLayers[0].Mask!.clone();
        PruningCheckpoint.RegisterMaskBuffers(model);

        Assert.True(TensorAssert.Same(existing, model.PrunedLayers[0].Mask!));
        var added = model.PrunedLayers[1].Mask!;
        Assert.Equal(model.PrunedLayers[1].Weight.shape, added.shape);
        Assert.Equal(added.numel(), added.sum().item<float>());
        Assert.False(added.requires_grad);
    }

    [Fact]
    public void Safetensors_state_dict_loads_prunes_exports_and_round_trips()
    {
        // A dense state dict as PyTorch's safetensors.torch.save_file writes it.
        var dense = new Dictionary<string, Tensor>
        {
            ["conv.weight"] = randn(6, 2, 3, 3),
            ["conv.bias"] = randn(6),
            ["fc.weight"] = randn(8, 24),
            ["fc.bias"] = randn(8),
        };
        var densePath = Path.Combine(_directory, "dense.safetensors");
        SafeTensorsInterop.Save(dense, densePath);
        Assert.False(SafeTensorsInterop.HasMasks(densePath));

        using var model = new FilterNet();
        SafeTensorsInterop.Import(model, densePath);
        var state = model.state_dict();
        Assert.All(dense, entry => Assert.True(TensorAssert.Same(entry.Value, state[entry.Key]), entry.Key));

        model.ComputeMasks();
        model.ApplyMasks();
        var prunedPath = Path.Combine(_directory, "pruned.safetensors");
        SafeTensorsInterop.Export(model, prunedPath);

        // The file holds the masks under PyTorch's names, next to the pruned weights.
        var written = Safetensors.LoadStateDict(prunedPath);
        Assert.Equal(["conv.bias", "conv.weight", "conv.weight_mask", "fc.bias", "fc.weight", "fc.weight_mask"], written.Keys.Order(StringComparer.Ordinal));
        Assert.True(TensorAssert.Same(model.PrunedLayers[0].Mask!, written["conv.weight_mask"]));
        Assert.True(TensorAssert.Same(model.PrunedLayers[1].Weight, written["fc.weight"]));

        using var fresh = new FilterNet();
        SafeTensorsInterop.Import(fresh, prunedPath);
        AssertSameState(model, fresh);
        AssertSameSparsity(model.GetSparsityReport(), fresh.GetSparsityReport());
        foreach (var tensor in dense.Values.Concat(written.Values)) tensor.Dispose();
    }

    private static void AssertSameState(nn.Module expected, nn.Module actual)
    {
        var left = expected.state_dict();
        var right = actual.state_dict();
        Assert.Equal(left.Keys.Order(StringComparer.Ordinal), right.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("conv.weight_mask", left.Keys);
        Assert.All(left, entry => Assert.True(TensorAssert.Same(right[entry.Key], entry.Value), entry.Key));
    }

    private static void AssertSameSparsity(PruningReport expected, PruningReport actual)
    {
        // Measured from the masks, so a loaded model reports what it was saved with. (TargetSparsity comes from the last
        // UpdateMask call of the instance, which a loaded model has not made.)
        Assert.Equal(expected.OverallSparsity, actual.OverallSparsity);
        Assert.Equal(expected.Layers.Select(layer => layer.PrunedGroups), actual.Layers.Select(layer => layer.PrunedGroups));
        Assert.Contains(actual.Layers, layer => layer.PrunedGroups > 0);
        Assert.Equal(expected.MaskedWeights, actual.MaskedWeights);
        Assert.Equal(expected.Layers.Select(layer => layer.MeasuredSparsity), actual.Layers.Select(layer => layer.MeasuredSparsity));
        Assert.True(expected.OverallSparsity > 0);
    }
}
