using CsCheck;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// Property tests of the model-level pass over several layers at once against <see cref="ReferencePruning"/>: random
/// batches of 1 to 5 layers (random kinds, shapes, groups, granularities with Custom and N:M, criteria, reducers, RoundTo,
/// sparsities), each float32 (CPU fast path) or float64 (torch path, one batched selection for all of them), two passes
/// so the second sees the first's masks. Where the reference says some layer's sparsity removes every group, the pass
/// must throw and leave every mask as it was.
/// </summary>
public sealed class PassPropertyTests
{
    private const int Cases = 300;

    private static readonly Gen<(int Layers, int Seed)> Batches = Gen.Int[1, 5].Select(Gen.Int);

    [Fact]
    public void A_pass_over_a_batch_of_layers_gives_the_reference_masks_or_changes_nothing()
    {
        var compared = 0;
        var refused = 0;
        Batches.Sample(batch =>
        {
            var random = new Random(batch.Seed);
            var layers = new List<(PrunedLayer Layer, ReferenceLayer Reference, double First, double Second)>();
            var modules = new List<TorchSharp.torch.nn.Module>();
            try
            {
                for (var index = 0; index < batch.Layers; index++)
                {
                    var testCase = PropertyTests.LayerCase.Create(
                        Enum.GetValues<LayerKind>()[random.Next(7)], Enum.GetValues<Criterion>()[random.Next(16)], (Reducer)random.Next(2),
                        random.Next(100), random.Next(21) / 20.0, new[] { 0, 0, 0, 2, 3 }[random.Next(5)], random.Next());
                    var module = PropertyTests.CreateModule(testCase.Kind, testCase.Sizes, testCase.Groups);
                    modules.Add(module);
                    var layer = new TestLayer($"layer{index}", testCase.Kind, testCase.Settings, module);
                    module.to(random.Next(2) == 0 ? ScalarType.Float32 : ScalarType.Float64);
                    var shape = layer.Weight.shape.Select(size => (int)size).ToArray();
                    var count = shape.Aggregate(1, (a, b) => a * b);
                    var initial = PropertyTests.GridValues(random, count);
                    var gradient = PropertyTests.GridValues(random, count);
                    PropertyTests.SetWeights(layer, initial);
                    layer.CaptureInitialWeights();
                    var reference = new ReferenceLayer(layer.Name, testCase.Kind, shape, testCase.Groups, testCase.Settings, initial, Initial: initial, Gradient: gradient);
                    if (testCase.Settings.Criterion == Criterion.Wanda) reference = reference with { InputSquares = PropertyTests.RecordActivations(layer, random) };
                    if (testCase.Settings.Criterion == Criterion.Taylor) PropertyTests.SetGradient(layer, gradient);
                    layers.Add((layer, reference, Math.Round(testCase.Sparsity / 2, 2), testCase.Sparsity));
                }

                for (var pass = 0; pass < 2; pass++)
                {
                    var expected = new float[]?[layers.Count];
                    for (var index = 0; index < layers.Count; index++)
                    {
                        var (layer, reference, first, second) = layers[index];
                        var weights = PropertyTests.GridValues(random, reference.Weight.Length);
                        PropertyTests.SetWeights(layer, weights);
                        var existing = layer.Mask is null ? null : PropertyTests.MaskValues(layer);
                        reference = reference with { Weight = weights, ExistingMask = existing, Previous = pass == 0 ? weights : reference.Weight, Update = pass };
                        layers[index] = (layer, reference, first, second);
                        expected[index] = ReferencePruning.Mask(reference, pass == 0 ? first : second);
                    }

                    var before = layers.Select(entry => entry.Layer.Mask is null ? null : PropertyTests.MaskValues(entry.Layer)).ToArray();
                    var sparsities = layers.Select(entry => pass == 0 ? entry.First : entry.Second).ToArray();
                    if (expected.Any(mask => mask is null))
                    {
                        Assert.Throws<PruningException>(() => MaskPass.ComputeMasks(layers.Select(entry => entry.Layer).ToArray(), sparsities));
                        Assert.Equal(before, layers.Select(entry => entry.Layer.Mask is null ? null : PropertyTests.MaskValues(entry.Layer)));
                        refused++;
                        return;
                    }

                    MaskPass.ComputeMasks(layers.Select(entry => entry.Layer).ToArray(), sparsities);
                    for (var index = 0; index < layers.Count; index++)
                    {
                        Assert.Equal(expected[index], PropertyTests.MaskValues(layers[index].Layer));
                        compared++;
                    }
                }
            }
            finally
            {
                foreach (var module in modules) module.Dispose();
            }
        }, seed: "0N0XIzNsQ0P1", iter: Cases, threads: 1, print: batch => $"{batch.Item1} layers, seed {batch.Item2}");

        // The comparisons must mean something: many masks compared, and some passes refused.
        Assert.True(compared >= Cases, $"only {compared} masks compared");
        Assert.True(refused > 0, "no pass was refused");
    }
}
