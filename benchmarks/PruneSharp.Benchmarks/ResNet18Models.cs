// Generated once by a script from ResNetShapes (the same shapes, the same order); a [Prune] model per granularity, so
// the benchmarks run the code PruneSharp's generator writes for each layer: its mask geometry and kernel.
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Benchmarks;

/// <summary>Every conv and linear weight of ResNet-18: 21 weights, 11.7 M, pruned at Weight (the classifier at Weight).</summary>
public sealed partial class ResNet18Weight : Module<Tensor, Tensor>
{
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c0 = Conv2d(3, 64, 7);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c1 = Conv2d(64, 64, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c2 = Conv2d(64, 64, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c3 = Conv2d(64, 64, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c4 = Conv2d(64, 64, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c5 = Conv2d(64, 128, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c6 = Conv2d(128, 128, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c7 = Conv2d(64, 128, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c8 = Conv2d(128, 128, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c9 = Conv2d(128, 128, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c10 = Conv2d(128, 256, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c11 = Conv2d(256, 256, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c12 = Conv2d(128, 256, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c13 = Conv2d(256, 256, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c14 = Conv2d(256, 256, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c15 = Conv2d(256, 512, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c16 = Conv2d(512, 512, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c17 = Conv2d(256, 512, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c18 = Conv2d(512, 512, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c19 = Conv2d(512, 512, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Linear fc = Linear(512, 1000);

    public ResNet18Weight() : base(nameof(ResNet18Weight)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are benchmarked.");
}

/// <summary>Every conv and linear weight of ResNet-18: 21 weights, 11.7 M, pruned at Kernel (the classifier at Weight).</summary>
public sealed partial class ResNet18Kernel : Module<Tensor, Tensor>
{
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c0 = Conv2d(3, 64, 7);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c1 = Conv2d(64, 64, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c2 = Conv2d(64, 64, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c3 = Conv2d(64, 64, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c4 = Conv2d(64, 64, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c5 = Conv2d(64, 128, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c6 = Conv2d(128, 128, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c7 = Conv2d(64, 128, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c8 = Conv2d(128, 128, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c9 = Conv2d(128, 128, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c10 = Conv2d(128, 256, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c11 = Conv2d(256, 256, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c12 = Conv2d(128, 256, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c13 = Conv2d(256, 256, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c14 = Conv2d(256, 256, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c15 = Conv2d(256, 512, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c16 = Conv2d(512, 512, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c17 = Conv2d(256, 512, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c18 = Conv2d(512, 512, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c19 = Conv2d(512, 512, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Linear fc = Linear(512, 1000);

    public ResNet18Kernel() : base(nameof(ResNet18Kernel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are benchmarked.");
}

/// <summary>Every conv and linear weight of ResNet-18: 21 weights, 11.7 M, pruned at Filter (the classifier at Row).</summary>
public sealed partial class ResNet18Filter : Module<Tensor, Tensor>
{
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c0 = Conv2d(3, 64, 7);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c1 = Conv2d(64, 64, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c2 = Conv2d(64, 64, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c3 = Conv2d(64, 64, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c4 = Conv2d(64, 64, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c5 = Conv2d(64, 128, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c6 = Conv2d(128, 128, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c7 = Conv2d(64, 128, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c8 = Conv2d(128, 128, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c9 = Conv2d(128, 128, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c10 = Conv2d(128, 256, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c11 = Conv2d(256, 256, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c12 = Conv2d(128, 256, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c13 = Conv2d(256, 256, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c14 = Conv2d(256, 256, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c15 = Conv2d(256, 512, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c16 = Conv2d(512, 512, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c17 = Conv2d(256, 512, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c18 = Conv2d(512, 512, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c19 = Conv2d(512, 512, 3);
    [Prune(Granularity.Row, 0.5)] public readonly Linear fc = Linear(512, 1000);

    public ResNet18Filter() : base(nameof(ResNet18Filter)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are benchmarked.");
}

/// <summary>Every conv and linear weight of ResNet-18: 21 weights, 11.7 M, pruned at 2:4 (the classifier at 2:4).</summary>
public sealed partial class ResNet18TwoOfFour : Module<Tensor, Tensor>
{
    public readonly Conv2d c0 = Conv2d(3, 64, 7); // no N:M: 3 input channels
    [Prune(2, 4)] public readonly Conv2d c1 = Conv2d(64, 64, 3);
    [Prune(2, 4)] public readonly Conv2d c2 = Conv2d(64, 64, 3);
    [Prune(2, 4)] public readonly Conv2d c3 = Conv2d(64, 64, 3);
    [Prune(2, 4)] public readonly Conv2d c4 = Conv2d(64, 64, 3);
    [Prune(2, 4)] public readonly Conv2d c5 = Conv2d(64, 128, 3);
    [Prune(2, 4)] public readonly Conv2d c6 = Conv2d(128, 128, 3);
    [Prune(2, 4)] public readonly Conv2d c7 = Conv2d(64, 128, 1);
    [Prune(2, 4)] public readonly Conv2d c8 = Conv2d(128, 128, 3);
    [Prune(2, 4)] public readonly Conv2d c9 = Conv2d(128, 128, 3);
    [Prune(2, 4)] public readonly Conv2d c10 = Conv2d(128, 256, 3);
    [Prune(2, 4)] public readonly Conv2d c11 = Conv2d(256, 256, 3);
    [Prune(2, 4)] public readonly Conv2d c12 = Conv2d(128, 256, 1);
    [Prune(2, 4)] public readonly Conv2d c13 = Conv2d(256, 256, 3);
    [Prune(2, 4)] public readonly Conv2d c14 = Conv2d(256, 256, 3);
    [Prune(2, 4)] public readonly Conv2d c15 = Conv2d(256, 512, 3);
    [Prune(2, 4)] public readonly Conv2d c16 = Conv2d(512, 512, 3);
    [Prune(2, 4)] public readonly Conv2d c17 = Conv2d(256, 512, 1);
    [Prune(2, 4)] public readonly Conv2d c18 = Conv2d(512, 512, 3);
    [Prune(2, 4)] public readonly Conv2d c19 = Conv2d(512, 512, 3);
    [Prune(2, 4)] public readonly Linear fc = Linear(512, 1000);

    public ResNet18TwoOfFour() : base(nameof(ResNet18TwoOfFour)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are benchmarked.");
}
