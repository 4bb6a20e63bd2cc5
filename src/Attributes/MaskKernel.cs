namespace PruneSharp;

/// <summary>
/// The CPU kernel that scores a layer's groups (or ranks its N:M runs), chosen by <see cref="MaskGeometry"/> from where
/// the groups lie in the weight's memory. Each variant is a loop written for its layout; <see cref="Strided"/> walks any
/// layout.
/// </summary>
public enum MaskKernel
{
    /// <summary>Any layout: runs of the innermost segment walked with an odometer over the outer segments.</summary>
    Strided = 0,

    /// <summary>Every group is one contiguous run of 16 weights or more (a convolution's <c>Filter</c>, a <c>Linear</c> <c>Row</c>).</summary>
    ContiguousGroups = 1,

    /// <summary>Every group is one contiguous run of 9 weights: the 3×3 kernels of a convolution at <c>Kernel</c> granularity.</summary>
    RunsOf9 = 2,

    /// <summary>Every group is one contiguous run of 2 to 15 weights (other small kernels, rows of a small kernel).</summary>
    ShortRuns = 3,

    /// <summary>Every weight is its own group (<c>Weight</c>, or a granularity that reduces only dims of size 1, as <c>Kernel</c> on a 1×1 convolution).</summary>
    Elementwise = 4,

    /// <summary>N:M over runs of M adjacent weights along the input axis: 1×1 convolutions and <c>Linear</c> layers.</summary>
    NOfMChannelRuns = 5,

    /// <summary>N:M over runs along the input axis whose weights are a kernel's size apart, ranked across the kernel positions at once.</summary>
    NOfMKernelPositions = 6,
}
