namespace PruneSharp;

/// <summary>
/// The table of which granularities apply to which layer kinds, and the dims each reduces over.
/// This is the one place that table lives: the generator compiles this file too, and
/// <c>docs/granularities.md</c> prints it.
/// </summary>
/// <remarks>
/// Dims count on the weight with a leading dummy dim 0. Convolutions: 1 = output channels, 2 = input channels,
/// then the kernel dims. Transposed convolutions store input channels first, so their table is the convolution's
/// with dims 1 and 2 swapped: every granularity keeps its meaning (a <see cref="Granularity.Filter"/> is an output
/// channel). <see cref="Granularity.Custom"/> and <see cref="Granularity.NOfM"/> are not in the table: their groups
/// come from <see cref="PruneAttribute.Dims"/> and from N and M.
/// </remarks>
public static class Granularities
{
    /// <summary>The rank of the weight of a layer kind (without the dummy dim).</summary>
    public static int WeightRank(LayerKind layer) => layer switch
    {
        LayerKind.Linear => 2,
        LayerKind.Conv1d or LayerKind.ConvTranspose1d => 3,
        LayerKind.Conv2d or LayerKind.ConvTranspose2d => 4,
        LayerKind.Conv3d or LayerKind.ConvTranspose3d => 5,
        _ => 0,
    };

    /// <summary>Whether the layer kind is a transposed convolution (weight [in, out / groups, kernel...]).</summary>
    public static bool IsTransposed(LayerKind layer) =>
        layer is LayerKind.ConvTranspose1d or LayerKind.ConvTranspose2d or LayerKind.ConvTranspose3d;

    /// <summary>The weight axis (0-based, without the dummy dim) that indexes input channels or input features.</summary>
    public static int InputAxis(LayerKind layer) => IsTransposed(layer) ? 0 : 1;

    /// <summary>The weight axis (0-based, without the dummy dim) that indexes output channels or output features.</summary>
    public static int OutputAxis(LayerKind layer) => IsTransposed(layer) ? 1 : 0;

    /// <summary>
    /// Looks up the dims that <paramref name="granularity"/> reduces over on a weight of <paramref name="layer"/>.
    /// </summary>
    /// <returns>
    /// <see langword="false"/> when the granularity does not apply to that layer kind, and for
    /// <see cref="Granularity.Custom"/> and <see cref="Granularity.NOfM"/>, which the table does not define.
    /// </returns>
    public static bool TryGetReducedDims(LayerKind layer, Granularity granularity, out ReducedDims dims)
    {
        var rank = WeightRank(layer);
        int[]? tuple = granularity == Granularity.Layer && rank > 0 ? AllDims(rank) : layer switch
        {
            LayerKind.Conv2d => Conv2dDims(granularity),
            LayerKind.ConvTranspose2d => SwapChannels(Conv2dDims(granularity)),
            LayerKind.Conv1d => Conv1dDims(granularity),
            LayerKind.ConvTranspose1d => SwapChannels(Conv1dDims(granularity)),
            LayerKind.Conv3d => Conv3dDims(granularity),
            LayerKind.ConvTranspose3d => SwapChannels(Conv3dDims(granularity)),
            LayerKind.Linear => granularity switch
            {
                Granularity.Weight => [0],
                Granularity.Column => [1],
                Granularity.Row => [2],
                _ => null,
            },
            _ => null,
        };

        dims = tuple is null ? default : ReducedDims.Of(tuple);
        return tuple is not null;
    }

    /// <summary>
    /// Whether <paramref name="granularity"/> can apply to a layer of kind <paramref name="layer"/>: it is in the
    /// table, or it is <see cref="Granularity.Custom"/> or <see cref="Granularity.NOfM"/>, whose fit depends on
    /// their dims and on the layer's shape.
    /// </summary>
    public static bool AppliesTo(LayerKind layer, Granularity granularity) =>
        WeightRank(layer) > 0 && (granularity is Granularity.Custom or Granularity.NOfM || TryGetReducedDims(layer, granularity, out _));

    /// <summary>
    /// Whether custom <paramref name="dims"/> fit a weight of <paramref name="layer"/>: at least one dim, each in
    /// [0, rank], none repeated.
    /// </summary>
    public static bool CustomDimsFit(LayerKind layer, int[]? dims)
    {
        if (dims is null || dims.Length == 0) return false;
        var rank = WeightRank(layer);
        var seen = 0;
        foreach (var dim in dims)
        {
            if (dim < 0 || dim > rank || (seen & (1 << dim)) != 0) return false;
            seen |= 1 << dim;
        }

        return true;
    }

    private static int[] AllDims(int rank)
    {
        var dims = new int[rank];
        for (var dim = 0; dim < rank; dim++) dims[dim] = dim + 1;
        return dims;
    }

    private static int[]? SwapChannels(int[]? dims)
    {
        if (dims is null) return null;
        var swapped = new int[dims.Length];
        for (var index = 0; index < dims.Length; index++)
        {
            swapped[index] = dims[index] switch { 1 => 2, 2 => 1, var other => other };
        }

        return swapped;
    }

    private static int[]? Conv2dDims(Granularity granularity) => granularity switch
    {
        Granularity.Weight => [0],
        Granularity.SharedWeight => [1],
        Granularity.Channel => [2],
        Granularity.Column => [3],
        Granularity.Row => [4],
        Granularity.SharedChannel => [1, 2],
        Granularity.SharedColumn => [1, 3],
        Granularity.SharedRow => [1, 4],
        Granularity.VerticalSlice => [2, 3],
        Granularity.HorizontalSlice => [2, 4],
        Granularity.Kernel => [3, 4],
        Granularity.SharedVerticalSlice => [1, 2, 3],
        Granularity.SharedHorizontalSlice => [1, 2, 4],
        Granularity.SharedKernel => [1, 3, 4],
        Granularity.Filter => [2, 3, 4],
        _ => null,
    };

    // One kernel axis: the 2-D slice granularities (Column, Row, the slices) have no 1-D meaning.
    private static int[]? Conv1dDims(Granularity granularity) => granularity switch
    {
        Granularity.Weight => [0],
        Granularity.SharedWeight => [1],
        Granularity.Channel => [2],
        Granularity.SharedChannel => [1, 2],
        Granularity.Kernel => [3],
        Granularity.SharedKernel => [1, 3],
        Granularity.Filter => [2, 3],
        _ => null,
    };

    // Three kernel axes: the granularities that do not name a 2-D slice, with Kernel spanning all three.
    private static int[]? Conv3dDims(Granularity granularity) => granularity switch
    {
        Granularity.Weight => [0],
        Granularity.SharedWeight => [1],
        Granularity.Channel => [2],
        Granularity.SharedChannel => [1, 2],
        Granularity.Kernel => [3, 4, 5],
        Granularity.SharedKernel => [1, 3, 4, 5],
        Granularity.Filter => [2, 3, 4, 5],
        _ => null,
    };
}
