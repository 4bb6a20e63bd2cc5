using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using PruneSharp.Compaction;
using PruneSharp.Training;
using static TorchSharp.torch;

namespace PruneSharp.Samples.ResNetFashion;

/// <summary>The sizes of one run of the sample.</summary>
/// <param name="Width">The stem's channels; the stages have 1×, 2× and 4× as many.</param>
/// <param name="BlocksPerStage">Basic blocks in each of the three stages.</param>
/// <param name="TrainImages">Training images used (of 60,000).</param>
/// <param name="TestImages">Test images used (of 10,000).</param>
/// <param name="DenseEpochs">Epochs of dense training.</param>
/// <param name="PruneEpochs">Epochs of fine-tuning while pruning, per pruned model.</param>
/// <param name="BatchSize">Training batch size.</param>
/// <param name="DenseLearningRate">Adam's learning rate in dense training.</param>
/// <param name="PruneLearningRate">Adam's learning rate while pruning.</param>
/// <param name="UpdateEvery">The <see cref="Sparsifier.UpdateEvery"/>: steps between mask updates.</param>
/// <param name="LatencyThreads">Torch intra-op threads while latency is measured.</param>
/// <param name="LatencyWarmup">Forward passes before timing starts.</param>
/// <param name="LatencyRuns">Timed forward passes; the median is reported.</param>
internal sealed record ExperimentSettings(
    int Width,
    int BlocksPerStage,
    int TrainImages,
    int TestImages,
    int DenseEpochs,
    int PruneEpochs,
    int BatchSize,
    double DenseLearningRate,
    double PruneLearningRate,
    int UpdateEvery,
    int LatencyThreads,
    int LatencyWarmup,
    int LatencyRuns)
{
    /// <summary>The largest difference allowed between the compacted model's outputs and the masked model's.</summary>
    public const double OutputTolerance = 1e-5;

    /// <summary>The classes of Fashion-MNIST.</summary>
    public const int Classes = 10;
}

/// <summary>A model at one stage: its size, its test accuracy and its CPU latency.</summary>
/// <param name="Stage">What the model is (dense, masked, compacted).</param>
/// <param name="Parameters">Every parameter element, zeros included.</param>
/// <param name="NonZeroParameters">The parameter elements that are not zero.</param>
/// <param name="MultiplyAccumulates">Multiply-accumulates of one image's forward pass in the convolutions and the classifier (zeros included): the work, independent of the machine's load.</param>
/// <param name="Accuracy">Test accuracy.</param>
/// <param name="Latency">Median forward-pass times.</param>
internal sealed record Measurement(string Stage, long Parameters, long NonZeroParameters, long MultiplyAccumulates, double Accuracy, Latency Latency);

/// <summary>Median wall time of one forward pass, in milliseconds, at batch 1 and at batch 64, and the machine's 1-minute load average when it was measured (NaN where unknown).</summary>
internal sealed record Latency(double Batch1Milliseconds, double Batch64Milliseconds, double LoadAverage);

/// <summary>One pruned model's run: its declaration, the masks it reached, and the model before and after compaction.</summary>
/// <param name="Name">The model class.</param>
/// <param name="Declaration">Its [Prune], read back from the class.</param>
/// <param name="Sparsity">The pruned layers' sparsity after fine-tuning.</param>
/// <param name="PrunedFilters">Filters the masks remove, over all pruned layers.</param>
/// <param name="Filters">Filters of all pruned layers.</param>
/// <param name="PrunedFiltersByLayer">Each pruned layer's filters removed by its mask, by dotted name.</param>
/// <param name="Masked">The fine-tuned model with its masks applied.</param>
/// <param name="Compacted">The same model after <c>Compact()</c>.</param>
/// <param name="Compaction">What <c>Compact()</c> reported.</param>
/// <param name="MaxOutputDifference">The largest |difference| between the compacted and the masked model's test-set logits.</param>
/// <param name="MaskUpdates">The mask updates the sparsifier made.</param>
internal sealed record PrunedRun(
    string Name,
    string Declaration,
    PruningReport Sparsity,
    long PrunedFilters,
    long Filters,
    IReadOnlyDictionary<string, long> PrunedFiltersByLayer,
    Measurement Masked,
    Measurement Compacted,
    CompactionReport Compaction,
    double MaxOutputDifference,
    long MaskUpdates)
{
    /// <summary>Whether compaction kept the outputs within <see cref="ExperimentSettings.OutputTolerance"/>.</summary>
    public bool OutputsMatch => MaxOutputDifference <= ExperimentSettings.OutputTolerance;
}

/// <summary>The whole run: the dense baseline (trained, then fine-tuned as long as the pruned models) and each pruned model.</summary>
internal sealed record ExperimentResult(ExperimentSettings Settings, Measurement Dense, IReadOnlyList<PrunedRun> Pruned);

/// <summary>Fashion-MNIST as tensors: the training and test images and labels the run uses.</summary>
internal sealed record FashionData(Tensor TrainImages, Tensor TrainLabels, Tensor TestImages, Tensor TestLabels) : IDisposable
{
    /// <summary>The first images of each split of <paramref name="train"/> and <paramref name="test"/>.</summary>
    public static FashionData From(ImageSet train, ImageSet test, ExperimentSettings settings) => new(
        FashionMnistTensors.Images(train, settings.TrainImages),
        FashionMnistTensors.Labels(train, settings.TrainImages),
        FashionMnistTensors.Images(test, settings.TestImages),
        FashionMnistTensors.Labels(test, settings.TestImages));

    /// <inheritdoc/>
    public void Dispose()
    {
        TrainImages.Dispose();
        TrainLabels.Dispose();
        TestImages.Dispose();
        TestLabels.Dispose();
    }
}

/// <summary>
/// The sample's code path: trains the ResNet dense, keeps its weights and fine-tunes it further without pruning (the
/// baseline), then, for each pruned declaration, starts from the kept dense weights,
/// prunes while fine-tuning with a <see cref="Sparsifier"/> on the class's global AGP schedule, applies the masks,
/// silences the pruned filters (<c>ZeroPrunedChannels()</c>), measures, compacts in place, checks that the compacted
/// model computes the masked model's outputs, and measures again.
/// </summary>
internal static class Experiment
{
    /// <summary>The pruned model classes the sample compares, in the order it runs them.</summary>
    public static readonly IReadOnlyList<Type> PrunedModels = [typeof(ResNetAllConvolutions), typeof(ResNetBlockInteriors)];

    /// <summary>Runs everything. <paramref name="progress"/>, when given, is told each phase's name and step count, and returns what to call after each step.</summary>
    public static ExperimentResult Run(ExperimentSettings settings, FashionData data, Func<string, long, Action>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(data);
        using var dense = new ResNet(settings.Width, settings.BlocksPerStage, ExperimentSettings.Classes);
        Training.Train(dense, data.TrainImages, data.TrainLabels, settings.DenseEpochs, settings.BatchSize, settings.DenseLearningRate, afterStep: null, progress?.Invoke("dense training", Training.Steps(data.TrainImages, settings.DenseEpochs, settings.BatchSize)));
        var denseState = dense.state_dict().ToDictionary(entry => entry.Key, entry => entry.Value.detach().clone());
        try
        {
            // The baseline: the dense model fine-tuned as long as the pruned ones, without pruning, so that the
            // comparison is of pruning, not of more training.
            Training.Train(dense, data.TrainImages, data.TrainLabels, settings.PruneEpochs, settings.BatchSize, settings.PruneLearningRate, afterStep: null, progress?.Invoke("dense fine-tuning (the baseline)", Training.Steps(data.TrainImages, settings.PruneEpochs, settings.BatchSize)));
            var (denseAccuracy, denseLogits) = Training.Evaluate(dense, data.TestImages, data.TestLabels);
            denseLogits.Dispose();
            var denseMeasurement = Measure("dense", dense, denseAccuracy, settings);

            var pruned = PrunedModels.Select(type => Prune(type, denseState, settings, data, progress)).ToList();
            return new ExperimentResult(settings, denseMeasurement, pruned);
        }
        finally
        {
            foreach (var tensor in denseState.Values) tensor.Dispose();
        }
    }

    /// <summary>The [Prune] of a model class, as a line: granularity, sparsity, scope, schedule, what it excludes.</summary>
    public static string Describe(Type modelType)
    {
        var attribute = modelType.GetCustomAttribute<PruneAttribute>() ?? throw new ArgumentException($"'{modelType.Name}' has no [Prune].", nameof(modelType));
        var text = FormattableString.Invariant($"{attribute.Granularity} {attribute.Sparsity:P0}, {attribute.Scope.ToString().ToLowerInvariant()} scope, {attribute.Criterion} criterion ({attribute.Reducer.ToString().ToLowerInvariant()} over each filter), {attribute.Schedule} over [{attribute.ScheduleStart}, {attribute.ScheduleEnd}] of fine-tuning");
        return attribute.Exclude is { Length: > 0 } exclude ? text + ", excluding " + string.Join(", ", exclude) : text;
    }

    private static PrunedRun Prune(Type type, Dictionary<string, Tensor> denseState, ExperimentSettings settings, FashionData data, Func<string, long, Action>? progress)
    {
        using var model = Create(type, settings);
        model.load_state_dict(denseState);
        var pruning = (IPrunableModule)model;

        // Prune while fine-tuning: the Sparsifier follows the class's global AGP schedule (IPrunableModule.GlobalSettings),
        // ranking every pruned layer's filters together at each update; after each step the pruned filters' BatchNorm
        // and bias go back to zero too, so the model fine-tunes as the compacted one will compute.
        long maskUpdates;
        using (var sparsifier = new Sparsifier(pruning) { UpdateEvery = settings.UpdateEvery })
        {
            var steps = Training.Steps(data.TrainImages, settings.PruneEpochs, settings.BatchSize);
            Training.Train(model, data.TrainImages, data.TrainLabels, settings.PruneEpochs, settings.BatchSize, settings.PruneLearningRate, step =>
            {
                sparsifier.Step(step, steps);
                ZeroPrunedChannels(model);
            }, progress?.Invoke($"{type.Name}: pruning while fine-tuning", steps));
            maskUpdates = sparsifier.MaskUpdates;
        }

        pruning.ApplyMasks();
        ZeroPrunedChannels(model);
        var sparsity = pruning.GetSparsityReport();
        var prunedByLayer = pruning.PrunedLayers.ToDictionary(layer => layer.Name, RemovedFilters);

        var (maskedAccuracy, maskedLogits) = Training.Evaluate(model, data.TestImages, data.TestLabels);
        using (maskedLogits)
        {
            var masked = Measure("masked", model, maskedAccuracy, settings);
            var compaction = Compact(model);
            var (compactedAccuracy, compactedLogits) = Training.Evaluate(model, data.TestImages, data.TestLabels);
            using (compactedLogits)
            {
                var difference = MaxDifference(maskedLogits, compactedLogits);
                var compacted = Measure("compacted", model, compactedAccuracy, settings);
                return new PrunedRun(
                    type.Name, Describe(type), sparsity, sparsity.Layers.Sum(layer => layer.PrunedGroups), sparsity.Layers.Sum(layer => layer.Groups),
                    prunedByLayer, masked, compacted, compaction, difference, maskUpdates);
            }
        }
    }

    private static ResNet Create(Type type, ExperimentSettings settings) => type == typeof(ResNetAllConvolutions)
        ? new ResNetAllConvolutions(settings.Width, settings.BlocksPerStage, ExperimentSettings.Classes)
        : type == typeof(ResNetBlockInteriors)
            ? new ResNetBlockInteriors(settings.Width, settings.BlocksPerStage, ExperimentSettings.Classes)
            : throw new ArgumentOutOfRangeException(nameof(type), type, "not one of the sample's pruned models");

    // Compact() and ZeroPrunedChannels() are generated on each [Prune] class, not on an interface.
    private static void ZeroPrunedChannels(ResNet model)
    {
        switch (model)
        {
            case ResNetAllConvolutions all: all.ZeroPrunedChannels(); break;
            case ResNetBlockInteriors interiors: interiors.ZeroPrunedChannels(); break;
            default: throw new ArgumentException($"'{model.GetType().Name}' is not one of the sample's pruned models.", nameof(model));
        }
    }

    private static CompactionReport Compact(ResNet model) => model switch
    {
        ResNetAllConvolutions all => all.Compact(),
        ResNetBlockInteriors interiors => interiors.Compact(),
        _ => throw new ArgumentException($"'{model.GetType().Name}' is not one of the sample's pruned models.", nameof(model)),
    };

    private static Measurement Measure(string stage, nn.Module<Tensor, Tensor> model, double accuracy, ExperimentSettings settings)
    {
        long parameters = 0, nonZero = 0;
        foreach (var parameter in model.parameters())
        {
            parameters += parameter.numel();
            using var count = parameter.count_nonzero();
            nonZero += count.item<long>();
        }

        var latency = LatencyMeter.Measure(model, settings.LatencyThreads, settings.LatencyWarmup, settings.LatencyRuns);
        return new Measurement(stage, parameters, nonZero, MultiplyAccumulates(model), accuracy, latency);
    }

    /// <summary>
    /// One 28×28 image's multiply-accumulates in the convolutions and the classifier: each weight element once per
    /// output position. In this ResNet the stem and layer1 work at 28×28, layer2 at 14×14 and layer3 at 7×7 (each
    /// stage's first convolution and downsample have the stride).
    /// </summary>
    public static long MultiplyAccumulates(nn.Module model)
    {
        long total = 0;
        foreach (var (name, module) in model.named_modules())
        {
            switch (module)
            {
                case TorchSharp.Modules.Conv2d conv:
                    var side = name.StartsWith("layer2.", StringComparison.Ordinal) ? 14 : name.StartsWith("layer3.", StringComparison.Ordinal) ? 7 : 28;
                    total += conv.weight.numel() * side * side;
                    break;
                case TorchSharp.Modules.Linear linear:
                    total += linear.weight.numel();
                    break;
            }
        }

        return total;
    }

    /// <summary>The filters (output channels) the layer's mask removes entirely.</summary>
    private static long RemovedFilters(PrunedLayer layer)
    {
        using var scope = NewDisposeScope();
        var mask = layer.Mask ?? throw new InvalidOperationException($"'{layer.Name}' has no mask after pruning.");
        return mask.reshape(mask.shape[0], -1).amax(1).eq(0).sum().item<long>();
    }

    private static double MaxDifference(Tensor expected, Tensor actual)
    {
        using var scope = NewDisposeScope();
        return (expected - actual).abs().max().item<float>();
    }
}
