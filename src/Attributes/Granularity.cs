namespace PruneSharp;

/// <summary>
/// The block of a weight that is scored and removed as one unit, following fasterai's granularities.
/// </summary>
/// <remarks>
/// A granularity is the tuple of dims a score is reduced over, counted on the weight with a leading dummy dim:
/// for <c>Conv2d</c> dim 0 is the dummy, 1 the output channels (filters), 2 the input channels, 3 the kernel height
/// and 4 the kernel width; for <c>Linear</c> dim 0 is the dummy, 1 the output neurons and 2 the input neurons.
/// Reducing over dim 0 alone scores every weight on its own. Every kept dim indexes one group; the reduced dims
/// span the group's elements. Only <see cref="Weight"/>, <see cref="Column"/> and <see cref="Row"/> apply to
/// <c>Linear</c>, with their own dims (see each member); every member applies to <c>Conv2d</c>.
/// </remarks>
public enum Granularity
{
    /// <summary>
    /// Individual weights. Conv2d: dims (0). Linear: dims (0).
    /// </summary>
    Weight,

    /// <summary>
    /// Individual weights of a filter, with one pattern shared by all filters: removes position
    /// (in_channel, kh, kw) from every filter. Conv2d only: dims (1).
    /// </summary>
    SharedWeight,

    /// <summary>
    /// Vectors along the input-channel axis: removes weight[o, :, kh, kw]. Conv2d only: dims (2).
    /// </summary>
    Channel,

    /// <summary>
    /// Conv2d: vectors along the kernel-height axis, weight[o, i, :, kw]: dims (3).
    /// Linear: columns of the weight, weight[:, i], which removes input neurons: dims (1).
    /// </summary>
    Column,

    /// <summary>
    /// Conv2d: vectors along the kernel-width axis, weight[o, i, kh, :]: dims (4).
    /// Linear: rows of the weight, weight[o, :], which removes output neurons: dims (2).
    /// </summary>
    Row,

    /// <summary>
    /// Vectors along the input-channel axis with one pattern shared by all filters: removes weight[:, :, kh, kw].
    /// Conv2d only: dims (1, 2).
    /// </summary>
    SharedChannel,

    /// <summary>
    /// Vectors along the kernel-height axis with one pattern shared by all filters: removes weight[:, i, :, kw].
    /// Conv2d only: dims (1, 3).
    /// </summary>
    SharedColumn,

    /// <summary>
    /// Vectors along the kernel-width axis with one pattern shared by all filters: removes weight[:, i, kh, :].
    /// Conv2d only: dims (1, 4).
    /// </summary>
    SharedRow,

    /// <summary>
    /// Vertical slices through a filter's input channels and kernel height: removes weight[o, :, :, kw].
    /// Conv2d only: dims (2, 3).
    /// </summary>
    VerticalSlice,

    /// <summary>
    /// Horizontal slices through a filter's input channels and kernel width: removes weight[o, :, kh, :].
    /// Conv2d only: dims (2, 4).
    /// </summary>
    HorizontalSlice,

    /// <summary>
    /// Whole kernels: removes weight[o, i, :, :]. Conv2d only: dims (3, 4).
    /// </summary>
    Kernel,

    /// <summary>
    /// Vertical slices with one pattern shared by all filters: removes weight[:, :, :, kw]. Conv2d only: dims (1, 2, 3).
    /// </summary>
    SharedVerticalSlice,

    /// <summary>
    /// Horizontal slices with one pattern shared by all filters: removes weight[:, :, kh, :]. Conv2d only: dims (1, 2, 4).
    /// </summary>
    SharedHorizontalSlice,

    /// <summary>
    /// Kernels with one pattern shared by all filters: removes weight[:, i, :, :], that is, an input channel.
    /// Conv2d only: dims (1, 3, 4).
    /// </summary>
    SharedKernel,

    /// <summary>
    /// Whole filters: removes weight[o, :, :, :], that is, an output channel. Conv2d only: dims (2, 3, 4).
    /// </summary>
    Filter,
}
