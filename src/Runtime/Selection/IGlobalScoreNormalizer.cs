using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// A per-layer transformation of group scores before a global ranking, so that layers of different scales compete
/// fairly (LAMP, for instance, divides each squared magnitude by the sum of those ranked at or above it in its layer).
/// The ranking then compares the transformed values as they are: lowest pruned first, ties by layer, then flat index.
/// </summary>
/// <remarks>
/// Both members must give the same values for the same scores (they are two backends of one rule), keep
/// <c>-Inf</c> (groups the existing mask pruned) at <c>-Inf</c>, and make no NaN.
/// </remarks>
internal interface IGlobalScoreNormalizer
{
    /// <summary>Transforms one layer's group scores in place (CPU fast path), in flat group order.</summary>
    void Normalize(PrunedLayer layer, System.Span<double> scores);

    /// <summary>Returns one layer's transformed flat float64 group scores (torch path), a new tensor on their device.</summary>
    Tensor Normalize(PrunedLayer layer, Tensor scores);
}
