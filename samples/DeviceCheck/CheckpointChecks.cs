using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using PruneSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.DeviceCheck;

/// <summary>
/// Checkpoints of a model on the checked device: loads stage the file on the CPU and copy into the device's tensors,
/// and a mask a load registers is made on its weight's device. Each row compares every tensor of the loaded model's
/// state dict with the saved model's, bit for bit, on the CPU; a refused load must leave the model bit-identical.
/// </summary>
internal static class CheckpointChecks
{
    public static CheckTable Run(Device device, ScalarType dtype, List<string> mismatches)
    {
        var directory = Directory.CreateTempSubdirectory("prunesharp-device-checkpoints-").FullName;
        try
        {
            var file = Path.Combine(directory, "model.bin");
            var safetensors = Path.Combine(directory, "model.safetensors");
            var rows = new List<CheckRow>
            {
                RoundTrip("PruningCheckpoint.Save → Load", device, dtype, mismatches,
                    model => PruningCheckpoint.Save(model, file), model => PruningCheckpoint.Load(model, file)),
                RoundTrip("ExportSafetensors → ImportSafetensors", device, dtype, mismatches,
                    model => PruningCheckpoint.ExportSafetensors(model, safetensors), model => PruningCheckpoint.ImportSafetensors(model, safetensors)),
                RoundTrip("saved on the CPU → Load", device, dtype, mismatches,
                    model =>
                    {
                        using var onCpu = new CheckModel(CPU, dtype);
                        CopyState(model, onCpu);
                        PruningCheckpoint.Save(onCpu, file);
                    },
                    model => PruningCheckpoint.Load(model, file)),
                Refused(device, dtype, mismatches, file),
                MovedAfterMasks(device, dtype, mismatches, file),
            };
            return new CheckTable($"Checkpoints of the [Prune] model on {device}", ["load", "tensors", "identical", "masks on"], rows);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static CheckRow RoundTrip(string name, Device device, ScalarType dtype, List<string> mismatches, Action<CheckModel> save, Action<CheckModel> load)
    {
        using var source = new CheckModel(device, dtype);
        source.ComputeMasks();
        source.ApplyMasks();
        save(source);
        using var loaded = new CheckModel(device, dtype);   // other weights, no masks
        load(loaded);
        var (compared, differing) = Compare(name, source, loaded, mismatches);
        var maskDevices = string.Join(", ", loaded.PrunedLayers.Select(layer => layer.Mask?.device.ToString() ?? "none").Distinct());
        return new CheckRow([name, compared.ToString(), $"{compared - differing} / {compared}", maskDevices], compared, differing);
    }

    /// <summary>A file whose mask holds 0.5 is refused, and the model with masks on the device stays as it was.</summary>
    private static CheckRow Refused(Device device, ScalarType dtype, List<string> mismatches, string file)
    {
        const string name = "a mask holding 0.5, refused";
        using var source = new CheckModel(device, dtype);
        source.ComputeMasks();
        using (no_grad()) source.PrunedLayers[0].Mask![0, 0, 0, 0] = 0.5;
        PruningCheckpoint.Save(source, file);

        using var model = new CheckModel(device, dtype);
        model.ComputeMasks();
        using var before = new CheckModel(device, dtype);
        before.ComputeMasks();
        CopyState(model, before);
        var refused = false;
        try
        {
            PruningCheckpoint.Load(model, file);
        }
        catch (CheckpointException exception) when (exception.TensorName == "conv2d.weight_mask")
        {
            refused = true;
        }

        if (!refused) mismatches.Add($"checkpoints: {name}: the load was not refused.");
        var (compared, differing) = Compare(name, before, model, mismatches);
        differing += refused ? 0 : 1;
        var maskDevices = string.Join(", ", model.PrunedLayers.Select(layer => layer.Mask?.device.ToString() ?? "none").Distinct());
        return new CheckRow([name, compared.ToString(), $"{compared - differing} / {compared}", maskDevices], compared, differing);
    }

    /// <summary>
    /// Masks made on the CPU in float32 (the fast path), then the model moved and converted with TorchSharp's
    /// <c>.to(device, dtype)</c>, which leaves the mask buffers behind: each mask follows its weight at the next call.
    /// The moved model, after applying its masks and one more mask update on the device, equals a model that was on
    /// the device from the start; and its checkpoint loads into a fresh device model.
    /// </summary>
    private static CheckRow MovedAfterMasks(Device device, ScalarType dtype, List<string> mismatches, string file)
    {
        const string name = "masks made on the CPU, then .to() → apply, update, Save → Load";
        using var moved = new CheckModel(CPU, ScalarType.Float32);
        using var reference = new CheckModel(device, dtype);
        using (no_grad())
        {
            // Multiples of 1/64: every group sum is exact, so the CPU fast path and the device give identical masks.
            foreach (var layer in moved.PrunedLayers)
            {
                using var grid = randint(-64, 65, layer.Weight.shape, dtype: ScalarType.Float32);
                using var scaled = grid.div(64);
                layer.Weight.copy_(scaled);
            }
        }

        CopyState(moved, reference);
        moved.ComputeMasks();
        moved.to(device, dtype);
        reference.ComputeMasks();
        foreach (var model in new[] { moved, reference })
        {
            model.ApplyMasks();
            MaskPass.ComputeMasks(model.PrunedLayers, [.. model.PrunedLayers.Select(layer => layer.TargetSparsity + 0.2)]);
            model.ApplyMasks();
        }

        var (compared, differing) = Compare(name, reference, moved, mismatches);
        PruningCheckpoint.Save(moved, file);
        using var loaded = new CheckModel(device, dtype);
        PruningCheckpoint.Load(loaded, file);
        var (reloaded, reloadedDiffering) = Compare(name + " (reloaded)", moved, loaded, mismatches);
        compared += reloaded;
        differing += reloadedDiffering;
        var maskDevices = string.Join(", ", moved.PrunedLayers.Select(layer => $"{layer.Mask!.device} {layer.Mask.dtype}").Distinct());
        return new CheckRow([name, compared.ToString(), $"{compared - differing} / {compared}", maskDevices], compared, differing);
    }

    private static (int Compared, int Differing) Compare(string name, nn.Module expected, nn.Module actual, List<string> mismatches)
    {
        var left = expected.state_dict();
        var right = actual.state_dict();
        var differing = 0;
        foreach (var key in left.Keys.Union(right.Keys).Order(StringComparer.Ordinal))
        {
            if (!left.TryGetValue(key, out var saved) || !right.TryGetValue(key, out var loaded))
            {
                differing++;
                mismatches.Add($"checkpoints: {name}: '{key}' is in only one of the two state dicts.");
                continue;
            }

            using var savedOnCpu = saved.detach().cpu().contiguous();
            using var loadedOnCpu = loaded.detach().cpu().contiguous();
            var same = loaded.device_type == saved.device_type && loaded.dtype == saved.dtype && loaded.shape.SequenceEqual(saved.shape) &&
                       (saved.numel() == 0 || savedOnCpu.bytes.SequenceEqual(loadedOnCpu.bytes));
            if (!same)
            {
                differing++;
                mismatches.Add($"checkpoints: {name}: '{key}' differs ({saved.device} → {loaded.device}).");
            }
        }

        return (left.Keys.Union(right.Keys).Count(), differing);
    }

    private static void CopyState(nn.Module from, nn.Module to)
    {
        var target = to.state_dict();
        using (no_grad())
        {
            foreach (var (name, value) in from.state_dict())
            {
                if (!target.TryGetValue(name, out var tensor))
                {
                    PruningCheckpoint.RegisterMaskBuffers((IPrunableModule)to);
                    target = to.state_dict();
                    tensor = target[name];
                }

                tensor.copy_(value);
            }
        }
    }
}
