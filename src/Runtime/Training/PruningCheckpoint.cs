using System;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Training;

/// <summary>
/// Saves and loads a pruned model with its masks. A layer's mask is its <see cref="PrunedLayer.MaskBufferName"/>
/// buffer, so it is part of the model's state dict; a freshly built model has no such buffers until its masks are
/// computed, so loading first registers them (as all-ones masks) where they are missing.
/// </summary>
public static class PruningCheckpoint
{
    /// <summary>Saves <paramref name="model"/>'s state (parameters, masks and other buffers) with TorchSharp's <c>save</c>.</summary>
    public static void Save<TModel>(TModel model, string path)
        where TModel : nn.Module, IPrunableModule
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        model.save(path);
    }

    /// <summary>
    /// Loads a state saved by <see cref="Save"/> into <paramref name="model"/>, which may be a fresh instance:
    /// every pruned layer gets its mask buffer first (see <see cref="RegisterMaskBuffers"/>), then TorchSharp's
    /// strict <c>load</c> fills parameters and masks.
    /// </summary>
    public static void Load<TModel>(TModel model, string path)
        where TModel : nn.Module, IPrunableModule
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        RegisterMaskBuffers(model);
        model.load(path);
    }

    /// <summary>Saves the state of the model <paramref name="tree"/> prunes (see <see cref="Save{TModel}"/>).</summary>
    public static void Save(PruningTree tree, string path)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentException.ThrowIfNullOrEmpty(path);
        tree.Model.save(path);
    }

    /// <summary>Loads a saved state into the model <paramref name="tree"/> prunes, mask buffers included (see <see cref="Load{TModel}"/>).</summary>
    public static void Load(PruningTree tree, string path)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentException.ThrowIfNullOrEmpty(path);
        RegisterMaskBuffers(tree);
        tree.Model.load(path);
    }

    /// <summary>
    /// Gives every pruned layer that has no <see cref="PrunedLayer.MaskBufferName"/> buffer an all-ones one, shaped
    /// and placed like its weight, so a state dict with masks (TorchSharp's, or a PyTorch one through another
    /// loader) can be loaded strictly. Layers that have a mask keep it.
    /// </summary>
    public static void RegisterMaskBuffers(IPrunableModule model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var layer in model.PrunedLayers)
        {
            if (layer.Layer.has_buffer(PrunedLayer.MaskBufferName)) continue;
            var weight = layer.Weight;
            layer.Layer.register_buffer(PrunedLayer.MaskBufferName, ones_like(weight, requires_grad: false).contiguous().DetachFromDisposeScope());
        }
    }
}
