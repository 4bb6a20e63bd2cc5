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

    /// <summary>
    /// Every convolution kind besides Conv2d, with shapes known from initializers (named arguments, tuple kernels,
    /// groups, constants and arithmetic) and, for each kind, a layer whose size comes from a constructor parameter.
    /// </summary>
    public const string AllLayerKinds = Usings + """
        namespace Zoo.Kinds;

        [Prune(Granularity.Kernel, 0.5)]
        public sealed partial class EveryKind : Module<Tensor, Tensor>
        {
            private const int Width = 8;
            private readonly Conv1d conv1d = Conv1d(4, Width, 3);
            private readonly Conv3d conv3d = Conv3d(in_channels: 4, out_channels: 2 * Width, kernel_size: (3, 1, 5), groups: 2);
            private readonly ConvTranspose1d up1d = ConvTranspose1d(Width, 4, kernel_size: 2, stride: 2);
            private readonly ConvTranspose2d up2d = ConvTranspose2d(6, 4, (2, 3), groups: 2);
            private readonly ConvTranspose3d up3d = ConvTranspose3d(in_channels: 2, out_channels: 3, kernel_size: 2);
            [Prune(Granularity.Filter, 0.25)] private readonly Conv1d sized1d;
            [Prune(Granularity.SharedKernel, 0.5)] private readonly Conv3d sized3d;
            [Prune(Granularity.Channel, 0.5)] private readonly ConvTranspose1d sizedUp1d;
            [Prune(Granularity.VerticalSlice, 0.5)] private readonly ConvTranspose2d sizedUp2d;
            [Prune(Granularity.Filter, 0.5)] private readonly ConvTranspose3d sizedUp3d;

            public EveryKind(int channels) : base(nameof(EveryKind))
            {
                sized1d = Conv1d(channels, 8, 3);
                sized3d = Conv3d(channels, 8, 3);
                sizedUp1d = ConvTranspose1d(channels, 8, 3);
                sizedUp2d = ConvTranspose2d(channels, 8, 3);
                sizedUp3d = ConvTranspose3d(channels, 8, 3);
                RegisterComponents();
            }

            public override Tensor forward(Tensor input) => input;
        }
        """;

    /// <summary>
    /// Layers assigned in constructors: one assignment per constructor with constant arguments (shape known, also
    /// when two constructors agree) and the cases that leave it unknown (constructors disagree, assigned twice, also
    /// assigned in a method, an initializer and an assignment, an assignment inside a lambda). Nested in a struct.
    /// </summary>
    public const string ConstructorAssigned = Usings + """
        namespace Zoo.Assigned;

        public partial struct Holder
        {
            public sealed partial class Built : Module<Tensor, Tensor>
            {
                private const int Hidden = 32;
                [Prune(Granularity.Filter, 0.5)] private readonly Conv2d stem;
                [Prune(Granularity.Kernel, 0.5)] private readonly Conv3d volume;
                [Prune(Granularity.Row, 0.25)] public Linear Head { get; }
                [Prune(Granularity.Row, 0.25)] private readonly Linear disagreed;
                [Prune(Granularity.Row, 0.25)] private readonly Linear twice;
                [Prune(Granularity.Row, 0.25)] private Linear rebuilt;
                [Prune(Granularity.Row, 0.25)] private readonly Linear initializedAndAssigned = Linear(4, 4);
                [Prune(Granularity.Row, 0.25)] private Linear lazy;

                public Built() : base(nameof(Built))
                {
                    stem = Conv2d(3, Hidden, kernel_size: (3, 5));
                    this.volume = Conv3d(Hidden, Hidden, 3, groups: 4);
                    Head = Linear(Hidden * 2, 10);
                    disagreed = Linear(8, 8);
                    twice = Linear(8, 8);
                    twice = Linear(8, 8);
                    rebuilt = Linear(8, 8);
                    initializedAndAssigned = Linear(8, 8);
                    Func<Linear> later = () => lazy = Linear(8, 8);
                    lazy = later();
                    RegisterComponents();
                }

                public Built(bool wide) : base(nameof(Built))
                {
                    this.stem = Conv2d(in_channels: 3, out_channels: Hidden, kernel_size: (3, 5));
                    volume = Conv3d(Hidden, Hidden, 3, groups: 4);
                    Head = Linear(2 * Hidden, 10);
                    disagreed = Linear(wide ? 16 : 8, 8);
                    twice = Linear(8, 8);
                    rebuilt = Linear(8, 8);
                    lazy = Linear(8, 8);
                    RegisterComponents();
                }

                public void Rebuild(int size) => rebuilt = Linear(size, size);

                public override Tensor forward(Tensor input) => Head.forward(input);
            }
        }
        """;

    /// <summary>Global scope: one ranking over every layer, towards the class-level sparsity.</summary>
    public const string GlobalScope = Usings + """
        namespace Zoo.Global;

        [Prune(Granularity.Filter, 0.4, Scope = PruningScope.Global)]
        public sealed partial class Ranked : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv1 = Conv2d(3, 16, 3);
            private readonly Conv2d conv2 = Conv2d(16, 32, 3);
            [Prune(Granularity.Row, 0.4)] private readonly Linear head = Linear(32, 10);
            [Prune(Granularity.Column, 0.4)] private readonly Linear extra = Linear(10, 10);

            public Ranked() : base(nameof(Ranked)) => RegisterComponents();

            public override Tensor forward(Tensor input) => input;
        }
        """;

    /// <summary>N:M (the <c>[Prune(n, m)]</c> constructor, also as a class default) and Custom dims.</summary>
    public const string NOfMAndCustom = Usings + """
        namespace Zoo.Patterns;

        [Prune(2, 4)]
        public sealed partial class Patterned : Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = Linear(64, 32);
            private readonly ConvTranspose2d up = ConvTranspose2d(8, 4, 3);
            [Prune(1, 8, Criterion = Criterion.SquaredFinal)] private readonly Conv2d conv = Conv2d(16, 8, 3);
            [Prune(Granularity.Custom, 0.5, Dims = new[] { 1, 3 })] private readonly Conv3d volume = Conv3d(4, 4, 3);
            [Prune(Granularity.Custom, 0.25, Dims = new[] { 0 })] private readonly Linear fc2 = Linear(32, 10);

            public Patterned() : base(nameof(Patterned)) => RegisterComponents();

            public override Tensor forward(Tensor input) => input;
        }
        """;

    /// <summary>Every other property: criteria, reducer, RoundTo, schedules and seed, on the class default and on members.</summary>
    public const string CriteriaAndSchedules = Usings + """
        namespace Zoo.Training;

        [Prune(Granularity.Filter, 0.5, Criterion = Criterion.Movement, Schedule = Schedule.Agp, ScheduleStart = 0.1, ScheduleEnd = 0.9)]
        public sealed partial class Scheduled : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv1 = Conv2d(3, 64, 3);
            [Prune(Granularity.Filter, 0.5, RoundTo = 8, Reducer = Reducer.Sum, Criterion = Criterion.Taylor)] private readonly Conv2d conv2 = Conv2d(64, 64, 3);
            [Prune(Granularity.Row, 0.3, Schedule = Schedule.Iterative, ScheduleSteps = 5)] private readonly Linear fc1 = Linear(64, 128);
            [Prune(Granularity.Weight, 0.6, Criterion = Criterion.Random, Seed = 42, Schedule = Schedule.OneCycle, ScheduleEnd = 0.75)] private readonly Linear fc2 = Linear(128, 10);
            [Prune(Granularity.Column, 0.5, Criterion = Criterion.Wanda, Reducer = Reducer.Mean, RoundTo = 1)] private readonly Linear fc3 = Linear(10, 10);

            public Scheduled() : base(nameof(Scheduled)) => RegisterComponents();

            public override Tensor forward(Tensor input) => input;
        }
        """;
}

