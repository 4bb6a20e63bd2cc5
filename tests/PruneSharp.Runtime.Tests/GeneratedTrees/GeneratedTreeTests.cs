using System.Reflection;
using PruneSharp.Tests.ModelTree;
using PruneSharp.Tests.RealModels;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.GeneratedTrees;

/// <summary>
/// What the generated code of classes whose [Prune] reaches into containers and blocks prunes at run time (the run-time
/// tree with the generated typed layers in it, the output layer left alone, the blocks' own declarations winning for
/// their layers). Its snapshots and diagnostics are checked in the generator tests (GeneratorSnapshotTests).
/// </summary>
public sealed class GeneratedTreeTests
{
    [Fact]
    public void Container_rules_win_over_the_class_rule_and_the_output_layer_is_left_alone()
    {
        using var model = new ContainerNet();
        var layers = model.PrunedLayers.ToDictionary(layer => layer.Name);

        Assert.Equal(
            ["features.conv1", "features.conv2", "heads.0", "heads.1", "signals.left", "signals.right", "extras.0", "extras.1"],
            model.PrunedLayers.Select(layer => layer.Name));
        Expect(layers["features.conv1"], Granularity.Filter, 0.25);   // the container's [Prune]
        Expect(layers["heads.0"], Granularity.Row, 0.5);
        Expect(layers["heads.1"], Granularity.Weight, 0.4);           // excluded by the container: the class-level rule
        Expect(layers["signals.right"], Granularity.Weight, 0.4);     // a ModuleDict, reached by the class-level rule
        Expect(layers["extras.1"], Granularity.Weight, 0.4);          // a plain array, declared to the tree
        Assert.DoesNotContain("classifier", layers.Keys);             // the output layer: the class-level rule leaves it

        // The typed members are the tree's layers; those inside containers carry the shape the code declares.
        Assert.Same(model.FeaturesConv1Pruning, layers["features.conv1"]);
        Assert.Same(model.Heads0Pruning, layers["heads.0"]);
        Assert.Same(model.Heads1Pruning, layers["heads.1"]);
        Assert.Same(model.SignalsLeftPruning, layers["signals.left"]);
        Assert.Equal([16L, 3, 3, 3], model.FeaturesConv1Pruning.DeclaredShape.ToArray());
        Assert.Equal(model.FeaturesConv1Pruning.TypedLayer.weight!.shape, model.FeaturesConv1Pruning.DeclaredShape.ToArray());
        Assert.Equal(model.named_modules().Single(entry => entry.name == "signals.left").module, model.SignalsLeftPruning.TypedLayer);
        TreeTestKit.AssertNamesAreModulePaths(model, TreeTestKit.RegisteredLayers(model, "extras."));

        model.ComputeMasks();
        model.ApplyMasks();
        TreeTestKit.AssertMaskedWeightsAreZero(model);
        Assert.All(model.GetSparsityReport().Layers, layer => Assert.True(layer.PrunedGroups > 0, layer.Name));
    }

    [Fact]
    public void Typed_layers_of_stages_built_in_a_loop_have_their_shapes_and_the_one_layer_paths_masks()
    {
        using var model = new TowerNet();
        using var copy = new TowerNet();
        TreeTestKit.CopyParameters(model, copy);

        Assert.Equal(["stages.stage0.conv", "stages.stage1.conv", "stages.stage2.conv"], model.PrunedLayers.Select(layer => layer.Name));
        Assert.Equal([model.StagesStage0ConvPruning, model.StagesStage1ConvPruning, model.StagesStage2ConvPruning], model.PrunedLayers);
        Assert.Equal([32L, 16, 3, 3], model.StagesStage2ConvPruning.DeclaredShape.ToArray());

        model.ComputeMasks();
        foreach (var layer in model.PrunedLayers)
        {
            Assert.Equal(layer.DeclaredShape.ToArray(), layer.Weight.shape);
            var single = new ModulePrunedLayer(layer.Name, TreeTestKit.NamedModules(copy)[layer.Name], layer.Settings);
            single.UpdateMask();
            Assert.Equal(TreeTestKit.Mask(single), TreeTestKit.Mask(layer));
        }
    }

    [Fact]
    public void A_block_with_its_own_Prune_declares_its_layers_inside_a_model_with_Prune_at_the_top()
    {
        using var model = new NestedNet();
        var block = (ResidualBlock)((Sequential)typeof(NestedNet).GetField("blocks", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(model)!)[0];
        var layers = model.PrunedLayers.ToDictionary(layer => layer.Name);

        Assert.Equal(
            ["stem", "blocks.0.conv1", "blocks.0.conv2", "blocks.0.gate", "blocks.1.conv1", "blocks.1.conv2", "blocks.1.gate"],
            model.PrunedLayers.Select(layer => layer.Name));
        Expect(layers["stem"], Granularity.Weight, 0.3);
        Expect(layers["blocks.0.conv1"], Granularity.Filter, 0.25);   // the block's member [Prune]
        Expect(layers["blocks.0.conv2"], Granularity.Kernel, 0.5);    // the block's class-level [Prune]
        Expect(layers["blocks.0.gate"], Granularity.Weight, 0.3);     // Kernel skips Linear: the model's class-level rule
        Assert.Same(block.Conv1Pruning, layers["blocks.0.conv1"]);
        Assert.Equal("blocks.0.conv1", block.Conv1Pruning.Name);
        Assert.Same(model.StemPruning, layers["stem"]);
        Assert.DoesNotContain(model.HeadPruning, model.PrunedLayers);  // the output layer: typed, for where NestedNet is a block
        TreeTestKit.AssertNamesAreModulePaths(model, model);
    }

    [Fact]
    public void A_typed_layer_whose_container_was_replaced_says_where_it_looked()
    {
        using var model = new ContainerNet();
        Assert.Same(TreeTestKit.NamedModules(model)["features.conv1"], model.FeaturesConv1Pruning.Layer);

        typeof(ContainerNet).GetField("features", BindingFlags.Instance | BindingFlags.NonPublic)!.SetValue(model, Sequential(("conv", Conv2d(3, 16, 3))));
        var error = Assert.Throws<InvalidOperationException>(() => model.FeaturesConv1Pruning.Layer);
        Assert.Equal("Layer 'features.conv1' is not where the code that builds it puts it: 'features' has no registered module 'conv1' (is RegisterComponents() called?).", error.Message);

        typeof(ContainerNet).GetField("features", BindingFlags.Instance | BindingFlags.NonPublic)!.SetValue(model, Sequential(("conv1", Linear(3, 16))));
        error = Assert.Throws<InvalidOperationException>(() => model.FeaturesConv1Pruning.Layer);
        Assert.Equal("Layer 'features.conv1' is a Linear, not the Conv2d the code that builds it makes.", error.Message);
    }

    [Fact]
    public void A_container_rule_that_fits_none_of_its_layers_is_PRUNE001_at_run_time_too()
    {
        using var model = new FilterOverLinears();

        var error = Assert.Throws<PruningException>(() => PruningTree.Build(model));

        Assert.Equal("heads.0", error.LayerName);
        Assert.Contains("Granularity 'Filter' does not apply to Linear layer 'heads.0'; valid granularities for Linear: Weight, Column, Row, Layer (PRUNE001)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_container_default_needs_its_container_first()
    {
        using var model = new TypedBeforeContainer();

        var error = Assert.Throws<InvalidOperationException>(() => PruningTree.Build(model));

        Assert.Equal("TypedBeforeContainer declares the layer 'heads.0' of container 'heads' before the container: call Container(\"heads\", …) first.", error.Message);
    }

    private static void Expect(PrunedLayer layer, Granularity granularity, double sparsity)
    {
        Assert.Equal(granularity, layer.Granularity);
        Assert.Equal(sparsity, layer.TargetSparsity);
    }

    /// <summary>A class that declares a Filter rule on a container of Linear layers, as a hand-written IDeclaresPruning.</summary>
    private sealed class FilterOverLinears : Module<Tensor, Tensor>, IDeclaresPruning
    {
        private readonly ModuleList<Linear> heads = ModuleList(Linear(4, 4), Linear(4, 2));
        private readonly Linear output = Linear(2, 2);

        public FilterOverLinears() : base(nameof(FilterOverLinears)) => RegisterComponents();

        public void DeclarePruning(PruningDeclarations declarations) => declarations.Container("heads", new PruneSettings(Granularity.Filter, 0.5));

        public override Tensor forward(Tensor input) => output.forward(heads[1].forward(heads[0].forward(input)));
    }

    private sealed class TypedBeforeContainer : Module<Tensor, Tensor>, IDeclaresPruning
    {
        private readonly ModuleList<Linear> heads = ModuleList(Linear(4, 4));

        public TypedBeforeContainer() : base(nameof(TypedBeforeContainer)) => RegisterComponents();

        public void DeclarePruning(PruningDeclarations declarations) =>
            declarations.ContainerDefault("heads", new ModulePrunedLayer("heads.0", heads[0], new PruneSettings(Granularity.Row, 0.5)));

        public override Tensor forward(Tensor input) => heads[0].forward(input);
    }
}
