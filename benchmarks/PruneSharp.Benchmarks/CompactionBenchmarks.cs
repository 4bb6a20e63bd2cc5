using BenchmarkDotNet.Attributes;
using PruneSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Benchmarks;

/// <summary>
/// CPU inference of the README's sample CNN, masked (full size, pruned filters and neurons zero) against compacted
/// (<c>Compact()</c>: the pruned filters and neurons removed), at the filter sparsity of <see cref="Sparsity"/>.
/// One batch of 64 images of 1 × 28 × 28, in eval mode, without autograd.
/// </summary>
[MemoryDiagnoser]
public class CompactionBenchmarks
{
    private CompactionBenchmarkCnn _masked = null!;
    private CompactionBenchmarkCnn _compacted = null!;
    private Tensor _input = null!;

    [Params(0.5, 0.7)]
    public double Sparsity { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _masked = Pruned(Sparsity);

        // Compact() shrinks a model in place: the compacted one is a second model, pruned the same way.
        _compacted = Pruned(Sparsity);
        _compacted.Compact();
        _input = randn(64, 1, 28, 28);
    }

    private static CompactionBenchmarkCnn Pruned(double sparsity)
    {
        manual_seed(1);
        var model = new CompactionBenchmarkCnn();
        model.eval();
        foreach (var layer in model.PrunedLayers) layer.UpdateMask(sparsity);
        model.ApplyMasks();
        model.ZeroPrunedChannels();
        return model;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _input.Dispose();
        _compacted.Dispose();
        _masked.Dispose();
    }

    [Benchmark(Baseline = true, Description = "masked")]
    public float Masked() => Infer(_masked);

    [Benchmark(Description = "compacted")]
    public float Compacted() => Infer(_compacted);

    private float Infer(CompactionBenchmarkCnn model)
    {
        using var noGrad = no_grad();
        using var output = model.forward(_input);
        return output[0, 0].item<float>();
    }
}

/// <summary>The README's sample CNN with every conv filter-pruned and the hidden Linear row-pruned.</summary>
[Prune(Granularity.Filter, 0.5)]
public sealed partial class CompactionBenchmarkCnn : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1 = Conv2d(1, 32, 3);
    private readonly Conv2d conv2 = Conv2d(32, 64, 3);
    [Prune(Granularity.Row, 0.5)] private readonly Linear fc1 = Linear(64 * 5 * 5, 128);
    private readonly Linear fc2 = Linear(128, 10);

    public CompactionBenchmarkCnn() : base(nameof(CompactionBenchmarkCnn)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = functional.max_pool2d(functional.relu(conv1.forward(input)), 2);
        x = functional.max_pool2d(functional.relu(conv2.forward(x)), 2);
        x = functional.relu(fc1.forward(x.flatten(1)));
        return fc2.forward(x).MoveToOuterDisposeScope();
    }
}
