using System;

namespace PruneSharp;

/// <summary>
/// N:M semi-structured masks on the CPU: in every run of M consecutive weights along the input axis (at one output
/// channel and kernel position), the N with the highest scores are kept. Ties prune the lower index first, as
/// everywhere. Allocates nothing per call.
/// </summary>
internal sealed class NOfMPlan
{
    private readonly int _outer;
    private readonly int _runsPerRow;
    private readonly int _inner;

    private NOfMPlan(string layerName, int n, int m, int outer, int runsPerRow, int inner)
    {
        LayerName = layerName;
        N = n;
        M = m;
        _outer = outer;
        _runsPerRow = runsPerRow;
        _inner = inner;
    }

    public string LayerName { get; }

    public int N { get; }

    public int M { get; }

    /// <summary>The number of runs of M weights.</summary>
    public long RunCount => (long)_outer * _runsPerRow * _inner;

    /// <exception cref="PruningException">N and M do not describe a valid pattern, or the input axis is not a multiple of M.</exception>
    public static NOfMPlan Create(string layerName, ReadOnlySpan<int> shape, int inputAxis, int n, int m)
    {
        if (n < 1 || m <= n)
        {
            throw new PruningException(layerName, $"N:M needs 1 ≤ N < M; it is {n}:{m}.");
        }

        if (inputAxis < 0 || inputAxis >= shape.Length)
        {
            throw new PruningException(layerName, $"the weight has shape {MaskPlan.FormatShape(shape)}, which has no input axis {inputAxis}.");
        }

        if (shape[inputAxis] % m != 0)
        {
            throw new PruningException(layerName, $"the weight has shape {MaskPlan.FormatShape(shape)}: its input size {shape[inputAxis]} (axis {inputAxis}) is not a multiple of M = {m}, so it does not split into runs of {m}.");
        }

        long outer = 1, inner = 1;
        for (var axis = 0; axis < inputAxis; axis++) outer *= shape[axis];
        for (var axis = inputAxis + 1; axis < shape.Length; axis++) inner *= shape[axis];
        return new NOfMPlan(layerName, n, m, checked((int)outer), shape[inputAxis] / m, checked((int)inner));
    }

    /// <summary>
    /// Writes the mask for element <paramref name="scores"/> (higher is kept) into <paramref name="mask"/>. Elements
    /// that <paramref name="existingMask"/> (when not empty) prunes count as the lowest scores.
    /// </summary>
    /// <returns>The number of weights pruned.</returns>
    public long Compute(ReadOnlySpan<float> scores, ReadOnlySpan<float> existingMask, Span<float> mask)
    {
        var m = M;
        var prunePerRun = m - N;
        var stride = _inner;
        Span<float> run = stackalloc float[m];
        for (var row = 0; row < _outer; row++)
        {
            for (var block = 0; block < _runsPerRow; block++)
            {
                var first = ((long)row * _runsPerRow * m + (long)block * m) * stride;
                for (var position = 0; position < stride; position++)
                {
                    var start = (int)(first + position);
                    for (var t = 0; t < m; t++)
                    {
                        var index = start + t * stride;
                        run[t] = !existingMask.IsEmpty && existingMask[index] == 0f ? float.NegativeInfinity : scores[index];
                    }

                    // The existing mask may be the same memory as the new one: every read of the run comes first.
                    for (var t = 0; t < m; t++) mask[start + t * stride] = 1f;

                    // M is small (4, 8): repeatedly prune the lowest remaining score, the first one among equals.
                    for (var pruned = 0; pruned < prunePerRun; pruned++)
                    {
                        var lowest = -1;
                        for (var t = 0; t < m; t++)
                        {
                            if (float.IsNaN(run[t])) continue;
                            if (lowest < 0 || run[t] < run[lowest]) lowest = t;
                        }

                        run[lowest] = float.NaN;
                        mask[start + lowest * stride] = 0f;
                    }
                }
            }
        }

        return RunCount * prunePerRun;
    }
}
