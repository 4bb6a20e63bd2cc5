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
/// <c>Linear</c>, with their own dims (see each member); every member applies to <c>Conv2d</c>. The tables for
/// <c>Conv1d</c>, <c>Conv3d</c> and the transposed convolutions are in <c>docs/granularities.md</c> and
/// <see cref="Granularities.TryGetReducedDims"/>.
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

    /// <summary>
    /// The whole weight as one group: all of the layer's dims. Meant for reports and for ranking whole layers;
    /// with local scope one group can only be kept, so any sparsity that rounds to removing it is rejected.
    /// Every layer kind.
    /// </summary>
    Layer,

    /// <summary>
    /// An explicit tuple of reduced dims, given by <see cref="PruneAttribute.Dims"/> with the same dummy-dim
    /// convention (0 = every weight on its own). Every layer kind; dims past the weight's rank are an error.
    /// </summary>
    Custom,

    /// <summary>
    /// N:M semi-structured sparsity: in every run of M consecutive weights along the input-channel axis, the N with
    /// the highest scores are kept (2:4 is what NVIDIA's Ampere sparse tensor cores run). Declared with
    /// <see cref="PruneAttribute(int, int)"/>; the sparsity is (M − N) / M. Every layer kind whose input size
    /// (per group) is a multiple of M.
    /// </summary>
    NOfM,
}
