using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// The pruning state of one layer of a model: its declaration (<see cref="Settings"/>, and the weight shape where
/// the generator read it from the layer's code), its mask, and the members that compute and apply the mask.
/// </summary>
/// <remarks>
/// <para>
/// PruneSharp's generator derives one sealed class per pruned layer from this one. The mask is stored on the layer
/// as the buffer <see cref="MaskBufferName"/>, so it travels with the model's state dict and its device.
/// A float32 CPU weight takes the span fast path (<see cref="MaskPlan"/>), which allocates nothing on the managed
/// heap once warm with the default criterion; any other device or floating-point dtype takes the TorchSharp path
/// (<see cref="TorchMaskEngine"/>). Both give the same mask.
/// </para>
/// <para>
/// Criteria that compare with earlier weights keep copies: the initial weights are captured by
/// <see cref="CaptureInitialWeights"/> or, failing that, at the first mask update; the previous weights at every
/// update. <see cref="Criterion.Taylor"/> reads the weight's gradient; <see cref="Criterion.Wanda"/> needs
/// <see cref="RecordActivations"/> first.
/// </para>
/// </remarks>
public abstract class PrunedLayer
{
    /// <summary>The name of the buffer that holds a layer's mask, as in <c>torch.nn.utils.prune</c>.</summary>
    public const string MaskBufferName = "weight_mask";

    private readonly bool _removesOutputUnits;
    private MaskPlan? _plan;
    private long[]? _planWeightShape;
    private NOfMPlan? _nOfMPlan;
    private float[]? _elementScores;
    private Tensor? _mask;
    private Tensor? _initialWeight;
    private Tensor? _previousWeight;
    private Tensor? _inputSquares;
    private Tensor? _unitKeep;
    private Tensor? _torchGroupScores;
    private long _groups;
    private long _updates;
    private double _lastSparsity;

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
        _lastSparsity = sparsity;
        _removesOutputUnits = granularity != Granularity.NOfM && RemovesWholeOutputUnits(kind, dims);
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

    // Naming inside a model tree (src/Runtime/Models): a layer that a block class declares is named by its path in the
    // enclosing model. runtime-core's Qualify member does the same; keep one of the two at merge.
    internal void Rename(string qualifiedName) => Name = qualifiedName;

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

    /// <summary>The layer's mask (its <see cref="MaskBufferName"/> buffer), or <see langword="null"/> before the first update.</summary>
    public Tensor? Mask => Layer.has_buffer(MaskBufferName) ? Layer.get_buffer(MaskBufferName) : null;

    /// <summary>
    /// Whether the granularity's groups are whole output units (a convolution's <see cref="Granularity.Filter"/>, a
    /// <c>Linear</c> <see cref="Granularity.Row"/>): then <see cref="ApplyMask"/> zeroes the bias of removed units too.
    /// </summary>
    public bool RemovesOutputUnits => _removesOutputUnits;

    /// <summary>Computes the mask at the declared <see cref="TargetSparsity"/>.</summary>
    public void UpdateMask() => UpdateMask(TargetSparsity);

    /// <summary>
    /// Computes the mask at <paramref name="sparsity"/> from the current weights (and the criterion's other inputs) and
    /// stores it in the layer's <see cref="MaskBufferName"/> buffer (created on the first call, on the weight's device).
    /// Weights that the existing mask already prunes score lowest, so the mask only grows while the sparsity grows.
    /// The weights themselves are not changed: call <see cref="ApplyMask"/> for that.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1].</exception>
    /// <exception cref="PruningException">The weight's shape or dtype does not fit, a score is NaN, the sparsity would
    /// remove every group, or the criterion lacks an input (a gradient, recorded activations).</exception>
    public void UpdateMask(double sparsity)
    {
        var update = BeginUpdate();
        if (Granularity == Granularity.NOfM)
        {
            MaskPlan.CheckSparsity(Name, sparsity, nameof(sparsity));
            UpdateNOfM(update);
            FinishUpdate(update, (Settings.M - Settings.N) / (double)Settings.M);
            return;
        }

        if (update.OnCpu && TryUpdateElementwise(update, sparsity))
        {
            FinishUpdate(update, sparsity);
            return;
        }

        ScoreGroups(update);
        var pruned = MaskPlan.PrunedGroupCount(Name, sparsity, _groups, ReducedDims, Settings.RoundTo);
        if (update.OnCpu)
        {
            _plan!.SelectLowest(pruned);
            WriteCpuMask(update);
        }
        else
        {
            using var scope = NewDisposeScope();
            var keep = TorchMaskEngine.KeepAllButLowest(_torchGroupScores!.flatten(), pruned);
            WriteTorchMask(update, keep);
        }

        FinishUpdate(update, sparsity);
    }

    /// <summary>
    /// Computes the masks of <paramref name="layers"/> with one ranking over all their groups (global scope): the
    /// <c>round-half-to-even(sparsity × all groups)</c> lowest-scoring groups are pruned, every layer keeping at least
    /// its best group. Ties prune the earlier layer, then the lower flat index, first.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1].</exception>
    /// <exception cref="ArgumentException">A layer uses N:M, which has no groups to rank across layers.</exception>
    /// <exception cref="PruningException">The sparsity would take a layer's last group, or a layer cannot be scored.</exception>
    public static void ComputeGlobalMasks(IReadOnlyList<PrunedLayer> layers, double sparsity)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (!(sparsity >= 0.0 && sparsity <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, $"Global sparsity must be in [0, 1]; it is {sparsity}.");
        }

        foreach (var layer in layers)
        {
            if (layer.Granularity == Granularity.NOfM)
            {
                throw new ArgumentException($"Layer '{layer.Name}' uses N:M sparsity, which keeps N of every M weights within the layer and cannot be ranked globally.", nameof(layers));
            }
        }

        var updates = new LayerUpdate[layers.Count];
        var scores = new double[layers.Count][];
        long total = 0;
        for (var index = 0; index < layers.Count; index++)
        {
            var layer = layers[index];
            updates[index] = layer.BeginUpdate();
            layer.ScoreGroups(updates[index]);
            scores[index] = layer.CopyGroupScores(updates[index]);
            total += scores[index].Length;
        }

        var pruned = (long)Math.Round(sparsity * total, MidpointRounding.ToEven);
        var candidates = new List<(double Score, int Layer, int Group)>((int)Math.Min(total, int.MaxValue));
        for (var index = 0; index < scores.Length; index++)
        {
            // A layer's best group is the one the order (score, flat index) puts last; it never competes.
            var layerScores = scores[index];
            var best = 0;
            for (var group = 1; group < layerScores.Length; group++)
            {
                if (layerScores[group] >= layerScores[best]) best = group;
            }

            for (var group = 0; group < layerScores.Length; group++)
            {
                if (group != best) candidates.Add((layerScores[group], index, group));
            }
        }

        if (pruned > candidates.Count)
        {
            throw new PruningException("(global)", $"global sparsity {sparsity} would prune {pruned} of {total} groups, but every one of the {layers.Count} layers keeps at least one; at most {candidates.Count / (double)total:0.####} is possible.");
        }

        candidates.Sort();
        var keep = new float[layers.Count][];
        for (var index = 0; index < keep.Length; index++)
        {
            keep[index] = new float[scores[index].Length];
            Array.Fill(keep[index], 1f);
        }

        var prunedPerLayer = new long[layers.Count];
        for (var rank = 0; rank < pruned; rank++)
        {
            var (_, layer, group) = candidates[rank];
            keep[layer][group] = 0f;
            prunedPerLayer[layer]++;
        }

        for (var index = 0; index < layers.Count; index++)
        {
            var layer = layers[index];
            layer.WriteKeep(updates[index], keep[index]);
            layer.FinishUpdate(updates[index], prunedPerLayer[index] / (double)scores[index].Length);
        }
    }

    /// <summary>Multiplies the weight by the mask in place, so pruned weights are exactly zero; when
    /// <see cref="RemovesOutputUnits"/>, the bias of every removed unit is zeroed too.</summary>
    /// <exception cref="InvalidOperationException">No mask has been computed yet.</exception>
    public void ApplyMask()
    {
        // This runs on every training step: the cached mask avoids a buffer lookup, which allocates a tensor wrapper.
        var weight = Weight;
        var mask = _mask is { IsInvalid: false } cached && FitsWeight(cached, weight) ? cached
            : Mask ?? throw new InvalidOperationException($"Layer '{Name}' has no mask yet: call UpdateMask() (or the model's ComputeMasks()) first.");
        using (no_grad())
        {
            weight.mul_(mask);
            if (_unitKeep is { IsInvalid: false } unitKeep && Bias is { } bias && bias.numel() == unitKeep.numel())
            {
                if (unitKeep.device_type != bias.device_type || unitKeep.device_index != bias.device_index || unitKeep.dtype != bias.dtype)
                {
                    var converted = unitKeep.to(bias.dtype, bias.device).DetachFromDisposeScope();
                    unitKeep.Dispose();
                    _unitKeep = unitKeep = converted;
                }

                bias.mul_(unitKeep);
            }
        }
    }

    /// <summary>
    /// Registers an all-ones mask buffer where the layer has none, so that a state dict holding masks (a checkpoint
    /// of a pruned model) can be loaded into a fresh instance. Does nothing when the buffer exists.
    /// </summary>
    public void EnsureMaskBuffer() => EnsureMask(Weight);

    /// <summary>
    /// Captures the current weights as the initial weights <c>w0</c> of the criteria that compare with them
    /// (<see cref="Criterion.LargeInit"/>, <see cref="Criterion.Movement"/>, ...). Without a call, the first mask
    /// update captures them.
    /// </summary>
    public void CaptureInitialWeights()
    {
        _initialWeight?.Dispose();
        _initialWeight = CopyOfWeight(Weight);
    }

    /// <summary>
    /// Adds one batch of the layer's inputs to the per-input-channel statistics that <see cref="Criterion.Wanda"/>
    /// scores with (the L2 norm of each input channel over every batch recorded). Call it with the tensor the layer
    /// receives, e.g. from a forward pre-hook or by running the layers by hand on calibration data.
    /// </summary>
    /// <exception cref="PruningException">The input's channel count does not match the layer's.</exception>
    public void RecordActivations(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var weight = Weight;
        var channels = InputChannels(weight);
        var channelAxis = Kind == LayerKind.Linear ? (int)input.dim() - 1 : input.dim() == weight.dim() ? 1 : 0;
        if (input.dim() == 0 || input.size(channelAxis) != channels)
        {
            throw new PruningException(Name, $"the recorded input has shape {MaskPlan.FormatShape(input.shape)}, but the layer takes {channels} input channels on axis {channelAxis}.");
        }

        using var scope = NewDisposeScope();
        var axes = new List<long>();
        for (var axis = 0; axis < input.dim(); axis++)
        {
            if (axis != channelAxis) axes.Add(axis);
        }

        var squares = input.detach().to(ScalarType.Float64).square();
        if (axes.Count > 0) squares = squares.sum(axes.ToArray());
        squares = squares.cpu();
        if (_inputSquares is null)
        {
            // Layer state outlives every scope, the caller's included.
            _inputSquares = squares.DetachFromDisposeScope();
        }
        else
        {
            _inputSquares.add_(squares);
        }
    }

    /// <summary>Forgets the activations recorded for <see cref="Criterion.Wanda"/>.</summary>
    public void ClearActivations()
    {
        _inputSquares?.Dispose();
        _inputSquares = null;
    }

    /// <summary>Reports the declaration and the current mask's sparsity.</summary>
    public LayerSparsity Report()
    {
        var weight = Weight;
        var mask = Mask;
        // N:M's groups are the elements; the other granularities' are counted on the view the mask is computed on.
        long[]? viewSizes = null;
        ReducedDims viewDims = default;
        long groups;
        if (Granularity == Granularity.NOfM)
        {
            groups = weight.numel();
        }
        else
        {
            var (viewShape, dims) = View(weight);
            viewSizes = viewShape.Select(size => (long)size).ToArray();
            viewDims = dims;
            groups = MaskPlan.CountGroups(viewSizes, viewDims);
        }

        double measured = 0;
        long pruned = 0;
        if (mask is not null)
        {
            // Counted from the mask itself, so that a mask loaded from a checkpoint, or written by other code, is
            // reported as it is.
            using var scope = NewDisposeScope();
            using var zero = 0f.ToScalar();
            var zeros = mask.eq(zero).sum().item<long>();
            measured = zeros / (double)mask.numel();
            pruned = viewSizes is null ? zeros : CountPrunedGroups(mask, viewSizes, viewDims, zero);
        }

        return new LayerSparsity(Name, Kind, weight.shape, Granularity, _lastSparsity, groups, pruned, measured);
    }

    /// <summary>The groups of <paramref name="dims"/> (on the mask viewed as <paramref name="viewSizes"/>) whose every element the mask zeroes.</summary>
    private static long CountPrunedGroups(Tensor mask, long[] viewSizes, ReducedDims dims, Scalar zero)
    {
        var view = mask.reshape(viewSizes);
        var reduced = Enumerable.Range(1, viewSizes.Length).Where(dims.Contains).Select(dim => (long)(dim - 1)).ToArray();
        var kept = reduced.Length == 0 ? view : view.amax(reduced);
        return kept.eq(zero).sum().item<long>();
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

    private Parameter? Bias => Layer switch
    {
        Linear linear => linear.bias,
        Convolution convolution => convolution.bias,
        _ => null,
    };

    private long ConvolutionGroups => Layer is Convolution convolution ? convolution.groups : 1;

    private long InputChannels(Tensor weight) => Kind switch
    {
        LayerKind.Linear => weight.size(1),
        _ when Granularities.IsTransposed(Kind) => weight.size(0),
        _ => weight.size(1) * ConvolutionGroups,
    };

    private readonly struct LayerUpdate
    {
        public LayerUpdate(Tensor weight, Tensor mask, bool hadMask, bool onCpu)
        {
            Weight = weight;
            Mask = mask;
            HadMask = hadMask;
            OnCpu = onCpu;
        }

        public Tensor Weight { get; }

        public Tensor Mask { get; }

        public bool HadMask { get; }

        public bool OnCpu { get; }
    }

    private LayerUpdate BeginUpdate()
    {
        var weight = Weight;
        CheckShape(weight);
        var hadMask = _mask is { IsInvalid: false } || Layer.has_buffer(MaskBufferName);
        var mask = EnsureMask(weight);
        var criterion = Settings.Criterion;
        var needs = ElementScores.Needs(criterion);
        if (needs == CriterionInput.InitialWeight && (_initialWeight is null || !SameShape(_initialWeight, weight)))
        {
            CaptureInitialWeights();
        }

        if (needs == CriterionInput.PreviousWeight && (_previousWeight is null || !SameShape(_previousWeight, weight)))
        {
            // Before the first update there is no previous update: the weights at this one stand in, as in fasterai.
            _previousWeight?.Dispose();
            _previousWeight = CopyOfWeight(weight);
        }

        if (needs == CriterionInput.InputNorms && _inputSquares is null)
        {
            throw new PruningException(Name, "the Wanda criterion scores weights by their input channels' activation norms, and none were recorded: call RecordActivations(input) on calibration batches first.");
        }

        var onCpu = weight.device_type == DeviceType.CPU && weight.dtype == ScalarType.Float32 && weight.is_contiguous() &&
                    mask.dtype == ScalarType.Float32 && mask.is_contiguous();
        return new LayerUpdate(weight, mask, hadMask, onCpu);
    }

    private void ScoreGroups(LayerUpdate update)
    {
        var weight = update.Weight;
        if (update.OnCpu)
        {
            var plan = CpuPlan(weight);

            var weights = MemoryMarshal.Cast<byte, float>(weight.bytes);
            var existing = update.HadMask ? MemoryMarshal.Cast<byte, float>(update.Mask.bytes) : default;
            if (ElementScores.IsMagnitudeOf(Settings.Criterion, out var source))
            {
                var values = source == CriterionInput.Weight ? weights : MemoryMarshal.Cast<byte, float>(_initialWeight!.bytes);
                plan.ScoreGroups(values, magnitudes: true, Settings.Reducer, existing);
                if (plan.AnyGroupScoreIsNaN()) throw new PruningException(Name, NaNMessage(weights, values));
            }
            else
            {
                var scores = CpuElementScores(weight, weights);
                plan.ScoreGroups(scores, magnitudes: false, Settings.Reducer, existing);
                if (plan.AnyGroupScoreIsNaN()) throw new PruningException(Name, NaNMessage(weights, scores));
            }

            _groups = plan.GroupCount;
        }
        else
        {
            ScoreGroupsWithTorch(update);
        }
    }

    private MaskPlan CpuPlan(Tensor weight)
    {
        var plan = _plan;
        if (plan is null || !SameShape(_planWeightShape!, weight))
        {
            var (viewShape, viewDims) = View(weight);
            _plan = plan = MaskPlan.Create(Name, viewShape, viewDims);
            _planWeightShape = weight.shape;
        }

        return plan;
    }

    /// <summary>
    /// Weight granularity with a magnitude criterion on the CPU: no group scores, a float32 radix selection straight
    /// into the mask (see <see cref="MaskPlan.ComputeElementwiseMagnitudes"/>).
    /// </summary>
    private bool TryUpdateElementwise(LayerUpdate update, double sparsity)
    {
        var weight = update.Weight;
        var plan = CpuPlan(weight);
        if (!plan.IsElementwise || _removesOutputUnits || !ElementScores.IsMagnitudeOf(Settings.Criterion, out var source)) return false;

        var pruned = MaskPlan.PrunedGroupCount(Name, sparsity, plan.GroupCount, ReducedDims, Settings.RoundTo);
        var weights = Span(weight);
        var values = source == CriterionInput.Weight ? weights : Span(_initialWeight!);
        var mask = MemoryMarshal.Cast<byte, float>(update.Mask.bytes);
        if (!plan.ComputeElementwiseMagnitudes(values, update.HadMask ? mask : default, pruned, mask))
        {
            throw new PruningException(Name, NaNMessage(weights, values));
        }

        _groups = plan.GroupCount;
        return true;
    }

    // Apart from the CPU path: the lambda's closure would otherwise be allocated on every CPU update too.
    private void ScoreGroupsWithTorch(LayerUpdate update)
    {
        var weight = update.Weight;
        var (viewShape, viewDims) = View(weight);
        TorchMaskEngine.CheckWeight(weight, ReducedDims, Name);
        _torchGroupScores?.Dispose();
        using var scope = NewDisposeScope();
        var values = TorchElementScores(weight);
        var existing = update.HadMask ? update.Mask.reshape(ToLong(viewShape)) : null;
        var groupScores = TorchMaskEngine.GroupScores(values.reshape(ToLong(viewShape)), magnitudes: false, Settings.Reducer, existing, viewDims);
        TorchMaskEngine.ThrowIfNaN(groupScores, () => TorchNaNMessage(weight, values), Name);
        _groups = groupScores.numel();
        _torchGroupScores = groupScores.DetachFromDisposeScope();
    }

    private double[] CopyGroupScores(LayerUpdate update)
    {
        if (update.OnCpu) return _plan!.GroupScores.ToArray();
        using var scope = NewDisposeScope();
        return _torchGroupScores!.cpu().flatten().contiguous().data<double>().ToArray();
    }

    private void WriteKeep(LayerUpdate update, float[] keep)
    {
        if (update.OnCpu)
        {
            keep.CopyTo(_plan!.KeptGroups);
            WriteCpuMask(update);
        }
        else
        {
            using var scope = NewDisposeScope();
            WriteTorchMask(update, tensor(keep, dtype: ScalarType.Float32).to(update.Weight.device));
        }
    }

    private void WriteCpuMask(LayerUpdate update)
    {
        var plan = _plan!;
        plan.Expand(MemoryMarshal.Cast<byte, float>(update.Mask.bytes));
        if (!_removesOutputUnits) return;
        if (_unitKeep is not { IsInvalid: false } unitKeep || unitKeep.numel() != plan.GroupCount || unitKeep.device_type != DeviceType.CPU || unitKeep.dtype != ScalarType.Float32)
        {
            _unitKeep?.Dispose();
            _unitKeep = unitKeep = zeros(plan.GroupCount, dtype: ScalarType.Float32).DetachFromDisposeScope();
        }

        plan.KeptGroups.CopyTo(MemoryMarshal.Cast<byte, float>(unitKeep.bytes));
    }

    private void WriteTorchMask(LayerUpdate update, Tensor keep)
    {
        var weight = update.Weight;
        var (viewShape, _) = View(weight);
        var groupShape = _torchGroupScores!.shape;
        var mask = TorchMaskEngine.Expand(keep, groupShape, ToLong(viewShape), update.Mask.dtype).reshape(weight.shape);
        using (no_grad())
        {
            update.Mask.copy_(mask);
        }

        if (_removesOutputUnits)
        {
            _unitKeep?.Dispose();
            _unitKeep = keep.to(ScalarType.Float32).clone().DetachFromDisposeScope();
        }

        _torchGroupScores.Dispose();
        _torchGroupScores = null;
    }

    private void UpdateNOfM(LayerUpdate update)
    {
        var weight = update.Weight;
        var inputAxis = Granularities.InputAxis(Kind);
        if (update.OnCpu)
        {
            var plan = _nOfMPlan ??= NOfMPlan.Create(Name, CurrentShape(weight), inputAxis, Settings.N, Settings.M);
            var weights = MemoryMarshal.Cast<byte, float>(weight.bytes);
            var magnitudeOf = ElementScores.IsMagnitudeOf(Settings.Criterion, out var source);
            var scores = !magnitudeOf ? CpuElementScores(weight, weights)
                : source == CriterionInput.Weight ? weights : Span(_initialWeight!);
            var mask = MemoryMarshal.Cast<byte, float>(update.Mask.bytes);
            if (!plan.Compute(scores, magnitudeOf, update.HadMask ? mask : default, mask))
            {
                throw new PruningException(Name, NaNMessage(weights, scores));
            }
        }
        else
        {
            UpdateNOfMWithTorch(update, inputAxis);
        }

        _groups = weight.numel();
    }

    private void UpdateNOfMWithTorch(LayerUpdate update, int inputAxis)
    {
        var weight = update.Weight;
        NOfMPlan.Create(Name, CurrentShape(weight), inputAxis, Settings.N, Settings.M);
        using var scope = NewDisposeScope();
        var values = TorchElementScores(weight);
        TorchMaskEngine.ThrowIfNaN(values, () => TorchNaNMessage(weight, values), Name);
        var mask = TorchMaskEngine.NOfMMask(values, update.HadMask ? update.Mask : null, inputAxis, Settings.N, Settings.M);
        using (no_grad())
        {
            update.Mask.copy_(mask);
        }
    }

    private void FinishUpdate(LayerUpdate update, double sparsity)
    {
        if (ElementScores.Needs(Settings.Criterion) == CriterionInput.PreviousWeight)
        {
            if (update.OnCpu)
            {
                // Both are contiguous float32 CPU tensors: a span copy allocates nothing.
                Span(update.Weight).CopyTo(MemoryMarshal.Cast<byte, float>(_previousWeight!.bytes));
            }
            else
            {
                using var scope = NewDisposeScope();
                using (no_grad())
                {
                    _previousWeight!.copy_(update.Weight);
                }
            }
        }

        _updates++;
        _lastSparsity = sparsity;
    }

    /// <summary>The element scores of the criterion on the CPU, in a buffer owned by the layer.</summary>
    private ReadOnlySpan<float> CpuElementScores(Tensor weight, ReadOnlySpan<float> weights)
    {
        var count = weights.Length;
        if (_elementScores is null || _elementScores.Length != count) _elementScores = new float[count];
        var scores = _elementScores.AsSpan();
        var criterion = Settings.Criterion;
        switch (ElementScores.Needs(criterion))
        {
            case CriterionInput.None when criterion == Criterion.Random:
                var stream = ElementScores.RandomStream(Settings.Seed, Name, _updates);
                for (var index = 0; index < count; index++) scores[index] = ElementScores.RandomScore(stream, index);
                break;
            case CriterionInput.None:
                ElementScores.Compute(criterion, weights, default, default, scores);
                break;
            case CriterionInput.InitialWeight:
                ElementScores.Compute(criterion, weights, Span(_initialWeight!), default, scores);
                break;
            case CriterionInput.PreviousWeight:
                ElementScores.Compute(criterion, weights, Span(_previousWeight!), default, scores);
                break;
            case CriterionInput.Gradient:
                using (NewDisposeScope())
                {
                    var gradient = Gradient(weight).to(ScalarType.Float32).cpu().contiguous();
                    ElementScores.Compute(criterion, weights, Span(gradient), default, scores);
                }

                break;
            case CriterionInput.InputNorms:
                ElementScores.Compute(criterion, weights, default, WandaFactors(weight), scores);
                break;
        }

        return scores;
    }

    private Tensor TorchElementScores(Tensor weight)
    {
        var criterion = Settings.Criterion;
        var values = weight.detach();
        Tensor? other = ElementScores.Needs(criterion) switch
        {
            CriterionInput.InitialWeight => _initialWeight,
            CriterionInput.PreviousWeight => _previousWeight,
            CriterionInput.Gradient => Gradient(weight),
            _ => null,
        };
        Tensor? factors = criterion == Criterion.Wanda
            ? tensor(WandaFactors(weight), dtype: ScalarType.Float32).reshape(weight.shape).to(weight.device)
            : null;
        var stream = criterion == Criterion.Random ? ElementScores.RandomStream(Settings.Seed, Name, _updates) : 0;
        return TorchMaskEngine.CriterionScores(criterion, values, other, factors, stream);
    }

    private Tensor Gradient(Tensor weight) =>
        weight.grad ?? throw new PruningException(Name, "the Taylor criterion scores (w · ∂L/∂w)², and the weight has no gradient: call backward() on a loss before updating the mask (and before optimizer.zero_grad()).");

    /// <summary>Wanda's per-element factor: the L2 norm of each weight's input channel, in float32.</summary>
    private float[] WandaFactors(Tensor weight)
    {
        var norms = _inputSquares!.data<double>().ToArray();
        var shape = CurrentShape(weight);
        var count = (int)weight.numel();
        var factors = new float[count];
        var kernel = 1;
        for (var axis = 2; axis < shape.Length; axis++) kernel *= shape[axis];
        var groups = (int)ConvolutionGroups;
        for (var index = 0; index < count; index++)
        {
            int channel;
            if (Kind == LayerKind.Linear)
            {
                channel = index % shape[1];
            }
            else if (Granularities.IsTransposed(Kind))
            {
                channel = index / (shape[1] * kernel);
            }
            else
            {
                var output = index / (shape[1] * kernel);
                var inGroup = index / kernel % shape[1];
                channel = output / (shape[0] / groups) * shape[1] + inGroup;
            }

            factors[index] = (float)Math.Sqrt(norms[channel]);
        }

        return factors;
    }

    private string NaNMessage(ReadOnlySpan<float> weights, ReadOnlySpan<float> scores)
    {
        var shape = CurrentShape(Weight);
        var nanWeight = MaskPlan.FirstNaN(weights);
        if (nanWeight >= 0) return MaskPlan.NaNWeightMessage(nanWeight, shape);
        var nanScore = Math.Max(0, MaskPlan.FirstNaN(scores));
        return CriterionNaNMessage(nanScore, shape);
    }

    private string TorchNaNMessage(Tensor weight, Tensor scores)
    {
        var shape = TorchMaskEngine.IntShape(weight);
        var nanWeight = TorchMaskEngine.FirstNaN(weight);
        if (nanWeight >= 0) return MaskPlan.NaNWeightMessage(nanWeight, shape);
        return CriterionNaNMessage(Math.Max(0, TorchMaskEngine.FirstNaN(scores)), shape);
    }

    private string CriterionNaNMessage(long flatIndex, int[] shape) =>
        $"criterion {Settings.Criterion} gives NaN for weight element at flat index {flatIndex} (shape {MaskPlan.FormatShape(shape)}): its other input (initial or previous weight, gradient or activation norm) is NaN, or the formula met ∞ − ∞.";

    /// <summary>
    /// The shape and dims the mask is computed on. A transposed convolution with groups stores [in, out/groups, k...],
    /// where an output channel is (group, index in group): viewed as [groups, in/groups, out/groups, k...] with the
    /// group axis never reduced, its granularities keep their meaning.
    /// </summary>
    private (int[] Shape, ReducedDims Dims) View(Tensor weight)
    {
        var shape = CurrentShape(weight);
        var groups = Granularities.IsTransposed(Kind) ? (int)ConvolutionGroups : 1;
        if (groups <= 1) return (shape, ReducedDims);
        if (shape[0] % groups != 0)
        {
            throw new PruningException(Name, $"the weight has shape {MaskPlan.FormatShape(shape)}, whose {shape[0]} input channels do not split into {groups} groups.");
        }

        var view = new int[shape.Length + 1];
        view[0] = groups;
        view[1] = shape[0] / groups;
        Array.Copy(shape, 1, view, 2, shape.Length - 1);
        var bits = ReducedDims.Contains(0) ? 1 : 0;
        for (var dim = 1; dim <= shape.Length; dim++)
        {
            if (ReducedDims.Contains(dim)) bits |= 1 << (dim + 1);
        }

        return (view, ReducedDims.FromBits(bits));
    }

    private static bool RemovesWholeOutputUnits(LayerKind kind, ReducedDims dims)
    {
        var rank = Granularities.WeightRank(kind);
        var outputDim = Granularities.OutputAxis(kind) + 1;
        if (dims.Contains(outputDim)) return false;
        for (var dim = 1; dim <= rank; dim++)
        {
            if (dim != outputDim && !dims.Contains(dim)) return false;
        }

        return true;
    }

    private void CheckShape(Tensor weight)
    {
        // dtype, unlike is_floating_point(), allocates nothing: this runs on every update.
        if (weight.dtype is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16))
        {
            throw new PruningException(Name, $"the weight has dtype {weight.dtype}; masks are computed for floating-point weights only.");
        }

        var rank = Granularities.WeightRank(Kind);
        var declared = DeclaredShape;
        var matches = weight.dim() == rank;
        for (var axis = 0; matches && axis < declared.Length; axis++)
        {
            matches = weight.size(axis) == declared[axis];
        }

        if (!matches)
        {
            var expected = declared.IsEmpty ? $"a {Kind} weight has rank {rank}" : $"its code declares {MaskPlan.FormatShape(declared)}";
            throw new PruningException(Name, $"the weight has shape {MaskPlan.FormatShape(weight.shape)}, but {expected}.");
        }

        for (var axis = 0; axis < rank; axis++)
        {
            if (weight.size(axis) == 0)
            {
                throw new PruningException(Name, $"the weight has shape {MaskPlan.FormatShape(weight.shape)}: an empty weight has nothing to prune.");
            }
        }

        if (_nOfMPlan is not null && _nOfMPlan.RunCount * _nOfMPlan.M != weight.numel()) _nOfMPlan = null;
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

    private static long[] ToLong(int[] shape)
    {
        var wide = new long[shape.Length];
        for (var axis = 0; axis < shape.Length; axis++) wide[axis] = shape[axis];
        return wide;
    }

    private static ReadOnlySpan<float> Span(Tensor tensor) => MemoryMarshal.Cast<byte, float>(tensor.bytes);

    private static Tensor CopyOfWeight(Tensor weight)
    {
        using (no_grad())
        {
            using var scope = NewDisposeScope();
            return weight.detach().to(ScalarType.Float32).clone().contiguous().DetachFromDisposeScope();
        }
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

        var mask = ones_like(weight, requires_grad: false).contiguous().DetachFromDisposeScope();
        Layer.register_buffer(MaskBufferName, mask);
        return _mask = mask;
    }

    private static bool FitsWeight(Tensor mask, Tensor weight) =>
        mask.device_type == weight.device_type && mask.device_index == weight.device_index && SameShape(mask, weight);

    private static bool SameShape(long[] shape, Tensor tensor)
    {
        if (shape.Length != tensor.dim()) return false;
        for (var axis = 0; axis < shape.Length; axis++)
        {
            if (shape[axis] != tensor.size(axis)) return false;
        }

        return true;
    }

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
