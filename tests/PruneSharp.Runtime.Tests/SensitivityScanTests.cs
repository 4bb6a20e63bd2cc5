using PruneSharp.Tests.Models;
using PruneSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// The sensitivity scan: one curve per layer over the grid, masks by the layer's own rule, the layer restored exactly
/// (also after an exception), errors before the first evaluation, and the allocation read off the curves.
/// </summary>
public sealed class SensitivityScanTests
{
    [Fact]
    public void Curves_have_one_score_per_layer_and_sparsity_and_fall_as_the_smallest_weights_go()
    {
        using var model = new TrainingNet();
        double[] grid = [0.25, 0.5, 0.75];
        // A score that pruning can only lower: the sum of the pruned layers' weight magnitudes.
        var result = SensitivityScan.Run(model.PrunedLayers, grid, () => MagnitudeSum(model.PrunedLayers));

        Assert.Equal(MagnitudeSum(model.PrunedLayers), result.BaselineScore, 9);
        Assert.Equal(grid, result.Sparsities);
        Assert.Equal(["conv", "fc"], result.Layers.Select(layer => layer.LayerName));
        foreach (var (layer, curve) in model.PrunedLayers.Zip(result.Layers))
        {
            var weights = layer.Weight.numel();
            Assert.Equal((weights, weights), (curve.Groups, curve.Weights));
            Assert.Equal(grid.Select(sparsity => (long)Math.Round(sparsity * weights, MidpointRounding.ToEven)), curve.PrunedGroups);
            double[] sorted;
            using (NewDisposeScope())
            {
                sorted = layer.Weight.detach().abs().flatten().to(ScalarType.Float64).data<double>().Order().ToArray();
            }

            for (var point = 0; point < grid.Length; point++)
            {
                // Weight granularity with |w|: exactly the k smallest magnitudes leave the sum.
                var expected = result.BaselineScore - sorted.Take((int)curve.PrunedGroups[point]).Sum();
                Assert.Equal(expected, curve.Scores[point], 5);
            }

            Assert.True(curve.Scores.Zip(curve.Scores.Skip(1)).All(pair => pair.First > pair.Second), "more sparsity, lower score");
            Assert.True(curve.Scores[0] < result.BaselineScore);
        }
    }

    [Fact]
    public void A_layer_is_pruned_by_its_own_rule_with_its_removed_units_bias_zeroed_and_an_unused_layer_is_flat()
    {
        using var model = new FilterNet();
        using var reference = new FilterNet();
        double[] grid = [0.5, 0.8];
        var conv = model.PrunedLayers[0];
        using var original = conv.Weight.detach().clone();
        var calls = 0;
        var result = SensitivityScan.Run(model.PrunedLayers, grid, () =>
        {
            var call = calls++;
            if (call is 1 or 2)
            {
                // conv at grid[call - 1]: the zeros are those of the layer's own UpdateMask on the same weights.
                using (no_grad())
                {
                    reference.PrunedLayers[0].Weight.copy_(original);
                }

                reference.PrunedLayers[0].UpdateMask(grid[call - 1]);
                using var scope = NewDisposeScope();
                using var zero = 0f.ToScalar();
                var zeros = conv.Weight.eq(zero);
                var pruned = reference.PrunedLayers[0].Mask!.eq(zero);
                Assert.True(TensorAssert.Same(pruned, zeros));
                var removed = pruned.flatten(1).all(1);
                Assert.Equal(0L, model.conv.bias!.masked_select(removed).count_nonzero().item<long>());
                Assert.True(removed.sum().item<long>() > 0);
            }

            // The score reads conv only: fc's curve stays at the baseline.
            using (NewDisposeScope())
            {
                return conv.Weight.abs().sum().item<float>() + model.conv.bias!.abs().sum().item<float>();
            }
        });

        Assert.Equal(1 + (2 * grid.Length), calls);
        Assert.Equal([3L, 5L], result["conv"].PrunedGroups);   // round(0.5 × 6), round(0.8 × 6)
        Assert.All(result["fc"].Scores, score => Assert.Equal(result.BaselineScore, score));
        Assert.True(result["conv"].Scores[1] < result["conv"].Scores[0]);
    }

    [Fact]
    public void The_scanned_layers_are_restored_exactly_masks_and_reported_sparsity_included()
    {
        using var model = new TrainingNet();
        var conv = model.PrunedLayers[0];
        conv.UpdateMask(0.25);
        conv.ApplyMask();
        var before = Snapshot(model);

        SensitivityScan.Run(model.PrunedLayers, [0.5, 0.9], () => MagnitudeSum(model.PrunedLayers));

        AssertSameState(before, Snapshot(model));
        Assert.Null(model.PrunedLayers[1].Mask);                  // fc had no mask and still has none
        Assert.Equal(0.25, conv.Report().TargetSparsity);
        Assert.Equal((long)Math.Round(0.25 * 36, MidpointRounding.ToEven), conv.Report().PrunedGroups);
        foreach (var entry in before.Values) entry.Dispose();
    }

    [Fact]
    public void An_exception_from_the_evaluation_leaves_the_layer_as_it_was()
    {
        using var model = new FilterNet();
        var before = Snapshot(model);
        var calls = 0;
        var error = Assert.Throws<InvalidOperationException>(() => SensitivityScan.Run(model.PrunedLayers, [0.5, 0.8], () =>
            ++calls == 3 ? throw new InvalidOperationException("evaluation failed") : 1.0));
        Assert.Equal("evaluation failed", error.Message);
        AssertSameState(before, Snapshot(model));

        // A non-finite score is an error too, after which the layer is restored as well.
        calls = 0;
        var nan = Assert.Throws<InvalidOperationException>(() => SensitivityScan.Run(model.PrunedLayers, [0.5], () => ++calls == 2 ? double.NaN : 1.0));
        Assert.Contains("'conv'", nan.Message);
        AssertSameState(before, Snapshot(model));
        foreach (var entry in before.Values) entry.Dispose();
    }

    [Fact]
    public void Bad_grids_and_layers_fail_before_the_first_evaluation()
    {
        using var model = new FilterNet();
        var calls = 0;
        double Evaluate() => ++calls;

        // 0.95 × 6 filters rounds to 6: every filter of 'conv'.
        var all = Assert.Throws<PruningException>(() => SensitivityScan.Run(model.PrunedLayers, [0.5, 0.95], Evaluate));
        Assert.Equal("conv", all.LayerName);
        Assert.Contains("0.6", Assert.Throws<ArgumentException>(() => SensitivityScan.Run(model.PrunedLayers, [0.7, 0.6], Evaluate)).Message);
        Assert.Throws<ArgumentException>(() => SensitivityScan.Run(model.PrunedLayers, [], Evaluate));
        Assert.Contains("1.5", Assert.Throws<ArgumentException>(() => SensitivityScan.Run(model.PrunedLayers, [1.5], Evaluate)).Message);
        var history = Assert.Throws<ArgumentException>(() => SensitivityScan.Run(model.PrunedLayers, [0.5], Evaluate, Criterion.Movement));
        Assert.Contains("'conv'", history.Message);
        Assert.Contains("Movement", history.Message);
        Assert.Equal(0, calls);
    }

    [Fact]
    public void Allocation_takes_the_cheapest_weights_first_and_meets_the_target_in_whole_groups()
    {
        // a: 100 weights in 10 groups; drops 0.01 at 5 groups, 0.10 at 9. b: 10 single-weight groups; drops 0.2 at 5, 0.4 at 9.
        var result = new SensitivityResult(0.9, [0.5, 0.9],
        [
            new LayerSensitivity("a", 10, 100, [0.5, 0.9], [5, 9], [0.89, 0.80]),
            new LayerSensitivity("b", 10, 10, [0.5, 0.9], [5, 9], [0.70, 0.50]),
        ]);

        // 66 of 110 weights: a's first segment (50 weights, 0.0002 per weight), then 16 of the next (0.00225 per weight):
        // 1.6 groups of 10, rounded to 2. b (0.04 per weight) is not touched.
        var allocation = result.Allocate(0.6);
        Assert.Equal([7L, 0L], allocation.Layers.Select(layer => layer.PrunedGroups));
        Assert.Equal(70.0 / 110, allocation.OverallSparsity, 12);
        Assert.Equal(0.01 + (0.09 * 2 / 4), allocation.PredictedScoreDrop!.Value, 12);
        Assert.Equal(0.7, allocation.SparsityOf("a"), 12);

        // 95 of 110: all of a's hull (90 weights), then b's first segment (5 weights, 0.04 per weight).
        var most = result.Allocate(95.0 / 110);
        Assert.Equal([9L, 5L], most.Layers.Select(layer => layer.PrunedGroups));
        Assert.Equal(0.10 + 0.2, most.PredictedScoreDrop!.Value, 12);
        Assert.Equal([0L, 0L], result.Allocate(0).Layers.Select(layer => layer.PrunedGroups));
        // The grid reaches 9 + 9 × 10 = 99 weights at most.
        Assert.Contains("scan higher", Assert.Throws<ArgumentException>(() => result.Allocate(0.95)).Message);
    }

    [Fact]
    public void A_curve_that_is_not_convex_is_allocated_on_its_hull_and_predicted_on_its_points()
    {
        // c: a drop of 0.3 at 5 of 10 groups but only 0.31 at 9: the hull goes straight from 0 to 9 groups.
        var result = new SensitivityResult(1.0, [0.5, 0.9], [new LayerSensitivity("c", 10, 10, [0.5, 0.9], [5, 9], [0.7, 0.69])]);
        var allocation = result.Allocate(0.5);
        Assert.Equal([5L], allocation.Layers.Select(layer => layer.PrunedGroups));
        Assert.Equal(0.3, allocation.PredictedScoreDrop!.Value, 12);
    }

    private static double MagnitudeSum(IReadOnlyList<PrunedLayer> layers)
    {
        using var scope = NewDisposeScope();
        return layers.Sum(layer => layer.Weight.detach().abs().to(ScalarType.Float64).sum().item<double>());
    }

    private static Dictionary<string, Tensor> Snapshot(TorchSharp.torch.nn.Module model) =>
        model.state_dict().ToDictionary(entry => entry.Key, entry => entry.Value.detach().clone());

    private static void AssertSameState(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, value) in expected)
        {
            Assert.True(TensorAssert.Same(value, actual[name]), $"'{name}' changed");
        }

        foreach (var value in actual.Values) value.Dispose();
    }
}
