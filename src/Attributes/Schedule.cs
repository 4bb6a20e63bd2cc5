namespace PruneSharp;

/// <summary>
/// How the sparsity grows from 0 to its target over training, as a function of training progress in [0, 1]
/// between <see cref="PruneAttribute.ScheduleStart"/> and <see cref="PruneAttribute.ScheduleEnd"/>.
/// </summary>
public enum Schedule
{
    /// <summary>The full sparsity at the start point.</summary>
    OneShot,

    /// <summary>A staircase of <see cref="PruneAttribute.ScheduleSteps"/> equal steps.</summary>
    Iterative,

    /// <summary>Automated gradual pruning (Zhu &amp; Gupta, 2017): <c>s · (1 − (1 − t)³)</c>.</summary>
    Agp,

    /// <summary>A logistic ramp, slow at both ends (fasterai's one-cycle schedule).</summary>
    OneCycle,

    /// <summary>A half-cosine ramp.</summary>
    Cosine,

    /// <summary>A straight line.</summary>
    Linear,

    /// <summary>Dense, then sparse, then dense again (Han et al., 2017): the sparsity is held in the middle of the window and released at its end.</summary>
    DenseSparseDense,
}
