using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// Criterion scoring with TorchSharp ops, on the weight's device: element scores in float32 with the same operations
/// as <see cref="ElementScores"/> (so both backends score alike), and group scores in float64. Every result is a new
/// tensor in the caller's dispose scope.
/// </summary>
internal static class TorchScoring
{
    /// <summary>The float32 element scores of <paramref name="criterion"/>, with the same operations as <see cref="ElementScores"/>.</summary>
    /// <param name="criterion">The criterion.</param>
    /// <param name="weight">The current weight.</param>
    /// <param name="other">The initial weight, the previous weight or the gradient, as <see cref="ElementScores.Needs"/> says.</param>
    /// <param name="factors">Wanda's per-element input norms, float32, of the weight's shape.</param>
    /// <param name="randomStream">The random stream (<see cref="ElementScores.RandomStream"/>).</param>
    public static Tensor CriterionScores(Criterion criterion, Tensor weight, Tensor? other, Tensor? factors, ulong randomStream)
    {
        var w = weight.to(ScalarType.Float32);
        var o = other?.to(ScalarType.Float32, weight.device);
        return criterion switch
        {
            Criterion.LargeFinal => w.abs(),
            Criterion.SmallFinal => w.abs().neg(),
            Criterion.SquaredFinal => w.mul(w),
            Criterion.LargeInit => o!.abs(),
            Criterion.SmallInit => o!.abs().neg(),
            Criterion.LargeInitLargeFinal => minimum(o!.abs(), w.abs()),
            Criterion.SmallInitSmallFinal => maximum(o!.abs(), w.abs()).neg(),
            Criterion.MagnitudeIncrease or Criterion.UpdatingMagnitudeIncrease => w.abs().sub(o!.abs()),
            Criterion.Movement or Criterion.UpdatingMovement => w.sub(o!).abs(),
            Criterion.MovementMagnitude or Criterion.UpdatingMovementMagnitude => w.mul(w.sub(o!)).abs(),
            Criterion.Taylor => w.mul(o!).square(),
            Criterion.Wanda => w.abs().mul(factors!),
            Criterion.Random => RandomScores(weight, randomStream),
            _ => throw new ArgumentOutOfRangeException(nameof(criterion), criterion, $"Unknown criterion {criterion}."),
        };
    }

    /// <summary>The element scores of a layer's criterion from its checked inputs.</summary>
    public static Tensor CriterionScores(in CriterionInputs inputs)
    {
        var weight = inputs.Weight;
        Tensor? other = ElementScores.Needs(inputs.Criterion) switch
        {
            CriterionInput.InitialWeight => inputs.Initial ?? weight,
            CriterionInput.PreviousWeight => inputs.Previous ?? weight,
            CriterionInput.Gradient => inputs.Gradient,
            _ => null,
        };
        var factors = inputs.Criterion == Criterion.Wanda
            ? tensor(inputs.WandaFactors(), dtype: ScalarType.Float32).reshape(weight.shape).to(weight.device)
            : null;
        return CriterionScores(inputs.Criterion, weight.detach(), other, factors, inputs.RandomStream);
    }

    private static Tensor RandomScores(Tensor weight, ulong stream)
    {
        // Generated on the CPU with the same counter-based generator as the fast path, then moved: every device gets
        // the same scores.
        var values = new float[weight.numel()];
        for (var index = 0; index < values.Length; index++) values[index] = ElementScores.RandomScore(stream, index);
        return tensor(values, dtype: ScalarType.Float32).reshape(weight.shape).to(weight.device);
    }

    /// <summary>
    /// One float64 score per group, shaped like the weight with a leading dummy dim and size 1 on every reduced dim:
    /// the sum or mean of <paramref name="values"/> (of their magnitudes when <paramref name="magnitudes"/> is set).
    /// Groups holding an element that <paramref name="existingMask"/> prunes score <c>-Inf</c>.
    /// </summary>
    public static Tensor GroupScores(Tensor values, bool magnitudes, Reducer reducer, Tensor? existingMask, ReducedDims dims)
    {
        var rank = (int)values.dim();
        var reduceAxes = LayerGeometry.WeightAxes(dims, rank).Select(axis => axis + 1).ToArray();   // with the leading dummy dim
        var scores = (magnitudes ? values.abs() : values).to(ScalarType.Float64).unsqueeze(0);
        var groupSize = 1L;
        foreach (var axis in reduceAxes) groupSize *= values.size((int)axis - 1);
        if (reduceAxes.Length > 0)
        {
            scores = scores.sum(reduceAxes, keepdim: true);
            if (reducer == Reducer.Mean && groupSize > 1)
            {
                // Scalars are held in locals: TorchSharp passes their handles without keeping them alive, so a
                // temporary one can be finalized during the native call.
                using var divisor = ((double)groupSize).ToScalar();
                scores = scores.div(divisor);
            }
        }

        if (existingMask is not null)
        {
            var kept = existingMask.to(ScalarType.Float64).unsqueeze(0);
            if (reduceAxes.Length > 0) kept = kept.sum(reduceAxes, keepdim: true);
            using var size = ((double)groupSize).ToScalar();
            using var lowest = double.NegativeInfinity.ToScalar();
            scores = scores.masked_fill(kept.lt(size).logical_and(scores.isnan().logical_not()), lowest);
        }

        return scores;
    }

    /// <summary>Whether any value is NaN (one device synchronization).</summary>
    public static bool AnyNaN(Tensor values)
    {
        using var anyNaN = values.isnan().any();
        return anyNaN.item<bool>();
    }

    /// <summary>Throws a <see cref="PruningException"/> with <paramref name="message"/>'s text when any score is NaN.</summary>
    public static void ThrowIfNaN(Tensor scores, Func<string> message, string layerName)
    {
        if (AnyNaN(scores)) throw new PruningException(layerName, message());
    }

    /// <summary>The flat index of the first NaN in <paramref name="values"/>, or -1.</summary>
    public static long FirstNaN(Tensor values)
    {
        using var scope = NewDisposeScope();
        var found = values.isnan().flatten().nonzero();
        return found.shape[0] == 0 ? -1 : found[0, 0].item<long>();
    }

    /// <summary>The message for a NaN score of a layer: the first NaN weight if there is one, else the criterion's NaN.</summary>
    public static string NaNMessage(Criterion criterion, Tensor weight, Tensor elementScores)
    {
        var shape = TorchMaskEngine.IntShape(weight);
        var nanWeight = FirstNaN(weight);
        if (nanWeight >= 0) return MaskPlan.NaNWeightMessage(nanWeight, shape);
        return CriterionInputs.CriterionNaNMessage(criterion, Math.Max(0, FirstNaN(elementScores)), shape);
    }
}
