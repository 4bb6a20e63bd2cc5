// Two model classes with [Prune] on a layer field, on the class, on a Sequential of block classes and on a plain array,
// and a block class with its own [Prune] inside the Sequential. The generator writes their IDeclaresPruning code
// (typed layers, one DeclarePruning, the IPrunableModule members forwarding to one PruningTree built on first use);
// TreePrecedenceTests check what it resolves to, and GeneratedTreeTests compare the generated code with the snapshot.
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.RealModels;

[Prune(Granularity.Filter, 0.2)]
public sealed partial class DeclaredBlock : Module<Tensor, Tensor>
{
    [Prune(Granularity.Channel, 0.5)]
    internal readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    internal readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    internal readonly Linear gate;                        // squeeze-and-excitation: Filter does not apply to Linear
    private readonly Module<Tensor, Tensor>? downsample;  // Sequential(1×1 Conv2d, BatchNorm2d) where the shape changes

    public DeclaredBlock(long input, long output, long stride = 1)
        : base(nameof(DeclaredBlock))
    {
        conv1 = Conv2d(input, output, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(output);
        conv2 = Conv2d(output, output, kernel_size: 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(output);
        gate = Linear(output, output);
        if (stride != 1 || input != output)
        {
            downsample = Sequential(Conv2d(input, output, kernel_size: 1, stride: stride, bias: false), BatchNorm2d(output));
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? x : downsample.forward(x);
        var y = bn2.forward(conv2.forward(functional.relu(bn1.forward(conv1.forward(x)))));
        var weights = functional.sigmoid(gate.forward(y.mean([2, 3]))).unsqueeze(-1).unsqueeze(-1);
        return functional.relu(y * weights + identity).MoveToOuterDisposeScope();
    }
}

[Prune(Granularity.Weight, 0.4)]
public sealed partial class DeclaredNet : Module<Tensor, Tensor>
{
    internal readonly Conv2d stem;
    [Prune(Granularity.Kernel, 0.5)]
    internal readonly Sequential stage;
    [Prune(Granularity.Filter, 0.25)]
    internal readonly Conv2d[] extras;                    // a plain array: TorchSharp does not register it
    internal readonly Linear head;                        // the output layer

    public DeclaredNet(long width = 8, int classes = 10)
        : base(nameof(DeclaredNet))
    {
        stem = Conv2d(3, width, kernel_size: 3, padding: 1);
        stage = Sequential(new DeclaredBlock(width, width * 2, stride: 2), new DeclaredBlock(width * 2, width * 2));
        extras = [Conv2d(width * 2, width * 2, kernel_size: 1), Conv2d(width * 2, width * 2, kernel_size: 1)];
        head = Linear(width * 2, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = stage.forward(functional.relu(stem.forward(input)));
        foreach (var extra in extras) x = functional.relu(extra.forward(x));
        return head.forward(x.mean([2, 3])).MoveToOuterDisposeScope();
    }
}
