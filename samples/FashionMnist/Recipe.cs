using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace PruneSharp.Samples.FashionMnist;

/// <summary>How the per-layer sparsities of a run are chosen.</summary>
internal enum Allocation
{
    /// <summary>Every pruned layer at the target.</summary>
    Uniform,

    /// <summary>LAMP's global ranking (<c>Lamp.Allocate</c>) on the dense weights.</summary>
    Lamp,

    /// <summary>A sensitivity scan on validation images (<c>SensitivityScan</c>, <c>SensitivityResult.Allocate</c>).</summary>
    Sensitivity,
}

/// <summary>The learning rate of the recovery (pruning) phase.</summary>
internal enum RecoveryRate
{
    /// <summary>A constant rate, <see cref="Recipe.LearningRate"/>.</summary>
    Constant,

    /// <summary>Learning-rate rewinding: the dense training's schedule replayed from <see cref="Recipe.RewindPoint"/>.</summary>
    Rewind,

    /// <summary>One cycle peaking at <see cref="Recipe.LearningRate"/>.</summary>
    OneCycle,
}

/// <summary>The model that teaches a recipe with distillation.</summary>
internal enum Teacher
{
    /// <summary>The dense model every run starts from.</summary>
    Dense,

    /// <summary>The dense model fine-tuned like the recipe's runs (its baseline).</summary>
    Baseline,
}

/// <summary>A pruning recipe: everything a pruning run does besides the granularity and the target.</summary>
/// <param name="Name">The name printed in the tables.</param>
/// <param name="Epochs">The fine-tuning epochs of each run (and of the dense baseline it is compared with).</param>
/// <param name="Rate">The recovery learning-rate schedule.</param>
/// <param name="LearningRate">The constant rate, or the one-cycle peak.</param>
/// <param name="RewindPoint">For <see cref="RecoveryRate.Rewind"/>: where in the dense training's schedule the recovery starts.</param>
/// <param name="ScheduleEnd">The fraction of the run at which AGP reaches the target.</param>
/// <param name="DistillationWeight">The soft-target weight α of knowledge distillation from the dense model; 0 for none.</param>
/// <param name="Temperature">The distillation temperature.</param>
/// <param name="Teacher">The distillation teacher.</param>
/// <param name="Allocation">How per-layer sparsities are chosen.</param>
/// <param name="LassoStrength">The group-lasso strength; 0 for none.</param>
internal sealed record Recipe(
    string Name,
    int Epochs,
    RecoveryRate Rate,
    double LearningRate,
    double RewindPoint,
    double ScheduleEnd,
    double DistillationWeight,
    double Temperature,
    Teacher Teacher,
    Allocation Allocation,
    double LassoStrength)
{
    /// <summary>Plain gradual magnitude pruning: AGP to 70 % of the run, a constant small rate, labels only, every layer at the target.</summary>
    public static Recipe Plain(int epochs) => new("plain", epochs, RecoveryRate.Constant, 5e-4, 0.0, 0.7, 0.0, 1.0, Teacher.Dense, Allocation.Uniform, 0.0);

    /// <summary>
    /// The sample's default improved recipe: one cycle to 5e-3, distillation (α 0.5, T 4) from the dense model
    /// fine-tuned the same way, LAMP's per-layer sparsities, AGP to half of the run. docs/training.md has the
    /// measurements behind each choice.
    /// </summary>
    public static Recipe Improved(int epochs) => new("improved", epochs, RecoveryRate.OneCycle, 5e-3, 0.0, 0.5, 0.5, 4.0, Teacher.Baseline, Allocation.Lamp, 0.0);

    /// <summary>Applies <c>key=value</c> overrides separated by commas (for experiments: <c>--recipe epochs=3,kd=0.9,alloc=sensitivity</c>).</summary>
    public Recipe With(string overrides)
    {
        var recipe = this;
        foreach (var pair in overrides.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2) throw new FormatException($"Recipe override '{pair}' is not key=value.");
            var (key, value) = (parts[0].ToLowerInvariant(), parts[1]);
            recipe = key switch
            {
                "name" => recipe with { Name = value },
                "epochs" => recipe with { Epochs = int.Parse(value, CultureInfo.InvariantCulture) },
                "rate" => recipe with { Rate = Enum.Parse<RecoveryRate>(value, ignoreCase: true) },
                "lr" => recipe with { LearningRate = Number(value) },
                "rewind" => recipe with { RewindPoint = Number(value) },
                "end" => recipe with { ScheduleEnd = Number(value) },
                "kd" => recipe with { DistillationWeight = Number(value) },
                "t" => recipe with { Temperature = Number(value) },
                "teacher" => recipe with { Teacher = Enum.Parse<Teacher>(value, ignoreCase: true) },
                "alloc" => recipe with { Allocation = Enum.Parse<Allocation>(value, ignoreCase: true) },
                "lasso" => recipe with { LassoStrength = Number(value) },
                _ => throw new FormatException($"Unknown recipe key '{key}'; the keys are {string.Join(", ", Keys)}."),
            };
        }

        return recipe;
    }

    /// <summary>The keys <see cref="With"/> understands.</summary>
    public static IReadOnlyList<string> Keys { get; } = ["name", "epochs", "rate", "lr", "rewind", "end", "kd", "t", "teacher", "alloc", "lasso"];

    /// <inheritdoc/>
    public override string ToString()
    {
        var rate = Rate switch
        {
            RecoveryRate.Constant => FormattableString.Invariant($"constant lr {LearningRate}"),
            RecoveryRate.Rewind => FormattableString.Invariant($"lr rewound to {RewindPoint} of the dense schedule"),
            _ => FormattableString.Invariant($"one-cycle lr to {LearningRate}"),
        };
        var parts = new List<string> { FormattableString.Invariant($"{Epochs} epochs"), rate, FormattableString.Invariant($"AGP to {ScheduleEnd:0.##} of the run"), $"{Allocation.ToString().ToLowerInvariant()} allocation" };
        if (DistillationWeight > 0) parts.Add(FormattableString.Invariant($"distillation from the {(Teacher == Teacher.Dense ? "dense" : "fine-tuned dense")} model, α {DistillationWeight}, T {Temperature}"));
        if (LassoStrength > 0) parts.Add(FormattableString.Invariant($"group lasso {LassoStrength}"));
        return string.Join(", ", parts);
    }

    private static double Number(string value) => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
}
