using System;
using System.Globalization;
using PruneSharp;
using PruneSharp.Samples.QuickStart;
using Spectre.Console;
using static TorchSharp.torch;

// Prunes a small CNN once, as its [Prune] attributes declare, and prints what each layer's mask removed.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 120;   // a log or pipe has no width of its own

manual_seed(0);
using var model = new SmallCnn();
using var images = randn(8, 1, 28, 28);
using var before = model.forward(images);

model.ComputeMasks();   // scores every group, ranks, and stores each mask with its layer
model.ApplyMasks();     // multiplies the weights by their masks

using var after = model.forward(images);
var report = model.GetSparsityReport();

var table = new Table().Title("[bold]PruneSharp quick start: one-shot magnitude pruning[/]");
foreach (var header in new[] { "layer", "kind", "weight shape", "granularity", "dims", "groups pruned", "target", "measured" })
{
    table.AddColumn(new TableColumn(header));
}

foreach (var layer in report.Layers)
{
    Granularities.TryGetReducedDims(layer.Kind, layer.Granularity, out var dims);
    table.AddRow(
        layer.Name,
        layer.Kind.ToString(),
        Markup.Escape("[" + string.Join(", ", layer.Shape) + "]"),
        layer.Granularity.ToString(),
        dims.ToString(),
        $"{layer.PrunedGroups} / {layer.Groups}",
        layer.TargetSparsity.ToString("P1", CultureInfo.InvariantCulture),
        layer.MeasuredSparsity.ToString("P1", CultureInfo.InvariantCulture));
}

AnsiConsole.Write(table);
AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "Pruned layers: {0:N0} weights, {1:N0} masked ({2:P1}).", report.TotalWeights, report.MaskedWeights, report.OverallSparsity);
using var change = (after - before).abs().max();
AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "Largest change of a logit on a random batch after pruning: {0:F4}", change.item<float>());
