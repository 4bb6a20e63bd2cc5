using BenchmarkDotNet.Attributes;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace PruneSharp.Benchmarks;

/// <summary>
/// One mask update of every conv and linear weight of ResNet-18 (21 weights, 11.7 M) or ResNet-50 (54 weights, 25.5 M),
/// on a mask held at 0.45 and grown to 0.5: the selection runs, as at every step of a gradual schedule. Each iteration
/// starts from the held masks with the caches flushed (one update per iteration). Rows: the generated layer classes
/// (their mask geometry), the same layers planned at run time, the naive TorchSharp chain, one pass reading the weights
/// and the held masks (the traffic bound, <see cref="TrafficBounds"/>), and one SumOfMagnitudes read of the same weights
/// (the floor, the ratio's baseline).
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1)]
[IterationCount(15)]
[WarmupCount(5)]
public class ResNetGrowingMaskBenchmarks
{
    private ResNetLayers _layers = null!;
    private TorchSharp.torch.Tensor[] _heldMasks = null!;
    private readonly byte[] _flush = new byte[64 << 20];

    [Params("ResNet-18", "ResNet-50")]
    public string Network { get; set; } = "";

    // A string, not the enum: BenchmarkDotNet's generated project sees the generator's copy of the enum too.
    [Params("Weight", "Kernel", "Filter", "2:4")]
    public string Granularity { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _layers = new ResNetLayers(Network, Granularity);
        _layers.HoldMasks(0.45);
        _heldMasks = [.. _layers.Generated.Select(layer => layer.Mask!)];
        foreach (var layer in _layers.RuntimePlanned) layer.UpdateMask(0.45);
    }

    [IterationSetup]
    public void RestoreHeldMasks()
    {
        _layers.RestoreHeld();
        Array.Fill(_flush, (byte)1); // 64 MB through the caches: the update reads its weights and masks from memory
    }

    [GlobalCleanup]
    public void Cleanup() => _layers.Dispose();

    [Benchmark(Description = "generated")]
    public void Generated()
    {
        foreach (var layer in _layers.Generated) layer.UpdateMask(0.5);
    }

    [Benchmark(Description = "runtime plan")]
    public void RuntimePlan()
    {
        foreach (var layer in _layers.RuntimePlanned) layer.UpdateMask(0.5);
    }

    [Benchmark(Description = "naive torch chain")]
    public void NaiveTorch()
    {
        foreach (var layer in _layers.Generated) NaiveTorchMasks.Compute(layer, 0.5, withHeld: true);
    }

    [Benchmark(Description = "bound: read weights and held masks")]
    public float Bound() => TrafficBounds.ReadWeightsAndMasks(_layers.Generated, _heldMasks);

    [Benchmark(Baseline = true, Description = "SumOfMagnitudes floor")]
    public float Floor()
    {
        var total = 0f;
        foreach (var layer in _layers.Generated) total += TensorPrimitives.SumOfMagnitudes(ResNetLayers.Values(layer.Weight));
        return total;
    }
}
