using PruneSharp.Tests.Models;
using PruneSharp.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests;

/// <summary>
/// A class-level global scope reaches the generated ComputeMasks(), which ranks every layer together, and the
/// Sparsifier, which follows the class-level schedule for the whole model and ends with the same masks.
/// </summary>
public sealed class GlobalModelTests
{
    [Fact]
    public void Generated_ComputeMasks_of_a_global_model_ranks_all_layers_together()
    {
        using var model = new GlobalModel();
        var random = new Random(4);
        foreach (var layer in model.PrunedLayers)
        {
            GeneratedPathTests.SetWeights(layer, GeneratedPathTests.RandomWeights(random, layer.Weight.numel(), ties: false));
        }

        Assert.Equal(PruningScope.Global, model.PruningScope);
        model.ComputeMasks();
        var generated = model.PrunedLayers.Select(layer => layer.Mask!.data<float>().ToArray()).ToArray();

        var references = model.PrunedLayers.Select(layer => new ReferenceLayer(
            layer.Name, layer.Kind, layer.Weight.shape.Select(size => (int)size).ToArray(), 1, layer.Settings, layer.Weight.data<float>().ToArray())).ToList();
        var expected = ReferencePruning.GlobalMasks(references, 0.5)!;
        Assert.Equal(expected, generated);

        // 16 rows in all: round(0.5 × 16) = 8 pruned, spread by score rather than 3 + 5.
        Assert.Equal(8, model.GetSparsityReport().Layers.Sum(layer => layer.PrunedGroups));
    }

    [Fact]
    public void A_global_model_trained_with_a_Sparsifier_ends_with_the_masks_its_ComputeMasks_gives()
    {
        using var trained = new ScheduledGlobalModel();
        using (var hundredth = 0.01.ToScalar())
        using (no_grad())
        {
            trained.small.weight!.mul_(hundredth);   // small's rows rank below all of large's
        }

        using var sparsifier = new Sparsifier(trained);
        Assert.True(sparsifier.IsGlobal);
        using var optimizer = optim.SGD(trained.parameters(), 0.001);
        using var input = randn(16, 4);
        using var target = randn(16, 10);
        const int steps = 20;
        var sparsities = new List<double>();
        for (var step = 0; step < steps; step++)
        {
            using (var loss = functional.mse_loss(trained.call(input), target))
            {
                optimizer.zero_grad();
                loss.backward();
            }

            optimizer.step();
            sparsifier.Step(step, steps);
            sparsities.Add(sparsifier.ScheduledSparsity(0));
        }

        // One AGP schedule for the model (the class attribute's, from 0.2 to 0.8 of training), the same for every layer.
        Assert.Equal(0.0, sparsities[2]);
        Assert.True(sparsities[8] > 0 && sparsities[8] < 0.5, $"mid-schedule sparsity {sparsities[8]}");
        Assert.Equal(0.5, sparsities[^1]);
        Assert.Equal(0.5, sparsifier.ScheduledSparsity(1));

        // The same final weights in a fresh model (no masks held): its ComputeMasks() gives the trained masks.
        using var fresh = new ScheduledGlobalModel();
        using (no_grad())
        {
            fresh.small.weight!.copy_(trained.small.weight!);
            fresh.large.weight!.copy_(trained.large.weight!);
        }

        fresh.ComputeMasks();
        for (var index = 0; index < trained.PrunedLayers.Count; index++)
        {
            Assert.True(TensorAssert.Same(fresh.PrunedLayers[index].Mask!, trained.PrunedLayers[index].Mask!), trained.PrunedLayers[index].Name);
        }

        // Ranked globally: small gives all but its best row (5 of 6) and large 3 of 10, where local scope gives 3 + 5.
        Assert.Equal([5L, 3L], trained.GetSparsityReport().Layers.Select(layer => layer.PrunedGroups));
    }

    [Fact]
    public void Per_layer_schedules_are_refused_for_a_global_model_and_one_schedule_is_accepted()
    {
        using var model = new ScheduledGlobalModel();
        var error = Assert.Throws<ArgumentException>(() => new Sparsifier(model, layer => SparsitySchedule.FromSettings(layer.Settings)));
        Assert.Contains("global scope", error.Message);

        using var sparsifier = new Sparsifier(model, SparsitySchedule.Create(Schedule.OneShot, 0.25));
        sparsifier.Update(1.0);
        Assert.Equal(4, model.GetSparsityReport().Layers.Sum(layer => layer.PrunedGroups));
        Assert.Equal(2, sparsifier.MaskUpdates);
    }
}

// large is the model's output layer: a class-level [Prune] prunes it only where it says so.
[Prune(Granularity.Row, 0.5, Scope = PruningScope.Global, IncludeOutputLayer = true)]
public sealed partial class GlobalModel : Module<Tensor, Tensor>
{
    private readonly Linear small = Linear(4, 6);
    private readonly Linear large = Linear(4, 10);

    public GlobalModel() : base(nameof(GlobalModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => large.forward(input) + small.forward(input).sum();
}

// large is the model's output layer, as in GlobalModel.
[Prune(Granularity.Row, 0.5, Scope = PruningScope.Global, Schedule = Schedule.Agp, ScheduleStart = 0.2, ScheduleEnd = 0.8, IncludeOutputLayer = true)]
public sealed partial class ScheduledGlobalModel : Module<Tensor, Tensor>
{
    public readonly Linear small = Linear(4, 6);
    public readonly Linear large = Linear(4, 10);

    public ScheduledGlobalModel() : base(nameof(ScheduledGlobalModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => large.forward(input) + small.forward(input).sum(1, keepdim: true);
}
