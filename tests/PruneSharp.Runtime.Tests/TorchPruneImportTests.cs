using PruneSharp.Tests.Models;
using PruneSharp.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests;

/// <summary>
/// State dicts of modules that PyTorch's <c>torch.nn.utils.prune</c> pruned: <c>X.weight_orig</c> (unmasked) and
/// <c>X.weight_mask</c>, no <c>X.weight</c>. The import loads the weight PyTorch's forward uses,
/// <c>weight_orig × weight_mask</c>, and the mask; the model then computes what PyTorch computed.
/// </summary>
public sealed class TorchPruneImportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("prunesharp-torch-prune-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_pruned_state_dict_shaped_as_PyTorch_writes_it_loads_weight_orig_times_weight_mask_and_the_mask()
    {
        manual_seed(12);
        using var convOrig = randn(4, 2, 3, 3);
        using var convMask = ones(4, 2, 3, 3);
        using (no_grad())
        {
            convMask[1].zero_();   // ln_structured over dim 0: whole filters
            convMask[3].zero_();
        }

        using var fcOrig = randn(3, 16);
        using var fcMask = rand(3, 16).ge(0.5).to(ScalarType.Float32);
        using var convBias = randn(4);
        using var fcBias = randn(3);
        var path = WritePruned(new()
        {
            ["conv.bias"] = convBias,
            ["conv.weight_orig"] = convOrig,
            ["conv.weight_mask"] = convMask,
            ["fc.bias"] = fcBias,
            ["fc.weight_orig"] = fcOrig,
            ["fc.weight_mask"] = fcMask,
        });

        using var model = new TorchPrunedNet();
        PruningCheckpoint.ImportSafetensors(model, path);

        using var convWeight = convOrig * convMask;
        using var fcWeight = fcOrig * fcMask;
        Assert.True(TensorAssert.Same(convWeight, model.conv.weight));
        Assert.True(TensorAssert.Same(fcWeight, model.fc.weight));
        Assert.True(TensorAssert.Same(convMask, model.ConvPruning.Mask!));
        Assert.True(TensorAssert.Same(fcMask, model.FcPruning.Mask!));
        Assert.True(TensorAssert.Same(convBias, model.conv.bias!));
        Assert.Equal(new[] { 2L, fcMask.eq(0).sum().item<long>() }, model.GetSparsityReport().Layers.Select(layer => layer.PrunedGroups));

        // Applying the masks changes no weight (they are PyTorch's masked weights already); the removed filters'
        // biases are zeroed, PruneSharp's rule for whole units, which torch.nn.utils.prune leaves as they are.
        model.ApplyMasks();
        Assert.True(TensorAssert.Same(convWeight, model.conv.weight));
        Assert.True(TensorAssert.Same(fcWeight, model.fc.weight));
        Assert.Equal(0f, model.conv.bias![1].item<float>());
        Assert.Equal(convBias[0].item<float>(), model.conv.bias![0].item<float>());
    }

    [Fact]
    public void A_file_PyTorch_pruned_and_saved_loads_and_the_model_computes_PyTorchs_output()
    {
        // Written once by TestVectors/torch-prune/make.py with PyTorch 1.13: Conv2d filters pruned by ln_structured,
        // Linear weights by l1_unstructured, and one input with PyTorch's output and effective weights.
        var directory = Path.Combine(RepositoryPaths.RuntimeTests, "TestVectors", "torch-prune");
        using var model = new TorchPrunedNet();
        PruningCheckpoint.ImportSafetensors(model, Path.Combine(directory, "pruned.safetensors"));

        var expected = SafeTensorsFile.ReadTensors(Path.Combine(directory, "expected.safetensors"));
        try
        {
            Assert.True(TensorAssert.Same(expected["conv.weight"], model.conv.weight));
            Assert.True(TensorAssert.Same(expected["fc.weight"], model.fc.weight));
            Assert.Equal(new[] { 2L, 24L }, model.GetSparsityReport().Layers.Select(layer => layer.PrunedGroups));
            model.eval();
            using var output = model.forward(expected["input"]);
            var difference = (output - expected["output"]).abs().max().item<float>();
            Assert.True(difference < 1e-5f, $"max |PruneSharp − PyTorch| = {difference}");
        }
        finally
        {
            foreach (var tensor in expected.Values) tensor.Dispose();
        }
    }

    [Fact]
    public void A_weight_orig_without_its_mask_is_refused_and_the_model_is_unchanged()
    {
        using var fcOrig = randn(3, 16);
        var path = WritePruned(Dense(new() { ["fc.weight_orig"] = fcOrig }, "fc.weight"));
        var error = AssertRefused(path, "fc.weight_orig");
        Assert.Contains("the file has no 'fc.weight_mask' to multiply it with", error.Message);
    }

    [Fact]
    public void A_weight_saved_both_masked_by_prune_and_plain_is_refused()
    {
        using var fcOrig = randn(3, 16);
        using var fcMask = ones(3, 16);
        var path = WritePruned(Dense(new() { ["fc.weight_orig"] = fcOrig, ["fc.weight_mask"] = fcMask }));
        var error = AssertRefused(path, "fc.weight_orig");
        Assert.Contains("the file holds both 'fc.weight' and 'fc.weight_orig', which both load into the model's 'fc.weight'", error.Message);
    }

    [Fact]
    public void A_pruned_bias_is_refused_with_the_way_out()
    {
        using var biasOrig = randn(3);
        using var biasMask = ones(3);
        var path = WritePruned(Dense(new() { ["fc.bias_orig"] = biasOrig, ["fc.bias_mask"] = biasMask }, "fc.bias"));
        var error = AssertRefused(path, "fc.bias_orig");
        Assert.Contains("PruneSharp masks weights only", error.Message);
        Assert.Contains("torch.nn.utils.prune.remove(module, 'bias')", error.Message);
    }

    [Fact]
    public void A_weight_mask_that_is_not_0_or_1_is_refused_though_it_only_multiplies_weight_orig()
    {
        using var fcOrig = randn(3, 16);
        using var fcMask = ones(3, 16);
        using (no_grad()) fcMask[2, 5] = 0.5f;
        var path = WritePruned(Dense(new() { ["fc.weight_orig"] = fcOrig, ["fc.weight_mask"] = fcMask }, "fc.weight"));
        var error = AssertRefused(path, "fc.weight_mask");
        Assert.Contains("0.5 at index [2, 5]", error.Message);
    }

    [Fact]
    public void A_weight_orig_of_another_shape_is_named_with_the_weight_it_loads_into()
    {
        using var fcOrig = randn(3, 8);
        using var fcMask = ones(3, 8);
        var path = WritePruned(Dense(new() { ["fc.weight_orig"] = fcOrig, ["fc.weight_mask"] = fcMask }, "fc.weight"));
        var error = AssertRefused(path, "fc.weight_mask");
        Assert.Contains("[3, 8]", error.Message);

        // With a mask of the right shape, weight_orig's own shape is named.
        using var rightMask = ones(3, 16);
        path = WritePruned(Dense(new() { ["fc.weight_orig"] = fcOrig, ["fc.weight_mask"] = rightMask }, "fc.weight"));
        error = AssertRefused(path, "fc.weight_orig");
        Assert.Contains("it loads into the model's 'fc.weight': the file holds shape [3, 8], but the model's tensor has shape [3, 16]", error.Message);
    }

    /// <summary>A dense model's state dict (every tensor of <see cref="TorchPrunedNet"/> but <paramref name="except"/>, and no masks) with <paramref name="extra"/>.</summary>
    private static Dictionary<string, Tensor> Dense(Dictionary<string, Tensor> extra, params string[] except)
    {
        using var source = new TorchPrunedNet();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in source.named_parameters())
        {
            if (!except.Contains(name)) tensors[name] = parameter.detach().clone();
        }

        foreach (var (name, tensor) in extra) tensors[name] = tensor;
        return tensors;
    }

    private string WritePruned(Dictionary<string, Tensor> tensors)
    {
        var path = Path.Combine(_directory, $"pruned-{Guid.NewGuid():N}.safetensors");
        SafeTensorsFile.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        return path;
    }

    private static CheckpointException AssertRefused(string path, string? tensorName)
    {
        using var model = new TorchPrunedNet();
        var before = ModelState.Of(model);
        var error = Assert.Throws<CheckpointException>(() => PruningCheckpoint.ImportSafetensors(model, path));
        Assert.Equal(path, error.FilePath);
        if (tensorName is not null) Assert.Equal(tensorName, error.TensorName);
        Assert.EndsWith("the model is unchanged.", error.Message);
        before.AssertSame(model);
        Assert.All(model.PrunedLayers, layer => Assert.Null(layer.Mask));
        return error;
    }
}

/// <summary>The model of TestVectors/torch-prune/make.py: a Conv2d whose filters, and a Linear whose weights, PyTorch pruned.</summary>
public sealed partial class TorchPrunedNet : Module<Tensor, Tensor>
{
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d conv = Conv2d(2, 4, 3);   // [N, 2, 4, 4] → [N, 4, 2, 2]
    [Prune(Granularity.Weight, 0.5)] public readonly Linear fc = Linear(16, 3);

    public TorchPrunedNet() : base(nameof(TorchPrunedNet)) => RegisterComponents();

    public override Tensor forward(Tensor input) => fc.forward(functional.relu(conv.forward(input)).flatten(1));
}
