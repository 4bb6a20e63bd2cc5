namespace PruneSharp;

/// <summary>
/// The table of which granularities apply to which layer kinds, and the dims each reduces over.
/// This is the one place that table lives: the generator compiles this file too.
/// </summary>
public static class Granularities
{
    /// <summary>The rank of the weight of a layer kind (without the dummy dim).</summary>
    public static int WeightRank(LayerKind layer) => layer switch
    {
        LayerKind.Conv2d => 4,
        LayerKind.Linear => 2,
        _ => 0,
    };

    /// <summary>
    /// Looks up the dims that <paramref name="granularity"/> reduces over on a weight of <paramref name="layer"/>.
    /// </summary>
    /// <returns><see langword="false"/> when the granularity does not apply to that layer kind.</returns>
    public static bool TryGetReducedDims(LayerKind layer, Granularity granularity, out ReducedDims dims)
    {
        int[]? tuple = layer switch
        {
            LayerKind.Conv2d => granularity switch
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
            },
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

    /// <summary>Whether <paramref name="granularity"/> applies to a layer of kind <paramref name="layer"/>.</summary>
    public static bool AppliesTo(LayerKind layer, Granularity granularity) => TryGetReducedDims(layer, granularity, out _);
}
