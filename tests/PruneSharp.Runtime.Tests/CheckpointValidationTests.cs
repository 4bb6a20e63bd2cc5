using PruneSharp.Tests.Models;
using PruneSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// Loads that do not fit the model: each is refused with a <see cref="CheckpointException"/> naming the file, the
/// tensor and the problem, and the model is bit-identical afterwards (masks, and which layers have masks, included).
/// </summary>
public sealed class CheckpointValidationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("prunesharp-validation-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_model_with_another_classifier_head_is_refused_and_keeps_its_weights()
    {
        using var source = new FilterNet();
        source.ComputeMasks();
        var path = Save(source, "filter-net.bin");

        using var wide = new FilterNetWideHead();
        wide.PrunedLayers[1].UpdateMask();
        // conv's tensors (same shapes) are read and staged before fc.weight, the head's first tensor in the file.
        var error = AssertRefused(wide, () => PruningCheckpoint.Load(wide, path), path, "fc.weight");
        Assert.Contains("shape [8, 24], but the model's tensor has shape [10, 24]", error.Message);

        // The same through safetensors, whose data (and so its checks) are ordered by name: fc.bias comes first.
        var exported = Path.Combine(_directory, "filter-net.safetensors");
        PruningCheckpoint.ExportSafetensors(source, exported);
        error = AssertRefused(wide, () => PruningCheckpoint.ImportSafetensors(wide, exported), exported, "fc.bias");
        Assert.Contains("shape [8], but the model's tensor has shape [10]", error.Message);
    }

    [Theory]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(0.5f, "0.5")]
    [InlineData(float.NaN, "NaN")]
    [InlineData(-1f, "-1")]
    public void A_mask_holding_anything_but_0_and_1_is_refused(float value, string shown)
    {
        using var source = new FilterNet();
        source.ComputeMasks();
        using (no_grad()) source.PrunedLayers[0].Mask![1, 0, 2, 1] = value;   // the checksum is valid: saved like this
        var path = Save(source, "bad-mask.bin");
        var exported = Path.Combine(_directory, "bad-mask.safetensors");
        PruningCheckpoint.ExportSafetensors(source, exported);

        using var fresh = new FilterNet();
        foreach (var (file, load) in new (string, Action)[] { (path, () => PruningCheckpoint.Load(fresh, path)), (exported, () => PruningCheckpoint.ImportSafetensors(fresh, exported)) })
        {
            var error = AssertRefused(fresh, load, file, "conv.weight_mask");
            Assert.Contains(shown + " at index [1, 0, 2, 1]", error.Message);
            Assert.All(fresh.PrunedLayers, layer => Assert.Null(layer.Mask));   // no mask buffer was registered either
        }

        // Masks are checked even when non-finite values are allowed elsewhere.
        AssertRefused(fresh, () => PruningCheckpoint.Load(fresh, path, new CheckpointLoadOptions { AllowNonFinite = true }), path, "conv.weight_mask");
    }

    [Fact]
    public void A_mask_of_another_shape_than_its_weight_is_refused()
    {
        using var source = new FilterNet();
        var state = CheckpointFormat.StateOf(source).ToList();
        using var mask = ones(6, 2, 3, 1);
        state.Add(("conv.weight_mask", mask));
        var path = Write(state, "mask-shape.bin");

        using var target = new FilterNet();
        target.ComputeMasks();
        var error = AssertRefused(target, () => PruningCheckpoint.Load(target, path), path, "conv.weight_mask");
        Assert.Contains("[6, 2, 3, 1]", error.Message);
        Assert.Contains("[6, 2, 3, 3]", error.Message);
    }

    [Fact]
    public void A_missing_tensor_is_refused_unless_missing_tensors_are_allowed()
    {
        using var source = new FilterNet();
        source.ComputeMasks();
        var path = Write(CheckpointFormat.StateOf(source).Where(entry => entry.Name != "fc.bias"), "missing.bin");

        using var target = new FilterNet();
        var error = AssertRefused(target, () => PruningCheckpoint.Load(target, path), path, "fc.bias");
        Assert.Contains("AllowMissing", error.Message);

        using var bias = target.PrunedLayers[1].Layer.get_parameter("bias")!.detach().clone();
        PruningCheckpoint.Load(target, path, new CheckpointLoadOptions { AllowMissing = true });
        Assert.True(TensorAssert.Same(bias, target.PrunedLayers[1].Layer.get_parameter("bias")!));   // kept
        Assert.True(TensorAssert.Same(source.PrunedLayers[1].Weight, target.PrunedLayers[1].Weight));   // loaded
        Assert.True(TensorAssert.Same(source.PrunedLayers[0].Mask!, target.PrunedLayers[0].Mask!));
    }

    [Fact]
    public void A_mask_the_model_has_but_the_file_lacks_is_missing()
    {
        using var source = new FilterNet();
        var path = Save(source, "no-masks.bin");
        using var target = new FilterNet();
        target.ComputeMasks();
        AssertRefused(target, () => PruningCheckpoint.Load(target, path), path, "conv.weight_mask");
    }

    [Fact]
    public void An_extra_tensor_or_a_mask_for_a_layer_that_is_not_pruned_is_refused()
    {
        using var source = new FilterNet();
        using var extra = zeros(3);
        var path = Write(CheckpointFormat.StateOf(source).Append(("fc.scale", extra)), "extra.bin");
        using var target = new FilterNet();
        var error = AssertRefused(target, () => PruningCheckpoint.Load(target, path), path, "fc.scale");
        Assert.Contains("no parameter or buffer of this name", error.Message);

        using var blocks = new BlockNet();
        using var mask = ones(4);
        var maskPath = Write(CheckpointFormat.StateOf(blocks).Append(("norm.weight_mask", mask)), "norm-mask.bin");
        using var other = new BlockNet();
        error = AssertRefused(other, () => PruningCheckpoint.Load(other, maskPath), maskPath, "norm.weight_mask");
        Assert.Contains("'norm', which is not one of the model's pruned layers", error.Message);
    }

    [Fact]
    public void A_tensor_the_file_holds_twice_is_refused()
    {
        using var source = new FilterNet();
        var state = CheckpointFormat.StateOf(source).ToList();
        state.Add(state[1]);
        var path = Write(state, "twice.bin");
        using var target = new FilterNet();
        var error = AssertRefused(target, () => PruningCheckpoint.Load(target, path), path, state[1].Name);
        Assert.Contains("twice", error.Message);
    }

    [Fact]
    public void Non_finite_weights_are_refused_unless_allowed()
    {
        using var source = new FilterNet();
        using (no_grad()) source.PrunedLayers[1].Weight[2, 5] = float.NaN;
        var path = Save(source, "nan.bin");
        using var target = new FilterNet();
        var error = AssertRefused(target, () => PruningCheckpoint.Load(target, path), path, "fc.weight");
        Assert.Contains("NaN at index [2, 5]", error.Message);

        PruningCheckpoint.Load(target, path, new CheckpointLoadOptions { AllowNonFinite = true });
        Assert.True(float.IsNaN(target.PrunedLayers[1].Weight[2, 5].item<float>()));
    }

    [Fact]
    public void Another_floating_point_type_is_refused_unless_converted_and_other_types_never_convert()
    {
        using var source = new FilterNet();
        using var wide = source.PrunedLayers[0].Weight.detach().to(ScalarType.Float64);
        var state = CheckpointFormat.StateOf(source).Select(entry => entry.Name == "conv.weight" ? (entry.Name, wide) : entry).ToList();
        var path = Write(state, "float64.bin");

        using var target = new FilterNet();
        var error = AssertRefused(target, () => PruningCheckpoint.Load(target, path), path, "conv.weight");
        Assert.Contains("Float64", error.Message);
        Assert.Contains("ConvertFloatingPoint", error.Message);

        PruningCheckpoint.Load(target, path, new CheckpointLoadOptions { ConvertFloatingPoint = true });
        ModelState.Of(source).AssertSame(target);   // float32 → float64 → float32 is exact

        // A value float32 cannot hold becomes infinite, which is refused.
        using (no_grad()) wide[0, 0, 0, 0] = 1e300;
        path = Write(state, "overflow.bin");
        error = AssertRefused(target, () => PruningCheckpoint.Load(target, path, new CheckpointLoadOptions { ConvertFloatingPoint = true }), path, "conv.weight");
        Assert.Contains("after conversion from Float64", error.Message);

        using var blocks = new BlockNet();
        using var count = tensor(7, dtype: ScalarType.Int32);
        var intPath = Write(CheckpointFormat.StateOf(blocks).Select(entry => entry.Name == "norm.num_batches_tracked" ? (entry.Name, count) : entry), "int32.bin");
        using var other = new BlockNet();
        error = AssertRefused(other, () => PruningCheckpoint.Load(other, intPath, new CheckpointLoadOptions { ConvertFloatingPoint = true }), intPath, "norm.num_batches_tracked");
        Assert.DoesNotContain("ConvertFloatingPoint", error.Message);
    }

    [Fact]
    public void Loading_into_a_model_that_has_masks_replaces_them_in_place_and_ApplyMasks_uses_the_loaded_ones()
    {
        using var source = new FilterNet();
        source.ComputeMasks();
        var path = Save(source, "masks.bin");

        using var target = new FilterNet();
        target.ComputeMasks();
        target.ApplyMasks();   // caches the masks it applies
        var buffers = target.PrunedLayers.Select(layer => layer.Mask!.Handle).ToArray();
        PruningCheckpoint.Load(target, path);
        ModelState.Of(source).AssertSame(target);

        target.ApplyMasks();
        foreach (var (loaded, saved) in target.PrunedLayers.Zip(source.PrunedLayers))
        {
            using var weight = saved.Weight.detach().mul(saved.Mask!);
            Assert.True(TensorAssert.Same(weight, loaded.Weight), loaded.Name);
        }

        Assert.Equal(buffers, target.PrunedLayers.Select(layer => layer.Mask!.Handle));
    }

    [Fact]
    public void A_file_that_is_not_a_checkpoint_is_refused_naming_the_file()
    {
        using var target = new FilterNet();
        var empty = Path.Combine(_directory, "empty.bin");
        File.WriteAllBytes(empty, []);
        Assert.Contains("empty", AssertRefused(target, () => PruningCheckpoint.Load(target, empty), empty, null).Message);

        var text = Path.Combine(_directory, "text.bin");
        File.WriteAllText(text, "This is not a checkpoint, but a text file of some length.");
        Assert.Contains("TorchSharp Module.save", AssertRefused(target, () => PruningCheckpoint.Load(target, text), text, null).Message);

        var newer = Path.Combine(_directory, "newer.bin");
        var (bytes, _) = CheckpointFormat.Write(CheckpointFormat.StateOf(target));
        bytes[8] = 3;
        File.WriteAllBytes(newer, bytes);
        Assert.Contains("format version 3", AssertRefused(target, () => PruningCheckpoint.Load(target, newer), newer, null).Message);
    }

    [Theory]
    [InlineData((1L << 61) - 1, "needs over 2^63 more bytes")]      // 2^63 − 4 bytes of float32: the checksum's 32 would overflow
    [InlineData(56_000L * 56_000, "needs 12544000032 more bytes")]
    [InlineData(1L << 62, "more bytes than a 64-bit count holds")]
    public void A_size_the_file_cannot_hold_is_refused_before_anything_is_allocated(long size, string fragment)
    {
        var file = new MemoryStream();
        file.Write(CheckpointFormat.Magic);
        file.Write([2, 0, 0, 0, 1, 0, 0, 0]);   // version 2, one tensor
        using (var writer = new BinaryWriter(file, System.Text.Encoding.UTF8, leaveOpen: true)) writer.Write("conv.weight");
        file.Write([6, 1]);                      // Float32, rank 1
        for (var rest = (ulong)size; ; rest >>= 7)
        {
            file.WriteByte((byte)(rest < 0x80 ? rest : (rest & 0x7F) | 0x80));
            if (rest < 0x80) break;
        }

        file.Write(new byte[64]);
        var path = Path.Combine(_directory, "huge.bin");
        File.WriteAllBytes(path, file.ToArray());

        using var target = new FilterNet();
        var staged = TensorBytes.StagedBytes;
        var error = AssertRefused(target, () => PruningCheckpoint.Load(target, path), path, "conv.weight");
        Assert.Contains(fragment, error.Message);
        Assert.Equal(0, TensorBytes.StagedBytes - staged);
    }

    [Fact]
    public void Rewind_checks_every_captured_parameter_before_copying_any()
    {
        using var model = new TrainingNet();
        using var sparsifier = new Sparsifier(model, _ => SparsitySchedule.Create(Schedule.OneShot, 0.5));
        sparsifier.CaptureRewindPoint();
        using (no_grad())
        {
            foreach (var parameter in model.parameters()) parameter.add_(1f);
        }

        // conv's parameters come before fc's: a rewind that copied as it checked would have rewound them.
        model.fc.weight = nn.Parameter(randn(3, 65));
        var before = ModelState.Of(model);
        var error = Assert.Throws<InvalidOperationException>(sparsifier.Rewind);
        Assert.Contains("'fc.weight'", error.Message);
        Assert.Contains("[3, 65]", error.Message);
        Assert.Contains("[3, 64]", error.Message);
        before.AssertSame(model);

        model.to(ScalarType.Float64);
        before = ModelState.Of(model);
        error = Assert.Throws<InvalidOperationException>(sparsifier.Rewind);
        Assert.Contains("'conv.weight'", error.Message);
        Assert.Contains("Float64", error.Message);
        before.AssertSame(model);
    }

    private CheckpointException AssertRefused(nn.Module model, Action load, string path, string? tensorName)
    {
        var before = ModelState.Of(model);
        var error = Assert.Throws<CheckpointException>(load);
        Assert.Equal(path, error.FilePath);
        Assert.Contains(path, error.Message);
        Assert.Equal(tensorName, error.TensorName);
        if (tensorName is not null) Assert.Contains($"'{tensorName}'", error.Message);
        Assert.EndsWith("the model is unchanged.", error.Message);
        before.AssertSame(model);
        return error;
    }

    private string Save<TModel>(TModel model, string name)
        where TModel : nn.Module, IPrunableModule
    {
        var path = Path.Combine(_directory, name);
        PruningCheckpoint.Save(model, path);
        return path;
    }

    private string Write(IEnumerable<(string Name, Tensor Tensor)> state, string name)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, CheckpointFormat.Write(state).Bytes);
        return path;
    }
}
