using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// The radix selection paths only run on large inputs (at least <see cref="RadixSelect.MinimumCount"/> values), which
/// the property tests' small layers never reach: these tests hold them to a full sort and to the reference.
/// </summary>
public sealed class RadixSelectTests
{
    public static TheoryData<int, int> Sizes() => new() { { 16384, 1 }, { 40000, 2 }, { 70001, 3 } };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void NthKey_agrees_with_a_full_sort(int count, int seed)
    {
        var random = new Random(seed);
        var pool = new[] { 0.0, -0.0, double.NegativeInfinity, double.PositiveInfinity, 1.5, -1.5, 1e-300, -1e300 };
        var values = Enumerable.Range(0, count).Select(_ => random.Next(5) switch
        {
            0 => pool[random.Next(pool.Length)],
            1 => random.Next(-3, 4),
            _ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-5, 5)),
        }).ToArray();
        var sorted = values.OrderBy(value => value).ToArray();
        var candidates = new int[count];
        foreach (var n in new[] { 0, 1, count / 3, count / 2, count - 2, count - 1 })
        {
            var (threshold, below) = RadixSelect.NthKey(values, n, candidates);
            Assert.Equal(RadixSelect.Key(sorted[n]), threshold);
            Assert.Equal(values.Count(value => value < sorted[n]), below);
            Assert.Equal(RadixSelect.NthKeyBySelection(values, n, new double[count]), (threshold, below));
        }
    }

    [Theory]
    [InlineData(Criterion.LargeFinal, false)]
    [InlineData(Criterion.LargeFinal, true)]
    [InlineData(Criterion.LargeInit, false)]
    public void Large_weight_granularity_layers_match_the_reference_with_and_without_existing_masks(Criterion criterion, bool ties)
    {
        var random = new Random(ties ? 5 : 6);
        using var linear = nn.Linear(300, 100);
        var settings = new PruneSettings(Granularity.Weight, 0.6) { Criterion = criterion };
        var layer = new TestLayer("fc", LayerKind.Linear, settings, linear);
        float[] Values() => Enumerable.Range(0, 30000).Select(_ => ties ? random.Next(-4, 5) / 2f : (float)(random.NextDouble() - 0.5)).ToArray();
        var initial = Values();
        var first = Values();
        var second = Values();
        Set(linear.weight!, initial);
        layer.CaptureInitialWeights();

        Set(linear.weight!, first);
        var reference = new ReferenceLayer("fc", LayerKind.Linear, [100, 300], 1, settings, first, Initial: initial);
        var expected = ReferencePruning.Mask(reference, 0.3)!;
        layer.UpdateMask(0.3);
        Assert.Equal(expected, layer.Mask!.data<float>().ToArray());

        Set(linear.weight!, second);
        expected = ReferencePruning.Mask(reference with { Weight = second, ExistingMask = expected }, 0.6)!;
        layer.UpdateMask(0.6);
        Assert.Equal(expected, layer.Mask!.data<float>().ToArray());

        // The same sparsity again (the steady state while training): exactly the masked weights stay pruned.
        var steady = ReferencePruning.Mask(reference with { Weight = first, ExistingMask = expected }, 0.6)!;
        Set(linear.weight!, first);
        layer.UpdateMask(0.6);
        Assert.Equal(steady, layer.Mask!.data<float>().ToArray());
        Assert.Equal(expected, steady);
        Set(linear.weight!, second);

        // A lower sparsity keeps the lowest-index part of the existing mask: the threshold falls among masked weights.
        expected = ReferencePruning.Mask(reference with { Weight = second, ExistingMask = expected }, 0.2)!;
        layer.UpdateMask(0.2);
        Assert.Equal(expected, layer.Mask!.data<float>().ToArray());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.37)]
    [InlineData(0.9)]
    public void The_sampled_bracket_and_the_histogram_fallback_give_the_same_masks(double sparsity)
    {
        var random = new Random(12);
        var values = Enumerable.Range(0, 50000).Select(index => index % 7 == 0 ? 0.5f : index % 11 == 0 ? -0f : random.Next(-64, 65) / 64f).ToArray();
        var existing = Enumerable.Range(0, values.Length).Select(_ => random.Next(10) == 0 ? 0f : 1f).ToArray();
        var pruned = (int)Math.Round(sparsity * values.Length, MidpointRounding.ToEven);
        var candidates = new int[values.Length + 16];
        foreach (var withExisting in new[] { false, true })
        {
            var existingMask = withExisting ? existing : [];
            var sampled = new float[values.Length];
            var histogram = new float[values.Length];
            Assert.True(RadixSelect.MaskLowestMagnitudes(values, existingMask, pruned, candidates, sampled));
            Assert.True(RadixSelect.MaskLowestMagnitudesByHistogram(values, existingMask, pruned, candidates, histogram));
            Assert.Equal(histogram, sampled);
            Assert.Equal(pruned, sampled.Count(value => value == 0f));
        }
    }

    [Fact]
    public void Large_group_counts_take_the_radix_path_and_match_the_reference()
    {
        var random = new Random(9);
        using var conv = nn.Conv2d(128, 160, 3);
        var settings = new PruneSettings(Granularity.Kernel, 0.45);
        var layer = new TestLayer("conv", LayerKind.Conv2d, settings, conv);
        var values = Enumerable.Range(0, 128 * 160 * 9).Select(_ => random.Next(-8, 9) / 4f).ToArray();
        Set(conv.weight!, values);
        layer.UpdateMask();
        var expected = ReferencePruning.Mask(new ReferenceLayer("conv", LayerKind.Conv2d, [160, 128, 3, 3], 1, settings, values), 0.45);
        Assert.Equal(expected, layer.Mask!.data<float>().ToArray());
    }

    [Fact]
    public void A_nan_in_a_large_weight_is_reported_with_its_index()
    {
        using var linear = nn.Linear(200, 100);
        var layer = new TestLayer("fc", LayerKind.Linear, new PruneSettings(Granularity.Weight, 0.5), linear);
        using (no_grad()) linear.weight![42, 7] = float.NaN;
        var error = Assert.Throws<PruningException>(() => layer.UpdateMask());
        Assert.Contains("[42, 7]", error.Message);
    }

    private static void Set(Tensor weight, float[] values)
    {
        using (no_grad())
        {
            weight.copy_(tensor(values).reshape(weight.shape));
        }
    }
}
