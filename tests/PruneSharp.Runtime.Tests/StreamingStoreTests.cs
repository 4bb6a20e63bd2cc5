namespace PruneSharp.Tests;

/// <summary>
/// The writers of large new masks (<see cref="StreamingStores"/>: streaming stores of whole aligned lines, ordinary
/// stores for the head and tail) against plain loops of the rule, for masks above the size where they take over, at
/// every alignment of the mask's start in a line, with group sizes that do and do not divide a line, and for the
/// element-wise mask with ties at the threshold (pruned in index order across the head, the lines and the tail).
/// </summary>
public sealed class StreamingStoreTests
{
    private const int Large = (StreamingStores.MinimumBytes / sizeof(float)) + 1000;

    [Theory]
    [InlineData(9)]
    [InlineData(16)]
    [InlineData(47)]
    [InlineData(64)]
    [InlineData(147)]
    [InlineData(4608)]
    public void A_large_first_mask_of_groups_is_the_plain_expansion_at_every_alignment(int size)
    {
        var groups = (Large / size) + 3;
        var random = new Random(size);
        var keep = Enumerable.Range(0, groups).Select(_ => (float)random.Next(2)).ToArray();
        var expected = Enumerable.Range(0, groups * size).Select(index => keep[index / size]).ToArray();
        Assert.True(StreamingStores.Pays(expected.Length) || !System.Runtime.Intrinsics.X86.Avx512F.IsSupported);
        var memory = new float[expected.Length + 16];
        for (var offset = 0; offset < 16; offset++)
        {
            Array.Fill(memory, 0.5f);
            var mask = memory.AsSpan(offset, expected.Length);
            // Runs of 9 have a kernel where 256-bit vectors are accelerated; elsewhere the plan's generic walk writes them.
            var written = size == 9 && GroupKernels.ExpandRunsOf9(keep, default, mask);
            Assert.True(written || size != 9 || !System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated);
            if (!written) GroupKernels.ExpandContiguous(keep, default, size, mask);
            Assert.Equal(expected, mask.ToArray());
            Assert.All(memory.AsSpan(0, offset).ToArray(), value => Assert.Equal(0.5f, value));
            Assert.All(memory.AsSpan(offset + expected.Length).ToArray(), value => Assert.Equal(0.5f, value));
        }
    }

    [Theory]
    [InlineData(0.3, false)]
    [InlineData(0.5, true)]
    public void A_large_element_wise_mask_prunes_ties_in_index_order_at_every_alignment(double sparsity, bool withExisting)
    {
        var random = new Random(7);

        // A coarse grid: many weights share the threshold's magnitude, so some of them go and the rest stay.
        var values = Enumerable.Range(0, Large).Select(_ => random.Next(-32, 33) / 8f).ToArray();
        var existing = withExisting ? Enumerable.Range(0, Large).Select(_ => random.Next(10) == 0 ? 0f : 1f).ToArray() : [];
        var pruned = (int)Math.Round(sparsity * values.Length, MidpointRounding.ToEven);
        var expected = ExpectedMask(values, existing, pruned);
        var candidates = new int[values.Length + 16];
        var memory = new float[values.Length + 16];
        for (var offset = 0; offset < 16; offset += 3)
        {
            Array.Fill(memory, 0.5f);
            var mask = memory.AsSpan(offset, values.Length);
            Assert.True(RadixSelect.MaskLowestMagnitudes(values, existing, pruned, candidates, mask));
            Assert.Equal(expected, mask.ToArray());
            Assert.All(memory.AsSpan(offset + values.Length).ToArray(), value => Assert.Equal(0.5f, value));
        }
    }

    /// <summary>The rule by a sort: the lowest magnitudes go first (already pruned ones lowest), lower index first among equals.</summary>
    private static float[] ExpectedMask(float[] values, float[] existing, int pruned)
    {
        var order = Enumerable.Range(0, values.Length)
            .OrderBy(index => existing.Length > 0 && existing[index] == 0f ? -1f : Math.Abs(values[index]))
            .ThenBy(index => index)
            .ToArray();
        var mask = Enumerable.Repeat(1f, values.Length).ToArray();
        foreach (var index in order.Take(pruned)) mask[index] = 0f;
        return mask;
    }
}
