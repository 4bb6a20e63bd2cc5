using PruneSharp.Compaction;
using PruneSharp.Tests.ModelTree;
using PruneSharp.Tests.RealModels;
using PruneSharp.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PruneSharp.Tests.GeneratedTrees;

/// <summary>
/// The five real-model fixtures with <c>[Prune]</c> only at the top (<see cref="AnnotatedRealModels"/>), through the
/// generated code: every layer the granularity fits is pruned (the classifier excepted), with the masks of the
/// one-layer path; <c>Compact()</c> keeps the outputs and shrinks the model; global scope through
/// <see cref="Sparsifier"/> gives the masks of <c>ComputeMasks()</c>.
/// </summary>
public sealed class RealModelGeneratedTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => AnnotatedRealModels.Names;

    [Theory]
    [MemberData(nameof(Models))]
    public void Prune_at_the_top_reaches_every_layer_its_granularity_fits_but_the_classifier(string name)
    {
        using var model = AnnotatedRealModels.Create(name);
        var pruning = (IPrunableModule)model;
        var outputLayer = PruningTree.Build(model).OutputLayerName;

        TreeTestKit.AssertNamesAreModulePaths(model, pruning);
        Assert.DoesNotContain(pruning.PrunedLayers, layer => layer.Name == outputLayer);
        var granularity = AnnotatedRealModels.GranularityOf(name);
        Assert.All(pruning.PrunedLayers, layer => Assert.Equal(granularity, layer.Granularity));

        // Of the conv/linear weights whose kind the granularity fits, the output layer excepted, the share with a mask.
        var candidates = TreeTestKit.PrunableModules(model)
            .Where(entry => entry.Name != outputLayer && ModulePrunedLayer.TryGetKind(entry.Module, out var kind) && Granularities.AppliesTo(kind, granularity))
            .ToList();
        var pruned = pruning.PrunedLayers.Select(layer => layer.Layer).ToHashSet(ReferenceEqualityComparer.Instance);
        var total = candidates.Sum(entry => TreeTestKit.WeightElements(entry.Module));
        var covered = candidates.Where(entry => pruned.Contains(entry.Module)).Sum(entry => TreeTestKit.WeightElements(entry.Module));
        output.WriteLine($"{name}: {pruning.PrunedLayers.Count} layers, {covered:N0} of {total:N0} weights ({covered / (double)total:P1}); output layer {outputLayer}");
        Assert.True(covered / (double)total >= 0.95, $"{name}: {covered / (double)total:P1} of the weights its granularity fits get a mask");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Masks_equal_the_one_layer_path(string name)
    {
        using var model = AnnotatedRealModels.Create(name);
        using var copy = AnnotatedRealModels.Create(name);
        TreeTestKit.CopyParameters(model, copy);
        var pruning = (IPrunableModule)model;

        pruning.ComputeMasks();
        pruning.ApplyMasks();

        TreeTestKit.AssertMasksEqualOneLayerPath(pruning, copy);
        TreeTestKit.AssertMaskedWeightsAreZero(pruning);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Compact_keeps_the_masked_outputs_and_shrinks_the_model(string name)
    {
        manual_seed(13);
        using var model = AnnotatedRealModels.Create(name);
        var pruning = (IPrunableModule)model;
        model.to(ScalarType.Float64);
        CompactionTests.RandomizeBatchNorms(model);
        model.eval();
        pruning.ComputeMasks();
        pruning.ApplyMasks();
        var kept = pruning.PrunedLayers.ToDictionary(layer => layer.Name, layer => KeptOutputUnits(layer));
        Invoke(model, "ZeroPrunedChannels");

        var input = name == "Transformer" ? randint(0, 100, [2, 16], dtype: ScalarType.Int64) : randn(2, 3, 32, 32, dtype: ScalarType.Float64);
        var report = CompactionTests.CompactKeepingOutputs(model, input, () => (CompactionReport)Invoke(model, "Compact")!);

        output.WriteLine($"{name}: {report.ParametersBefore:N0} → {report.ParametersAfter:N0} parameters; {report.Layers.Count(layer => layer.Shrunk)} layers shrunk");
        Assert.Equal(CompactionTests.ParameterCount(model), report.ParametersAfter);
        Assert.True(report.ParametersAfter < report.ParametersBefore, $"{name}: Compact() removed nothing");

        // A unit the mask keeps is never removed; where a layer's units are its own (no residual add couples them), exactly the masked ones are.
        foreach (var layer in pruning.PrunedLayers)
        {
            Assert.True(layer.Weight.shape[0] >= kept[layer.Name], $"{layer.Name}: {layer.Weight.shape[0]} output units left, {kept[layer.Name]} kept by the mask");
        }

        Assert.Contains(pruning.PrunedLayers, layer => layer.Weight.shape[0] == kept[layer.Name] && report.Layers.Any(compacted => compacted.Name == layer.Name && compacted.Shrunk));
    }

    /// <summary>
    /// Global scope on a nested model (ResNet-18, [Prune(Filter, 0.4, Scope = Global)] on the model class only):
    /// a Sparsifier that reaches the target gives the masks ComputeMasks() gives. This needs the model-level mask pass
    /// (docs/architecture.md, rule 4), which Sparsifier uses under global scope.
    /// </summary>
    [Fact]
    public void Global_scope_through_Sparsifier_equals_ComputeMasks()
    {
        using var model = AnnotatedRealModels.Create("ResNet-18", global: true);
        using var copy = AnnotatedRealModels.Create("ResNet-18", global: true);
        TreeTestKit.CopyParameters(model, copy);
        var pruning = (IPrunableModule)model;
        Assert.Equal(PruningScope.Global, pruning.PruningScope);

        ((IPrunableModule)copy).ComputeMasks();
        using (var sparsifier = new Sparsifier(pruning))
        {
            sparsifier.Step(99, 100);
        }

        var expected = ((IPrunableModule)copy).PrunedLayers.ToDictionary(layer => layer.Name, TreeTestKit.Mask);
        Assert.All(pruning.PrunedLayers, layer => Assert.True(expected[layer.Name].SequenceEqual(TreeTestKit.Mask(layer)), $"{layer.Name}: the Sparsifier's mask differs from ComputeMasks()'s under global scope"));
    }

    /// <summary>The output units (filters, rows) a layer's mask keeps.</summary>
    private static long KeptOutputUnits(PrunedLayer layer)
    {
        using var scope = NewDisposeScope();
        var mask = layer.Mask!;
        return mask.reshape(mask.shape[0], -1).sum(1).gt(0).sum().item<long>();
    }

    private static object? Invoke(object model, string method) => model.GetType().GetMethod(method, Type.EmptyTypes)!.Invoke(model, null);
}
