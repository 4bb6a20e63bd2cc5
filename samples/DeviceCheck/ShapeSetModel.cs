using System.Collections.Generic;
using PruneSharp;

namespace PruneSharp.DeviceCheck;

/// <summary>
/// A model over a shape set's layers whose <see cref="ComputeMasks"/> runs the model-level pass
/// (<see cref="MaskPass.ComputeMasks(IPrunableModule)"/>), as a <c>[Prune]</c> model's generated one does: on the CPU
/// fast path layer by layer, on a device with one NaN check and one batched selection for all the layers. The shape set
/// is built at run time, so this is written by hand rather than generated.
/// </summary>
internal sealed class ShapeSetModel(IReadOnlyList<PrunedLayer> layers) : IPrunableModule
{
    public IReadOnlyList<PrunedLayer> PrunedLayers => layers;

    public PruningScope PruningScope => PruningScope.Local;

    public void ComputeMasks() => MaskPass.ComputeMasks(this);

    public void ApplyMasks()
    {
        foreach (var layer in layers) layer.ApplyMask();
    }

    public PruningReport GetSparsityReport() => PrunedLayer.Report(layers);
}
