using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// What the property tests cannot say on their own: that a Filter (or a Linear Row) really is an output unit for
/// every layer kind, so a pruned unit's output is exactly zero once the bias is zeroed too; clear errors for each bad
/// configuration; no managed allocation on warm CPU updates for criteria beyond the default; no tensor leak over
/// 10,000 torch-path updates.
/// </summary>
public sealed class RuntimeBreadthTests
{
    public static TheoryData<LayerKind, int> UnitLayers() => new()
    {
        { LayerKind.Linear, 1 },
        { LayerKind.Conv1d, 1 },
        { LayerKind.Conv1d, 2 },
        { LayerKind.Conv2d, 3 },
        { LayerKind.Conv3d, 1 },
        { LayerKind.ConvTranspose1d, 1 },
        { LayerKind.ConvTranspose2d, 2 },
        { LayerKind.ConvTranspose2d, 3 },
        { LayerKind.ConvTranspose3d, 2 },
    };

    [Theory]
    [MemberData(nameof(UnitLayers))]
    public void Pruning_output_units_with_their_bias_zeroes_exactly_those_output_channels(LayerKind kind, int groups)
    {
        var granularity = kind == LayerKind.Linear ? Granularity.Row : Granularity.Filter;
        using var module = PropertyTests.CreateModule(kind, [groups * 4, groups * 2, 3, 2, 2], groups);
        var layer = new TestLayer("units", kind, new PruneSettings(granularity, 0.5), module);
        Assert.True(layer.RemovesOutputUnits);
        layer.UpdateMask();
        layer.ApplyMask();

        var rank = Granularities.WeightRank(kind);
        long[] inputShape = kind == LayerKind.Linear ? [5, groups * 2] : [2, groups * 2, .. Enumerable.Repeat(5L, rank - 2)];
        using var input = randn(inputShape);
        using var output = ((nn.Module<Tensor, Tensor>)module).call(input);
        var outputs = kind == LayerKind.Linear ? output.size(1) : output.size(1);
        var channelAxis = 1;
        var zeroChannels = 0;
        for (var channel = 0; channel < outputs; channel++)
        {
            using var slice = output.select(channelAxis, channel);
            using var largest = slice.abs().max();
            if (largest.item<float>() == 0f) zeroChannels++;
        }

        // Half of the output units go, and nothing else is silent.
        Assert.Equal(outputs / 2, zeroChannels);
    }

    [Fact]
    public void A_kernel_granularity_does_not_remove_output_units_and_leaves_the_bias_alone()
    {
        using var module = nn.Conv2d(3, 4, 3);
        var layer = new TestLayer("conv", LayerKind.Conv2d, new PruneSettings(Granularity.Kernel, 0.5), module);
        using var biasBefore = ((Convolution)module).bias!.detach().clone();
        layer.UpdateMask();
        layer.ApplyMask();
        Assert.False(layer.RemovesOutputUnits);
        Assert.Equal(biasBefore.data<float>().ToArray(), ((Convolution)module).bias!.data<float>().ToArray());
    }

    [Fact]
    public void Bad_settings_are_rejected_with_the_layer_name_and_value()
    {
        using var conv = nn.Conv2d(3, 4, 3);
        Assert.Contains("(0, 5)", Assert.Throws<ArgumentException>(() => new TestLayer("conv", LayerKind.Conv2d, new PruneSettings(Granularity.Custom, 0.5) { Dims = [0, 5] }, conv)).Message);
        Assert.Contains("none", Assert.Throws<ArgumentException>(() => new TestLayer("conv", LayerKind.Conv2d, new PruneSettings(Granularity.Custom, 0.5), conv)).Message);
        Assert.Contains("4:4", Assert.Throws<ArgumentException>(() => new TestLayer("conv", LayerKind.Conv2d, PruneSettings.NOfM(4, 4), conv)).Message);
        Assert.Contains("-2", Assert.Throws<ArgumentException>(() => new TestLayer("conv", LayerKind.Conv2d, new PruneSettings(Granularity.Filter, 0.5) { RoundTo = -2 }, conv)).Message);
        using var conv1d = nn.Conv1d(3, 4, 3);
        Assert.Contains("Row does not apply to a Conv1d", Assert.Throws<ArgumentException>(() => new TestLayer("conv1d", LayerKind.Conv1d, new PruneSettings(Granularity.Row, 0.5), conv1d)).Message);
    }

    [Fact]
    public void Missing_criterion_inputs_and_bad_shapes_are_clear_errors()
    {
        using var linear = nn.Linear(6, 4);
        var taylor = new TestLayer("fc", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5) { Criterion = Criterion.Taylor }, linear);
        Assert.Contains("no gradient", Assert.Throws<PruningException>(() => taylor.UpdateMask()).Message);

        var wanda = new TestLayer("fc", LayerKind.Linear, new PruneSettings(Granularity.Weight, 0.5) { Criterion = Criterion.Wanda }, linear);
        Assert.Contains("RecordActivations", Assert.Throws<PruningException>(() => wanda.UpdateMask()).Message);
        using var wrongInput = ones(2, 5);
        Assert.Contains("6 input channels", Assert.Throws<PruningException>(() => wanda.RecordActivations(wrongInput)).Message);

        var nOfM = new TestLayer("fc", LayerKind.Linear, PruneSettings.NOfM(2, 4), nn.Linear(6, 4));
        var error = Assert.Throws<PruningException>(() => nOfM.UpdateMask());
        Assert.Equal("fc", error.LayerName);
        Assert.Contains("input size 6", error.Message);
    }

    [Fact]
    public void A_nan_initial_weight_is_reported_as_a_criterion_nan_naming_the_layer()
    {
        using var linear = nn.Linear(4, 3);
        var layer = new TestLayer("fc", LayerKind.Linear, new PruneSettings(Granularity.Weight, 0.5) { Criterion = Criterion.Movement }, linear);
        using (no_grad()) linear.weight![1, 2] = float.NaN;
        layer.CaptureInitialWeights();
        using (no_grad()) linear.weight![1, 2] = 1f;
        var error = Assert.Throws<PruningException>(() => layer.UpdateMask());
        Assert.Equal("fc", error.LayerName);
        Assert.Contains("Movement gives NaN", error.Message);
        Assert.Contains("flat index 6", error.Message);
    }

    [Fact]
    public void Global_scope_keeps_every_layers_best_group_and_rejects_a_sparsity_that_cannot()
    {
        using var small = nn.Linear(2, 2);
        using var large = nn.Linear(8, 8);
        using (no_grad())
        {
            small.weight!.fill_(0.001f);
            large.weight!.copy_(rand(8, 8).add(1));
        }

        var layers = new PrunedLayer[]
        {
            new TestLayer("small", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.9), small),
            new TestLayer("large", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.9), large),
        };
        PrunedLayer.ComputeGlobalMasks(layers, 0.1);
        var small_report = layers[0].Report();
        Assert.Equal(1, small_report.PrunedGroups);
        Assert.Equal(0, layers[1].Report().PrunedGroups);

        // 10 groups, each layer keeps one: at most 8 can go; 0.9 × 10 = 9 cannot.
        var error = Assert.Throws<PruningException>(() => PrunedLayer.ComputeGlobalMasks(layers, 0.9));
        Assert.Contains("0.8", error.Message);
    }

    [Fact]
    public void Report_counts_the_groups_of_a_grouped_transposed_convolution_by_output_channel()
    {
        // Weight [in 4, out/groups 3, 3, 3] with 2 groups: 6 output channels, so Filter has 6 groups.
        using var deconvolution = nn.ConvTranspose2d(4, 6, 3, groups: 2);
        var layer = new TestLayer("up", LayerKind.ConvTranspose2d, new PruneSettings(Granularity.Filter, 0.5), deconvolution);
        layer.UpdateMask();

        var report = layer.Report();
        Assert.Equal(6, report.Groups);
        Assert.Equal(3, report.PrunedGroups);
        Assert.Equal(0.5, report.MeasuredSparsity);
    }

    [Theory]
    [InlineData(Criterion.SmallFinal)]
    [InlineData(Criterion.UpdatingMovement)]
    [InlineData(Criterion.MovementMagnitude)]
    [InlineData(Criterion.Random)]
    public void Warm_cpu_updates_allocate_nothing_for_element_wise_criteria(Criterion criterion)
    {
        using var conv = nn.Conv2d(16, 32, 3);
        var layer = new TestLayer("conv", LayerKind.Conv2d, new PruneSettings(Granularity.Kernel, 0.5) { Criterion = criterion }, conv);
        for (var step = 0; step < 100; step++) layer.UpdateMask(0.5);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var step = 0; step < 20; step++) layer.UpdateMask(0.5 + (step * 0.01));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(LayerKind.Conv2d)]
    [InlineData(LayerKind.Linear)]
    public void Warm_cpu_n_of_m_updates_allocate_nothing(LayerKind kind)
    {
        using var module = kind == LayerKind.Linear ? (nn.Module)nn.Linear(64, 32) : nn.Conv2d(16, 32, 3);
        var layer = new TestLayer("layer", kind, PruneSettings.NOfM(2, 4), module);
        for (var step = 0; step < 100; step++) layer.UpdateMask();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var step = 0; step < 20; step++) layer.UpdateMask();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0.5, layer.Report().MeasuredSparsity);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Layer_state_created_inside_a_callers_dispose_scope_outlives_it(ScalarType dtype)
    {
        using var linear = nn.Linear(8, 6).to(dtype);
        var layer = new TestLayer("fc", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5) { Criterion = Criterion.Wanda }, linear);
        using (NewDisposeScope())
        {
            layer.RecordActivations(ones(4, 8).to(dtype));
            layer.UpdateMask();
            layer.ApplyMask();
        }

        // The mask buffer, the recorded activations and the bias keep must all still be alive.
        layer.UpdateMask(0.3);
        layer.ApplyMask();
        Assert.Equal(2, layer.Report().PrunedGroups);
    }

    [Fact]
    public void Ten_thousand_torch_path_updates_leave_no_live_tensors_behind()
    {
        // float64 weights take the torch path; the mix covers group scoring, criteria with copies, N:M and global scope.
        using var conv = nn.Conv2d(4, 8, 3).to(ScalarType.Float64);
        using var linear = nn.Linear(8, 6).to(ScalarType.Float64);
        var filter = new TestLayer("conv", LayerKind.Conv2d, new PruneSettings(Granularity.Filter, 0.5), conv);
        var movement = new TestLayer("fc", LayerKind.Linear, new PruneSettings(Granularity.Weight, 0.5) { Criterion = Criterion.UpdatingMovement }, linear);
        var nOfM = new TestLayer("conv", LayerKind.Conv2d, PruneSettings.NOfM(2, 4), conv);
        var layers = new PrunedLayer[] { filter, movement };

        void Round(int step)
        {
            filter.UpdateMask(0.25 + (step % 3 * 0.25));
            movement.UpdateMask(0.5);
            nOfM.UpdateMask();
            PrunedLayer.ComputeGlobalMasks(layers, 0.3);
            filter.ApplyMask();
        }

        for (var step = 0; step < 50; step++) Round(step);
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var step = 0; step < 2500; step++) Round(step);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
