using System.Globalization;
using Spectre.Console;

namespace PruneSharp.Samples;

/// <summary>Prints a model's per-layer sparsity as a Spectre.Console table.</summary>
public static class SparsityTable
{
    /// <summary>A table with one row per pruned layer and a total row.</summary>
    public static Table Create(PruningReport report, string title)
    {
        var table = new Table().Title($"[bold]{Markup.Escape(title)}[/]");
        foreach (var header in new[] { "layer", "kind", "weight shape", "granularity", "groups", "scheduled", "measured" })
        {
            table.AddColumn(new TableColumn(header));
        }

        foreach (var layer in report.Layers)
        {
            table.AddRow(
                Markup.Escape(layer.Name),
                layer.Kind.ToString(),
                Markup.Escape("[" + string.Join(", ", layer.Shape) + "]"),
                layer.Granularity.ToString(),
                layer.Groups.ToString(CultureInfo.InvariantCulture),
                layer.TargetSparsity.ToString("P1", CultureInfo.InvariantCulture),
                layer.MeasuredSparsity.ToString("P1", CultureInfo.InvariantCulture));
        }

        table.AddRow(
            "[bold]all[/]", string.Empty, string.Empty, string.Empty, string.Empty, string.Empty,
            $"[bold]{report.OverallSparsity.ToString("P1", CultureInfo.InvariantCulture)}[/]");
        return table;
    }
}
