using PruneSharp.Tests.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>Bad input gets a clear error naming the layer and the value; edge values follow the documented rule.</summary>
public sealed class MaskEngineTests
{
    private static readonly ReducedDims Filter = ReducedDims.Of(2, 3, 4);

    [Fact]
    public void NaN_weight_is_an_error_naming_the_layer_and_the_element_on_both_paths()
    {
        var weights = Enumerable.Range(0, 4 * 3 * 3 * 3).Select(index => (float)index).ToArray();
        weights[40] = float.NaN;   // [1, 1, 1, 1]
        var plan = MaskPlan.Create("conv7", [4, 3, 3, 3], Filter);

        var cpu = Assert.Throws<PruningException>(() => plan.Compute(weights, 0.5, new float[weights.Length]));
        Assert.Equal("conv7", cpu.LayerName);
        Assert.Contains("[1, 1, 1, 1] (flat index 40) is NaN", cpu.Message);

        using var weight = tensor(weights).reshape(4, 3, 3, 3);
        var torchPath = Assert.Throws<PruningException>(() => TorchMaskEngine.ComputeMask(weight, Filter, 0.5, "conv7"));
        Assert.Equal(cpu.Message, torchPath.Message);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Sparsity_outside_zero_to_one_is_an_error_naming_the_layer_and_value(double sparsity)
    {
        var plan = MaskPlan.Create("fc3", [5, 4], ReducedDims.Of(0));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => plan.Compute(new float[20], sparsity, new float[20]));
        Assert.Contains("'fc3'", error.Message);
        Assert.Contains(sparsity.ToString(System.Globalization.CultureInfo.CurrentCulture), error.Message);
    }

    [Fact]
    public void Sparsity_one_is_an_error_and_sparsity_zero_keeps_everything()
    {
        var weights = Enumerable.Range(1, 20).Select(index => (float)index).ToArray();
        var plan = MaskPlan.Create("fc3", [5, 4], ReducedDims.Of(2));
        var error = Assert.Throws<PruningException>(() => plan.Compute(weights, 1.0, new float[20]));
        Assert.Contains("would remove all 5 groups", error.Message);

        var mask = new float[20];
        Assert.Equal(0, plan.Compute(weights, 0.0, mask));
        Assert.All(mask, value => Assert.Equal(1f, value));
    }

    [Fact]
    public void Positive_and_negative_infinity_rank_highest()
    {
        float[] weights = [float.NegativeInfinity, 0.5f, float.PositiveInfinity, 0.1f, 0.2f, 0.3f];
        var plan = MaskPlan.Create("fc", [6, 1], ReducedDims.Of(0));
        var mask = new float[6];
        plan.Compute(weights, 4.0 / 6, mask);
        Assert.Equal([1f, 0f, 1f, 0f, 0f, 0f], mask);

        using var weight = tensor(weights).reshape(6, 1);
        using var torchMask = TorchMaskEngine.ComputeMask(weight, ReducedDims.Of(0), 4.0 / 6, "fc");
        Assert.Equal(mask, torchMask.data<float>().ToArray());
    }

    [Fact]
    public void Ties_prune_the_lower_flat_index_first()
    {
        float[] weights = [1f, -1f, 1f, 2f, -1f, 1f];
        var plan = MaskPlan.Create("fc", [6, 1], ReducedDims.Of(0));
        var mask = new float[6];
        plan.Compute(weights, 0.5, mask);
        Assert.Equal([0f, 0f, 0f, 1f, 1f, 1f], mask);
    }

    [Fact]
    public void Empty_weight_and_dims_past_the_rank_are_errors_naming_the_layer()
    {
        var empty = Assert.Throws<PruningException>(() => MaskPlan.Create("conv0", [0, 3, 3, 3], Filter));
        Assert.Contains("[0, 3, 3, 3]", empty.Message);

        var tooDeep = Assert.Throws<PruningException>(() => MaskPlan.Create("fc0", [5, 4], ReducedDims.Of(3)));
        Assert.Equal("fc0", tooDeep.LayerName);

        using var weight = zeros(0, 4);
        Assert.Throws<PruningException>(() => TorchMaskEngine.ComputeMask(weight, ReducedDims.Of(2), 0.5, "fc0"));
    }

    [Fact]
    public void Integer_weights_are_an_error_naming_the_dtype()
    {
        using var weight = ones(5, 4, dtype: ScalarType.Int32);
        var error = Assert.Throws<PruningException>(() => TorchMaskEngine.ComputeMask(weight, ReducedDims.Of(2), 0.5, "fc1"));
        Assert.Contains("Int32", error.Message);
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Other_float_dtypes_get_the_mask_of_float32_scoring_of_the_same_values(ScalarType dtype)
    {
        manual_seed(3);
        using var original = randn(8, 6, 3, 3).to(dtype);
        using var asFloat32 = original.to(ScalarType.Float32).contiguous();
        var plan = MaskPlan.Create("conv", [8, 6, 3, 3], ReducedDims.Of(3, 4));
        var expected = new float[asFloat32.numel()];
        plan.Compute(asFloat32.data<float>().ToArray(), 0.5, expected);

        using var mask = TorchMaskEngine.ComputeMask(original, ReducedDims.Of(3, 4), 0.5, "conv");
        Assert.Equal(dtype, mask.dtype);
        Assert.Equal(expected, mask.to(ScalarType.Float32).data<float>().ToArray());
    }

    [Fact]
    public void Non_contiguous_weights_get_the_mask_of_their_contiguous_copy()
    {
        manual_seed(4);
        using var storage = randn(6, 8, 3, 3);
        using var transposed = storage.transpose(0, 1);   // [8, 6, 3, 3], not contiguous
        Assert.False(transposed.is_contiguous());
        using var copy = transposed.contiguous();

        using var fromView = TorchMaskEngine.ComputeMask(transposed, Filter, 0.5, "conv");
        var plan = MaskPlan.Create("conv", [8, 6, 3, 3], Filter);
        var expected = new float[copy.numel()];
        plan.Compute(copy.data<float>().ToArray(), 0.5, expected);
        Assert.Equal(expected, fromView.data<float>().ToArray());
    }

    [Fact]
    public void Cpu_and_torch_paths_give_identical_masks_on_random_cases()
    {
        var random = new Random(11);
        var conv = Enum.GetValues<Granularity>().Where(granularity => Granularities.TryGetReducedDims(LayerKind.Conv2d, granularity, out _)).ToArray();
        for (var trial = 0; trial < 300; trial++)
        {
            var isConv = random.Next(4) != 0;
            int[] shape = isConv ? [random.Next(1, 9), random.Next(1, 9), random.Next(1, 4), random.Next(1, 4)] : [random.Next(1, 20), random.Next(1, 20)];
            var kind = isConv ? LayerKind.Conv2d : LayerKind.Linear;
            var granularity = isConv ? conv[random.Next(conv.Length)] : new[] { Granularity.Weight, Granularity.Column, Granularity.Row }[random.Next(3)];
            Granularities.TryGetReducedDims(kind, granularity, out var dims);
            var sparsity = Math.Round(random.NextDouble(), 2);
            var weights = GeneratedPathTests.RandomWeights(random, shape.Aggregate(1, (a, b) => a * b), ties: random.Next(2) == 0);

            var plan = MaskPlan.Create("layer", shape, dims);
            var cpuMask = new float[weights.Length];
            float[]? torchMask = null;
            Exception? cpuError = Record.Exception(() => plan.Compute(weights, sparsity, cpuMask));
            using var weight = tensor(weights).reshape(shape.Select(size => (long)size).ToArray());
            Exception? torchError = Record.Exception(() =>
            {
                using var mask = TorchMaskEngine.ComputeMask(weight, dims, sparsity, "layer");
                torchMask = mask.data<float>().ToArray();
            });

            Assert.Equal(cpuError?.Message, torchError?.Message);
            if (cpuError is null) Assert.Equal(cpuMask, torchMask);
        }
    }

    [Fact]
    public void Warm_cpu_mask_update_allocates_nothing_on_the_managed_heap()
    {
        var random = new Random(5);
        var weights = GeneratedPathTests.RandomWeights(random, 64 * 32 * 3 * 3, ties: false);
        var mask = new float[weights.Length];
        var plan = MaskPlan.Create("conv2", [64, 32, 3, 3], ReducedDims.Of(3, 4));
        // Warm: past tiered JIT's first tiers and TorchSharp's one-time lazy initializations.
        for (var step = 0; step < 100; step++) plan.Compute(weights, 0.5, mask);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var step = 0; step < 20; step++) plan.Compute(weights, 0.1 + (step * 0.03), mask);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Warm_generated_layer_update_allocates_nothing_on_the_managed_heap()
    {
        using var model = new Conv2dKernelModel();
        var layer = model.DPruning;
        // Warm: past tiered JIT's first tiers and TorchSharp's one-time lazy initializations.
        for (var step = 0; step < 100; step++) layer.UpdateMask(0.5);
        layer.ApplyMask();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var step = 0; step < 20; step++) layer.UpdateMask(0.1 + (step * 0.03));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void A_weight_that_no_longer_has_the_declared_shape_is_an_error_naming_both_shapes()
    {
        using var model = new LinearRowModel();
        model.a.weight = new Parameter(randn(6, 4));
        var error = Assert.Throws<PruningException>(() => model.APruning.UpdateMask());
        Assert.Equal("a", error.LayerName);
        Assert.Contains("[6, 4]", error.Message);
        Assert.Contains("declares [5, 4]", error.Message);
    }

    [Fact]
    public void ApplyMask_before_any_mask_is_a_clear_error()
    {
        using var model = new LinearRowModel();
        var error = Assert.Throws<InvalidOperationException>(() => model.BPruning.ApplyMask());
        Assert.Contains("'b'", error.Message);
    }

    [Fact]
    public void Masks_are_buffers_of_the_layer_and_follow_it_into_the_state_dict()
    {
        using var model = new LinearRowModel();
        model.ComputeMasks();
        var keys = model.state_dict().Keys.ToList();
        Assert.Contains("a.weight_mask", keys);
        Assert.Contains("c.weight_mask", keys);
    }
}
