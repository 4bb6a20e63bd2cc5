using PruneSharp.Tests.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests;

/// <summary>
/// One model from several threads: passes over the model and over single layers, applying and reporting, 200 rounds
/// on the CPU fast path (float32) and on the torch path (float64). Every call succeeds, the masks are those of a
/// single-threaded run, and passes over overlapping layer sets in opposite orders never deadlock.
/// </summary>
public sealed class ConcurrencyTests
{
    private const int Rounds = 200;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Two_threads_on_one_model_for_200_rounds_give_the_single_threaded_masks(ScalarType dtype)
    {
        using var shared = new ConcurrencyModel(dtype, seed: 11);
        using var alone = new ConcurrencyModel(dtype, seed: 11);
        alone.ComputeMasks();
        alone.ApplyMasks();
        alone.ComputeMasks();
        var expectedPruned = alone.GetSparsityReport().Layers.Select(layer => layer.PrunedGroups).ToArray();

        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var start = new Barrier(2);
        var modelPasses = new Thread(() => Run(failures, start, () =>
        {
            shared.ComputeMasks();
            var pruned = shared.GetSparsityReport().Layers.Select(layer => layer.PrunedGroups).ToArray();
            if (!pruned.SequenceEqual(expectedPruned)) throw new InvalidOperationException($"pruned groups {string.Join(",", pruned)}, expected {string.Join(",", expectedPruned)}");
        }));
        var layerPasses = new Thread(() => Run(failures, start, () =>
        {
            // Single-layer passes in reverse order, overlapping the model's pass, and the masks applied.
            foreach (var layer in shared.PrunedLayers.Reverse()) layer.UpdateMask();
            shared.ApplyMasks();
        }));
        modelPasses.Start();
        layerPasses.Start();
        Assert.True(modelPasses.Join(Patience) && layerPasses.Join(Patience), "the threads did not finish: a deadlock");
        Assert.Empty(failures);

        shared.ComputeMasks();
        for (var index = 0; index < alone.PrunedLayers.Count; index++)
        {
            Assert.True(TensorAssert.Same(alone.PrunedLayers[index].Mask!, shared.PrunedLayers[index].Mask!), alone.PrunedLayers[index].Name);
        }
    }

    [Fact]
    public void Passes_over_overlapping_layer_sets_in_opposite_orders_never_deadlock()
    {
        // Without one global lock order, thread 1 holding a and waiting for b while thread 2 holds b and waits for a
        // would hang: the passes order the locks by the layers' creation, whatever order they are given in.
        using var model = new ConcurrencyModel(ScalarType.Float32, seed: 5);
        var layers = model.PrunedLayers;
        PrunedLayer[] forward = [layers[0], layers[1], layers[2]];
        PrunedLayer[] backward = [layers[2], layers[1], layers[0]];
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var start = new Barrier(2);
        var first = new Thread(() => Run(failures, start, () => MaskPass.ComputeMasks(forward, [0.5, 0.4, 0.5])));
        var second = new Thread(() => Run(failures, start, () => MaskPass.ComputeMasks(backward, [0.5, 0.4, 0.5])));
        first.Start();
        second.Start();
        Assert.True(first.Join(Patience) && second.Join(Patience), "the threads did not finish: a deadlock");
        Assert.Empty(failures);
    }

    [Fact]
    public void A_model_computes_its_masks_while_another_models_layer_is_locked()
    {
        using var busy = new ConcurrencyModel(ScalarType.Float32, seed: 1);
        using var other = new ConcurrencyModel(ScalarType.Float32, seed: 2);
        var held = busy.PrunedLayers[0].State.Lock;
        held.Enter();
        try
        {
            // Different models share no lock: this returns while busy's layer is held by this thread's caller.
            var thread = new Thread(other.ComputeMasks);
            thread.Start();
            Assert.True(thread.Join(Patience));
            Assert.All(other.PrunedLayers, layer => Assert.NotNull(layer.Mask));
        }
        finally
        {
            held.Exit();
        }
    }

    private static void Run(System.Collections.Concurrent.ConcurrentQueue<Exception> failures, Barrier start, Action round)
    {
        try
        {
            start.SignalAndWait();
            for (var index = 0; index < Rounds; index++) round();
        }
        catch (Exception exception)
        {
            failures.Enqueue(exception);
        }
    }
}

/// <summary>Four layers on both CPU routes (group scores, N:M, element-wise) with a criterion that keeps a weight copy.</summary>
[Prune(Granularity.Kernel, 0.5)]
public sealed partial class ConcurrencyModel : Module<Tensor, Tensor>
{
    public readonly Conv2d conv1 = Conv2d(8, 16, 3);
    [Prune(Granularity.Filter, 0.4)] public readonly Conv2d conv2 = Conv2d(16, 16, 3);
    [Prune(2, 4)] public readonly Conv2d conv3 = Conv2d(16, 8, 1);
    [Prune(Granularity.Weight, 0.6, Criterion = Criterion.UpdatingMovement)] public readonly Linear fc = Linear(32, 10);

    public ConcurrencyModel(ScalarType dtype, int seed) : base(nameof(ConcurrencyModel))
    {
        RegisterComponents();
        this.to(dtype);
        var random = new Random(seed);
        foreach (var layer in PrunedLayers)
        {
            var values = Enumerable.Range(0, (int)layer.Weight.numel()).Select(_ => random.Next(-64, 65) / 64f).ToArray();
            using var source = tensor(values).reshape(layer.Weight.shape);
            using (no_grad()) layer.Weight.copy_(source);
        }
    }

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}
