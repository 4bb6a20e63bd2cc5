using System;
using System.Collections.Generic;
using PruneSharp.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace PruneSharp.Samples;

/// <summary>
/// PyTorch interop through TorchSharp.PyBridge: a model's state dict, masks included, as a safetensors file that
/// PyTorch's <c>safetensors.torch.load_file</c> reads (and the other way round). It lives here, not in the PruneSharp
/// package, so the package keeps TorchSharp as its only dependency.
/// </summary>
public static class SafeTensorsInterop
{
    /// <summary>Writes <paramref name="model"/>'s state dict (parameters and buffers, <c>weight_mask</c>s included) as safetensors.</summary>
    public static void Export<TModel>(TModel model, string path)
        where TModel : nn.Module, IPrunableModule
    {
        ArgumentNullException.ThrowIfNull(model);
        model.save_safetensors(path);
    }

    /// <summary>
    /// Loads a safetensors state dict into <paramref name="model"/>. Where the file has masks
    /// (<c>layer.weight_mask</c>, as PyTorch's <c>torch.nn.utils.prune</c> names them too), the model's layers get
    /// mask buffers first so they load; a file without masks (a dense PyTorch model) loads as it is.
    /// </summary>
    public static void Import<TModel>(TModel model, string path)
        where TModel : nn.Module, IPrunableModule
    {
        ArgumentNullException.ThrowIfNull(model);
        if (HasMasks(path)) PruningCheckpoint.RegisterMaskBuffers(model);
        model.load_safetensors(path);
    }

    /// <summary>Whether the safetensors file at <paramref name="path"/> holds any <c>weight_mask</c> tensor.</summary>
    public static bool HasMasks(string path)
    {
        var state = Safetensors.LoadStateDict(path);
        var found = false;
        foreach (var (name, tensor) in state)
        {
            found |= name.EndsWith("." + PrunedLayer.MaskBufferName, StringComparison.Ordinal);
            tensor.Dispose();
        }

        return found;
    }

    /// <summary>Writes named tensors as a safetensors file (what PyTorch's <c>safetensors.torch.save_file</c> writes).</summary>
    public static void Save(IReadOnlyDictionary<string, Tensor> tensors, string path)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Safetensors.SaveStateDict(path, new Dictionary<string, Tensor>(tensors));
    }
}
