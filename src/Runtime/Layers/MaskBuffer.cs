using System.Collections.Generic;
using System.Reflection;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// A layer module's <see cref="PrunedLayer.MaskBufferName"/> buffer: found, registered, and replaced when the mask
/// follows its weight to another device or dtype.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>Linear</c> and convolution modules override <c>_to</c> and move or convert only their weight
/// and bias, so a model's <c>.to()</c> leaves the mask where it was. A tensor cannot change its device or dtype in place
/// (<c>set_</c> refuses both), and TorchSharp has no public way to replace a registered buffer: its own <c>_to</c>
/// assigns the protected <c>_internal_buffers</c> dictionary, and so does <see cref="TryReplace"/>, through reflection
/// checked once (as compaction sets the size fields TorchSharp keeps behind private setters). Where that field is
/// missing (another TorchSharp version), the mask stays behind and the checks name the mismatch and the way out.
/// </remarks>
internal static class MaskBuffer
{
    private static readonly FieldInfo? Buffers = typeof(nn.Module).GetField("_internal_buffers", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>Whether this TorchSharp version lets a registered mask be replaced (so that it can follow its weight).</summary>
    public static bool CanReplace { get; } = Buffers?.FieldType.IsAssignableTo(typeof(IDictionary<string, (Tensor, bool)>)) == true;

    /// <summary>The layer's mask buffer, or null where it has none.</summary>
    public static Tensor? Find(nn.Module layer) =>
        layer.has_buffer(PrunedLayer.MaskBufferName) ? layer.get_buffer(PrunedLayer.MaskBufferName) : null;

    /// <summary>
    /// Puts <paramref name="mask"/> in place of the layer's registered mask buffer, in the same position of its
    /// buffers and as persistent as it was, as TorchSharp's own <c>.to()</c> replaces the buffers of other modules.
    /// </summary>
    /// <returns>False where the layer has no mask buffer or this TorchSharp version keeps buffers in another way; nothing changed then.</returns>
    public static bool TryReplace(nn.Module layer, Tensor mask)
    {
        if (!CanReplace || Buffers!.GetValue(layer) is not IDictionary<string, (Tensor Tensor, bool Persistent)> buffers) return false;
        if (!buffers.TryGetValue(PrunedLayer.MaskBufferName, out var registered)) return false;
        buffers[PrunedLayer.MaskBufferName] = (mask, registered.Persistent);
        return true;
    }
}
