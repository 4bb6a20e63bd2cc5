namespace PruneSharp;

/// <summary>The kinds of TorchSharp layer that PruneSharp prunes.</summary>
/// <remarks>
/// Every kind's granularities are listed in <c>docs/granularities.md</c> and in <see cref="Granularities"/>.
/// Transposed convolutions store their weight as [in_channels, out_channels / groups, kernel...]; PruneSharp's
/// granularities still mean the same units there (a <see cref="Granularity.Filter"/> is an output channel).
/// </remarks>
public enum LayerKind
{
    /// <summary><c>TorchSharp.Modules.Conv2d</c>: weight of shape [out_channels, in_channels / groups, kernel_height, kernel_width].</summary>
    Conv2d,

    /// <summary><c>TorchSharp.Modules.Linear</c>: weight of shape [out_features, in_features].</summary>
    Linear,

    /// <summary><c>TorchSharp.Modules.Conv1d</c>: weight of shape [out_channels, in_channels / groups, kernel_size].</summary>
    Conv1d,

    /// <summary><c>TorchSharp.Modules.Conv3d</c>: weight of shape [out_channels, in_channels / groups, kernel_depth, kernel_height, kernel_width].</summary>
    Conv3d,

    /// <summary><c>TorchSharp.Modules.ConvTranspose1d</c>: weight of shape [in_channels, out_channels / groups, kernel_size].</summary>
    ConvTranspose1d,

    /// <summary><c>TorchSharp.Modules.ConvTranspose2d</c>: weight of shape [in_channels, out_channels / groups, kernel_height, kernel_width].</summary>
    ConvTranspose2d,

    /// <summary><c>TorchSharp.Modules.ConvTranspose3d</c>: weight of shape [in_channels, out_channels / groups, kernel_depth, kernel_height, kernel_width].</summary>
    ConvTranspose3d,
}
