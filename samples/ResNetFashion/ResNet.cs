// A ResNet for 28×28 grey images, written the way TorchSharp users write one (torchvision's resnet.py, CIFAR-style:
// a 3×3 stem without max-pooling, three stages): a BasicBlock class with a downsample branch, stages built in a loop
// into Sequentials, a classifier, constructors with parameters. The pruning is declared once, at the top: the two
// pruned models below derive from ResNet and differ only in their [Prune] (an attribute is read at compile time, so
// two declarations take two classes).
using System;
using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Samples.ResNetFashion;

/// <summary>ResNet's basic block: two 3×3 convolutions with BatchNorm, and the input (or a 1×1 downsample of it) added back.</summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Module<Tensor, Tensor> relu;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Module<Tensor, Tensor>? downsample;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="channels"/>; a stride or a change of width gets a downsample branch.</summary>
    public BasicBlock(long inChannels, long channels, long stride = 1)
        : base(nameof(BasicBlock))
    {
        conv1 = Conv2d(inChannels, channels, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(channels);
        relu = ReLU(inplace: true);
        conv2 = Conv2d(channels, channels, kernel_size: 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(channels);
        if (stride != 1 || inChannels != channels)
        {
            downsample = Sequential(Conv2d(inChannels, channels, kernel_size: 1, stride: stride, bias: false), BatchNorm2d(channels));
        }

        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? x : downsample.forward(x);
        var output = relu.forward(bn1.forward(conv1.forward(x)));
        output = bn2.forward(conv2.forward(output));
        return relu.forward(output.add_(identity)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The network: a 3×3 stem of <c>width</c> channels, three stages of <see cref="BasicBlock"/>s (<c>width</c>,
/// 2·<c>width</c>, 4·<c>width</c> channels, the last two starting with stride 2: 28 → 14 → 7 pixels), global average
/// pooling and a linear classifier.
/// </summary>
public class ResNet : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Module<Tensor, Tensor> relu;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Linear fc;

    /// <summary>A ResNet with <paramref name="blocksPerStage"/> blocks in each of its three stages.</summary>
    public ResNet(long width, int blocksPerStage, long classes, long inChannels = 1)
        : base(nameof(ResNet))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blocksPerStage, 1);
        conv1 = Conv2d(inChannels, width, kernel_size: 3, padding: 1, bias: false);
        bn1 = BatchNorm2d(width);
        relu = ReLU(inplace: true);
        layer1 = MakeStage(width, width, blocksPerStage, stride: 1);
        layer2 = MakeStage(width, width * 2, blocksPerStage, stride: 2);
        layer3 = MakeStage(width * 2, width * 4, blocksPerStage, stride: 2);
        avgpool = AdaptiveAvgPool2d(1);
        fc = Linear(width * 4, classes);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = relu.forward(bn1.forward(conv1.forward(x)));
        x = layer3.forward(layer2.forward(layer1.forward(x)));
        return fc.forward(avgpool.forward(x).flatten(1)).MoveToOuterDisposeScope();
    }

    private static Sequential MakeStage(long inChannels, long channels, int blocks, long stride)
    {
        var stage = new List<Module<Tensor, Tensor>> { new BasicBlock(inChannels, channels, stride) };
        for (var index = 1; index < blocks; index++) stage.Add(new BasicBlock(channels, channels));
        return Sequential(stage);
    }
}

// Why Taylor, summed over each filter: global scope ranks the filters of different layers against each other, so their
// scores must be comparable across layers. |w| is not: every convolution here is followed by a BatchNorm, which undoes
// any scale of its weights, and layers with more inputs start with smaller weights (Kaiming), so |w| ranks whole late
// stages below the early ones (in a short run of this sample with |w|, global scope took 63 of layer3.1.conv1's 64
// filters and none of layer1's). Taylor's (w·∂L/∂w)² does not change when a layer's weights are scaled ahead of a
// BatchNorm, and its sum over a filter estimates what removing the filter costs the loss (Molchanov et al., 2019).

/// <summary>
/// Every convolution pruned: 50 % of all filters, ranked together across layers (global scope) by Taylor importance,
/// reached gradually with AGP over the first 70 % of fine-tuning. The classifier <c>fc</c>, the model's output layer,
/// is left alone.
/// </summary>
[Prune(Granularity.Filter, 0.5, Scope = PruningScope.Global, Criterion = Criterion.Taylor, Reducer = Reducer.Sum, Schedule = Schedule.Agp, ScheduleStart = 0.0, ScheduleEnd = 0.7)]
public sealed partial class ResNetAllConvolutions : ResNet
{
    /// <inheritdoc cref="ResNet(long, int, long, long)"/>
    public ResNetAllConvolutions(long width, int blocksPerStage, long classes)
        : base(width, blocksPerStage, classes)
    {
    }
}

/// <summary>
/// Only the convolutions whose filters <c>Compact()</c> can always remove: each block's <c>conv1</c>. The others write
/// the residual stream (the stem, every <c>conv2</c>, every downsample), whose channels are added together, so a
/// channel there goes only where every one of them prunes it: they are excluded. The same 50 %, global, Taylor, AGP.
/// </summary>
[Prune(Granularity.Filter, 0.5, Scope = PruningScope.Global, Criterion = Criterion.Taylor, Reducer = Reducer.Sum, Schedule = Schedule.Agp, ScheduleStart = 0.0, ScheduleEnd = 0.7,
    Exclude = ["conv1", "layer*.*.conv2", "layer*.*.downsample"])]
public sealed partial class ResNetBlockInteriors : ResNet
{
    /// <inheritdoc cref="ResNet(long, int, long, long)"/>
    public ResNetBlockInteriors(long width, int blocksPerStage, long classes)
        : base(width, blocksPerStage, classes)
    {
    }
}
