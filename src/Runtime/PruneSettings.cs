using System;
using System.Collections.Generic;

namespace PruneSharp;

/// <summary>
/// How one layer is pruned: the run-time form of a <see cref="PruneAttribute"/>. The generator emits one per pruned
/// layer; code that builds pruned layers by hand creates them directly.
/// </summary>
/// <remarks>Validation happens when a <see cref="PrunedLayer"/> is created, where the layer kind is known.</remarks>
public sealed record PruneSettings
{
    /// <summary>Settings for <paramref name="granularity"/> at <paramref name="sparsity"/>, with every other setting at its default.</summary>
    public PruneSettings(Granularity granularity, double sparsity)
    {
        Granularity = granularity;
        Sparsity = sparsity;
    }

    /// <summary>N:M semi-structured settings: keep <paramref name="n"/> of every <paramref name="m"/> consecutive input weights.</summary>
    public static PruneSettings NOfM(int n, int m) =>
        new(Granularity.NOfM, m > 0 ? (m - n) / (double)m : double.NaN) { N = n, M = m };

    /// <summary>The blocks of the weight that are scored and removed together.</summary>
    public Granularity Granularity { get; }

    /// <summary>The target fraction of groups to remove, in [0, 1].</summary>
    public double Sparsity { get; }

    /// <summary>For <see cref="Granularity.NOfM"/>: the weights kept in each run.</summary>
    public int N { get; private init; }

    /// <summary>For <see cref="Granularity.NOfM"/>: the run length.</summary>
    public int M { get; private init; }

    /// <summary>How each weight is scored.</summary>
    public Criterion Criterion { get; init; }

    /// <summary>How element scores become a group score.</summary>
    public Reducer Reducer { get; init; }

    /// <summary>When above 1, kept group counts are rounded to a multiple of it (see <see cref="PruneAttribute.RoundTo"/>).</summary>
    public int RoundTo { get; init; }

    /// <summary>For <see cref="Granularity.Custom"/>: the reduced dims, with the leading dummy dim 0.</summary>
    public IReadOnlyList<int>? Dims { get; init; }

    /// <summary>How the sparsity grows over training.</summary>
    public Schedule Schedule { get; init; }

    /// <summary>The fraction of training at which the schedule starts.</summary>
    public double ScheduleStart { get; init; }

    /// <summary>The fraction of training at which the schedule reaches <see cref="Sparsity"/>.</summary>
    public double ScheduleEnd { get; init; } = 1.0;

    /// <summary>For <see cref="Schedule.Iterative"/>: the number of equal steps.</summary>
    public int ScheduleSteps { get; init; } = 3;

    /// <summary>For <see cref="Criterion.Random"/>: the seed.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// On the model-wide declaration of <see cref="PruningScope.Global"/> (<see cref="IPrunableModule.GlobalSettings"/>):
    /// how each layer's group scores are normalized before the one ranking (<see cref="PruneAttribute.Normalization"/>).
    /// A layer's own settings do not use it.
    /// </summary>
    public GlobalScoreNormalization Normalization { get; init; }
}
