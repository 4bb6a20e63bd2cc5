using CsCheck;

namespace PruneSharp.Tests;

/// <summary>
/// The sampled bracket only decides how fast a selection is: a bracket that misses the rank falls back to a selection
/// over every value. These tests hold it to what the selections rely on: it bounds the sample's order statistics
/// (so it misses no more often than they would), it stays inside the keys' range, and over ordinary scores it holds
/// the rank, so that the fast path is the one that runs.
/// </summary>
public sealed class SampleBracketTests
{
    /// <summary>Samples of keys with what makes a histogram bracket hard: a pile at the sentinel, duplicates, one key, the ends of the range.</summary>
    private static readonly Gen<(ulong[] Sample, int Rank, int Count)> Cases =
        from length in Gen.Int[1, 4096]
        from style in Gen.Int[0, 4]
        from seed in Gen.Int
        from rankPart in Gen.Double[0, 1]
        from countFactor in Gen.Int[1, 64]
        select (Keys(length, style, new Random(seed)), (int)(rankPart * ((length * countFactor) - 1)), length * countFactor);

    private static ulong[] Keys(int length, int style, Random random) => [.. Enumerable.Range(0, length).Select(_ => style switch
    {
        0 => (ulong)random.NextInt64(),
        1 => random.Next(3) == 0 ? 0UL : (ulong)random.Next(1000, 1010), // held-pruned pile and few distinct keys
        2 => random.Next(2) == 0 ? ulong.MaxValue : ulong.MaxValue - (ulong)random.Next(5), // the top of the range
        3 => 42UL, // one key
        _ => random.Next(4) == 0 ? 0UL : (ulong)random.NextInt64() | 0x8000_0000_0000_0000UL,
    })];

    [Fact]
    public void The_bracket_bounds_the_samples_order_statistics_and_stays_in_the_key_range()
    {
        Cases.Sample(testCase =>
        {
            var (sample, rank, count) = testCase;
            var sorted = sample.Order().ToArray();
            var (low, high) = SampleWalk.Bracket<ulong>(sample, rank, count, lowest: 0UL);
            var (lowRank, highRank) = Ranks(sample.Length, rank, count);
            Assert.True(low <= high, $"low {low} > high {high}");
            if (lowRank > 0) Assert.True(low <= sorted[lowRank], $"low {low} above the sample's key of rank {lowRank}, {sorted[lowRank]}");
            else Assert.Equal(0UL, low);
            if (highRank < sample.Length - 1) Assert.True(high >= sorted[highRank], $"high {high} below the sample's key of rank {highRank}, {sorted[highRank]}");
            else Assert.Equal(ulong.MaxValue, high);
            Assert.True(high == ulong.MaxValue || high <= sorted[^1], $"high {high} above the sample's largest key {sorted[^1]}");
        }, iter: 2000, seed: "0N0XIzNsQ0O2");
    }

    [Fact]
    public void The_float32_keys_bracket_agrees_with_the_float64_keys_bracket_on_the_same_keys()
    {
        // One generic rule serves the magnitude keys (uint) and the group-score keys (ulong).
        var random = new Random(3);
        var keys = Enumerable.Range(0, 4096).Select(_ => random.Next(5) == 0 ? 0u : (uint)random.Next(1, int.MaxValue)).ToArray();
        var wide = keys.Select(key => (ulong)key).ToArray();
        foreach (var rank in new[] { 0, 1000, 50_000, 99_999 })
        {
            var (low, high) = SampleWalk.Bracket<uint>(keys, rank, 100_000, lowest: 0u);
            var (lowWide, highWide) = SampleWalk.Bracket<ulong>(wide, rank, 100_000, lowest: 0UL);
            var (lowRank, highRank) = Ranks(keys.Length, rank, 100_000);
            var sorted = keys.Order().ToArray();
            if (lowRank > 0) Assert.InRange(low, 0u, sorted[lowRank]);
            if (highRank < keys.Length - 1) Assert.InRange(high, sorted[highRank], sorted[^1]);
            if (lowRank > 0) Assert.InRange(lowWide, 0UL, sorted[lowRank]);
            if (highRank < keys.Length - 1) Assert.InRange(highWide, sorted[highRank], sorted[^1]);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void Group_scores_select_through_the_bracket_and_agree_with_a_full_sort(double heldPruned)
    {
        // Mean magnitudes of groups, a share of them pruned by a held mask (-Inf), zeros of both signs and repeats.
        var random = new Random(11);
        var values = Enumerable.Range(0, 300_000).Select(_ => random.NextDouble() < heldPruned
            ? double.NegativeInfinity
            : random.Next(20) switch
            {
                0 => 0.0,
                1 => -0.0,
                2 => 0.25,
                _ => Math.Abs(Normal(random)) * 0.05,
            }).ToArray();
        var sorted = values.Order().ToArray();
        var candidates = new double[values.Length + 8];
        var finite = values.Count(double.IsFinite);
        var first = values.Length - finite;
        foreach (var n in new[] { first + (finite / 10), first + (finite / 2), first + (finite * 9 / 10) })
        {
            Assert.True(SampledSelect.TryFindNth(values, n, candidates, out var nth, out var below), $"the bracket missed rank {n}");
            Assert.Equal(RadixSelect.Key(sorted[n]), RadixSelect.Key(nth));
            Assert.Equal(values.Count(value => value < sorted[n]), below);
        }
    }

    /// <summary>The sample ranks the bracket bounds, as <see cref="SampleWalk.Bracket"/> works them out.</summary>
    private static (int Low, int High) Ranks(int sampleLength, int rank, int count)
    {
        var fraction = rank / (double)count;
        var center = (int)(fraction * sampleLength);
        var margin = (int)(4 * Math.Sqrt(sampleLength * fraction * (1 - fraction))) + 16;
        return (center - margin, center + margin);
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
