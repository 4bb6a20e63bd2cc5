using PruneSharp.Tests.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// The mask geometry the generator writes into a layer class: the kernel it names for each layout, that the runtime
/// uses it as it is (the plan holds the very object), that its masks are the reference's through a growing schedule,
/// that warm updates allocate nothing, and that constants which do not belong to their shape are refused.
/// </summary>
public sealed class GeneratedGeometryTests
{
    public static TheoryData<string, MaskKernel> Layers() => new()
    {
        { "kernels", MaskKernel.RunsOf9 },
        { "filters", MaskKernel.ContiguousGroups },
        { "rows", MaskKernel.ContiguousGroups },
        { "weights", MaskKernel.Elementwise },
        { "pointwise", MaskKernel.Elementwise },
        { "kernelRows", MaskKernel.ShortRuns },
        { "channels", MaskKernel.Strided },
        { "sparse3x3", MaskKernel.NOfMKernelPositions },
        { "sparse1x1", MaskKernel.NOfMChannelRuns },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Each_layout_gets_its_kernel_from_the_generated_geometry_and_the_runtime_uses_that_geometry(string name, MaskKernel kernel)
    {
        using var model = new KernelVariantsModel();
        var layer = Layer(model, name);
        var geometry = layer.MaskGeometry;
        Assert.NotNull(geometry);
        Assert.Equal(kernel, geometry.Kernel);
        Assert.Equal(layer.DeclaredShape.ToArray(), geometry.Shape);
        Assert.Equal(layer.Granularity == Granularity.NOfM
            ? MaskGeometry.ForNOfM(geometry.Shape, 1, 2, 4)
            : MaskGeometry.ForGroups(geometry.Shape, layer.ReducedDims), geometry);

        layer.UpdateMask(0.5);
        var planned = layer.Granularity == Granularity.NOfM
            ? layer.State.Cpu.NOfM(layer.Name, layer.Weight, 1, 2, 4, geometry).Geometry
            : layer.State.Cpu.Plan(layer.Name, layer.Kind, layer.ReducedDims, layer.Weight, 1, geometry).Geometry;
        Assert.Same(geometry, planned);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Generated_kernels_give_the_reference_masks_through_a_growing_schedule(string name, MaskKernel kernel)
    {
        using var model = new KernelVariantsModel();
        var layer = Layer(model, name);
        Assert.Equal(kernel, layer.MaskGeometry!.Kernel);
        var random = new Random(name.Length);
        var shape = layer.Weight.shape.Select(size => (int)size).ToArray();
        float[]? held = null;
        foreach (var sparsity in new[] { 0.3, 0.45, 0.5, 0.5, 0.2 })
        {
            var weights = PropertyTests.GridValues(random, shape.Aggregate(1, (a, b) => a * b));
            PropertyTests.SetWeights(layer, weights);
            var reference = new ReferenceLayer(layer.Name, layer.Kind, shape, 1, layer.Settings, weights, ExistingMask: held);
            var expected = ReferencePruning.Mask(reference, sparsity)!;
            layer.UpdateMask(sparsity);
            Assert.Equal(expected, PropertyTests.MaskValues(layer));
            held = expected;
        }
    }

    [Fact]
    public void Warm_growing_updates_of_every_generated_kernel_allocate_nothing()
    {
        using var model = new KernelVariantsModel();
        var layers = model.PrunedLayers.ToArray(); // an array: a foreach over the list interface would allocate its enumerator
        // Warm: past tiered JIT's first tiers and TorchSharp's one-time lazy initializations.
        for (var step = 0; step < 60; step++)
        {
            foreach (var layer in layers) layer.UpdateMask(0.1 + (step % 20 * 0.03));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var step = 0; step < 20; step++)
        {
            foreach (var layer in layers) layer.UpdateMask(0.1 + (step * 0.03));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Every_generated_layer_of_the_granularity_models_holds_the_geometry_of_its_shape()
    {
        var checkedLayers = 0;
        foreach (var row in GeneratedPathTests.AllGranularities())
        {
            var (kind, granularity) = ((LayerKind)row[0], (Granularity)row[1]);
            using var model = (nn.Module)GranularityModelCatalog.Create(kind, granularity);
            foreach (var layer in ((IPrunableModule)model).PrunedLayers)
            {
                Assert.Equal(MaskGeometry.ForGroups(layer.DeclaredShape.ToArray(), layer.ReducedDims), layer.MaskGeometry);
                checkedLayers++;
            }
        }

        Assert.True(checkedLayers >= 18 * 3, $"only {checkedLayers} layers");
    }

    [Fact]
    public void Geometry_constants_that_do_not_belong_to_their_shape_are_refused()
    {
        long[] shape = [64, 32, 3, 3];
        var right = MaskGeometry.Groups(MaskKernel.RunsOf9, shape, ReducedDims.Of(3, 4), 2048, 9, [2048, 9], [1, 0]);
        Assert.Equal(MaskGeometry.ForGroups(shape, ReducedDims.Of(3, 4)), right);

        Assert.Throws<ArgumentException>(() => MaskGeometry.Groups(MaskKernel.Strided, shape, ReducedDims.Of(3, 4), 2048, 9, [2048, 9], [1, 0]));
        Assert.Throws<ArgumentException>(() => MaskGeometry.Groups(MaskKernel.RunsOf9, shape, ReducedDims.Of(3, 4), 2048, 9, [9, 2048], [0, 1]));
        Assert.Throws<ArgumentException>(() => MaskGeometry.Groups(MaskKernel.RunsOf9, shape, ReducedDims.Of(2, 3, 4), 2048, 9, [2048, 9], [1, 0]));
        var error = Assert.Throws<ArgumentException>(() => MaskGeometry.NOfM(MaskKernel.NOfMKernelPositions, shape, 1, 2, 4, 512, 8));
        Assert.Contains("runs", error.Message);
        Assert.Throws<ArgumentException>(() => MaskGeometry.ForNOfM([64, 30, 3, 3], 1, 2, 4));
        Assert.Throws<ArgumentException>(() => MaskGeometry.ForGroups([64, 0, 3, 3], ReducedDims.Of(3, 4)));
    }

    [Fact]
    public void A_hand_written_layer_declaring_the_geometry_of_another_shape_is_an_error_naming_it()
    {
        using var linear = nn.Linear(6, 5);
        var layer = new DeclaringLayer("fc", linear, MaskGeometry.ForGroups([5, 3], ReducedDims.Of(2)));
        var error = Assert.Throws<PruningException>(() => layer.UpdateMask(0.4));
        Assert.Equal("fc", error.LayerName);
        Assert.Contains("mask geometry", error.Message);
        Assert.Null(layer.Mask);
    }

    private static PrunedLayer Layer(KernelVariantsModel model, string name) => model.PrunedLayers.Single(layer => layer.Name == name);

    private sealed class DeclaringLayer(string name, Linear linear, MaskGeometry geometry) : PrunedLayer(name, LayerKind.Linear, new PruneSettings(Granularity.Row, 0.4))
    {
        public override nn.Module Layer => linear;

        public override Parameter Weight => linear.weight!;

        public override MaskGeometry? MaskGeometry => geometry;
    }
}
