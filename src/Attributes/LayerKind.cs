namespace PruneSharp;

/// <summary>The kinds of TorchSharp layer that PruneSharp prunes.</summary>
public enum LayerKind
{
    /// <summary><c>TorchSharp.Modules.Conv2d</c>: weight of shape [out_channels, in_channels / groups, kernel_height, kernel_width].</summary>
    Conv2d,

    /// <summary><c>TorchSharp.Modules.Linear</c>: weight of shape [out_features, in_features].</summary>
    Linear,
}
