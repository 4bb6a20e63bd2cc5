using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>How <see cref="TorchMaskEngine.ComputeMasks(IReadOnlyList{MaskRequest}, BatchSelection)"/> picks the groups to prune.</summary>
/// <remarks>Every method gives the same masks; they differ only in speed, which depends on the device.</remarks>
public enum BatchSelection
{
    /// <summary><see cref="Threshold"/> on the CPU, <see cref="Sort"/> on every other device.</summary>
    Auto,

    /// <summary>
    /// One stable sort of every layer's group scores together, then a stable sort of the result by layer: a few
    /// launches for the whole batch, whatever the number of layers. Fast where sorting is (CUDA's radix sort).
    /// </summary>
    Sort,

    /// <summary>
    /// A <c>kthvalue</c> threshold per layer, then the ties at each threshold resolved by flat index for the whole batch
    /// at once. Selection in linear time: on the CPU it beats sorting millions of scores.
    /// </summary>
    Threshold,
}

/// <summary>One layer of a batched mask computation: its weight, the dims its granularity reduces over, and its sparsity.</summary>
/// <param name="LayerName">The layer's name; every error names it.</param>
/// <param name="Weight">The layer's weight, on the batch's device, of any floating-point dtype.</param>
/// <param name="Dims">The dims scores are reduced over, with the leading dummy dim 0 (as <see cref="Granularities.TryGetReducedDims"/> gives them).</param>
/// <param name="Sparsity">The fraction of the layer's groups to prune, in [0, 1].</param>
public sealed record MaskRequest(string LayerName, Tensor Weight, ReducedDims Dims, double Sparsity);

/// <content>The batched path: the masks of many layers with one selection and one synchronization for the whole batch.</content>
public static partial class TorchMaskEngine
{
    /// <summary>
    /// Computes the magnitude mask of every layer in <paramref name="layers"/>, each on its own (local scope, each
    /// layer at its own sparsity): the same masks as <see cref="ComputeMask(Tensor, ReducedDims, double, string)"/>
    /// gives layer by layer, but with one selection for the whole batch (with <see cref="BatchSelection.Sort"/>, a fixed
    /// number of launches whatever the number of layers) and one device synchronization instead of one per layer.
    /// Returns one new mask per layer, of its weight's shape, dtype and device; the caller owns (disposes) them.
    /// </summary>
    /// <remarks>
    /// Each layer's group scores are computed with the operations <see cref="ComputeMask(Tensor, ReducedDims, double, string)"/>
    /// uses, so they are the same float64 values; the selection is then a function of the scores alone (lowest first,
    /// equal scores lower flat index first), so the masks are identical whatever the method. Every layer's shape,
    /// dims and sparsity are checked before anything is computed; NaN weights are found after scoring, with one
    /// device synchronization for the whole batch.
    /// </remarks>
    /// <exception cref="ArgumentException">The layers are not all on one device.</exception>
    /// <exception cref="PruningException">A layer's weight is empty or not floating point, its dims do not fit, a
    /// weight is NaN, or its sparsity would prune every group. When several layers are bad, the first one found is
    /// reported: the checks of shapes and sparsities come before the search for NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A sparsity is not in [0, 1].</exception>
    public static Tensor[] ComputeMasks(IReadOnlyList<MaskRequest> layers, BatchSelection selection = BatchSelection.Auto)
    {
        var batch = Prepare(layers, masks: null);
        var result = new Tensor[layers.Count];
        if (layers.Count == 0) return result;
        using var scope = NewDisposeScope();
        var keep = batch.SelectKept(selection);
        for (var index = 0; index < layers.Count; index++)
        {
            var weight = layers[index].Weight;
            result[index] = TorchSelection.Expand(batch.Keep(keep, index), batch.GroupShapes[index], weight.shape, weight.dtype).MoveToOuterDisposeScope();
        }

        return result;
    }

    /// <summary>
    /// As <see cref="ComputeMasks(IReadOnlyList{MaskRequest}, BatchSelection)"/>, writing each layer's mask into
    /// <paramref name="masks"/> (for example the layers' existing mask buffers) instead of allocating new ones.
    /// </summary>
    /// <exception cref="ArgumentException">The layers are not all on one device, <paramref name="masks"/> has another
    /// count, or a mask's shape or device is not its weight's.</exception>
    /// <exception cref="PruningException">As for <see cref="ComputeMasks(IReadOnlyList{MaskRequest}, BatchSelection)"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A sparsity is not in [0, 1].</exception>
    public static void ComputeMasksInto(IReadOnlyList<MaskRequest> layers, IReadOnlyList<Tensor> masks, BatchSelection selection = BatchSelection.Auto)
    {
        ArgumentNullException.ThrowIfNull(masks);
        var batch = Prepare(layers, masks);
        if (layers.Count == 0) return;
        using var scope = NewDisposeScope();
        var keep = batch.SelectKept(selection);
        using (no_grad())
        {
            for (var index = 0; index < layers.Count; index++)
            {
                var mask = masks[index];
                var expandedShape = new long[mask.dim() + 1];
                expandedShape[0] = 1;
                Array.Copy(mask.shape, 0, expandedShape, 1, expandedShape.Length - 1);
                mask.copy_(batch.Keep(keep, index).reshape(batch.GroupShapes[index]).expand(expandedShape).squeeze(0));
            }
        }
    }

    /// <summary>The method <see cref="BatchSelection.Auto"/> stands for on <paramref name="device"/>.</summary>
    public static BatchSelection ResolveSelection(BatchSelection selection, Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return selection switch
        {
            BatchSelection.Auto => device.type == DeviceType.CPU ? BatchSelection.Threshold : BatchSelection.Sort,
            BatchSelection.Sort or BatchSelection.Threshold => selection,
            _ => throw new ArgumentOutOfRangeException(nameof(selection), selection, $"Unknown selection method {selection}."),
        };
    }

    /// <summary>
    /// The batched form of <see cref="KeepAllButLowest(Tensor, long)"/>: for each layer's flat group scores (all on one
    /// device, any values but NaN, <c>-Inf</c> included), 1 for each kept group and 0 for the <paramref name="pruned"/>
    /// lowest (ties: lower flat index first). The keeps are float32 views into one tensor, in the caller's dispose scope.
    /// </summary>
    internal static Tensor[] KeepAllButLowest(IReadOnlyList<Tensor> flatScores, IReadOnlyList<long> pruned, BatchSelection selection)
    {
        var segments = Segments.Of(flatScores, pruned.ToArray());
        if (segments.Count == 0) return [];
        var keep = TorchSelection.KeepAllButLowest(segments, segments.Count == 1 ? flatScores[0] : cat([.. flatScores], 0), selection);
        return Enumerable.Range(0, segments.Count).Select(index => segments.Slice(keep, index)).ToArray();
    }

    /// <summary>Checks every layer, then computes its group count and the count to prune.</summary>
    private static Batch Prepare(IReadOnlyList<MaskRequest> layers, IReadOnlyList<Tensor>? masks)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (masks is not null && masks.Count != layers.Count)
        {
            throw new ArgumentException($"There are {layers.Count} layers but {masks.Count} masks to write.", nameof(masks));
        }

        var groups = new long[layers.Count];
        var pruned = new long[layers.Count];
        Device? device = null;
        for (var index = 0; index < layers.Count; index++)
        {
            var layer = layers[index] ?? throw new ArgumentException($"Layer {index} of the batch is null.", nameof(layers));
            CheckWeight(layer.Weight, layer.Dims, layer.LayerName);
            var weight = layer.Weight;
            if (device is null)
            {
                device = weight.device;
            }
            else if (weight.device_type != device.type || weight.device_index != device.index)
            {
                throw new ArgumentException($"Layer '{layer.LayerName}' has its weight on {weight.device}, but the batch's first layer is on {device}: a batch runs on one device.", nameof(layers));
            }

            if (masks is not null)
            {
                var mask = masks[index] ?? throw new ArgumentException($"The mask for layer '{layer.LayerName}' is null.", nameof(masks));
                if (!SameShape(mask.shape, weight.shape) || mask.device_type != weight.device_type || mask.device_index != weight.device_index)
                {
                    throw new ArgumentException($"Layer '{layer.LayerName}': the mask has shape {MaskPlan.FormatShape(mask.shape)} on {mask.device}, but the weight has shape {MaskPlan.FormatShape(weight.shape)} on {weight.device}.", nameof(masks));
                }
            }

            groups[index] = MaskPlan.CountGroups(weight.shape, layer.Dims);
            pruned[index] = MaskPlan.PrunedGroupCount(layer.LayerName, layer.Sparsity, groups[index], layer.Dims);
        }

        return new Batch(layers, new Segments(groups, pruned, device ?? CPU));
    }

    private static bool SameShape(long[] a, long[] b)
    {
        if (a.Length != b.Length) return false;
        for (var axis = 0; axis < a.Length; axis++)
        {
            if (a[axis] != b[axis]) return false;
        }

        return true;
    }

    /// <summary>A checked batch of layers and their segments of the concatenated group scores.</summary>
    private sealed class Batch(IReadOnlyList<MaskRequest> layers, Segments segments)
    {
        public Segments Segments => segments;

        /// <summary>Each layer's group-score shape (leading dummy dim, size 1 on reduced dims), set by <see cref="Score"/>.</summary>
        public long[][] GroupShapes { get; } = new long[layers.Count][];

        /// <summary>
        /// Every layer's float64 group scores, flat and one layer after another, computed by the operations of the
        /// one-layer path (so bit for bit its scores). Throws for a NaN weight, naming the first layer that has one.
        /// </summary>
        public Tensor Score()
        {
            var flat = new Tensor[layers.Count];
            var values = new Tensor[layers.Count];
            for (var index = 0; index < layers.Count; index++)
            {
                var layer = layers[index];
                values[index] = layer.Weight.detach().to(ScalarType.Float32);
                var scores = TorchScoring.GroupScores(values[index], magnitudes: true, Reducer.Mean, existingMask: null, layer.Dims);
                GroupShapes[index] = scores.shape;
                flat[index] = scores.flatten();
            }

            var all = layers.Count == 1 ? flat[0] : cat(flat, 0);
            using var anyNaN = all.isnan().any();
            if (anyNaN.item<bool>())
            {
                // The error path: find the first layer with a NaN, as the one-layer path would report it.
                for (var index = 0; index < layers.Count; index++)
                {
                    var layer = layers[index];
                    TorchScoring.ThrowIfNaN(flat[index], () => MaskPlan.NaNWeightMessage(TorchScoring.FirstNaN(values[index]), IntShape(layer.Weight)), layer.LayerName);
                }
            }

            return all;
        }

        /// <summary>1 for each kept group and 0 for each pruned one, every layer's groups after the previous layer's.</summary>
        public Tensor SelectKept(BatchSelection selection) => TorchSelection.KeepAllButLowest(segments, Score(), selection);

        /// <summary>Layer <paramref name="index"/>'s slice of a flat per-group tensor.</summary>
        public Tensor Keep(Tensor keep, int index) => segments.Slice(keep, index);
    }
}
