using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// The pruning of one layer of a model: its declaration (<see cref="Settings"/>, and the weight shape where the
/// generator read it from the layer's code), its mask, and the members that compute and apply the mask.
/// </summary>
/// <remarks>
/// <para>
/// PruneSharp's generator derives one sealed class per pruned layer from this one. The mask is stored on the layer
/// as the buffer <see cref="MaskBufferName"/>, so it travels with the model's state dict. It is created like the weight
/// (same dtype and device) at the first update. TorchSharp's <c>.to()</c> on a Linear or convolution moves only its
/// weight and bias; the mask follows its weight to the weight's device and floating-point dtype (0 and 1 convert
/// exactly) at the next call that reads it: a mask update, <see cref="ApplyMask"/>, <see cref="Report()"/>,
/// <see cref="Mask"/>, <see cref="EnsureMaskBuffer"/>, a checkpoint save or load, <c>Compact()</c>.
/// <see cref="UpdateMask(double)"/> is the model-level <see cref="MaskPass"/> over this one layer: a float32 CPU weight
/// takes the span fast path, which allocates nothing on the managed heap once warm; any other device or floating-point
/// dtype takes the TorchSharp path. Both give the same mask (<c>docs/masks.md</c> says when sums are exact).
/// </para>
/// <para>
/// Criteria that compare with earlier weights keep copies: the initial weights are captured by
/// <see cref="CaptureInitialWeights"/> or, failing that, at the first mask update; the previous weights at every
/// update. <see cref="Criterion.Taylor"/> reads the weight's gradient; <see cref="Criterion.Wanda"/> needs
/// <see cref="RecordActivations"/> first.
/// </para>
/// <para>
/// Thread safety: every member may be called from any thread. Calls on one layer take its lock, so they run one at a
/// time; calls on different layers (different models) never wait for each other.
/// </para>
/// </remarks>
public abstract partial class PrunedLayer
{
    /// <summary>The name of the buffer that holds a layer's mask, as in <c>torch.nn.utils.prune</c>.</summary>
    public const string MaskBufferName = "weight_mask";

    /// <summary>Declares the pruning of one layer at <paramref name="sparsity"/> with <paramref name="granularity"/> and default settings.</summary>
    /// <exception cref="ArgumentException">The granularity does not apply to <paramref name="kind"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1].</exception>
    protected PrunedLayer(string name, LayerKind kind, Granularity granularity, double sparsity)
        : this(name, kind, new PruneSettings(granularity, sparsity))
    {
    }

    /// <summary>Declares the pruning of one layer.</summary>
    /// <exception cref="ArgumentException">The settings do not fit <paramref name="kind"/>: a granularity the layer kind
    /// lacks, custom dims out of range, an invalid N:M pattern, or a negative RoundTo.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The sparsity is not in [0, 1].</exception>
    protected PrunedLayer(string name, LayerKind kind, PruneSettings settings)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(settings);
        var granularity = settings.Granularity;
        var sparsity = settings.Sparsity;
        ReducedDims dims;
        switch (granularity)
        {
            case Granularity.Custom:
                var custom = settings.Dims is null ? null : new List<int>(settings.Dims).ToArray();
                if (!Granularities.CustomDimsFit(kind, custom))
                {
                    var given = custom is null ? "none" : "(" + string.Join(", ", custom) + ")";
                    throw new ArgumentException($"Layer '{name}': Granularity.Custom needs distinct dims in [0, {Granularities.WeightRank(kind)}] for a {kind} weight; the dims are {given}.", nameof(settings));
                }

                dims = ReducedDims.Of(custom!);
                break;
            case Granularity.NOfM:
                if (settings.N < 1 || settings.M <= settings.N)
                {
                    throw new ArgumentException($"Layer '{name}': N:M needs 1 ≤ N < M; it is {settings.N}:{settings.M}.", nameof(settings));
                }

                dims = ReducedDims.Of(0);
                break;
            default:
                if (!Granularities.TryGetReducedDims(kind, granularity, out dims))
                {
                    throw new ArgumentException($"Layer '{name}': granularity {granularity} does not apply to a {kind} layer.", nameof(settings));
                }

                break;
        }

        MaskPlan.CheckSparsity(name, sparsity, nameof(settings));

        if (settings.RoundTo < 0)
        {
            throw new ArgumentException($"Layer '{name}': RoundTo must be 0 (off) or positive; it is {settings.RoundTo}.", nameof(settings));
        }

        Name = name;
        Kind = kind;
        Settings = settings;
        Granularity = granularity;
        ReducedDims = dims;
        TargetSparsity = sparsity;
        State = new LayerState { LastSparsity = sparsity };
        RemovesOutputUnits = granularity != Granularity.NOfM && LayerGeometry.RemovesWholeOutputUnits(kind, dims);
    }

    /// <summary>How the layer is pruned.</summary>
    public PruneSettings Settings { get; }

    /// <summary>
    /// The layer's name: its dotted path in the model's <c>named_modules()</c> (<c>layer1.0.conv1</c>; for a direct
    /// field, its registered name), or its C# access path where it is not registered (<c>convs.0</c>).
    /// </summary>
    public string Name { get; private set; }

    /// <summary>The layer's kind.</summary>
    public LayerKind Kind { get; }

    /// <summary>
    /// Gives the layer its dotted path in the enclosing model (<c>layer1.0.conv1</c>): a layer that a block class declares
    /// is named by its path in the model that holds the block (src/Runtime/Models). Call it before the first mask update,
    /// since <see cref="Criterion.Random"/>'s stream mixes in the name; the CPU plans are made again under the new name.
    /// </summary>
    internal void Rename(string qualifiedName)
    {
        ArgumentNullException.ThrowIfNull(qualifiedName);
        lock (State.Lock)
        {
            Name = qualifiedName;
        }
    }

    /// <summary>The granularity the layer is pruned at.</summary>
    public Granularity Granularity { get; }

    /// <summary>The dims the granularity reduces scores over (dummy dim = 0); <c>(0)</c> for N:M.</summary>
    public ReducedDims ReducedDims { get; }

    /// <summary>The sparsity the layer's attribute declares.</summary>
    public double TargetSparsity { get; }

    /// <summary>The layer module.</summary>
    public abstract nn.Module Layer { get; }

    /// <summary>The layer's weight.</summary>
    public abstract Parameter Weight { get; }

    /// <summary>
    /// The weight shape the generator read from the layer's code, or empty where it could not. A mask update
    /// checks the weight against it, so a model whose layers were replaced with other shapes fails clearly.
    /// </summary>
    public virtual ReadOnlySpan<long> DeclaredShape => default;

    /// <summary>
    /// The layer's mask geometry, where the generator worked it out from <see cref="DeclaredShape"/> at compile time
    /// (the groups' layout in memory and the <see cref="MaskKernel"/> that computes them); <see langword="null"/> where
    /// the shape is known only at run time, which then plans from the live shape at the first update. The CPU fast path
    /// uses it as it is, after checking that it belongs to the weight.
    /// </summary>
    public virtual MaskGeometry? MaskGeometry => null;

    /// <summary>
    /// The layer's mask (its <see cref="MaskBufferName"/> buffer), or <see langword="null"/> before the first update. A
    /// mask that a model's <c>.to()</c> left behind follows its weight's device and dtype when read here (see the remarks).
    /// </summary>
    public Tensor? Mask
    {
        get
        {
            lock (State.Lock)
            {
                return CurrentMask();
            }
        }
    }

    /// <summary>
    /// The mask buffer, moved or converted to its weight's device and dtype where it was left behind (a live weight with
    /// values, of the mask's shape); the buffer as it is otherwise, or null. Called with the layer's lock held.
    /// </summary>
    internal Tensor? CurrentMask()
    {
        var weight = Weight;
        return weight is { IsInvalid: false } && weight.device_type != DeviceType.META ? State.FindMask(Layer, weight) : MaskBuffer.Find(Layer);
    }

    /// <summary>
    /// Whether the granularity's groups are whole output units (a convolution's <see cref="Granularity.Filter"/>, a
    /// <c>Linear</c> <see cref="Granularity.Row"/>): then <see cref="ApplyMask"/> zeroes the bias of removed units too.
    /// </summary>
    public bool RemovesOutputUnits { get; }

    /// <summary>What the layer remembers between updates, and its lock.</summary>
    internal LayerState State { get; }

    /// <summary>Computes the mask at the declared <see cref="TargetSparsity"/>.</summary>
    /// <exception cref="PruningException">As for <see cref="UpdateMask(double)"/>.</exception>
    public void UpdateMask() => UpdateMask(TargetSparsity);

    /// <summary>
    /// Computes the mask at <paramref name="sparsity"/> from the current weights (and the criterion's other inputs) and
    /// stores it in the layer's <see cref="MaskBufferName"/> buffer (created by the first update that succeeds, on the
    /// weight's device). Weights that the existing mask already prunes score lowest, so the mask only grows while the
    /// sparsity grows. The weights themselves are not changed: call <see cref="ApplyMask"/> for that. On any error the
    /// mask, its buffer and the criterion's state are left as they were.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1].</exception>
    /// <exception cref="PruningException">The weight is disposed, on the meta device, of another shape than declared or
    /// not floating point; the mask was made for a weight of another shape, dtype or device; a score is NaN; the sparsity
    /// would remove every group; or the criterion lacks an input (a gradient of the weight's shape, recorded activations).</exception>
    public void UpdateMask(double sparsity) => MaskPass.UpdateLayer(this, sparsity);

    /// <summary>
    /// Computes the masks of <paramref name="layers"/> with one ranking over all their groups (global scope); see
    /// <see cref="MaskPass.ComputeGlobalMasks(IReadOnlyList{PrunedLayer}, double)"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1].</exception>
    /// <exception cref="ArgumentException">A layer uses N:M, which has no groups to rank across layers.</exception>
    /// <exception cref="PruningException">The sparsity would take a layer's last group, or a layer cannot be scored.</exception>
    public static void ComputeGlobalMasks(IReadOnlyList<PrunedLayer> layers, double sparsity) => MaskPass.ComputeGlobalMasks(layers, sparsity);

    /// <summary>Multiplies the weight by the mask in place, so pruned weights are exactly zero; when
    /// <see cref="RemovesOutputUnits"/>, the bias of every unit the mask removes whole is zeroed too.</summary>
    /// <remarks>
    /// The removed units are read from the mask in the buffer at each call, so a mask that a checkpoint loaded, that
    /// <c>Compact()</c> sliced or that other code wrote zeroes exactly the biases of the units it removes.
    /// </remarks>
    /// <exception cref="InvalidOperationException">No mask has been computed yet.</exception>
    /// <exception cref="PruningException">The weight is disposed, or the mask no longer fits it (another shape).</exception>
    public void ApplyMask()
    {
        lock (State.Lock)
        {
            var weight = LayerCheck.LiveWeight(this);
            var mask = State.FindMask(Layer, weight) ?? throw new InvalidOperationException($"Layer '{Name}' has no mask yet: call UpdateMask() (or the model's ComputeMasks()) first.");
            LayerCheck.ThrowIfMaskDoesNotFit(Name, mask, weight);
            using (no_grad())
            {
                weight.mul_(mask);
                if (RemovesOutputUnits && Bias is { IsInvalid: false } bias) ZeroRemovedUnits(bias, mask);
            }
        }
    }

    /// <summary>Zeroes the bias of each output unit whose every weight <paramref name="mask"/> prunes.</summary>
    private void ZeroRemovedUnits(Tensor bias, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var (viewShape, viewDims) = LayerGeometry.View(Name, Kind, ReducedDims, LayerGeometry.IntShape(mask), LayerGeometry.ConvolutionGroups(Layer));
        var unitKeep = LayerGeometry.GroupKeep(mask, LayerGeometry.LongShape(viewShape), viewDims).flatten();

        // A bias of another length than the units (replaced by other code) is left alone, as before any mask.
        if (unitKeep.numel() != bias.numel()) return;
        bias.mul_(unitKeep.to(bias.dtype, bias.device));
    }

    /// <summary>
    /// Registers an all-ones mask buffer where the layer has none, so that a state dict holding masks (a checkpoint
    /// of a pruned model) can be loaded into a fresh instance. Does nothing when the buffer exists and fits the weight;
    /// a buffer that a model's <c>.to()</c> left on another device or dtype follows the weight.
    /// </summary>
    /// <exception cref="PruningException">The weight is disposed, or the existing buffer no longer fits it (another shape).</exception>
    public void EnsureMaskBuffer()
    {
        lock (State.Lock)
        {
            var weight = LayerCheck.LiveWeight(this);
            if (LayerCheck.CheckedMask(this, weight) is null) State.CreateMask(Layer, weight);
        }
    }

    /// <summary>
    /// Captures the current weights as the initial weights <c>w0</c> of the criteria that compare with them
    /// (<see cref="Criterion.LargeInit"/>, <see cref="Criterion.Movement"/>, ...). Without a call, the first mask
    /// update captures them.
    /// </summary>
    /// <exception cref="PruningException">The weight is disposed or has no values (meta device).</exception>
    public void CaptureInitialWeights()
    {
        lock (State.Lock)
        {
            State.CaptureInitial(LayerCheck.LiveWeight(this));
        }
    }

    /// <summary>
    /// Adds one batch of the layer's inputs to the per-input-channel statistics that <see cref="Criterion.Wanda"/>
    /// scores with (the L2 norm of each input channel over every batch recorded). Call it with the tensor the layer
    /// receives, e.g. from a forward pre-hook or by running the layers by hand on calibration data.
    /// </summary>
    /// <exception cref="PruningException">The input's channel count does not match the layer's, or differs from the
    /// statistics recorded so far (call <see cref="ClearActivations"/> after changing the layer).</exception>
    public void RecordActivations(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        lock (State.Lock)
        {
            var weight = LayerCheck.LiveWeight(this);
            var channels = LayerGeometry.InputChannels(Kind, weight, LayerGeometry.ConvolutionGroups(Layer));
            var channelAxis = Kind == LayerKind.Linear ? (int)input.dim() - 1 : input.dim() == weight.dim() ? 1 : 0;
            if (input.dim() == 0 || input.size(channelAxis) != channels)
            {
                throw new PruningException(Name, $"the recorded input has shape {MaskPlan.FormatShape(input.shape)}, but the layer takes {channels} input channels on axis {channelAxis}.");
            }

            if (State.InputSquares is { } recorded && recorded.numel() != channels)
            {
                throw new PruningException(Name, $"activations were recorded for {recorded.numel()} input channels, but the layer now takes {channels}: call ClearActivations() first.");
            }

            using var scope = NewDisposeScope();
            var axes = new List<long>();
            for (var axis = 0; axis < input.dim(); axis++)
            {
                if (axis != channelAxis) axes.Add(axis);
            }

            var squares = input.detach().to(ScalarType.Float64).square();
            if (axes.Count > 0) squares = squares.sum(axes.ToArray());
            State.AddInputSquares(squares.cpu());
        }
    }

    /// <summary>Forgets the activations recorded for <see cref="Criterion.Wanda"/>.</summary>
    public void ClearActivations()
    {
        lock (State.Lock)
        {
            State.ClearInputSquares();
        }
    }

    private Parameter? Bias => Layer switch
    {
        Linear linear => linear.bias,
        Convolution convolution => convolution.bias,
        _ => null,
    };
}
