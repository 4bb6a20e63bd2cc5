using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <content>Reports: what a layer declares and what its mask measures.</content>
public abstract partial class PrunedLayer
{
    /// <summary>Reports the declaration and the current mask's sparsity.</summary>
    /// <exception cref="PruningException">The weight is disposed or has no values (meta device).</exception>
    public LayerSparsity Report()
    {
        lock (State.Lock)
        {
            var weight = LayerCheck.LiveWeight(this);
            var mask = State.FindMask(Layer, weight);
            var convolutionGroups = LayerGeometry.ConvolutionGroups(Layer);

            // N:M's groups are the elements; the other granularities' are counted on the view the mask is computed on.
            long[]? viewSizes = null;
            ReducedDims viewDims = default;
            long groups;
            if (Granularity == Granularity.NOfM)
            {
                groups = weight.numel();
            }
            else
            {
                var (viewShape, dims) = LayerGeometry.View(Name, Kind, ReducedDims, LayerGeometry.IntShape(weight), convolutionGroups);
                viewSizes = LayerGeometry.LongShape(viewShape);
                viewDims = dims;
                groups = GroupCounts.Count(Kind, ReducedDims, weight.shape, convolutionGroups);
            }

            double measured = 0;
            long pruned = 0;
            if (mask is { IsInvalid: false } && LayerGeometry.SameShape(mask, weight))
            {
                // Counted from the mask itself, so that a mask loaded from a checkpoint, or written by other code, is
                // reported as it is.
                using var scope = NewDisposeScope();
                using var zero = 0f.ToScalar();
                var zeros = mask.eq(zero).sum().item<long>();
                measured = zeros / (double)mask.numel();
                pruned = viewSizes is null ? zeros : CountPrunedGroups(mask, viewSizes, viewDims, zero);
            }

            return new LayerSparsity(Name, Kind, weight.shape, Granularity, State.LastSparsity, groups, pruned, measured);
        }
    }

    /// <summary>Builds a model-level report from its layers' reports.</summary>
    public static PruningReport Report(IReadOnlyList<PrunedLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var reports = new LayerSparsity[layers.Count];
        long total = 0;
        double masked = 0;
        for (var index = 0; index < reports.Length; index++)
        {
            var report = reports[index] = layers[index].Report();
            var elements = 1L;
            foreach (var size in report.Shape) elements *= size;
            total += elements;
            masked += report.MeasuredSparsity * elements;
        }

        return new PruningReport(reports, total, (long)Math.Round(masked));
    }

    /// <summary>The groups of <paramref name="dims"/> (on the mask viewed as <paramref name="viewSizes"/>) whose every element the mask zeroes.</summary>
    private static long CountPrunedGroups(Tensor mask, long[] viewSizes, ReducedDims dims, Scalar zero) =>
        LayerGeometry.GroupKeep(mask, viewSizes, dims).eq(zero).sum().item<long>();
}
