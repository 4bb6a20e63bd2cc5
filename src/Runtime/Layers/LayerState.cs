using System;
using System.Runtime.InteropServices;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// What one layer remembers between mask updates: the mask buffer (created on the layer's module at the first update
/// that succeeds), the weight copies the criteria compare with (initial and previous weights), the input statistics
/// <see cref="Criterion.Wanda"/> scores with, the update count and the last sparsity. Also the lock that makes one thread
/// at a time update the layer, and the CPU fast path's buffers. Nothing here is derived from the mask: what depends on
/// it (the removed units whose bias <see cref="PrunedLayer.ApplyMask"/> zeroes, a report's counts) is read from the
/// buffer when needed, so a mask that a load wrote, that compaction sliced or that other code changed is the one used.
/// </summary>
/// <remarks>
/// Every member is called with <see cref="Lock"/> held. The mask pass reads this state while it checks and scores, and
/// changes it only in its commit phase (<see cref="CreateMask"/>, <see cref="AfterUpdate"/>), after every layer of the pass
/// has been scored: a failed pass leaves it as it was. The one change outside a commit is a mask following its weight
/// to another device or dtype (<see cref="FindMask"/>), which keeps the mask's values.
/// </remarks>
internal sealed class LayerState
{
    private static long s_nextSequence;

    private Tensor? _mask;
    private Tensor? _initial;
    private Tensor? _previous;
    private Tensor? _inputSquares;

    /// <summary>Held while the layer's state or mask is read or written: one thread at a time per layer.</summary>
    public Lock Lock { get; } = new();

    /// <summary>
    /// The order in which passes over several layers take their locks: the creation order of the layers, the same for
    /// every pass, so two passes over overlapping layer sets (a model and a block inside it) never wait on each other in a cycle.
    /// </summary>
    public long Sequence { get; } = Interlocked.Increment(ref s_nextSequence);

    /// <summary>The CPU fast path's plans and buffers, created at its first update.</summary>
    public CpuWorkspace Cpu { get; } = new();

    /// <summary>How many mask updates have succeeded: part of <see cref="Criterion.Random"/>'s stream.</summary>
    public long Updates { get; private set; }

    /// <summary>The sparsity the last mask was computed at (the declared one before any update).</summary>
    public double LastSparsity { get; set; }

    /// <summary>Per input channel, the float64 sum of squares of every recorded input (CPU), or null.</summary>
    public Tensor? InputSquares => _inputSquares;

    /// <summary>
    /// The layer's mask buffer, or null when it has none. A mask left on another device or in another floating-point
    /// dtype than its weight (TorchSharp's <c>.to()</c> on a Linear or convolution moves only the weight and bias)
    /// follows the weight here: it is converted (0 and 1 convert exactly, to every floating-point dtype) and replaces
    /// the buffer, which keeps its name and place. A reference is kept while it still fits the weight, since looking
    /// the buffer up allocates; the module's buffer is the truth.
    /// </summary>
    public Tensor? FindMask(nn.Module layer, Tensor weight)
    {
        if (_mask is { IsInvalid: false } cached && Fits(cached, weight)) return cached;
        var mask = MaskBuffer.Find(layer);
        if (mask is { IsInvalid: false } && !Fits(mask, weight) && LayerGeometry.SameShape(mask, weight) && IsFloatingPoint(weight.dtype))
        {
            mask = FollowWeight(layer, mask, weight);
        }

        return _mask = mask;
    }

    /// <summary>Whether a mask buffer left on another device or dtype than its weight can follow it (see <see cref="FindMask"/>).</summary>
    public static bool CanFollow(Tensor weight) => MaskBuffer.CanReplace && IsFloatingPoint(weight.dtype);

    /// <summary>Registers an all-ones mask shaped and placed like <paramref name="weight"/> on <paramref name="layer"/>; the layer has none.</summary>
    public Tensor CreateMask(nn.Module layer, Tensor weight)
    {
        // Layer state outlives every dispose scope, the caller's included.
        var mask = ones_like(weight, requires_grad: false).contiguous().DetachFromDisposeScope();
        layer.register_buffer(PrunedLayer.MaskBufferName, mask);
        return _mask = mask;
    }

    /// <summary>The captured initial weights when they still fit <paramref name="weight"/>'s shape (moved to its device if it moved), else null.</summary>
    public Tensor? InitialFor(Tensor weight) => _initial = Fitting(_initial, weight);

    /// <summary>The weights of the previous update when they still fit <paramref name="weight"/>'s shape (moved to its device if it moved), else null.</summary>
    public Tensor? PreviousFor(Tensor weight) => _previous = Fitting(_previous, weight);

    /// <summary>Copies <paramref name="weight"/> as the initial weights, replacing any earlier copy.</summary>
    public void CaptureInitial(Tensor weight)
    {
        var copy = CopyOf(weight);
        _initial?.Dispose();
        _initial = copy;
    }

    /// <summary>Adds one batch's per-channel sums of squares (float64, CPU) to the recorded statistics.</summary>
    public void AddInputSquares(Tensor squares)
    {
        if (_inputSquares is null) _inputSquares = squares.DetachFromDisposeScope();
        else _inputSquares.add_(squares);
    }

    /// <summary>Forgets the recorded input statistics.</summary>
    public void ClearInputSquares()
    {
        _inputSquares?.Dispose();
        _inputSquares = null;
    }

    /// <summary>
    /// The end of a successful update: captures the initial weights where the criterion needs them and none fit (the
    /// current weights stood in), keeps the weights as the previous ones where the criterion compares with them,
    /// counts the update and records its sparsity.
    /// </summary>
    public void AfterUpdate(Criterion criterion, Tensor weight, bool onCpu, double sparsity)
    {
        var needs = ElementScores.Needs(criterion);
        if (needs == CriterionInput.InitialWeight && _initial is null) CaptureInitial(weight);
        if (needs == CriterionInput.PreviousWeight)
        {
            if (onCpu && _previous is { } previous && previous.device_type == DeviceType.CPU && previous.numel() == weight.numel())
            {
                // Both are contiguous float32 CPU tensors: a span copy allocates nothing.
                MemoryMarshal.Cast<byte, float>(weight.bytes).CopyTo(MemoryMarshal.Cast<byte, float>(previous.bytes));
            }
            else if (_previous is { } existing && LayerGeometry.SameShape(existing, weight) && LayerGeometry.SameDevice(existing, weight))
            {
                using var scope = NewDisposeScope();
                using (no_grad()) existing.copy_(weight);
            }
            else
            {
                var copy = CopyOf(weight);
                _previous?.Dispose();
                _previous = copy;
            }
        }

        Updates++;
        LastSparsity = sparsity;
    }

    private static bool Fits(Tensor mask, Tensor weight) =>
        LayerGeometry.SameDevice(mask, weight) && LayerGeometry.SameShape(mask, weight) && mask.dtype == weight.dtype;

    // dtype, unlike is_floating_point(), allocates nothing.
    private static bool IsFloatingPoint(ScalarType dtype) => dtype is ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16;

    /// <summary>
    /// Replaces <paramref name="mask"/> (of the weight's shape, on another device or dtype) with its copy on the weight's
    /// device and dtype. The old tensor is disposed, as TorchSharp disposes a buffer its <c>.to()</c> replaces; where
    /// the buffer cannot be replaced, the old one stays and the checks report the mismatch.
    /// </summary>
    private static Tensor FollowWeight(nn.Module layer, Tensor mask, Tensor weight)
    {
        Tensor moved;
        using (no_grad())
        {
            using var scope = NewDisposeScope();
            moved = mask.to(weight.dtype, weight.device).contiguous().DetachFromDisposeScope();
        }

        if (!MaskBuffer.TryReplace(layer, moved))
        {
            moved.Dispose();
            return mask;
        }

        mask.Dispose();
        return moved;
    }

    private static Tensor? Fitting(Tensor? copy, Tensor weight)
    {
        if (copy is not { IsInvalid: false }) return null;
        if (!LayerGeometry.SameShape(copy, weight))
        {
            // The weight was replaced by one of another shape: the copy compares with nothing any more, and the
            // update that succeeds next captures a new one.
            copy.Dispose();
            return null;
        }

        if (LayerGeometry.SameDevice(copy, weight)) return copy;

        // The model moved: the same values, on the weight's device.
        var moved = copy.to(weight.device).DetachFromDisposeScope();
        copy.Dispose();
        return moved;
    }

    private static Tensor CopyOf(Tensor weight)
    {
        using (no_grad())
        {
            using var scope = NewDisposeScope();
            return weight.detach().to(ScalarType.Float32).clone().contiguous().DetachFromDisposeScope();
        }
    }
}
