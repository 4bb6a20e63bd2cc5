using PruneSharp.Tests.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// Hostile but fair input to a layer after its mask exists: a weight replaced by one of another shape or a complex dtype, a
/// weight on the meta device, a disposed model, a gradient of the wrong shape, activation statistics of another
/// width. Each is a clear error naming the layer and what to do, thrown before anything changes.
/// </summary>
public sealed class LayerErrorTests
{
    [Fact]
    public void A_weight_replaced_by_one_of_another_shape_is_named_by_UpdateMask_and_ApplyMask()
    {
        using var linear = nn.Linear(6, 4);
        var layer = new TestLayer("head", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5), linear);
        layer.UpdateMask();
        linear.weight = new Parameter(randn(7, 6));

        foreach (var call in new Action[] { layer.UpdateMask, layer.ApplyMask })
        {
            var error = Assert.Throws<PruningException>(call);
            Assert.Equal("head", error.LayerName);
            Assert.Contains("buffer has shape [4, 6], but the weight now has shape [7, 6]", error.Message);
            Assert.Contains("Give the layer a new module", error.Message);
        }

        // Nothing changed: the mask is the one made for the old weight.
        Assert.Equal([4L, 6L], layer.Mask!.shape);
    }

    [Fact]
    public void A_model_converted_to_a_complex_type_after_its_masks_were_made_is_named_with_both_dtypes()
    {
        // A mask follows its weight to another floating-point dtype (MaskConversionTests); a complex weight it cannot
        // follow, and no mask is computed for one.
        using var model = new LinearRowModel();
        model.ComputeMasks();
        model.to(ScalarType.ComplexFloat32);
        var error = Assert.Throws<PruningException>(model.ApplyMasks);
        Assert.Equal("a", error.LayerName);
        Assert.Contains("buffer is Float32 on cpu, but the weight is ComplexFloat32 on cpu", error.Message);
        Assert.Contains("a mask follows its weight to floating-point dtypes only", error.Message);
        Assert.Contains("dtype ComplexFloat32; masks are computed for floating-point weights only", Assert.Throws<PruningException>(model.ComputeMasks).Message);
        Assert.All(model.PrunedLayers, layer => Assert.Equal(ScalarType.Float32, layer.Mask!.dtype));
    }

    [Fact]
    public void A_weight_on_the_meta_device_is_a_clear_error_and_gets_no_mask()
    {
        using var linear = nn.Linear(6, 4);
        var layer = new TestLayer("head", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5), linear);
        linear.weight = new Parameter(empty([4, 6], device: META));

        var error = Assert.Throws<PruningException>(() => layer.UpdateMask());
        Assert.Equal("head", error.LayerName);
        Assert.Contains("meta device", error.Message);
        Assert.Null(layer.Mask);
        Assert.Contains("meta device", Assert.Throws<PruningException>(() => layer.CaptureInitialWeights()).Message);
    }

    [Fact]
    public void A_disposed_model_is_named_by_every_member_that_reads_its_weight()
    {
        var model = new LinearRowModel();
        var layer = model.APruning;
        layer.UpdateMask();
        model.Dispose();

        foreach (var call in new Action[] { layer.UpdateMask, layer.ApplyMask, () => layer.Report(), layer.CaptureInitialWeights, model.ComputeMasks })
        {
            var error = Assert.Throws<PruningException>(call);
            Assert.Equal("a", error.LayerName);
            Assert.Contains("disposed", error.Message);
        }
    }

    [Fact]
    public void A_gradient_of_another_shape_than_the_weight_is_named_for_Taylor()
    {
        using var linear = nn.Linear(6, 4);
        var layer = new TestLayer("head", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5) { Criterion = Criterion.Taylor }, linear);
        using (var loss = linear.call(ones(2, 6)).sum()) loss.backward();

        // The weight is resized in place after backward(): its gradient keeps the old shape.
        using (no_grad()) linear.weight!.set_(randn(5, 6));
        var error = Assert.Throws<PruningException>(() => layer.UpdateMask());
        Assert.Equal("head", error.LayerName);
        Assert.Contains("gradient has shape [4, 6]", error.Message);
        Assert.Contains("weight of shape [5, 6]", error.Message);
        Assert.Null(layer.Mask);
    }

    [Fact]
    public void Activations_recorded_for_another_width_are_named_for_Wanda()
    {
        using var linear = nn.Linear(6, 4);
        var layer = new TestLayer("head", LayerKind.Linear, new PruneSettings(Granularity.Weight, 0.5) { Criterion = Criterion.Wanda }, linear);
        using (var input = ones(2, 6)) layer.RecordActivations(input);
        linear.weight = new Parameter(randn(4, 8));

        var error = Assert.Throws<PruningException>(() => layer.UpdateMask());
        Assert.Contains("recorded for 6 input channels, but the layer now takes 8", error.Message);
        Assert.Contains("ClearActivations()", error.Message);
        using var wider = ones(2, 8);
        Assert.Contains("ClearActivations()", Assert.Throws<PruningException>(() => layer.RecordActivations(wider)).Message);

        layer.ClearActivations();
        layer.RecordActivations(wider);
        layer.UpdateMask();
        Assert.Equal(0.5, layer.Report().MeasuredSparsity);
    }

    [Fact]
    public void A_layer_twice_in_one_pass_and_N_of_M_under_global_scope_are_argument_errors_naming_the_layer()
    {
        using var linear = nn.Linear(8, 4);
        var layer = new TestLayer("head", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5), linear);
        var twice = Assert.Throws<ArgumentException>(() => MaskPass.ComputeMasks([layer, layer], [0.5, 0.5]));
        Assert.Contains("Layer 'head' appears twice in one mask pass", twice.Message);

        var nOfM = new TestLayer("body", LayerKind.Linear, PruneSettings.NOfM(2, 4), nn.Linear(8, 4));
        var global = Assert.Throws<ArgumentException>(() => MaskPass.ComputeGlobalMasks([layer, nOfM], 0.5));
        Assert.Contains("Layer 'body' uses N:M sparsity", global.Message);
        Assert.Null(layer.Mask);
        Assert.Null(nOfM.Mask);
    }

    [Fact]
    public void A_disposed_mask_buffer_is_named_and_nothing_is_written()
    {
        using var linear = nn.Linear(6, 4);
        var layer = new TestLayer("head", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5), linear);
        layer.UpdateMask();
        layer.Mask!.Dispose();
        using var before = linear.weight!.detach().clone();

        foreach (var call in new Action[] { layer.UpdateMask, layer.ApplyMask, layer.EnsureMaskBuffer })
        {
            var error = Assert.Throws<PruningException>(call);
            Assert.Equal("head", error.LayerName);
            Assert.Contains("'weight_mask' buffer has been disposed", error.Message);
        }

        Assert.True(TensorAssert.Same(before, linear.weight!));
    }

    [Fact]
    public void A_global_model_without_its_global_settings_is_named_where_they_are_needed()
    {
        using var linear = nn.Linear(6, 4);
        var model = new GlobalWithoutSettings([new TestLayer("head", LayerKind.Linear, new PruneSettings(Granularity.Row, 0.5), linear)]);
        Assert.Contains("GlobalWithoutSettings uses global scope but its GlobalSettings are null", Assert.Throws<InvalidOperationException>(() => MaskPass.ComputeMasks(model)).Message);
        Assert.Contains("GlobalWithoutSettings uses global scope but its GlobalSettings are null", Assert.Throws<ArgumentException>(() => new Training.Sparsifier(model)).Message);
        Assert.Null(model.PrunedLayers[0].Mask);
    }

    private sealed class GlobalWithoutSettings(IReadOnlyList<PrunedLayer> layers) : IPrunableModule
    {
        public IReadOnlyList<PrunedLayer> PrunedLayers => layers;

        public PruningScope PruningScope => PruningScope.Global;

        public void ComputeMasks() => MaskPass.ComputeMasks(this);

        public void ApplyMasks()
        {
            foreach (var layer in layers) layer.ApplyMask();
        }

        public PruningReport GetSparsityReport() => PrunedLayer.Report(layers);
    }
}
