using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Training;

/// <summary>
/// Group-lasso regularization towards structured sparsity: pushes whole groups of each pruned layer's granularity
/// (filters, rows, kernels, ...) towards zero during training, so the groups that pruning later removes carry
/// little of what the model learned. fasterai's <c>RegularizeCallback</c> does this for one granularity; here every
/// layer uses its own declared granularity.
/// </summary>
/// <remarks>
/// <para>
/// The penalty is <c>λ(t) · Σ_layers Σ_groups ‖w_g‖₂</c>, the sum of the groups' L2 norms (Yuan &amp; Lin, 2006;
/// at <see cref="Granularity.Weight"/> each weight is a group and it is the L1 norm). Its gradient,
/// <c>λ(t) · w_g / ‖w_g‖₂</c> (0 for a group that is all zero, the subgradient that leaves pruned groups alone), is
/// added to the weights' gradients by <see cref="AddGradients(long, long)"/>, after <c>loss.backward()</c> and before
/// <c>optimizer.step()</c>: no autograd graph, and no division by a zero norm.
/// </para>
/// <para>
/// The strength is scheduled: <c>λ(t) = Strength × f(t)</c> with <c>f</c> the shape of a <see cref="Schedule"/>
/// over a window (<see cref="SparsitySchedule"/>'s formulas with target 1), so it can grow with the sparsity
/// schedule, or stop before the end of training.
/// </para>
/// </remarks>
public sealed class GroupLasso
{
    private readonly PrunedLayer[] _layers;
    private readonly long[][] _axes;
    private readonly SparsitySchedule _ramp;

    /// <summary>Regularizes <paramref name="layers"/> (a model's <see cref="IPrunableModule.PrunedLayers"/>), each over its granularity's groups.</summary>
    /// <param name="layers">The layers.</param>
    /// <param name="strength">The largest strength <c>λ</c>, finite and not negative.</param>
    /// <param name="schedule">How the strength grows over training (default: all of it from the start).</param>
    /// <param name="start">The fraction of training at which the strength starts to grow.</param>
    /// <param name="end">The fraction of training at which it reaches <paramref name="strength"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The strength or the window is out of range.</exception>
    /// <exception cref="ArgumentException">A layer uses N:M or is a grouped transposed convolution.</exception>
    public GroupLasso(IReadOnlyList<PrunedLayer> layers, double strength, Schedule schedule = Schedule.OneShot, double start = 0.0, double end = 1.0)
    {
        LayerGroups.CheckSupported(layers, "group lasso", nameof(layers));
        if (!(strength >= 0.0 && double.IsFinite(strength)))
        {
            throw new ArgumentOutOfRangeException(nameof(strength), strength, $"The regularization strength must be finite and not negative; it is {strength}.");
        }

        _ramp = SparsitySchedule.Create(schedule, 1.0, start, end);
        _layers = layers.ToArray();
        _axes = _layers.Select(LayerGroups.ReducedAxes).ToArray();
        Strength = strength;
    }

    /// <summary>The largest strength <c>λ</c>.</summary>
    public double Strength { get; }

    /// <summary>The layers, in the order given.</summary>
    public IReadOnlyList<PrunedLayer> Layers => _layers;

    /// <summary>The strength at training progress <paramref name="progress"/>: <c>Strength × f(progress)</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="progress"/> is not in [0, 1].</exception>
    public double StrengthAt(double progress) => Strength * _ramp.SparsityAt(progress);

    /// <summary>The unscaled penalty <c>Σ_layers Σ_groups ‖w_g‖₂</c> of the current weights (for logging; no gradient).</summary>
    public double Penalty()
    {
        double total = 0;
        using (no_grad())
        {
            for (var index = 0; index < _layers.Length; index++)
            {
                using var scope = NewDisposeScope();
                total += GroupNorms(_layers[index].Weight.detach().to(ScalarType.Float64), _axes[index]).sum().item<double>();
            }
        }

        return total;
    }

    /// <summary>
    /// Adds the penalty's gradient at training progress <c>(step + 1) / totalSteps</c> (as <see cref="Sparsifier.Step"/>
    /// counts it) to every layer's weight gradient. Call it after <c>loss.backward()</c> and before <c>optimizer.step()</c>.
    /// </summary>
    /// <returns>The strength used.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="totalSteps"/> is not positive, or <paramref name="step"/> is not in [0, totalSteps).</exception>
    /// <exception cref="InvalidOperationException">A layer's weight has no gradient (no <c>backward()</c> yet, or a frozen weight).</exception>
    public double AddGradients(long step, long totalSteps)
    {
        if (totalSteps <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"The number of training steps must be positive; it is {totalSteps}.");
        }

        if (step < 0 || step >= totalSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, $"The step index must be in [0, {totalSteps}); it is {step}.");
        }

        var strength = StrengthAt((step + 1) / (double)totalSteps);
        AddGradients(strength);
        return strength;
    }

    /// <summary>Adds <c>strength · w_g / ‖w_g‖₂</c> (0 where <c>‖w_g‖₂ = 0</c>) to every layer's weight gradient.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="strength"/> is negative or not finite.</exception>
    /// <exception cref="InvalidOperationException">A layer's weight has no gradient.</exception>
    public void AddGradients(double strength)
    {
        if (!(strength >= 0.0 && double.IsFinite(strength)))
        {
            throw new ArgumentOutOfRangeException(nameof(strength), strength, $"The regularization strength must be finite and not negative; it is {strength}.");
        }

        foreach (var layer in _layers)
        {
            if (layer.Weight.grad is null)
            {
                throw new InvalidOperationException($"Layer '{layer.Name}': the weight has no gradient; call loss.backward() before adding the regularization's gradient.");
            }
        }

        if (strength == 0.0) return;
        // Scalars are held in locals: TorchSharp does not keep them alive during the native call.
        using var scale = strength.ToScalar();
        using var zero = 0.0.ToScalar();
        using var one = 1.0.ToScalar();
        using (no_grad())
        {
            for (var index = 0; index < _layers.Length; index++)
            {
                using var scope = NewDisposeScope();
                var parameter = _layers[index].Weight;
                var gradientOfWeight = parameter.grad!;
                var weight = parameter.detach();
                var norms = GroupNorms(weight, _axes[index]);
                // w / ‖w_g‖, with 0 where the group is all zero (where w is 0 too): no 0 / 0.
                var safe = norms.masked_fill(norms.eq(zero), one);
                gradientOfWeight.add_(weight.div(safe).mul(scale).to(gradientOfWeight.dtype));
            }
        }
    }

    /// <summary>Each group's L2 norm, broadcastable against the weight (the reduced axes kept with size 1).</summary>
    private static Tensor GroupNorms(Tensor weight, long[] axes) =>
        axes.Length == 0 ? weight.abs() : weight.square().sum(axes, keepdim: true).sqrt();
}
