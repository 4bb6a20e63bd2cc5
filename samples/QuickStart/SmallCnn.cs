using PruneSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Samples.QuickStart;

/// <summary>A small CNN for 28×28 grey images, pruned as its attributes declare.</summary>
[Prune(Granularity.Filter, 0.3)]                 // default for every Conv2d field
public sealed partial class SmallCnn : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1 = Conv2d(1, 32, 3);
    [Prune(Granularity.Kernel, 0.5)] private readonly Conv2d conv2 = Conv2d(32, 64, 3);
    [Prune(Granularity.Row, 0.2)] private readonly Linear fc1 = Linear(64 * 5 * 5, 128);
    private readonly Linear fc2 = Linear(128, 10);  // the classifier: a class-level Filter does not apply to Linear

    public SmallCnn() : base(nameof(SmallCnn))
    {
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = functional.max_pool2d(functional.relu(conv1.forward(input)), 2);   // 26 → 13
        x = functional.max_pool2d(functional.relu(conv2.forward(x)), 2);           // 11 → 5
        x = functional.relu(fc1.forward(x.flatten(1)));
        return fc2.forward(x).MoveToOuterDisposeScope();
    }
}
