using static TorchSharp.torch;

namespace PruneSharp.Benchmarks;

/// <summary>
/// The naive TorchSharp op chain for one layer's mask, as a user writes it without PruneSharp (and as
/// <c>benchmarks/pytorch/resnet_masks.py</c> does in PyTorch): abs → mean over the granularity's dims → float64 →
/// groups the held mask prunes set to -inf → kthvalue → compare → expand; for 2:4, abs → runs of 4 along the input
/// channels → the 2 smallest of each run (held zeros first) → zeros scattered into ones. Every temporary is disposed.
/// </summary>
public static class NaiveTorchMasks
{
    /// <summary>Computes the mask of <paramref name="layer"/> at <paramref name="sparsity"/>, using its held mask when <paramref name="withHeld"/>.</summary>
    public static void Compute(PrunedLayer layer, double sparsity, bool withHeld)
    {
        using var scope = NewDisposeScope();
        var weight = layer.Weight.detach();
        var held = withHeld ? layer.Mask : null;
        if (layer.Granularity == Granularity.NOfM)
        {
            var runs = weight.abs().movedim([1], [-1]).reshape(-1, 4);
            if (held is not null) runs = runs.masked_fill(held.movedim([1], [-1]).reshape(-1, 4).eq(0), float.NegativeInfinity);
            var smallest = runs.topk(2, dim: 1, largest: false).indexes;
            _ = ones_like(runs).scatter_(1, smallest, zeros_like(smallest, dtype: ScalarType.Float32)).movedim([-1], [1]);
            return;
        }

        var axes = Enumerable.Range(1, (int)weight.dim()).Where(layer.ReducedDims.Contains).Select(axis => (long)axis).ToArray();
        var scores = weight.abs().unsqueeze(0);
        if (axes.Length > 0) scores = scores.mean(axes, keepdim: true);
        scores = scores.to(ScalarType.Float64);
        if (held is not null)
        {
            var heldGroups = held.unsqueeze(0);
            if (axes.Length > 0) heldGroups = heldGroups.amin(axes, keepdim: true);
            scores = scores.masked_fill(heldGroups.eq(0), double.NegativeInfinity);
        }

        var flat = scores.flatten();
        var k = Math.Max(1, (int)Math.Round(sparsity * flat.numel(), MidpointRounding.ToEven));
        var threshold = flat.kthvalue(k, 0).values;
        _ = scores.gt(threshold).expand([1, .. weight.shape]).squeeze(0).to(ScalarType.Float32);
    }
}
