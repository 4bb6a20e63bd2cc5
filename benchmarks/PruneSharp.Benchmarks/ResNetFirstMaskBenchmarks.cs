using BenchmarkDotNet.Attributes;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace PruneSharp.Benchmarks;

/// <summary>
/// A first mask (none held) of every conv and linear weight of ResNet-18 or ResNet-50 at sparsity 0.5, computed into
/// mask memory that exists: the plans made from the generated layer classes' geometry, the plans the runtime works out
/// from the shapes, the naive TorchSharp chain (which allocates its masks), the traffic bound (<see cref="TrafficBounds"/>:
/// read the weights, then write the masks) and the SumOfMagnitudes floor. A layer's real first update also allocates its
/// mask buffer, once in the layer's life; that allocation (page faults on fresh memory) is the allocator's cost, not the
/// kernels', and is left out here.
/// </summary>
[MemoryDiagnoser]
[IterationCount(15)]
[WarmupCount(5)]
public class ResNetFirstMaskBenchmarks
{
    private ResNetLayers _layers = null!;
    private FirstMaskPlans _generated = null!;
    private FirstMaskPlans _runtime = null!;

    [Params("ResNet-18", "ResNet-50")]
    public string Network { get; set; } = "";

    [Params("Weight", "Kernel", "Filter", "2:4")]
    public string Granularity { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _layers = new ResNetLayers(Network, Granularity);
        _generated = FirstMaskPlans.FromGeneratedGeometry(_layers.Generated);
        _runtime = FirstMaskPlans.PlannedFromShapes(_layers.Generated);
    }

    [GlobalCleanup]
    public void Cleanup() => _layers.Dispose();

    [Benchmark(Description = "generated")]
    public void Generated() => _generated.Compute(0.5);

    [Benchmark(Description = "runtime plan")]
    public void RuntimePlan() => _runtime.Compute(0.5);

    [Benchmark(Description = "naive torch chain")]
    public void NaiveTorch()
    {
        foreach (var layer in _layers.Generated) NaiveTorchMasks.Compute(layer, 0.5, withHeld: false);
    }

    [Benchmark(Description = "bound: read weights, then write masks")]
    public float Bound() => _generated.ReadWeightsThenWriteMasks();

    [Benchmark(Baseline = true, Description = "SumOfMagnitudes floor")]
    public float Floor()
    {
        var total = 0f;
        foreach (var layer in _layers.Generated) total += TensorPrimitives.SumOfMagnitudes(ResNetLayers.Values(layer.Weight));
        return total;
    }
}
