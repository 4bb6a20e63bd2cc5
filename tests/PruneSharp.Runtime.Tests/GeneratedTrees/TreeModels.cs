// Models whose [Prune] reaches into containers and blocks, built in code the generator reads: GeneratedTreeTests run
// their generated code, and the same file is the source of the generator's snapshots (typed layers for the layers
// whose path and shape the code shows).
using System.Collections.Generic;
using PruneSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.GeneratedTrees;

/// <summary>[Prune] on an inline Sequential, on a ModuleList with a selection, and the class-level rule over a ModuleDict, a plain array and the rest.</summary>
[Prune(Granularity.Weight, 0.4)]
public sealed partial class ContainerNet : Module<Tensor, Tensor>
{
    [Prune(Granularity.Filter, 0.25)]
    private readonly Sequential features = Sequential(("conv1", Conv2d(3, 16, 3, padding: 1)), ("relu1", ReLU()), ("conv2", Conv2d(16, 32, 3, padding: 1)));

    [Prune(Granularity.Row, 0.5, Exclude = ["heads.1"])]
    private readonly ModuleList<Linear> heads = ModuleList(Linear(32, 16), Linear(16, 16));

    private readonly ModuleDict<Conv1d> signals = ModuleDict(("left", Conv1d(2, 4, 3)), ("right", Conv1d(2, 4, 5)));

    private readonly Conv2d[] extras = [Conv2d(32, 32, 1), Conv2d(32, 32, 1)];

    private readonly Linear classifier = Linear(16, 10);

    public ContainerNet() : base(nameof(ContainerNet)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = features.forward(input);
        foreach (var extra in extras) x = functional.relu(extra.forward(x));
        var pooled = x.mean([2, 3]);
        return classifier.forward(heads[1].forward(heads[0].forward(pooled))).MoveToOuterDisposeScope();
    }
}

/// <summary>A block class without [Prune], built with constant arguments: its layers' shapes come from them.</summary>
public sealed class Stage : Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d norm;

    public Stage(long input, long output)
        : base(nameof(Stage))
    {
        conv = Conv2d(input, output, 3, padding: 1);
        norm = BatchNorm2d(output);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => functional.relu(norm.forward(conv.forward(input)));
}

/// <summary>The class-level [Prune] over stages built in a loop over a constant array: every convolution gets a typed member with its shape.</summary>
[Prune(Granularity.Filter, 0.5)]
public sealed partial class TowerNet : Module<Tensor, Tensor>
{
    private static readonly long[] Widths = [8, 16, 32];

    private readonly Sequential stages;
    private readonly Linear head = Linear(32, 10);

    public TowerNet()
        : base(nameof(TowerNet))
    {
        var modules = new List<(string, Module<Tensor, Tensor>)>();
        long channels = 3;
        for (var index = 0; index < Widths.Length; index++)
        {
            modules.Add(($"stage{index}", new Stage(channels, Widths[index])));
            channels = Widths[index];
        }

        stages = Sequential(modules);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return head.forward(stages.forward(input).mean([2, 3])).MoveToOuterDisposeScope();
    }
}

/// <summary>A block with its own [Prune]: its declarations win for its layers, inside any model.</summary>
[Prune(Granularity.Kernel, 0.5)]
public sealed partial class ResidualBlock : Module<Tensor, Tensor>
{
    [Prune(Granularity.Filter, 0.25)]
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear gate;

    public ResidualBlock(long channels)
        : base(nameof(ResidualBlock))
    {
        conv1 = Conv2d(channels, channels, 3, padding: 1);
        conv2 = Conv2d(channels, channels, 3, padding: 1);
        gate = Linear(channels, channels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var y = conv2.forward(functional.relu(conv1.forward(input)));
        var weights = functional.sigmoid(gate.forward(y.mean([2, 3]))).unsqueeze(-1).unsqueeze(-1);
        return (input + y * weights).MoveToOuterDisposeScope();
    }
}

/// <summary>[Prune] only at the top of a model of [Prune] blocks: the blocks' declarations win, the top's reaches the rest.</summary>
[Prune(Granularity.Weight, 0.3)]
public sealed partial class NestedNet : Module<Tensor, Tensor>
{
    private readonly Conv2d stem = Conv2d(3, 8, 3, padding: 1);
    private readonly Sequential blocks = Sequential(new ResidualBlock(8), new ResidualBlock(8));
    private readonly Linear head = Linear(8, 10);

    public NestedNet() : base(nameof(NestedNet)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return head.forward(blocks.forward(functional.relu(stem.forward(input))).mean([2, 3])).MoveToOuterDisposeScope();
    }
}
