using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>How the torch path's batched selection (<see cref="TorchSelection.KeepAllButLowest"/>) picks the groups to prune.</summary>
/// <remarks>
/// Every method gives the same masks; they differ only in speed, which depends on the device. The mask pass uses the
/// device's default (<see cref="TorchMaskEngine.ResolveSelection"/>); the tests and the device check force each one
/// (<see cref="MaskPass.ComputeMasks(IReadOnlyList{PrunedLayer}, IReadOnlyList{double}, BatchSelection)"/>) to compare them.
/// </remarks>
internal enum BatchSelection
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

/// <content>The batched selection's method, and the selection over many layers' scores at once.</content>
public static partial class TorchMaskEngine
{
    /// <summary>The method <see cref="BatchSelection.Auto"/> stands for on <paramref name="device"/>.</summary>
    internal static BatchSelection ResolveSelection(BatchSelection selection, Device device)
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
}
