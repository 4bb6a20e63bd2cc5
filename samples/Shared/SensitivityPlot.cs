using System.Collections.Generic;
using System.Linq;
using PruneSharp.Training;

namespace PruneSharp.Samples;

/// <summary>Plots sensitivity scans (<see cref="SensitivityScan"/>): one line per scanned layer, score against the layer's sparsity.</summary>
public static class SensitivityPlot
{
    /// <summary>
    /// Saves the curves of <paramref name="scans"/> (labelled scans, e.g. one per granularity) as a PNG: each layer's
    /// score from its baseline at sparsity 0 to the grid's last sparsity, both in percent.
    /// </summary>
    /// <returns>The full path of the PNG.</returns>
    public static string Save(string path, string title, string scoreLabel, IEnumerable<(string Label, SensitivityResult Scan)> scans) =>
        Plots.SaveLines(path, title, "sparsity of the layer (%)", scoreLabel, scans.SelectMany(entry => entry.Scan.Layers.Select(layer => new Series(
            $"{layer.LayerName} ({entry.Label})",
            new[] { 0.0 }.Concat(layer.Sparsities.Select(sparsity => sparsity * 100)).ToArray(),
            new[] { entry.Scan.BaselineScore * 100 }.Concat(layer.Scores.Select(score => score * 100)).ToArray()))));
}
