using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// What a layer's kind and module say about its weight: the shape the mask is computed on (the grouped-transposed
/// view), whether a granularity's groups are whole output units, and which input channel each weight reads.
/// </summary>
internal static class LayerGeometry
{
    /// <summary>The convolution groups of <paramref name="module"/> (1 for a <c>Linear</c>).</summary>
    public static long ConvolutionGroups(nn.Module module) => module is Convolution convolution ? convolution.groups : 1;

    /// <summary>
    /// The shape and dims the mask is computed on. A transposed convolution with groups stores [in, out/groups, k...],
    /// where an output channel is (group, index in group): viewed as [groups, in/groups, out/groups, k...] with the
    /// group axis kept (<see cref="GroupCounts.KeepsGroupAxis"/>), its granularities keep their meaning.
    /// </summary>
    /// <exception cref="PruningException">The input channels do not split into the convolution's groups.</exception>
    public static (int[] Shape, ReducedDims Dims) View(string layerName, LayerKind kind, ReducedDims dims, ReadOnlySpan<int> shape, long convolutionGroups)
    {
        if (!GroupCounts.KeepsGroupAxis(kind, dims, convolutionGroups)) return (shape.ToArray(), dims);
        var groups = (int)convolutionGroups;
        if (shape[0] % groups != 0)
        {
            throw new PruningException(layerName, $"the weight has shape {MaskPlan.FormatShape(shape)}, whose {shape[0]} input channels do not split into {groups} groups.");
        }

        var view = new int[shape.Length + 1];
        view[0] = groups;
        view[1] = shape[0] / groups;
        shape[1..].CopyTo(view.AsSpan(2));
        var bits = dims.Contains(0) ? 1 : 0;
        for (var dim = 1; dim <= shape.Length; dim++)
        {
            if (dims.Contains(dim)) bits |= 1 << (dim + 1);
        }

        return (view, ReducedDims.FromBits(bits));
    }

    /// <summary>
    /// Whether the groups of <paramref name="dims"/> are whole output units (a convolution's <see cref="Granularity.Filter"/>,
    /// a <c>Linear</c> <see cref="Granularity.Row"/>): every dim but the output axis is reduced.
    /// </summary>
    public static bool RemovesWholeOutputUnits(LayerKind kind, ReducedDims dims)
    {
        var rank = Granularities.WeightRank(kind);
        var outputDim = Granularities.OutputAxis(kind) + 1;
        if (dims.Contains(outputDim)) return false;
        for (var dim = 1; dim <= rank; dim++)
        {
            if (dim != outputDim && !dims.Contains(dim)) return false;
        }

        return true;
    }

    /// <summary>
    /// The keep of each group that <paramref name="mask"/> (viewed as <paramref name="viewShape"/>, the shape
    /// <see cref="View"/> gives) shows: 1 where some weight of the group is kept, 0 where the mask prunes the whole group;
    /// of the view's shape with size 1 on the reduced dims (no leading dummy dim), in the caller's dispose scope. Groups
    /// lie in flat-index order, so for a granularity that <see cref="RemovesWholeOutputUnits"/> they are the output units.
    /// </summary>
    public static Tensor GroupKeep(Tensor mask, long[] viewShape, ReducedDims viewDims)
    {
        var view = mask.reshape(viewShape);
        var reduced = WeightAxes(viewDims, viewShape.Length);
        return reduced.Length == 0 ? view : view.amax(reduced, keepdim: true);
    }

    /// <summary>
    /// The axes (0-based, of a tensor of <paramref name="rank"/> without the leading dummy dim) that one group of
    /// <paramref name="dims"/> spans: the reduced dims, each less one.
    /// </summary>
    public static long[] WeightAxes(ReducedDims dims, int rank)
    {
        var axes = new List<long>(rank);
        for (var dim = 1; dim <= rank; dim++)
        {
            if (dims.Contains(dim)) axes.Add(dim - 1);
        }

        return axes.ToArray();
    }

    /// <summary>The input channels (input features of a <c>Linear</c>) of a layer of <paramref name="kind"/> with <paramref name="weight"/>.</summary>
    public static long InputChannels(LayerKind kind, Tensor weight, long convolutionGroups) => kind switch
    {
        LayerKind.Linear => weight.size(1),
        _ when Granularities.IsTransposed(kind) => weight.size(0),
        _ => weight.size(1) * convolutionGroups,
    };

    /// <summary>
    /// The input channel that weight element <paramref name="flatIndex"/> reads: a <c>Linear</c>'s input feature, a
    /// transposed convolution's axis 0, and for a convolution with groups, <c>(o / (out / groups)) · (in / groups) + j</c>.
    /// </summary>
    public static int InputChannelOf(LayerKind kind, ReadOnlySpan<int> shape, int kernel, int convolutionGroups, int flatIndex)
    {
        if (kind == LayerKind.Linear) return flatIndex % shape[1];
        if (Granularities.IsTransposed(kind)) return flatIndex / (shape[1] * kernel);
        var output = flatIndex / (shape[1] * kernel);
        var inGroup = flatIndex / kernel % shape[1];
        return (output / (shape[0] / convolutionGroups) * shape[1]) + inGroup;
    }

    /// <summary>The weight's shape as ints (the CPU path works on spans of at most <see cref="int.MaxValue"/> elements).</summary>
    public static int[] IntShape(Tensor weight)
    {
        var shape = new int[weight.dim()];
        for (var axis = 0; axis < shape.Length; axis++) shape[axis] = checked((int)weight.size(axis));
        return shape;
    }

    /// <summary>The shape as longs.</summary>
    public static long[] LongShape(ReadOnlySpan<int> shape)
    {
        var wide = new long[shape.Length];
        for (var axis = 0; axis < shape.Length; axis++) wide[axis] = shape[axis];
        return wide;
    }

    /// <summary>Whether <paramref name="tensor"/> has exactly <paramref name="shape"/>.</summary>
    public static bool HasShape(Tensor tensor, ReadOnlySpan<long> shape)
    {
        if (shape.Length != tensor.dim()) return false;
        for (var axis = 0; axis < shape.Length; axis++)
        {
            if (shape[axis] != tensor.size(axis)) return false;
        }

        return true;
    }

    /// <summary>Whether two tensors have the same shape (allocation-free, unlike comparing <c>shape</c> arrays).</summary>
    public static bool SameShape(Tensor a, Tensor b)
    {
        if (a.dim() != b.dim()) return false;
        for (var axis = 0; axis < a.dim(); axis++)
        {
            if (a.size(axis) != b.size(axis)) return false;
        }

        return true;
    }

    /// <summary>Whether two tensors are on the same device.</summary>
    public static bool SameDevice(Tensor a, Tensor b) => a.device_type == b.device_type && a.device_index == b.device_index;
}
