using PruneSharp.Tests.RealModels;
using PruneSharp.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Tests.ModelTree;

/// <summary>A tree from the imperative entry works where a generated model does: Sparsifier, rewinding, checkpoints.</summary>
public sealed class TreeTrainingTests
{
    [Fact]
    public void Sparsifier_prunes_a_tree_on_schedule_and_rewinds_every_parameter_of_the_model()
    {
        using var model = ResNet.ResNet18(numClasses: 10, width: 8);
        var tree = Pruning.Of(model).Layers<Conv2d>(new PruneSettings(Granularity.Filter, 0.5) { Schedule = Schedule.Iterative, ScheduleSteps = 2 }).Build();
        using var sparsifier = new Sparsifier(tree);
        sparsifier.CaptureRewindPoint();
        var bnBefore = model.named_parameters().Single(entry => entry.name == "layer1.0.bn1.weight").parameter.data<float>().ToArray();

        sparsifier.Step(1, 4);   // half-way: floor(0.5 × 2) / 2 of the target
        Assert.All(tree.GetSparsityReport().Layers, layer => Assert.Equal(0.25, layer.TargetSparsity));
        Assert.All(tree.GetSparsityReport().Layers, layer => Assert.True(layer.PrunedGroups > 0));
        sparsifier.Step(3, 4);
        Assert.All(tree.GetSparsityReport().Layers, layer => Assert.Equal(0.5, layer.TargetSparsity));
        TreeTestKit.AssertMaskedWeightsAreZero(tree);

        using (no_grad())
        {
            foreach (var (_, parameter) in model.named_parameters()) parameter.add_(1f);
        }

        sparsifier.Rewind();
        Assert.Equal(bnBefore, model.named_parameters().Single(entry => entry.name == "layer1.0.bn1.weight").parameter.data<float>().ToArray());
        TreeTestKit.AssertMaskedWeightsAreZero(tree);
    }

    [Fact]
    public void A_checkpoint_of_a_tree_loads_into_a_fresh_model_with_its_masks()
    {
        var path = Path.Combine(Path.GetTempPath(), $"prunesharp-tree-{Guid.NewGuid():N}.bin");
        try
        {
            using var model = ResNet.ResNet18(numClasses: 10, width: 8);
            var tree = Pruning.Of(model).Layers<Conv2d>(Granularity.Filter, 0.3).Layers<Linear>(Granularity.Row, 0.3).Build();
            tree.ComputeMasks();
            tree.ApplyMasks();
            PruningCheckpoint.Save(tree, path);

            using var fresh = ResNet.ResNet18(numClasses: 10, width: 8);
            var loaded = Pruning.Of(fresh).Layers<Conv2d>(Granularity.Filter, 0.3).Layers<Linear>(Granularity.Row, 0.3).Build();
            PruningCheckpoint.Load(loaded, path);

            for (var index = 0; index < tree.PrunedLayers.Count; index++)
            {
                Assert.Equal(tree.PrunedLayers[index].Name, loaded.PrunedLayers[index].Name);
                Assert.Equal(TreeTestKit.Mask(tree.PrunedLayers[index]), TreeTestKit.Mask(loaded.PrunedLayers[index]));
                Assert.Equal(tree.PrunedLayers[index].Weight.data<float>().ToArray(), loaded.PrunedLayers[index].Weight.data<float>().ToArray());
            }

            Assert.Equal(tree.GetSparsityReport().MaskedWeights, loaded.GetSparsityReport().MaskedWeights);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Sparsifier_on_a_generated_style_model_covers_its_nested_blocks()
    {
        using var model = new DeclaredNet();
        using var sparsifier = new Sparsifier(model);

        sparsifier.Step(0, 1);

        Assert.Equal(10, sparsifier.Layers.Count);
        Assert.Equal(10, sparsifier.MaskUpdates);
        Assert.Contains(sparsifier.Layers, layer => layer.Name == "stage.1.gate");
        TreeTestKit.AssertMaskedWeightsAreZero(model);
    }

    [Fact]
    public void A_global_tree_given_a_schedule_is_pruned_by_the_Sparsifier_on_that_schedule()
    {
        using var model = ResNet.ResNet18(numClasses: 10, width: 8);
        using var copy = ResNet.ResNet18(numClasses: 10, width: 8);
        copy.load_state_dict(model.state_dict());
        var tree = Pruning.Of(model).Layers<Conv2d>(Granularity.Filter, 0.5).Global(0.6, Schedule.Agp, scheduleStart: 0.2, scheduleEnd: 0.8).Build();
        Assert.Equal(PruningScope.Global, tree.PruningScope);
        Assert.Equal((Schedule.Agp, 0.6, 0.2, 0.8), (tree.GlobalSettings!.Schedule, tree.GlobalSettings.Sparsity, tree.GlobalSettings.ScheduleStart, tree.GlobalSettings.ScheduleEnd));
        var expected = SparsitySchedule.Create(Schedule.Agp, 0.6, 0.2, 0.8);

        using var sparsifier = new Sparsifier(tree);
        Assert.True(sparsifier.IsGlobal);
        sparsifier.Step(0, 10);   // progress 0.1, before the schedule's start: nothing to prune
        Assert.Equal(0.0, sparsifier.ScheduledSparsity(0));
        Assert.All(tree.PrunedLayers, layer => Assert.Null(layer.Mask));

        sparsifier.Step(4, 10);   // progress 0.5: half-way through the window, AGP's 1 − (1 − 0.5)³ of the target
        Assert.Equal(expected.SparsityAt(0.5), sparsifier.ScheduledSparsity(0), 12);
        Assert.Equal(0.525, sparsifier.ScheduledSparsity(0), 12);
        Assert.Equal((long)Math.Round(0.525 * TotalGroups(tree), MidpointRounding.ToEven), PrunedGroups(tree));

        // At the end, the masks a one-shot ranking of the weights as they were gives (no training in between: the
        // schedule only splits the same selection in two).
        sparsifier.Step(9, 10);
        Assert.Equal(0.6, sparsifier.ScheduledSparsity(0), 12);
        var oneShot = Pruning.Of(copy).Layers<Conv2d>(Granularity.Filter, 0.5).Global(0.6).Build();
        oneShot.ComputeMasks();
        for (var index = 0; index < tree.PrunedLayers.Count; index++)
        {
            Assert.Equal(TreeTestKit.Mask(oneShot.PrunedLayers[index]), TreeTestKit.Mask(tree.PrunedLayers[index]));
        }
    }

    [Fact]
    public void A_global_schedule_out_of_range_is_refused_where_it_is_given()
    {
        using var model = ResNet.ResNet18(numClasses: 10, width: 8);
        var builder = Pruning.Of(model).Layers<Conv2d>(Granularity.Filter, 0.5);
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Global(0.6, Schedule.Agp, scheduleStart: 0.9, scheduleEnd: 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Global(0.6, Schedule.Iterative, scheduleSteps: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Global(1.5, Schedule.Agp));
    }

    private static long TotalGroups(PruningTree tree) => tree.GetSparsityReport().Layers.Sum(layer => layer.Groups);

    private static long PrunedGroups(PruningTree tree) => tree.GetSparsityReport().Layers.Sum(layer => layer.PrunedGroups);
}
