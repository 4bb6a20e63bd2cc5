using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Training;

/// <summary>
/// A load in progress: the file's tensors are matched against the model's state dict (<see cref="Match(string, string, ScalarType?, string, ReadOnlySpan{long})"/>, before any
/// of a tensor's data is read), read into staging tensors and checked (<see cref="Accept"/>), and only when every one
/// passed and none is missing (<see cref="CheckComplete"/>) written into the model (<see cref="Commit"/>). Every
/// format's reader goes through it, so every load applies the same rules; until <see cref="Commit"/> nothing in the
/// model is touched, and the commit itself only copies into tensors of the right dtype and shape and registers
/// masks that were prepared on the right device.
/// </summary>
internal sealed class StagedState : IDisposable
{
    private const string Unchanged = " Nothing was loaded: the model is unchanged.";

    private readonly StateDictTarget _target;
    private readonly string _path;
    private readonly CheckpointLoadOptions _options;
    /// <summary>The model's tensors matched so far, each with the file's name for it.</summary>
    private readonly Dictionary<string, string> _matched = new(StringComparer.Ordinal);
    private readonly List<(TargetTensor Target, Tensor Value)> _staged = [];
    private bool _committed;

    public StagedState(StateDictTarget target, string path, CheckpointLoadOptions options)
    {
        _target = target;
        _path = path;
        _options = options;
    }

    /// <summary>An error about this load's file, saying that the model was not changed.</summary>
    public CheckpointException Error(string? tensorName, string problem, Exception? inner = null) =>
        new(_path, tensorName, problem + Unchanged, inner);

    /// <summary>Whether the model's state dict has a tensor called <paramref name="name"/> (a parameter, a persistent buffer or a pruned layer's mask).</summary>
    public bool ModelHas(string name) => _target.TryGet(name, out _);

    /// <summary>
    /// Checks a tensor that the file announces (its name, element type and shape) against the model, before its data
    /// is read: the name is the model's and not seen before, the type equal (or convertible, when the options allow),
    /// the shape equal.
    /// </summary>
    /// <param name="name">The tensor's state-dict name as the file spells it.</param>
    /// <param name="fileType">The file's element type, or <see langword="null"/> when TorchSharp has none for it.</param>
    /// <param name="fileTypeName">The file's name for the element type, for messages.</param>
    /// <param name="shape">The tensor's shape in the file.</param>
    public TargetTensor Match(string name, ScalarType? fileType, string fileTypeName, ReadOnlySpan<long> shape) =>
        Match(name, name, fileType, fileTypeName, shape);

    /// <summary>
    /// As <see cref="Match(string, ScalarType?, string, ReadOnlySpan{long})"/> for a file tensor called
    /// <paramref name="fileName"/> that loads into the model's <paramref name="modelName"/> (a <c>torch.nn.utils.prune</c>
    /// <c>weight_orig</c> into its layer's <c>weight</c>); errors name the file's tensor.
    /// </summary>
    public TargetTensor Match(string fileName, string modelName, ScalarType? fileType, string fileTypeName, ReadOnlySpan<long> shape) =>
        TryMatch(fileName, modelName, fileType, fileTypeName, shape, out var target) is { } error ? throw error : target!;

    /// <summary>As <see cref="Match(string, ScalarType?, string, ReadOnlySpan{long})"/>, but returns the error instead of throwing it.</summary>
    public CheckpointException? TryMatch(string name, ScalarType? fileType, string fileTypeName, ReadOnlySpan<long> shape, out TargetTensor? target) =>
        TryMatch(name, name, fileType, fileTypeName, shape, out target);

    private CheckpointException? TryMatch(string fileName, string modelName, ScalarType? fileType, string fileTypeName, ReadOnlySpan<long> shape, out TargetTensor? target)
    {
        var into = fileName == modelName ? "" : $"it loads into the model's '{modelName}': ";
        if (!_matched.TryAdd(modelName, fileName))
        {
            target = null;
            var first = _matched[modelName];
            return Error(fileName, first == fileName ? "the file holds this tensor twice." : $"the file holds both '{first}' and '{fileName}', which both load into the model's '{modelName}'.");
        }

        if (!_target.TryGet(modelName, out target)) return Error(fileName, into + _target.Unknown(modelName));
        if (fileType is not { } type)
        {
            return Error(fileName, $"{into}the file stores it as {fileTypeName}, which TorchSharp has no element type for; the model's tensor is {target.Type}.");
        }

        if (type != target.Type && !(_options.ConvertFloatingPoint && TensorBytes.IsFloatingPoint(type) && TensorBytes.IsFloatingPoint(target.Type)))
        {
            var hint = TensorBytes.IsFloatingPoint(type) && TensorBytes.IsFloatingPoint(target.Type)
                ? " Set CheckpointLoadOptions.ConvertFloatingPoint to convert it."
                : "";
            return Error(fileName, $"{into}the file stores it as {fileTypeName}, but the model's tensor is {target.Type}.{hint}");
        }

        if (!shape.SequenceEqual(target.Shape))
        {
            var what = target.Kind == TargetKind.Mask ? $"the mask of layer '{target.Layer!.Name}' has its weight's shape" : "the model's tensor has shape";
            return Error(fileName, $"{into}the file holds shape {MaskPlan.FormatShape(shape)}, but {what} {MaskPlan.FormatShape(target.Shape)}.");
        }

        return null;
    }

    /// <summary>
    /// Takes the staged data of <paramref name="target"/> (a CPU tensor in the file's type and the target's shape; this
    /// object owns it from now on), converts it to the model's type where allowed, and checks its values: a mask holds
    /// only 0 and 1, a floating-point tensor only finite values (unless allowed). A mask the load will register is moved
    /// to its weight's device now, so the commit allocates nothing.
    /// </summary>
    /// <param name="target">The model's tensor the data loads into.</param>
    /// <param name="staged">The data.</param>
    /// <param name="fileName">The file's name for the tensor where it is not the model's (errors name it), or null.</param>
    /// <param name="mask">
    /// A <c>torch.nn.utils.prune</c> mask (of the target's shape, in any floating-point type, read but not owned) that the
    /// checked values are multiplied by: the data is then the unmasked <c>weight_orig</c> and what loads is the weight
    /// PyTorch computes, <c>weight_orig × weight_mask</c>. The mask's own checks come with its own <see cref="Accept"/>.
    /// </param>
    public void Accept(TargetTensor target, Tensor staged, string? fileName = null, Tensor? mask = null)
    {
        var value = staged;
        try
        {
            var fileType = staged.dtype;
            if (fileType != target.Type)
            {
                value = staged.to(target.Type).DetachFromDisposeScope();
                staged.Dispose();
            }

            var converted = fileType != target.Type ? $" (after conversion from {fileType})" : "";
            CheckValues(fileName ?? target.Name, target, value, converted);
            if (mask is not null)
            {
                using var scope = NewDisposeScope();
                using (no_grad()) value.mul_(mask.to(value.dtype));
            }

            if (target.Existing is null)
            {
                var device = target.Layer!.Weight.device;
                if (device.type != DeviceType.CPU)
                {
                    var moved = value.to(device).DetachFromDisposeScope();
                    value.Dispose();
                    value = moved;
                }
            }

            _staged.Add((target, value));
        }
        catch
        {
            if (!ReferenceEquals(value, staged)) value.Dispose();
            staged.Dispose();
            throw;
        }
    }

    /// <summary>Throws unless every tensor of the model was matched (or the options allow missing ones).</summary>
    public void CheckComplete()
    {
        if (_options.AllowMissing) return;
        var missing = _target.Tensors.Where(tensor => tensor.Existing is not null && !_matched.ContainsKey(tensor.Name)).Select(tensor => tensor.Name).ToList();
        if (missing.Count == 0) return;
        var more = missing.Count == 1 ? "" : $" It lacks {missing.Count - 1} more: {string.Join(", ", missing.Skip(1).Take(8).Select(name => "'" + name + "'"))}{(missing.Count > 9 ? ", ..." : "")}.";
        throw Error(missing[0], $"the model has this tensor but the file does not.{more} Set CheckpointLoadOptions.AllowMissing to keep the model's values for the tensors a file lacks.");
    }

    /// <summary>Writes every staged tensor into the model: copies into existing tensors, then registers new masks.</summary>
    public void Commit()
    {
        if (_committed) throw new InvalidOperationException("The load was committed already.");
        _committed = true;
        using (no_grad())
        {
            foreach (var (target, value) in _staged)
            {
                target.Existing?.copy_(value);
            }
        }

        for (var index = 0; index < _staged.Count; index++)
        {
            var (target, value) = _staged[index];
            if (target.Existing is not null) continue;
            target.Layer!.Layer.register_buffer(PrunedLayer.MaskBufferName, value);
            _staged[index] = (target, null!);   // the module owns it now
        }
    }

    public void Dispose()
    {
        foreach (var (_, value) in _staged) value?.Dispose();
        _staged.Clear();
    }

    private void CheckValues(string name, TargetTensor target, Tensor value, string converted)
    {
        if (value.numel() == 0) return;
        if (value.dtype == ScalarType.Bool)
        {
            // One byte per element that torch reads as 0 or 1; any other byte is not a boolean.
            var index = TensorBytes.FirstByteNotZeroOrOne(value);
            if (index >= 0) throw Error(name, $"a boolean tensor holds the byte value {TensorBytes.ByteAt(value, index)} at {FormatIndex(target.Shape, index)}; booleans are 0 or 1.");
            return;
        }

        using var scope = NewDisposeScope();
        if (target.Kind == TargetKind.Mask)
        {
            var notBinary = value.ne(0).logical_and_(value.ne(1)).flatten();
            if (notBinary.any().item<bool>())
            {
                var index = notBinary.nonzero()[0, 0].item<long>();
                throw Error(name, $"a mask holds only 0 and 1, but this one holds {ValueAt(value, index)} at {FormatIndex(target.Shape, index)}{converted}; applying it would corrupt layer '{target.Layer!.Name}'.");
            }

            return;
        }

        if (_options.AllowNonFinite || !TensorBytes.IsFloatingPoint(value.dtype)) return;
        var nonFinite = value.isfinite().logical_not_().flatten();
        if (nonFinite.any().item<bool>())
        {
            var index = nonFinite.nonzero()[0, 0].item<long>();
            throw Error(name, $"it holds {ValueAt(value, index)} at {FormatIndex(target.Shape, index)}{converted}. Set CheckpointLoadOptions.AllowNonFinite to load non-finite values.");
        }
    }

    private static string ValueAt(Tensor value, long flatIndex)
    {
        using var scope = NewDisposeScope();
        var element = value.flatten()[flatIndex].to(ScalarType.Float64).item<double>();
        return element.ToString(CultureInfo.InvariantCulture);
    }

    private static string FormatIndex(long[] shape, long flatIndex)
    {
        if (shape.Length == 0) return "its only element";
        var index = new long[shape.Length];
        for (var axis = shape.Length - 1; axis >= 0; axis--)
        {
            index[axis] = flatIndex % shape[axis];
            flatIndex /= shape[axis];
        }

        return "index " + MaskPlan.FormatShape(index);
    }
}
