using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using PruneSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.DeviceCheck;

/// <summary>Times one mask update of every layer of a shape set, per granularity, five ways: layer by layer, the model-level pass (with the device's selection, then each selection forced), and the tensor-level engine.</summary>
internal static class MaskTimings
{
    /// <summary>
    /// PyTorch 2.11 eager on one H100, every conv/linear weight of ResNet-50 at sparsity 0.5, median of 20 runs, in ms
    /// (shared/CUDA.md): selection by kthvalue threshold and by sort.
    /// </summary>
    private static readonly Dictionary<Granularity, (double KthValue, double Sort)> PyTorchEagerH100 = new()
    {
        [Granularity.Weight] = (124.7, 6.7),
        [Granularity.Kernel] = (64.4, 5.5),
        [Granularity.Filter] = (2.6, 5.1),
    };

    public static CheckTable Run(ShapeSetModules modules, string setName, IReadOnlyList<Granularity> granularities, int runs)
    {
        var device = modules.TimedDevice;
        var rows = new List<CheckRow>();
        foreach (var granularity in granularities)
        {
            var layers = modules.TimedLayers(granularity);
            var sparsities = layers.Select(layer => layer.TargetSparsity).ToArray();
            var updateMask = MedianMilliseconds(device, runs, () =>
            {
                foreach (var layer in layers) layer.UpdateMask();
            });
            var model = new ShapeSetModel(layers);
            var modelPass = MedianMilliseconds(device, runs, model.ComputeMasks);
            var computeMask = MedianMilliseconds(device, runs, () =>
            {
                using var scope = NewDisposeScope();
                foreach (var layer in layers) TorchMaskEngine.ComputeMask(layer.Weight, layer.ReducedDims, layer.TargetSparsity, layer.Name);
            });
            var sort = MedianMilliseconds(device, runs, () => MaskPass.ComputeMasks(layers, sparsities, BatchSelection.Sort));
            var threshold = MedianMilliseconds(device, runs, () => MaskPass.ComputeMasks(layers, sparsities, BatchSelection.Threshold));
            var pyTorch = PyTorchEagerH100.TryGetValue(granularity, out var eager) ? $"{Milliseconds(eager.KthValue)} / {Milliseconds(eager.Sort)}" : "–";
            rows.Add(new CheckRow(
                [granularity.ToString(), layers[^1].Granularity.ToString(), Milliseconds(updateMask), Milliseconds(modelPass), Milliseconds(computeMask), Milliseconds(sort), Milliseconds(threshold), pyTorch],
                0,
                0));
        }

        var note = device.type == DeviceType.CPU
            ? "on the CPU (float32: UpdateMask takes the span fast path); a shared machine's timings are indicative only"
            : $"on {device} (float32), synchronized before and after each run";
        return new CheckTable(
            $"All-layers mask update, {setName} ({modules.Shapes.Count} layers), median of {runs} runs after one warm-up, ms, {note}",
            ["granularity", "fc as", $"UpdateMask ×{modules.Shapes.Count}", "ComputeMasks(), one pass", $"ComputeMask ×{modules.Shapes.Count}", "one pass, sort", "one pass, kthvalue", "PyTorch eager H100: kthvalue / sort"],
            rows);
    }

    /// <summary>The median wall time of <paramref name="runs"/> runs of <paramref name="update"/>, after one warm-up run.</summary>
    private static double MedianMilliseconds(Device device, int runs, Action update)
    {
        update();
        Synchronize(device);
        var times = new double[runs];
        for (var run = 0; run < runs; run++)
        {
            Synchronize(device);
            var start = Stopwatch.GetTimestamp();
            update();
            Synchronize(device);
            times[run] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(times);
        return runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
    }

    /// <summary>Waits for the device's queued work: CUDA launches return before the kernels finish.</summary>
    private static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
    }

    private static string Milliseconds(double value) => value.ToString(value < 10 ? "F2" : "F1", CultureInfo.InvariantCulture);
}
