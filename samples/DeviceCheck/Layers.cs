using System;
using System.Collections.Generic;
using System.Linq;
using PruneSharp;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.DeviceCheck;

/// <summary>
/// A pruned layer over any TorchSharp conv or linear module, with settings chosen at run time. The check needs it
/// to try every granularity and criterion on one layer: generated layers have their settings fixed by [Prune].
/// </summary>
internal sealed class ModuleLayer(string name, LayerKind kind, PruneSettings settings, nn.Module module) : PrunedLayer(name, kind, settings)
{
    public override nn.Module Layer => module;

    public override Parameter Weight => module switch
    {
        Linear linear => linear.weight!,
        Convolution convolution => convolution.weight!,
        _ => throw new InvalidOperationException($"{module.GetType().Name} is not a layer with a weight."),
    };
}

/// <summary>A small layer of one kind: channel counts, kernel and groups (grouped, so grouped weights are covered).</summary>
/// <remarks>Every input size per group is a multiple of 4, so N:M 2:4 applies to every kind.</remarks>
internal sealed record LayerSpec(LayerKind Kind, int Inputs, int Outputs, long[] Kernel, int Groups)
{
    /// <summary>One layer of each of the seven kinds, in <see cref="LayerKind"/> order.</summary>
    public static IReadOnlyList<LayerSpec> OfEveryKind { get; } =
        Enum.GetValues<LayerKind>().Select(kind => kind switch
        {
            LayerKind.Linear => new LayerSpec(kind, 16, 12, [], 1),
            LayerKind.Conv1d or LayerKind.ConvTranspose1d => new LayerSpec(kind, 8, 12, [3], 2),
            LayerKind.Conv2d or LayerKind.ConvTranspose2d => new LayerSpec(kind, 8, 12, [3, 2], 2),
            _ => new LayerSpec(kind, 8, 6, [3, 2, 2], 2),
        }).ToArray();

    /// <summary>The weight shape: [out, in / groups, kernel...], transposed kinds [in, out / groups, kernel...].</summary>
    public long[] WeightShape => Kind == LayerKind.Linear ? [Outputs, Inputs]
        : Granularities.IsTransposed(Kind) ? [Inputs, Outputs / Groups, .. Kernel]
        : [Outputs, Inputs / Groups, .. Kernel];

    /// <summary>The shape of a batch of <paramref name="batch"/> inputs (spatial size 2 on every kernel axis).</summary>
    public long[] InputShape(int batch) => Kind == LayerKind.Linear ? [batch, Inputs] : [batch, Inputs, .. Kernel.Select(_ => 2L)];

    public nn.Module Create(Device device, ScalarType dtype)
    {
        var (k0, k1, k2) = (Kernel.ElementAtOrDefault(0), Kernel.ElementAtOrDefault(1), Kernel.ElementAtOrDefault(2));
        return Kind switch
        {
            LayerKind.Linear => nn.Linear(Inputs, Outputs, device: device, dtype: dtype),
            LayerKind.Conv1d => nn.Conv1d(Inputs, Outputs, k0, groups: Groups, device: device, dtype: dtype),
            LayerKind.Conv2d => nn.Conv2d(Inputs, Outputs, (k0, k1), groups: Groups, device: device, dtype: dtype),
            LayerKind.Conv3d => nn.Conv3d(Inputs, Outputs, (k0, k1, k2), groups: Groups, device: device, dtype: dtype),
            LayerKind.ConvTranspose1d => nn.ConvTranspose1d(Inputs, Outputs, k0, groups: Groups, device: device, dtype: dtype),
            LayerKind.ConvTranspose2d => nn.ConvTranspose2d(Inputs, Outputs, (k0, k1), groups: Groups, device: device, dtype: dtype),
            LayerKind.ConvTranspose3d => nn.ConvTranspose3d(Inputs, Outputs, (k0, k1, k2), groups: Groups, device: device, dtype: dtype),
            _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Not a layer kind."),
        };
    }
}

/// <summary>Weight values on a grid, and the helpers that put the same values into two layers.</summary>
internal static class Weights
{
    /// <summary>
    /// Values k / 8 with |k| ≤ 16. Every criterion's element scores of such values (products, squares, differences,
    /// magnitudes times float32 norms) have few significant bits, so their float64 group sums are exact whatever the
    /// order of summation. The fast path sums sequentially, torch's reductions in blocks, CUDA's in a tree: only exact
    /// sums make "identical masks" a property of the rule rather than of luck. Many ties, too, which the rule orders.
    /// </summary>
    public static float[] CoarseGrid(Random random, long count)
    {
        var values = new float[count];
        for (var index = 0; index < values.Length; index++) values[index] = random.Next(-16, 17) / 8f;
        return values;
    }

    /// <summary>
    /// Values k / 1024 with |k| ≤ 2048, for the magnitude criterion on large layers: a group of up to 4,608 magnitudes
    /// sums to a multiple of 1/1024 below 2^14, exact in float64, with far fewer ties than <see cref="CoarseGrid"/>.
    /// Equal sums then give equal means and different sums different ones (they differ by far more than a rounding
    /// step), so the ranking does not depend on whether a device divides or multiplies by the reciprocal.
    /// </summary>
    public static float[] FineGrid(Random random, long count)
    {
        var values = new float[count];
        for (var index = 0; index < values.Length; index++) values[index] = random.Next(-2048, 2049) / 1024f;
        return values;
    }

    /// <summary>Copies <paramref name="values"/> into the weight of each layer, on its device and in its dtype.</summary>
    public static void Set(float[] values, params PrunedLayer[] layers)
    {
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            foreach (var layer in layers)
            {
                layer.Weight.copy_(tensor(values).reshape(layer.Weight.shape));
            }
        }
    }

    /// <summary>Gives each layer's weight the gradient <paramref name="values"/> (d/dw sum(w · G) = G).</summary>
    public static void SetGradient(float[] values, params PrunedLayer[] layers)
    {
        foreach (var layer in layers)
        {
            using var scope = NewDisposeScope();
            var weight = layer.Weight;
            weight.mul(tensor(values).reshape(weight.shape).to(weight.dtype, weight.device)).sum().backward();
        }
    }
}
