using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Training;

/// <summary>
/// A sensitivity analysis (as fasterai's): prunes one layer at a time over a grid of sparsities, evaluates the model
/// with a function the caller gives after each, and restores the layer, so the result shows how much each layer can
/// lose before the model suffers.
/// </summary>
/// <remarks>
/// <para>
/// For each layer and each sparsity of the grid: the mask the layer's own rule gives at that sparsity (its
/// granularity, reducer and <c>RoundTo</c>; the criterion given to the scan, by default the layer's) is computed
/// from the current weights, starting from the layer's current mask, if any; the weight is multiplied by it (and
/// the bias of every removed output unit zeroed, as <see cref="PrunedLayer.ApplyMask"/> does); the model is
/// evaluated; then the weight and bias are copied back from a copy taken before. The mask is computed on a stand-in
/// that shares the layer's weight, so the layer's mask buffer, criterion history and reported sparsity are never
/// touched, and after the scan, or an exception from the evaluation, the layer is exactly as it was.
/// </para>
/// <para>
/// The evaluation's score must be higher-is-better (an accuracy; negate a loss) and should be measured on data the
/// model is not tested on.
/// </para>
/// </remarks>
public static class SensitivityScan
{
    /// <summary>Scans <paramref name="layers"/> (a model's <see cref="IPrunableModule.PrunedLayers"/>, or some of them) over <paramref name="sparsities"/> (see the class remarks).</summary>
    /// <param name="layers">The layers to scan, one at a time.</param>
    /// <param name="sparsities">The grid: strictly increasing sparsities in [0, 1], each leaving every layer at least one group.</param>
    /// <param name="evaluate">Evaluates the model as it is now; higher is better. Called once first (the baseline), then once per layer and sparsity.</param>
    /// <param name="criterion">The criterion the masks are computed with; by default each layer's own. It must read only the current weights (or their gradient).</param>
    /// <exception cref="ArgumentException">The grid is empty, unsorted or out of range, a layer uses N:M or is a grouped transposed convolution, or a layer's criterion needs history the scan does not have.</exception>
    /// <exception cref="PruningException">A sparsity of the grid would remove every group of a layer (checked before anything is evaluated), or a mask cannot be computed.</exception>
    /// <exception cref="InvalidOperationException">The evaluation returned NaN or an infinity.</exception>
    public static SensitivityResult Run(IReadOnlyList<PrunedLayer> layers, IReadOnlyList<double> sparsities, Func<double> evaluate, Criterion? criterion = null)
    {
        LayerGroups.CheckSupported(layers, "the sensitivity scan", nameof(layers));
        ArgumentNullException.ThrowIfNull(sparsities);
        ArgumentNullException.ThrowIfNull(evaluate);
        var grid = CheckGrid(sparsities);
        if (criterion is { } given && !Enum.IsDefined(given))
        {
            throw new ArgumentOutOfRangeException(nameof(criterion), given, $"{given} is not a criterion.");
        }

        // Everything is checked before the first evaluation: a bad layer fails the scan before it has run for minutes.
        var prunedGroups = new long[layers.Count][];
        for (var index = 0; index < layers.Count; index++)
        {
            var layer = layers[index];
            var layerCriterion = criterion ?? layer.Settings.Criterion;
            if (ElementScores.Needs(layerCriterion) is CriterionInput.InitialWeight or CriterionInput.PreviousWeight or CriterionInput.InputNorms)
            {
                throw new ArgumentException($"Layer '{layer.Name}': criterion {layerCriterion} compares with weights or activations recorded by the layer, which the scan does not read; pass a criterion that reads the current weights (for example Criterion.LargeFinal).", nameof(criterion));
            }

            var groups = LayerGroups.CountGroups(layer);
            prunedGroups[index] = grid.Select(sparsity => (long)MaskPlan.PrunedGroupCount(layer.Name, sparsity, groups, layer.ReducedDims, layer.Settings.RoundTo)).ToArray();
        }

        var baseline = Evaluate(evaluate, "before pruning any layer");
        var results = new LayerSensitivity[layers.Count];
        for (var index = 0; index < layers.Count; index++)
        {
            var layer = layers[index];
            var scores = ScanLayer(layer, criterion ?? layer.Settings.Criterion, grid, evaluate);
            results[index] = new LayerSensitivity(layer.Name, LayerGroups.CountGroups(layer), layer.Weight.numel(), grid, prunedGroups[index], scores);
        }

        return new SensitivityResult(baseline, grid, results);
    }

    private static double[] ScanLayer(PrunedLayer layer, Criterion criterion, double[] grid, Func<double> evaluate)
    {
        var scores = new double[grid.Length];
        var weight = layer.Weight;
        var bias = layer.Layer switch
        {
            Linear linear => linear.bias,
            Convolution convolution => convolution.bias,
            _ => null,
        };
        using var standIn = new ScanStandIn(layer, criterion);
        using var savedWeight = Copy(weight);
        using var savedBias = bias is null ? null : Copy(bias);
        var outputAxis = Granularities.OutputAxis(layer.Kind);
        var otherAxes = Enumerable.Range(0, (int)weight.dim()).Where(axis => axis != outputAxis).Select(axis => (long)axis).ToArray();
        for (var point = 0; point < grid.Length; point++)
        {
            try
            {
                standIn.ResetMask(layer.Mask);
                standIn.UpdateMask(grid[point]);
                using (no_grad())
                using (NewDisposeScope())
                {
                    var mask = standIn.Mask!;
                    weight.mul_(mask);
                    if (layer.RemovesOutputUnits && bias is not null)
                    {
                        // A unit whose every weight the mask removes loses its bias too, as ApplyMask does.
                        var unitKeep = mask.amax(otherAxes).to(bias.dtype);
                        if (unitKeep.numel() == bias.numel()) bias.mul_(unitKeep);
                    }
                }

                scores[point] = Evaluate(evaluate, $"with layer '{layer.Name}' at sparsity {grid[point]}");
            }
            finally
            {
                using (no_grad())
                {
                    weight.copy_(savedWeight);
                    bias?.copy_(savedBias!);
                }
            }
        }

        return scores;
    }

    private static Tensor Copy(Tensor tensor)
    {
        using (no_grad())
        {
            return tensor.detach().clone().DetachFromDisposeScope();
        }
    }

    private static double Evaluate(Func<double> evaluate, string when)
    {
        var score = evaluate();
        if (!double.IsFinite(score))
        {
            throw new InvalidOperationException($"The evaluation returned {score} {when}; the scan needs a finite score.");
        }

        return score;
    }

    private static double[] CheckGrid(IReadOnlyList<double> sparsities)
    {
        if (sparsities.Count == 0)
        {
            throw new ArgumentException("The grid of sparsities is empty.", nameof(sparsities));
        }

        var grid = sparsities.ToArray();
        for (var index = 0; index < grid.Length; index++)
        {
            var sparsity = grid[index];
            if (!(sparsity >= 0.0 && sparsity <= 1.0))
            {
                throw new ArgumentException($"Sparsity {index} of the grid is {sparsity}; each must be in [0, 1].", nameof(sparsities));
            }

            if (index > 0 && !(sparsity > grid[index - 1]))
            {
                throw new ArgumentException($"The grid must be strictly increasing; sparsity {index} ({sparsity}) follows {grid[index - 1]}.", nameof(sparsities));
            }
        }

        return grid;
    }
}
