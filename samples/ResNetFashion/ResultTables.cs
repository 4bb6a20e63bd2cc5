using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using PruneSharp.Compaction;
using Spectre.Console;

namespace PruneSharp.Samples.ResNetFashion;

/// <summary>The sample's tables: the models before pruning, after masking and after compaction, and each compaction.</summary>
internal static class ResultTables
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Parameters, test accuracy and latency of the dense model and of each pruned model, masked and compacted.</summary>
    public static Table Summary(ExperimentResult result)
    {
        var table = new Table().Title("[bold]ResNet on Fashion-MNIST: before pruning, after masking, after compaction[/]");
        table.AddColumn("model");
        table.AddColumn("stage");
        foreach (var header in new[] { "parameters", "non-zero", "MMAC / image", "test accuracy", "vs dense", "batch 1 (ms)", "batch 64 (ms)" })
        {
            table.AddColumn(new TableColumn(header).RightAligned());
        }

        var dense = result.Dense;
        table.AddRow(Row(nameof(ResNet), dense, dense));
        foreach (var run in result.Pruned)
        {
            table.AddRow(Row(run.Name, run.Masked, dense));
            table.AddRow(Row(string.Empty, run.Compacted, dense));
        }

        return table;
    }

    /// <summary>
    /// One pruned model's compaction, layer by layer: every Conv2d and Linear that forward reaches, the filters its mask
    /// removes, its weight shape before and after, and how many of its pruned filters are still in the compacted model.
    /// </summary>
    public static Table Compaction(PrunedRun run)
    {
        var table = new Table().Title($"[bold]{Markup.Escape(run.Name)}: what Compact() did[/]");
        table.AddColumn("layer");
        table.AddColumn(new TableColumn("pruned filters").RightAligned());
        table.AddColumn("weight before");
        table.AddColumn("weight after");
        table.AddColumn(new TableColumn("zero filters left").RightAligned());
        foreach (var layer in run.Compaction.Layers.Where(layer => layer.Kind is "Conv2d" or "Linear"))
        {
            var isPruned = run.PrunedFiltersByLayer.TryGetValue(layer.Name, out var pruned);
            var left = isPruned ? ZeroFiltersLeft(layer, pruned) : 0;
            table.AddRow(
                Markup.Escape(layer.Name),
                isPruned ? $"{pruned} / {layer.ShapeBefore[0]}" : "[grey]not pruned[/]",
                Shape(layer.ShapeBefore),
                layer.Shrunk ? $"[green]{Shape(layer.ShapeAfter)}[/]" : $"{Shape(layer.ShapeAfter)} [grey](same)[/]",
                !isPruned ? string.Empty : left == 0 ? "[green]0[/]" : $"[yellow]{left}[/]");
        }

        table.Caption($"parameters {run.Compaction.ParametersBefore.ToString("N0", Invariant)} → {run.Compaction.ParametersAfter.ToString("N0", Invariant)}");
        return table;
    }

    /// <summary>The pruned filters still in the compacted layer (as zeros): pruned by the mask, but not removed.</summary>
    public static long ZeroFiltersLeft(CompactedLayer layer, long prunedFilters) => prunedFilters - (layer.ShapeBefore[0] - layer.ShapeAfter[0]);

    private static string[] Row(string model, Measurement measurement, Measurement dense) =>
    [
        Markup.Escape(model),
        measurement.Stage,
        measurement.Parameters.ToString("N0", Invariant),
        measurement.NonZeroParameters.ToString("N0", Invariant),
        (measurement.MultiplyAccumulates / 1e6).ToString("F2", Invariant),
        measurement.Accuracy.ToString("P2", Invariant),
        ReferenceEquals(measurement, dense) ? string.Empty : ((measurement.Accuracy - dense.Accuracy) * 100).ToString("+0.00' pt';-0.00' pt'", Invariant),
        Milliseconds(measurement.Latency.Batch1Milliseconds, dense.Latency.Batch1Milliseconds, ReferenceEquals(measurement, dense)),
        Milliseconds(measurement.Latency.Batch64Milliseconds, dense.Latency.Batch64Milliseconds, ReferenceEquals(measurement, dense)),
    ];

    private static string Milliseconds(double value, double dense, bool isDense) =>
        value.ToString("F3", Invariant) + (isDense ? string.Empty : $" ({(value / dense).ToString("0.00", Invariant)}×)");

    private static string Shape(IReadOnlyList<long> shape) => Markup.Escape("[" + string.Join(", ", shape) + "]");
}
