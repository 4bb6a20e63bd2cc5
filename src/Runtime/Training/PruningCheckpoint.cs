using System;
using System.Collections.Generic;
using System.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Training;

/// <summary>
/// Saves and loads a pruned model with its masks, in PruneSharp's checkpoint format or as safetensors for PyTorch.
/// A layer's mask is its <see cref="PrunedLayer.MaskBufferName"/> buffer, so it is part of the model's state dict.
/// </summary>
/// <remarks>
/// Every load is atomic: the whole file is read and checked against the model before anything in the model is
/// written, so on any error the model is exactly as it was and the <see cref="CheckpointException"/> names the file,
/// the tensor and the problem. A load checks that every tensor in the file is one of the model's (a parameter, a
/// persistent buffer, or a pruned layer's mask), appears once, and has the model tensor's dtype and shape; that every
/// tensor of the model is in the file (unless <see cref="CheckpointLoadOptions.AllowMissing"/>); that a mask holds
/// only 0 and 1; and that floating-point values are finite (unless <see cref="CheckpointLoadOptions.AllowNonFinite"/>).
/// A freshly built model has no mask buffers: a layer whose mask the file holds gets one.
/// </remarks>
public static class PruningCheckpoint
{
    /// <summary>
    /// Saves <paramref name="model"/>'s state dict (parameters, masks and other persistent buffers) in PruneSharp's
    /// checkpoint format, which stores a SHA-256 checksum with every tensor. The file is written beside
    /// <paramref name="path"/> and then moved over it, so a failed save leaves an earlier file in place.
    /// </summary>
    /// <exception cref="InvalidOperationException">A pruned layer is not a registered submodule of the model.</exception>
    public static void Save<TModel>(TModel model, string path)
        where TModel : nn.Module, IPrunableModule
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        SaveLocked(model, model.PrunedLayers, path);
    }

    /// <summary>
    /// Loads a checkpoint written by <see cref="Save"/> (or by TorchSharp's <c>Module.save</c>, the format before
    /// PruneSharp's own, which has no checksums) into <paramref name="model"/>, which may be a fresh instance.
    /// Atomic and validated: see the remarks of <see cref="PruningCheckpoint"/>.
    /// </summary>
    /// <exception cref="CheckpointException">The file is damaged or truncated, or does not fit the model; the model is unchanged.</exception>
    /// <exception cref="InvalidOperationException">A pruned layer is not a registered submodule of the model.</exception>
    public static void Load<TModel>(TModel model, string path)
        where TModel : nn.Module, IPrunableModule => Load(model, path, CheckpointLoadOptions.Default);

    /// <summary>As <see cref="Load{TModel}(TModel, string)"/>, with the checks that <paramref name="options"/> relaxes.</summary>
    /// <exception cref="CheckpointException">The file is damaged or truncated, or does not fit the model; the model is unchanged.</exception>
    /// <exception cref="InvalidOperationException">A pruned layer is not a registered submodule of the model.</exception>
    public static void Load<TModel>(TModel model, string path, CheckpointLoadOptions options)
        where TModel : nn.Module, IPrunableModule
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        Load(model, model.PrunedLayers, path, options, staged => CheckpointFile.Read(path, staged));
    }

    /// <summary>
    /// Writes <paramref name="model"/>'s state dict as a safetensors file that PyTorch's
    /// <c>safetensors.torch.load_file</c> reads: <c>layer.weight</c> (already masked where masks were applied) and
    /// <c>layer.weight_mask</c>, the buffer name <c>torch.nn.utils.prune</c> uses.
    /// </summary>
    /// <exception cref="InvalidOperationException">A pruned layer is not a registered submodule of the model.</exception>
    public static void ExportSafetensors<TModel>(TModel model, string path)
        where TModel : nn.Module, IPrunableModule
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var locks = LayerLocks.Enter(LayersOf(model.PrunedLayers));
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var tensor in LockedTarget(model, model.PrunedLayers).Tensors)
        {
            if (tensor.Existing is { } value) tensors.Add(tensor.Name, value);
        }

        SafeTensorsFile.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>
    /// Loads a safetensors state dict (from PyTorch, or from <see cref="ExportSafetensors"/>) into
    /// <paramref name="model"/>. A mask in the file (<c>layer.weight_mask</c>, as <c>torch.nn.utils.prune</c> names
    /// it) gives its layer a mask buffer; a file without masks (a dense PyTorch model) loads as it is. A module that
    /// <c>torch.nn.utils.prune</c> pruned is saved as <c>layer.weight_orig</c> and <c>layer.weight_mask</c>, without
    /// <c>layer.weight</c>: the layer's weight is then loaded as PyTorch computes it, <c>weight_orig × weight_mask</c>
    /// (so the model computes what PyTorch's did), and its mask as the mask. The header is validated whole
    /// (<see cref="SafeTensorsHeader"/>) and every tensor's name, dtype and shape checked against the model before any
    /// tensor is allocated; then as <see cref="Load{TModel}(TModel, string)"/>.
    /// </summary>
    /// <exception cref="CheckpointException">The file is not valid safetensors, or does not fit the model; the model is unchanged.</exception>
    /// <exception cref="InvalidOperationException">A pruned layer is not a registered submodule of the model.</exception>
    public static void ImportSafetensors<TModel>(TModel model, string path, CheckpointLoadOptions? options = null)
        where TModel : nn.Module, IPrunableModule
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        Load(model, model.PrunedLayers, path, options, staged => SafeTensorsImport.Read(path, staged));
    }

    /// <summary>Saves the state of the model <paramref name="tree"/> prunes, as <see cref="Save{TModel}"/> does.</summary>
    /// <exception cref="InvalidOperationException">A pruned layer is not a registered submodule of the model.</exception>
    public static void Save(PruningTree tree, string path)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentException.ThrowIfNullOrEmpty(path);
        SaveLocked(tree.Model, tree.PrunedLayers, path);
    }

    /// <summary>Loads a checkpoint into the model <paramref name="tree"/> prunes, atomically and validated, as <see cref="Load{TModel}(TModel, string)"/> does.</summary>
    /// <exception cref="CheckpointException">The file is damaged or truncated, or does not fit the model; the model is unchanged.</exception>
    /// <exception cref="InvalidOperationException">A pruned layer is not a registered submodule of the model.</exception>
    public static void Load(PruningTree tree, string path) => Load(tree, path, CheckpointLoadOptions.Default);

    /// <summary>As <see cref="Load(PruningTree, string)"/>, with the checks that <paramref name="options"/> relaxes.</summary>
    /// <exception cref="CheckpointException">The file is damaged or truncated, or does not fit the model; the model is unchanged.</exception>
    /// <exception cref="InvalidOperationException">A pruned layer is not a registered submodule of the model.</exception>
    public static void Load(PruningTree tree, string path, CheckpointLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentException.ThrowIfNullOrEmpty(path);
        Load(tree.Model, tree.PrunedLayers, path, options, staged => CheckpointFile.Read(path, staged));
    }

    /// <summary>
    /// Gives every pruned layer that has no <see cref="PrunedLayer.MaskBufferName"/> buffer an all-ones one, shaped
    /// and placed like its weight, for loaders other than PruneSharp's that load state dicts strictly. Layers that have
    /// a mask keep it; one that a model's <c>.to()</c> left on another device or dtype follows its weight, so that
    /// TorchSharp's own <c>state_dict()</c> and <c>save</c> see every mask as the weights are.
    /// <see cref="Load{TModel}(TModel, string)"/> and <see cref="ImportSafetensors"/> do not need it.
    /// </summary>
    /// <exception cref="PruningException">A layer's weight is disposed, or its mask buffer does not have its weight's shape.</exception>
    public static void RegisterMaskBuffers(IPrunableModule model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var layer in model.PrunedLayers) layer.EnsureMaskBuffer();
    }

    /// <summary>
    /// Stages the file with <paramref name="read"/>, checks that nothing is missing, then commits. The layers' locks are
    /// held throughout (in the mask pass's order), so a pass on another thread sees the model before or after the load.
    /// </summary>
    internal static void Load(nn.Module model, IReadOnlyList<PrunedLayer> layers, string path, CheckpointLoadOptions? options, Action<StagedState> read)
    {
        using var locks = LayerLocks.Enter(LayersOf(layers));
        var target = LockedTarget(model, layers);
        using var staged = new StagedState(target, path, options ?? CheckpointLoadOptions.Default);
        read(staged);
        staged.CheckComplete();
        staged.Commit();
    }

    /// <summary>Writes the state dict under the layers' locks, so that no mask is saved half-written by a pass on another thread.</summary>
    private static void SaveLocked(nn.Module model, IReadOnlyList<PrunedLayer> layers, string path)
    {
        using var locks = LayerLocks.Enter(LayersOf(layers));
        var target = LockedTarget(model, layers);
        AtomicFile.Write(path, stream => CheckpointFile.Write(target, stream));
    }

    /// <summary>The model's state dict, after every mask that a <c>.to()</c> left behind has followed its weight; the layers' locks are held.</summary>
    private static StateDictTarget LockedTarget(nn.Module model, IReadOnlyList<PrunedLayer> layers)
    {
        foreach (var layer in layers) layer.CurrentMask();
        return StateDictTarget.Of(model, layers);
    }

    private static PrunedLayer[] LayersOf(IReadOnlyList<PrunedLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var array = new PrunedLayer[layers.Count];
        for (var index = 0; index < array.Length; index++) array[index] = layers[index] ?? throw new ArgumentException($"Layer {index} of the model's pruned layers is null.", nameof(layers));
        return array;
    }
}
