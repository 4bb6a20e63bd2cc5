using BenchmarkDotNet.Attributes;
using PruneSharp;
using PruneSharp.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Benchmarks;

/// <summary>
/// What the training-loop hook (<see cref="Sparsifier"/>) costs per step, against one training step (forward,
/// backward, Adam) of the Fashion-MNIST sample's CNN on a batch of 64 (issue 5's target: at most 3 %).
/// <list type="bullet">
/// <item><b>apply</b>: a step whose scheduled sparsity did not change, which is most steps: the masks are multiplied in.</item>
/// <item><b>update</b>: a step whose scheduled sparsity changed: every mask is recomputed, then applied. With
/// <see cref="Sparsifier.UpdateEvery"/> = k a smooth schedule pays this once every k steps.</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
public class TrainingOverheadBenchmarks
{
    private SampleCnn _model = null!;
    private optim.Optimizer _optimizer = null!;
    private Sparsifier _sparsifier = null!;
    private Tensor _input = null!;
    private Tensor _target = null!;
    private bool _flip;

    /// <summary>Structured (Filter on the convolutions, Row on fc1) or unstructured (Weight everywhere) pruning.</summary>
    // A string, not the enum: BenchmarkDotNet's generated project sees the generator's copy of the enum too.
    [Params("Filter", "Weight")]
    public string Granularity { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(1);
        _model = new SampleCnn(Enum.Parse<PruneSharp.Granularity>(Granularity));
        _optimizer = optim.Adam(_model.parameters(), 1e-3);
        _sparsifier = new Sparsifier(_model.Layers, _ => SparsitySchedule.Create(Schedule.Agp, 0.7));
        _input = randn(64, 1, 28, 28);
        _target = randint(0, 10, [64]);
        _sparsifier.Update(0.5);   // masks exist, as in the middle of training
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sparsifier.Dispose();
        _optimizer.Dispose();
        _model.Dispose();
        _input.Dispose();
        _target.Dispose();
    }

    [Benchmark(Baseline = true, Description = "training step")]
    public void TrainingStep()
    {
        using var scope = NewDisposeScope();
        _optimizer.zero_grad();
        var loss = functional.cross_entropy(_model.forward(_input), _target);
        loss.backward();
        _optimizer.step();
    }

    [Benchmark(Description = "training step + hook (apply)")]
    public void TrainingStepWithApply()
    {
        TrainingStep();
        _sparsifier.Update(0.5);
    }

    [Benchmark(Description = "training step + hook (update)")]
    public void TrainingStepWithUpdate()
    {
        TrainingStep();
        HookUpdate();
    }

    [Benchmark(Description = "hook (apply) alone")]
    public void HookApply() => _sparsifier.Update(0.5);

    [Benchmark(Description = "hook (update) alone")]
    public void HookUpdate()
    {
        // Two progress values with different AGP sparsities: every call recomputes every mask.
        _flip = !_flip;
        _sparsifier.Update(_flip ? 0.5 : 0.51);
    }

    /// <summary>
    /// The sample's CNN (samples/FashionMnist/FashionCnn.cs: 28×28 → conv 1→16 3×3 → pool → conv 16→32 3×3 → pool →
    /// 800 → 128 → 10) with its pruned layers built by hand, as this project does not run the generator.
    /// </summary>
    private sealed class SampleCnn : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1 = Conv2d(1, 16, 3);
        private readonly Conv2d conv2 = Conv2d(16, 32, 3);
        private readonly Linear fc1 = Linear(32 * 5 * 5, 128);
        private readonly Linear fc2 = Linear(128, 10);

        public SampleCnn(PruneSharp.Granularity granularity) : base(nameof(SampleCnn))
        {
            RegisterComponents();
            var convGranularity = granularity;
            var linearGranularity = granularity == PruneSharp.Granularity.Filter ? PruneSharp.Granularity.Row : granularity;
            Layers =
            [
                new BenchPrunedLayer("conv1", LayerKind.Conv2d, conv1, () => conv1.weight!, new PruneSettings(convGranularity, 0.7)),
                new BenchPrunedLayer("conv2", LayerKind.Conv2d, conv2, () => conv2.weight!, new PruneSettings(convGranularity, 0.7)),
                new BenchPrunedLayer("fc1", LayerKind.Linear, fc1, () => fc1.weight!, new PruneSettings(linearGranularity, 0.7)),
            ];
        }

        public IReadOnlyList<PrunedLayer> Layers { get; }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var x = functional.max_pool2d(functional.relu(conv1.forward(input)), 2);
            x = functional.max_pool2d(functional.relu(conv2.forward(x)), 2);
            x = functional.relu(fc1.forward(x.flatten(1)));
            return fc2.forward(x).MoveToOuterDisposeScope();
        }
    }

    private sealed class BenchPrunedLayer(string name, LayerKind kind, Module layer, Func<Parameter> weight, PruneSettings settings)
        : PrunedLayer(name, kind, settings)
    {
        public override Module Layer => layer;

        public override Parameter Weight => weight();
    }
}
