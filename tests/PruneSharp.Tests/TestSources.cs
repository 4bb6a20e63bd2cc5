namespace PruneSharp.Tests;

/// <summary>Model sources compiled by the generator and analyzer tests.</summary>
internal static class TestSources
{
    public const string Usings = """
        using System;
        using PruneSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;
        using static TorchSharp.torch.nn;

        """;

    /// <summary>The README's quick-start model: class default, member overrides, known shapes.</summary>
    public const string SmallCnn = Usings + """
        namespace Samples;

        [Prune(Granularity.Filter, 0.3)]
        public sealed partial class SmallCnn : Module<Tensor, Tensor>
        {
            private const int Hidden = 128;
            private readonly Conv2d conv1 = Conv2d(1, 32, 3);
            [Prune(Granularity.Kernel, 0.5)] private readonly Conv2d conv2 = Conv2d(32, 64, 3);
            [Prune(Granularity.Row, 0.2)] private readonly Linear fc1 = Linear(64 * 5 * 5, Hidden);
            private readonly Linear fc2 = Linear(Hidden, 10);

            public SmallCnn() : base(nameof(SmallCnn)) => RegisterComponents();

            public override Tensor forward(Tensor input) => fc2.forward(fc1.forward(conv2.forward(conv1.forward(input)).flatten(1)));
        }
        """;

    /// <summary>Layers built in the constructor and from run-time sizes: shapes unknown at compile time; global namespace.</summary>
    public const string UnknownShapes = Usings + """
        public sealed partial class RuntimeSized : Module<Tensor, Tensor>
        {
            [Prune(Granularity.SharedKernel, 0.25)] private readonly Conv2d features;
            [Prune(Granularity.Column, 0.5)] public Linear Head { get; }

            public RuntimeSized(int channels, int classes) : base(nameof(RuntimeSized))
            {
                features = Conv2d(channels, channels * 2, kernel_size: (3, 5), groups: 1);
                Head = Linear(channels * 2, classes);
                RegisterComponents();
            }

            public override Tensor forward(Tensor input) => Head.forward(features.forward(input).mean([2L, 3L]));
        }
        """;

    /// <summary>A model nested in a partial static class, with named and tuple arguments and groups.</summary>
    public const string Nested = Usings + """
        namespace Zoo.Vision
        {
            public static partial class Blocks
            {
                public sealed partial class Depthwise : Module<Tensor, Tensor>
                {
                    [Prune(Granularity.Channel, 0.5)] private readonly Conv2d pointwise = Conv2d(in_channels: 16, out_channels: 32, kernel_size: 1);
                    [Prune(Granularity.HorizontalSlice, 0.4)] private readonly Conv2d grouped = Conv2d(32, 32, (3, 5), groups: 4);
                    [Prune(Granularity.Weight, 0.9)] private readonly Linear classifier = Linear(32, 10, hasBias: false);

                    public Depthwise() : base(nameof(Depthwise)) => RegisterComponents();

                    public override Tensor forward(Tensor input) => classifier.forward(grouped.forward(pointwise.forward(input)).mean([2L, 3L]));
                }
            }
        }
        """;
}
