using CsCheck;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// Property tests (CsCheck) of the run-time engines against <see cref="ReferencePruning"/>: random layer kinds, shapes,
/// convolution groups, granularities (table, Custom, N:M), criteria, reducers, roundTo and sparsities; three updates per
/// case (sparsity grows, then falls back) so existing masks and the "updating" criteria take part; on the CPU fast path (float32) and the torch path
/// (float64 weights). Weights are multiples of 1/8 so every float64 sum is exact whatever the summation order.
/// </summary>
public sealed class PropertyTests
{
    private const int LocalCases = 1000;
    private const int GlobalCases = 1000;

    private static readonly Gen<LayerCase> LayerCases =
        from kind in Gen.Enum<LayerKind>()
        from criterion in Gen.Enum<Criterion>()
        from reducer in Gen.Enum<Reducer>()
        from granularityChoice in Gen.Int[0, 99]
        from sparsityStep in Gen.Int[0, 20]
        from roundToChoice in Gen.Int[0, 5]
        from seed in Gen.Int
        select LayerCase.Create(kind, criterion, reducer, granularityChoice, sparsityStep / 20.0, new[] { 0, 0, 0, 0, 2, 3 }[roundToChoice], seed);

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Local_masks_equal_the_reference(ScalarType dtype)
    {
        var tally = new Tally();
        LayerCases.Sample(testCase => testCase.Check(dtype, tally), seed: "0N0XIzNsQ0O2", iter: LocalCases, threads: 1, print: testCase => testCase.ToString());

        // The comparisons must mean something: most cases compare two masks, and many of those prune something.
        Assert.True(tally.Compared >= LocalCases, $"only {tally.Compared} masks compared in {LocalCases} cases");
        Assert.True(tally.WithPrunedWeights >= LocalCases / 2, $"only {tally.WithPrunedWeights} compared masks pruned anything");
        Assert.True(tally.ExpectedErrors > 0, "no case reached the sparsity that removes every group");
    }

    internal sealed class Tally
    {
        public int Compared { get; set; }

        public int WithPrunedWeights { get; set; }

        public int ExpectedErrors { get; set; }
    }

    private static readonly Gen<GlobalCase> GlobalCases_ =
        from layerCount in Gen.Int[1, 4]
        from criterion in Gen.Enum<Criterion>()
        from sparsityStep in Gen.Int[0, 20]
        from seed in Gen.Int
        select new GlobalCase(layerCount, criterion, sparsityStep / 20.0, seed);

    [Fact]
    public void Global_masks_equal_the_reference_on_both_paths() =>
        GlobalCases_.Sample(testCase => { testCase.Check(ScalarType.Float32); testCase.Check(ScalarType.Float64); }, seed: "0N0XIzNsQ0O3", iter: GlobalCases, threads: 1, print: testCase => testCase.ToString());

    internal sealed record LayerCase(LayerKind Kind, int[] Sizes, int Groups, PruneSettings Settings, double Sparsity, int Seed)
    {
        public static LayerCase Create(LayerKind kind, Criterion criterion, Reducer reducer, int granularityChoice, double sparsity, int roundTo, int seed)
        {
            var random = new Random(seed);
            var rank = Granularities.WeightRank(kind);
            var groups = kind == LayerKind.Linear ? 1 : new[] { 1, 1, 2, 3 }[random.Next(4)];
            PruneSettings settings;
            var inputsPerGroup = random.Next(1, 5);
            if (granularityChoice < 10)
            {
                var m = random.Next(2) == 0 ? 2 : 4;
                inputsPerGroup = m * random.Next(1, 3);
                settings = PruneSettings.NOfM(random.Next(1, m), m) with { Criterion = criterion, Seed = seed };
            }
            else if (granularityChoice < 22)
            {
                var dims = Enumerable.Range(0, rank + 1).Where(_ => random.Next(2) == 0).ToArray();
                if (dims.Length == 0) dims = [random.Next(rank + 1)];
                settings = new PruneSettings(Granularity.Custom, sparsity) { Dims = dims, Criterion = criterion, Reducer = reducer, RoundTo = roundTo, Seed = seed };
            }
            else
            {
                var table = Enum.GetValues<Granularity>().Where(g => Granularities.TryGetReducedDims(kind, g, out _)).ToArray();
                settings = new PruneSettings(table[random.Next(table.Length)], sparsity) { Criterion = criterion, Reducer = reducer, RoundTo = roundTo, Seed = seed };
            }

            int[] sizes = [groups * random.Next(1, 4), groups * inputsPerGroup, random.Next(1, 4), random.Next(1, 4), random.Next(1, 3)];
            return new LayerCase(kind, sizes, groups, settings, sparsity, seed);
        }

        public override string ToString() =>
            $"{Kind} out/in/k={string.Join(",", Sizes)} groups={Groups} {Settings.Granularity}{(Settings.Dims is null ? "" : "(" + string.Join(",", Settings.Dims) + ")")}{(Settings.Granularity == Granularity.NOfM ? $" {Settings.N}:{Settings.M}" : "")} {Settings.Criterion} {Settings.Reducer} roundTo={Settings.RoundTo} sparsity={Sparsity} seed={Seed}";

        public void Check(ScalarType dtype, Tally tally) => Check(dtype, tally, generated: null);

        /// <summary>The case on a layer built here (<paramref name="generated"/> null) or on a generated layer of the case's shape and settings.</summary>
        public void Check(ScalarType dtype, Tally tally, PrunedLayer? generated)
        {
            var random = new Random(Seed);
            using var module = generated is null ? CreateModule(Kind, Sizes, Groups) : null;
            var layer = generated ?? new TestLayer("layer", Kind, Settings, module!);
            module?.to(dtype);
            var shape = layer.Weight.shape.Select(size => (int)size).ToArray();
            var count = shape.Aggregate(1, (a, b) => a * b);
            var initial = GridValues(random, count);
            var first = GridValues(random, count);
            var second = random.Next(3) == 0 ? first : GridValues(random, count);
            var gradient = GridValues(random, count);
            var reference = new ReferenceLayer(layer.Name, Kind, shape, Groups, Settings, first, Initial: initial, Previous: first, Gradient: gradient);

            SetWeights(layer, initial);
            layer.CaptureInitialWeights();
            if (Settings.Criterion == Criterion.Wanda) reference = reference with { InputSquares = RecordActivations(layer, random) };
            if (Settings.Criterion == Criterion.Taylor) SetGradient(layer, gradient);

            SetWeights(layer, first);
            var firstSparsity = Math.Round(Sparsity / 2, 2);
            var expected = ReferencePruning.Mask(reference, firstSparsity);
            if (!CheckUpdate(layer, firstSparsity, expected, tally)) return;

            SetWeights(layer, second);
            expected = ReferencePruning.Mask(reference with { Weight = second, ExistingMask = expected, Update = 1 }, Sparsity);
            if (!CheckUpdate(layer, Sparsity, expected, tally)) return;

            // Back to the first sparsity: fewer groups to prune than the mask holds, so the rule picks among the groups
            // the mask already prunes (all -Inf: the lowest flat indices go).
            var third = random.Next(2) == 0 ? second : GridValues(random, count);
            SetWeights(layer, third);
            expected = ReferencePruning.Mask(reference with { Weight = third, ExistingMask = expected, Previous = second, Update = 2 }, firstSparsity);
            CheckUpdate(layer, firstSparsity, expected, tally);
        }
    }

    internal sealed record GlobalCase(int LayerCount, Criterion Criterion, double Sparsity, int Seed)
    {
        public void Check(ScalarType dtype)
        {
            var random = new Random(Seed);
            var modules = new List<nn.Module>();
            var layers = new List<PrunedLayer>();
            var references = new List<ReferenceLayer>();
            try
            {
                for (var index = 0; index < LayerCount; index++)
                {
                    var layerCase = LayerCase.Create(Enum.GetValues<LayerKind>()[random.Next(7)], Criterion, Reducer.Mean, 22 + random.Next(78), Sparsity, 0, random.Next());
                    var module = CreateModule(layerCase.Kind, layerCase.Sizes, layerCase.Groups);
                    modules.Add(module);
                    var layer = new TestLayer($"layer{index}", layerCase.Kind, layerCase.Settings, module);
                    module.to(dtype);
                    var shape = layer.Weight.shape.Select(size => (int)size).ToArray();
                    var values = GridValues(random, shape.Aggregate(1, (a, b) => a * b));
                    var gradient = GridValues(random, values.Length);
                    SetWeights(layer, values);
                    var reference = new ReferenceLayer(layer.Name, layerCase.Kind, shape, layerCase.Groups, layerCase.Settings, values, Initial: values, Previous: values, Gradient: gradient);
                    if (Criterion == Criterion.Wanda) reference = reference with { InputSquares = RecordActivations(layer, random) };
                    if (Criterion == Criterion.Taylor) SetGradient(layer, gradient);
                    layers.Add(layer);
                    references.Add(reference);
                }

                var expected = ReferencePruning.GlobalMasks(references, Sparsity);
                if (expected is null)
                {
                    Assert.Throws<PruningException>(() => PrunedLayer.ComputeGlobalMasks(layers, Sparsity));
                    return;
                }

                PrunedLayer.ComputeGlobalMasks(layers, Sparsity);
                for (var index = 0; index < layers.Count; index++)
                {
                    Assert.Equal(expected[index], MaskValues(layers[index]));
                }
            }
            finally
            {
                foreach (var module in modules) module.Dispose();
            }
        }

        public override string ToString() => $"{LayerCount} layers, {Criterion}, sparsity {Sparsity}, seed {Seed}";
    }

    /// <summary>Runs one update and compares it with the reference; false where both agree the update is impossible.</summary>
    private static bool CheckUpdate(PrunedLayer layer, double sparsity, float[]? expected, Tally tally)
    {
        if (expected is null)
        {
            var error = Assert.Throws<PruningException>(() => layer.UpdateMask(sparsity));
            Assert.Equal(layer.Name, error.LayerName);
            tally.ExpectedErrors++;
            return false;
        }

        layer.UpdateMask(sparsity);
        Assert.Equal(expected, MaskValues(layer));
        tally.Compared++;
        if (expected.Contains(0f)) tally.WithPrunedWeights++;
        return true;
    }

    internal static nn.Module CreateModule(LayerKind kind, int[] sizes, int groups)
    {
        var (outputs, inputs, k1, k2, k3) = (sizes[0], sizes[1], sizes[2], sizes[3], sizes[4]);
        return kind switch
        {
            LayerKind.Linear => nn.Linear(inputs, outputs),
            LayerKind.Conv1d => nn.Conv1d(inputs, outputs, k1, groups: groups),
            LayerKind.Conv2d => nn.Conv2d(inputs, outputs, (k1, k2), groups: groups),
            LayerKind.Conv3d => nn.Conv3d(inputs, outputs, (k1, k2, k3), groups: groups),
            // Transposed layers take the input count first; the weight is [in, out/groups, k...].
            LayerKind.ConvTranspose1d => nn.ConvTranspose1d(inputs, outputs, k1, groups: groups),
            LayerKind.ConvTranspose2d => nn.ConvTranspose2d(inputs, outputs, (k1, k2), groups: groups),
            LayerKind.ConvTranspose3d => nn.ConvTranspose3d(inputs, outputs, (k1, k2, k3), groups: groups),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    internal static float[] GridValues(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => random.Next(-16, 17) / 8f).ToArray();

    internal static void SetWeights(PrunedLayer layer, float[] values)
    {
        using (no_grad())
        {
            layer.Weight.copy_(tensor(values).reshape(layer.Weight.shape));
        }
    }

    internal static void SetGradient(PrunedLayer layer, float[] gradient)
    {
        // d/dw sum(w · G) = G.
        using var target = tensor(gradient).reshape(layer.Weight.shape).to(layer.Weight.dtype);
        using var loss = layer.Weight.mul(target).sum();
        loss.backward();
    }

    internal static double[] RecordActivations(PrunedLayer layer, Random random)
    {
        var weight = layer.Weight;
        var channels = layer.Kind switch
        {
            LayerKind.Linear => weight.size(1),
            _ when Granularities.IsTransposed(layer.Kind) => weight.size(0),
            _ => weight.size(1) * ((Convolution)layer.Layer).groups,
        };
        var squares = new double[channels];
        for (var batch = 0; batch < 2; batch++)
        {
            long[] inputShape = layer.Kind == LayerKind.Linear ? [2, channels] : [2, channels, .. Enumerable.Repeat(2L, (int)weight.dim() - 2)];
            var values = GridValues(random, (int)inputShape.Aggregate(1L, (a, b) => a * b));
            for (var index = 0; index < values.Length; index++)
            {
                var channel = layer.Kind == LayerKind.Linear ? index % channels : index / (values.Length / inputShape[0] / channels) % channels;
                squares[channel] += (double)values[index] * values[index];
            }

            using var input = tensor(values).reshape(inputShape).to(weight.dtype);
            layer.RecordActivations(input);
        }

        return squares;
    }

    internal static float[] MaskValues(PrunedLayer layer)
    {
        using var mask = layer.Mask!.to(ScalarType.Float32).cpu();
        return mask.data<float>().ToArray();
    }
}

/// <summary>A pruned layer over any TorchSharp layer module, for tests that build layers without the generator.</summary>
internal sealed class TestLayer(string name, LayerKind kind, PruneSettings settings, nn.Module module) : PrunedLayer(name, kind, settings)
{
    public override nn.Module Layer => module;

    public override Parameter Weight => module switch
    {
        Linear linear => linear.weight!,
        Convolution convolution => convolution.weight!,
        _ => throw new InvalidOperationException($"{module.GetType().Name} is not a layer with a weight."),
    };
}
