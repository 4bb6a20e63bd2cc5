using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// The pruning state of one layer of a model: its declaration (granularity, sparsity, and the weight shape where
/// the generator read it from the layer's initializer), its mask, and the members that compute and apply the mask.
/// </summary>
/// <remarks>
/// PruneSharp's generator derives one sealed class per pruned layer from this one. The mask is stored on the layer
/// as the buffer <see cref="MaskBufferName"/>, so it travels with the model's state dict and its device.
/// A float32 CPU weight takes the span fast path (<see cref="MaskPlan"/>), which allocates nothing on the managed
/// heap once warm; any other device or floating-point dtype takes the TorchSharp path (<see cref="TorchMaskEngine"/>).
/// Both give the same mask.
/// </remarks>
public abstract class PrunedLayer
{
    /// <summary>The name of the buffer that holds a layer's mask, as in <c>torch.nn.utils.prune</c>.</summary>
    public const string MaskBufferName = "weight_mask";

    private MaskPlan? _plan;
    private Tensor? _mask;
    private long _prunedGroups;
    private double _lastSparsity;

    /// <summary>Declares the pruning of one layer at <paramref name="sparsity"/> with <paramref name="granularity"/> and default settings.</summary>
    /// <exception cref="ArgumentException">The granularity does not apply to <paramref name="kind"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1].</exception>
    protected PrunedLayer(string name, LayerKind kind, Granularity granularity, double sparsity)
        : this(name, kind, new PruneSettings(granularity, sparsity))
    {
    }

    /// <summary>Declares the pruning of one layer.</summary>
    /// <exception cref="ArgumentException">The settings do not fit <paramref name="kind"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The sparsity is not in [0, 1].</exception>
    protected PrunedLayer(string name, LayerKind kind, PruneSettings settings)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(settings);
        var granularity = settings.Granularity;
        var sparsity = settings.Sparsity;
        if (!Granularities.TryGetReducedDims(kind, granularity, out var dims))
        {
            throw new ArgumentException($"Layer '{name}': granularity {granularity} does not apply to a {kind} layer.", nameof(settings));
        }

        if (!(sparsity >= 0.0 && sparsity <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(settings), sparsity, $"Layer '{name}': sparsity must be in [0, 1]; it is {sparsity}.");
        }

        Name = name;
        Kind = kind;
        Settings = settings;
        Granularity = granularity;
        ReducedDims = dims;
        TargetSparsity = sparsity;
        _lastSparsity = sparsity;
    }

    /// <summary>How the layer is pruned.</summary>
    public PruneSettings Settings { get; }

    /// <summary>The model's field or property that holds the layer.</summary>
    public string Name { get; }

    /// <summary>The layer's kind.</summary>
    public LayerKind Kind { get; }

    /// <summary>The granularity the layer is pruned at.</summary>
    public Granularity Granularity { get; }

    /// <summary>The dims the granularity reduces scores over (dummy dim = 0).</summary>
    public ReducedDims ReducedDims { get; }

    /// <summary>The sparsity the layer's attribute declares.</summary>
    public double TargetSparsity { get; }

    /// <summary>The layer module.</summary>
    public abstract nn.Module Layer { get; }

    /// <summary>The layer's weight.</summary>
    public abstract Parameter Weight { get; }

    /// <summary>
    /// The weight shape the generator read from the layer's initializer, or empty where it could not. A mask update
    /// checks the weight against it, so a model whose layers were replaced with other shapes fails clearly.
    /// </summary>
    public virtual ReadOnlySpan<long> DeclaredShape => default;

    /// <summary>The layer's mask (its <see cref="MaskBufferName"/> buffer), or <see langword="null"/> before the first update.</summary>
    public Tensor? Mask => Layer.has_buffer(MaskBufferName) ? Layer.get_buffer(MaskBufferName) : null;

    /// <summary>Computes the mask at the declared <see cref="TargetSparsity"/>.</summary>
    public void UpdateMask() => UpdateMask(TargetSparsity);

    /// <summary>
    /// Computes the mask at <paramref name="sparsity"/> from the current weights and stores it in the layer's
    /// <see cref="MaskBufferName"/> buffer (created on the first call, on the weight's device).
    /// The weights themselves are not changed: call <see cref="ApplyMask"/> for that.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1].</exception>
    /// <exception cref="PruningException">The weight does not have the declared shape, is not floating point, has a
    /// NaN element, or the sparsity would remove every group.</exception>
    public void UpdateMask(double sparsity)
    {
        var weight = Weight;
        CheckShape(weight);
        var mask = EnsureMask(weight);
        if (weight.device_type == DeviceType.CPU && weight.dtype == ScalarType.Float32 && weight.is_contiguous() &&
            mask.dtype == ScalarType.Float32 && mask.is_contiguous())
        {
            var plan = _plan ??= MaskPlan.Create(Name, CurrentShape(weight), ReducedDims);
            var weights = MemoryMarshal.Cast<byte, float>(weight.bytes);
            var maskValues = MemoryMarshal.Cast<byte, float>(mask.bytes);
            _prunedGroups = plan.Compute(weights, sparsity, maskValues);
        }
        else
        {
            using var computed = TorchMaskEngine.ComputeMask(weight, ReducedDims, sparsity, Name, out var pruned);
            using (no_grad())
            {
                mask.copy_(computed);
            }

            _prunedGroups = pruned;
        }

        _lastSparsity = sparsity;
    }

    /// <summary>Multiplies the weight by the mask in place, so pruned weights are exactly zero.</summary>
    /// <exception cref="InvalidOperationException">No mask has been computed yet.</exception>
    public void ApplyMask()
    {
        var mask = Mask ?? throw new InvalidOperationException($"Layer '{Name}' has no mask yet: call UpdateMask() (or the model's ComputeMasks()) first.");
        using (no_grad())
        {
            Weight.mul_(mask);
        }
    }

    /// <summary>Reports the declaration and the current mask's sparsity.</summary>
    public LayerSparsity Report()
    {
        var weight = Weight;
        var mask = Mask;
        var groups = MaskPlan.CountGroups(weight.shape, ReducedDims);
        double measured = 0;
        long pruned = 0;
        if (mask is not null)
        {
            using var zeros = mask.eq(0).sum();
            measured = zeros.item<long>() / (double)mask.numel();
            pruned = _prunedGroups;
        }

        return new LayerSparsity(Name, Kind, weight.shape, Granularity, _lastSparsity, groups, pruned, measured);
    }

    /// <summary>Builds a model-level report from its layers' reports.</summary>
    public static PruningReport Report(IReadOnlyList<PrunedLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var reports = new LayerSparsity[layers.Count];
        long total = 0;
        double masked = 0;
        for (var index = 0; index < reports.Length; index++)
        {
            var report = reports[index] = layers[index].Report();
            var elements = 1L;
            foreach (var size in report.Shape) elements *= size;
            total += elements;
            masked += report.MeasuredSparsity * elements;
        }

        return new PruningReport(reports, total, (long)Math.Round(masked));
    }

    private void CheckShape(Tensor weight)
    {
        var rank = Granularities.WeightRank(Kind);
        var declared = DeclaredShape;
        var matches = weight.dim() == rank;
        for (var axis = 0; matches && axis < declared.Length; axis++)
        {
            matches = weight.size(axis) == declared[axis];
        }

        if (_plan is not null)
        {
            var planned = _plan.Shape;
            for (var axis = 0; matches && axis < planned.Length; axis++)
            {
                matches = weight.size(axis) == planned[axis];
            }

            if (!matches && weight.dim() == rank && declared.IsEmpty)
            {
                // The layer was replaced by one of another shape and nothing declared the old one: plan afresh.
                _plan = null;
                matches = true;
            }
        }

        if (!matches)
        {
            var expected = declared.IsEmpty ? $"a {Kind} weight has rank {rank}" : $"its initializer declares {MaskPlan.FormatShape(declared)}";
            throw new PruningException(Name, $"the weight has shape {MaskPlan.FormatShape(weight.shape)}, but {expected}.");
        }
    }

    private static int[] CurrentShape(Tensor weight)
    {
        var shape = new int[weight.dim()];
        for (var axis = 0; axis < shape.Length; axis++)
        {
            shape[axis] = checked((int)weight.size(axis));
        }

        return shape;
    }

    private Tensor EnsureMask(Tensor weight)
    {
        // The module's buffer is the truth, but looking it up allocates: keep a reference while it still fits.
        if (_mask is { IsInvalid: false } cached && FitsWeight(cached, weight)) return cached;

        var existing = Mask;
        if (existing is not null)
        {
            if (FitsWeight(existing, weight)) return _mask = existing;
            throw new PruningException(Name, $"its '{MaskBufferName}' buffer has shape {MaskPlan.FormatShape(existing.shape)} on {existing.device}, but the weight has shape {MaskPlan.FormatShape(weight.shape)} on {weight.device}. Move the whole model with .to(...) so its buffers move with it.");
        }

        var mask = ones_like(weight, requires_grad: false).contiguous();
        Layer.register_buffer(MaskBufferName, mask);
        return _mask = mask;
    }

    private static bool FitsWeight(Tensor mask, Tensor weight) =>
        mask.device_type == weight.device_type && mask.device_index == weight.device_index && SameShape(mask, weight);

    private static bool SameShape(Tensor a, Tensor b)
    {
        if (a.dim() != b.dim()) return false;
        for (var axis = 0; axis < a.dim(); axis++)
        {
            if (a.size(axis) != b.size(axis)) return false;
        }

        return true;
    }
}
