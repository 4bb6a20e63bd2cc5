using System;
using System.Collections.Generic;
using System.Linq;
using PruneSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.DeviceCheck;

/// <summary>
/// The modules of a shape set, twice with the same weights: float32 on the CPU (the fast path's reference) and on the
/// checked device in the checked dtype.
/// </summary>
internal sealed class ShapeSetModules : IDisposable
{
    /// <summary>Sparsity of every layer of the shape set, as in the PyTorch figures of the timings.</summary>
    public const double Sparsity = 0.5;

    private readonly nn.Module[] _reference;
    private readonly nn.Module[] _checked;
    private readonly Device _device;
    private readonly ScalarType _dtype;

    private ShapeSetModules(IReadOnlyList<LayerShape> shapes, nn.Module[] reference, nn.Module[] onDevice, Device device, ScalarType dtype)
    {
        Shapes = shapes;
        _reference = reference;
        _checked = onDevice;
        _device = device;
        _dtype = dtype;
        TotalWeights = shapes.Sum(shape => shape.Elements);
    }

    /// <summary>The Conv2d granularities of the table (<see cref="Granularity.Layer"/> prunes nothing locally at 0.5).</summary>
    public static IReadOnlyList<Granularity> Conv2dGranularities { get; } =
        Enum.GetValues<Granularity>().Where(granularity => granularity != Granularity.Layer && Granularities.TryGetReducedDims(LayerKind.Conv2d, granularity, out _)).ToArray();

    public IReadOnlyList<LayerShape> Shapes { get; }

    public long TotalWeights { get; }

    /// <summary>Builds both module sets and gives them the same values on <see cref="Weights.FineGrid"/>.</summary>
    public static ShapeSetModules Create(IReadOnlyList<LayerShape> shapes, Device device, ScalarType dtype)
    {
        var reference = new nn.Module[shapes.Count];
        var onDevice = new nn.Module[shapes.Count];
        using (no_grad())
        {
            for (var index = 0; index < shapes.Count; index++)
            {
                var shape = shapes[index];
                reference[index] = CreateModule(shape, CPU, ScalarType.Float32);
                onDevice[index] = CreateModule(shape, device, dtype);
                using var scope = NewDisposeScope();
                var values = tensor(Weights.FineGrid(new Random(index), shape.Elements)).reshape(shape.Shape);
                WeightOf(reference[index]).copy_(values);
                WeightOf(onDevice[index]).copy_(values);
            }
        }

        return new ShapeSetModules(shapes, reference, onDevice, device, dtype);
    }

    /// <summary>
    /// The granularity a Linear layer gets where a Conv2d one has <paramref name="granularity"/>: the Linear weight
    /// seen as a 1×1 convolution's, so only the reduced output (1) and input (2) dims count. Kernel and the slices
    /// become Weight, Filter and Channel become Row, the shared ones Column (or Layer when both are reduced).
    /// </summary>
    public static Granularity LinearAnalogue(Granularity granularity)
    {
        Granularities.TryGetReducedDims(LayerKind.Conv2d, granularity, out var dims);
        return (dims.Contains(1), dims.Contains(2)) switch
        {
            (false, false) => Granularity.Weight,
            (true, false) => Granularity.Column,
            (false, true) => Granularity.Row,
            (true, true) => Granularity.Layer,
        };
    }

    /// <summary>Pruned layers over the float32 CPU modules at <paramref name="granularity"/>, their masks reset to all ones.</summary>
    public PrunedLayer[] ReferenceLayers(Granularity granularity) => Layers(_reference, granularity);

    /// <summary>Pruned layers over the checked device's modules at <paramref name="granularity"/>, their masks reset to all ones.</summary>
    public PrunedLayer[] DeviceLayers(Granularity granularity) => Layers(_checked, granularity);

    /// <summary>
    /// Pruned layers over float32 modules on the checked device: the device's own where it is not the CPU, else the
    /// CPU reference set (whose float32 weights take the fast path in <see cref="PrunedLayer.UpdateMask()"/>).
    /// </summary>
    public PrunedLayer[] TimedLayers(Granularity granularity) => Layers(_dtype == ScalarType.Float32 ? _checked : _reference, granularity);

    /// <summary>The device the timed layers live on.</summary>
    public Device TimedDevice => _dtype == ScalarType.Float32 ? _device : CPU;

    public void Dispose()
    {
        foreach (var module in _reference.Concat(_checked)) module.Dispose();
    }

    private PrunedLayer[] Layers(nn.Module[] modules, Granularity granularity)
    {
        var layers = new PrunedLayer[modules.Length];
        for (var index = 0; index < modules.Length; index++)
        {
            var shape = Shapes[index];
            var layerGranularity = shape.Kind == LayerKind.Linear ? LinearAnalogue(granularity) : granularity;
            var layer = new ModuleLayer(shape.Name, shape.Kind, new PruneSettings(layerGranularity, Sparsity), modules[index]);

            // Masks stay on the modules from one granularity to the next; all ones is the same as none (nothing pruned
            // yet). The Scalar is held by `using`: TorchSharp 0.107 does not keep an implicit one alive during the call.
            using (no_grad())
            {
                using var one = 1.0.ToScalar();
                layer.Mask?.fill_(one);
            }

            layers[index] = layer;
        }

        return layers;
    }

    private static nn.Module CreateModule(LayerShape shape, Device device, ScalarType dtype)
    {
        var (outputs, inputs) = (shape.Shape[0], shape.Shape[1]);
        if (shape.Kind == LayerKind.Linear) return nn.Linear(inputs, outputs, device: device, dtype: dtype);
        var kernel = shape.Shape[2];
        return nn.Conv2d(inputs, outputs, kernel, stride: shape.Stride, padding: kernel / 2, bias: false, device: device, dtype: dtype);
    }

    private static Tensor WeightOf(nn.Module module) => module switch
    {
        TorchSharp.Modules.Linear linear => linear.weight!,
        TorchSharp.Modules.Convolution convolution => convolution.weight!,
        _ => throw new InvalidOperationException($"{module.GetType().Name} has no weight."),
    };
}
