using System;

namespace PruneSharp.Training;

/// <summary>
/// A custom schedule's shape: maps the progress inside the schedule's window, <c>p</c> in [0, 1], to the fraction of
/// the target sparsity to prune, in [0, 1].
/// </summary>
/// <param name="windowProgress">
/// <c>(t − start) / (end − start)</c> for training progress <c>t</c> in the window, 1 from the end on.
/// </param>
public delegate double SparsityRamp(double windowProgress);

/// <summary>
/// Maps training progress to a sparsity: how a layer's sparsity grows from 0 to its target over training.
/// </summary>
/// <remarks>
/// <para>
/// Training progress <c>t</c> is the fraction of training done, in [0, 1]. Before <see cref="Start"/> the sparsity is
/// 0. From <see cref="Start"/> on it is <c>Target × f(p)</c>, where <c>p = (t − Start) / (End − Start)</c> is the
/// progress inside the window, clamped to 1 (and 1 from the start on when <c>Start == End</c>), and <c>f</c> is:
/// </para>
/// <list type="table">
/// <item><term><see cref="Schedule.OneShot"/></term><description><c>1</c>: the full target from <see cref="Start"/> on; <see cref="End"/> is not used.</description></item>
/// <item><term><see cref="Schedule.Iterative"/></term><description><c>floor(p · n) / n</c> with <c>n = </c><see cref="Steps"/>: a staircase that steps up by <c>Target / n</c> at <c>p = 1/n, 2/n, …, 1</c>, so the target is reached at <see cref="End"/>.</description></item>
/// <item><term><see cref="Schedule.Agp"/></term><description><c>1 − (1 − p)³</c> (Zhu &amp; Gupta, 2017): fast at first, slow near the target.</description></item>
/// <item><term><see cref="Schedule.OneCycle"/></term><description><c>(σ(αp − β) − σ(−β)) / (σ(α − β) − σ(−β))</c> with <c>α = 14, β = 6</c>: fasterai's logistic ramp, rescaled to be exactly 0 at <c>p = 0</c> and 1 at <c>p = 1</c> (fasterai's own starts at 0.25 % of the target).</description></item>
/// <item><term><see cref="Schedule.Cosine"/></term><description><c>(1 − cos(πp)) / 2</c>.</description></item>
/// <item><term><see cref="Schedule.Linear"/></term><description><c>p</c>.</description></item>
/// <item><term><see cref="Schedule.DenseSparseDense"/></term><description><c>1</c> while <c>p &lt; 1</c>, then <c>0</c>: dense before <see cref="Start"/>, the full target from <see cref="Start"/> until <see cref="End"/>, and dense again from <see cref="End"/> on (Han et al., 2017), so it is the one schedule that is 0, not the target, after its end.</description></item>
/// <item><term>custom</term><description>the <see cref="SparsityRamp"/> given to <see cref="Custom"/>.</description></item>
/// </list>
/// </remarks>
public sealed class SparsitySchedule
{
    // fasterai's one-cycle constants: the logistic's steepness and its centre (β / α ≈ 0.43 of the window).
    private const double OneCycleAlpha = 14.0;
    private const double OneCycleBeta = 6.0;

    private readonly SparsityRamp? _ramp;

    private SparsitySchedule(Schedule? kind, SparsityRamp? ramp, double target, double start, double end, int steps)
    {
        if (!(target >= 0.0 && target <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(target), target, $"The target sparsity must be in [0, 1]; it is {target}.");
        }

        if (!(start >= 0.0 && start <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, $"The schedule start must be a fraction of training in [0, 1]; it is {start}.");
        }

        if (!(end >= start && end <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(end), end, $"The schedule end must be in [start, 1] = [{start}, 1]; it is {end}.");
        }

        if (kind == Schedule.Iterative && steps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"An iterative schedule needs at least 1 step; it has {steps}.");
        }

        if (kind is { } known && !Enum.IsDefined(known))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), known, $"{known} is not a schedule.");
        }

        Kind = kind;
        _ramp = ramp;
        Target = target;
        Start = start;
        End = end;
        Steps = steps;
    }

    /// <summary>The built-in schedule, or <see langword="null"/> for a custom one.</summary>
    public Schedule? Kind { get; }

    /// <summary>The sparsity the schedule reaches.</summary>
    public double Target { get; }

    /// <summary>The fraction of training at which pruning starts.</summary>
    public double Start { get; }

    /// <summary>The fraction of training at which the schedule reaches <see cref="Target"/> (releases it, for <see cref="Schedule.DenseSparseDense"/>).</summary>
    public double End { get; }

    /// <summary>For <see cref="Schedule.Iterative"/>: the number of equal steps.</summary>
    public int Steps { get; }

    /// <summary>A built-in schedule.</summary>
    /// <param name="schedule">The schedule's shape.</param>
    /// <param name="target">The sparsity reached, in [0, 1].</param>
    /// <param name="start">The fraction of training at which pruning starts, in [0, 1].</param>
    /// <param name="end">The fraction of training at which the target is reached, in [<paramref name="start"/>, 1].</param>
    /// <param name="steps">For <see cref="Schedule.Iterative"/>: the number of equal steps, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range, or <paramref name="schedule"/> is not defined.</exception>
    public static SparsitySchedule Create(Schedule schedule, double target, double start = 0.0, double end = 1.0, int steps = 3) =>
        new(schedule, null, target, start, end, steps);

    /// <summary>The schedule a layer declares: its settings' schedule, sparsity, start, end and steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value of the settings is out of its range.</exception>
    public static SparsitySchedule FromSettings(PruneSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Create(settings.Schedule, settings.Sparsity, settings.ScheduleStart, settings.ScheduleEnd, settings.ScheduleSteps);
    }

    /// <summary>A schedule of any shape: <c>Target × ramp(p)</c> from <paramref name="start"/> on, 0 before.</summary>
    /// <param name="target">The sparsity the ramp scales, in [0, 1].</param>
    /// <param name="ramp">The fraction of <paramref name="target"/> at window progress <c>p</c>; it must return a value in [0, 1].</param>
    /// <param name="start">The fraction of training at which the window starts.</param>
    /// <param name="end">The fraction of training at which the window ends; from there on <c>p</c> is 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public static SparsitySchedule Custom(double target, SparsityRamp ramp, double start = 0.0, double end = 1.0)
    {
        ArgumentNullException.ThrowIfNull(ramp);
        return new SparsitySchedule(null, ramp, target, start, end, 1);
    }

    /// <summary>The sparsity at training progress <paramref name="progress"/>.</summary>
    /// <param name="progress">The fraction of training done, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="progress"/> is not in [0, 1].</exception>
    /// <exception cref="InvalidOperationException">A custom ramp returned a value outside [0, 1].</exception>
    public double SparsityAt(double progress)
    {
        if (!(progress >= 0.0 && progress <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(progress), progress, $"Training progress must be in [0, 1]; it is {progress}.");
        }

        if (progress < Start) return 0.0;
        var p = End > Start ? Math.Min(1.0, (progress - Start) / (End - Start)) : 1.0;
        return Target * Fraction(p);
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var name = Kind?.ToString() ?? "Custom";
        var steps = Kind == Schedule.Iterative ? $", {Steps} steps" : string.Empty;
        return $"{name} to {Target:0.###} over [{Start:0.###}, {End:0.###}]{steps}";
    }

    private double Fraction(double p)
    {
        switch (Kind)
        {
            case Schedule.OneShot:
                return 1.0;
            case Schedule.Iterative:
                // A small tolerance so that p = k/n, computed from step counts with rounding, lands on step k.
                return Math.Min(Steps, Math.Floor(p * Steps + 1e-9)) / Steps;
            case Schedule.Agp:
                var remaining = 1.0 - p;
                return 1.0 - remaining * remaining * remaining;
            case Schedule.OneCycle:
                var low = Logistic(-OneCycleBeta);
                return (Logistic(OneCycleAlpha * p - OneCycleBeta) - low) / (Logistic(OneCycleAlpha - OneCycleBeta) - low);
            case Schedule.Cosine:
                return (1.0 - Math.Cos(Math.PI * p)) / 2.0;
            case Schedule.Linear:
                return p;
            case Schedule.DenseSparseDense:
                return p < 1.0 ? 1.0 : 0.0;
            default:
                var fraction = _ramp!(p);
                if (!(fraction >= 0.0 && fraction <= 1.0))
                {
                    throw new InvalidOperationException($"The custom schedule's ramp returned {fraction} at window progress {p}; it must return a fraction of the target in [0, 1].");
                }

                return fraction;
        }
    }

    private static double Logistic(double x) => 1.0 / (1.0 + Math.Exp(-x));
}
