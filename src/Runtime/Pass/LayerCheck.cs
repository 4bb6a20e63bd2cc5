using System;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// The first phase of a mask pass: everything about one layer that can be wrong is found here, before any layer is
/// scored or any mask written. The weight (disposed, on the meta device, not floating point, of another shape than its
/// code declares, empty), its mask (disposed, made for a weight of another shape, or left on a device or dtype it cannot
/// follow), the criterion's inputs (a missing or misshapen gradient, missing or stale activation statistics) and the
/// counts (a sparsity out of range or one that removes every group). Each error names the layer and says what to do.
/// </summary>
internal static class LayerCheck
{
    /// <summary>Checks <paramref name="layer"/> for an update at <paramref name="sparsity"/> and gathers its inputs.</summary>
    /// <param name="layer">The layer, its lock held.</param>
    /// <param name="sparsity">The layer's sparsity (local) or the model's (global, checked by the caller).</param>
    /// <param name="global">Whether the groups are ranked globally: no count is computed here, and the CPU route is always <see cref="CpuRoute.Groups"/>.</param>
    public static LayerWork Check(PrunedLayer layer, double sparsity, bool global)
    {
        var name = layer.Name;
        if (!global) MaskPlan.CheckSparsity(name, sparsity, nameof(sparsity));
        var weight = CheckedWeight(layer);
        var state = layer.State;
        var mask = CheckedMask(layer, weight);
        var convolutionGroups = LayerGeometry.ConvolutionGroups(layer.Layer);
        var settings = layer.Settings;
        var work = new LayerWork
        {
            Layer = layer,
            Weight = weight,
            Mask = mask,
            Sparsity = sparsity,
            Inputs = CheckedInputs(layer, weight, convolutionGroups),
            OnCpu = weight.device_type == DeviceType.CPU && weight.dtype == ScalarType.Float32 && weight.is_contiguous() &&
                    (mask is null || mask.is_contiguous()),
        };

        if (layer.Granularity == Granularity.NOfM)
        {
            var inputAxis = Granularities.InputAxis(layer.Kind);
            if (work.OnCpu) work.NOfM = state.Cpu.NOfM(name, weight, inputAxis, settings.N, settings.M, layer.MaskGeometry);
            else NOfMPlan.Create(name, LayerGeometry.IntShape(weight), inputAxis, settings.N, settings.M);
            work.Route = CpuRoute.NOfM;
            work.Groups = weight.numel();
            work.Pruned = work.Groups / settings.M * (settings.M - settings.N);
            return work;
        }

        if (work.OnCpu)
        {
            work.Plan = state.Cpu.Plan(name, layer.Kind, layer.ReducedDims, weight, convolutionGroups, layer.MaskGeometry);
            work.Groups = work.Plan.GroupCount;
        }
        else
        {
            // The view's own check (input channels that split into the groups) runs before anything is scored.
            LayerGeometry.View(name, layer.Kind, layer.ReducedDims, LayerGeometry.IntShape(weight), convolutionGroups);
            work.Groups = GroupCounts.Count(layer.Kind, layer.ReducedDims, weight.shape, convolutionGroups);
        }

        if (global) return work;
        work.Pruned = MaskPlan.PrunedGroupCount(name, sparsity, work.Groups, layer.ReducedDims, settings.RoundTo);
        work.Route = work.OnCpu && work.Plan!.IsElementwise && !layer.RemovesOutputUnits && ElementScores.IsMagnitudeOf(settings.Criterion, out _)
            ? CpuRoute.Elementwise
            : CpuRoute.Groups;
        return work;
    }

    /// <summary>The layer's weight, checked to be alive and to hold values (what applying or reporting a mask needs).</summary>
    public static Tensor LiveWeight(PrunedLayer layer)
    {
        var weight = layer.Weight;
        var name = layer.Name;
        if (weight is null || weight.IsInvalid)
        {
            throw new PruningException(name, "its weight has been disposed (was the model or the layer disposed?): a disposed layer cannot be pruned. Prune a model that is alive, or build it again and load its checkpoint.");
        }

        if (weight.device_type == DeviceType.META)
        {
            throw new PruningException(name, "its weight is on the meta device, which holds shapes but no values: load or materialize the parameters (for example load a state dict, or build the model on a real device) before computing masks.");
        }

        return weight;
    }

    /// <summary>
    /// The layer's weight, checked for a mask update: alive, with values, floating point, of the declared shape, not
    /// empty. (Applying a mask needs less: a compacted layer's weight is smaller than declared, and its mask with it.)
    /// </summary>
    public static Tensor CheckedWeight(PrunedLayer layer)
    {
        var weight = LiveWeight(layer);
        var name = layer.Name;

        // dtype, unlike is_floating_point(), allocates nothing: this runs on every update.
        if (weight.dtype is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16))
        {
            throw new PruningException(name, $"the weight has dtype {weight.dtype}; masks are computed for floating-point weights only.");
        }

        var rank = Granularities.WeightRank(layer.Kind);
        var declared = layer.DeclaredShape;
        var matches = weight.dim() == rank;
        for (var axis = 0; matches && axis < declared.Length; axis++)
        {
            matches = weight.size(axis) == declared[axis];
        }

        if (!matches)
        {
            var expected = declared.IsEmpty ? $"a {layer.Kind} weight has rank {rank}" : $"its code declares {MaskPlan.FormatShape(declared)}";
            throw new PruningException(name, $"the weight has shape {MaskPlan.FormatShape(weight.shape)}, but {expected}.");
        }

        for (var axis = 0; axis < rank; axis++)
        {
            if (weight.size(axis) == 0)
            {
                throw new PruningException(name, $"the weight has shape {MaskPlan.FormatShape(weight.shape)}: an empty weight has nothing to prune.");
            }
        }

        return weight;
    }

    /// <summary>The layer's mask buffer, or null where it has none; checked to fit the weight as it is now.</summary>
    public static Tensor? CheckedMask(PrunedLayer layer, Tensor weight)
    {
        var mask = layer.State.FindMask(layer.Layer, weight);
        if (mask is null) return null;
        ThrowIfMaskDoesNotFit(layer.Name, mask, weight);
        return mask;
    }

    /// <summary>Throws unless <paramref name="mask"/> is alive and has the weight's shape, dtype and device.</summary>
    public static void ThrowIfMaskDoesNotFit(string name, Tensor mask, Tensor weight)
    {
        const string buffer = $"its '{PrunedLayer.MaskBufferName}' buffer";
        if (mask.IsInvalid)
        {
            throw new PruningException(name, $"{buffer} has been disposed (was the model disposed?). Build the model again and load its checkpoint.");
        }

        if (!LayerGeometry.SameShape(mask, weight))
        {
            throw new PruningException(name, $"{buffer} has shape {MaskPlan.FormatShape(mask.shape)}, but the weight now has shape {MaskPlan.FormatShape(weight.shape)}: the weight was replaced by one of another shape after the mask was made, and a mask cannot follow it there. Give the layer a new module (a new module has no mask), or load a checkpoint saved with this shape.");
        }

        // A mask of the weight's shape follows it to its device and floating-point dtype (LayerState.FindMask): a
        // mismatch left here is one it cannot follow.
        if (!LayerGeometry.SameDevice(mask, weight) || mask.dtype != weight.dtype)
        {
            var why = LayerState.CanFollow(weight)
                ? "this TorchSharp version keeps a module's buffers where PruneSharp cannot replace them (PruneSharp supports TorchSharp 0.107), so the mask could not follow its weight. Move or convert the model before its masks are made."
                : $"a mask follows its weight to floating-point dtypes only, and masks are computed for floating-point weights only (was the model converted to {weight.dtype}?).";
            throw new PruningException(name, $"{buffer} is {mask.dtype} on {mask.device}, but the weight is {weight.dtype} on {weight.device}: {why}");
        }
    }

    /// <summary>The criterion's inputs, checked: a gradient of the weight's shape for Taylor, statistics of its input channels for Wanda.</summary>
    private static CriterionInputs CheckedInputs(PrunedLayer layer, Tensor weight, long convolutionGroups)
    {
        var state = layer.State;
        var name = layer.Name;
        Tensor? initial = null, previous = null, gradient = null, squares = null;
        switch (ElementScores.Needs(layer.Settings.Criterion))
        {
            case CriterionInput.InitialWeight:
                initial = state.InitialFor(weight);
                break;
            case CriterionInput.PreviousWeight:
                previous = state.PreviousFor(weight);
                break;
            case CriterionInput.Gradient:
                gradient = weight.grad ?? throw new PruningException(name, "the Taylor criterion scores (w · ∂L/∂w)², and the weight has no gradient: call backward() on a loss before updating the mask (and before optimizer.zero_grad()).");
                if (gradient.IsInvalid || !LayerGeometry.SameShape(gradient, weight))
                {
                    var what = gradient.IsInvalid ? "has been disposed" : $"has shape {MaskPlan.FormatShape(gradient.shape)}";
                    throw new PruningException(name, $"the weight's gradient {what}, but the Taylor criterion multiplies it with the weight of shape {MaskPlan.FormatShape(weight.shape)} element by element. Let backward() compute the gradient (one set by hand must be a live tensor of the weight's shape).");
                }

                break;
            case CriterionInput.InputNorms:
                squares = state.InputSquares ?? throw new PruningException(name, "the Wanda criterion scores weights by their input channels' activation norms, and none were recorded: call RecordActivations(input) on calibration batches first.");
                var channels = LayerGeometry.InputChannels(layer.Kind, weight, convolutionGroups);
                if (squares.numel() != channels)
                {
                    throw new PruningException(name, $"activations were recorded for {squares.numel()} input channels, but the layer now takes {channels}: call ClearActivations() and record them again.");
                }

                break;
        }

        return new CriterionInputs(name, layer.Kind, layer.Settings, convolutionGroups, weight, initial, previous, gradient, squares, state.Updates);
    }
}
