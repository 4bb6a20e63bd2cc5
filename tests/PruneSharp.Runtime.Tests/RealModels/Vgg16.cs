// VGG-16 (configuration D, torchvision/models/vgg.py) with a Sequential feature extractor built in a loop, the way the
// TorchSharpExamples VGG is written, and torchvision's three-layer classifier. <c>widthDivisor</c> narrows every layer
// and <c>pooled</c> is the adaptive pool's size (7 in the real network), so tests can keep it small.
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.RealModels;

public sealed class Vgg16 : Module<Tensor, Tensor>
{
    // Output channels of each 3×3 convolution; 0 is a 2×2 max pool.
    private static readonly long[] Configuration = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0];

    private readonly Module<Tensor, Tensor> features;
    private readonly Module<Tensor, Tensor> avgpool;
    private readonly Module<Tensor, Tensor> classifier;

    public Vgg16(int numClasses = 1000, int widthDivisor = 1, int pooled = 7)
        : base(nameof(Vgg16))
    {
        var modules = new List<(string, Module<Tensor, Tensor>)>();
        long inChannels = 3;
        int block = 1, convolution = 1;
        foreach (var channels in Configuration)
        {
            if (channels == 0)
            {
                modules.Add(($"pool{block}", MaxPool2d(kernel_size: 2, stride: 2)));
                block++;
                convolution = 1;
                continue;
            }

            var outChannels = channels / widthDivisor;
            modules.Add(($"conv{block}_{convolution}", Conv2d(inChannels, outChannels, kernel_size: 3, padding: 1)));
            modules.Add(($"relu{block}_{convolution}", ReLU(inplace: true)));
            inChannels = outChannels;
            convolution++;
        }

        features = Sequential(modules);
        avgpool = AdaptiveAvgPool2d(pooled);
        var hidden = 4096 / widthDivisor;
        classifier = Sequential(
            ("fc6", Linear(inChannels * pooled * pooled, hidden)),
            ("relu6", ReLU(inplace: true)),
            ("drop6", Dropout()),
            ("fc7", Linear(hidden, hidden)),
            ("relu7", ReLU(inplace: true)),
            ("drop7", Dropout()),
            ("fc8", Linear(hidden, numClasses)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = avgpool.forward(features.forward(input)).flatten(1);
        return classifier.forward(x).MoveToOuterDisposeScope();
    }
}
