using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Training;

/// <summary>What a tensor of the state dict is to the model.</summary>
internal enum TargetKind
{
    /// <summary>A parameter (<c>named_parameters()</c>).</summary>
    Parameter,

    /// <summary>A persistent buffer that is not a pruned layer's mask.</summary>
    Buffer,

    /// <summary>A pruned layer's <see cref="PrunedLayer.MaskBufferName"/> buffer, registered or still to be.</summary>
    Mask,
}

/// <summary>One tensor of the model's state dict as a load must find it in a file.</summary>
internal sealed class TargetTensor
{
    public TargetTensor(string name, TargetKind kind, Tensor? existing, ScalarType type, long[] shape, PrunedLayer? layer)
    {
        Name = name;
        Kind = kind;
        Existing = existing;
        Type = type;
        Shape = shape;
        Layer = layer;
    }

    /// <summary>The state-dict name (dotted path).</summary>
    public string Name { get; }

    public TargetKind Kind { get; }

    /// <summary>The model's tensor, or <see langword="null"/> for the mask of a layer that has none yet (a load registers it).</summary>
    public Tensor? Existing { get; }

    public ScalarType Type { get; }

    public long[] Shape { get; }

    /// <summary>The layer whose mask this is (<see cref="TargetKind.Mask"/> only).</summary>
    public PrunedLayer? Layer { get; }
}

/// <summary>
/// The model's state dict, keyed by state-dict name: every parameter, every persistent buffer, and the mask of every
/// pruned layer (its <c>weight_mask</c> buffer, or the place where a loaded mask goes). Names come from the module
/// tree (<c>named_parameters()</c>, <c>named_buffers()</c>, <c>named_modules()</c>), so dotted paths such as
/// <c>layer1.0.conv1.weight_mask</c> work the same as direct fields; a pruned layer is found by its module object.
/// </summary>
internal sealed class StateDictTarget
{
    private readonly Dictionary<string, TargetTensor> _byName = new(StringComparer.Ordinal);
    private readonly List<TargetTensor> _tensors = [];
    private readonly HashSet<string> _moduleNames = new(StringComparer.Ordinal);

    private StateDictTarget()
    {
    }

    /// <summary>The tensors, parameters first, then buffers, then masks still to register, in the model's order.</summary>
    public IReadOnlyList<TargetTensor> Tensors => _tensors;

    /// <summary>Reads the state dict of <paramref name="model"/> and the masks of <paramref name="layers"/>.</summary>
    /// <exception cref="InvalidOperationException">A pruned layer is not a registered submodule of the model (so the state
    /// dict cannot hold its weight and mask), or its mask buffer does not have its weight's shape.</exception>
    public static StateDictTarget Of(nn.Module model, IReadOnlyList<PrunedLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        var target = new StateDictTarget();
        foreach (var (name, parameter) in model.named_parameters())
        {
            target.Add(new TargetTensor(name, TargetKind.Parameter, parameter, parameter.dtype, parameter.shape, null));
        }

        var buffers = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, buffer) in model.named_buffers(include_nonpersistent: false))
        {
            buffers.TryAdd(name, buffer);
        }

        var modulePaths = new Dictionary<nn.Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, module) in model.named_modules())
        {
            modulePaths.TryAdd(module, name);
            target._moduleNames.Add(name);
        }

        var masks = new Dictionary<string, PrunedLayer>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            var path = ReferenceEquals(layer.Layer, model) ? "" : modulePaths.GetValueOrDefault(layer.Layer);
            if (path is null)
            {
                throw new InvalidOperationException($"Layer '{layer.Name}' is not a registered submodule of the model, so the model's state dict holds neither its weight nor its mask and a checkpoint cannot save or load them. Register it (RegisterComponents(), or hold it in a ModuleList or ModuleDict).");
            }

            var key = path.Length == 0 ? PrunedLayer.MaskBufferName : path + "." + PrunedLayer.MaskBufferName;
            if (!masks.TryAdd(key, layer))
            {
                throw new InvalidOperationException($"Layers '{masks[key].Name}' and '{layer.Name}' are the same module ('{path}'); a model lists each pruned layer once.");
            }
        }

        foreach (var (name, buffer) in buffers)
        {
            if (!masks.TryGetValue(name, out var layer))
            {
                target.Add(new TargetTensor(name, TargetKind.Buffer, buffer, buffer.dtype, buffer.shape, null));
                continue;
            }

            var weightShape = layer.Weight.shape;
            if (!buffer.shape.AsSpan().SequenceEqual(weightShape))
            {
                throw new InvalidOperationException($"Layer '{layer.Name}': its '{PrunedLayer.MaskBufferName}' buffer has shape {MaskPlan.FormatShape(buffer.shape)} but its weight has shape {MaskPlan.FormatShape(weightShape)}; recompute the mask (UpdateMask) before saving or loading.");
            }

            target.Add(new TargetTensor(name, TargetKind.Mask, buffer, buffer.dtype, weightShape, layer));
        }

        foreach (var (name, layer) in masks)
        {
            if (target._byName.ContainsKey(name)) continue;
            var weight = layer.Weight;
            target.Add(new TargetTensor(name, TargetKind.Mask, null, weight.dtype, weight.shape, layer));
        }

        return target;
    }

    public bool TryGet(string name, out TargetTensor tensor) => _byName.TryGetValue(name, out tensor!);

    /// <summary>Why the model has no tensor called <paramref name="name"/>, in words for an error message.</summary>
    public string Unknown(string name)
    {
        var suffix = "." + PrunedLayer.MaskBufferName;
        if (name.EndsWith(suffix, StringComparison.Ordinal) && _moduleNames.Contains(name[..^suffix.Length]))
        {
            return $"the file has a mask for '{name[..^suffix.Length]}', which is not one of the model's pruned layers.";
        }

        return "the model has no parameter or buffer of this name (was the file saved from a model with other layers, or other layer names?).";
    }

    private void Add(TargetTensor tensor)
    {
        if (_byName.TryAdd(tensor.Name, tensor)) _tensors.Add(tensor);
    }
}
