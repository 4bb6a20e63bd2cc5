namespace PruneSharp;

/// <summary>
/// How each layer's group scores are transformed before the one ranking of <see cref="PruningScope.Global"/>, so that
/// layers of different sizes and scales compete fairly. Set on the class-level <see cref="PruneAttribute"/> that
/// declares global scope (<see cref="PruneAttribute.Normalization"/>), on <c>PruneSettings.Normalization</c>, or with
/// the imperative entry's <c>Global(sparsity, normalization)</c>.
/// </summary>
public enum GlobalScoreNormalization
{
    /// <summary>The scores are ranked as the criterion gives them: plain global magnitude pruning. The default.</summary>
    None,

    /// <summary>
    /// LAMP (Lee et al., ICLR 2021): each group's score <c>s</c> becomes <c>s² / Σ s'²</c> over the groups of its layer
    /// that score at least as high, so every layer's best group scores 1 and a small layer is not emptied before a large
    /// one. Defined for scores that are magnitudes, never negative: a criterion that can score below zero is rejected
    /// (PRUNE046).
    /// </summary>
    Lamp,
}
