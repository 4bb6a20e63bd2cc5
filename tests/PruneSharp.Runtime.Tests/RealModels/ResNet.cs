// torchvision's ResNet (torchvision/models/resnet.py), written the way TorchSharp users write models: block classes
// with parameterized constructors, stages in Sequential, activations and the downsample branch in fields typed
// Module<Tensor, Tensor>. Field order is torchvision's, so state-dict names are too (layer1.0.downsample.0.weight).
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.RealModels;

/// <summary>ResNet-18/34's block: two 3×3 convolutions and the identity (or a 1×1 downsample) added back.</summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    public const int Expansion = 1;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Module<Tensor, Tensor> relu;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Module<Tensor, Tensor>? downsample;

    public BasicBlock(long inplanes, long planes, long stride = 1, Module<Tensor, Tensor>? downsample = null)
        : base(nameof(BasicBlock))
    {
        conv1 = Conv2d(inplanes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        relu = ReLU(inplace: true);
        conv2 = Conv2d(planes, planes, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? x : downsample.forward(x);
        var output = relu.forward(bn1.forward(conv1.forward(x)));
        output = bn2.forward(conv2.forward(output));
        return relu.forward(output.add_(identity)).MoveToOuterDisposeScope();
    }
}

/// <summary>ResNet-50/101/152's block: 1×1 reduce, 3×3 (with the stride), 1×1 expand by 4, and the shortcut.</summary>
public sealed class Bottleneck : Module<Tensor, Tensor>
{
    public const int Expansion = 4;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Module<Tensor, Tensor> relu;
    private readonly Module<Tensor, Tensor>? downsample;

    public Bottleneck(long inplanes, long planes, long stride = 1, Module<Tensor, Tensor>? downsample = null)
        : base(nameof(Bottleneck))
    {
        conv1 = Conv2d(inplanes, planes, kernel_size: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        conv3 = Conv2d(planes, planes * Expansion, kernel_size: 1, bias: false);
        bn3 = BatchNorm2d(planes * Expansion);
        relu = ReLU(inplace: true);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? x : downsample.forward(x);
        var output = relu.forward(bn1.forward(conv1.forward(x)));
        output = relu.forward(bn2.forward(conv2.forward(output)));
        output = bn3.forward(conv3.forward(output));
        return relu.forward(output.add_(identity)).MoveToOuterDisposeScope();
    }
}

/// <summary>torchvision's ResNet; <c>width</c> scales every stage (64 is the real network).</summary>
public sealed class ResNet : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Module<Tensor, Tensor> relu;
    private readonly Module<Tensor, Tensor> maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Linear fc;
    private long inplanes;

    private ResNet(bool bottleneck, int[] layers, int numClasses, int width)
        : base(bottleneck ? "ResNet50" : "ResNet18")
    {
        var expansion = bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;
        inplanes = width;
        conv1 = Conv2d(3, inplanes, kernel_size: 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(inplanes);
        relu = ReLU(inplace: true);
        maxpool = MaxPool2d(kernel_size: 3, stride: 2, padding: 1);
        layer1 = MakeLayer(bottleneck, width, layers[0], stride: 1);
        layer2 = MakeLayer(bottleneck, width * 2, layers[1], stride: 2);
        layer3 = MakeLayer(bottleneck, width * 4, layers[2], stride: 2);
        layer4 = MakeLayer(bottleneck, width * 8, layers[3], stride: 2);
        avgpool = AdaptiveAvgPool2d(1);
        fc = Linear(width * 8 * expansion, numClasses);
        RegisterComponents();
    }

    public static ResNet ResNet18(int numClasses = 1000, int width = 64) => new(bottleneck: false, [2, 2, 2, 2], numClasses, width);

    public static ResNet ResNet50(int numClasses = 1000, int width = 64) => new(bottleneck: true, [3, 4, 6, 3], numClasses, width);

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = maxpool.forward(relu.forward(bn1.forward(conv1.forward(x))));
        x = layer4.forward(layer3.forward(layer2.forward(layer1.forward(x))));
        return fc.forward(avgpool.forward(x).flatten(1)).MoveToOuterDisposeScope();
    }

    private Sequential MakeLayer(bool bottleneck, long planes, int blocks, long stride)
    {
        var expansion = bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;
        Module<Tensor, Tensor>? downsample = null;
        if (stride != 1 || inplanes != planes * expansion)
        {
            downsample = Sequential(
                Conv2d(inplanes, planes * expansion, kernel_size: 1, stride: stride, bias: false),
                BatchNorm2d(planes * expansion));
        }

        var stage = new List<Module<Tensor, Tensor>> { Block(bottleneck, inplanes, planes, stride, downsample) };
        inplanes = planes * expansion;
        for (var index = 1; index < blocks; index++) stage.Add(Block(bottleneck, inplanes, planes, 1, null));
        return Sequential(stage);
    }

    private static Module<Tensor, Tensor> Block(bool bottleneck, long inplanes, long planes, long stride, Module<Tensor, Tensor>? downsample) =>
        bottleneck ? new Bottleneck(inplanes, planes, stride, downsample) : new BasicBlock(inplanes, planes, stride, downsample);
}
