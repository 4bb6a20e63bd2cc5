using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Training;

/// <summary>
/// Prunes a model while it trains. Call <see cref="Step"/> after every <c>optimizer.step()</c>: it recomputes a
/// layer's mask when the layer's scheduled sparsity changes and multiplies every masked weight by its mask, so the
/// optimizer can never bring a pruned weight back.
/// </summary>
/// <remarks>
/// <para>
/// Each layer follows its own <see cref="SparsitySchedule"/>: by default the one its <see cref="PruneSettings"/>
/// declare (<see cref="PruneAttribute.Schedule"/>, <see cref="PruneAttribute.ScheduleStart"/>, ...); code can give
/// any other per layer. A layer whose scheduled sparsity is still 0 and that has no mask is left alone. A model with
/// <see cref="PruningScope.Global"/> follows one schedule instead, the class-level declaration's
/// (<see cref="IPrunableModule.GlobalSettings"/>): its layers are ranked together at the scheduled model-wide sparsity,
/// so the last update gives the masks the model's <c>ComputeMasks()</c> gives.
/// </para>
/// <para>
/// Every mask update runs one <see cref="MaskPass"/> over the layers whose sparsity changed: either all of their masks
/// change, or (on an error, which names the layer) none does and the sparsifier's own state stays as it was.
/// </para>
/// <para>
/// Lottery-ticket rewinding: <see cref="CaptureRewindPoint"/> copies the model's parameters (at the epoch or step
/// the training loop chooses); <see cref="Rewind"/> copies them back and re-applies the current masks, so the
/// rewound network keeps its pruning. Optimizer state (momentum) is not part of the rewind point: create a new
/// optimizer after rewinding.
/// </para>
/// </remarks>
public sealed class Sparsifier : IDisposable
{
    private readonly PrunedLayer[] _layers;
    private readonly SparsitySchedule[] _schedules;
    private readonly double[] _scheduled;
    private readonly bool[] _started;
    private readonly bool _global;
    private readonly GlobalScoreNormalization _normalization;
    private readonly nn.Module? _model;
    private (string Name, Tensor Value)[]? _rewindPoint;
    private int _updateEvery = 1;

    /// <summary>
    /// Prunes <paramref name="model"/>'s layers on the schedules their settings declare, or, under global scope, the
    /// whole model on its class-level declaration's schedule.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A schedule's settings are out of range.</exception>
    /// <exception cref="ArgumentException">The model uses global scope but gives no <see cref="IPrunableModule.GlobalSettings"/>.</exception>
    public Sparsifier(IPrunableModule model)
        : this((model ?? throw new ArgumentNullException(nameof(model))).PrunedLayers, DeclaredSchedules(model), ModuleOf(model), model.PruningScope == PruningScope.Global, NormalizationOf(model))
    {
    }

    /// <summary>Prunes <paramref name="model"/>'s layers on the schedules <paramref name="scheduleFor"/> gives each (local scope).</summary>
    /// <param name="model">The model; when it is a TorchSharp module (or a <see cref="PruningTree"/> of one), rewinding covers all of its parameters.</param>
    /// <param name="scheduleFor">The schedule of a layer (for example <c>layer => SparsitySchedule.Create(Schedule.Agp, 0.9, 0, 0.75)</c>).</param>
    /// <exception cref="ArgumentException">The model uses global scope, where one schedule serves the whole model: use <see cref="Sparsifier(IPrunableModule, SparsitySchedule)"/>.</exception>
    public Sparsifier(IPrunableModule model, Func<PrunedLayer, SparsitySchedule> scheduleFor)
        : this(LocalLayersOf(model), scheduleFor, ModuleOf(model), global: false)
    {
    }

    /// <summary>
    /// Prunes <paramref name="model"/> on one <paramref name="schedule"/>: under global scope the model-wide sparsity
    /// follows it (the layers ranked together at every update), under local scope every layer does.
    /// </summary>
    public Sparsifier(IPrunableModule model, SparsitySchedule schedule)
        : this((model ?? throw new ArgumentNullException(nameof(model))).PrunedLayers, OneSchedule(schedule), ModuleOf(model), model.PruningScope == PruningScope.Global, NormalizationOf(model))
    {
    }

    /// <summary>Prunes <paramref name="layers"/> on the schedules <paramref name="scheduleFor"/> gives each; rewinding covers the layers' parameters.</summary>
    public Sparsifier(IReadOnlyList<PrunedLayer> layers, Func<PrunedLayer, SparsitySchedule> scheduleFor)
        : this(layers, scheduleFor, null, global: false)
    {
    }

    private Sparsifier(IReadOnlyList<PrunedLayer> layers, Func<PrunedLayer, SparsitySchedule> scheduleFor, nn.Module? model, bool global, GlobalScoreNormalization normalization = GlobalScoreNormalization.None)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(scheduleFor);
        _layers = layers.ToArray();
        _schedules = new SparsitySchedule[_layers.Length];
        for (var index = 0; index < _layers.Length; index++)
        {
            var layer = _layers[index] ?? throw new ArgumentException($"Layer {index} of the list is null.", nameof(layers));
            _schedules[index] = scheduleFor(layer) ?? throw new ArgumentException($"The schedule given for layer '{layer.Name}' is null.", nameof(scheduleFor));
        }

        _scheduled = new double[_layers.Length];
        _started = new bool[_layers.Length];
        _model = model;
        _global = global;
        _normalization = normalization;
    }

    /// <summary>Whether the layers are ranked together (the model's <see cref="PruningScope.Global"/>), all on one schedule.</summary>
    public bool IsGlobal => _global;

    /// <summary>Under global scope, how each layer's scores are normalized before the ranking: the model-wide declaration's <see cref="PruneSettings.Normalization"/>.</summary>
    public GlobalScoreNormalization Normalization => _normalization;

    /// <summary>The layers, in the model's order.</summary>
    public IReadOnlyList<PrunedLayer> Layers => _layers;

    /// <summary>Each layer's schedule, in the order of <see cref="Layers"/>.</summary>
    public IReadOnlyList<SparsitySchedule> Schedules => _schedules;

    /// <summary>
    /// How many optimizer steps apart masks are recomputed, at least 1 (default 1: every step whose scheduled
    /// sparsity changed). With <c>k</c> above 1, <see cref="Step"/> reads the schedules at the last multiple of
    /// <c>k</c> completed steps (and at the last step), as Zhu &amp; Gupta's pruning frequency Δt: a smooth
    /// schedule then changes masks every <c>k</c> steps instead of every step. Masks are still applied every step.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int UpdateEvery
    {
        get => _updateEvery;
        init => _updateEvery = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, $"UpdateEvery must be at least 1; it is {value}.");
    }

    /// <summary>How many times a layer's mask has been recomputed.</summary>
    public long MaskUpdates { get; private set; }

    /// <summary>
    /// The sparsity the layer at <paramref name="layerIndex"/> is pruned at now (0 before its first update); under
    /// global scope, the model-wide sparsity its groups were ranked towards.
    /// </summary>
    public double ScheduledSparsity(int layerIndex) => _scheduled[layerIndex];

    /// <summary>Whether <see cref="CaptureRewindPoint"/> has been called.</summary>
    public bool HasRewindPoint => _rewindPoint is not null;

    /// <summary>
    /// Call after optimizer step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>: training progress
    /// is <c>(step + 1) / totalSteps</c>, read at multiples of <see cref="UpdateEvery"/> steps (see there).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="totalSteps"/> is not positive, or <paramref name="step"/> is not in [0, totalSteps).</exception>
    public void Step(long step, long totalSteps)
    {
        if (totalSteps <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"The number of training steps must be positive; it is {totalSteps}.");
        }

        if (step < 0 || step >= totalSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, $"The step index must be in [0, {totalSteps}); it is {step}.");
        }

        var done = step + 1;
        if (done != totalSteps) done -= done % _updateEvery;
        Update(done / (double)totalSteps);
    }

    /// <summary>
    /// Brings every layer to its schedule's sparsity at training <paramref name="progress"/> (recomputing masks only
    /// where that sparsity changed, in one <see cref="MaskPass"/>) and applies every mask. <see cref="Step"/> calls it;
    /// call it directly where progress is measured otherwise (epochs, samples seen, time).
    /// </summary>
    /// <param name="progress">The fraction of training done, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="progress"/> is not in [0, 1].</exception>
    /// <exception cref="PruningException">A mask cannot be computed (the exception names the layer); no mask changed.</exception>
    public void Update(double progress)
    {
        var sparsities = new double[_layers.Length];
        for (var index = 0; index < _layers.Length; index++) sparsities[index] = _schedules[index].SparsityAt(progress);
        if (_layers.Length == 0) return;
        if (_global) UpdateGlobal(sparsities[0]);
        else UpdateLocal(sparsities);

        for (var index = 0; index < _layers.Length; index++)
        {
            // At 0 the mask is all ones: applying it would change nothing.
            if (_scheduled[index] > 0.0) _layers[index].ApplyMask();
        }
    }

    private void UpdateLocal(double[] sparsities)
    {
        var changed = new List<int>();
        for (var index = 0; index < _layers.Length; index++)
        {
            // A layer with no mask that is scheduled at 0 has nothing to compute; one with a mask (from an earlier
            // schedule or ComputeMasks) gets the new sparsity, 0 included, which releases it.
            var sparsity = sparsities[index];
            if ((!_started[index] || sparsity != _scheduled[index]) && (sparsity > 0.0 || _layers[index].Mask is not null)) changed.Add(index);
        }

        if (changed.Count > 0)
        {
            MaskPass.ComputeMasks(changed.Select(index => _layers[index]).ToArray(), changed.Select(index => sparsities[index]).ToArray());
            foreach (var index in changed) KeepOutOfDisposeScopes(_layers[index]);
            MaskUpdates += changed.Count;
        }

        for (var index = 0; index < _layers.Length; index++)
        {
            _scheduled[index] = sparsities[index];
            _started[index] = true;
        }
    }

    private void UpdateGlobal(double sparsity)
    {
        if (_started[0] && sparsity == _scheduled[0]) return;
        if (sparsity > 0.0 || _layers.Any(layer => layer.Mask is not null))
        {
            MaskPass.ComputeGlobalMasks(_layers, sparsity, _normalization);
            foreach (var layer in _layers) KeepOutOfDisposeScopes(layer);
            MaskUpdates += _layers.Length;
        }

        Array.Fill(_scheduled, sparsity);
        Array.Fill(_started, true);
    }

    /// <summary>
    /// Copies the model's parameters (every parameter of the model when it is a TorchSharp module, else the pruned
    /// layers' parameters) as the point <see cref="Rewind"/> returns to. A later call replaces the point.
    /// </summary>
    public void CaptureRewindPoint()
    {
        var captured = new List<(string, Tensor)>();
        using (no_grad())
        {
            foreach (var (name, parameter) in Parameters())
            {
                captured.Add((name, parameter.detach().clone().DetachFromDisposeScope()));
            }
        }

        DisposeRewindPoint();
        _rewindPoint = captured.ToArray();
    }

    /// <summary>
    /// Copies the captured parameters back into the model and re-applies every layer's current mask, so pruned
    /// weights stay exactly zero and kept weights return to their captured values. Every captured tensor is checked
    /// against the model before any is copied, so a rewind that throws has changed nothing. The layers' locks are held
    /// from the checks to the last mask applied, as a mask pass holds them.
    /// </summary>
    /// <exception cref="InvalidOperationException">No rewind point was captured, or a captured parameter is no longer
    /// in the model or changed shape or dtype since (the message names it).</exception>
    public void Rewind()
    {
        var point = _rewindPoint ?? throw new InvalidOperationException("There is no rewind point: call CaptureRewindPoint() at the epoch or step to rewind to first.");

        // The layers' locks, in the mask pass's order, from the checks to the last mask applied: a pass on another
        // thread sees the weights before the rewind or after it, never some layers rewound and others not.
        using var locks = LayerLocks.Enter(_layers);
        var parameters = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in Parameters()) parameters.TryAdd(name, parameter);
        var targets = new Tensor[point.Length];
        for (var index = 0; index < point.Length; index++)
        {
            var (name, value) = point[index];
            if (!parameters.TryGetValue(name, out var parameter))
            {
                throw new InvalidOperationException($"Cannot rewind: parameter '{name}' was captured but the model no longer has it. Nothing was rewound; capture a new rewind point.");
            }

            if (!parameter.shape.AsSpan().SequenceEqual(value.shape) || parameter.dtype != value.dtype)
            {
                throw new InvalidOperationException($"Cannot rewind: parameter '{name}' is {parameter.dtype} {MaskPlan.FormatShape(parameter.shape)} now, but was {value.dtype} {MaskPlan.FormatShape(value.shape)} when it was captured. Nothing was rewound; capture a new rewind point.");
            }

            targets[index] = parameter;
        }

        using (no_grad())
        {
            for (var index = 0; index < point.Length; index++) targets[index].copy_(point[index].Value);
        }

        foreach (var layer in _layers)
        {
            if (layer.Mask is not null) layer.ApplyMask();
        }
    }

    /// <summary>
    /// A mask created while the training loop has a TorchSharp dispose scope open (one per batch is the usual
    /// pattern) would belong to that scope and be freed with the batch's temporaries, leaving the layer a dead buffer.
    /// The mask lives as long as the layer, so it is taken out of every scope.
    /// </summary>
    internal static void KeepOutOfDisposeScopes(PrunedLayer layer) => layer.Mask?.DetachFromDisposeScope();

    /// <summary>The declared schedules: each layer's own, or under global scope the class-level declaration's for all.</summary>
    private static Func<PrunedLayer, SparsitySchedule> DeclaredSchedules(IPrunableModule model)
    {
        if (model.PruningScope != PruningScope.Global) return layer => SparsitySchedule.FromSettings(layer.Settings);
        var settings = model.GlobalSettings ?? throw new ArgumentException($"{model.GetType().Name} uses global scope but its GlobalSettings are null: one schedule for the whole model comes from there.", nameof(model));
        return OneSchedule(SparsitySchedule.FromSettings(settings));
    }

    private static IReadOnlyList<PrunedLayer> LocalLayersOf(IPrunableModule model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.PruningScope == PruningScope.Global)
        {
            throw new ArgumentException($"{model.GetType().Name} uses global scope: its layers are ranked together, on one schedule for the whole model, so per-layer schedules do not apply. Use new Sparsifier(model) (the class-level declaration's schedule) or new Sparsifier(model, schedule).", nameof(model));
        }

        return model.PrunedLayers;
    }

    /// <summary>Under global scope, the normalization of the model-wide declaration (<see cref="PruneSettings.Normalization"/>); none without one.</summary>
    private static GlobalScoreNormalization NormalizationOf(IPrunableModule model) =>
        model.PruningScope == PruningScope.Global ? model.GlobalSettings?.Normalization ?? GlobalScoreNormalization.None : GlobalScoreNormalization.None;

    /// <summary>The TorchSharp module whose parameters a rewind covers: the model itself, or the model a <see cref="PruningTree"/> prunes.</summary>
    private static nn.Module? ModuleOf(IPrunableModule model) => model as nn.Module ?? (model as PruningTree)?.Model;

    private static Func<PrunedLayer, SparsitySchedule> OneSchedule(SparsitySchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return _ => schedule;
    }

    /// <summary>Frees the rewind point's tensors.</summary>
    public void Dispose() => DisposeRewindPoint();

    private IEnumerable<(string Name, Tensor Parameter)> Parameters()
    {
        if (_model is not null)
        {
            foreach (var (name, parameter) in _model.named_parameters()) yield return (name, parameter);
            yield break;
        }

        foreach (var layer in _layers)
        {
            foreach (var (name, parameter) in layer.Layer.named_parameters()) yield return (layer.Name + "." + name, parameter);
        }
    }

    private void DisposeRewindPoint()
    {
        if (_rewindPoint is null) return;
        foreach (var (_, value) in _rewindPoint) value.Dispose();
        _rewindPoint = null;
    }
}
