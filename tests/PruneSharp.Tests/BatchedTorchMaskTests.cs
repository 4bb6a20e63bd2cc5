using CsCheck;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// The batched torch path (<see cref="TorchMaskEngine.ComputeMasks(IReadOnlyList{MaskRequest}, BatchSelection)"/>)
/// against the one-layer paths: for random batches of random shapes, dims and sparsities, with tie-heavy values
/// (multiples of 1/8 from a small range, some +Inf), every selection method gives, for every layer, exactly the mask
/// of <see cref="TorchMaskEngine.ComputeMask(Tensor, ReducedDims, double, string)"/> and of <see cref="MaskPlan"/>.
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
        select new BatchCase(layerCount, useFloat64 ? ScalarType.Float64 : ScalarType.Float32, seed);

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
    public void Writing_into_existing_masks_gives_the_same_masks_in_their_dtype()
    {
        using var scope = NewDisposeScope();
        using var seven = 7.0.ToScalar();
        var random = new Random(7);
        var layers = new List<MaskRequest>();
        var masks = new List<Tensor>();
        for (var index = 0; index < 4; index++)
        {
            long[] shape = [3 + index, 4, 2, 2];
            var weight = tensor(TieHeavyValues(random, (int)shape.Aggregate(1L, (a, b) => a * b))).reshape(shape);
            layers.Add(new MaskRequest($"layer{index}", weight, ReducedDims.Of(3, 4), 0.4 + 0.1 * index));
            masks.Add(full(shape, seven, dtype: index % 2 == 0 ? ScalarType.Float32 : ScalarType.Float64));
        }

        foreach (var selection in Selections)
        {
            TorchMaskEngine.ComputeMasksInto(layers, masks, selection);
            for (var index = 0; index < layers.Count; index++)
            {
                var expected = TorchMaskEngine.ComputeMask(layers[index].Weight, layers[index].Dims, layers[index].Sparsity, layers[index].LayerName);
                Assert.Equal(index % 2 == 0 ? ScalarType.Float32 : ScalarType.Float64, masks[index].dtype);
                Assert.Equal(Values(expected), Values(masks[index]));
            }
        }
    }

    [Theory]
    [InlineData(BatchSelection.Sort)]
    [InlineData(BatchSelection.Threshold)]
    public void A_NaN_weight_is_the_one_layer_error_naming_its_layer(BatchSelection selection)
    {
        using var scope = NewDisposeScope();
        var layers = ThreeLayers();
        layers[1].Weight[2, 1] = tensor(float.NaN);
        var expected = Assert.Throws<PruningException>(() => TorchMaskEngine.ComputeMask(layers[1].Weight, layers[1].Dims, layers[1].Sparsity, layers[1].LayerName));
        var error = Assert.Throws<PruningException>(() => TorchMaskEngine.ComputeMasks(layers, selection));
        Assert.Equal("second", error.LayerName);
        Assert.Equal(expected.Message, error.Message);
    }

    [Fact]
    public void A_sparsity_that_removes_every_group_of_one_layer_is_the_one_layer_error()
    {
        using var scope = NewDisposeScope();
        var layers = ThreeLayers();
        layers[2] = layers[2] with { Sparsity = 0.95 };   // 4 rows: round(3.8) = 4
        var expected = Assert.Throws<PruningException>(() => TorchMaskEngine.ComputeMask(layers[2].Weight, layers[2].Dims, layers[2].Sparsity, layers[2].LayerName));
        var error = Assert.Throws<PruningException>(() => TorchMaskEngine.ComputeMasks(layers));
        Assert.Equal("third", error.LayerName);
        Assert.Equal(expected.Message, error.Message);

        var outOfRange = Assert.Throws<ArgumentOutOfRangeException>(() => TorchMaskEngine.ComputeMasks([layers[0] with { Sparsity = 1.5 }]));
        Assert.Contains("first", outOfRange.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Masks_of_the_wrong_shape_or_count_are_errors_naming_the_layer()
    {
        using var scope = NewDisposeScope();
        var layers = ThreeLayers();
        var masks = layers.Select(layer => ones_like(layer.Weight)).ToList();
        masks[1] = ones(3, 3);
        var shape = Assert.Throws<ArgumentException>(() => TorchMaskEngine.ComputeMasksInto(layers, masks));
        Assert.Contains("'second'", shape.Message, StringComparison.Ordinal);
        Assert.Contains("[3, 3]", shape.Message, StringComparison.Ordinal);

        var count = Assert.Throws<ArgumentException>(() => TorchMaskEngine.ComputeMasksInto(layers, masks.Take(2).ToList()));
        Assert.Contains("3 layers but 2 masks", count.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_batch_gives_no_masks_and_auto_means_threshold_on_the_cpu()
    {
        Assert.Empty(TorchMaskEngine.ComputeMasks([]));
        Assert.Equal(BatchSelection.Threshold, TorchMaskEngine.ResolveSelection(BatchSelection.Auto, CPU));
        Assert.Equal(BatchSelection.Sort, TorchMaskEngine.ResolveSelection(BatchSelection.Auto, new Device(TorchSharp.DeviceType.CUDA, 0)));
        Assert.Equal(BatchSelection.Sort, TorchMaskEngine.ResolveSelection(BatchSelection.Sort, CPU));
    }

    private static List<MaskRequest> ThreeLayers()
    {
        var random = new Random(3);
        return
        [
            new MaskRequest("first", tensor(TieHeavyValues(random, 24)).reshape(6, 4), ReducedDims.Of(0), 0.5),
            new MaskRequest("second", tensor(TieHeavyValues(random, 20)).reshape(5, 4), ReducedDims.Of(2), 0.4),
            new MaskRequest("third", tensor(TieHeavyValues(random, 12)).reshape(4, 3), ReducedDims.Of(2), 0.5),
        ];
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
            var layers = new List<MaskRequest>();
            var cpuValues = new List<float[]>();
            var shapes = new List<int[]>();
            for (var index = 0; index < LayerCount; index++)
            {
                var rank = random.Next(1, 6);
                var shape = Enumerable.Range(0, rank).Select(_ => random.Next(1, 6)).ToArray();
                var dimsList = Enumerable.Range(0, rank + 1).Where(_ => random.Next(3) == 0).ToArray();
                var dims = ReducedDims.Of(dimsList.Length == 0 ? [random.Next(rank + 1)] : dimsList);
                var values = TieHeavyValues(random, shape.Aggregate(1, (a, b) => a * b));
                var groups = MaskPlan.CountGroups(shape.Select(size => (long)size).ToArray(), dims);

                // A sparsity that keeps at least one group: the error case has tests of its own.
                var sparsity = Math.Round(random.NextDouble() * 0.95, 2);
                while (Math.Round(sparsity * groups, MidpointRounding.ToEven) >= groups) sparsity = Math.Round(sparsity / 2, 3);

                var weight = tensor(values).reshape(shape.Select(size => (long)size).ToArray()).to(DType);
                layers.Add(new MaskRequest($"layer{index}", weight, dims, sparsity));
                cpuValues.Add(values);
                shapes.Add(shape);
            }

            var expected = new float[LayerCount][];
            for (var index = 0; index < LayerCount; index++)
            {
                var layer = layers[index];
                var mask = TorchMaskEngine.ComputeMask(layer.Weight, layer.Dims, layer.Sparsity, layer.LayerName, out var pruned);
                expected[index] = Values(mask);

                // The CPU fast path agrees with the one-layer torch path (the values are exact in any summation order).
                var plan = MaskPlan.Create(layer.LayerName, shapes[index], layer.Dims);
                var planMask = new float[cpuValues[index].Length];
                plan.Compute(cpuValues[index], layer.Sparsity, planMask);
                Assert.Equal(expected[index], planMask);

                tally.LayersCompared++;
                if (pruned > 0) tally.LayersWithPrunedGroups++;
                if (pruned > 0 && SplitsTies(plan.Scores, pruned)) tally.LayersWithTiesAtThreshold++;
            }

            foreach (var selection in Selections)
            {
                var masks = TorchMaskEngine.ComputeMasks(layers, selection);
                for (var index = 0; index < LayerCount; index++)
                {
                    Assert.Equal(layers[index].Weight.shape, masks[index].shape);
                    Assert.Equal(DType, masks[index].dtype);
                    Assert.Equal(expected[index], Values(masks[index]));
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
