using System;
using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;

namespace PruneSharp;

/// <summary>
/// The pruning of a layer found in a model at run time (<see cref="Pruning.Of"/>, <see cref="PruningTree"/>): its kind
/// comes from the module's type, its shape from its weight, so it has no <see cref="PrunedLayer.DeclaredShape"/>.
/// A grouped convolution (depthwise included) is pruned on its real weight, as a generated layer is.
/// </summary>
/// <remarks>Create one directly to prune a single module by hand: <c>new ModulePrunedLayer("fc", model.fc, settings).UpdateMask()</c>.</remarks>
public sealed class ModulePrunedLayer : PrunedLayer
{
    private readonly nn.Module _layer;

    /// <summary>Declares the pruning of <paramref name="layer"/>, named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="layer"/> is not a layer PruneSharp prunes (see <see cref="TryGetKind"/>),
    /// or <paramref name="settings"/> do not fit its kind.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The sparsity is not in [0, 1].</exception>
    public ModulePrunedLayer(string name, nn.Module layer, PruneSettings settings)
        : base(name, KindOf(layer, name), settings)
    {
        _layer = layer;
    }

    /// <inheritdoc/>
    public override nn.Module Layer => _layer;

    /// <inheritdoc/>
    public override Parameter Weight => _layer switch
    {
        Linear linear => linear.weight,
        Convolution convolution => convolution.weight,
        _ => null,
    } ?? throw new InvalidOperationException($"Layer '{Name}' has no weight.");

    /// <summary>
    /// The <see cref="LayerKind"/> of <paramref name="module"/>: <c>Linear</c>, <c>Conv1d</c>, <c>Conv2d</c>,
    /// <c>Conv3d</c>, <c>ConvTranspose1d</c>, <c>ConvTranspose2d</c> or <c>ConvTranspose3d</c>; any other module is no layer.
    /// </summary>
    public static bool TryGetKind(nn.Module module, out LayerKind kind) => TryGetKindOfType(module?.GetType(), out kind);

    /// <summary>The <see cref="LayerKind"/> of the TorchSharp layer type <paramref name="type"/> (exact types only).</summary>
    internal static bool TryGetKindOfType(Type? type, out LayerKind kind)
    {
        LayerKind? found = type switch
        {
            _ when type == typeof(Linear) => LayerKind.Linear,
            _ when type == typeof(Conv1d) => LayerKind.Conv1d,
            _ when type == typeof(Conv2d) => LayerKind.Conv2d,
            _ when type == typeof(Conv3d) => LayerKind.Conv3d,
            _ when type == typeof(ConvTranspose1d) => LayerKind.ConvTranspose1d,
            _ when type == typeof(ConvTranspose2d) => LayerKind.ConvTranspose2d,
            _ when type == typeof(ConvTranspose3d) => LayerKind.ConvTranspose3d,
            _ => null,
        };
        kind = found.GetValueOrDefault();
        return found.HasValue;
    }

    private static LayerKind KindOf(nn.Module layer, string name)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (TryGetKind(layer, out var kind)) return kind;
        throw new ArgumentException($"Layer '{name}' is a {layer.GetType().Name}, which PruneSharp cannot prune; it prunes Linear, Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d and ConvTranspose3d.", nameof(layer));
    }
}
