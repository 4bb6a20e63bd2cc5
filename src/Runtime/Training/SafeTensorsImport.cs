using System;
using System.Collections.Generic;
using System.IO;
using static TorchSharp.torch;

namespace PruneSharp.Training;

/// <summary>
/// Reads a safetensors file into a load's staging (<see cref="StagedState"/>): the header is validated whole, every
/// tensor it announces is matched against the model before any data is read or any tensor allocated, then each tensor
/// is read and checked. What <see cref="PruningCheckpoint.ImportSafetensors"/> runs.
/// </summary>
/// <remarks>
/// <para>
/// <b>PyTorch's pruned modules.</b> <c>torch.nn.utils.prune</c> replaces a pruned module's <c>weight</c> parameter by
/// <c>weight_orig</c> (the unmasked values, still trained) and the buffer <c>weight_mask</c>, and recomputes
/// <c>weight = weight_orig × weight_mask</c> before every forward; <c>weight</c> itself is not in the state dict. Such
/// a pair loads into the layer's <c>weight</c> and mask. What loads as the weight is the product, the weight PyTorch's
/// forward uses: a PruneSharp layer holds its pruned weights at zero (<see cref="PrunedLayer.ApplyMask"/>), so the
/// product is the state the layer has after its masks are applied, and the model computes what PyTorch computed from
/// the moment it is loaded. The pruned values of <c>weight_orig</c> (frozen at what they were when pruned, since their
/// gradient is zero) are dropped: no PruneSharp operation reads a pruned weight's value.
/// </para>
/// <para>
/// Every other parameter that <c>torch.nn.utils.prune</c> can mask (a pruned <c>bias</c>: <c>bias_orig</c> and
/// <c>bias_mask</c>) is refused, with the way out: PruneSharp masks weights only.
/// </para>
/// </remarks>
internal static class SafeTensorsImport
{
    /// <summary>The suffix <c>torch.nn.utils.prune</c> gives the unmasked parameter.</summary>
    private const string OrigSuffix = "_orig";

    private const string PrunedWeight = "weight" + OrigSuffix;

    /// <summary>Stages every tensor of the safetensors file at <paramref name="path"/>; see the remarks for PyTorch's pruned modules.</summary>
    /// <exception cref="CheckpointException">The file is not valid safetensors or does not fit the model (nothing was staged into the model).</exception>
    public static void Read(string path, StagedState staged)
    {
        using var stream = SafeTensorsFile.OpenRead(path);
        var header = SafeTensorsFile.ReadHeader(stream, path, (tensor, problem) => staged.Error(tensor, problem));
        var entries = header.Tensors;

        // Every claim of the header is checked against the model before any data is read or any tensor allocated.
        var masks = PrunedWeightMasks(entries, staged);
        var targets = new TargetTensor[entries.Count];
        for (var index = 0; index < targets.Length; index++)
        {
            var entry = entries[index];
            var modelName = masks.ContainsKey(index) ? entry.Name[..^OrigSuffix.Length] : entry.Name;
            targets[index] = staged.Match(entry.Name, modelName, entry.ElementType, entry.DType, entry.ShapeArray);
        }

        staged.CheckComplete();
        Tensor ReadData(int index)
        {
            var entry = entries[index];
            stream.Position = header.DataOffset + entry.DataStart;
            var value = TensorBytes.AllocateStaging(entry.ShapeArray, entry.ElementType!.Value);
            try
            {
                TensorBytes.Fill(value, stream, null);
                return value;
            }
            catch
            {
                value.Dispose();
                throw;
            }
        }

        try
        {
            var maskOfPair = new HashSet<int>(masks.Values);
            for (var index = 0; index < targets.Length; index++)
            {
                if (maskOfPair.Contains(index)) continue;   // staged with its weight_orig
                if (!masks.TryGetValue(index, out var maskIndex))
                {
                    staged.Accept(targets[index], ReadData(index));
                    continue;
                }

                // The mask first (read, not yet checked), then weight_orig checked and multiplied by it, then the mask
                // checked: a mask that is not 0/1 refuses the whole load, so the product it made is never committed.
                var mask = ReadData(maskIndex);
                try
                {
                    staged.Accept(targets[index], ReadData(index), entries[index].Name, mask);
                }
                catch
                {
                    mask.Dispose();
                    throw;
                }

                staged.Accept(targets[maskIndex], mask);
            }
        }
        catch (EndOfStreamException exception)
        {
            throw staged.Error(null, "the file ended while it was read (did it change meanwhile?).", exception);
        }
    }

    /// <summary>
    /// The <c>torch.nn.utils.prune</c> pairs of the file: for each <c>X.weight_orig</c> (where the model has no tensor of
    /// that name), the index of its <c>X.weight_mask</c>.
    /// </summary>
    /// <exception cref="CheckpointException">A <c>weight_orig</c> has no mask in the file, or another parameter was pruned in PyTorch.</exception>
    private static Dictionary<int, int> PrunedWeightMasks(IReadOnlyList<SafeTensorsEntry> entries, StagedState staged)
    {
        var indexOf = new Dictionary<string, int>(entries.Count, StringComparer.Ordinal);
        for (var index = 0; index < entries.Count; index++) indexOf[entries[index].Name] = index;

        var masks = new Dictionary<int, int>();
        for (var index = 0; index < entries.Count; index++)
        {
            var name = entries[index].Name;
            if (!name.EndsWith(OrigSuffix, StringComparison.Ordinal) || staged.ModelHas(name)) continue;
            var parameter = name[..^OrigSuffix.Length];
            var dot = parameter.LastIndexOf('.');
            var (module, parameterName) = dot < 0 ? ("", parameter) : (parameter[..dot], parameter[(dot + 1)..]);
            var maskName = parameter + "_mask";
            var where = module.Length == 0 ? "the model" : $"'{module}'";
            if (name == PrunedWeight || name.EndsWith("." + PrunedWeight, StringComparison.Ordinal))
            {
                if (!indexOf.TryGetValue(maskName, out var maskIndex))
                {
                    throw staged.Error(name, $"it is the unmasked weight of {where} that torch.nn.utils.prune saves, but the file has no '{maskName}' to multiply it with (PyTorch's weight is weight_orig × weight_mask).");
                }

                masks[index] = maskIndex;
            }
            else if (staged.ModelHas(parameter))
            {
                throw staged.Error(name, $"it is the unmasked '{parameterName}' of {where}, which torch.nn.utils.prune masked with '{maskName}'; PruneSharp masks weights only. Make that pruning permanent in PyTorch (torch.nn.utils.prune.remove(module, '{parameterName}')) before saving.");
            }
        }

        return masks;
    }
}
