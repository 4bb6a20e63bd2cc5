using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests;

/// <summary>A class-level global scope reaches the generated ComputeMasks(), which ranks every layer together.</summary>
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
