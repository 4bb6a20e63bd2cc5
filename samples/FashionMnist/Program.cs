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

// Trains a small CNN on Fashion-MNIST, then prunes copies of it while fine-tuning them to 50 %, 70 % and 90 %
// sparsity, at Filter granularity (structured) and at Weight granularity (unstructured), with two recipes: the plain
// one (AGP, a small constant learning rate, every layer at the target) and the improved one (a one-cycle learning
// rate, knowledge distillation from the fine-tuned dense model, LAMP's per-layer sparsities). It prints and plots
// test accuracy against sparsity, and a sensitivity scan of each layer.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 120;   // a log or pipe has no width of its own
var options = RunOptions.Parse(args);
if (options is null) return 2;

var clock = Stopwatch.StartNew();
manual_seed(options.Seed);
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

var validationStart = trainSet.Count - RunOptions.ValidationImages;
using var trainImages = Data.Images(trainSet, 0, Math.Min(options.TrainImages, validationStart));
using var trainLabels = Data.Labels(trainSet, 0, Math.Min(options.TrainImages, validationStart));
using var validationImages = Data.Images(trainSet, validationStart, RunOptions.ValidationImages);
using var validationLabels = Data.Labels(trainSet, validationStart, RunOptions.ValidationImages);
using var testImages = Data.Images(testSet, 0, testSet.Count);
using var testLabels = Data.Labels(testSet, 0, testSet.Count);
var recipes = new[] { options.Plain }.OfType<Recipe>().Concat(options.Improved).ToArray();
AnsiConsole.MarkupLine(CultureInfo.InvariantCulture,
    "[bold]Fashion-MNIST[/] from {0}: training on {1:N0} images, validating on {2:N0} others, testing on {3:N0}; {4} dense epochs, batch {5}, {6} threads, seed {7}.{8}",
    Markup.Escape(options.DataDirectory), trainImages.shape[0], validationImages.shape[0], testImages.shape[0], options.DenseEpochs,
    RunOptions.BatchSize, get_num_threads(), options.Seed, options.Long ? string.Empty : " (the short run: pass --long for all images and more epochs)");
foreach (var recipe in recipes) AnsiConsole.MarkupLine("Recipe [bold]{0}[/]: {1}.", Markup.Escape(recipe.Name), Markup.Escape(recipe.ToString()));

// 1. Dense training.
var denseRate = LearningRateSchedule.Constant(RunOptions.DenseLearningRate);
using var dense = new WeightPrunedCnn();
Training.Train(dense, trainImages, trainLabels, options.DenseEpochs, new Phase(denseRate), "dense training");
var pretrainedAccuracy = Training.Accuracy(dense, testImages, testLabels);
AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "Dense model: test accuracy [bold]{0:P2}[/].", pretrainedAccuracy);
var denseState = dense.state_dict().ToDictionary(entry => entry.Key, entry => entry.Value.detach().clone());

// 2. The baseline: the dense model fine-tuned as long as the pruned ones, without pruning, with each recipe's
//    learning-rate schedule; the better of them is the baseline every run is compared with.
//    Every fine-tuning phase (these and the pruning runs) starts from the same seed, so all see the same batches.
var fineTuningSeed = (options.Seed * 7919L) + 1;
var baselines = new List<(string Name, int Epochs, double Accuracy)>();
var fineTuned = new Dictionary<(string Rate, int Epochs), WeightPrunedCnn>();
foreach (var group in recipes.GroupBy(recipe => (Rate: RecoveryRateOf(recipe).ToString(), recipe.Epochs)))
{
    var copy = new WeightPrunedCnn();
    copy.load_state_dict(denseState);
    manual_seed(fineTuningSeed);
    Training.Train(copy, trainImages, trainLabels, group.Key.Epochs, new Phase(RecoveryRateOf(group.First())), $"dense fine-tuning ({group.Key.Rate})");
    baselines.Add((group.Key.Rate, group.Key.Epochs, Training.Accuracy(copy, testImages, testLabels)));
    fineTuned[group.Key] = copy;
    AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "Dense model fine-tuned {0} epochs without pruning ({1}): test accuracy [bold]{2:P2}[/].", group.Key.Epochs, Markup.Escape(group.Key.Rate), baselines[^1].Accuracy);
}

// A run is compared with the best dense model fine-tuned for as many epochs.
double BaselineFor(Recipe recipe) => baselines.Where(entry => entry.Epochs == recipe.Epochs).Max(entry => entry.Accuracy);

// 3. A sensitivity scan of each layer on validation images: the plot, and the allocation of the recipes that use it.
var grid = new[] { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95 };
var scanClock = Stopwatch.StartNew();
var scans = new Dictionary<Granularity, SensitivityResult>();
foreach (var granularity in new[] { Granularity.Filter, Granularity.Weight })
{
    using var model = NewModel(granularity);
    model.load_state_dict(denseState);
    var scan = SensitivityScan.Run(((IPrunableModule)model).PrunedLayers, grid, () => Training.Accuracy(model, validationImages, validationLabels));
    scans[granularity] = scan;
}

AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "Sensitivity scans of {0} layers at {1} sparsities on the validation images: {2:F1} s.",
    scans.Values.Sum(scan => scan.Layers.Count), grid.Length, scanClock.Elapsed.TotalSeconds);

var sensitivityPlot = SensitivityPlot.Save(Path.Combine(options.OutputDirectory, "sensitivity.png"),
    "Sensitivity: validation accuracy with one layer pruned", "validation accuracy (%)", scans.Select(entry => (entry.Key.ToString(), entry.Value)));

// 4. Pruning while fine-tuning: every run starts from the dense weights.
using var teacher = new WeightPrunedCnn();
teacher.load_state_dict(denseState);
var results = new List<RunResult>();
foreach (var (granularity, target) in RunOptions.AllRuns)
{
    if (options.Only is { } only && !only.Contains(RunOptions.RunName(granularity, target))) continue;
    foreach (var recipe in recipes)
    {
        using var model = NewModel(granularity);
        model.load_state_dict(denseState);
        var prunable = (IPrunableModule)model;
        var allocation = recipe.Allocation switch
        {
            Allocation.Lamp => Lamp.Allocate(prunable.PrunedLayers, target),
            Allocation.Sensitivity => scans[granularity].Allocate(target),
            _ => null,
        };
        using var sparsifier = new Sparsifier(prunable, layer => SparsitySchedule.Create(Schedule.Agp, allocation?.SparsityOf(layer) ?? target, start: 0.0, end: recipe.ScheduleEnd)) { UpdateEvery = 10 };
        var phase = new Phase(
            RecoveryRateOf(recipe),
            sparsifier,
            recipe.DistillationWeight > 0 ? new KnowledgeDistillation(TeacherOf(recipe), recipe.Temperature, recipe.DistillationWeight) : null,
            recipe.LassoStrength > 0 ? new GroupLasso(prunable.PrunedLayers, recipe.LassoStrength) : null);
        var label = $"{recipe.Name}: {granularity} → {target:P0}";
        var runClock = Stopwatch.StartNew();
        manual_seed(fineTuningSeed);
        Training.Train(model, trainImages, trainLabels, recipe.Epochs, phase, label);
        var accuracy = Training.Accuracy(model, testImages, testLabels);
        var report = prunable.GetSparsityReport();
        results.Add(new RunResult(granularity, target, recipe.Name, report.OverallSparsity, accuracy, string.Join(" / ", report.Layers.Select(layer => layer.MeasuredSparsity.ToString("P0", CultureInfo.InvariantCulture)))));
        AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "{0}: test accuracy [bold]{1:P2}[/] ({2:+0.00;-0.00} pt), layers {3}, {4:F0} s.",
            Markup.Escape(label), accuracy, (accuracy - BaselineFor(recipe)) * 100, results[^1].LayerSparsities, runClock.Elapsed.TotalSeconds);
        if (target == 0.9 && recipe == options.Improved[0])
        {
            AnsiConsole.Write(SparsityTable.Create(report, $"{granularity} granularity at {target:P0}, {recipe.Name} recipe: per-layer sparsity"));
            if (model is WeightPrunedCnn weightModel) Checkpoints.Demonstrate(weightModel, accuracy, testImages, testLabels, options.OutputDirectory);
        }
    }
}

// 5. The table and the plots.
var table = new Table().Title(FormattableString.Invariant($"[bold]Test accuracy against sparsity (seed {options.Seed})[/]"));
table.AddColumn(new TableColumn("granularity"));
table.AddColumn(new TableColumn("target").RightAligned());
foreach (var recipe in recipes)
{
    table.AddColumn(new TableColumn($"{Markup.Escape(recipe.Name)}: layers").RightAligned());
    table.AddColumn(new TableColumn($"{Markup.Escape(recipe.Name)}: accuracy").RightAligned());
    table.AddColumn(new TableColumn("vs baseline").RightAligned());
}

table.AddRow(new[] { "dense (baseline)", "0 %" }.Concat(recipes.SelectMany(recipe => new[] { string.Empty, BaselineFor(recipe).ToString("P2", CultureInfo.InvariantCulture), string.Empty })).ToArray());
foreach (var run in results.GroupBy(result => (result.Granularity, result.Target)))
{
    var cells = new List<string> { run.Key.Granularity.ToString(), run.Key.Target.ToString("P0", CultureInfo.InvariantCulture) };
    foreach (var recipe in recipes)
    {
        var result = run.Single(entry => entry.Recipe == recipe.Name);
        cells.Add(result.LayerSparsities);
        cells.Add(result.Accuracy.ToString("P2", CultureInfo.InvariantCulture));
        cells.Add(((result.Accuracy - BaselineFor(recipe)) * 100).ToString("+0.00' pt';-0.00' pt'", CultureInfo.InvariantCulture));
    }

    table.AddRow(cells.ToArray());
}

AnsiConsole.Write(table);
AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "Baseline: the dense model fine-tuned for the same {0} epochs without pruning ({1}); layers: conv1 / conv2 / fc1 measured sparsity; every row's overall sparsity is its target within one group.",
    options.Improved[0].Epochs, Markup.Escape(string.Join(", ", baselines.Select(entry => FormattableString.Invariant($"{entry.Name}, {entry.Epochs} epochs: {entry.Accuracy:P2}")))));
var series = results.GroupBy(result => (result.Granularity, result.Recipe)).Select(group => new Series(
    $"{group.Key.Granularity}, {group.Key.Recipe}",
    new[] { 0.0 }.Concat(group.Select(result => result.MeasuredSparsity * 100)).ToArray(),
    new[] { BaselineFor(recipes.First(recipe => recipe.Name == group.Key.Recipe)) * 100 }.Concat(group.Select(result => result.Accuracy * 100)).ToArray()));
var accuracyPlot = Plots.SaveLines(Path.Combine(options.OutputDirectory, "accuracy-vs-sparsity.png"),
    "Fashion-MNIST: test accuracy against sparsity", "sparsity of the pruned layers (%)", "test accuracy (%)", series);
var schedulePlot = Plots.SaveLines(Path.Combine(options.OutputDirectory, "schedules.png"),
    "Sparsity schedules to 90 % over [0.1, 0.8]", "training progress", "sparsity", Enum.GetValues<Schedule>().Select(schedule =>
    {
        var sparsitySchedule = SparsitySchedule.Create(schedule, 0.9, 0.1, 0.8, steps: 3);
        var progress = Enumerable.Range(0, 201).Select(step => step / 200.0).ToArray();
        return new Series(schedule.ToString(), progress, progress.Select(sparsitySchedule.SparsityAt).ToArray());
    }));
AnsiConsole.MarkupLine("Plots: {0}, {1}, {2}", Markup.Escape(accuracyPlot), Markup.Escape(sensitivityPlot), Markup.Escape(schedulePlot));
AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "Done in {0:F0} s.", clock.Elapsed.TotalSeconds);
foreach (var tensor in denseState.Values) tensor.Dispose();
foreach (var model in fineTuned.Values) model.Dispose();
return 0;

// The distillation teacher: the dense model the runs start from, or the recipe's fine-tuned baseline.
nn.Module<Tensor, Tensor> TeacherOf(Recipe recipe) =>
    recipe.Teacher == Teacher.Baseline ? fineTuned[(RecoveryRateOf(recipe).ToString(), recipe.Epochs)] : teacher;

// The recovery phase's learning rate: constant, rewound (the dense training's constant rate replayed), or one cycle.
LearningRateSchedule RecoveryRateOf(Recipe recipe) => recipe.Rate switch
{
    RecoveryRate.Rewind => denseRate.RewoundTo(recipe.RewindPoint),
    RecoveryRate.OneCycle => LearningRateSchedule.OneCycle(recipe.LearningRate),
    _ => LearningRateSchedule.Constant(recipe.LearningRate),
};

static nn.Module<Tensor, Tensor> NewModel(Granularity granularity) =>
    granularity == Granularity.Filter ? new FilterPrunedCnn() : new WeightPrunedCnn();

internal sealed record RunResult(Granularity Granularity, double Target, string Recipe, double MeasuredSparsity, double Accuracy, string LayerSparsities);
