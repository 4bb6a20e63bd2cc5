using System.Collections.Generic;

namespace PruneSharp;

/// <summary>What one pruned layer declares and what its mask measures.</summary>
/// <param name="Name">The layer's name (<see cref="PrunedLayer.Name"/>): its dotted path in the model, <c>layer1.0.conv1</c>.</param>
/// <param name="Kind">The layer's kind.</param>
/// <param name="Shape">The weight's shape.</param>
/// <param name="Granularity">The granularity the layer is pruned at.</param>
/// <param name="TargetSparsity">The sparsity the last mask was computed for (the declared one before any mask).</param>
/// <param name="Groups">How many groups the granularity splits the weight into (a grouped transposed convolution's output channels count across its groups).</param>
/// <param name="PrunedGroups">How many groups the current mask zeroes entirely, counted from the mask (0 before any mask).</param>
/// <param name="MeasuredSparsity">The fraction of the weight's elements the current mask sets to zero.</param>
public sealed record LayerSparsity(
    string Name,
    LayerKind Kind,
    IReadOnlyList<long> Shape,
    Granularity Granularity,
    double TargetSparsity,
    long Groups,
    long PrunedGroups,
    double MeasuredSparsity);

/// <summary>The sparsity of every pruned layer of a model.</summary>
/// <param name="Layers">One entry per pruned layer, in declaration order.</param>
/// <param name="TotalWeights">The number of weight elements of the pruned layers.</param>
/// <param name="MaskedWeights">How many of them the masks set to zero.</param>
public sealed record PruningReport(IReadOnlyList<LayerSparsity> Layers, long TotalWeights, long MaskedWeights)
{
    /// <summary>The fraction of the pruned layers' weight elements the masks set to zero.</summary>
    public double OverallSparsity => TotalWeights == 0 ? 0.0 : (double)MaskedWeights / TotalWeights;
}
