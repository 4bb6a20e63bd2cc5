using PruneSharp.Tests.Models;
using PruneSharp.Training;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>Masks travel with the model's state: PruneSharp checkpoints, TorchSharp's format and PyTorch safetensors files.</summary>
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
    public void Save_writes_the_documented_format_byte_for_byte()
    {
        using var model = new FilterNet();
        model.ComputeMasks();
        var path = Path.Combine(_directory, "filter-net.bin");
        PruningCheckpoint.Save(model, path);

        var (expected, _) = CheckpointFormat.Write(CheckpointFormat.StateOf(model));
        Assert.Equal(expected, File.ReadAllBytes(path));
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));   // the temporary file was moved over the target
    }

    [Fact]
    public void A_checkpoint_written_by_TorchSharps_Module_save_still_loads()
    {
        // The format before PruneSharp's own: what PruningCheckpoint.Save wrote until it had checksums.
        using var model = new FilterNet();
        model.ComputeMasks();
        model.ApplyMasks();
        var path = Path.Combine(_directory, "torchsharp.bin");
        model.save(path);

        using var fresh = new FilterNet();
        PruningCheckpoint.Load(fresh, path);
        AssertSameState(model, fresh);
    }

    [Fact]
    public void A_layer_whose_mask_the_file_lacks_stays_without_one()
    {
        using var model = new FilterNet();
        model.PrunedLayers[1].UpdateMask();   // only fc has a mask
        var path = Path.Combine(_directory, "one-mask.bin");
        PruningCheckpoint.Save(model, path);

        using var fresh = new FilterNet();
        PruningCheckpoint.Load(fresh, path);
        Assert.Null(fresh.PrunedLayers[0].Mask);
        AssertSameState(model, fresh, withConvMask: false);
    }

    [Fact]
    public void Layers_inside_containers_are_saved_and_loaded_under_their_dotted_names()
    {
        using var model = new BlockNet();
        model.ComputeMasks();
        model.ApplyMasks();
        var path = Path.Combine(_directory, "blocks.bin");
        PruningCheckpoint.Save(model, path);

        using var fresh = new BlockNet();
        PruningCheckpoint.Load(fresh, path);
        Assert.Contains("blocks.0.weight_mask", fresh.state_dict().Keys);
        Assert.Contains("norm.num_batches_tracked", fresh.state_dict().Keys);
        ModelState.Of(model).AssertSame(fresh);
    }

    [Fact]
    public void A_pruned_layer_outside_the_module_tree_is_an_error_naming_it_when_saving_and_loading()
    {
        using var model = new UnregisteredLayerNet();
        var path = Path.Combine(_directory, "unregistered.bin");
        File.WriteAllText(path, "an earlier file");
        var save = Assert.Throws<InvalidOperationException>(() => PruningCheckpoint.Save(model, path));
        Assert.Contains("'convs.0'", save.Message);
        Assert.Equal("an earlier file", File.ReadAllText(path));   // nothing was written

        var load = Assert.Throws<InvalidOperationException>(() => PruningCheckpoint.Load(model, path));
        Assert.Contains("'convs.0'", load.Message);
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
        // A dense state dict written by another implementation (PyBridge's, as PyTorch's save_file writes it).
        var dense = new Dictionary<string, Tensor>
        {
            ["conv.weight"] = randn(6, 2, 3, 3),
            ["conv.bias"] = randn(6),
            ["fc.weight"] = randn(8, 24),
            ["fc.bias"] = randn(8),
        };
        var densePath = Path.Combine(_directory, "dense.safetensors");
        Safetensors.SaveStateDict(densePath, dense);
        Assert.DoesNotContain(SafeTensorsFile.ReadHeader(densePath).Tensors, entry => entry.Name.EndsWith(".weight_mask", StringComparison.Ordinal));

        using var model = new FilterNet();
        PruningCheckpoint.ImportSafetensors(model, densePath);
        var state = model.state_dict();
        Assert.All(dense, entry => Assert.True(TensorAssert.Same(entry.Value, state[entry.Key]), entry.Key));
        Assert.All(model.PrunedLayers, layer => Assert.Null(layer.Mask));

        model.ComputeMasks();
        model.ApplyMasks();
        var prunedPath = Path.Combine(_directory, "pruned.safetensors");
        PruningCheckpoint.ExportSafetensors(model, prunedPath);

        // The other implementation reads the export: masks under PyTorch's names, next to the pruned weights.
        var written = Safetensors.LoadStateDict(prunedPath);
        Assert.Equal(["conv.bias", "conv.weight", "conv.weight_mask", "fc.bias", "fc.weight", "fc.weight_mask"], written.Keys.Order(StringComparer.Ordinal));
        Assert.True(TensorAssert.Same(model.PrunedLayers[0].Mask!, written["conv.weight_mask"]));
        Assert.True(TensorAssert.Same(model.PrunedLayers[1].Weight, written["fc.weight"]));
        Assert.Equal("pt", SafeTensorsFile.ReadHeader(prunedPath).Metadata["format"]);

        using var fresh = new FilterNet();
        PruningCheckpoint.ImportSafetensors(fresh, prunedPath);
        AssertSameState(model, fresh);
        AssertSameSparsity(model.GetSparsityReport(), fresh.GetSparsityReport());
        foreach (var tensor in dense.Values.Concat(written.Values)) tensor.Dispose();
    }

    [Fact]
    public void Safetensors_files_of_every_supported_dtype_round_trip_through_both_implementations()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["bool"] = tensor(new[] { true, false, true }),
            ["u8"] = tensor(new byte[] { 0, 7, 255 }),
            ["i8"] = tensor(new sbyte[] { -128, 0, 127 }),
            ["i16"] = tensor(new short[] { -3, 4 }),
            ["i32"] = tensor(new[] { int.MinValue, 5 }),
            ["i64"] = tensor(new[] { long.MaxValue, -1L }).reshape(2, 1),
            ["f16"] = randn(3, 2).to(ScalarType.Float16),
            ["bf16"] = randn(2, 3).to(ScalarType.BFloat16),
            ["f32"] = randn(4),
            ["f64"] = randn(2, 2, 2, dtype: ScalarType.Float64),
            ["scalar"] = tensor(3.5f),
            ["empty"] = zeros(0, 3),
        };
        var ours = Path.Combine(_directory, "ours.safetensors");
        SafeTensorsFile.Write(ours, tensors);
        var theirs = Path.Combine(_directory, "theirs.safetensors");
        Safetensors.SaveStateDict(theirs, tensors);

        foreach (var read in new[] { Safetensors.LoadStateDict(ours), SafeTensorsFile.ReadTensors(theirs), SafeTensorsFile.ReadTensors(ours) })
        {
            Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), read.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, expected) in tensors)
            {
                Assert.Equal(expected.dtype, read[name].dtype);
                Assert.Equal(expected.shape, read[name].shape);
                Assert.True(expected.numel() == 0 || TensorAssert.Same(expected, read[name]), name);
            }

            foreach (var value in read.Values) value.Dispose();
        }

        foreach (var value in tensors.Values) value.Dispose();
    }

    private static void AssertSameState(nn.Module expected, nn.Module actual, bool withConvMask = true)
    {
        var left = expected.state_dict();
        var right = actual.state_dict();
        Assert.Equal(left.Keys.Order(StringComparer.Ordinal), right.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(withConvMask, left.ContainsKey("conv.weight_mask"));
        Assert.All(left, entry => Assert.True(TensorAssert.Same(right[entry.Key], entry.Value), entry.Key));
        ModelState.Of(expected).AssertSame(actual);
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
