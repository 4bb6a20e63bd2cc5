namespace PruneSharp;

/// <summary>
/// How each weight is scored before the scores are reduced over a granularity's dims (fasterai's criteria).
/// Higher scores are kept. <c>w</c> is the current weight, <c>w0</c> the weight when pruning started (the first mask
/// update, or an explicit capture), <c>wp</c> the weight at the previous mask update.
/// </summary>
/// <remarks>
/// Element scores are computed in float32, then reduced in float64 (see <see cref="Reducer"/>). Weights that an
/// existing mask already removed score lowest, so masks only grow while the target sparsity grows.
/// </remarks>
public enum Criterion
{
    /// <summary><c>|w|</c>: keep the largest weights. The default.</summary>
    LargeFinal,

    /// <summary><c>−|w|</c>: keep the smallest weights.</summary>
    SmallFinal,

    /// <summary><c>w²</c>.</summary>
    SquaredFinal,

    /// <summary><c>|w0|</c>: keep the weights that were largest when pruning started.</summary>
    LargeInit,

    /// <summary><c>−|w0|</c>.</summary>
    SmallInit,

    /// <summary><c>min(|w0|, |w|)</c>: keep weights large both at the start and now.</summary>
    LargeInitLargeFinal,

    /// <summary><c>−max(|w0|, |w|)</c>: keep weights small both at the start and now.</summary>
    SmallInitSmallFinal,

    /// <summary><c>|w| − |w0|</c>: keep the weights that grew most.</summary>
    MagnitudeIncrease,

    /// <summary><c>|w − w0|</c>: keep the weights that moved most.</summary>
    Movement,

    /// <summary><c>|w| − |wp|</c>: growth since the previous mask update.</summary>
    UpdatingMagnitudeIncrease,

    /// <summary><c>|w − wp|</c>: movement since the previous mask update.</summary>
    UpdatingMovement,

    /// <summary><c>|w · (w − w0)|</c>: movement weighted by magnitude.</summary>
    MovementMagnitude,

    /// <summary><c>|w · (w − wp)|</c>: movement since the previous mask update, weighted by magnitude.</summary>
    UpdatingMovementMagnitude,

    /// <summary>Uniform random scores from a seeded generator: the same seed, layer and update give the same mask.</summary>
    Random,

    /// <summary><c>(w · ∂L/∂w)²</c>: first-order Taylor estimate of the loss change; needs the weight's gradient.</summary>
    Taylor,

    /// <summary>
    /// Wanda: <c>|w| · ‖x_in‖₂</c>, the magnitude times the L2 norm of the weight's input channel over calibration
    /// batches; needs activations recorded first.
    /// </summary>
    Wanda,
}
