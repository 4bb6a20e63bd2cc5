using System;

namespace PruneSharp;

/// <summary>
/// The per-weight scores of each <see cref="Criterion"/> on the CPU, in float32, before they are reduced per group.
/// <see cref="TorchMaskEngine"/> computes the same values with the same float32 operations, so both paths rank alike.
/// </summary>
internal static class ElementScores
{
    /// <summary>
    /// Whether the criterion's score is the magnitude of one tensor (the weight, or the initial weight), which the
    /// group reduction then reads directly without a score buffer.
    /// </summary>
    public static bool IsMagnitudeOf(Criterion criterion, out CriterionInput source)
    {
        source = criterion switch
        {
            Criterion.LargeFinal => CriterionInput.Weight,
            Criterion.LargeInit => CriterionInput.InitialWeight,
            _ => CriterionInput.None,
        };
        return source != CriterionInput.None;
    }

    /// <summary>The inputs beyond the weight that <paramref name="criterion"/> needs.</summary>
    public static CriterionInput Needs(Criterion criterion) => criterion switch
    {
        Criterion.LargeInit or Criterion.SmallInit or Criterion.LargeInitLargeFinal or Criterion.SmallInitSmallFinal
            or Criterion.MagnitudeIncrease or Criterion.Movement or Criterion.MovementMagnitude => CriterionInput.InitialWeight,
        Criterion.UpdatingMagnitudeIncrease or Criterion.UpdatingMovement or Criterion.UpdatingMovementMagnitude => CriterionInput.PreviousWeight,
        Criterion.Taylor => CriterionInput.Gradient,
        Criterion.Wanda => CriterionInput.InputNorms,
        _ => CriterionInput.None,
    };

    /// <summary>
    /// Writes the element scores of <paramref name="criterion"/> into <paramref name="scores"/>. <paramref name="other"/>
    /// is the initial weight, the previous weight or the gradient, as <see cref="Needs"/> says; <paramref name="factors"/>
    /// holds Wanda's per-element input norms. Random scores come from <see cref="RandomScore"/>.
    /// </summary>
    public static void Compute(Criterion criterion, ReadOnlySpan<float> weight, ReadOnlySpan<float> other, ReadOnlySpan<float> factors, Span<float> scores)
    {
        switch (criterion)
        {
            case Criterion.LargeFinal:
                for (var i = 0; i < scores.Length; i++) scores[i] = Math.Abs(weight[i]);
                break;
            case Criterion.SmallFinal:
                for (var i = 0; i < scores.Length; i++) scores[i] = -Math.Abs(weight[i]);
                break;
            case Criterion.SquaredFinal:
                for (var i = 0; i < scores.Length; i++) scores[i] = weight[i] * weight[i];
                break;
            case Criterion.LargeInit:
                for (var i = 0; i < scores.Length; i++) scores[i] = Math.Abs(other[i]);
                break;
            case Criterion.SmallInit:
                for (var i = 0; i < scores.Length; i++) scores[i] = -Math.Abs(other[i]);
                break;
            case Criterion.LargeInitLargeFinal:
                for (var i = 0; i < scores.Length; i++) scores[i] = MinPropagatingNaN(Math.Abs(other[i]), Math.Abs(weight[i]));
                break;
            case Criterion.SmallInitSmallFinal:
                for (var i = 0; i < scores.Length; i++) scores[i] = -MaxPropagatingNaN(Math.Abs(other[i]), Math.Abs(weight[i]));
                break;
            case Criterion.MagnitudeIncrease:
            case Criterion.UpdatingMagnitudeIncrease:
                for (var i = 0; i < scores.Length; i++) scores[i] = Math.Abs(weight[i]) - Math.Abs(other[i]);
                break;
            case Criterion.Movement:
            case Criterion.UpdatingMovement:
                for (var i = 0; i < scores.Length; i++) scores[i] = Math.Abs(weight[i] - other[i]);
                break;
            case Criterion.MovementMagnitude:
            case Criterion.UpdatingMovementMagnitude:
                for (var i = 0; i < scores.Length; i++) scores[i] = Math.Abs(weight[i] * (weight[i] - other[i]));
                break;
            case Criterion.Taylor:
                for (var i = 0; i < scores.Length; i++)
                {
                    var product = weight[i] * other[i];
                    scores[i] = product * product;
                }

                break;
            case Criterion.Wanda:
                for (var i = 0; i < scores.Length; i++) scores[i] = Math.Abs(weight[i]) * factors[i];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(criterion), criterion, $"Criterion {criterion} has no element-wise formula here.");
        }
    }

    /// <summary>
    /// The random score of one element: uniform in [0, 1) with 24 bits, from SplitMix64 over the seed, the layer, the
    /// update number and the element's flat index, so the same inputs always give the same mask on every path.
    /// </summary>
    public static float RandomScore(ulong stream, long flatIndex)
    {
        var z = stream + (ulong)flatIndex * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 40) * (1f / (1 << 24));
    }

    /// <summary>The random stream of a layer's update: a stable mix of the seed, the layer name and the update number.</summary>
    public static ulong RandomStream(int seed, string layerName, long update)
    {
        // FNV-1a: string.GetHashCode is randomized per process and would break reproducibility.
        var hash = 14695981039346656037UL;
        foreach (var character in layerName)
        {
            hash = (hash ^ character) * 1099511628211UL;
        }

        return hash ^ ((ulong)(uint)seed << 32) ^ (ulong)update * 0xD1B54A32D192ED03UL;
    }

    // torch.minimum/maximum propagate NaN; Math.Min/Max on floats do too, but say so where it matters.
    private static float MinPropagatingNaN(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : Math.Min(a, b);

    private static float MaxPropagatingNaN(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : Math.Max(a, b);
}

/// <summary>What a criterion reads besides the current weight.</summary>
internal enum CriterionInput
{
    None,
    Weight,
    InitialWeight,
    PreviousWeight,
    Gradient,
    InputNorms,
}
