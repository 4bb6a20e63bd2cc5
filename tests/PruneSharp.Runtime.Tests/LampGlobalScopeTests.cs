using PruneSharp.Tests.Models;
using PruneSharp.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests;

/// <summary>
/// LAMP as global scope's normalization: the paper's equivalence with <see cref="Lamp.Allocate(IPrunableModule, double)"/>
/// and local pruning, a structured example worked by hand, the CPU fast path against the torch path, every global
/// entry (generated <c>ComputeMasks()</c>, <see cref="Sparsifier"/>, <see cref="PruningTree"/>, <see cref="MaskPass"/>),
/// and the run-time errors.
/// </summary>
public sealed class LampGlobalScopeTests
{
    [Fact]
    public void At_Weight_granularity_LAMP_global_masks_are_Lamp_Allocate_then_local_pruning()
    {
        using var global = new LampGlobalModel();
        using var allocated = new LampGlobalModel();
        SetRandomWeights(global, seed: 11);
        CopyWeights(global, allocated);

        // 0.6 of 12 + 80 = 92 weights is 55.2: both round to 55.
        global.ComputeMasks();
        var allocation = Lamp.Allocate(allocated, 0.6);
        MaskPass.ComputeMasks(allocated.PrunedLayers, allocated.PrunedLayers.Select(allocation.SparsityOf).ToArray());
        for (var index = 0; index < global.PrunedLayers.Count; index++)
        {
            Assert.True(TensorAssert.Same(allocated.PrunedLayers[index].Mask!, global.PrunedLayers[index].Mask!), global.PrunedLayers[index].Name);
        }

        Assert.Equal(55L, global.PrunedLayers.Sum(layer => layer.Report().PrunedGroups));
    }

    [Fact]
    public void A_small_layer_of_small_weights_keeps_more_under_LAMP_than_under_plain_global_scope()
    {
        using var lamp = new LampGlobalModel();
        SetRandomWeights(lamp, seed: 5);
        var plainLayers = lamp.PrunedLayers;

        // Plain global magnitude: small's weights (scaled by 0.01) all rank below large's, so it loses all but its best.
        MaskPass.ComputeGlobalMasks(plainLayers, 0.6);
        Assert.Equal(11L, plainLayers[0].Report().PrunedGroups);

        using var fresh = new LampGlobalModel();
        CopyWeights(lamp, fresh);
        fresh.ComputeMasks();
        var small = fresh.PrunedLayers[0].Report();
        var large = fresh.PrunedLayers[1].Report();
        Assert.InRange(small.PrunedGroups, 1L, 9L);
        Assert.Equal(55L, small.PrunedGroups + large.PrunedGroups);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void A_Row_example_worked_by_hand(ScalarType dtype)
    {
        // a: rows of mean |w| 1, 2, 3 → squares 1, 4, 9, tails 14, 13, 9 → LAMP 1/14 ≈ .071, 4/13 ≈ .308, 1.
        // b: rows 10, 11, 12, 40 → squares 100, 121, 144, 1600, tails 1965, 1865, 1744, 1600 → .051, .065, .083, 1.
        // round(0.5 × 7) = 4 groups (half to even): b0 .051, b1 .065, a0 .071, b2 .083. Plain magnitude would take
        // 1, 2, 10, 11 instead: two rows of each.
        using var a = Linear(2, 3, hasBias: false).to(dtype);
        using var b = Linear(2, 4, hasBias: false).to(dtype);
        using (no_grad())
        {
            using var aValues = tensor(new double[] { 1, -1, 2, 2, -3, 3 }).reshape(3, 2);
            using var bValues = tensor(new double[] { 10, 10, -11, 11, 12, 12, 40, -40 }).reshape(4, 2);
            a.weight!.copy_(aValues);
            b.weight!.copy_(bValues);
        }

        PrunedLayer[] layers =
        [
            new TestLayer("a", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5), a),
            new TestLayer("b", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5), b),
        ];
        Assert.Equal([1 / 14.0, 4 / 13.0, 1.0], Lamp.Normalize("a", [1.0, 2.0, 3.0]));
        MaskPass.ComputeGlobalMasks(layers, 0.5, GlobalScoreNormalization.Lamp);
        Assert.Equal([0f, 0f, 1f, 1f, 1f, 1f], layers[0].Mask!.to(ScalarType.Float32).data<float>().ToArray());
        Assert.Equal([0f, 0f, 0f, 0f, 0f, 0f, 1f, 1f], layers[1].Mask!.to(ScalarType.Float32).data<float>().ToArray());
        Assert.Equal([1L, 3L], layers.Select(layer => layer.Report().PrunedGroups));

        // The pruned rows now score -Inf: a second pass at the same sparsity keeps the same masks.
        MaskPass.ComputeGlobalMasks(layers, 0.5, GlobalScoreNormalization.Lamp);
        Assert.Equal([1L, 3L], layers.Select(layer => layer.Report().PrunedGroups));

        // Plain global scope on fresh layers with the same weights: two of each.
        using var aFresh = Linear(2, 3, hasBias: false).to(dtype);
        using var bFresh = Linear(2, 4, hasBias: false).to(dtype);
        using (no_grad())
        {
            using var aValues = tensor(new double[] { 1, -1, 2, 2, -3, 3 }).reshape(3, 2);
            using var bValues = tensor(new double[] { 10, 10, -11, 11, 12, 12, 40, -40 }).reshape(4, 2);
            aFresh.weight!.copy_(aValues);
            bFresh.weight!.copy_(bValues);
        }

        PrunedLayer[] plainFresh =
        [
            new TestLayer("a", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5), aFresh),
            new TestLayer("b", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5), bFresh),
        ];
        MaskPass.ComputeGlobalMasks(plainFresh, 0.5);
        Assert.Equal([2L, 2L], plainFresh.Select(layer => layer.Report().PrunedGroups));
    }

    [Theory]
    [InlineData(Granularity.Weight)]
    [InlineData(Granularity.Filter)]
    [InlineData(Granularity.Kernel)]
    public void The_torch_path_gives_the_CPU_fast_path_masks(Granularity granularity)
    {
        // Float32 layers take the CPU fast path; one float64 layer sends the whole global pass to the torch path.
        // The weights are float32 values, so both paths score them exactly alike; two passes, the second with masks held.
        using var cpu = new ConvPair(ScalarType.Float32, ScalarType.Float32);
        using var torchPath = new ConvPair(ScalarType.Float32, ScalarType.Float64);
        var random = new Random(3);
        foreach (var (layer, scale) in cpu.Layers.Zip(new[] { 0.02, 1.0 }))
        {
            var values = Enumerable.Range(0, (int)layer.Weight.numel()).Select(_ => (float)((random.NextDouble() - 0.5) * scale)).ToArray();
            using var source = tensor(values).reshape(layer.Weight.shape);
            using (no_grad()) layer.Weight.copy_(source);
        }

        for (var index = 0; index < 2; index++)
        {
            using (no_grad()) torchPath.Layers[index].Weight.copy_(cpu.Layers[index].Weight);
        }

        var cpuLayers = cpu.Prune(granularity);
        var torchLayers = torchPath.Prune(granularity);
        foreach (var sparsity in new[] { 0.4, 0.7 })
        {
            MaskPass.ComputeGlobalMasks(cpuLayers, sparsity, GlobalScoreNormalization.Lamp);
            MaskPass.ComputeGlobalMasks(torchLayers, sparsity, GlobalScoreNormalization.Lamp);
            for (var index = 0; index < 2; index++)
            {
                using var expected = cpuLayers[index].Mask!.to(ScalarType.Float64);
                Assert.True(TensorAssert.Same(expected, torchLayers[index].Mask!.to(ScalarType.Float64)), $"{granularity} {sparsity} layer {index}");
            }
        }

        Assert.NotEqual(0L, cpuLayers[0].Report().PrunedGroups);
    }

    [Fact]
    public void The_two_backends_of_the_normalizer_give_the_same_values_with_ties_and_pruned_groups()
    {
        var layer = new TestLayer("fc", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5), Linear(2, 2));
        double[] scores = [0.5, double.NegativeInfinity, 0.25, 0.5, 0.0, 2.0, double.NegativeInfinity, 0.25, 0.0];
        var cpu = scores.ToArray();
        LampNormalizer.Instance.Normalize(layer, cpu);
        Assert.Equal(Lamp.Normalize("fc", scores), cpu);
        using var scope = NewDisposeScope();
        var onTorch = LampNormalizer.Instance.Normalize(layer, tensor(scores)).data<double>().ToArray();
        Assert.Equal(cpu, onTorch);

        // The best scores 1, a pruned group -Inf, and the tie at 0.5 ranks the lower index lower.
        Assert.Equal(1.0, cpu[5]);
        Assert.Equal(double.NegativeInfinity, cpu[1]);
        Assert.True(cpu[0] < cpu[3]);
    }

    [Theory]
    [InlineData(-0.5)]
    [InlineData(double.PositiveInfinity)]
    public void A_score_LAMP_cannot_normalize_names_the_layer_group_and_value_on_both_backends(double bad)
    {
        var layer = new TestLayer("block.fc", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5), Linear(2, 2));
        double[] scores = [0.5, 1.0, bad, 0.25];
        var cpu = Assert.Throws<PruningException>(() => LampNormalizer.Instance.Normalize(layer, scores.AsSpan()));
        using var scope = NewDisposeScope();
        var onTorch = Assert.Throws<PruningException>(() => LampNormalizer.Instance.Normalize(layer, tensor(scores)));
        foreach (var error in new[] { cpu, onTorch })
        {
            Assert.Equal("block.fc", error.LayerName);
            Assert.Contains($"group 2 scores {bad.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}", error.Message);
        }

        Assert.Equal(cpu.Message, onTorch.Message);
        Assert.StartsWith("Layer 'block.fc': group 2", cpu.Message);
    }

    [Fact]
    public void A_criterion_that_can_score_below_zero_is_refused_before_any_mask_changes()
    {
        using var model = new LampGlobalModel();
        SetRandomWeights(model, seed: 2);
        var layers = model.PrunedLayers;
        PrunedLayer[] mixed =
        [
            layers[0],
            new TestLayer("large", LayerKind.Linear, new PruneSettings(Granularity.Weight, 0.5) { Criterion = Criterion.MagnitudeIncrease }, model.large),
        ];
        var error = Assert.Throws<PruningException>(() => MaskPass.ComputeGlobalMasks(mixed, 0.5, GlobalScoreNormalization.Lamp));
        Assert.Equal("large", error.LayerName);
        Assert.Equal("Layer 'large': 'large' uses criterion MagnitudeIncrease, which can score below zero, but 'global scope' normalizes global scores with Lamp, which is defined for magnitudes; use a criterion that is never negative or no normalization (PRUNE046)", error.Message);
        Assert.Null(layers[0].Mask);

        // Without the normalization the same layers rank as before.
        MaskPass.ComputeGlobalMasks(mixed, 0.5);
        Assert.NotNull(layers[0].Mask);
    }

    [Fact]
    public void The_imperative_entry_checks_as_the_generator_does()
    {
        using var model = new PlainPair();
        var negative = Assert.Throws<PruningException>(() => Pruning.Of(model)
            .Layers(new PruneSettings(Granularity.Row, 0.5) { Criterion = Criterion.SmallFinal }).IncludingOutputLayer()
            .Global(0.5, GlobalScoreNormalization.Lamp).Build());
        Assert.Equal("small", negative.LayerName);
        Assert.EndsWith("(PRUNE046)", negative.Message);
        Assert.Contains("'PlainPair' normalizes global scores with Lamp", negative.Message);

        var onRule = Assert.Throws<ArgumentException>(() => Pruning.Of(model).Layers(new PruneSettings(Granularity.Row, 0.5) { Normalization = GlobalScoreNormalization.Lamp }));
        Assert.StartsWith("Normalization is set on 'Layers(Row, 0.5)', but it belongs to the global ranking", onRule.Message);
        Assert.Contains("(PRUNE045)", onRule.Message);
        var onLayer = Assert.Throws<ArgumentException>(() => Pruning.Of(model).Layer("small", new PruneSettings(Granularity.Row, 0.5) { Normalization = GlobalScoreNormalization.Lamp }));
        Assert.Contains("(PRUNE045)", onLayer.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Pruning.Of(model).Global(0.5, (GlobalScoreNormalization)7));
        Assert.Throws<ArgumentOutOfRangeException>(() => MaskPass.ComputeGlobalMasks(Pruning.Of(model).Layers(Granularity.Row, 0.5).Build().PrunedLayers, 0.5, (GlobalScoreNormalization)7));

        // Local() after Global(…, Lamp) drops the normalization with the scope.
        var local = Pruning.Of(model).Layers(Granularity.Row, 0.5).Global(0.5, GlobalScoreNormalization.Lamp).Local().Build();
        Assert.Null(local.GlobalSettings);
    }

    [Fact]
    public void A_generated_model_a_tree_and_a_Sparsifier_all_rank_LAMP_scores()
    {
        using var generated = new LampGlobalModel();
        SetRandomWeights(generated, seed: 9);
        Assert.Equal(GlobalScoreNormalization.Lamp, generated.GlobalSettings!.Normalization);
        generated.ComputeMasks();

        // The same weights, declared imperatively on a model without attributes.
        using var plain = new PlainPair();
        using (no_grad())
        {
            plain.small.weight!.copy_(generated.small.weight!);
            plain.large.weight!.copy_(generated.large.weight!);
        }

        var tree = Pruning.Of(plain).Layers(Granularity.Weight, 0.6).IncludingOutputLayer().Global(0.6, GlobalScoreNormalization.Lamp).Build();
        Assert.Equal(GlobalScoreNormalization.Lamp, tree.GlobalSettings!.Normalization);
        tree.ComputeMasks();
        AssertSameMasks(generated.PrunedLayers, tree.PrunedLayers);

        // A Sparsifier on a schedule ends with the masks ComputeMasks gives (the weights do not change here).
        using var scheduled = new PlainPair();
        using (no_grad())
        {
            scheduled.small.weight!.copy_(generated.small.weight!);
            scheduled.large.weight!.copy_(generated.large.weight!);
        }

        var scheduledTree = Pruning.Of(scheduled).Layers(Granularity.Weight, 0.6).IncludingOutputLayer()
            .Global(0.6, Schedule.Agp, scheduleStart: 0.0, scheduleEnd: 0.5, normalization: GlobalScoreNormalization.Lamp).Build();
        using var sparsifier = new Sparsifier(scheduledTree);
        Assert.True(sparsifier.IsGlobal);
        Assert.Equal(GlobalScoreNormalization.Lamp, sparsifier.Normalization);
        for (var step = 0; step < 10; step++) sparsifier.Step(step, 10);
        AssertSameMasks(generated.PrunedLayers, scheduledTree.PrunedLayers);

        // The generated model's own Sparsifier follows its class-level declaration's normalization too.
        using var generatedSparsifier = new Sparsifier(generated);
        Assert.Equal(GlobalScoreNormalization.Lamp, generatedSparsifier.Normalization);

        // And plain global scope differs on these weights: the normalization was applied.
        using var other = new PlainPair();
        using (no_grad())
        {
            other.small.weight!.copy_(generated.small.weight!);
            other.large.weight!.copy_(generated.large.weight!);
        }

        var plainTree = Pruning.Of(other).Layers(Granularity.Weight, 0.6).IncludingOutputLayer().Global(0.6).Build();
        Assert.Equal(GlobalScoreNormalization.None, plainTree.GlobalSettings!.Normalization);
        plainTree.ComputeMasks();
        Assert.NotEqual(generated.PrunedLayers[0].Report().PrunedGroups, plainTree.PrunedLayers[0].Report().PrunedGroups);
    }

    private static void AssertSameMasks(IReadOnlyList<PrunedLayer> expected, IReadOnlyList<PrunedLayer> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var index = 0; index < expected.Count; index++)
        {
            Assert.True(TensorAssert.Same(expected[index].Mask!, actual[index].Mask!), expected[index].Name);
        }
    }

    /// <summary>Distinct random weights; small's scaled by 0.01, so plain global magnitude ranks all of it below large.</summary>
    private static void SetRandomWeights(IPrunableModule model, int seed)
    {
        var random = new Random(seed);
        foreach (var layer in model.PrunedLayers)
        {
            var scale = layer.Name == "small" ? 0.01 : 1.0;
            var values = Enumerable.Range(0, (int)layer.Weight.numel()).Select(_ => (float)((random.NextDouble() - 0.5) * scale)).ToArray();
            using var source = tensor(values).reshape(layer.Weight.shape);
            using (no_grad()) layer.Weight.copy_(source);
        }
    }

    private static void CopyWeights(IPrunableModule from, IPrunableModule to)
    {
        for (var index = 0; index < from.PrunedLayers.Count; index++)
        {
            using (no_grad()) to.PrunedLayers[index].Weight.copy_(from.PrunedLayers[index].Weight);
        }
    }

    /// <summary>Two convolutions of different sizes, each in its own dtype.</summary>
    private sealed class ConvPair : IDisposable
    {
        private readonly Conv2d _small;
        private readonly Conv2d _large;

        public ConvPair(ScalarType smallType, ScalarType largeType)
        {
            _small = Conv2d(2, 3, 3).to(smallType);
            _large = Conv2d(3, 8, 3).to(largeType);
        }

        public PrunedLayer[] Layers => Prune(Granularity.Weight);

        public PrunedLayer[] Prune(Granularity granularity) =>
        [
            new TestLayer("small", LayerKind.Conv2d, new PruneSettings(granularity, 0.5), _small),
            new TestLayer("large", LayerKind.Conv2d, new PruneSettings(granularity, 0.5), _large),
        ];

        public void Dispose()
        {
            _small.Dispose();
            _large.Dispose();
        }
    }
}

/// <summary>One small and one large layer under LAMP global scope; large is the output layer, included.</summary>
[Prune(Granularity.Weight, 0.6, Scope = PruningScope.Global, Normalization = GlobalScoreNormalization.Lamp, IncludeOutputLayer = true)]
public sealed partial class LampGlobalModel : Module<Tensor, Tensor>
{
    public readonly Linear small = Linear(4, 3, hasBias: false);
    public readonly Linear large = Linear(8, 10, hasBias: false);

    public LampGlobalModel() : base(nameof(LampGlobalModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => large.forward(input) + small.forward(input[.., ..4]).sum();
}

/// <summary>The same layers without attributes, for the imperative entry.</summary>
public sealed class PlainPair : Module<Tensor, Tensor>
{
    public readonly Linear small = Linear(4, 3, hasBias: false);
    public readonly Linear large = Linear(8, 10, hasBias: false);

    public PlainPair() : base(nameof(PlainPair)) => RegisterComponents();

    public override Tensor forward(Tensor input) => large.forward(input) + small.forward(input[.., ..4]).sum();
}
