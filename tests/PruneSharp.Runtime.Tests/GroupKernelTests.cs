namespace PruneSharp.Tests;

/// <summary>
/// The layout kernels (<see cref="MaskKernel"/>) against plain loops of the rule: group scores with and without a held
/// mask (0/1 masks and masks with other values, which take the odometer walk), every group count around the kernels'
/// vector blocks and tails, NaN weights; the expansion that skips unchanged groups against a full write; the sampled
/// selection and the N:M kernels against a sort and a scalar ranking. Values lie on a grid of 1/8, so float64 sums are
/// exact in any order and the comparisons are exact.
/// </summary>
public sealed class GroupKernelTests
{
    public static TheoryData<int, int, MaskKernel> Layouts() => new()
    {
        // [out, in, kh, kw] reduced over (2, 3, 4) (Filter) or (3, 4) (Kernel): every group one contiguous run.
        { 1, 9, MaskKernel.RunsOf9 },
        { 8, 9, MaskKernel.RunsOf9 },
        { 9, 9, MaskKernel.RunsOf9 },
        { 17, 9, MaskKernel.RunsOf9 },
        { 41, 9, MaskKernel.RunsOf9 },
        { 3, 16, MaskKernel.ContiguousGroups },
        { 5, 47, MaskKernel.ContiguousGroups },
        { 4, 64, MaskKernel.ContiguousGroups },
        { 3, 147, MaskKernel.ContiguousGroups },
        { 6, 5, MaskKernel.ShortRuns },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Layout_kernels_score_as_the_rule_with_and_without_a_held_mask(int groups, int size, MaskKernel kernel)
    {
        var geometry = MaskGeometry.ForGroups([groups, size], ReducedDims.Of(2));
        Assert.Equal(kernel, geometry.Kernel);
        var plan = MaskPlan.Create("layer", geometry);
        var random = new Random(groups * 1000 + size);
        foreach (var magnitudes in new[] { true, false })
        {
            foreach (var reducer in new[] { Reducer.Mean, Reducer.Sum })
            {
                var values = Grid(random, groups * size);
                plan.ScoreGroups(values, magnitudes, reducer, default);
                Assert.Equal(ExpectedScores(values, null, groups, size, magnitudes, reducer), plan.Scores.ToArray());

                // A held mask of 0 and 1 (whole groups kept, whole groups pruned, mixed groups), then one with other values.
                foreach (var binary in new[] { true, false })
                {
                    var held = HeldMask(random, groups, size, binary);
                    plan.ScoreGroups(values, magnitudes, reducer, held);
                    Assert.Equal(ExpectedScores(values, held, groups, size, magnitudes, reducer), plan.Scores.ToArray());
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Expanding_over_a_held_mask_writes_what_a_full_write_does(int groups, int size, MaskKernel kernel)
    {
        Assert.Equal(kernel, MaskGeometry.ForGroups([groups, size], ReducedDims.Of(2)).Kernel);
        var plan = MaskPlan.Create("layer", MaskGeometry.ForGroups([groups, size], ReducedDims.Of(2)));
        var random = new Random(groups + size);
        for (var trial = 0; trial < 20; trial++)
        {
            var held = HeldMask(random, groups, size, binary: true);
            plan.ScoreGroups(Grid(random, groups * size), magnitudes: true, Reducer.Mean, held);
            for (var group = 0; group < groups; group++) plan.KeptGroups[group] = random.Next(2);

            var expected = Enumerable.Range(0, groups * size).Select(index => plan.KeptGroups[index / size]).ToArray();
            var mask = (float[])held.Clone();
            plan.Expand(mask, maskIsHeld: true);
            Assert.Equal(expected, mask);

            // Not the held mask: every element is written, whatever was there.
            var other = Enumerable.Repeat(0.5f, groups * size).ToArray();
            plan.Expand(other, maskIsHeld: false);
            Assert.Equal(expected, other);
        }
    }

    [Theory]
    [InlineData(9, 9)]
    [InlineData(30, 9)]
    [InlineData(4, 64)]
    public void A_nan_weight_gives_a_nan_score_even_in_a_group_the_held_mask_prunes(int groups, int size)
    {
        var plan = MaskPlan.Create("layer", MaskGeometry.ForGroups([groups, size], ReducedDims.Of(2)));
        var values = Grid(new Random(1), groups * size);
        var last = groups - 1;
        values[(last * size) + size - 1] = float.NaN;
        var held = Enumerable.Repeat(0f, groups * size).ToArray();
        plan.ScoreGroups(values, magnitudes: true, Reducer.Mean, held);
        Assert.True(double.IsNaN(plan.Scores[last]));
        Assert.All(plan.Scores[..last].ToArray(), score => Assert.Equal(double.NegativeInfinity, score));
    }

    [Theory]
    [InlineData(SampledSelect.MinimumCount, 4)]
    [InlineData(4999, 5)]
    [InlineData(16384, 1)]
    [InlineData(50000, 2)]
    [InlineData(70001, 3)]
    public void The_sampled_selection_finds_the_rank_a_sort_does(int count, int seed)
    {
        var random = new Random(seed);
        foreach (var kind in new[] { "spread", "ties", "held", "equal" })
        {
            var values = Enumerable.Range(0, count).Select(_ => kind switch
            {
                "ties" => random.Next(-3, 4) / 2.0,
                "held" => random.Next(2) == 0 ? double.NegativeInfinity : random.Next(2) == 0 ? -0.0 : random.NextDouble(),
                "equal" => 0.25,
                _ => random.NextDouble() - 0.5,
            }).ToArray();
            var sorted = values.OrderBy(value => value).ToArray();
            var scratch = new double[count + 8];
            foreach (var n in new[] { 0, count / 3, count / 2, (count * 9) / 10, count - 1 })
            {
                if (!SampledSelect.TryFindNth(values, n, scratch, out var nth, out var below))
                {
                    // Only a bracket that cannot hold the rank may miss; "equal" and "ties" never do.
                    Assert.Equal("held", kind);
                    continue;
                }

                Assert.Equal(sorted[n], nth);
                Assert.Equal(values.Count(value => value < sorted[n]), below);
            }
        }

        Assert.False(SampledSelect.TryFindNth(new double[count], 1, new double[count], out _, out _));
    }

    [Theory]
    [InlineData(new[] { 16, 8 }, 1)]
    [InlineData(new[] { 6, 12 }, 1)]
    [InlineData(new[] { 3, 4 }, 1)]
    [InlineData(new[] { 5, 8, 3, 3 }, 1)]
    [InlineData(new[] { 3, 4, 2, 5 }, 1)]
    [InlineData(new[] { 8, 3, 3, 3 }, 0)]
    public void NOfM_kernels_rank_as_the_scalar_rule(int[] shape, int inputAxis)
    {
        var random = new Random(shape.Sum());
        var count = shape.Aggregate(1, (a, b) => a * b);
        foreach (var n in new[] { 1, 2, 3 })
        {
            var plan = NOfMPlan.Create("layer", shape, inputAxis, n, 4);
            foreach (var magnitudes in new[] { true, false })
            {
                foreach (var withHeld in new[] { false, true })
                {
                    var values = Enumerable.Range(0, count).Select(_ => random.Next(-3, 4) / 2f).ToArray();
                    var held = withHeld ? Enumerable.Range(0, count).Select(_ => (float)random.Next(2)).ToArray() : null;
                    var mask = new float[count];
                    Assert.True(plan.Compute(values, magnitudes, held, mask));
                    var expected = ScalarNOfM(values, held, shape, inputAxis, n, 4, magnitudes);
                    Assert.Equal(expected, mask);
                    if (held is not null)
                    {
                        // In place over the held mask, as the mask pass's commit runs it: unchanged vectors are not stored.
                        var inPlace = (float[])held.Clone();
                        Assert.True(plan.Compute(values, magnitudes, inPlace, inPlace));
                        Assert.Equal(expected, inPlace);
                        Assert.True(plan.Compute(values, magnitudes, inPlace, inPlace));
                        Assert.Equal(ScalarNOfM(values, expected, shape, inputAxis, n, 4, magnitudes), inPlace);
                    }

                    values[random.Next(count)] = float.NaN;
                    Assert.False(plan.Compute(values, magnitudes, held, mask));
                }
            }
        }
    }

    private static float[] Grid(Random random, int count) => Enumerable.Range(0, count).Select(_ => random.Next(-16, 17) / 8f).ToArray();

    /// <summary>A held mask over [groups, size]: whole groups kept, whole groups pruned, and mixed ones; with other values where not binary.</summary>
    private static float[] HeldMask(Random random, int groups, int size, bool binary)
    {
        var mask = new float[groups * size];
        for (var group = 0; group < groups; group++)
        {
            var pattern = random.Next(3);
            for (var index = 0; index < size; index++) mask[(group * size) + index] = pattern switch { 0 => 1f, 1 => 0f, _ => random.Next(2) };
        }

        if (!binary) mask[random.Next(mask.Length)] = 0.5f;
        return mask;
    }

    /// <summary>The rule with plain loops: sum (of magnitudes) per group, divided for Mean; -Inf where the held mask's group sum falls short of its size, unless NaN.</summary>
    private static double[] ExpectedScores(float[] values, float[]? held, int groups, int size, bool magnitudes, Reducer reducer)
    {
        var scores = new double[groups];
        for (var group = 0; group < groups; group++)
        {
            double sum = 0, heldSum = 0;
            for (var index = 0; index < size; index++)
            {
                var value = values[(group * size) + index];
                sum += magnitudes ? Math.Abs(value) : value;
                if (held is not null) heldSum += held[(group * size) + index];
            }

            scores[group] = reducer == Reducer.Mean ? sum / size : sum;
            if (held is not null && heldSum < size && !double.IsNaN(scores[group])) scores[group] = double.NegativeInfinity;
        }

        return scores;
    }

    /// <summary>N:M by the rule, one run at a time: prune the M − N lowest scores (held zeros lowest), lower index first among equals.</summary>
    private static float[] ScalarNOfM(float[] values, float[]? held, int[] shape, int inputAxis, int n, int m, bool magnitudes)
    {
        var inner = shape.Skip(inputAxis + 1).Aggregate(1, (a, b) => a * b);
        var blocks = values.Length / (m * inner);
        var mask = new float[values.Length];
        for (var block = 0; block < blocks; block++)
        {
            for (var position = 0; position < inner; position++)
            {
                var indices = Enumerable.Range(0, m).Select(t => (block * m * inner) + (t * inner) + position).ToArray();
                var scores = indices.Select(index => held is not null && held[index] == 0f ? float.NegativeInfinity : magnitudes ? Math.Abs(values[index]) : values[index]).ToArray();
                var order = Enumerable.Range(0, m).OrderBy(t => scores[t]).ThenBy(t => t).ToArray();
                for (var rank = 0; rank < m; rank++) mask[indices[order[rank]]] = rank < m - n ? 0f : 1f;
            }
        }

        return mask;
    }
}
