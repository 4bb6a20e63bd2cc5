// Small models for the tree's naming, precedence and dedupe cases.
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.RealModels;

/// <summary>A block class as today's generator handles it (direct fields only), to be nested in a plain model.</summary>
[Prune(Granularity.Kernel, 0.5)]
public sealed partial class AnnotatedBlock : Module<Tensor, Tensor>
{
    [Prune(Granularity.Filter, 0.25)] private readonly Conv2d conv1 = Conv2d(4, 8, 3, padding: 1);
    private readonly Conv2d conv2 = Conv2d(8, 8, 3, padding: 1);
    private readonly Linear proj = Linear(8, 8); // Kernel does not apply to Linear: the block does not declare it

    public AnnotatedBlock() : base(nameof(AnnotatedBlock)) => RegisterComponents();

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = conv2.forward(functional.relu(conv1.forward(x)));
        return proj.forward(y.mean([2, 3])).MoveToOuterDisposeScope();
    }
}

/// <summary>Layers held by an auto-property and by a field renamed with [ComponentName]: TorchSharp registers them under those names.</summary>
public sealed class RenamedFieldsNet : Module<Tensor, Tensor>
{
    [ComponentName(Name = "first")]
    private readonly Conv2d conv = Conv2d(3, 8, 3);

    public RenamedFieldsNet() : base(nameof(RenamedFieldsNet)) => RegisterComponents();

    public Conv2d Second { get; } = Conv2d(8, 8, 3);

    public Linear Head { get; } = Linear(8, 4);

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return Head.forward(Second.forward(conv.forward(x)).mean([2, 3])).MoveToOuterDisposeScope();
    }
}

/// <summary>As TorchSharpExamples writes ResNet: blocks and the classifier in one Sequential, the blocks' layers in Sequentials.</summary>
public sealed class ExamplesStyleNet : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> layers;

    public ExamplesStyleNet() : base(nameof(ExamplesStyleNet))
    {
        layers = Sequential(
            ("conv2d-first", Conv2d(3, 8, 3, padding: 1)),
            ("relu-first", ReLU()),
            ("blck-8-0", Sequential(("blck-8-0-conv2d-1", Conv2d(8, 8, 3, padding: 1)), ("blck-8-0-relu-1", ReLU()))),
            ("avgpool", AdaptiveAvgPool2d(1)),
            ("flatten", Flatten()),
            ("linear", Linear(8, 10)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => layers.forward(input);
}

/// <summary>Layers in a ModuleList and a ModuleDict, registered as "convs.0" and "heads.age".</summary>
public sealed class MultiHeadNet : Module<Tensor, Tensor>
{
    private readonly ModuleList<Conv2d> convs = ModuleList(Conv2d(3, 8, 3), Conv2d(8, 8, 3));
    private readonly ModuleDict<Linear> heads = ModuleDict(("age", Linear(8, 1)), ("label", Linear(8, 5)));

    public MultiHeadNet() : base(nameof(MultiHeadNet)) => RegisterComponents();

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        foreach (var conv in convs) x = functional.relu(conv.forward(x));
        return heads["label"].forward(x.mean([2, 3])).MoveToOuterDisposeScope();
    }
}

/// <summary>Every other layer kind: 1-D and 3-D convolutions and the three transposed ones, one of them grouped.</summary>
public sealed class EveryKindNet : Module<Tensor, Tensor>
{
    private readonly Sequential signal = Sequential(("conv", Conv1d(2, 8, 3)), ("up", ConvTranspose1d(8, 4, 3)));
    private readonly Sequential volume = Sequential(("conv", Conv3d(2, 8, 3)), ("up", ConvTranspose3d(8, 4, 3)));
    private readonly Sequential image = Sequential(("up", ConvTranspose2d(4, 8, 3, groups: 2)), ("head", Conv2d(8, 4, 1)));

    public EveryKindNet() : base(nameof(EveryKindNet)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the layers are used.");
}
