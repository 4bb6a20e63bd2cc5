// Generated once by a script from ResNetShapes (the same shapes, the same order); a [Prune] model per granularity, so
// the benchmarks run the code PruneSharp's generator writes for each layer: its mask geometry and kernel.
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Benchmarks;

/// <summary>Every conv and linear weight of ResNet-50: 54 weights, 25.5 M, pruned at Weight (the classifier at Weight).</summary>
public sealed partial class ResNet50Weight : Module<Tensor, Tensor>
{
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c0 = Conv2d(3, 64, 7);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c1 = Conv2d(64, 64, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c2 = Conv2d(64, 64, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c3 = Conv2d(64, 256, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c4 = Conv2d(64, 256, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c5 = Conv2d(256, 64, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c6 = Conv2d(64, 64, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c7 = Conv2d(64, 256, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c8 = Conv2d(256, 64, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c9 = Conv2d(64, 64, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c10 = Conv2d(64, 256, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c11 = Conv2d(256, 128, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c12 = Conv2d(128, 128, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c13 = Conv2d(128, 512, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c14 = Conv2d(256, 512, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c15 = Conv2d(512, 128, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c16 = Conv2d(128, 128, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c17 = Conv2d(128, 512, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c18 = Conv2d(512, 128, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c19 = Conv2d(128, 128, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c20 = Conv2d(128, 512, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c21 = Conv2d(512, 128, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c22 = Conv2d(128, 128, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c23 = Conv2d(128, 512, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c24 = Conv2d(512, 256, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c25 = Conv2d(256, 256, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c26 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c27 = Conv2d(512, 1024, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c28 = Conv2d(1024, 256, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c29 = Conv2d(256, 256, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c30 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c31 = Conv2d(1024, 256, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c32 = Conv2d(256, 256, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c33 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c34 = Conv2d(1024, 256, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c35 = Conv2d(256, 256, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c36 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c37 = Conv2d(1024, 256, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c38 = Conv2d(256, 256, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c39 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c40 = Conv2d(1024, 256, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c41 = Conv2d(256, 256, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c42 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c43 = Conv2d(1024, 512, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c44 = Conv2d(512, 512, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c45 = Conv2d(512, 2048, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c46 = Conv2d(1024, 2048, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c47 = Conv2d(2048, 512, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c48 = Conv2d(512, 512, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c49 = Conv2d(512, 2048, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c50 = Conv2d(2048, 512, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c51 = Conv2d(512, 512, 3);
    [Prune(Granularity.Weight, 0.5)] public readonly Conv2d c52 = Conv2d(512, 2048, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Linear fc = Linear(2048, 1000);

    public ResNet50Weight() : base(nameof(ResNet50Weight)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are benchmarked.");
}

/// <summary>Every conv and linear weight of ResNet-50: 54 weights, 25.5 M, pruned at Kernel (the classifier at Weight).</summary>
public sealed partial class ResNet50Kernel : Module<Tensor, Tensor>
{
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c0 = Conv2d(3, 64, 7);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c1 = Conv2d(64, 64, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c2 = Conv2d(64, 64, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c3 = Conv2d(64, 256, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c4 = Conv2d(64, 256, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c5 = Conv2d(256, 64, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c6 = Conv2d(64, 64, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c7 = Conv2d(64, 256, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c8 = Conv2d(256, 64, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c9 = Conv2d(64, 64, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c10 = Conv2d(64, 256, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c11 = Conv2d(256, 128, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c12 = Conv2d(128, 128, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c13 = Conv2d(128, 512, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c14 = Conv2d(256, 512, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c15 = Conv2d(512, 128, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c16 = Conv2d(128, 128, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c17 = Conv2d(128, 512, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c18 = Conv2d(512, 128, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c19 = Conv2d(128, 128, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c20 = Conv2d(128, 512, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c21 = Conv2d(512, 128, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c22 = Conv2d(128, 128, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c23 = Conv2d(128, 512, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c24 = Conv2d(512, 256, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c25 = Conv2d(256, 256, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c26 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c27 = Conv2d(512, 1024, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c28 = Conv2d(1024, 256, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c29 = Conv2d(256, 256, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c30 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c31 = Conv2d(1024, 256, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c32 = Conv2d(256, 256, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c33 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c34 = Conv2d(1024, 256, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c35 = Conv2d(256, 256, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c36 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c37 = Conv2d(1024, 256, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c38 = Conv2d(256, 256, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c39 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c40 = Conv2d(1024, 256, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c41 = Conv2d(256, 256, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c42 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c43 = Conv2d(1024, 512, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c44 = Conv2d(512, 512, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c45 = Conv2d(512, 2048, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c46 = Conv2d(1024, 2048, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c47 = Conv2d(2048, 512, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c48 = Conv2d(512, 512, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c49 = Conv2d(512, 2048, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c50 = Conv2d(2048, 512, 1);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c51 = Conv2d(512, 512, 3);
    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d c52 = Conv2d(512, 2048, 1);
    [Prune(Granularity.Weight, 0.5)] public readonly Linear fc = Linear(2048, 1000);

    public ResNet50Kernel() : base(nameof(ResNet50Kernel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are benchmarked.");
}

/// <summary>Every conv and linear weight of ResNet-50: 54 weights, 25.5 M, pruned at Filter (the classifier at Row).</summary>
public sealed partial class ResNet50Filter : Module<Tensor, Tensor>
{
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c0 = Conv2d(3, 64, 7);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c1 = Conv2d(64, 64, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c2 = Conv2d(64, 64, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c3 = Conv2d(64, 256, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c4 = Conv2d(64, 256, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c5 = Conv2d(256, 64, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c6 = Conv2d(64, 64, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c7 = Conv2d(64, 256, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c8 = Conv2d(256, 64, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c9 = Conv2d(64, 64, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c10 = Conv2d(64, 256, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c11 = Conv2d(256, 128, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c12 = Conv2d(128, 128, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c13 = Conv2d(128, 512, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c14 = Conv2d(256, 512, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c15 = Conv2d(512, 128, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c16 = Conv2d(128, 128, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c17 = Conv2d(128, 512, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c18 = Conv2d(512, 128, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c19 = Conv2d(128, 128, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c20 = Conv2d(128, 512, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c21 = Conv2d(512, 128, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c22 = Conv2d(128, 128, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c23 = Conv2d(128, 512, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c24 = Conv2d(512, 256, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c25 = Conv2d(256, 256, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c26 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c27 = Conv2d(512, 1024, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c28 = Conv2d(1024, 256, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c29 = Conv2d(256, 256, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c30 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c31 = Conv2d(1024, 256, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c32 = Conv2d(256, 256, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c33 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c34 = Conv2d(1024, 256, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c35 = Conv2d(256, 256, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c36 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c37 = Conv2d(1024, 256, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c38 = Conv2d(256, 256, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c39 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c40 = Conv2d(1024, 256, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c41 = Conv2d(256, 256, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c42 = Conv2d(256, 1024, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c43 = Conv2d(1024, 512, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c44 = Conv2d(512, 512, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c45 = Conv2d(512, 2048, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c46 = Conv2d(1024, 2048, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c47 = Conv2d(2048, 512, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c48 = Conv2d(512, 512, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c49 = Conv2d(512, 2048, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c50 = Conv2d(2048, 512, 1);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c51 = Conv2d(512, 512, 3);
    [Prune(Granularity.Filter, 0.5)] public readonly Conv2d c52 = Conv2d(512, 2048, 1);
    [Prune(Granularity.Row, 0.5)] public readonly Linear fc = Linear(2048, 1000);

    public ResNet50Filter() : base(nameof(ResNet50Filter)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are benchmarked.");
}

/// <summary>Every conv and linear weight of ResNet-50: 54 weights, 25.5 M, pruned at 2:4 (the classifier at 2:4).</summary>
public sealed partial class ResNet50TwoOfFour : Module<Tensor, Tensor>
{
    public readonly Conv2d c0 = Conv2d(3, 64, 7); // no N:M: 3 input channels
    [Prune(2, 4)] public readonly Conv2d c1 = Conv2d(64, 64, 1);
    [Prune(2, 4)] public readonly Conv2d c2 = Conv2d(64, 64, 3);
    [Prune(2, 4)] public readonly Conv2d c3 = Conv2d(64, 256, 1);
    [Prune(2, 4)] public readonly Conv2d c4 = Conv2d(64, 256, 1);
    [Prune(2, 4)] public readonly Conv2d c5 = Conv2d(256, 64, 1);
    [Prune(2, 4)] public readonly Conv2d c6 = Conv2d(64, 64, 3);
    [Prune(2, 4)] public readonly Conv2d c7 = Conv2d(64, 256, 1);
    [Prune(2, 4)] public readonly Conv2d c8 = Conv2d(256, 64, 1);
    [Prune(2, 4)] public readonly Conv2d c9 = Conv2d(64, 64, 3);
    [Prune(2, 4)] public readonly Conv2d c10 = Conv2d(64, 256, 1);
    [Prune(2, 4)] public readonly Conv2d c11 = Conv2d(256, 128, 1);
    [Prune(2, 4)] public readonly Conv2d c12 = Conv2d(128, 128, 3);
    [Prune(2, 4)] public readonly Conv2d c13 = Conv2d(128, 512, 1);
    [Prune(2, 4)] public readonly Conv2d c14 = Conv2d(256, 512, 1);
    [Prune(2, 4)] public readonly Conv2d c15 = Conv2d(512, 128, 1);
    [Prune(2, 4)] public readonly Conv2d c16 = Conv2d(128, 128, 3);
    [Prune(2, 4)] public readonly Conv2d c17 = Conv2d(128, 512, 1);
    [Prune(2, 4)] public readonly Conv2d c18 = Conv2d(512, 128, 1);
    [Prune(2, 4)] public readonly Conv2d c19 = Conv2d(128, 128, 3);
    [Prune(2, 4)] public readonly Conv2d c20 = Conv2d(128, 512, 1);
    [Prune(2, 4)] public readonly Conv2d c21 = Conv2d(512, 128, 1);
    [Prune(2, 4)] public readonly Conv2d c22 = Conv2d(128, 128, 3);
    [Prune(2, 4)] public readonly Conv2d c23 = Conv2d(128, 512, 1);
    [Prune(2, 4)] public readonly Conv2d c24 = Conv2d(512, 256, 1);
    [Prune(2, 4)] public readonly Conv2d c25 = Conv2d(256, 256, 3);
    [Prune(2, 4)] public readonly Conv2d c26 = Conv2d(256, 1024, 1);
    [Prune(2, 4)] public readonly Conv2d c27 = Conv2d(512, 1024, 1);
    [Prune(2, 4)] public readonly Conv2d c28 = Conv2d(1024, 256, 1);
    [Prune(2, 4)] public readonly Conv2d c29 = Conv2d(256, 256, 3);
    [Prune(2, 4)] public readonly Conv2d c30 = Conv2d(256, 1024, 1);
    [Prune(2, 4)] public readonly Conv2d c31 = Conv2d(1024, 256, 1);
    [Prune(2, 4)] public readonly Conv2d c32 = Conv2d(256, 256, 3);
    [Prune(2, 4)] public readonly Conv2d c33 = Conv2d(256, 1024, 1);
    [Prune(2, 4)] public readonly Conv2d c34 = Conv2d(1024, 256, 1);
    [Prune(2, 4)] public readonly Conv2d c35 = Conv2d(256, 256, 3);
    [Prune(2, 4)] public readonly Conv2d c36 = Conv2d(256, 1024, 1);
    [Prune(2, 4)] public readonly Conv2d c37 = Conv2d(1024, 256, 1);
    [Prune(2, 4)] public readonly Conv2d c38 = Conv2d(256, 256, 3);
    [Prune(2, 4)] public readonly Conv2d c39 = Conv2d(256, 1024, 1);
    [Prune(2, 4)] public readonly Conv2d c40 = Conv2d(1024, 256, 1);
    [Prune(2, 4)] public readonly Conv2d c41 = Conv2d(256, 256, 3);
    [Prune(2, 4)] public readonly Conv2d c42 = Conv2d(256, 1024, 1);
    [Prune(2, 4)] public readonly Conv2d c43 = Conv2d(1024, 512, 1);
    [Prune(2, 4)] public readonly Conv2d c44 = Conv2d(512, 512, 3);
    [Prune(2, 4)] public readonly Conv2d c45 = Conv2d(512, 2048, 1);
    [Prune(2, 4)] public readonly Conv2d c46 = Conv2d(1024, 2048, 1);
    [Prune(2, 4)] public readonly Conv2d c47 = Conv2d(2048, 512, 1);
    [Prune(2, 4)] public readonly Conv2d c48 = Conv2d(512, 512, 3);
    [Prune(2, 4)] public readonly Conv2d c49 = Conv2d(512, 2048, 1);
    [Prune(2, 4)] public readonly Conv2d c50 = Conv2d(2048, 512, 1);
    [Prune(2, 4)] public readonly Conv2d c51 = Conv2d(512, 512, 3);
    [Prune(2, 4)] public readonly Conv2d c52 = Conv2d(512, 2048, 1);
    [Prune(2, 4)] public readonly Linear fc = Linear(2048, 1000);

    public ResNet50TwoOfFour() : base(nameof(ResNet50TwoOfFour)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are benchmarked.");
}
