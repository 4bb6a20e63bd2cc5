// Small models for the training-loop, checkpoint and interop tests, pruned through the generated code.
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.Models;

// Both layers pruned: fc is the model's output layer, which a class-level [Prune] reaches only where it says so.
[Prune(Granularity.Weight, 0.5, IncludeOutputLayer = true)]
public sealed partial class TrainingNet : Module<Tensor, Tensor>
{
    public readonly Conv2d conv = Conv2d(1, 4, 3);          // [4, 1, 3, 3]
    public readonly Linear fc = Linear(4 * 4 * 4, 3);        // [3, 64]

    public TrainingNet() : base(nameof(TrainingNet)) => RegisterComponents();

    /// <summary>[N, 1, 6, 6] → [N, 3].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return fc.forward(functional.relu(conv.forward(input)).flatten(1)).MoveToOuterDisposeScope();
    }
}

[Prune(Granularity.Filter, 0.5)]
public sealed partial class FilterNet : Module<Tensor, Tensor>
{
    public readonly Conv2d conv = Conv2d(2, 6, 3);                       // [6, 2, 3, 3]
    [Prune(Granularity.Row, 0.25)] public readonly Linear fc = Linear(24, 8); // [8, 24]

    public FilterNet() : base(nameof(FilterNet)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only state is tested.");
}

/// <summary>A pruned layer built by hand, so a test can give it any <see cref="PruneSettings"/>.</summary>
public sealed class HandPrunedLinear(string name, Linear layer, PruneSettings settings) : PrunedLayer(name, LayerKind.Linear, settings)
{
    public override nn.Module Layer => layer;

    public override Parameter Weight => layer.weight!;
}

/// <summary>A model implementing <see cref="IPrunableModule"/> by hand over hand-built layers.</summary>
public sealed class HandPrunedModel : Module<Tensor, Tensor>, IPrunableModule
{
    private readonly Linear first = Linear(6, 5);
    private readonly Linear second = Linear(5, 4);
    private readonly PrunedLayer[] _layers;

    public HandPrunedModel(PruneSettings firstSettings, PruneSettings secondSettings) : base(nameof(HandPrunedModel))
    {
        RegisterComponents();
        _layers = [new HandPrunedLinear("first", first, firstSettings), new HandPrunedLinear("second", second, secondSettings)];
    }

    public IReadOnlyList<PrunedLayer> PrunedLayers => _layers;

    public PruningScope PruningScope => PruningScope.Local;

    public void ComputeMasks()
    {
        foreach (var layer in _layers) layer.UpdateMask();
    }

    public void ApplyMasks()
    {
        foreach (var layer in _layers) layer.ApplyMask();
    }

    public PruningReport GetSparsityReport() => PrunedLayer.Report(_layers);

    public override Tensor forward(Tensor input) => second.forward(functional.relu(first.forward(input)));
}

/// <summary>Exact tensor comparison for the training tests.</summary>
public static class TensorAssert
{
    /// <summary>Whether <paramref name="actual"/> has <paramref name="expected"/>'s shape and exactly its values.</summary>
    public static bool Same(Tensor expected, Tensor actual)
    {
        if (!expected.shape.SequenceEqual(actual.shape)) return false;
        using var equal = expected.eq(actual);
        using var all = equal.all();
        return all.item<bool>();
    }
}
