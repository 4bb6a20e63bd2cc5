// Models written the way TorchSharp users write them (Sequentials, block classes held in Module<Tensor, Tensor>
// fields, constructors with parameters), small widths; CompactionTreeTests compact them in place. Each has one direct
// [Prune] layer so the generator gives it Compact(); the masks of the layers inside containers are written directly.
using System;
using System.Collections.Generic;
using PruneSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.CompactionTree;

/// <summary>VGG: a Sequential feature extractor built inline (conv, BatchNorm, ReLU, pool), flatten, a Linear classifier.</summary>
public sealed partial class Vgg : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> features;
    [Prune(Granularity.Row, 0.5)] public readonly Linear fc1;
    private readonly Module<Tensor, Tensor> classifier;

    public Vgg(int width, int hidden, int classes) : base(nameof(Vgg))
    {
        features = Sequential(
            ("conv1", Conv2d(3, width, 3, padding: 1)), ("bn1", BatchNorm2d(width)), ("relu1", ReLU()), ("pool1", MaxPool2d(2)),
            ("conv2", Conv2d(width, 2 * width, 3, padding: 1)), ("bn2", BatchNorm2d(2 * width)), ("relu2", ReLU()), ("pool2", MaxPool2d(2)),
            ("conv3", Conv2d(2 * width, 2 * width, 3, padding: 1)), ("bn3", BatchNorm2d(2 * width)), ("relu3", ReLU()), ("pool3", MaxPool2d(2)));
        fc1 = Linear(2 * width * 2 * 2, hidden);
        classifier = Sequential(ReLU(), Dropout(0.5), Linear(hidden, classes));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var x = features.forward(input);          // 16 → 8 → 4 → 2
        x = fc1.forward(x.flatten(1));
        return classifier.forward(x);
    }
}

/// <summary>ResNet's basic block: two 3×3 convs with BatchNorm, a downsample branch where the shape changes, <c>add_</c>.</summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Module<Tensor, Tensor>? downsample;

    public BasicBlock(int inPlanes, int planes, int stride) : base(nameof(BasicBlock))
    {
        conv1 = Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        if (stride != 1 || inPlanes != planes)
        {
            downsample = Sequential(Conv2d(inPlanes, planes, 1, stride: stride, bias: false), BatchNorm2d(planes));
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var identity = input;
        var x = functional.relu(bn1.forward(conv1.forward(input)));
        x = bn2.forward(conv2.forward(x));
        if (downsample is not null) identity = downsample.forward(input);
        return x.add_(identity).relu_();
    }
}

/// <summary>ResNet's bottleneck: 1×1 reduce, 3×3, 1×1 expand (×4), a downsample branch, <c>x + identity</c>.</summary>
public sealed class Bottleneck : Module<Tensor, Tensor>
{
    public const int Expansion = 4;
    private readonly Module<Tensor, Tensor> branch;
    private readonly Module<Tensor, Tensor>? downsample;

    public Bottleneck(int inPlanes, int planes, int stride) : base(nameof(Bottleneck))
    {
        var layers = new List<Module<Tensor, Tensor>>
        {
            Conv2d(inPlanes, planes, 1, bias: false), BatchNorm2d(planes), ReLU(),
            Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false), BatchNorm2d(planes), ReLU(),
            Conv2d(planes, planes * Expansion, 1, bias: false), BatchNorm2d(planes * Expansion),
        };
        branch = Sequential(layers);
        downsample = stride != 1 || inPlanes != planes * Expansion
            ? Sequential(Conv2d(inPlanes, planes * Expansion, 1, stride: stride, bias: false), BatchNorm2d(planes * Expansion))
            : null;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var identity = downsample is null ? input : downsample.forward(input);
        return functional.relu(branch.forward(input) + identity);
    }
}

/// <summary>A ResNet: stem, stages of blocks built in loops into Sequentials, global average pooling, a classifier.</summary>
public sealed partial class ResNet : Module<Tensor, Tensor>
{
    private readonly Conv2d stem;
    private readonly BatchNorm2d stemBn;
    private readonly Module<Tensor, Tensor> layer1;
    private readonly Module<Tensor, Tensor> layer2;
    private readonly Module<Tensor, Tensor> layer3;
    [Prune(Granularity.Row, 0.5)] public readonly Linear fc;

    public ResNet(int width, int classes, int[] blocks) : base(nameof(ResNet))
    {
        stem = Conv2d(3, width, 3, padding: 1, bias: false);
        stemBn = BatchNorm2d(width);
        var inPlanes = width;
        layer1 = Stage(ref inPlanes, width, blocks[0], 1, basic: true);
        layer2 = Stage(ref inPlanes, 2 * width, blocks[1], 2, basic: true);
        layer3 = Stage(ref inPlanes, 2 * width, blocks[2], 2, basic: false);
        fc = Linear(inPlanes, classes);
        RegisterComponents();
    }

    private static Module<Tensor, Tensor> Stage(ref int inPlanes, int planes, int count, int stride, bool basic)
    {
        var blocks = new List<(string, Module<Tensor, Tensor>)>();
        for (var index = 0; index < count; index++)
        {
            Module<Tensor, Tensor> block = basic ? new BasicBlock(inPlanes, planes, index == 0 ? stride : 1) : new Bottleneck(inPlanes, planes, index == 0 ? stride : 1);
            blocks.Add((index.ToString(System.Globalization.CultureInfo.InvariantCulture), block));
            inPlanes = basic ? planes : planes * Bottleneck.Expansion;
        }

        return Sequential(blocks);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = functional.relu(stemBn.forward(stem.forward(input)));
        x = layer3.forward(layer2.forward(layer1.forward(x)));
        return fc.forward(x.mean([2L, 3L])).MoveToOuterDisposeScope();
    }
}

/// <summary>MobileNetV2's inverted residual: 1×1 expand, 3×3 depthwise, 1×1 linear projection; a residual where the shape stays.</summary>
public sealed class InvertedResidual : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> conv;
    private readonly bool useResidual;

    public InvertedResidual(int inputs, int outputs, int stride, int expandRatio) : base(nameof(InvertedResidual))
    {
        var hidden = inputs * expandRatio;
        useResidual = stride == 1 && inputs == outputs;
        var layers = new List<Module<Tensor, Tensor>>();
        if (expandRatio != 1)
        {
            layers.Add(Conv2d(inputs, hidden, 1, bias: false));
            layers.Add(BatchNorm2d(hidden));
            layers.Add(ReLU6());
        }

        layers.Add(Conv2d(hidden, hidden, 3, stride: stride, padding: 1, groups: hidden, bias: false));
        layers.Add(BatchNorm2d(hidden));
        layers.Add(ReLU6());
        layers.Add(Conv2d(hidden, outputs, 1, bias: false));
        layers.Add(BatchNorm2d(outputs));
        conv = Sequential(layers);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        if (useResidual) return input + conv.forward(input);
        return conv.forward(input);
    }
}

/// <summary>A small MobileNetV2: stem, inverted residuals (with and without residuals), a 1×1 head conv, pooling, a classifier.</summary>
public sealed partial class MobileNetV2 : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> features;
    [Prune(Granularity.Row, 0.5)] public readonly Linear classifier;

    public MobileNetV2(int width, int classes) : base(nameof(MobileNetV2))
    {
        var layers = new List<Module<Tensor, Tensor>> { Conv2d(3, width, 3, stride: 2, padding: 1, bias: false), BatchNorm2d(width), ReLU6() };
        layers.Add(new InvertedResidual(width, width, 1, 1));
        layers.Add(new InvertedResidual(width, 2 * width, 2, 6));
        layers.Add(new InvertedResidual(2 * width, 2 * width, 1, 6));
        layers.Add(Conv2d(2 * width, 4 * width, 1, bias: false));
        layers.Add(BatchNorm2d(4 * width));
        layers.Add(ReLU6());
        features = Sequential(layers);
        classifier = Linear(4 * width, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => classifier.forward(features.forward(input).mean([2L, 3L]));
}

/// <summary>A Transformer encoder block: single-head self-attention written with matmul and softmax, LayerNorms, a feed-forward network.</summary>
public sealed class EncoderBlock : Module<Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Linear output;
    private readonly LayerNorm norm1;
    private readonly LayerNorm norm2;
    private readonly Linear linear1;
    private readonly Module<Tensor, Tensor> activation = GELU();
    private readonly Module<Tensor, Tensor> dropout = Dropout(0.1);
    private readonly Linear linear2;
    private readonly double scale;

    public EncoderBlock(int model, int feedForward) : base(nameof(EncoderBlock))
    {
        query = Linear(model, model);
        key = Linear(model, model);
        value = Linear(model, model);
        output = Linear(model, model);
        norm1 = LayerNorm(model);
        norm2 = LayerNorm(model);
        linear1 = Linear(model, feedForward);
        linear2 = Linear(feedForward, model);
        scale = 1.0 / Math.Sqrt(model);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var q = query.forward(input);
        var k = key.forward(input);
        var v = value.forward(input);
        var attention = softmax(matmul(q, k.transpose(1, 2)) * scale, -1);
        var x = norm1.forward(input + output.forward(matmul(attention, v)));
        var hidden = dropout.forward(activation.forward(linear1.forward(x)));
        return norm2.forward(x + linear2.forward(hidden));
    }
}

/// <summary>Token embedding by a Linear, two encoder blocks, mean over tokens, a classifier.</summary>
public sealed partial class TinyEncoder : Module<Tensor, Tensor>
{
    [Prune(Granularity.Row, 0.5)] public readonly Linear embed;
    private readonly Module<Tensor, Tensor> blocks;
    private readonly Linear head;

    public TinyEncoder(int inputs, int model, int feedForward, int classes) : base(nameof(TinyEncoder))
    {
        embed = Linear(inputs, model);
        blocks = Sequential(new EncoderBlock(model, feedForward), new EncoderBlock(model, feedForward));
        head = Linear(model, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => head.forward(blocks.forward(embed.forward(input)).mean([1L]));
}

/// <summary>A plain CNN whose stages are held in a ModuleList and run by a foreach loop.</summary>
public sealed partial class ModuleListCnn : Module<Tensor, Tensor>
{
    private readonly ModuleList<Module<Tensor, Tensor>> stages = new();
    [Prune(Granularity.Row, 0.5)] public readonly Linear fc;

    public ModuleListCnn(int width, int depth, int classes) : base(nameof(ModuleListCnn))
    {
        var channels = 3;
        for (var index = 0; index < depth; index++)
        {
            stages.Add(Sequential(Conv2d(channels, width, 3, padding: 1), BatchNorm2d(width), ReLU(), MaxPool2d(2)));
            channels = width;
        }

        fc = Linear(width, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var x = input;
        foreach (var stage in stages) x = stage.forward(x);
        return fc.forward(x.mean([2L, 3L]));
    }
}

/// <summary>
/// A model class as its author wrote it, without <c>[Prune]</c>: a stem, a block, a classifier. <see cref="DerivedCnn"/>
/// declares the pruning in a class that derives from it and inherits its layers and its forward.
/// </summary>
public class PlainCnn : Module<Tensor, Tensor>
{
    private readonly Conv2d stem;
    private readonly BatchNorm2d stemBn;
    private readonly Module<Tensor, Tensor> block;
    private readonly Linear fc;

    public PlainCnn(int width, int classes) : base(nameof(PlainCnn))
    {
        stem = Conv2d(3, width, 3, padding: 1, bias: false);
        stemBn = BatchNorm2d(width);
        block = new BasicBlock(width, 2 * width, 2);
        fc = Linear(2 * width, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var x = functional.relu(stemBn.forward(stem.forward(input)));
        x = block.forward(x);
        return fc.forward(x.mean([2L, 3L]));
    }
}

/// <summary><see cref="PlainCnn"/> with the pruning declared once, on a derived class: its forward is the base's.</summary>
[Prune(Granularity.Filter, 0.5)]
public sealed partial class DerivedCnn : PlainCnn
{
    public DerivedCnn(int width, int classes) : base(width, classes)
    {
    }
}

/// <summary>ResNet's basic block as torchvision writes forward: the parameter <c>x</c> reassigned, then added to in place.</summary>
public sealed class ReassigningBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Module<Tensor, Tensor>? downsample;

    public ReassigningBlock(int inPlanes, int planes, int stride) : base(nameof(ReassigningBlock))
    {
        conv1 = Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        if (stride != 1 || inPlanes != planes)
        {
            downsample = Sequential(Conv2d(inPlanes, planes, 1, stride: stride, bias: false), BatchNorm2d(planes));
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var identity = downsample is null ? x : downsample.forward(x);
        x = functional.relu(bn1.forward(conv1.forward(x)));
        x = bn2.forward(conv2.forward(x));
        x.add_(identity);
        return x.relu_();
    }
}

/// <summary>A small ResNet whose forward reassigns its parameter at every step (<c>x = layer1.forward(x)</c>), as torchvision's does.</summary>
[Prune(Granularity.Filter, 0.5)]
public sealed partial class ReassigningResNet : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Linear fc;

    public ReassigningResNet(int width, int classes) : base(nameof(ReassigningResNet))
    {
        conv1 = Conv2d(3, width, 3, padding: 1, bias: false);
        bn1 = BatchNorm2d(width);
        layer1 = Sequential(new ReassigningBlock(width, width, 1), new ReassigningBlock(width, 2 * width, 2));
        fc = Linear(2 * width, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = functional.relu(bn1.forward(conv1.forward(x)));
        x = layer1.forward(x);
        x = x.mean([2L, 3L]);
        return fc.forward(x);
    }
}
