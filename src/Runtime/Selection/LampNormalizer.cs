using System;
using PruneSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// LAMP (<see cref="GlobalScoreNormalization.Lamp"/>) as a global ranking's per-layer normalization, on both backends:
/// the CPU spans call <see cref="Lamp.Normalize(string, ReadOnlySpan{double}, Span{double})"/>, the one implementation of
/// the rule; the tensor form computes the same values with the same order of operations (an ascending stable sort, so
/// ties keep the lower flat index first, and the tail sums accumulated from the best group down).
/// </summary>
/// <remarks>
/// A score LAMP cannot normalize (negative, <c>+Inf</c>) is a <see cref="PruningException"/> naming the layer, the
/// group and the value, thrown before anything is committed, so the pass leaves every mask as it was.
/// </remarks>
internal sealed class LampNormalizer : IGlobalScoreNormalizer
{
    public static readonly LampNormalizer Instance = new();

    private LampNormalizer()
    {
    }

    /// <inheritdoc/>
    public void Normalize(PrunedLayer layer, Span<double> scores)
    {
        var invalid = Lamp.FirstInvalid(scores);
        if (invalid >= 0) throw new PruningException(layer.Name, Lamp.InvalidScoreMessage(invalid, scores[invalid]));

        // Lamp.Normalize reads every score (into its sort keys) before it writes one: in place is safe.
        Lamp.Normalize(layer.Name, scores, scores);
    }

    /// <inheritdoc/>
    public Tensor Normalize(PrunedLayer layer, Tensor scores)
    {
        using var zero = 0.0.ToScalar();
        using var one = 1.0.ToScalar();
        using var negativeInfinity = double.NegativeInfinity.ToScalar();
        var count = scores.shape[0];
        if (count == 0) return scores.clone();

        // One synchronization: is any score outside [0, +Inf) other than -Inf (a group the mask prunes)?
        var invalid = scores.lt(zero).logical_and(scores.isneginf().logical_not()).logical_or(scores.isposinf()).logical_or(scores.isnan());
        if (invalid.any().item<bool>())
        {
            var group = invalid.nonzero()[0, 0].item<long>();
            throw new PruningException(layer.Name, Lamp.InvalidScoreMessage(group, scores[group].item<double>()));
        }

        var (sorted, order) = scores.sort(0, descending: false, stable: true);
        var pruned = sorted.isneginf();
        var squares = sorted.mul(sorted).masked_fill(pruned, zero);
        var tail = squares.flip(0).cumsum(0).flip(0);
        using var last = (count - 1).ToScalar();
        var isBest = arange(count, dtype: ScalarType.Int64, device: scores.device).eq(last);
        var lamp = squares.div(tail)
            .masked_fill(tail.le(zero), zero)
            .masked_fill(isBest, one)
            .masked_fill(pruned, negativeInfinity);
        return empty_like(scores).scatter_(0, order, lamp);
    }
}

/// <summary>The normalizer a <see cref="GlobalScoreNormalization"/> names.</summary>
internal static class GlobalScoreNormalizers
{
    /// <summary>The normalizer for <paramref name="normalization"/>; null for <see cref="GlobalScoreNormalization.None"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a member of the enum.</exception>
    public static IGlobalScoreNormalizer? For(GlobalScoreNormalization normalization) => normalization switch
    {
        GlobalScoreNormalization.None => null,
        GlobalScoreNormalization.Lamp => LampNormalizer.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(normalization), normalization, $"Normalization {(int)normalization} is not a member of {nameof(GlobalScoreNormalization)}."),
    };
}
