using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Samples.FashionMnist;

// The same small CNN twice, once per granularity the sample compares: [Prune] is read at compile time, so each
// granularity is its own class. The field names are the same, so one state dict loads into either. The target
// sparsity in the attributes is the largest the sample runs; the sample's AGP schedules set the others in code.
// The classifier fc2 is not pruned.

/// <summary>Structured pruning: whole filters of the convolutions, whole output neurons (rows) of fc1.</summary>
[Prune(Granularity.Filter, 0.9)]
public sealed partial class FilterPrunedCnn : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1 = Conv2d(1, 16, 3);
    private readonly Conv2d conv2 = Conv2d(16, 32, 3);
    [Prune(Granularity.Row, 0.9)] private readonly Linear fc1 = Linear(32 * 5 * 5, 128);
    private readonly Linear fc2 = Linear(128, 10);

    /// <summary>Creates the model with TorchSharp's default initialization.</summary>
    public FilterPrunedCnn() : base(nameof(FilterPrunedCnn)) => RegisterComponents();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => CnnForward.Run(conv1, conv2, fc1, fc2, input);
}

/// <summary>Unstructured pruning: single weights of every hidden layer.</summary>
/// <remarks>The attributes are on the fields: a class-level Weight would apply to the classifier fc2 as well.</remarks>
public sealed partial class WeightPrunedCnn : Module<Tensor, Tensor>
{
    [Prune(Granularity.Weight, 0.9)] private readonly Conv2d conv1 = Conv2d(1, 16, 3);
    [Prune(Granularity.Weight, 0.9)] private readonly Conv2d conv2 = Conv2d(16, 32, 3);
    [Prune(Granularity.Weight, 0.9)] private readonly Linear fc1 = Linear(32 * 5 * 5, 128);
    private readonly Linear fc2 = Linear(128, 10);

    /// <summary>Creates the model with TorchSharp's default initialization.</summary>
    public WeightPrunedCnn() : base(nameof(WeightPrunedCnn)) => RegisterComponents();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => CnnForward.Run(conv1, conv2, fc1, fc2, input);
}

/// <summary>The CNN's forward pass, shared by both classes: 28×28 → conv 3×3 → pool → conv 3×3 → pool → 128 → 10.</summary>
internal static class CnnForward
{
    public static Tensor Run(Conv2d conv1, Conv2d conv2, Linear fc1, Linear fc2, Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = functional.max_pool2d(functional.relu(conv1.forward(input)), 2);   // 26 → 13
        x = functional.max_pool2d(functional.relu(conv2.forward(x)), 2);           // 11 → 5
        x = functional.relu(fc1.forward(x.flatten(1)));
        return fc2.forward(x).MoveToOuterDisposeScope();
    }
}
