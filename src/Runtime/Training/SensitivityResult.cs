using System;
using System.Collections.Generic;
using System.Linq;

namespace PruneSharp.Training;

/// <summary>One layer's curve of a <see cref="SensitivityScan"/>: the score with only this layer pruned, at each sparsity of the grid.</summary>
/// <param name="LayerName">The layer's dotted name.</param>
/// <param name="Groups">The number of groups of the layer's granularity.</param>
/// <param name="Weights">The number of weight elements.</param>
/// <param name="Sparsities">The grid, as given.</param>
/// <param name="PrunedGroups">The groups pruned at each sparsity of the grid (<c>round-half-to-even(sparsity × Groups)</c>, then <c>RoundTo</c>).</param>
/// <param name="Scores">The evaluation at each sparsity of the grid.</param>
public sealed record LayerSensitivity(string LayerName, long Groups, long Weights, IReadOnlyList<double> Sparsities, IReadOnlyList<long> PrunedGroups, IReadOnlyList<double> Scores);

/// <summary>The result of a <see cref="SensitivityScan"/>: the baseline score and one curve per layer.</summary>
public sealed class SensitivityResult
{
    private readonly LayerSensitivity[] _layers;

    internal SensitivityResult(double baselineScore, double[] sparsities, LayerSensitivity[] layers)
    {
        BaselineScore = baselineScore;
        Sparsities = sparsities;
        _layers = layers;
    }

    /// <summary>The evaluation before any layer was pruned by the scan.</summary>
    public double BaselineScore { get; }

    /// <summary>The grid of sparsities.</summary>
    public IReadOnlyList<double> Sparsities { get; }

    /// <summary>The layers' curves, in the order the layers were given.</summary>
    public IReadOnlyList<LayerSensitivity> Layers => _layers;

    /// <summary>The curve of the layer named <paramref name="layerName"/>.</summary>
    /// <exception cref="ArgumentException">No layer of the scan has that name.</exception>
    public LayerSensitivity this[string layerName] =>
        _layers.FirstOrDefault(layer => layer.LayerName == layerName)
        ?? throw new ArgumentException($"Layer '{layerName}' was not scanned; the scan has {string.Join(", ", _layers.Select(layer => $"'{layer.LayerName}'"))}.", nameof(layerName));

    /// <summary>
    /// Per-layer sparsities that prune <paramref name="targetSparsity"/> of all the scanned layers' weights with the
    /// least predicted drop of the score.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The prediction: pruning several layers costs the sum of their drops (<c>BaselineScore − score</c>) when each is
    /// pruned alone, and between two points of a layer's curve the drop is linear in the weights pruned. Each curve,
    /// with the point (0 weights, drop 0) added, is replaced by its lower convex hull, on which the cheapest weights
    /// per point of score come first. Taking hull segments of all layers in the order of increasing drop per weight
    /// is then optimal for the model (a fractional knapsack); the last segment taken is cut at the whole number of
    /// groups that comes nearest the target. A layer's sparsity never exceeds the largest sparsity of the grid.
    /// <see cref="SparsityAllocation.PredictedScoreDrop"/> is then read off the measured curves, not their hulls.
    /// </para>
    /// </remarks>
    /// <param name="targetSparsity">The model-wide sparsity: the fraction of the scanned layers' weights to prune, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">The target is not in [0, 1].</exception>
    /// <exception cref="ArgumentException">The target is beyond what the grid's largest sparsities reach.</exception>
    public SparsityAllocation Allocate(double targetSparsity)
    {
        SparsityAllocation.CheckTarget(targetSparsity, nameof(targetSparsity));
        long total = 0, reachable = 0;
        var segments = new List<(double Slope, int Layer, int Order, long Groups)>();
        for (var index = 0; index < _layers.Length; index++)
        {
            var layer = _layers[index];
            total += layer.Weights;
            reachable += layer.PrunedGroups.Max() * (layer.Weights / layer.Groups);
            var hull = LowerHull(layer, BaselineScore);
            for (var point = 1; point < hull.Count; point++)
            {
                var groups = hull[point].Groups - hull[point - 1].Groups;
                var drop = hull[point].Drop - hull[point - 1].Drop;
                var weights = groups * (layer.Weights / layer.Groups);
                segments.Add((drop / weights, index, point, groups));
            }
        }

        var goal = targetSparsity * total;
        if (goal - reachable >= 0.5)
        {
            throw new ArgumentException($"A model-wide sparsity of {targetSparsity} prunes {goal:0} of {total} weights, but the grid's largest sparsities reach {reachable} ({reachable / (double)total:0.####}); scan higher sparsities.", nameof(targetSparsity));
        }

        // Within a layer the hull's slopes increase, so this order takes each layer's segments in turn.
        segments.Sort((a, b) => (a.Slope, a.Layer, a.Order).CompareTo((b.Slope, b.Layer, b.Order)));
        var pruned = new long[_layers.Length];
        double removed = 0;
        foreach (var (_, index, _, groups) in segments)
        {
            var groupSize = _layers[index].Weights / _layers[index].Groups;
            if (removed + (groups * groupSize) <= goal)
            {
                removed += groups * groupSize;
                pruned[index] += groups;
                continue;
            }

            // The last segment: the whole number of groups whose weights come nearest the goal (ties: fewer).
            var part = (long)Math.Floor((goal - removed) / groupSize);
            if (goal - removed - (part * groupSize) > ((part + 1) * groupSize) - (goal - removed)) part++;
            removed += part * groupSize;
            pruned[index] += part;
            break;
        }

        // The prediction is read off the measured curves (not their hulls), linear between the scanned points.
        var predicted = 0.0;
        for (var index = 0; index < _layers.Length; index++) predicted += DropAt(_layers[index], BaselineScore, pruned[index]);

        var allocation = _layers.Select((layer, index) => new LayerAllocation(layer.LayerName, layer.Groups, pruned[index], layer.Weights)).ToArray();
        return new SparsityAllocation(allocation, targetSparsity, predicted);
    }

    /// <summary>The drop at <paramref name="groups"/> pruned groups: linear between the curve's points, from (0, 0).</summary>
    private static double DropAt(LayerSensitivity layer, double baseline, long groups)
    {
        if (groups == 0) return 0.0;
        var points = Points(layer, baseline);
        for (var index = 1; index < points.Count; index++)
        {
            var (x1, y1) = points[index - 1];
            var (x2, y2) = points[index];
            if (groups <= x2) return y1 + ((y2 - y1) * (groups - x1) / (x2 - x1));
        }

        return points[^1].Drop;
    }

    /// <summary>A layer's points (groups pruned, drop) in increasing group order, with (0, 0) first; among points with the same group count the lowest drop stands for them.</summary>
    private static List<(long Groups, double Drop)> Points(LayerSensitivity layer, double baseline)
    {
        var points = new SortedDictionary<long, double> { [0] = 0.0 };
        for (var index = 0; index < layer.Scores.Count; index++)
        {
            var groups = layer.PrunedGroups[index];
            var drop = baseline - layer.Scores[index];
            points[groups] = points.TryGetValue(groups, out var known) ? Math.Min(known, drop) : drop;
        }

        return points.Select(point => (point.Key, point.Value)).ToList();
    }

    /// <summary>The lower convex hull of a layer's <see cref="Points"/>.</summary>
    private static List<(long Groups, double Drop)> LowerHull(LayerSensitivity layer, double baseline)
    {
        var hull = new List<(long Groups, double Drop)>();
        foreach (var (groups, drop) in Points(layer, baseline))
        {
            // Pop the last point while it lies on or above the line from the one before it to the new point.
            while (hull.Count >= 2)
            {
                var (x1, y1) = hull[^2];
                var (x2, y2) = hull[^1];
                if ((y2 - y1) * (groups - x1) < (drop - y1) * (x2 - x1)) break;
                hull.RemoveAt(hull.Count - 1);
            }

            hull.Add((groups, drop));
        }

        return hull;
    }
}
