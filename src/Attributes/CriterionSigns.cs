namespace PruneSharp;

/// <summary>
/// Which criteria can give a weight a negative score: those LAMP (<see cref="GlobalScoreNormalization.Lamp"/>) cannot
/// normalize. The generator (PRUNE046) and the runtime's checks both ask this file, which the generator compiles too,
/// so they cannot disagree.
/// </summary>
internal static class CriterionSigns
{
    /// <summary>
    /// Whether <paramref name="criterion"/> can score a weight below zero: the negated magnitudes (<c>−|w|</c>,
    /// <c>−|w0|</c>, <c>−max(|w0|, |w|)</c>) and the growths (<c>|w| − |w0|</c>, <c>|w| − |wp|</c>). Every other
    /// criterion is a magnitude, a square, a product of magnitudes or a uniform draw in [0, 1), never negative; the
    /// group reducers (mean, sum) keep that.
    /// </summary>
    public static bool CanScoreNegative(Criterion criterion) => criterion switch
    {
        Criterion.SmallFinal or Criterion.SmallInit or Criterion.SmallInitSmallFinal => true,
        Criterion.MagnitudeIncrease or Criterion.UpdatingMagnitudeIncrease => true,
        _ => false,
    };
}
