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

    /// <summary>
    /// Under <see cref="PruningScope.Global"/>: the class-level declaration, whose sparsity the layers are ranked
    /// towards and whose schedule a <see cref="Training.Sparsifier"/> follows for the whole model. Null under local scope
    /// (the default for implementations written by hand).
    /// </summary>
    PruneSettings? GlobalSettings => null;

    /// <summary>
    /// Computes every pruned layer's mask and stores it with the layer (buffer <c>weight_mask</c>): each at its declared
    /// sparsity, or all ranked together under global scope. The generated implementation runs <see cref="MaskPass.ComputeMasks(IPrunableModule)"/>.
    /// </summary>
    void ComputeMasks();

    /// <summary>Multiplies every pruned layer's weight by its mask, so pruned weights are exactly zero.</summary>
    void ApplyMasks();

    /// <summary>Reports the declared and measured sparsity of every pruned layer.</summary>
    PruningReport GetSparsityReport();
}
