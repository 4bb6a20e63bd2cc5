using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// Criterion scoring on the CPU, over the memory of contiguous float32 tensors: the values the span kernels
/// (<see cref="MaskPlan"/>, <see cref="NOfMPlan"/>, the element-wise selection) read. A warm call allocates nothing for
/// every criterion but <see cref="Criterion.Taylor"/> (a float32 copy of the gradient) and <see cref="Criterion.Wanda"/>
/// (the per-element norms).
/// </summary>
internal static class SpanScoring
{
    /// <summary>
    /// The values to reduce or rank: where the criterion is the magnitude of one tensor (|w|, |w0|), that tensor's memory,
    /// with <paramref name="magnitudes"/> set and the tensor in <paramref name="magnitudeSource"/>; otherwise the
    /// criterion's element scores, written into the workspace's element-score buffer.
    /// </summary>
    public static ReadOnlySpan<float> Values(in CriterionInputs inputs, CpuWorkspace workspace, out bool magnitudes, out Tensor? magnitudeSource)
    {
        var weights = Of(inputs.Weight);
        if (ElementScores.IsMagnitudeOf(inputs.Criterion, out var source))
        {
            magnitudes = true;
            magnitudeSource = source == CriterionInput.Weight || inputs.Initial is null ? inputs.Weight : inputs.Initial;
            return Of(magnitudeSource);
        }

        magnitudeSource = null;
        magnitudes = false;
        var scores = workspace.ElementScores(weights.Length).AsSpan(0, weights.Length);
        var criterion = inputs.Criterion;
        switch (ElementScores.Needs(criterion))
        {
            case CriterionInput.None when criterion == Criterion.Random:
                var stream = inputs.RandomStream;
                for (var index = 0; index < scores.Length; index++) scores[index] = ElementScores.RandomScore(stream, index);
                break;
            case CriterionInput.None:
                ElementScores.Compute(criterion, weights, default, default, scores);
                break;
            case CriterionInput.InitialWeight:
                ElementScores.Compute(criterion, weights, inputs.Initial is null ? weights : Of(inputs.Initial), default, scores);
                break;
            case CriterionInput.PreviousWeight:
                ElementScores.Compute(criterion, weights, inputs.Previous is null ? weights : Of(inputs.Previous), default, scores);
                break;
            case CriterionInput.Gradient:
                using (NewDisposeScope())
                {
                    var gradient = inputs.Gradient!.to(ScalarType.Float32).cpu().contiguous();
                    ElementScores.Compute(criterion, weights, Of(gradient), default, scores);
                }

                break;
            case CriterionInput.InputNorms:
                ElementScores.Compute(criterion, weights, default, inputs.WandaFactors(), scores);
                break;
        }

        return scores;
    }

    /// <summary>The memory of a contiguous float32 CPU tensor.</summary>
    public static Span<float> Of(Tensor tensor) => MemoryMarshal.Cast<byte, float>(tensor.bytes);

    /// <summary>Whether any value is NaN: one vectorized read.</summary>
    public static bool ContainsNaN(ReadOnlySpan<float> values)
    {
        var index = 0;
        if (Vector256.IsHardwareAccelerated && values.Length >= Vector256<float>.Count)
        {
            var notEqual = Vector256<float>.Zero;
            ref var start = ref MemoryMarshal.GetReference(values);
            for (; index <= values.Length - Vector256<float>.Count; index += Vector256<float>.Count)
            {
                var loaded = Vector256.LoadUnsafe(ref start, (nuint)index);
                notEqual |= ~Vector256.Equals(loaded, loaded);
            }

            if (notEqual != Vector256<float>.Zero) return true;
        }

        for (; index < values.Length; index++)
        {
            if (float.IsNaN(values[index])) return true;
        }

        return false;
    }

    /// <summary>The message for NaN scores: the first NaN weight if there is one, else the criterion's NaN.</summary>
    public static string NaNMessage(Criterion criterion, ReadOnlySpan<float> weights, ReadOnlySpan<float> values, int[] shape)
    {
        var nanWeight = MaskPlan.FirstNaN(weights);
        if (nanWeight >= 0) return MaskPlan.NaNWeightMessage(nanWeight, shape);
        return CriterionInputs.CriterionNaNMessage(criterion, Math.Max(0, MaskPlan.FirstNaN(values)), shape);
    }
}
