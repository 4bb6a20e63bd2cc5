using PruneSharp.Tests.Models;
using PruneSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// A model moved or converted after its masks exist: TorchSharp 0.107's <c>.to()</c> on a Linear or convolution converts
/// its weight and bias and leaves the <c>weight_mask</c> buffer behind. The mask follows its weight at the next call
/// that reads it, under the layer's lock; every operation then gives what a model that was never converted gives.
/// </summary>
public sealed class MaskConversionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("prunesharp-conversion-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>
    /// float32 → float64 → float32, each step checked against a model that stays float32 (the CPU fast path): reports,
    /// applying (the removed filters' biases included), mask updates at new sparsities on the torch path and back on the
    /// fast path, checkpoint save and load. The weights are multiples of 1/64, so both paths give identical masks.
    /// </summary>
    [Fact]
    public void Masks_follow_a_model_converted_from_float32_to_float64_and_back()
    {
        using var model = new ConcurrencyModel(ScalarType.Float32, seed: 21);
        using var reference = new ConcurrencyModel(ScalarType.Float32, seed: 21);
        reference.load_state_dict(model.state_dict());   // the biases too, which the seed does not set
        model.ComputeMasks();
        reference.ComputeMasks();
        var keys = model.state_dict().Keys.ToList();

        // float64: the masks left behind follow at the first call that reads them.
        model.to(ScalarType.Float64);
        Assert.All(model.PrunedLayers, layer => Assert.Equal(ScalarType.Float32, layer.Layer.get_buffer(PrunedLayer.MaskBufferName)!.dtype));
        AssertReportsEqual(reference, model);
        AssertMasksFollow(reference, model, ScalarType.Float64);
        model.ApplyMasks();
        reference.ApplyMasks();
        AssertParametersEqual(reference, model);
        UpdateBoth(reference, model, [0.75, 0.6, 0.5, 0.8]);
        AssertMasksFollow(reference, model, ScalarType.Float64);
        Assert.Equal(keys, model.state_dict().Keys);

        // A float64 checkpoint of it loads into a model converted before its masks were made.
        var float64File = Path.Combine(_directory, "float64.bin");
        PruningCheckpoint.Save(model, float64File);
        using (var fresh = new ConcurrencyModel(ScalarType.Float64, seed: 99))
        {
            PruningCheckpoint.Load(fresh, float64File);
            ModelState.Of(model).AssertSame(fresh);
        }

        // Back to float32: the CPU fast path again, on masks that followed a second time.
        model.to(ScalarType.Float32);
        AssertReportsEqual(reference, model);
        model.ApplyMasks();
        reference.ApplyMasks();
        AssertParametersEqual(reference, model);
        UpdateBoth(reference, model, [0.875, 0.8, 0.5, 0.9]);
        AssertMasksFollow(reference, model, ScalarType.Float32);
        Assert.All(model.PrunedLayers, layer => Assert.True(layer.Mask!.is_contiguous()));

        var float32File = Path.Combine(_directory, "float32.bin");
        PruningCheckpoint.Save(model, float32File);
        using (var fresh = new ConcurrencyModel(ScalarType.Float32, seed: 99))
        {
            PruningCheckpoint.Load(fresh, float32File);   // no ConvertFloatingPoint: the file's masks are float32 again
            ModelState.Of(model).AssertSame(fresh);
            AssertMasksFollow(reference, fresh, ScalarType.Float32);
        }
    }

    [Fact]
    public void A_load_into_a_model_converted_after_its_masks_were_made_reads_the_masks_as_the_weights()
    {
        // Before masks followed their weights, the float32 masks left behind made the load refuse the file's float64 ones.
        using var source = new ConcurrencyModel(ScalarType.Float64, seed: 4);
        source.ComputeMasks();
        var path = Path.Combine(_directory, "source.bin");
        PruningCheckpoint.Save(source, path);

        using var model = new ConcurrencyModel(ScalarType.Float32, seed: 5);
        model.ComputeMasks();
        model.to(ScalarType.Float64);
        PruningCheckpoint.Load(model, path);
        ModelState.Of(source).AssertSame(model);

        // The safetensors export of a converted model holds the masks as the weights are, as TorchSharp's state dict
        // does once RegisterMaskBuffers has let them follow.
        model.to(ScalarType.Float32);
        var exported = Path.Combine(_directory, "converted.safetensors");
        PruningCheckpoint.ExportSafetensors(model, exported);
        Assert.All(SafeTensorsFile.ReadTensors(exported), entry => Assert.Equal(ScalarType.Float32, entry.Value.dtype));
        model.to(ScalarType.Float64);
        PruningCheckpoint.RegisterMaskBuffers(model);
        Assert.All(model.state_dict().Values, tensor => Assert.Equal(ScalarType.Float64, tensor.dtype));
    }

    [Fact]
    public void A_mask_that_follows_keeps_its_values_and_its_place_and_the_old_tensor_is_released()
    {
        using var model = new ConcurrencyModel(ScalarType.Float32, seed: 8);
        model.ComputeMasks();
        var layer = model.PrunedLayers[1];
        var before = layer.Mask!;
        using var values = before.clone();
        var bufferNames = layer.Layer.named_buffers().Select(entry => entry.name).ToList();

        model.to(ScalarType.Float16);
        var after = layer.Mask!;
        Assert.NotSame(before, after);
        Assert.True(before.IsInvalid, "the mask left behind is disposed, as TorchSharp's .to() disposes the buffers it replaces");
        Assert.Equal(ScalarType.Float16, after.dtype);
        Assert.Same(after, layer.Layer.get_buffer(PrunedLayer.MaskBufferName));
        Assert.Equal(bufferNames, layer.Layer.named_buffers().Select(entry => entry.name));
        using var back = after.to(ScalarType.Float32);
        Assert.True(TensorAssert.Same(values, back));

        // Reading it again changes nothing.
        Assert.Same(after, layer.Mask);
    }

    private static void UpdateBoth(ConcurrencyModel reference, ConcurrencyModel model, double[] sparsities)
    {
        MaskPass.ComputeMasks(reference.PrunedLayers, sparsities);
        MaskPass.ComputeMasks(model.PrunedLayers, sparsities);
    }

    private static void AssertMasksFollow(ConcurrencyModel reference, ConcurrencyModel model, ScalarType dtype)
    {
        for (var index = 0; index < model.PrunedLayers.Count; index++)
        {
            var layer = model.PrunedLayers[index];
            var mask = layer.Mask!;
            Assert.Equal(dtype, mask.dtype);
            Assert.Equal(layer.Weight.dtype, mask.dtype);
            using var asFloat32 = mask.to(ScalarType.Float32);
            Assert.True(TensorAssert.Same(reference.PrunedLayers[index].Mask!, asFloat32), layer.Name);
        }
    }

    private static void AssertReportsEqual(ConcurrencyModel reference, ConcurrencyModel model)
    {
        var expected = reference.GetSparsityReport().Layers;
        var actual = model.GetSparsityReport().Layers;
        Assert.Equal(expected.Select(layer => (layer.Name, layer.Groups, layer.PrunedGroups, layer.MeasuredSparsity)), actual.Select(layer => (layer.Name, layer.Groups, layer.PrunedGroups, layer.MeasuredSparsity)));
    }

    private static void AssertParametersEqual(ConcurrencyModel reference, ConcurrencyModel model)
    {
        var expected = reference.named_parameters().ToList();
        var actual = model.named_parameters().ToList();
        Assert.Equal(expected.Select(entry => entry.name), actual.Select(entry => entry.name));
        for (var index = 0; index < expected.Count; index++)
        {
            using var asFloat32 = actual[index].parameter.detach().to(ScalarType.Float32);
            Assert.True(TensorAssert.Same(expected[index].parameter, asFloat32), expected[index].name);
        }
    }
}
