// torchvision's MobileNetV2 (torchvision/models/mobilenetv2.py): inverted residual blocks with a depthwise 3×3
// convolution (groups = channels), Conv-BN-ReLU6 units as Sequentials, the blocks in one Sequential "features".
// widthMultiplier scales channels as torchvision does (1.0 is the real network: 3,504,872 parameters).
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.RealModels;

/// <summary>expand 1×1 → depthwise 3×3 → project 1×1, with the input added back where the shape allows.</summary>
public sealed class InvertedResidual : Module<Tensor, Tensor>
{
    private readonly Sequential conv;
    private readonly bool useResidual;

    public InvertedResidual(long input, long output, long stride, long expandRatio)
        : base(nameof(InvertedResidual))
    {
        var hidden = input * expandRatio;
        useResidual = stride == 1 && input == output;
        var layers = new List<Module<Tensor, Tensor>>();
        if (expandRatio != 1) layers.Add(MobileNetV2.ConvBNReLU(input, hidden, kernelSize: 1));
        layers.Add(MobileNetV2.ConvBNReLU(hidden, hidden, stride: stride, groups: hidden));
        layers.Add(Conv2d(hidden, output, kernel_size: 1, bias: false));
        layers.Add(BatchNorm2d(output));
        conv = Sequential(layers);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (!useResidual) return conv.forward(x);
        using var scope = NewDisposeScope();
        return x.add(conv.forward(x)).MoveToOuterDisposeScope();
    }
}

public sealed class MobileNetV2 : Module<Tensor, Tensor>
{
    // t (expansion), c (channels), n (repeats), s (stride of the first).
    private static readonly int[][] Settings = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];

    private readonly Sequential features;
    private readonly Sequential classifier;

    public MobileNetV2(int numClasses = 1000, double widthMultiplier = 1.0)
        : base(nameof(MobileNetV2))
    {
        var inputChannel = MakeDivisible(32 * widthMultiplier);
        var lastChannel = MakeDivisible(1280 * Math.Max(1.0, widthMultiplier));
        var layers = new List<Module<Tensor, Tensor>> { ConvBNReLU(3, inputChannel, stride: 2) };
        foreach (var setting in Settings)
        {
            var outputChannel = MakeDivisible(setting[1] * widthMultiplier);
            for (var index = 0; index < setting[2]; index++)
            {
                layers.Add(new InvertedResidual(inputChannel, outputChannel, index == 0 ? setting[3] : 1, setting[0]));
                inputChannel = outputChannel;
            }
        }

        layers.Add(ConvBNReLU(inputChannel, lastChannel, kernelSize: 1));
        features = Sequential(layers);
        classifier = Sequential(Dropout(0.2), Linear(lastChannel, numClasses));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = functional.adaptive_avg_pool2d(features.forward(input), 1).flatten(1);
        return classifier.forward(x).MoveToOuterDisposeScope();
    }

    internal static Sequential ConvBNReLU(long input, long output, long kernelSize = 3, long stride = 1, long groups = 1) =>
        Sequential(
            Conv2d(input, output, kernel_size: kernelSize, stride: stride, padding: (kernelSize - 1) / 2, groups: groups, bias: false),
            BatchNorm2d(output),
            ReLU6(inplace: true));

    /// <summary>torchvision's _make_divisible: the nearest multiple of 8, never 10 % below the value.</summary>
    private static long MakeDivisible(double value, int divisor = 8)
    {
        var rounded = Math.Max(divisor, (long)(value + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }
}
