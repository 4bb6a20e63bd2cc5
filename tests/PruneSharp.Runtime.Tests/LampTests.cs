using PruneSharp.Tests.Models;
using PruneSharp.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// LAMP (Lee et al., 2021): the score of the paper's definition, W[u]² / Σ_{v ≥ u} W[v]² over a layer's weights sorted
/// by magnitude, on worked examples, and its global ranking as per-layer sparsities.
/// </summary>
public sealed class LampTests
{
    [Fact]
    public void Scores_follow_the_papers_definition_on_a_worked_example()
    {
        // |W| sorted: 0.1, 0.5, 1, 2; squares 0.01, 0.25, 1, 4; tail sums 5.26, 5.25, 5, 4.
        double[] magnitudes = [0.5, 1.0, 2.0, 0.1];
        double[] expected = [0.25 / 5.25, 1.0 / 5.0, 4.0 / 4.0, 0.01 / 5.26];
        var scores = Lamp.Normalize("fc", magnitudes);
        for (var index = 0; index < expected.Length; index++) Assert.Equal(expected[index], scores[index], 15);

        // The same from a layer's weights (signs do not matter: the score is of magnitudes).
        using var linear = LinearWith([[0.5f, -1.0f, 2.0f, -0.1f]]);
        var layer = new HandPrunedLinear("fc", linear, new PruneSettings(Granularity.Weight, 0.5));
        var fromLayer = Lamp.Scores(layer);
        for (var index = 0; index < expected.Length; index++) Assert.Equal(expected[index], fromLayer[index], 6);
    }

    [Fact]
    public void Ties_zeros_and_pruned_groups_are_ordered_as_the_mask_rule_orders_them()
    {
        // Equal scores: the lower index comes first in the order, so its tail sum is larger.
        Assert.Equal([0.5, 1.0], Lamp.Normalize("a", [3.0, 3.0]));
        // All zero: the best (last) group scores 1, the others 0.
        Assert.Equal([0.0, 0.0, 1.0], Lamp.Normalize("b", [0.0, 0.0, 0.0]));
        // A group a mask already prunes (-Inf) stays first and adds nothing to the others' tails.
        var withPruned = Lamp.Normalize("c", [double.NegativeInfinity, 1.0, 2.0]);
        Assert.Equal([double.NegativeInfinity, 1.0 / 5.0, 1.0], withPruned);
        Assert.Empty(Lamp.Normalize("d", []));
    }

    [Fact]
    public void Row_groups_use_the_groups_magnitude_scores()
    {
        // Row granularity: a group is an output neuron; its score is the mean |w| of its row: 1, 3, 2.
        using var linear = LinearWith([[1f, -1f], [3f, 3f], [-2f, 2f]]);
        var layer = new HandPrunedLinear("fc", linear, new PruneSettings(Granularity.Row, 0.5));
        var scores = Lamp.Scores(layer);
        Assert.Equal(new[] { 1.0 / 14.0, 1.0, 4.0 / 13.0 }, scores.Select(value => Math.Round(value, 12)), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Bad_scores_are_errors_naming_the_layer_and_the_group()
    {
        var negative = Assert.Throws<ArgumentException>(() => Lamp.Normalize("layer1.conv", [1.0, -0.5]));
        Assert.Contains("'layer1.conv'", negative.Message);
        Assert.Contains("group 1", negative.Message);
        Assert.Throws<ArgumentException>(() => Lamp.Normalize("x", [double.NaN]));
        Assert.Throws<ArgumentException>(() => Lamp.Normalize("x", [double.PositiveInfinity, 1.0]));
        Assert.Throws<ArgumentException>(() => Lamp.Normalize("x", [1.0, 2.0], new double[1]));
    }

    [Fact]
    public void Allocation_is_the_global_ranking_of_lamp_scores_and_local_pruning_reproduces_it()
    {
        // A: 4 large weights; B: 8 small ones. LAMP scores (hand-computed from the definition):
        //   A: 1/30 = .033, 4/29 = .138, 9/25 = .36, 1
        //   B: .01/2.04 = .0049, .04/2.03 = .0197, .09/1.99 = .045, .16/1.90 = .084, .25/1.74 = .144, .36/1.49 = .242, .49/1.13 = .434, 1
        // Ranked: B0 B1 A0 B2 B3 A1 B4 B5 A2 B6. A global magnitude ranking would take B's three smallest first.
        using var a = LinearWith([[1f, 2f, 3f, 4f]]);
        using var b = LinearWith([[0.1f, 0.2f, 0.3f, 0.4f], [0.5f, 0.6f, 0.7f, 0.8f]]);
        PrunedLayer[] layers = [new HandPrunedLinear("a", a, new PruneSettings(Granularity.Weight, 0)), new HandPrunedLinear("b", b, new PruneSettings(Granularity.Weight, 0))];

        var quarter = Lamp.Allocate(layers, 0.25);   // 3 of 12 weights: B0, B1, A0
        Assert.Equal([1L, 2L], quarter.Layers.Select(layer => layer.PrunedGroups));
        Assert.Equal(0.25, quarter.OverallSparsity, 12);
        var half = Lamp.Allocate(layers, 0.5);       // 6: B0 B1 A0 B2 B3 A1
        Assert.Equal([2L, 4L], half.Layers.Select(layer => layer.PrunedGroups));
        var most = Lamp.Allocate(layers, 0.8);       // 9.6 → 10: ... B4 B5 A2 B6
        Assert.Equal([3L, 7L], most.Layers.Select(layer => layer.PrunedGroups));

        foreach (var layer in layers)
        {
            layer.UpdateMask(half.SparsityOf(layer));
            Assert.Equal(half.Layers.Single(entry => entry.LayerName == layer.Name).PrunedGroups, layer.Report().PrunedGroups);
        }

        // Each layer keeps its best weight: 10 of 12 at most.
        var error = Assert.Throws<PruningException>(() => Lamp.Allocate(layers, 0.95));
        Assert.Contains("0.8333", error.Message);
        Assert.Contains("'c'", Assert.Throws<ArgumentException>(() => half.SparsityOf("c")).Message);
    }

    [Fact]
    public void Layers_without_rankable_groups_are_rejected_by_name()
    {
        using var linear = nn.Linear(8, 2);
        var nOfM = new HandPrunedLinear("blocks.0.fc", linear, PruneSettings.NOfM(2, 4));
        var error = Assert.Throws<ArgumentException>(() => Lamp.Allocate([nOfM], 0.5));
        Assert.Contains("'blocks.0.fc'", error.Message);
        Assert.Contains("N:M", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Lamp.Allocate([], 1.5));
    }

    private static Linear LinearWith(float[][] rows)
    {
        var linear = nn.Linear(rows[0].Length, rows.Length);
        using (no_grad())
        {
            using var values = tensor(rows.SelectMany(row => row).ToArray(), [rows.Length, rows[0].Length]);
            linear.weight!.copy_(values);
        }

        return linear;
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
