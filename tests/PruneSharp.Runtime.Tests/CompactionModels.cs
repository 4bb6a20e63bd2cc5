// Models that PruneSharp's generator gives Compact() and ZeroPrunedChannels(); CompactionTests run them.
using PruneSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.Compaction;

/// <summary>The README's sample CNN: conv → relu → pool → conv → relu → pool → flatten → linear → relu → linear.</summary>
[Prune(Granularity.Filter, 0.5)]
public sealed partial class SampleCnn : Module<Tensor, Tensor>
{
    public readonly Conv2d conv1 = Conv2d(1, 32, 3);
    public readonly Conv2d conv2 = Conv2d(32, 64, 3);
    [Prune(Granularity.Row, 0.5)] public readonly Linear fc1 = Linear(64 * 5 * 5, 128);
    public readonly Linear fc2 = Linear(128, 10);

    public SampleCnn() : base(nameof(SampleCnn)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = functional.max_pool2d(functional.relu(conv1.forward(input)), 2);   // 28 → 26 → 13
        x = functional.max_pool2d(functional.relu(conv2.forward(x)), 2);           // 13 → 11 → 5
        x = functional.relu(fc1.forward(x.flatten(1)));
        return fc2.forward(x).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The sample CNN with a BatchNorm after every pruned layer, module activations and pooling, a padded conv, and a
/// Flatten module.
/// </summary>
[Prune(Granularity.Filter, 0.5)]
public sealed partial class BatchNormCnn : Module<Tensor, Tensor>
{
    public readonly Conv2d conv1 = Conv2d(1, 32, 3);
    public readonly BatchNorm2d bn1 = BatchNorm2d(32);
    public readonly Conv2d conv2 = Conv2d(32, 64, 3, padding: 1);
    public readonly BatchNorm2d bn2 = BatchNorm2d(64);
    public readonly ReLU relu = ReLU();
    public readonly MaxPool2d pool = MaxPool2d(2);
    public readonly Flatten flatten = Flatten();
    [Prune(Granularity.Row, 0.5)] public readonly Linear fc1 = Linear(64 * 6 * 6, 128);
    public readonly BatchNorm1d bn3 = BatchNorm1d(128);
    public readonly Linear fc2 = Linear(128, 10);

    public BatchNormCnn() : base(nameof(BatchNormCnn)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        var x = pool.forward(relu.forward(bn1.forward(conv1.forward(input))));   // 28 → 26 → 13
        x = pool.forward(relu.forward(bn2.forward(conv2.forward(x))));           // 13 → 13 → 6
        x = functional.relu(bn3.forward(fc1.forward(flatten.forward(x))));
        return fc2.forward(x);
    }
}

/// <summary>
/// A ResNet-style network: a stem, one basic block whose output is added to its input (the residual connection
/// couples the stem's filters with the block's second conv), a strided conv, global average pooling and a classifier.
/// </summary>
[Prune(Granularity.Filter, 0.5)]
public sealed partial class ResidualNet : Module<Tensor, Tensor>
{
    public readonly Conv2d stem = Conv2d(3, 16, 3, padding: 1);
    public readonly BatchNorm2d stemBn = BatchNorm2d(16);
    public readonly Conv2d blockConv1 = Conv2d(16, 16, 3, padding: 1);
    public readonly BatchNorm2d blockBn1 = BatchNorm2d(16);
    public readonly Conv2d blockConv2 = Conv2d(16, 16, 3, padding: 1);
    public readonly BatchNorm2d blockBn2 = BatchNorm2d(16);
    public readonly Conv2d head = Conv2d(16, 32, 3, stride: 2, padding: 1);
    public readonly Linear fc = Linear(32, 10);

    public ResidualNet() : base(nameof(ResidualNet)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        var x = functional.relu(stemBn.forward(stem.forward(input)));
        var y = functional.relu(blockBn1.forward(blockConv1.forward(x)));
        y = blockBn2.forward(blockConv2.forward(y));
        x = functional.relu(x + y);
        x = functional.relu(head.forward(x));
        return fc.forward(x.mean([2L, 3L]));
    }
}

/// <summary>
/// An MLP whose classifier's input neurons are pruned (Column): the hidden layer, not pruned itself, loses the
/// output neurons that nothing reads any more.
/// </summary>
public sealed partial class ColumnPrunedMlp : Module<Tensor, Tensor>
{
    public readonly Linear hidden = Linear(20, 32);
    [Prune(Granularity.Column, 0.5)] public readonly Linear classifier = Linear(32, 10);

    public ColumnPrunedMlp() : base(nameof(ColumnPrunedMlp)) => RegisterComponents();

    public override Tensor forward(Tensor input) => classifier.forward(functional.relu(hidden.forward(input)));
}
