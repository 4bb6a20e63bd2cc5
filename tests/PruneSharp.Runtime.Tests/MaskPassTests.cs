using PruneSharp.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// The model-level mask pass: all or nothing (a bad layer anywhere leaves every mask, buffer and criterion state as
/// it was), the same masks whether layers go one by one or together (CPU fast path, torch path, both in one pass), one
/// ranking under global scope with a pluggable per-layer normalization, a renamed layer, and a grouped transposed convolution's
/// <see cref="Granularity.Layer"/> as one group.
/// </summary>
public sealed class MaskPassTests
{
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void A_failed_update_registers_no_mask_buffer_and_changes_no_criterion_state(ScalarType dtype)
    {
        using var linear = nn.Linear(6, 4).to(dtype);
        var taylor = new TestLayer("fc", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5) { Criterion = Criterion.Taylor }, linear);
        Assert.Throws<PruningException>(() => taylor.UpdateMask());
        Assert.False(linear.has_buffer(PrunedLayer.MaskBufferName));

        // A NaN weight under Movement: no buffer, and no initial weights captured (the next update captures them).
        using var conv = nn.Conv2d(2, 4, 3).to(dtype);
        var movement = new TestLayer("conv", LayerKind.Conv2d, new PruneSettings(Granularity.Kernel, 0.5) { Criterion = Criterion.Movement }, conv);
        using (no_grad()) conv.weight![1, 1, 1, 1] = double.NaN;
        Assert.Contains("is NaN", Assert.Throws<PruningException>(() => movement.UpdateMask()).Message);
        Assert.False(conv.has_buffer(PrunedLayer.MaskBufferName));
        Assert.Equal(0, movement.State.Updates);
        Assert.Null(movement.State.InitialFor(conv.weight!));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void A_bad_layer_anywhere_in_a_model_pass_leaves_every_layer_as_it_was(ScalarType dtype)
    {
        using var model = new LinearRowModel();
        model.to(dtype);
        model.APruning.UpdateMask(0.4);
        using var maskBefore = model.APruning.Mask!.clone();
        // At its declared 0.25 a recompute would keep one of the two rows a prunes now; but the last layer cannot be scored.
        using (no_grad()) model.c.weight![2, 5] = double.NaN;

        var error = Assert.Throws<PruningException>(() => model.ComputeMasks());
        Assert.Equal("c", error.LayerName);
        Assert.True(TensorAssert.Same(maskBefore, model.APruning.Mask!));
        Assert.Equal(0.4, model.APruning.Report().TargetSparsity);
        Assert.False(model.b.has_buffer(PrunedLayer.MaskBufferName));
        Assert.False(model.c.has_buffer(PrunedLayer.MaskBufferName));
        Assert.Equal([1L, 0L, 0L], model.PrunedLayers.Select(layer => layer.State.Updates));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void An_n_of_m_update_that_meets_a_nan_in_its_last_run_leaves_the_mask_as_it_was(ScalarType dtype)
    {
        // The N:M kernel ranks and writes run by run: the NaN in the last run is found after every other run is ranked.
        using var linear = nn.Linear(16, 8).to(dtype);
        var layer = new TestLayer("fc", LayerKind.Linear, PruneSettings.NOfM(2, 4), linear);
        layer.EnsureMaskBuffer();
        var mask = layer.Mask!;
        using (no_grad()) linear.weight![7, 15] = double.NaN;
        Assert.Contains("[7, 15]", Assert.Throws<PruningException>(() => layer.UpdateMask()).Message);
        Assert.Equal(0L, mask.eq(0).sum().item<long>());

        // Fixed, it updates; the mask object a caller held sees each new mask (its memory is swapped, not the object).
        for (var update = 0; update < 3; update++)
        {
            using (no_grad()) linear.weight![7, 15] = update + 1.0;
            using (no_grad()) linear.weight!.mul_(-1);
            layer.UpdateMask();
            Assert.Same(mask, layer.Mask);
            Assert.Equal(64L, mask.eq(0).sum().item<long>());
            Assert.Equal(0.5, layer.Report().MeasuredSparsity);
        }
    }

    [Fact]
    public void A_random_criterion_pass_that_fails_does_not_advance_the_random_stream()
    {
        // Random's stream mixes the update count: a failed pass must not count, or the next mask would differ.
        using var failing = new HandPrunedModel(new PruneSettings(Granularity.Weight, 0.5) { Criterion = Criterion.Random, Seed = 3 }, new PruneSettings(Granularity.Row, 0.9));
        using var clean = new HandPrunedModel(new PruneSettings(Granularity.Weight, 0.5) { Criterion = Criterion.Random, Seed = 3 }, new PruneSettings(Granularity.Row, 0.5));
        Assert.Throws<PruningException>(() => MaskPass.ComputeMasks(failing));   // 0.9 of 4 rows removes every row
        failing.PrunedLayers[0].UpdateMask();
        clean.PrunedLayers[0].UpdateMask();
        Assert.True(TensorAssert.Same(clean.PrunedLayers[0].Mask!, failing.PrunedLayers[0].Mask!));
    }

    [Fact]
    public void One_pass_over_fast_path_and_torch_path_layers_gives_the_layer_by_layer_masks()
    {
        // Float32 layers take the CPU fast path, float64 ones the torch path: one pass with both, at every criterion
        // input (none, initial weights, recorded activations), with N:M and RoundTo, twice (the second with masks held).
        var settings = new[]
        {
            new PruneSettings(Granularity.Kernel, 0.5),
            new PruneSettings(Granularity.Filter, 0.4) { Criterion = Criterion.Movement, RoundTo = 2 },
            PruneSettings.NOfM(2, 4),
            new PruneSettings(Granularity.Weight, 0.3) { Criterion = Criterion.Wanda, Reducer = Reducer.Sum },
        };
        using var together = new LayerSet(settings);
        using var alone = new LayerSet(settings);
        var random = new Random(8);
        for (var round = 0; round < 2; round++)
        {
            together.SetWeights(random.Next());
            alone.CopyWeightsFrom(together);
            MaskPass.ComputeMasks(together.Layers, together.Layers.Select((_, index) => 0.3 + (0.1 * round) + (0.05 * index)).ToArray());
            for (var index = 0; index < alone.Layers.Length; index++) alone.Layers[index].UpdateMask(0.3 + (0.1 * round) + (0.05 * index));
            for (var index = 0; index < alone.Layers.Length; index++)
            {
                Assert.True(TensorAssert.Same(alone.Layers[index].Mask!, together.Layers[index].Mask!), $"layer {index}, round {round}");
            }
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void A_global_score_normalizer_is_applied_to_each_layer_before_the_ranking(ScalarType dtype)
    {
        // Two Linear layers whose rows differ in scale by 100: plain global ranking prunes the small layer first;
        // dividing each layer's scores by its largest (a normalization in the spirit of LAMP) makes them compete evenly.
        using var small = nn.Linear(4, 6).to(dtype);
        using var large = nn.Linear(4, 6).to(dtype);
        using (no_grad())
        {
            using var smallValues = tensor(Enumerable.Range(1, 24).Select(value => value / 1000.0).ToArray()).reshape(6, 4);
            using var largeValues = tensor(Enumerable.Range(1, 24).Select(value => value / 10.0).ToArray()).reshape(6, 4);
            small.weight!.copy_(smallValues);
            large.weight!.copy_(largeValues);
        }

        PrunedLayer[] layers =
        [
            new TestLayer("small", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5), small),
            new TestLayer("large", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5), large),
        ];
        MaskPass.Global(layers, 0.5, normalizer: null);
        Assert.Equal([5L, 1L], layers.Select(layer => layer.Report().PrunedGroups));

        MaskPass.Global(layers, 0.0, normalizer: null);
        MaskPass.Global(layers, 0.5, new DivideByLargest());
        Assert.Equal([3L, 3L], layers.Select(layer => layer.Report().PrunedGroups));
        Assert.All(layers, layer => Assert.Equal(0.5, layer.Report().TargetSparsity));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Layer_granularity_on_a_grouped_transposed_convolution_is_one_group(ScalarType dtype)
    {
        // Weight [in 4, out/groups 3, 3, 3] with 2 groups: the whole layer is one group, as for every other kind.
        using var deconvolution = nn.ConvTranspose2d(4, 6, 3, groups: 2).to(dtype);
        var layer = new TestLayer("up", LayerKind.ConvTranspose2d, new PruneSettings(Granularity.Layer, 0.4), deconvolution);
        layer.UpdateMask();
        Assert.Equal(1, layer.Report().Groups);
        Assert.Equal(0, layer.Report().PrunedGroups);
        var error = Assert.Throws<PruningException>(() => layer.UpdateMask(0.6));
        Assert.Contains("would remove all 1 groups", error.Message);

        // Filter still counts each output channel, across the groups.
        var filter = new TestLayer("up", LayerKind.ConvTranspose2d, new PruneSettings(Granularity.Filter, 0.5), deconvolution);
        Assert.Equal(6, filter.Report().Groups);
    }

    [Fact]
    public void Rename_gives_the_dotted_name_that_errors_and_reports_use()
    {
        using var linear = nn.Linear(6, 4);
        var layer = new TestLayer("conv1", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.9), linear);
        layer.Rename("layer1.0.conv1");
        Assert.Equal("layer1.0.conv1", layer.Name);
        Assert.Equal("layer1.0.conv1", Assert.Throws<PruningException>(() => layer.UpdateMask()).LayerName);
        layer.UpdateMask(0.5);
        Assert.Equal("layer1.0.conv1", layer.Report().Name);
    }

    /// <summary>Divides each layer's group scores by its largest (a stand-in for LAMP, same on both backends).</summary>
    private sealed class DivideByLargest : IGlobalScoreNormalizer
    {
        public void Normalize(PrunedLayer layer, Span<double> scores)
        {
            var largest = double.NegativeInfinity;
            foreach (var score in scores) largest = Math.Max(largest, score);
            for (var index = 0; index < scores.Length; index++) scores[index] /= largest;
        }

        public Tensor Normalize(PrunedLayer layer, Tensor scores) => scores.div(scores.max());
    }

    /// <summary>Four layers, float32 and float64 alternately, with settings given per layer.</summary>
    private sealed class LayerSet : IDisposable
    {
        private readonly nn.Module[] _modules;

        public LayerSet(PruneSettings[] settings)
        {
            _modules = settings.Select((_, index) => (nn.Module)nn.Conv2d(8, 6, 3).to(index % 2 == 0 ? ScalarType.Float32 : ScalarType.Float64)).ToArray();
            Layers = settings.Select((layerSettings, index) => (PrunedLayer)new TestLayer($"conv{index}", LayerKind.Conv2d, layerSettings, _modules[index])).ToArray();
            foreach (var layer in Layers.Where(layer => layer.Settings.Criterion == Criterion.Wanda))
            {
                using var values = tensor(Enumerable.Range(0, 2 * 8 * 3 * 3).Select(value => (float)(value % 5)).ToArray());
                using var input = values.reshape(2, 8, 3, 3).to(layer.Weight.dtype);
                layer.RecordActivations(input);
            }
        }

        public PrunedLayer[] Layers { get; }

        public void SetWeights(int seed)
        {
            var random = new Random(seed);
            foreach (var layer in Layers)
            {
                var values = Enumerable.Range(0, (int)layer.Weight.numel()).Select(_ => random.Next(-16, 17) / 8f).ToArray();
                using (no_grad()) layer.Weight.copy_(tensor(values).reshape(layer.Weight.shape));
            }
        }

        public void CopyWeightsFrom(LayerSet other)
        {
            using (no_grad())
            {
                for (var index = 0; index < Layers.Length; index++) Layers[index].Weight.copy_(other.Layers[index].Weight);
            }
        }

        public void Dispose()
        {
            foreach (var module in _modules) module.Dispose();
        }
    }
}
