using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// The torch-path layers of a mask pass (any device, any floating-point dtype): scored one by one with
/// <see cref="TorchScoring"/>, checked for NaN with one synchronization per device, selected together with
/// <see cref="TorchSelection"/> (one batched selection per device under local scope, one ranking under global scope),
/// then committed. Runs inside the pass's dispose scope, under <c>no_grad</c>.
/// </summary>
internal static class TorchLayerPass
{
    /// <summary>Computes the layer's element scores and, but for N:M, its group scores (existing-mask rule included).</summary>
    public static void Score(ref LayerWork work)
    {
        var layer = work.Layer;
        var weight = work.Weight;
        var elements = TorchScoring.CriterionScores(work.Inputs);
        if (layer.Granularity == Granularity.NOfM)
        {
            work.Torch = new TorchLayerScores { Elements = elements, Flat = elements.flatten() };
            return;
        }

        var (view, viewDims) = LayerGeometry.View(layer.Name, layer.Kind, layer.ReducedDims, LayerGeometry.IntShape(weight), work.Inputs.ConvolutionGroups);
        var viewShape = LayerGeometry.LongShape(view);
        var groups = TorchScoring.GroupScores(elements.reshape(viewShape), magnitudes: false, layer.Settings.Reducer, work.Mask?.reshape(viewShape), viewDims);
        work.Torch = new TorchLayerScores { Elements = elements, Groups = groups, ViewShape = viewShape, Flat = groups.flatten() };
    }

    /// <summary>
    /// Throws for the first of <paramref name="members"/> (all on one device) whose scores hold a NaN, naming the NaN
    /// weight or the criterion's NaN. One synchronization when none does.
    /// </summary>
    public static void ThrowIfAnyNaN(Span<LayerWork> work, IReadOnlyList<int> members, Device device)
    {
        var flats = new Tensor[members.Count];
        for (var index = 0; index < flats.Length; index++) flats[index] = work[members[index]].Torch!.Flat.to(device);
        if (!TorchScoring.AnyNaN(flats.Length == 1 ? flats[0] : cat(flats, 0))) return;
        foreach (var member in members)
        {
            ref var layerWork = ref work[member];
            if (TorchScoring.AnyNaN(layerWork.Torch!.Flat))
            {
                throw new PruningException(layerWork.Layer.Name, TorchScoring.NaNMessage(layerWork.Inputs.Criterion, layerWork.Weight, layerWork.Torch.Elements));
            }
        }
    }

    /// <summary>
    /// Local scope: one batched selection (<paramref name="selection"/>, <see cref="BatchSelection.Auto"/> for the
    /// device's default) for <paramref name="members"/> (all on <paramref name="device"/>), each layer at its own count;
    /// N:M layers by runs.
    /// </summary>
    public static void SelectLocal(Span<LayerWork> work, IReadOnlyList<int> members, Device device, BatchSelection selection)
    {
        var grouped = new List<int>();
        foreach (var member in members)
        {
            ref var layerWork = ref work[member];
            if (layerWork.Layer.Granularity != Granularity.NOfM)
            {
                grouped.Add(member);
                continue;
            }

            var settings = layerWork.Layer.Settings;
            layerWork.Torch!.Keep = TorchSelection.NOfMMask(layerWork.Torch.Elements, layerWork.Mask, Granularities.InputAxis(layerWork.Layer.Kind), settings.N, settings.M);
        }

        if (grouped.Count == 0) return;
        var groups = new long[grouped.Count];
        var pruned = new long[grouped.Count];
        var flats = new Tensor[grouped.Count];
        for (var index = 0; index < grouped.Count; index++)
        {
            ref var layerWork = ref work[grouped[index]];
            groups[index] = layerWork.Groups;
            pruned[index] = layerWork.Pruned;
            flats[index] = layerWork.Torch!.Flat;
        }

        var segments = new Segments(groups, pruned, device);
        var keep = TorchSelection.KeepAllButLowest(segments, flats.Length == 1 ? flats[0] : cat(flats, 0), TorchMaskEngine.ResolveSelection(selection, device));
        for (var index = 0; index < grouped.Count; index++) work[grouped[index]].Torch!.Keep = segments.Slice(keep, index);
    }

    /// <summary>
    /// Global scope: one ranking of every layer's groups on <paramref name="device"/> (scores of layers elsewhere are
    /// moved there); sets each layer's keep and its own pruned fraction as <see cref="LayerWork.Sparsity"/>.
    /// </summary>
    public static void SelectGlobal(Span<LayerWork> work, long pruned, Device device, IGlobalScoreNormalizer? normalizer)
    {
        var groups = new long[work.Length];
        var flats = new Tensor[work.Length];
        for (var index = 0; index < work.Length; index++)
        {
            groups[index] = work[index].Groups;
            var flat = work[index].Torch!.Flat;
            if (normalizer is not null) flat = normalizer.Normalize(work[index].Layer, flat);
            flats[index] = flat.to(device);
        }

        var segments = new Segments(groups, new long[work.Length], device);
        var keep = TorchSelection.KeepGlobal(segments, flats.Length == 1 ? flats[0] : cat(flats, 0), pruned);

        // Each layer's own fraction of pruned groups, which its report shows: one synchronization for all.
        using var one = 1L.ToScalar();
        using var zero = 0f.ToScalar();
        var prunedPerLayer = zeros(work.Length, dtype: ScalarType.Int64, device: device)
            .index_add_(0, segments.LayerOfPosition(ScalarType.Int64), keep.eq(zero).to(ScalarType.Int64), alpha: one)
            .cpu().data<long>().ToArray();
        for (var index = 0; index < work.Length; index++)
        {
            work[index].Torch!.Keep = segments.Slice(keep, index).to(work[index].Weight.device);
            work[index].Pruned = prunedPerLayer[index];
            work[index].Sparsity = prunedPerLayer[index] / (double)groups[index];
        }
    }

    /// <summary>Writes the mask (creating the buffer at the layer's first update) and advances the layer's state.</summary>
    public static void Commit(ref LayerWork work)
    {
        var layer = work.Layer;
        var state = layer.State;
        var weight = work.Weight;
        var scores = work.Torch!;
        var mask = work.Mask ?? state.CreateMask(layer.Layer, weight);
        if (layer.Granularity == Granularity.NOfM)
        {
            mask.copy_(scores.Keep!);
        }
        else
        {
            mask.copy_(TorchSelection.Expand(scores.Keep!, scores.Groups!.shape, scores.ViewShape!, mask.dtype).reshape(weight.shape));
        }

        state.AfterUpdate(layer.Settings.Criterion, weight, onCpu: false, CpuLayerPass.LayerSparsity(in work));
    }
}
