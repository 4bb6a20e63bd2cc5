namespace PruneSharp.Tests;

/// <summary>
/// Valid C# that a generator can trip on: names that differ only in case, keywords, Unicode and very long names,
/// nullable layers, partial classes over several files, odd containers and base types, aliases and global usings, and
/// members whose names meet the generated ones. Each case: its sources, the PRUNE errors it must get, and the number of
/// model classes the generator must write pruning code for.
/// </summary>
internal static class HostileSources
{
    /// <summary>Keeps the user code free of doc-comment warnings, so only the generated code's warnings count.</summary>
    private const string Header = "#pragma warning disable CS1591\n" + TestSources.Usings;

    private static readonly string LongName = "Layer" + new string('x', 300);

    public static readonly IReadOnlyDictionary<string, (string[] Sources, string[] Errors, int Models)> Cases = new Dictionary<string, (string[], string[], int)>
    {
        ["Type and namespace names that differ only in case"] = ([Header + """
            namespace Models
            {
                [Prune(Granularity.Filter, 0.5)]
                public sealed partial class Net : Module<Tensor, Tensor>
                {
                    public readonly Conv2d conv = Conv2d(3, 8, 3);
                    public Net() : base("n") => RegisterComponents();
                    public override Tensor forward(Tensor input) => conv.forward(input);
                }

                [Prune(Granularity.Filter, 0.5)]
                public sealed partial class NET : Module<Tensor, Tensor>
                {
                    public readonly Conv2d conv = Conv2d(3, 8, 3);
                    public NET() : base("n") => RegisterComponents();
                    public override Tensor forward(Tensor input) => conv.forward(input);
                }
            }

            namespace models
            {
                [Prune(Granularity.Filter, 0.5)]
                public sealed partial class Net : Module<Tensor, Tensor>
                {
                    public readonly Conv2d conv = Conv2d(3, 8, 3);
                    public Net() : base("n") => RegisterComponents();
                    public override Tensor forward(Tensor input) => conv.forward(input);
                }
            }
            """], [], 3),

        ["Keywords as namespace, class, layer and contextual-keyword names"] = ([Header + """
            namespace @unsafe.@checked
            {
                public static partial class @static
                {
                    [Prune(Granularity.Filter, 0.5)]
                    public sealed partial class @checked : Module<Tensor, Tensor>
                    {
                        public readonly Conv2d @fixed = Conv2d(3, 8, 3);
                        public readonly Conv2d @event = Conv2d(8, 8, 3);
                        [Prune(Granularity.Row, 0.5)] public readonly Linear value = Linear(8, 8);
                        [Prune(Granularity.Row, 0.5)] public readonly Linear @var = Linear(8, 8);
                        public @checked() : base("n") => RegisterComponents();
                        public override Tensor forward(Tensor input) => var.forward(value.forward(@event.forward(@fixed.forward(input)).mean([2L, 3L])));
                    }
                }
            }
            """], [], 1),

        ["Unicode names, underscores and digits"] = ([Header + """
            namespace Модели;

            [Prune(Granularity.Row, 0.5)]
            public sealed partial class Сеть : Module<Tensor, Tensor>
            {
                public readonly Linear слой = Linear(8, 8);
                public readonly Linear 层 = Linear(8, 8);
                public readonly Linear _1 = Linear(8, 8);
                public readonly Linear _ = Linear(8, 8);
                public readonly Linear m_ = Linear(8, 8);
                public readonly Linear naïve = Linear(8, 4);
                public Сеть() : base("n") => RegisterComponents();
                public override Tensor forward(Tensor input) => naïve.forward(m_.forward(_.forward(_1.forward(层.forward(слой.forward(input))))));
            }
            """], [], 1),

        ["Very long namespace, class and layer names"] = ([Header + $$"""
            namespace {{LongName}}.{{LongName}}
            {
                public sealed partial class {{LongName}} : Module<Tensor, Tensor>
                {
                    [Prune(Granularity.Row, 0.5)] public readonly Linear {{LongName}}Field = Linear(8, 8);
                    public {{LongName}}() : base("n") => RegisterComponents();
                    public override Tensor forward(Tensor input) => {{LongName}}Field.forward(input);
                }

                public sealed partial class {{LongName}}2 : Module<Tensor, Tensor>
                {
                    [Prune(Granularity.Row, 0.5)] public readonly Linear fc = Linear(8, 8);
                    public {{LongName}}2() : base("n") => RegisterComponents();
                    public override Tensor forward(Tensor input) => fc.forward(input);
                }
            }
            """], [], 2),

        ["Nullable layer fields and properties"] = ([Header + """
            namespace Nullables;

            [Prune(Granularity.Filter, 0.5)]
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                public readonly Conv2d? conv1 = Conv2d(3, 8, 3);
                public Conv2d? Conv2 { get; } = Conv2d(8, 8, 3);
                [Prune(Granularity.Row, 0.5)] public Linear? Head { get; private set; }
            #nullable disable
                [Prune(Granularity.Row, 0.5)] public readonly Linear oblivious = Linear(8, 8);
            #nullable restore
                public Model() : base("n")
                {
                    Head = Linear(8, 4);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor input) => Head!.forward(oblivious.forward(Conv2!.forward(conv1!.forward(input)).mean([2L, 3L])));
            }
            """], [], 1),

        ["A partial class over three files, with file-scoped namespaces"] = ([
            Header + """
                namespace Split;

                [Prune(Granularity.Filter, 0.5)]
                public sealed partial class Model : Module<Tensor, Tensor>
                {
                    public readonly Conv2d conv1 = Conv2d(3, 8, 3);
                    public Model() : base("n") => RegisterComponents();
                }
                """,
            Header + """
                namespace Split;

                public sealed partial class Model
                {
                    [Prune(Granularity.Kernel, 0.5)] public readonly Conv2d conv2 = Conv2d(8, 8, 3);
                    public override Tensor forward(Tensor input) => head.forward(conv2.forward(conv1.forward(input)).mean([2L, 3L]));
                }
                """,
            Header + """
                namespace Split;

                partial class Model
                {
                    [Prune(Granularity.Row, 0.25)] public readonly Linear head = Linear(8, 4);
                }
                """,
        ], [], 1),

        ["Models nested in records, record structs, ref structs, interfaces, static and abstract classes, and in a model; a model without a constructor"] = ([Header + """
            namespace Containers;

            public partial record Outer(int Size)
            {
                public readonly partial record struct Inner(int Depth)
                {
                    public sealed partial class Model : Module<Tensor, Tensor>
                    {
                        [Prune(Granularity.Row, 0.5)] public readonly Linear fc = Linear(8, 8);
                        public Model() : base("n") => RegisterComponents();
                        public override Tensor forward(Tensor input) => fc.forward(input);
                    }
                }
            }

            public ref partial struct Span
            {
                public sealed partial class Model : Module<Tensor, Tensor>
                {
                    [Prune(Granularity.Row, 0.5)] public readonly Linear fc = Linear(8, 8);
                    public Model() : base("n") => RegisterComponents();
                    public override Tensor forward(Tensor input) => fc.forward(input);
                }
            }

            public partial interface IHolder
            {
                public sealed partial class Model : Module<Tensor, Tensor>
                {
                    [Prune(Granularity.Row, 0.5)] public readonly Linear fc = Linear(8, 8);
                    public Model() : base("n") => RegisterComponents();
                    public override Tensor forward(Tensor input) => fc.forward(input);
                }
            }

            public abstract partial class Shell
            {
                public static partial class Models
                {
                    [Prune(Granularity.Row, 0.5)]
                    public abstract partial class Base : Module<Tensor, Tensor>
                    {
                        public readonly Linear fc = Linear(8, 8);
                        protected Base() : base("n") { }
                        public override Tensor forward(Tensor input) => fc.forward(input);
                    }

                    public sealed class Derived : Base
                    {
                        public Derived() => RegisterComponents();
                    }
                }
            }

            public abstract class Named : Module<Tensor, Tensor>
            {
                protected Named() : base("n") { }
            }

            public sealed partial class NoConstructor : Named
            {
                [Prune(Granularity.Row, 0.5)] public readonly Linear fc = Linear(8, 8);
                public override Tensor forward(Tensor input) => fc.forward(input);
            }

            public sealed partial class Parent : Module<Tensor, Tensor>
            {
                [Prune(Granularity.Row, 0.5)] public readonly Linear fc = Linear(8, 8);
                public Parent() : base("n") => RegisterComponents();
                public override Tensor forward(Tensor input) => fc.forward(input);

                public sealed partial class Model : Module<Tensor, Tensor>
                {
                    [Prune(Granularity.Row, 0.5)] public readonly Linear fc = Linear(8, 8);
                    public Model() : base("n") => RegisterComponents();
                    public override Tensor forward(Tensor input) => fc.forward(input);
                }
            }
            """], [], 7),

        ["Global usings, aliases and odd Module generics"] = ([
            """
            global using PruneSharp;
            global using TorchSharp.Modules;
            global using static TorchSharp.torch;
            global using static TorchSharp.torch.nn;
            global using Dense = TorchSharp.Modules.Linear;
            """,
            """
            #pragma warning disable CS1591
            using P = PruneSharp.PruneAttribute;
            using G = PruneSharp.Granularity;

            namespace Odd;

            public abstract class Block<T> : Module<T, T>
            {
                protected Block(string name) : base(name) { }
            }

            public sealed partial class TensorBlock : Block<Tensor>
            {
                [P(G.Row, 0.5)] public readonly Dense fc = Linear(8, 8);
                public TensorBlock() : base("n") => RegisterComponents();
                public override Tensor forward(Tensor input) => fc.forward(input);
            }

            public sealed partial class Pair : Module<(Tensor, Tensor), Tensor>
            {
                [P(G.Row, 0.5)] public readonly Dense fc = Linear(8, 8);
                public Pair() : base("n") => RegisterComponents();
                public override Tensor forward((Tensor, Tensor) input) => fc.forward(input.Item1 + input.Item2);
            }

            [P(G.Filter, 0.5)]
            public sealed partial class Two : Module<Tensor, Tensor, Tensor>
            {
                public readonly Conv2d conv = Conv2d(3, 8, 3);
                public Two() : base("n") => RegisterComponents();
                public override Tensor forward(Tensor input, Tensor other) => conv.forward(input + other);
            }
            """,
        ], [], 3),

        ["Members that meet generated names"] = ([Header + """
            namespace Meeting;

            public class Base : Module<Tensor, Tensor>
            {
                protected Base() : base("n") { }
                public Linear? InheritedPruning { get; set; }
                public override Tensor forward(Tensor input) => input;
            }

            public sealed partial class Layers : Base
            {
                [Prune(Granularity.Row, 0.5)] public readonly Linear conv = Linear(8, 8);
                [Prune(Granularity.Row, 0.5)] public readonly Linear _conv = Linear(8, 8);
                [Prune(Granularity.Row, 0.5)] public readonly Linear m_conv = Linear(8, 8);
                [Prune(Granularity.Row, 0.5)] public readonly Linear Conv = Linear(8, 8);
                [Prune(Granularity.Row, 0.5)] public readonly Linear fc = Linear(8, 8);
                [Prune(Granularity.Row, 0.5)] public readonly Linear inherited = Linear(8, 8);
                [Prune(Granularity.Row, 0.5)] public readonly Linear kept = Linear(8, 8);
                public Linear FcPruning => fc;
                public void ComputeMasks(double sparsity) { }
                public void ZeroPrunedChannels() { }
                public Layers() => RegisterComponents();
            }

            public sealed partial class Interface : Module<Tensor, Tensor>
            {
                [Prune(Granularity.Row, 0.5)] public readonly Linear fc = Linear(8, 8);
                public int PrunedLayers => 0;
                public Interface() : base("n") => RegisterComponents();
                public override Tensor forward(Tensor input) => fc.forward(input);
            }

            public sealed partial class Overloads : Module<Tensor, Tensor>
            {
                [Prune(Granularity.Row, 0.5)] public readonly Linear fc = Linear(8, 8);
                public Overloads() : base("n") => RegisterComponents();
                public override Tensor forward(Tensor input) => fc.forward(input);
                public void ComputeMasks(double sparsity) { }
                public void ApplyMasks(bool biasToo) { }
                public Overloads Compact(int size) => this;
                public void ZeroPrunedChannels(string layer) { }
                public int FcPruning<T>() => 0;
            }

            public sealed partial class HeadPrunedLayer : Module<Tensor, Tensor>
            {
                [Prune(Granularity.Row, 0.5)] public readonly Linear head = Linear(8, 8);
                [Prune(Granularity.Row, 0.5)] public readonly Linear tail = Linear(8, 8);
                public HeadPrunedLayer() : base("n") => RegisterComponents();
                public override Tensor forward(Tensor input) => tail.forward(head.forward(input));
            }
            """], ["PRUNE027", "PRUNE027", "PRUNE027", "PRUNE028", "PRUNE028", "PRUNE028", "PRUNE028", "PRUNE028", "PRUNE028"], 3),

        ["Inheritance, properties with bodies and file-local classes"] = ([Header + """
            namespace Rejected;

            [Prune(Granularity.Row, 0.5)]
            public partial class Backbone : Module<Tensor, Tensor>
            {
                public readonly Linear fc1 = Linear(8, 8);
                public Backbone() : base("n") => RegisterComponents();
                public override Tensor forward(Tensor input) => fc1.forward(input);
            }

            [Prune(Granularity.Row, 0.5)]
            public sealed partial class Head : Backbone
            {
                public readonly Linear fc2 = Linear(8, 8);
            }

            [Prune(Granularity.Row, 0.5)]
            public sealed partial class Properties : Module<Tensor, Tensor>, IHasHead
            {
                private readonly Linear _fc = Linear(8, 8);
                [Prune(Granularity.Row, 0.5)] public Linear Fc => _fc;
                public Linear Alias => _fc;
                Linear IHasHead.Head => _fc;
                public Linear this[int index] => _fc;
                public Properties() : base("n") => RegisterComponents();
                public override Tensor forward(Tensor input) => _fc.forward(input);
            }

            public interface IHasHead
            {
                Linear Head { get; }
            }

            file sealed partial class Local : Module<Tensor, Tensor>
            {
                [Prune(Granularity.Row, 0.5)] public readonly Linear fc = Linear(8, 8);
                public Local() : base("n") => RegisterComponents();
                public override Tensor forward(Tensor input) => fc.forward(input);
            }
            """], ["PRUNE007", "PRUNE029", "PRUNE040"], 2),

        ["Containers with keyword names, odd child names and nullable members"] = ([Header + """
            namespace Containers
            {
                [Prune(Granularity.Weight, 0.5, Exclude = ["@fixed.b\"c"], Include = ["**"])]
                public sealed partial class @checked : Module<Tensor, Tensor>
                {
                    [Prune(Granularity.Filter, 0.5)]
                    private readonly Sequential @fixed = Sequential(("a-1", Conv2d(3, 8, 3)), ("b\"c", Conv2d(8, 8, 3)), ("<d>", Conv2d(8, 8, 3)), ("e&f", Conv2d(8, 8, 1)));
                    private readonly ModuleDict<Linear>? @event = ModuleDict(("x y", Linear(8, 8)), ("FixedA1", Linear(8, 8)));
                    private readonly Conv2d[]? @params = [Conv2d(8, 8, 1)];
                    public readonly System.Collections.Generic.List<Module<Tensor, Tensor>>? lists = null;
                    [Prune(Granularity.Row, 0.5)] public Sequential? Heads { get; } = Sequential(Linear(8, 4), Linear(4, 2));
                    public @checked() : base("n") => RegisterComponents();
                    public override Tensor forward(Tensor input) => @fixed.forward(input);
                }
            }
            """], [], 1),
    };
}
