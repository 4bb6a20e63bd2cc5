using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using PruneSharp;
using PruneSharp.Samples;
using PruneSharp.Samples.FashionMnist;
using PruneSharp.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

// Trains a small CNN on Fashion-MNIST, then prunes copies of it while fine-tuning them with AGP schedules to 50 %,
// 70 % and 90 % sparsity, at Filter granularity (structured) and at Weight granularity (unstructured), and prints
// and plots test accuracy against sparsity.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 120;   // a log or pipe has no width of its own
var options = RunOptions.Parse(args);
if (options is null) return 2;

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

using var trainImages = Data.Images(trainSet, options.TrainImages);
using var trainLabels = Data.Labels(trainSet, options.TrainImages);
using var testImages = Data.Images(testSet, testSet.Count);
using var testLabels = Data.Labels(testSet, testSet.Count);
AnsiConsole.MarkupLine(CultureInfo.InvariantCulture,
    "[bold]Fashion-MNIST[/] from {0}: training on {1:N0} of {2:N0} images, testing on {3:N0}; {4} dense epochs, {5} pruning epochs per run, batch {6}, {7} threads.{8}",
    Markup.Escape(options.DataDirectory), trainImages.shape[0], trainSet.Count, testImages.shape[0], options.DenseEpochs, options.PruneEpochs,
    RunOptions.BatchSize, get_num_threads(), options.Long ? string.Empty : " (the short run: pass --long for all images and more epochs)");

// 1. Dense training.
using var dense = new WeightPrunedCnn();
Training.Train(dense, trainImages, trainLabels, options.DenseEpochs, RunOptions.DenseLearningRate, sparsifier: null, "dense training");
var pretrainedAccuracy = Training.Accuracy(dense, testImages, testLabels);
AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "Dense model: test accuracy [bold]{0:P2}[/].", pretrainedAccuracy);
var denseState = dense.state_dict().ToDictionary(entry => entry.Key, entry => entry.Value.detach().clone());

// The baseline: the dense model fine-tuned as long as the pruned ones, without pruning.
Training.Train(dense, trainImages, trainLabels, options.PruneEpochs, RunOptions.PruneLearningRate, sparsifier: null, "dense fine-tuning (baseline)");
var denseAccuracy = Training.Accuracy(dense, testImages, testLabels);
AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "Dense baseline, fine-tuned without pruning: test accuracy [bold]{0:P2}[/].", denseAccuracy);

// 2. Pruning while fine-tuning: every run starts from the dense weights. AGP reaches the target at 70 % of the run;
//    the last 30 % fine-tunes at the target. Masks are recomputed every 10 steps and applied after every step.
var targets = new[] { 0.5, 0.7, 0.9 };
var results = new List<RunResult>();
foreach (var granularity in new[] { Granularity.Filter, Granularity.Weight })
{
    foreach (var target in targets)
    {
        using nn.Module<Tensor, Tensor> model = granularity == Granularity.Filter ? new FilterPrunedCnn() : new WeightPrunedCnn();
        model.load_state_dict(denseState);
        var prunable = (IPrunableModule)model;
        using var sparsifier = new Sparsifier(prunable, _ => SparsitySchedule.Create(Schedule.Agp, target, start: 0.0, end: 0.7)) { UpdateEvery = 10 };
        Training.Train(model, trainImages, trainLabels, options.PruneEpochs, RunOptions.PruneLearningRate, sparsifier, $"{granularity} → {target:P0}");
        var accuracy = Training.Accuracy(model, testImages, testLabels);
        var report = prunable.GetSparsityReport();
        results.Add(new RunResult(granularity, target, report.OverallSparsity, accuracy));
        AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "{0} at {1:P0}: test accuracy [bold]{2:P2}[/], {3:N0} mask updates.", granularity, target, accuracy, sparsifier.MaskUpdates);
        if (target == targets[^1])
        {
            AnsiConsole.Write(SparsityTable.Create(report, $"{granularity} granularity at {target:P0}: per-layer sparsity"));
            if (model is WeightPrunedCnn weightModel) Checkpoints.Demonstrate(weightModel, accuracy, testImages, testLabels, options.OutputDirectory);
        }
    }
}

// 3. The table and the plots.
var table = new Table().Title("[bold]Test accuracy against sparsity (AGP, fine-tuned)[/]");
foreach (var header in new[] { "granularity", "target", "measured sparsity", "test accuracy", "vs baseline" })
{
    table.AddColumn(new TableColumn(header).RightAligned());
}

table.AddRow("dense (baseline)", "0 %", "0.0 %", denseAccuracy.ToString("P2", CultureInfo.InvariantCulture), string.Empty);
foreach (var result in results)
{
    table.AddRow(
        result.Granularity.ToString(),
        result.Target.ToString("P0", CultureInfo.InvariantCulture),
        result.MeasuredSparsity.ToString("P1", CultureInfo.InvariantCulture),
        result.Accuracy.ToString("P2", CultureInfo.InvariantCulture),
        ((result.Accuracy - denseAccuracy) * 100).ToString("+0.00' pt';-0.00' pt'", CultureInfo.InvariantCulture));
}

AnsiConsole.Write(table);
var series = results.GroupBy(result => result.Granularity).Select(group => new Series(
    group.Key.ToString(),
    new[] { 0.0 }.Concat(group.Select(result => result.MeasuredSparsity * 100)).ToArray(),
    new[] { denseAccuracy * 100 }.Concat(group.Select(result => result.Accuracy * 100)).ToArray()));
var accuracyPlot = Plots.SaveLines(Path.Combine(options.OutputDirectory, "accuracy-vs-sparsity.png"),
    "Fashion-MNIST: test accuracy against sparsity", "sparsity of the pruned layers (%)", "test accuracy (%)", series);
var schedulePlot = Plots.SaveLines(Path.Combine(options.OutputDirectory, "schedules.png"),
    "Sparsity schedules to 90 % over [0.1, 0.8]", "training progress", "sparsity", Enum.GetValues<Schedule>().Select(schedule =>
    {
        var sparsitySchedule = SparsitySchedule.Create(schedule, 0.9, 0.1, 0.8, steps: 3);
        var progress = Enumerable.Range(0, 201).Select(step => step / 200.0).ToArray();
        return new Series(schedule.ToString(), progress, progress.Select(sparsitySchedule.SparsityAt).ToArray());
    }));
AnsiConsole.MarkupLine("Plots: {0}, {1}", Markup.Escape(accuracyPlot), Markup.Escape(schedulePlot));
AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "Done in {0:F0} s.", clock.Elapsed.TotalSeconds);
foreach (var tensor in denseState.Values) tensor.Dispose();
return 0;

internal sealed record RunResult(Granularity Granularity, double Target, double MeasuredSparsity, double Accuracy);
