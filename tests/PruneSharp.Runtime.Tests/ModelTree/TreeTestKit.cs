using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Tests.ModelTree;

/// <summary>What the model-tree tests check again and again: names against <c>named_modules()</c>, masks against the one-layer path.</summary>
internal static class TreeTestKit
{
    public static Dictionary<string, nn.Module> NamedModules(nn.Module model) =>
        model.named_modules().GroupBy(entry => entry.name).ToDictionary(group => group.Key, group => group.First().module);

    /// <summary>Every distinct prunable module of the model with the first name TorchSharp registers it under.</summary>
    public static List<(string Name, nn.Module Module)> PrunableModules(nn.Module model)
    {
        var seen = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        return model.named_modules()
            .Where(entry => ModulePrunedLayer.TryGetKind(entry.module, out _) && seen.Add(entry.module))
            .Select(entry => (entry.name, entry.module))
            .ToList();
    }

    public static void CopyParameters(nn.Module from, nn.Module to)
    {
        var target = to.named_parameters().ToDictionary(entry => entry.name, entry => entry.parameter);
        using (no_grad())
        {
            foreach (var (name, parameter) in from.named_parameters()) target[name].copy_(parameter);
        }
    }

    public static float[] Mask(PrunedLayer layer) => layer.Mask!.data<float>().ToArray();

    public static long WeightElements(nn.Module layer) => new ModulePrunedLayer("count", layer, new PruneSettings(Granularity.Weight, 0)).Weight.numel();

    /// <summary>Each pruned layer's name is a <c>named_modules()</c> path of the model, and that path holds the very layer.</summary>
    public static void AssertNamesAreModulePaths(nn.Module model, IPrunableModule pruning)
    {
        var modules = NamedModules(model);
        foreach (var layer in pruning.PrunedLayers)
        {
            Assert.True(modules.TryGetValue(layer.Name, out var module), $"'{layer.Name}' is not a named_modules() path.");
            Assert.Same(module, layer.Layer);
        }

        Assert.Equal(pruning.PrunedLayers.Count, pruning.PrunedLayers.Select(layer => layer.Layer).Distinct(ReferenceEqualityComparer.Instance).Count());
    }

    /// <summary>The share of conv/linear weight elements (the output layer excepted) that the tree masks.</summary>
    public static double Coverage(nn.Module model, PruningTree tree)
    {
        var candidates = PrunableModules(model).Where(entry => entry.Name != tree.OutputLayerName).ToList();
        var pruned = tree.PrunedLayers.Select(layer => layer.Layer).ToHashSet(ReferenceEqualityComparer.Instance);
        var total = candidates.Sum(entry => WeightElements(entry.Module));
        var covered = candidates.Where(entry => pruned.Contains(entry.Module)).Sum(entry => WeightElements(entry.Module));
        return covered / (double)total;
    }

    /// <summary>
    /// The tree's masks (already computed) equal <see cref="PrunedLayer.UpdateMask()"/> run layer by layer on
    /// <paramref name="copy"/>, a model with the same weights: same layers found, same settings, same masks.
    /// </summary>
    public static void AssertMasksEqualOneLayerPath(IPrunableModule tree, nn.Module copy)
    {
        var modules = NamedModules(copy);
        foreach (var layer in tree.PrunedLayers)
        {
            var single = new ModulePrunedLayer(layer.Name, modules[layer.Name], layer.Settings);
            single.UpdateMask();
            Assert.True(Mask(single).SequenceEqual(Mask(layer)), $"Layer '{layer.Name}': the tree's mask differs from the one-layer path's.");
            Assert.InRange(Mask(layer).Count(value => value == 0f), 1, int.MaxValue);
        }
    }

    /// <summary>The tree's global masks (already computed) equal <see cref="PrunedLayer.ComputeGlobalMasks"/> over the same layers of <paramref name="copy"/>.</summary>
    public static void AssertGlobalMasksEqual(PruningTree tree, nn.Module copy, double sparsity)
    {
        var modules = NamedModules(copy);
        var layers = tree.PrunedLayers.Select(layer => (PrunedLayer)new ModulePrunedLayer(layer.Name, modules[layer.Name], layer.Settings)).ToList();
        PrunedLayer.ComputeGlobalMasks(layers, sparsity);
        for (var index = 0; index < layers.Count; index++)
        {
            Assert.True(Mask(layers[index]).SequenceEqual(Mask(tree.PrunedLayers[index])), $"Layer '{layers[index].Name}': the tree's global mask differs from ComputeGlobalMasks'.");
        }

        var report = tree.GetSparsityReport();
        var groups = report.Layers.Sum(layer => layer.Groups);
        Assert.Equal(Math.Round(sparsity * groups, MidpointRounding.ToEven), report.Layers.Sum(layer => layer.PrunedGroups));
    }

    /// <summary>Pruned weights are exactly zero after <see cref="IPrunableModule.ApplyMasks"/>.</summary>
    public static void AssertMaskedWeightsAreZero(IPrunableModule pruning)
    {
        foreach (var layer in pruning.PrunedLayers)
        {
            var weights = layer.Weight.data<float>().ToArray();
            var mask = Mask(layer);
            Assert.All(Enumerable.Range(0, mask.Length).Where(index => mask[index] == 0f), index => Assert.Equal(0f, weights[index]));
        }
    }

    /// <summary>The model's pruned layers but those under <paramref name="unregisteredPrefix"/> (a plain array's, which are in no named_modules()).</summary>
    public static IPrunableModule RegisteredLayers(IPrunableModule model, string unregisteredPrefix) =>
        new LayerList(model.PrunedLayers.Where(layer => !layer.Name.StartsWith(unregisteredPrefix, StringComparison.Ordinal)).ToList());

    private sealed class LayerList(IReadOnlyList<PrunedLayer> layers) : IPrunableModule
    {
        public IReadOnlyList<PrunedLayer> PrunedLayers => layers;

        public PruningScope PruningScope => PruningScope.Local;

        public void ApplyMasks() => throw new NotSupportedException();

        public void ComputeMasks() => throw new NotSupportedException();

        public PruningReport GetSparsityReport() => throw new NotSupportedException();
    }
}
