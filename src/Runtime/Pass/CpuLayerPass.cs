using System;

namespace PruneSharp;

/// <summary>
/// A CPU fast-path layer in a mask pass: scored and selected into the layer's <see cref="CpuWorkspace"/> (reading the
/// weight, the criterion's inputs and the existing mask, writing nothing else), then committed: the mask written in
/// place and the layer's state advanced. Allocation-free once warm.
/// </summary>
internal static class CpuLayerPass
{
    /// <summary>
    /// Scores the layer and, under local scope, selects: the group route leaves the keep of each group in the plan,
    /// the element-wise route its threshold in <paramref name="work"/>; the N:M route checks its scores, and ranks in the commit.
    /// </summary>
    /// <exception cref="PruningException">A weight or a criterion score is NaN.</exception>
    public static void ScoreAndSelect(ref LayerWork work, bool global)
    {
        var layer = work.Layer;
        var existing = work.Mask is null ? default : SpanScoring.Of(work.Mask);
        var values = Values(ref work, score: true, out var magnitudes);
        switch (work.Route)
        {
            case CpuRoute.NOfM:
                // The N:M kernel ranks and writes run by run: it runs in the commit, writing the mask in place, once the
                // scores are known to hold no NaN (one read here).
                if (SpanScoring.ContainsNaN(values)) throw NaN(in work, values);
                break;
            case CpuRoute.Elementwise:
                if (!SpanSelection.TryFindMagnitudeThreshold(values, existing, (int)work.Pruned, work.Plan!.SelectionScratch, out work.Threshold)) throw NaN(in work, values);
                break;
            default:
                var plan = work.Plan!;
                plan.ScoreGroups(values, magnitudes, layer.Settings.Reducer, existing);
                if (plan.AnyGroupScoreIsNaN()) throw NaN(in work, values);
                if (!global) SpanSelection.SelectLowest(plan.GroupScores, (int)work.Pruned, plan.KeptGroups, plan.SelectionScratch);
                break;
        }
    }

    /// <summary>Writes the mask (creating the buffer at the layer's first update) and advances the layer's state.</summary>
    public static void Commit(ref LayerWork work)
    {
        var layer = work.Layer;
        var state = layer.State;
        var hadMask = work.Mask is not null;
        var mask = work.Mask ?? state.CreateMask(layer.Layer, work.Weight);
        var maskValues = SpanScoring.Of(mask);
        var existing = hadMask ? maskValues : default;
        switch (work.Route)
        {
            case CpuRoute.NOfM:
                // In place: where a held mask already has a run as it is to be, that part is not written.
                work.NOfM!.Write(Values(ref work, score: false, out var magnitudes), magnitudes, existing, maskValues);
                break;
            case CpuRoute.Elementwise:
                RadixSelect.WriteMagnitudeMask(Values(ref work, score: false, out _), existing, work.Threshold, maskValues);
                break;
            default:
                var plan = work.Plan!;
                plan.Expand(maskValues, maskIsHeld: hadMask);
                break;
        }

        state.AfterUpdate(layer.Settings.Criterion, work.Weight, onCpu: true, LayerSparsity(in work));
    }

    /// <summary>The sparsity a layer records: asked for (local), its own fraction of pruned groups (global), (M − N) / M for N:M.</summary>
    public static double LayerSparsity(in LayerWork work) => work.Route == CpuRoute.NOfM || work.Layer.Granularity == Granularity.NOfM
        ? (work.Layer.Settings.M - work.Layer.Settings.N) / (double)work.Layer.Settings.M
        : work.Sparsity;

    /// <summary>
    /// The values the kernels read: computed into the element-score buffer when <paramref name="score"/> (the first
    /// phase), read back from where the first phase left them otherwise (the commit).
    /// </summary>
    private static ReadOnlySpan<float> Values(ref LayerWork work, bool score, out bool magnitudes)
    {
        var workspace = work.Layer.State.Cpu;
        if (score)
        {
            var values = SpanScoring.Values(work.Inputs, workspace, out magnitudes, out var source);
            work.MagnitudeSource = source;
            return values;
        }

        magnitudes = work.MagnitudeSource is not null;
        return magnitudes ? SpanScoring.Of(work.MagnitudeSource!) : workspace.ElementScores(work.Weight.numel()).AsSpan(0, (int)work.Weight.numel());
    }

    private static PruningException NaN(in LayerWork work, ReadOnlySpan<float> values) =>
        new(work.Layer.Name, SpanScoring.NaNMessage(work.Inputs.Criterion, SpanScoring.Of(work.Weight), values, LayerGeometry.IntShape(work.Weight)));
}
