using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;

namespace PruneSharp.Samples;

/// <summary>One line of a plot: a name and its points.</summary>
/// <param name="Name">The legend entry.</param>
/// <param name="X">The x values.</param>
/// <param name="Y">The y values, one per x value.</param>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>The samples' PNG plots (ScottPlot).</summary>
public static class Plots
{
    /// <summary>Saves a line plot of <paramref name="series"/> as a PNG of <paramref name="width"/>×<paramref name="height"/> pixels.</summary>
    /// <returns>The full path of the PNG.</returns>
    public static string SaveLines(string path, string title, string xLabel, string yLabel, IEnumerable<Series> series, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(series);
        var plot = new Plot();
        foreach (var line in series)
        {
            if (line.X.Count != line.Y.Count)
            {
                throw new ArgumentException($"Series '{line.Name}' has {line.X.Count} x values and {line.Y.Count} y values.", nameof(series));
            }

            var scatter = plot.Add.Scatter(line.X.ToArray(), line.Y.ToArray());
            scatter.LegendText = line.Name;
            scatter.MarkerSize = line.X.Count > 40 ? 0 : 7;
            scatter.LineWidth = 2;
        }

        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right);   // outside the data, so no line is hidden
        return Save(plot, path, width, height);
    }

    /// <summary>
    /// Saves <paramref name="values"/> (row-major, NaN for gaps) as square cells: 1 (kept) dark blue, 0 (pruned)
    /// light grey, NaN blank.
    /// </summary>
    /// <returns>The full path of the PNG.</returns>
    public static string SaveMask(string path, string title, double[,] values, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(values);
        var plot = new Plot();
        var kept = Color.FromHex("#1F4E79");
        var pruned = Color.FromHex("#D9D9D9");
        int rows = values.GetLength(0), columns = values.GetLength(1);
        for (var row = 0; row < rows; row++)
        {
            for (var column = 0; column < columns; column++)
            {
                var value = values[row, column];
                if (double.IsNaN(value)) continue;
                // Row 0 at the top, as the weight is printed.
                var cell = plot.Add.Rectangle(column, column + 0.92, rows - row - 1, rows - row - 0.08);
                cell.FillColor = value != 0 ? kept : pruned;
                cell.LineWidth = 0;
            }
        }

        plot.Title(title);
        plot.Axes.Title.Label.FontSize = 13;
        plot.Axes.Bottom.IsVisible = false;
        plot.Axes.Left.IsVisible = false;
        plot.Axes.Right.IsVisible = false;
        plot.Axes.Top.IsVisible = false;
        plot.HideGrid();
        plot.Axes.SetLimits(-0.5, columns + 0.5, -0.5, rows + 0.5);
        plot.Axes.SquareUnits();
        return Save(plot, path, width, height);
    }

    private static string Save(Plot plot, string path, int width, int height)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        plot.SavePng(full, width, height);
        return full;
    }
}
