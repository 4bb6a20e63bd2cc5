using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using PruneSharp.Samples;
using PruneSharp.Samples.ResNetFashion;
using Spectre.Console;
using static TorchSharp.torch;

// A ResNet written the way TorchSharp users write it, [Prune] once at the top, on Fashion-MNIST: trained dense, pruned
// to 50 % of its filters (global scope, AGP) while fine-tuning with a Sparsifier, masked, compacted; parameters, test
// accuracy and CPU latency at each stage, and what Compact() could and could not remove, for two declarations.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 140;   // a log or pipe has no width of its own
var options = RunOptions.Parse(args);
if (options is null) return 2;
var settings = options.Settings;

var clock = Stopwatch.StartNew();
manual_seed(0);
ImageSet trainSet, testSet;
try
{
    trainSet = FashionMnistReader.Load(options.DataDirectory, train: true);
    testSet = FashionMnistReader.Load(options.DataDirectory, train: false);
}
catch (DatasetException exception)
{
    AnsiConsole.MarkupLine("[red]Cannot read Fashion-MNIST:[/] {0}", Markup.Escape(exception.Message));
    return 1;
}

using var data = FashionData.From(trainSet, testSet, settings);
AnsiConsole.MarkupLine(CultureInfo.InvariantCulture,
    "[bold]Fashion-MNIST[/] from {0}: training on {1:N0} of {2:N0} images, testing on {3:N0}. ResNet of width {4} ({4}/{5}/{6} channels, {7} blocks per stage); {8} dense epochs, then {9} epoch(s) of fine-tuning for each pruned model and for the dense baseline, batch {10}; training on {11} threads.{12}",
    Markup.Escape(options.DataDirectory), data.TrainImages.shape[0], trainSet.Count, data.TestImages.shape[0], settings.Width, settings.Width * 2, settings.Width * 4,
    settings.BlocksPerStage, settings.DenseEpochs, settings.PruneEpochs, settings.BatchSize, get_num_threads(), options.Long ? string.Empty : " (the short run: --long for all images)");
foreach (var type in Experiment.PrunedModels)
{
    AnsiConsole.MarkupLine("  [bold]{0}[/]: [[Prune({1})]]", type.Name, Markup.Escape(Experiment.Describe(type)));
}

ExperimentResult result = null!;
AnsiConsole.Progress()
    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
    .Start(context => result = Experiment.Run(settings, data, (label, steps) =>
    {
        var task = context.AddTask(Markup.Escape(label), maxValue: steps);
        return () => task.Increment(1);
    }));

AnsiConsole.Write(ResultTables.Summary(result));
AnsiConsole.MarkupLine(CultureInfo.InvariantCulture,
    "MMAC: millions of multiply-accumulates of one image's forward pass in the convolutions and the classifier. Latency: median of {0} forward passes after {1} warm-up passes, eval mode, no_grad, on {2} torch thread(s); {3}.",
    settings.LatencyRuns, settings.LatencyWarmup, settings.LatencyThreads, Markup.Escape(LoadWhileMeasuring(result)));

var outputsMatch = true;
foreach (var run in result.Pruned)
{
    AnsiConsole.WriteLine();
    var expected = Math.Round(0.5 * run.Filters, MidpointRounding.ToEven);
    AnsiConsole.MarkupLine(CultureInfo.InvariantCulture,
        "[bold]{0}[/]: the masks remove {1} of the {2} filters of its {3} pruned layers ({4:P1}; the global target is round(50 % × {2}) = {5}), {6:P1} of their weights; {7} layer mask updates.",
        run.Name, run.PrunedFilters, run.Filters, run.Sparsity.Layers.Count, run.PrunedFilters / (double)run.Filters, expected, run.Sparsity.OverallSparsity, run.MaskUpdates);
    AnsiConsole.Write(ResultTables.Compaction(run));
    foreach (var note in run.Compaction.Notes) AnsiConsole.MarkupLine("  [grey]•[/] {0}", Markup.Escape(note));

    var zeroFilters = run.Compaction.Layers.Where(layer => run.PrunedFiltersByLayer.ContainsKey(layer.Name)).Sum(layer => ResultTables.ZeroFiltersLeft(layer, run.PrunedFiltersByLayer[layer.Name]));
    AnsiConsole.MarkupLine(CultureInfo.InvariantCulture,
        "Compact() removed {0} of the {1} pruned filters; {2} stay in the compacted model as zero filters{3}.",
        run.PrunedFilters - zeroFilters, run.PrunedFilters, zeroFilters,
        zeroFilters == 0 ? string.Empty : ": they write the residual stream, whose channels go only where every layer adding to it prunes them, so they cost accuracy in the masked model and still cost time in the compacted one");
    AnsiConsole.MarkupLine(CultureInfo.InvariantCulture,
        run.OutputsMatch
            ? "[green]Check passed[/]: the compacted model's logits on the {0:N0} test images equal the masked model's within {1:0e0} (max |difference| {2:0.0e0})."
            : "[red]Check failed[/]: the compacted model's logits on the {0:N0} test images differ from the masked model's by up to {2:0.0e0}, more than {1:0e0}.",
        data.TestImages.shape[0], ExperimentSettings.OutputTolerance, run.MaxOutputDifference);
    outputsMatch &= run.OutputsMatch;
}

AnsiConsole.WriteLine();
AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "Done in {0:F0} s.", clock.Elapsed.TotalSeconds);
return outputsMatch ? 0 : 1;

// The load average while latency was measured: other processes share the cores, and the numbers mean less under load.
static string LoadWhileMeasuring(ExperimentResult result)
{
    var loads = new[] { result.Dense }.Concat(result.Pruned.SelectMany(run => new[] { run.Masked, run.Compacted })).Select(measurement => measurement.Latency.LoadAverage).ToList();
    return loads.Any(double.IsNaN)
        ? "the load average is not known on this system"
        : string.Format(CultureInfo.InvariantCulture, "1-minute load average {0:F2} to {1:F2} on {2} cores while measuring", loads.Min(), loads.Max(), Environment.ProcessorCount);
}
