using System.Runtime.InteropServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Benchmarks;

/// <summary>
/// Every conv and linear weight of ResNet-18 or ResNet-50 at one granularity, two ways over the same modules: the layer
/// classes PruneSharp's generator wrote for the <c>[Prune]</c> model (<see cref="Generated"/>: the mask geometry as
/// constants) and hand-written bindings with no declared shape (<see cref="RuntimePlanned"/>: planned from the live shape
/// at the first update). Weights are N(0, 1), as <c>benchmarks/pytorch/resnet_masks.py</c> draws them.
/// </summary>
public sealed class ResNetLayers : IDisposable
{
    private readonly nn.Module _model;
    private readonly List<float[]> _held = [];

    /// <param name="network">"ResNet-18" or "ResNet-50".</param>
    /// <param name="granularity">"Weight", "Kernel", "Filter" or "2:4" (the classifier takes Weight, Weight, Row, 2:4).</param>
    public ResNetLayers(string network, string granularity)
    {
        _model = (network, granularity) switch
        {
            ("ResNet-18", "Weight") => new ResNet18Weight(),
            ("ResNet-18", "Kernel") => new ResNet18Kernel(),
            ("ResNet-18", "Filter") => new ResNet18Filter(),
            ("ResNet-18", "2:4") => new ResNet18TwoOfFour(),
            ("ResNet-50", "Weight") => new ResNet50Weight(),
            ("ResNet-50", "Kernel") => new ResNet50Kernel(),
            ("ResNet-50", "Filter") => new ResNet50Filter(),
            ("ResNet-50", "2:4") => new ResNet50TwoOfFour(),
            _ => throw new ArgumentException($"No model for {network} at {granularity}."),
        };

        manual_seed(3);
        Generated = [.. ((IPrunableModule)_model).PrunedLayers];
        foreach (var layer in Generated)
        {
            using (no_grad()) layer.Weight.normal_();
            RuntimePlanned.Add(new RuntimePlanLayer(layer.Name, layer.Kind, layer.Settings, layer.Layer));
        }
    }

    /// <summary>The generated layer classes, which hold their mask geometry.</summary>
    public PrunedLayer[] Generated { get; }

    /// <summary>The same layers bound by hand, without a declared shape or geometry.</summary>
    public List<PrunedLayer> RuntimePlanned { get; } = [];

    /// <summary>The weights' memory, for the floor and the first-mask plans.</summary>
    public static Span<float> Values(Tensor tensor) => MemoryMarshal.Cast<byte, float>(tensor.bytes);

    /// <summary>Masks every layer at 0.45 and keeps a copy, which <see cref="RestoreHeld"/> puts back before each growing update.</summary>
    public void HoldMasks(double sparsity)
    {
        foreach (var layer in Generated)
        {
            layer.UpdateMask(sparsity);
            _held.Add(Values(layer.Mask!).ToArray());
        }
    }

    /// <summary>Puts the held masks back (the masks a gradual schedule's previous step left).</summary>
    public void RestoreHeld()
    {
        for (var index = 0; index < Generated.Length; index++) _held[index].CopyTo(Values(Generated[index].Mask!));
    }

    public void Dispose() => _model.Dispose();

    /// <summary>A hand-written binding: the runtime plans its mask from the live shape at the first update.</summary>
    private sealed class RuntimePlanLayer(string name, LayerKind kind, PruneSettings settings, nn.Module module) : PrunedLayer(name, kind, settings)
    {
        public override nn.Module Layer => module;

        public override Parameter Weight => module is Linear linear ? linear.weight! : ((Convolution)module).weight!;
    }
}
