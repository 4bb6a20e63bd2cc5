using CsCheck;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// The mask pass's batched torch selection, each method forced in turn
/// (<see cref="MaskPass.ComputeMasks(IReadOnlyList{PrunedLayer}, IReadOnlyList{double}, BatchSelection)"/>), against
/// the one-layer paths: for random batches of layers of every rank with random custom dims and sparsities, float64 and
/// float16 (the torch path), with tie-heavy values (multiples of 1/8 from a small range, some ±Inf), every method gives,
/// for every layer, exactly the mask of <see cref="TorchMaskEngine.ComputeMask(Tensor, ReducedDims, double, string)"/>
/// and of <see cref="MaskPlan"/>.
/// Every test holds its tensors (and Scalars) in a dispose scope (or <c>using</c>): TorchSharp 0.107 does not keep a
/// tensor or Scalar alive while its handle is in a native call, so an unreferenced one could be finalized mid-call.
/// </summary>
public sealed class BatchedTorchMaskTests
{
    private const int Cases = 600;

    private static readonly BatchSelection[] Selections = [BatchSelection.Sort, BatchSelection.Threshold, BatchSelection.Auto];

    private static readonly Gen<BatchCase> BatchCases =
        from layerCount in Gen.Int[1, 6]
        from useFloat64 in Gen.Bool
        from seed in Gen.Int
        select new BatchCase(layerCount, useFloat64 ? ScalarType.Float64 : ScalarType.Float16, seed);

    [Fact]
    public void Every_selection_gives_the_one_layer_masks_on_random_tie_heavy_batches()
    {
        var tally = new Tally();
        BatchCases.Sample(testCase => testCase.Check(tally), seed: "0N0XIzNsQ0B1", iter: Cases, threads: 1, print: testCase => testCase.ToString());

        // The comparisons must mean something: many layers prune groups, many batches hold several layers, and ties
        // at the selection threshold (where the methods differ most) are common.
        Assert.True(tally.LayersCompared >= 2 * Cases, $"only {tally.LayersCompared} layers compared");
        Assert.True(tally.LayersWithPrunedGroups >= Cases, $"only {tally.LayersWithPrunedGroups} layers pruned anything");
        Assert.True(tally.LayersWithTiesAtThreshold >= Cases / 2, $"only {tally.LayersWithTiesAtThreshold} layers had ties split by the threshold");
    }

    private static readonly Gen<(int Layers, int Seed)> ScoreCases = Gen.Int[1, 6].Select(Gen.Int);

    [Fact]
    public void Batched_selection_of_any_scores_keeps_what_the_one_layer_selection_keeps()
    {
        // The selection alone, as a batched PrunedLayer update would use it: scores of any sign, -Inf (groups an
        // existing mask pruned), +Inf, signed zeros and many ties; any pruned count up to every group.
        ScoreCases.Sample(testCase =>
        {
            using var scope = NewDisposeScope();
            var random = new Random(testCase.Seed);
            double[] palette = [double.NegativeInfinity, -1, -0.5, -0.0, 0, 0.25, 0.5, 1, double.PositiveInfinity];
            var scores = new List<Tensor>();
            var pruned = new List<long>();
            for (var index = 0; index < testCase.Layers; index++)
            {
                var groups = random.Next(1, 41);
                scores.Add(tensor(Enumerable.Range(0, groups).Select(_ => random.Next(3) == 0 ? random.Next(-8, 9) / 4.0 : palette[random.Next(palette.Length)]).ToArray()));
                pruned.Add(random.Next(groups + 1));
            }

            var expected = scores.Select((layerScores, index) => Values(TorchMaskEngine.KeepAllButLowest(layerScores, pruned[index]))).ToArray();
            foreach (var selection in Selections)
            {
                var keeps = TorchMaskEngine.KeepAllButLowest(scores, pruned, selection);
                Assert.Equal(expected, keeps.Select(Values));
            }
        }, seed: "0N0XIzNsQ0B2", iter: Cases, threads: 1);
    }

    [Fact]
    public void A_NaN_weight_is_the_one_layer_error_naming_its_layer()
    {
        using var scope = NewDisposeScope();
        var alone = ThreeLayers();
        alone[1].Weight[2, 1] = tensor(double.NaN);
        var expected = Assert.Throws<PruningException>(() => alone[1].UpdateMask());

        foreach (var selection in Selections)
        {
            var layers = ThreeLayers();
            layers[1].Weight[2, 1] = tensor(double.NaN);
            var error = Assert.Throws<PruningException>(() => MaskPass.ComputeMasks(layers, layers.Select(layer => layer.TargetSparsity).ToArray(), selection));
            Assert.Equal("second", error.LayerName);
            Assert.Equal(expected.Message, error.Message);
            Assert.All(layers, layer => Assert.Null(layer.Mask));
        }
    }

    [Fact]
    public void A_sparsity_that_removes_every_group_of_one_layer_is_the_one_layer_error()
    {
        using var scope = NewDisposeScope();
        var layers = ThreeLayers();
        var expected = Assert.Throws<PruningException>(() => layers[2].UpdateMask(0.95));   // 4 rows: round(3.8) = 4
        var error = Assert.Throws<PruningException>(() => MaskPass.ComputeMasks(layers, [0.5, 0.4, 0.95], BatchSelection.Sort));
        Assert.Equal("third", error.LayerName);
        Assert.Equal(expected.Message, error.Message);

        var outOfRange = Assert.Throws<ArgumentOutOfRangeException>(() => MaskPass.ComputeMasks(layers, [1.5, 0.4, 0.5], BatchSelection.Sort));
        Assert.Contains("first", outOfRange.Message, StringComparison.Ordinal);
        Assert.All(layers, layer => Assert.Null(layer.Mask));
    }

    [Fact]
    public void An_empty_batch_changes_nothing_and_auto_means_threshold_on_the_cpu()
    {
        MaskPass.ComputeMasks([], [], BatchSelection.Sort);
        Assert.Equal(BatchSelection.Threshold, TorchMaskEngine.ResolveSelection(BatchSelection.Auto, CPU));
        Assert.Equal(BatchSelection.Sort, TorchMaskEngine.ResolveSelection(BatchSelection.Auto, new Device(TorchSharp.DeviceType.CUDA, 0)));
        Assert.Equal(BatchSelection.Sort, TorchMaskEngine.ResolveSelection(BatchSelection.Sort, CPU));
    }

    /// <summary>Three float64 Linear layers (the torch path): Weight granularity, then two at Row.</summary>
    private static PrunedLayer[] ThreeLayers()
    {
        var random = new Random(3);
        return
        [
            Layer("first", [6, 4], ReducedDims.Of(0), 0.5, TieHeavyValues(random, 24), ScalarType.Float64),
            Layer("second", [5, 4], ReducedDims.Of(2), 0.4, TieHeavyValues(random, 20), ScalarType.Float64),
            Layer("third", [4, 3], ReducedDims.Of(2), 0.5, TieHeavyValues(random, 12), ScalarType.Float64),
        ];
    }

    /// <summary>
    /// A pruned layer whose weight has <paramref name="shape"/> (rank 2 to 5: a Linear, a Conv1d, a Conv2d, a Conv3d)
    /// and <paramref name="values"/>, pruned over custom <paramref name="dims"/>.
    /// </summary>
    private static PrunedLayer Layer(string name, int[] shape, ReducedDims dims, double sparsity, float[] values, ScalarType dtype)
    {
        var (kind, module) = shape.Length switch
        {
            2 => (LayerKind.Linear, (nn.Module)nn.Linear(shape[1], shape[0])),
            3 => (LayerKind.Conv1d, nn.Conv1d(shape[1], shape[0], shape[2])),
            4 => (LayerKind.Conv2d, nn.Conv2d(shape[1], shape[0], (shape[2], shape[3]))),
            5 => (LayerKind.Conv3d, nn.Conv3d(shape[1], shape[0], (shape[2], shape[3], shape[4]))),
            _ => throw new ArgumentException($"no layer has a weight of rank {shape.Length}", nameof(shape)),
        };
        var weight = new TorchSharp.Modules.Parameter(tensor(values).reshape(shape.Select(size => (long)size).ToArray()).to(dtype).DetachFromDisposeScope(), requires_grad: false);
        switch (module)
        {
            case TorchSharp.Modules.Linear linear: linear.weight = weight; break;
            case TorchSharp.Modules.Convolution convolution: convolution.weight = weight; break;
        }

        var settings = new PruneSettings(Granularity.Custom, sparsity) { Dims = Enumerable.Range(0, shape.Length + 1).Where(dims.Contains).ToArray() };
        return new TestLayer(name, kind, settings, module);
    }

    /// <summary>Multiples of 1/8 in [-1, 1] (17 values, so ties are everywhere), and now and then +Inf or −Inf.</summary>
    private static float[] TieHeavyValues(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => random.Next(60) switch
        {
            0 => float.PositiveInfinity,
            1 => float.NegativeInfinity,
            _ => random.Next(-8, 9) / 8f,
        }).ToArray();

    private static float[] Values(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
    }

    private sealed class Tally
    {
        public int LayersCompared { get; set; }

        public int LayersWithPrunedGroups { get; set; }

        public int LayersWithTiesAtThreshold { get; set; }
    }

    private sealed record BatchCase(int LayerCount, ScalarType DType, int Seed)
    {
        public override string ToString() => $"{LayerCount} layers, {DType}, seed {Seed}";

        public void Check(Tally tally)
        {
            using var scope = NewDisposeScope();
            var random = new Random(Seed);
            var cases = new List<(int[] Shape, ReducedDims Dims, double Sparsity, float[] Values)>();
            for (var index = 0; index < LayerCount; index++)
            {
                var rank = random.Next(2, 6);
                var shape = Enumerable.Range(0, rank).Select(_ => random.Next(1, 6)).ToArray();
                var dimsList = Enumerable.Range(0, rank + 1).Where(_ => random.Next(3) == 0).ToArray();
                var dims = ReducedDims.Of(dimsList.Length == 0 ? [random.Next(rank + 1)] : dimsList);
                var values = TieHeavyValues(random, shape.Aggregate(1, (a, b) => a * b));
                var groups = MaskPlan.CountGroups(shape.Select(size => (long)size).ToArray(), dims);

                // A sparsity that keeps at least one group: the error case has tests of its own.
                var sparsity = Math.Round(random.NextDouble() * 0.95, 2);
                while (Math.Round(sparsity * groups, MidpointRounding.ToEven) >= groups) sparsity = Math.Round(sparsity / 2, 3);
                cases.Add((shape, dims, sparsity, values));
            }

            var expected = new float[LayerCount][];
            for (var index = 0; index < LayerCount; index++)
            {
                var (shape, dims, sparsity, values) = cases[index];
                var weight = tensor(values).reshape(shape.Select(size => (long)size).ToArray()).to(DType);
                var mask = TorchMaskEngine.ComputeMask(weight, dims, sparsity, $"layer{index}", out var pruned);
                expected[index] = Values(mask);

                // The CPU fast path agrees with the one-layer torch path (the values are exact in any summation order).
                var plan = MaskPlan.Create($"layer{index}", shape, dims);
                var planMask = new float[values.Length];
                plan.Compute(values, sparsity, planMask);
                Assert.Equal(expected[index], planMask);

                tally.LayersCompared++;
                if (pruned > 0) tally.LayersWithPrunedGroups++;
                if (pruned > 0 && SplitsTies(plan.Scores, pruned)) tally.LayersWithTiesAtThreshold++;
            }

            foreach (var selection in Selections)
            {
                var layers = cases.Select((layerCase, index) => Layer($"layer{index}", layerCase.Shape, layerCase.Dims, layerCase.Sparsity, layerCase.Values, DType)).ToArray();
                MaskPass.ComputeMasks(layers, cases.Select(layerCase => layerCase.Sparsity).ToArray(), selection);
                for (var index = 0; index < LayerCount; index++)
                {
                    var mask = layers[index].Mask!;
                    Assert.Equal(layers[index].Weight.shape, mask.shape);
                    Assert.Equal(DType, mask.dtype);
                    Assert.Equal(expected[index], Values(mask));
                    layers[index].Layer.Dispose();
                }
            }
        }

        /// <summary>Whether the <paramref name="pruned"/>-th lowest score also belongs to a group that is kept.</summary>
        private static bool SplitsTies(ReadOnlySpan<double> scores, int pruned)
        {
            var sorted = scores.ToArray();
            Array.Sort(sorted);
            return pruned < sorted.Length && sorted[pruned - 1] == sorted[pruned];
        }
    }
}
