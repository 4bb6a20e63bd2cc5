using System;
using System.Globalization;
using TorchSharp;

namespace PruneSharp.Training;

/// <summary>
/// Maps training progress to a learning rate: the schedule of a recovery (fine-tuning) phase after or while pruning.
/// </summary>
/// <remarks>
/// <para>
/// Progress <c>t</c> is the fraction of the phase done, in [0, 1], as in <see cref="SparsitySchedule"/>. The rate of
/// optimizer step <c>k</c> of <c>n</c> is the value at <c>t = k / n</c>, the progress when the step is taken (so the
/// first step gets the value at 0, and the value at 1 is the limit the last step approaches).
/// </para>
/// <list type="table">
/// <item><term><see cref="Constant"/></term><description><c>η</c>.</description></item>
/// <item><term><see cref="Cosine"/></term><description><c>η_end + (η − η_end) · (1 + cos(πt)) / 2</c>.</description></item>
/// <item><term><see cref="OneCycle"/></term><description>Smith's one-cycle policy with cosine annealing (PyTorch's
/// <c>OneCycleLR</c>, fastai's <c>fit_one_cycle</c>): from <c>η_max / d</c> up to <c>η_max</c> over the first
/// <c>w</c> of the phase, then down to <c>η_max / (d · d_final)</c>.</description></item>
/// <item><term><see cref="RewoundTo"/></term><description>Learning-rate rewinding (Renda et al., 2020): the recovery
/// phase replays the original training's schedule from a rewind point <c>r</c> to its end,
/// <c>η(t) = original(r + t · (1 − r))</c>, instead of fine-tuning at the final, smallest rate.</description></item>
/// <item><term><see cref="Custom"/></term><description>any function of <c>t</c>.</description></item>
/// </list>
/// </remarks>
public sealed class LearningRateSchedule
{
    private readonly Func<double, double> _rate;
    private readonly string _description;

    private LearningRateSchedule(Func<double, double> rate, string description)
    {
        _rate = rate;
        _description = description;
    }

    /// <summary>The same rate all along.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The rate is not finite and positive.</exception>
    public static LearningRateSchedule Constant(double learningRate)
    {
        CheckRate(learningRate, nameof(learningRate));
        return new LearningRateSchedule(_ => learningRate, Format($"constant {learningRate:G4}"));
    }

    /// <summary>A half-cosine from <paramref name="learningRate"/> at 0 down to <paramref name="finalLearningRate"/> at 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate is out of range (the final one may be 0).</exception>
    public static LearningRateSchedule Cosine(double learningRate, double finalLearningRate = 0.0)
    {
        CheckRate(learningRate, nameof(learningRate));
        if (!(finalLearningRate >= 0.0 && double.IsFinite(finalLearningRate)))
        {
            throw new ArgumentOutOfRangeException(nameof(finalLearningRate), finalLearningRate, $"The final learning rate must be finite and not negative; it is {finalLearningRate}.");
        }

        return new LearningRateSchedule(t => Anneal(learningRate, finalLearningRate, t), Format($"cosine {learningRate:G4} → {finalLearningRate:G4}"));
    }

    /// <summary>
    /// The one-cycle policy: a cosine warm-up from <c>maxLearningRate / divFactor</c> to <paramref name="maxLearningRate"/>
    /// over the first <paramref name="warmup"/> of the phase, then a cosine down to
    /// <c>maxLearningRate / (divFactor · finalDivFactor)</c> at the end. The defaults are fastai's warm-up (0.25) and
    /// PyTorch's <c>OneCycleLR</c> factors.
    /// </summary>
    /// <param name="maxLearningRate">The peak rate.</param>
    /// <param name="warmup">The fraction of the phase spent warming up, in [0, 1).</param>
    /// <param name="divFactor">The start rate is the peak divided by it; at least 1.</param>
    /// <param name="finalDivFactor">The end rate is the start rate divided by it; at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public static LearningRateSchedule OneCycle(double maxLearningRate, double warmup = 0.25, double divFactor = 25.0, double finalDivFactor = 1e4)
    {
        CheckRate(maxLearningRate, nameof(maxLearningRate));
        if (!(warmup >= 0.0 && warmup < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(warmup), warmup, $"The warm-up must be a fraction of the phase in [0, 1); it is {warmup}.");
        }

        if (!(divFactor >= 1.0 && double.IsFinite(divFactor)))
        {
            throw new ArgumentOutOfRangeException(nameof(divFactor), divFactor, $"divFactor must be finite and at least 1; it is {divFactor}.");
        }

        if (!(finalDivFactor >= 1.0 && double.IsFinite(finalDivFactor)))
        {
            throw new ArgumentOutOfRangeException(nameof(finalDivFactor), finalDivFactor, $"finalDivFactor must be finite and at least 1; it is {finalDivFactor}.");
        }

        var start = maxLearningRate / divFactor;
        var end = start / finalDivFactor;
        return new LearningRateSchedule(
            t => t < warmup ? Anneal(start, maxLearningRate, t / warmup) : Anneal(maxLearningRate, end, (t - warmup) / (1.0 - warmup)),
            Format($"one-cycle {start:G4} → {maxLearningRate:G4} (at {warmup:G4}) → {end:G4}"));
    }

    /// <summary>A schedule given as a function of progress; it must return a finite, non-negative rate.</summary>
    public static LearningRateSchedule Custom(Func<double, double> learningRateAt)
    {
        ArgumentNullException.ThrowIfNull(learningRateAt);
        return new LearningRateSchedule(learningRateAt, "custom");
    }

    /// <summary>
    /// Learning-rate rewinding (Renda et al., 2020): a recovery phase that replays this schedule, the one the model was
    /// trained with, from <paramref name="rewindPoint"/> (a fraction of that training) to its end:
    /// <c>η(t) = this(r + t · (1 − r))</c>. Rewinding to 0 replays the whole training schedule.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rewindPoint"/> is not in [0, 1].</exception>
    public LearningRateSchedule RewoundTo(double rewindPoint)
    {
        if (!(rewindPoint >= 0.0 && rewindPoint <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(rewindPoint), rewindPoint, $"The rewind point must be a fraction of the original training in [0, 1]; it is {rewindPoint}.");
        }

        var original = _rate;
        return new LearningRateSchedule(t => original(rewindPoint + (t * (1.0 - rewindPoint))), Format($"{_description}, rewound to {rewindPoint:G4}"));
    }

    /// <summary>The rate at phase progress <paramref name="progress"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="progress"/> is not in [0, 1].</exception>
    /// <exception cref="InvalidOperationException">A custom schedule returned a negative or non-finite rate.</exception>
    public double At(double progress)
    {
        if (!(progress >= 0.0 && progress <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(progress), progress, $"Progress must be in [0, 1]; it is {progress}.");
        }

        var rate = _rate(progress);
        if (!(rate >= 0.0 && double.IsFinite(rate)))
        {
            throw new InvalidOperationException($"The learning-rate schedule ({_description}) gives {rate} at progress {progress}; a rate must be finite and not negative.");
        }

        return rate;
    }

    /// <summary>The rate of optimizer step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>: the value at progress <c>step / totalSteps</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="totalSteps"/> is not positive, or <paramref name="step"/> is not in [0, totalSteps).</exception>
    public double AtStep(long step, long totalSteps)
    {
        if (totalSteps <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"The number of steps must be positive; it is {totalSteps}.");
        }

        if (step < 0 || step >= totalSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, $"The step index must be in [0, {totalSteps}); it is {step}.");
        }

        return At(step / (double)totalSteps);
    }

    /// <summary>
    /// Sets the learning rate of every parameter group of <paramref name="optimizer"/> to the rate of step
    /// <paramref name="step"/> of <paramref name="totalSteps"/>. Call it before <c>optimizer.step()</c>.
    /// </summary>
    /// <returns>The rate set.</returns>
    public double Apply(torch.optim.Optimizer optimizer, long step, long totalSteps)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var rate = AtStep(step, totalSteps);
        foreach (var group in optimizer.ParamGroups) group.LearningRate = rate;
        return rate;
    }

    /// <inheritdoc/>
    public override string ToString() => _description;

    private static void CheckRate(double rate, string name)
    {
        if (!(rate > 0.0 && double.IsFinite(rate)))
        {
            throw new ArgumentOutOfRangeException(name, rate, $"A learning rate must be finite and positive; it is {rate}.");
        }
    }

    /// <summary>Cosine annealing from <paramref name="from"/> at 0 to <paramref name="to"/> at 1.</summary>
    private static double Anneal(double from, double to, double x) => to + ((from - to) * (1.0 + Math.Cos(Math.PI * x)) / 2.0);

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
