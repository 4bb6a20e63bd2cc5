using PruneSharp.Samples;
using PruneSharp.Samples.ResNetFashion;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// The real-model sample (samples/ResNetFashion) end to end on a tiny configuration: a few hundred Fashion-MNIST images,
/// one short epoch of dense training and one of pruning per model, a ResNet of width 4. Both pruned declarations reach
/// the global target through the Sparsifier, Compact() keeps the masked model's outputs, shrinks the model, and its
/// report lists every layer and says why pruned filters stay.
/// </summary>
public sealed class ResNetFashionTests(ITestOutputHelper output)
{
    private static readonly ExperimentSettings Tiny = new(
        Width: 4, BlocksPerStage: 1, TrainImages: 320, TestImages: 200, DenseEpochs: 1, PruneEpochs: 1, BatchSize: 32,
        DenseLearningRate: 2e-3, PruneLearningRate: 1e-3, UpdateEvery: 2, LatencyThreads: 1, LatencyWarmup: 1, LatencyRuns: 3);

    private static readonly Lazy<ExperimentResult> Result = new(() =>
    {
        manual_seed(7);
        var train = FashionMnistReader.Load(FashionMnistReader.DefaultDirectory, train: true);
        var test = FashionMnistReader.Load(FashionMnistReader.DefaultDirectory, train: false);
        using var data = FashionData.From(train, test, Tiny);
        return Experiment.Run(Tiny, data);
    });

    /// <summary>Every Conv2d and Linear of the width-4 ResNet with one block per stage, by dotted name.</summary>
    private static readonly string[] Layers =
    [
        "conv1", "layer1.0.conv1", "layer1.0.conv2",
        "layer2.0.conv1", "layer2.0.conv2", "layer2.0.downsample.0",
        "layer3.0.conv1", "layer3.0.conv2", "layer3.0.downsample.0", "fc",
    ];

    [Fact]
    public void Each_declaration_prunes_the_layers_it_names_to_the_global_target()
    {
        var result = Result.Value;
        Assert.Equal(["ResNetAllConvolutions", "ResNetBlockInteriors"], result.Pruned.Select(run => run.Name));
        var (all, interiors) = (result.Pruned[0], result.Pruned[1]);

        // Every convolution (not the classifier), and only each block's conv1.
        Assert.Equal(Layers.Where(name => name != "fc").Order(), all.Sparsity.Layers.Select(layer => layer.Name).Order());
        Assert.Equal(["layer1.0.conv1", "layer2.0.conv1", "layer3.0.conv1"], interiors.Sparsity.Layers.Select(layer => layer.Name).Order());

        // Global scope: round-half-to-even(50 % × all their filters), counted from the masks; the filter counts are the widths'.
        Assert.Equal(4 + 4 + 4 + (3 * 8) + (3 * 16), all.Filters);
        Assert.Equal(4 + 8 + 16, interiors.Filters);
        foreach (var run in result.Pruned)
        {
            Assert.Equal((long)Math.Round(0.5 * run.Filters, MidpointRounding.ToEven), run.PrunedFilters);
            Assert.Equal(run.PrunedFilters, run.PrunedFiltersByLayer.Values.Sum());
            Assert.All(run.Sparsity.Layers, layer => Assert.True(layer.PrunedGroups < layer.Groups, $"{run.Name}: {layer.Name} lost every filter"));
            Assert.True(run.MaskUpdates > 1, $"{run.Name}: the AGP schedule should update the masks more than once, not {run.MaskUpdates}");
        }
    }

    [Fact]
    public void Compaction_keeps_the_masked_outputs_and_shrinks_the_parameter_count()
    {
        var result = Result.Value;
        Assert.Equal(["dense", "masked", "compacted", "masked", "compacted"], new[] { result.Dense }.Concat(result.Pruned.SelectMany(run => new[] { run.Masked, run.Compacted })).Select(measurement => measurement.Stage));
        foreach (var run in result.Pruned)
        {
            Assert.True(run.OutputsMatch, $"{run.Name}: compacted logits differ from the masked model's by {run.MaxOutputDifference:E2}");
            Assert.Equal(result.Dense.Parameters, run.Masked.Parameters);                 // masking zeroes, it removes nothing
            Assert.True(run.Masked.NonZeroParameters < result.Dense.NonZeroParameters, run.Name);
            Assert.Equal(run.Compaction.ParametersBefore, run.Masked.Parameters);
            Assert.Equal(run.Compaction.ParametersAfter, run.Compacted.Parameters);
            Assert.True(run.Compacted.Parameters < run.Masked.Parameters, $"{run.Name}: Compact() removed no parameter");
            Assert.Equal(result.Dense.MultiplyAccumulates, run.Masked.MultiplyAccumulates);
            Assert.True(run.Compacted.MultiplyAccumulates < run.Masked.MultiplyAccumulates, $"{run.Name}: Compact() removed no work");
        }
    }

    [Fact]
    public void The_report_lists_every_layer_and_says_why_pruned_filters_stay()
    {
        foreach (var run in Result.Value.Pruned)
        {
            output.WriteLine($"{run.Name}: {run.PrunedFilters} of {run.Filters} filters pruned; {run.Compaction}");
            var reported = run.Compaction.Layers.Where(layer => layer.Kind is "Conv2d" or "Linear").Select(layer => layer.Name).ToList();
            Assert.Equal(Layers.Order(), reported.Order());

            // A pruned layer whose pruned filters are not all removed has a note with the count that stays.
            foreach (var layer in run.Compaction.Layers.Where(layer => run.PrunedFiltersByLayer.ContainsKey(layer.Name)))
            {
                var pruned = run.PrunedFiltersByLayer[layer.Name];
                var left = ResultTables.ZeroFiltersLeft(layer, pruned);
                Assert.InRange(left, 0, pruned);
                if (left > 0) Assert.Contains(run.Compaction.Notes, note => note.StartsWith($"'{layer.Name}' keeps {left} of its {pruned} pruned output channels: ", StringComparison.Ordinal));
                else Assert.DoesNotContain(run.Compaction.Notes, note => note.StartsWith($"'{layer.Name}'", StringComparison.Ordinal));
            }
        }

        // Excluding the residual-coupled convolutions: every pruned filter leaves the model, and each block's conv2
        // loses the matching inputs.
        var interiors = Result.Value.Pruned[1];
        Assert.Empty(interiors.Compaction.Notes);
        foreach (var (name, pruned) in interiors.PrunedFiltersByLayer)
        {
            var conv1 = interiors.Compaction.Layers.Single(layer => layer.Name == name);
            var conv2 = interiors.Compaction.Layers.Single(layer => layer.Name == name.Replace("conv1", "conv2", StringComparison.Ordinal));
            Assert.Equal(conv1.ShapeBefore[0] - pruned, conv1.ShapeAfter[0]);
            Assert.Equal(conv1.ShapeAfter[0], conv2.ShapeAfter[1]);
        }
    }

    /// <summary>The dense width-4 model's work, counted by hand: each convolution's weights at 28×28 (stem, layer1), 14×14 (layer2) or 7×7 (layer3), and the classifier.</summary>
    [Fact]
    public void Multiply_accumulates_count_each_weight_once_per_output_position()
    {
        using var model = new ResNet(4, 1, 10);
        const long Expected = ((4 * 1 * 9) + (2 * 4 * 4 * 9)) * 28 * 28
            + ((8 * 4 * 9) + (8 * 8 * 9) + (8 * 4)) * 14 * 14
            + ((16 * 8 * 9) + (16 * 16 * 9) + (16 * 8)) * 7 * 7
            + (10 * 16);
        Assert.Equal(Expected, Experiment.MultiplyAccumulates(model));
        Assert.Equal(Expected, Result.Value.Dense.MultiplyAccumulates);
    }

    [Fact]
    public void Describe_reads_the_declaration_back_from_the_class()
    {
        Assert.Equal(
            "Filter 50 %, global scope, Taylor criterion (sum over each filter), Agp over [0, 0.7] of fine-tuning, excluding conv1, layer*.*.conv2, layer*.*.downsample",
            Experiment.Describe(typeof(ResNetBlockInteriors)));
        Assert.Throws<ArgumentException>(() => Experiment.Describe(typeof(ResNet)));
    }
}
