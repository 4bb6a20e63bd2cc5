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
/// any other per layer. A layer whose scheduled sparsity is still 0 and that has no mask is left alone.
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
    private readonly nn.Module? _model;
    private (string Name, Tensor Value)[]? _rewindPoint;
    private int _updateEvery = 1;

    /// <summary>Prunes <paramref name="model"/>'s layers on the schedules their settings declare.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A layer's schedule settings are out of range.</exception>
    public Sparsifier(IPrunableModule model)
        : this(model, layer => SparsitySchedule.FromSettings(layer.Settings))
    {
    }

    /// <summary>Prunes <paramref name="model"/>'s layers on the schedules <paramref name="scheduleFor"/> gives each.</summary>
    /// <param name="model">The model; when it is a TorchSharp module (or a <see cref="PruningTree"/> of one), rewinding covers all of its parameters.</param>
    /// <param name="scheduleFor">The schedule of a layer (for example <c>layer => SparsitySchedule.Create(Schedule.Agp, 0.9, 0, 0.75)</c>).</param>
    public Sparsifier(IPrunableModule model, Func<PrunedLayer, SparsitySchedule> scheduleFor)
        : this((model ?? throw new ArgumentNullException(nameof(model))).PrunedLayers, scheduleFor, model as nn.Module ?? (model as PruningTree)?.Model)
    {
    }

    /// <summary>Prunes <paramref name="layers"/> on the schedules <paramref name="scheduleFor"/> gives each; rewinding covers the layers' parameters.</summary>
    public Sparsifier(IReadOnlyList<PrunedLayer> layers, Func<PrunedLayer, SparsitySchedule> scheduleFor)
        : this(layers, scheduleFor, null)
    {
    }

    private Sparsifier(IReadOnlyList<PrunedLayer> layers, Func<PrunedLayer, SparsitySchedule> scheduleFor, nn.Module? model)
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
    }

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

    /// <summary>The sparsity the layer at <paramref name="layerIndex"/> is pruned at now (0 before its first update).</summary>
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
    /// Brings every layer to its schedule's sparsity at training <paramref name="progress"/> (recomputing a mask only
    /// where that sparsity changed) and applies every mask. <see cref="Step"/> calls it; call it directly where
    /// progress is measured otherwise (epochs, samples seen, time).
    /// </summary>
    /// <param name="progress">The fraction of training done, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="progress"/> is not in [0, 1].</exception>
    /// <exception cref="PruningException">A mask cannot be computed (the exception names the layer).</exception>
    public void Update(double progress)
    {
        for (var index = 0; index < _layers.Length; index++)
        {
            var layer = _layers[index];
            var sparsity = _schedules[index].SparsityAt(progress);
            if (!_started[index] || sparsity != _scheduled[index])
            {
                // A layer with no mask that is scheduled at 0 has nothing to compute; one with a mask (from an
                // earlier schedule or ComputeMasks) gets the new sparsity, 0 included, which releases it.
                if (sparsity > 0.0 || layer.Mask is not null)
                {
                    layer.UpdateMask(sparsity);
                    KeepOutOfDisposeScopes(layer);
                    MaskUpdates++;
                }

                _scheduled[index] = sparsity;
                _started[index] = true;
            }

            // At 0 the mask is all ones: applying it would change nothing.
            if (_scheduled[index] > 0.0) layer.ApplyMask();
        }
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
    /// against the model before any is copied, so a rewind that throws has changed nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">No rewind point was captured, or a captured parameter is no longer
    /// in the model or changed shape or dtype since (the message names it).</exception>
    public void Rewind()
    {
        var point = _rewindPoint ?? throw new InvalidOperationException("There is no rewind point: call CaptureRewindPoint() at the epoch or step to rewind to first.");
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
