// A model whose generated layer classes cover every kernel a mask geometry names, at sizes that run the kernels'
// vector blocks (and the element-wise route's radix selection), for the generated-path tests of GeneratedGeometryTests.
using System;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.Models;

public sealed partial class KernelVariantsModel : Module<Tensor, Tensor>
{
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d kernels = Conv2d(32, 64, 3);   // RunsOf9: 2,048 groups of 9
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d filters = Conv2d(32, 64, 3);   // ContiguousGroups: 64 of 288
    [Prune(Granularity.Row, 0.5)] public readonly Linear rows = Linear(150, 40);           // ContiguousGroups: 40 of 150
    [Prune(Granularity.Weight, 0.5)] public readonly Linear weights = Linear(256, 128);    // Elementwise, 32,768: the radix route
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d pointwise = Conv2d(64, 64, 1); // Elementwise, 4,096: the group route
    [Prune(Granularity.Row, 0.5)] public readonly Conv2d kernelRows = Conv2d(8, 16, 3);    // ShortRuns: runs of 3
    [Prune(Granularity.Channel, 0.5)] public readonly Conv2d channels = Conv2d(8, 16, 3);  // Strided
    [Prune(2, 4)] public readonly Conv2d sparse3x3 = Conv2d(32, 64, 3);                    // NOfMKernelPositions
    [Prune(2, 4)] public readonly Conv2d sparse1x1 = Conv2d(64, 68, 1);                    // NOfMChannelRuns

    public KernelVariantsModel() : base(nameof(KernelVariantsModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}
