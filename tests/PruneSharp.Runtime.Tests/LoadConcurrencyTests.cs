using System.Collections.Concurrent;
using PruneSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// Loads and rewinds against mask passes on another thread, 200 rounds each, on the CPU fast path (float32) and the
/// torch path (float64). A load or a rewind takes the layers' locks in the pass's order, so the other thread, whose
/// pass and check run under the same locks, sees the whole model before it or after it: every layer's weight and mask
/// from one state, never a mask or a model half-loaded, and no crash.
/// </summary>
public sealed class LoadConcurrencyTests : IDisposable
{
    private const int Rounds = 200;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    private readonly string _directory = Directory.CreateTempSubdirectory("prunesharp-load-threads-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Loads_on_one_thread_and_mask_passes_on_another_never_show_a_mix(ScalarType dtype)
    {
        // Two states with other weights and other masks, each a fixed point of the pass (its masks are what the pass
        // computes from its weights and masks), so a pass changes neither.
        var states = new ModelSnapshot[2];
        var files = new string[2];
        for (var index = 0; index < 2; index++)
        {
            using var source = new ConcurrencyModel(dtype, seed: 40 + index);
            source.ComputeMasks();
            files[index] = Path.Combine(_directory, $"state{index}.bin");
            PruningCheckpoint.Save(source, files[index]);
            states[index] = ModelSnapshot.Of(source);
        }

        Assert.False(states[0].MasksEqual(states[1]), "the two states must have other masks for this test to mean anything");
        using var model = new ConcurrencyModel(dtype, seed: 1);
        PruningCheckpoint.Load(model, files[0]);

        var seen = new int[2];
        var failures = new ConcurrentQueue<Exception>();
        using var start = new Barrier(2);
        var loads = new Thread(() => Run(failures, start, round => PruningCheckpoint.Load(model, files[(round + 1) % 2])));
        var passes = new Thread(() => Run(failures, start, _ =>
        {
            using var locks = LayerLocks.Enter([.. model.PrunedLayers]);
            model.ComputeMasks();
            seen[Observe(model, states)]++;
        }));
        loads.Start();
        passes.Start();
        Assert.True(loads.Join(Patience) && passes.Join(Patience), "the threads did not finish: a deadlock");
        Assert.Empty(failures);
        Assert.Equal(Rounds, seen.Sum());
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Rewinds_and_loads_on_one_thread_and_mask_passes_on_another_never_show_a_mix(ScalarType dtype)
    {
        using var model = new ConcurrencyModel(dtype, seed: 50);
        model.ComputeMasks();
        model.ApplyMasks();
        using var sparsifier = new Sparsifier(model);
        sparsifier.CaptureRewindPoint();
        var rewound = ModelSnapshot.Of(model);

        // The trained state: every weight doubled (exact, and still masked); its file is what the loads bring back.
        using (no_grad())
        {
            foreach (var layer in model.PrunedLayers) layer.Weight.mul_(2);
        }

        var trained = ModelSnapshot.Of(model);
        var path = Path.Combine(_directory, "trained.bin");
        PruningCheckpoint.Save(model, path);
        ModelSnapshot[] states = [rewound, trained];

        var seen = new int[2];
        var failures = new ConcurrentQueue<Exception>();
        using var start = new Barrier(2);
        var writes = new Thread(() => Run(failures, start, round =>
        {
            if (round % 2 == 0) sparsifier.Rewind();
            else PruningCheckpoint.Load(model, path);
        }));
        var passes = new Thread(() => Run(failures, start, _ =>
        {
            using var locks = LayerLocks.Enter([.. model.PrunedLayers]);
            model.ComputeMasks();
            seen[Observe(model, states)]++;
        }));
        writes.Start();
        passes.Start();
        Assert.True(writes.Join(Patience) && passes.Join(Patience), "the threads did not finish: a deadlock");
        Assert.Empty(failures);
        Assert.Equal(Rounds, seen.Sum());
    }

    /// <summary>Which of <paramref name="states"/> every layer of the model is in; throws where the layers disagree or match none.</summary>
    private static int Observe(ConcurrencyModel model, ModelSnapshot[] states)
    {
        var now = ModelSnapshot.Of(model);
        for (var index = 0; index < states.Length; index++)
        {
            if (now.Equals(states[index])) return index;
        }

        throw new InvalidOperationException($"a mix: layers in states [{string.Join(", ", now.LayerStates(states))}] (-1: none)");
    }

    private static void Run(ConcurrentQueue<Exception> failures, Barrier start, Action<int> round)
    {
        try
        {
            start.SignalAndWait();
            for (var index = 0; index < Rounds; index++) round(index);
        }
        catch (Exception exception)
        {
            failures.Enqueue(exception);
        }
    }

    /// <summary>Each pruned layer's weight, bias and mask, as float64 values.</summary>
    private sealed class ModelSnapshot
    {
        private readonly (double[] Weight, double[] Bias, double[] Mask)[] _layers;

        private ModelSnapshot((double[], double[], double[])[] layers) => _layers = layers;

        public static ModelSnapshot Of(ConcurrencyModel model) => new(model.PrunedLayers.Select(layer =>
        {
            var bias = layer.Layer.named_parameters().Single(entry => entry.name == "bias").parameter;
            return (Values(layer.Weight), Values(bias), Values(layer.Mask!));
        }).ToArray());

        public bool MasksEqual(ModelSnapshot other) => _layers.Zip(other._layers).All(pair => pair.First.Mask.SequenceEqual(pair.Second.Mask));

        public bool Equals(ModelSnapshot other) => Enumerable.Range(0, _layers.Length).All(index => LayerEquals(other, index));

        /// <summary>For each layer, the index of the first of <paramref name="states"/> it equals, or -1.</summary>
        public IEnumerable<int> LayerStates(ModelSnapshot[] states) =>
            Enumerable.Range(0, _layers.Length).Select(layer => Array.FindIndex(states, state => LayerEquals(state, layer)));

        private bool LayerEquals(ModelSnapshot other, int index) =>
            _layers[index].Weight.SequenceEqual(other._layers[index].Weight)
            && _layers[index].Bias.SequenceEqual(other._layers[index].Bias)
            && _layers[index].Mask.SequenceEqual(other._layers[index].Mask);

        private static double[] Values(Tensor tensor)
        {
            using var values = tensor.detach().to(ScalarType.Float64).cpu().contiguous();
            return values.data<double>().ToArray();
        }
    }
}
