using System.Collections.Generic;

namespace PruneSharp;

/// <summary>
/// A TorchSharp module whose layers are pruned as its <see cref="PruneAttribute"/>s declare.
/// PruneSharp's generator implements it on every valid <c>partial</c> module class that uses the attribute.
/// </summary>
public interface IPrunableModule
{
    /// <summary>The pruned layers, in declaration order.</summary>
    IReadOnlyList<PrunedLayer> PrunedLayers { get; }

    /// <summary>
    /// Whether the layers are pruned each to its own sparsity (<see cref="PruningScope.Local"/>) or ranked together
    /// (<see cref="PruningScope.Global"/>), as the class-level attribute declares.
    /// </summary>
    PruningScope PruningScope { get; }

    /// <summary>Computes every pruned layer's mask at its declared sparsity and stores it with the layer (buffer <c>weight_mask</c>).</summary>
    void ComputeMasks();

    /// <summary>Multiplies every pruned layer's weight by its mask, so pruned weights are exactly zero.</summary>
    void ApplyMasks();

    /// <summary>Reports the declared and measured sparsity of every pruned layer.</summary>
    PruningReport GetSparsityReport();
}
