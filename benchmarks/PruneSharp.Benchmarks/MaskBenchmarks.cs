using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using PruneSharp;
using static TorchSharp.torch;

namespace PruneSharp.Benchmarks;

/// <summary>
/// One layer's mask update at sparsity 0.5: the CPU fast path (<see cref="MaskPlan"/>), the naive TorchSharp op chain
/// (abs → mean over dims → kthvalue → compare → expand), and one SumOfMagnitudes pass over the same weights as the
/// memory floor.
/// </summary>
[MemoryDiagnoser]
public class MaskBenchmarks
{
    private Tensor _weight = null!;
    private float[] _weights = null!;
    private float[] _mask = null!;
    private MaskPlan _plan = null!;
    private long[] _reduceAxes = null!;

    /// <summary>ResNet shapes: a 3×3 conv of layer1, of layer4, and the ResNet-50 classifier.</summary>
    [Params("conv 64x64x3x3", "conv 512x512x3x3", "linear 1000x2048")]
    public string Shape { get; set; } = "";

    // A string, not the enum: BenchmarkDotNet's generated project sees the generator's copy of the enum too.
    [Params("Weight", "Kernel", "Filter")]
    public string Granularity { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var (kind, shape) = Shape switch
        {
            "conv 64x64x3x3" => (LayerKind.Conv2d, new long[] { 64, 64, 3, 3 }),
            "conv 512x512x3x3" => (LayerKind.Conv2d, new long[] { 512, 512, 3, 3 }),
            _ => (LayerKind.Linear, new long[] { 1000, 2048 }),
        };
        // Linear has no Kernel or Filter: the analogues are Weight and Row.
        var declared = Enum.Parse<PruneSharp.Granularity>(Granularity);
        var granularity = kind == LayerKind.Linear && declared != PruneSharp.Granularity.Weight ? PruneSharp.Granularity.Row : declared;
        Granularities.TryGetReducedDims(kind, granularity, out var dims);

        manual_seed(1);
        _weight = randn(shape);
        _weights = MemoryMarshal.Cast<byte, float>(_weight.bytes).ToArray();
        _mask = new float[_weights.Length];
        _plan = MaskPlan.Create("layer", shape.Select(size => (int)size).ToArray(), dims);
        _reduceAxes = Enumerable.Range(1, shape.Length).Where(dims.Contains).Select(axis => (long)axis).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _weight.Dispose();

    [Benchmark(Description = "fast path")]
    public int FastPath() => _plan.Compute(_weights, 0.5, _mask);

    [Benchmark(Description = "naive torch chain")]
    public float NaiveTorch()
    {
        using var scope = NewDisposeScope();
        var scores = _weight.abs().unsqueeze(0);
        if (_reduceAxes.Length > 0) scores = scores.mean(_reduceAxes, keepdim: true);
        var flat = scores.flatten();
        var k = Math.Max(1, (int)Math.Round(0.5 * flat.numel(), MidpointRounding.ToEven));
        var threshold = flat.kthvalue(k, 0).values;
        var mask = scores.gt(threshold).expand(new long[] { 1 }.Concat(_weight.shape).ToArray()).squeeze(0).to(ScalarType.Float32);
        return mask[0].sum().item<float>();
    }

    [Benchmark(Baseline = true, Description = "SumOfMagnitudes floor")]
    public float Floor() => TensorPrimitives.SumOfMagnitudes(_weights);
}
