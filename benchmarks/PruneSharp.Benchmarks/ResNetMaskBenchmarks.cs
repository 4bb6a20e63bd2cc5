using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace PruneSharp.Benchmarks;

/// <summary>
/// One mask update of every conv and linear weight of ResNet-18 or ResNet-50 (≈11.7 M / 25.5 M weights) at sparsity
/// 0.5, per granularity: PruneSharp's CPU fast path (PrunedLayer.UpdateMask on float32 CPU layers), the naive
/// TorchSharp op chain, and one SumOfMagnitudes pass per weight as the memory floor. The linear classifier takes Row
/// for Filter and Weight for Kernel; 2:4 skips the stem conv, whose 3 input channels do not split into runs of 4.
/// </summary>
[MemoryDiagnoser]
public class ResNetMaskBenchmarks
{
    private readonly List<nn.Module> _modules = [];
    private readonly List<PrunedLayer> _layers = [];
    private readonly List<float[]> _weights = [];

    [Params("ResNet-18", "ResNet-50")]
    public string Network { get; set; } = "";

    [Params("Weight", "Kernel", "Filter", "2:4")]
    public string Granularity { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(3);
        var shapes = Network == "ResNet-18" ? ResNetShapes.ResNet18() : ResNetShapes.ResNet50();
        for (var index = 0; index < shapes.Count; index++)
        {
            var shape = shapes[index];
            var isLinear = shape.Length == 2;
            if (Granularity == "2:4" && shape[1] % 4 != 0) continue;
            nn.Module module = isLinear ? nn.Linear(shape[1], shape[0]) : nn.Conv2d(shape[1], shape[0], (shape[2], shape[3]));
            var kind = isLinear ? LayerKind.Linear : LayerKind.Conv2d;
            var settings = Granularity switch
            {
                "2:4" => PruneSettings.NOfM(2, 4),
                "Weight" => new PruneSettings(PruneSharp.Granularity.Weight, 0.5),
                "Kernel" => new PruneSettings(isLinear ? PruneSharp.Granularity.Weight : PruneSharp.Granularity.Kernel, 0.5),
                _ => new PruneSettings(isLinear ? PruneSharp.Granularity.Row : PruneSharp.Granularity.Filter, 0.5),
            };
            var layer = new BenchmarkLayer($"layer{index}", kind, settings, module);
            _modules.Add(module);
            _layers.Add(layer);
            _weights.Add(MemoryMarshal.Cast<byte, float>(layer.Weight.bytes).ToArray());
            layer.UpdateMask();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var module in _modules) module.Dispose();
    }

    [Benchmark(Description = "fast path")]
    public void FastPath()
    {
        foreach (var layer in _layers) layer.UpdateMask(0.5);
    }

    [Benchmark(Description = "naive torch chain")]
    public void NaiveTorch()
    {
        foreach (var layer in _layers)
        {
            using var scope = NewDisposeScope();
            var weight = layer.Weight.detach();
            if (layer.Granularity == PruneSharp.Granularity.NOfM)
            {
                // abs → runs of 4 along the input channels → the 2 smallest of each run → zeros scattered into ones.
                var runs = weight.abs().movedim(new long[] { 1 }, new long[] { -1 }).reshape(-1, 4);
                var smallest = runs.topk(2, dim: 1, largest: false).indexes;
                var mask = ones_like(runs).scatter_(1, smallest, zeros_like(smallest, dtype: ScalarType.Float32));
                _ = mask.sum().item<float>();
                continue;
            }

            var axes = Enumerable.Range(1, (int)weight.dim()).Where(layer.ReducedDims.Contains).Select(axis => (long)axis).ToArray();
            var scores = weight.abs().unsqueeze(0);
            if (axes.Length > 0) scores = scores.mean(axes, keepdim: true);
            var flat = scores.flatten();
            var k = Math.Max(1, (int)Math.Round(0.5 * flat.numel(), MidpointRounding.ToEven));
            var threshold = flat.kthvalue(k, 0).values;
            var full = scores.gt(threshold).expand(new long[] { 1 }.Concat(weight.shape).ToArray()).squeeze(0).to(ScalarType.Float32);
            _ = full[0].sum().item<float>();
        }
    }

    [Benchmark(Baseline = true, Description = "SumOfMagnitudes floor")]
    public float Floor()
    {
        var total = 0f;
        foreach (var weights in _weights) total += TensorPrimitives.SumOfMagnitudes(weights);
        return total;
    }

    private sealed class BenchmarkLayer(string name, LayerKind kind, PruneSettings settings, nn.Module module) : PrunedLayer(name, kind, settings)
    {
        public override nn.Module Layer => module;

        public override Parameter Weight => module is Linear linear ? linear.weight! : ((Convolution)module).weight!;
    }
}
