namespace PruneSharp.Tests;

/// <summary>What one layer's reference mask is computed from.</summary>
internal sealed record ReferenceLayer(
    string Name,
    LayerKind Kind,
    int[] Shape,
    int ConvolutionGroups,
    PruneSettings Settings,
    float[] Weight,
    float[]? Initial = null,
    float[]? Previous = null,
    float[]? Gradient = null,
    double[]? InputSquares = null,
    float[]? ExistingMask = null,
    long Update = 0);

/// <summary>
/// The whole pruning rule (every criterion, reducer, granularity, roundTo, N:M, existing masks, global scope) written
/// as plainly as possible from docs/masks.md and docs/granularities.md, independent of the engines: coordinates per
/// element, group keys in mixed radix, float64 sums in element order, full sorts by (score, index).
/// </summary>
internal static class ReferencePruning
{
    /// <summary>The mask, or null where the sparsity would remove every group (local scope).</summary>
    public static float[]? Mask(ReferenceLayer layer, double sparsity)
    {
        var scores = ElementScores(layer);
        if (layer.Settings.Granularity == Granularity.NOfM) return NOfM(layer, scores);

        var (groupOf, groupScores) = GroupScores(layer, scores);
        var groups = groupScores.Length;
        var pruned = (long)Math.Round(sparsity * groups, MidpointRounding.ToEven);
        if (pruned >= groups) return null;
        if (layer.Settings.RoundTo > 1)
        {
            var roundTo = layer.Settings.RoundTo;
            var kept = Math.Min(groups, Math.Max(roundTo, roundTo * (long)Math.Round((groups - pruned) / (double)roundTo, MidpointRounding.ToEven)));
            pruned = groups - kept;
        }

        var keep = Enumerable.Repeat(1f, groups).ToArray();
        foreach (var group in Enumerable.Range(0, groups).OrderBy(group => groupScores[group]).ThenBy(group => group).Take((int)pruned)) keep[group] = 0f;
        return groupOf.Select(group => keep[group]).ToArray();
    }

    /// <summary>The masks of a global ranking, or null where the sparsity would take some layer's last group.</summary>
    public static float[][]? GlobalMasks(IReadOnlyList<ReferenceLayer> layers, double sparsity)
    {
        var perLayer = layers.Select(layer => GroupScores(layer, ElementScores(layer))).ToArray();
        var total = perLayer.Sum(layer => layer.Scores.Length);
        var pruned = (long)Math.Round(sparsity * total, MidpointRounding.ToEven);
        var candidates = new List<(double Score, int Layer, int Group)>();
        for (var index = 0; index < perLayer.Length; index++)
        {
            var scores = perLayer[index].Scores;
            var best = Enumerable.Range(0, scores.Length).OrderBy(group => scores[group]).ThenBy(group => group).Last();
            candidates.AddRange(Enumerable.Range(0, scores.Length).Where(group => group != best).Select(group => (scores[group], index, group)));
        }

        if (pruned > candidates.Count) return null;
        var keep = perLayer.Select(layer => Enumerable.Repeat(1f, layer.Scores.Length).ToArray()).ToArray();
        foreach (var (_, layer, group) in candidates.OrderBy(c => c.Score).ThenBy(c => c.Layer).ThenBy(c => c.Group).Take((int)pruned)) keep[layer][group] = 0f;
        return perLayer.Select((layer, index) => layer.GroupOf.Select(group => keep[index][group]).ToArray()).ToArray();
    }

    private static float[] ElementScores(ReferenceLayer layer)
    {
        var w = layer.Weight;
        var scores = new float[w.Length];
        for (var i = 0; i < w.Length; i++)
        {
            scores[i] = layer.Settings.Criterion switch
            {
                Criterion.LargeFinal => MathF.Abs(w[i]),
                Criterion.SmallFinal => -MathF.Abs(w[i]),
                Criterion.SquaredFinal => w[i] * w[i],
                Criterion.LargeInit => MathF.Abs(layer.Initial![i]),
                Criterion.SmallInit => -MathF.Abs(layer.Initial![i]),
                Criterion.LargeInitLargeFinal => MathF.Min(MathF.Abs(layer.Initial![i]), MathF.Abs(w[i])),
                Criterion.SmallInitSmallFinal => -MathF.Max(MathF.Abs(layer.Initial![i]), MathF.Abs(w[i])),
                Criterion.MagnitudeIncrease => MathF.Abs(w[i]) - MathF.Abs(layer.Initial![i]),
                Criterion.Movement => MathF.Abs(w[i] - layer.Initial![i]),
                Criterion.MovementMagnitude => MathF.Abs(w[i] * (w[i] - layer.Initial![i])),
                Criterion.UpdatingMagnitudeIncrease => MathF.Abs(w[i]) - MathF.Abs(layer.Previous![i]),
                Criterion.UpdatingMovement => MathF.Abs(w[i] - layer.Previous![i]),
                Criterion.UpdatingMovementMagnitude => MathF.Abs(w[i] * (w[i] - layer.Previous![i])),
                Criterion.Taylor => (w[i] * layer.Gradient![i]) * (w[i] * layer.Gradient![i]),
                Criterion.Wanda => MathF.Abs(w[i]) * (float)Math.Sqrt(layer.InputSquares![InputChannel(layer, i)]),
                Criterion.Random => RandomScore(layer, i),
                _ => throw new ArgumentOutOfRangeException(nameof(layer)),
            };
        }

        return scores;
    }

    private static (int[] GroupOf, double[] Scores) GroupScores(ReferenceLayer layer, float[] scores)
    {
        var dims = DimsOf(layer);
        var shape = layer.Shape;
        var rank = shape.Length;
        // A grouped transposed convolution's output channel is (group, index in group): the group always counts,
        // unless every dim is reduced, where the whole layer is one group.
        var wholeLayer = Enumerable.Range(1, rank).All(dims.Contains);
        var transposedGroups = Granularities.IsTransposed(layer.Kind) && !wholeLayer ? layer.ConvolutionGroups : 1;
        var keys = new long[scores.Length];
        for (var flat = 0; flat < scores.Length; flat++)
        {
            var coordinates = Coordinates(flat, shape);
            long key = coordinates[0] / (shape[0] / transposedGroups);
            for (var dim = 1; dim <= rank; dim++)
            {
                if (!dims.Contains(dim)) key = (key * shape[dim - 1]) + coordinates[dim - 1];
            }

            keys[flat] = key;
        }

        var distinct = keys.Distinct().OrderBy(key => key).ToList();
        var groupOf = keys.Select(key => distinct.BinarySearch(key)).ToArray();
        var sums = new double[distinct.Count];
        var sizes = new int[distinct.Count];
        var masked = new bool[distinct.Count];
        for (var flat = 0; flat < scores.Length; flat++)
        {
            var magnitude = layer.Settings.Criterion == Criterion.LargeFinal ? MathF.Abs(layer.Weight[flat]) : scores[flat];
            sums[groupOf[flat]] += magnitude;
            sizes[groupOf[flat]]++;
            if (layer.ExistingMask is { } existing && existing[flat] == 0f) masked[groupOf[flat]] = true;
        }

        var result = new double[sums.Length];
        for (var group = 0; group < result.Length; group++)
        {
            result[group] = masked[group] ? double.NegativeInfinity
                : layer.Settings.Reducer == Reducer.Mean ? sums[group] / sizes[group] : sums[group];
        }

        return (groupOf, result);
    }

    private static float[] NOfM(ReferenceLayer layer, float[] scores)
    {
        var (n, m) = (layer.Settings.N, layer.Settings.M);
        var axis = Granularities.InputAxis(layer.Kind);
        var runs = new Dictionary<string, List<(float Score, int Position, int Flat)>>();
        for (var flat = 0; flat < scores.Length; flat++)
        {
            var coordinates = Coordinates(flat, layer.Shape);
            var position = coordinates[axis] % m;
            coordinates[axis] /= m;
            var score = layer.ExistingMask is { } existing && existing[flat] == 0f ? float.NegativeInfinity : scores[flat];
            var key = string.Join(",", coordinates);
            if (!runs.TryGetValue(key, out var run)) runs[key] = run = [];
            run.Add((score, position, flat));
        }

        var mask = Enumerable.Repeat(1f, scores.Length).ToArray();
        foreach (var run in runs.Values)
        {
            Assert.Equal(m, run.Count);
            foreach (var element in run.OrderBy(e => e.Score).ThenBy(e => e.Position).Take(m - n)) mask[element.Flat] = 0f;
        }

        return mask;
    }

    private static int[] DimsOf(ReferenceLayer layer) => layer.Settings.Granularity switch
    {
        Granularity.Custom => layer.Settings.Dims!.ToArray(),
        var granularity => ReferenceMasks.Dims(layer.Kind, granularity),
    };

    private static int[] Coordinates(int flat, int[] shape)
    {
        var coordinates = new int[shape.Length];
        for (var axis = shape.Length - 1; axis >= 0; axis--)
        {
            coordinates[axis] = flat % shape[axis];
            flat /= shape[axis];
        }

        return coordinates;
    }

    private static int InputChannel(ReferenceLayer layer, int flat)
    {
        var coordinates = Coordinates(flat, layer.Shape);
        if (layer.Kind == LayerKind.Linear || Granularities.IsTransposed(layer.Kind))
        {
            return layer.Kind == LayerKind.Linear ? coordinates[1] : coordinates[0];
        }

        var outputsPerGroup = layer.Shape[0] / layer.ConvolutionGroups;
        return (coordinates[0] / outputsPerGroup * layer.Shape[1]) + coordinates[1];
    }

    // SplitMix64 over a stream made from the seed, an FNV-1a hash of the layer name and the update number (docs/masks.md).
    private static float RandomScore(ReferenceLayer layer, int flat)
    {
        var hash = 14695981039346656037UL;
        foreach (var character in layer.Name) hash = (hash ^ character) * 1099511628211UL;
        var stream = hash ^ ((ulong)(uint)layer.Settings.Seed << 32) ^ ((ulong)layer.Update * 0xD1B54A32D192ED03UL);
        var z = stream + ((ulong)flat * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 40) * (1f / (1 << 24));
    }
}
