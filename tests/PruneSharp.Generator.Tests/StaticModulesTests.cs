extern alias generator;

using Microsoft.CodeAnalysis;
using SemanticModels = generator::PruneSharp.Generator.SemanticModels;
using StaticModule = generator::PruneSharp.Generator.Compaction.StaticModule;
using StaticModules = generator::PruneSharp.Generator.Compaction.StaticModules;

namespace PruneSharp.Tests;

/// <summary>
/// What the generator reads from the code that builds a model (the constructor reader behind <c>StaticModules</c>):
/// containers filled in loops, blocks built with constant arguments, guards and branches; and what it leaves to run time.
/// </summary>
public sealed class StaticModulesTests
{
    private const string Block = """
        public sealed class Block : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv1;
            private readonly Conv2d conv2;
            private readonly Module<Tensor, Tensor>? shortcut;

            public Block(long input, long output, long stride = 1) : base("block")
            {
                if (input <= 0) throw new ArgumentOutOfRangeException(nameof(input));
                var hidden = output / 2;
                conv1 = Conv2d(input, hidden, 3, stride: stride, padding: 1);
                conv2 = Conv2d(hidden, output, kernel_size: (1, 1));
                if (stride != 1 || input != output) shortcut = Sequential(Conv2d(input, output, 1, stride: stride), BatchNorm2d(output));
                RegisterComponents();
            }

            public override Tensor forward(Tensor x) => conv2.forward(conv1.forward(x));
        }
        """;

    [Fact]
    public void Loops_over_known_ranges_named_children_and_blocks_with_constant_arguments_are_read()
    {
        var layers = Layers(Block + """
            public sealed class Net : Module<Tensor, Tensor>
            {
                private static readonly long[] Widths = [16, 0, 32];
                private readonly Sequential features;
                private readonly Module<Tensor, Tensor> stages;
                private readonly ModuleList<Linear> heads = ModuleList(Linear(64, 10), Linear(64, 2));
                private readonly ModuleDict<Conv1d> signals = ModuleDict(("left", Conv1d(2, 4, 3)));
                private readonly Linear fromArgument;

                public Net(int classes) : base("net")
                {
                    var layers = new List<(string, Module<Tensor, Tensor>)>();
                    long channels = 3;
                    var stage = 1;
                    foreach (var width in Widths)
                    {
                        if (width == 0)
                        {
                            layers.Add(($"pool{stage}", MaxPool2d(2)));
                            continue;
                        }

                        layers.Add(($"conv{stage}", Conv2d(channels, width, 3)));
                        channels = width;
                        stage++;
                    }

                    features = Sequential(layers);
                    var blocks = new List<Module<Tensor, Tensor>>();
                    // Both blocks read 32 channels (channels is not updated): each gets a shortcut, the first with stride 2.
                    for (var index = 0; index < 2; index++) blocks.Add(new Block(channels, 64, stride: index == 0 ? 2 : 1));
                    stages = Sequential(blocks);
                    fromArgument = Linear(classes, 4);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x) => x;
            }
            """, "Net");

        Assert.Equal(
            [
                "features.conv1 Conv2d [16, 3, 3, 3]",
                "features.conv2 Conv2d [32, 16, 3, 3]",
                "stages.0.conv1 Conv2d [32, 32, 3, 3]",
                "stages.0.conv2 Conv2d [64, 32, 1, 1]",
                "stages.0.shortcut.0 Conv2d [64, 32, 1, 1]",
                "stages.1.conv1 Conv2d [32, 32, 3, 3]",
                "stages.1.conv2 Conv2d [64, 32, 1, 1]",
                "stages.1.shortcut.0 Conv2d [64, 32, 1, 1]",
                "heads.0 Linear [10, 64]",
                "heads.1 Linear [2, 64]",
                "signals.left Conv1d [4, 2, 3]",
                "fromArgument Linear ?",
            ],
            layers);
    }

    /// <summary>A loop without a known bound, a member written in another method, branches that disagree, a lambda: unknown; the rest is still read.</summary>
    [Fact]
    public void What_the_reader_cannot_follow_is_left_to_run_time()
    {
        var layers = Layers(Block + """
            public sealed class Net : Module<Tensor, Tensor>
            {
                private readonly Sequential whileLoop;
                private readonly Sequential unknownCount;
                private readonly Module<Tensor, Tensor> reassigned = Conv2d(3, 8, 3);
                private readonly Module<Tensor, Tensor> branches;
                private readonly Module<Tensor, Tensor> agreeing;
                private readonly Module<Tensor, Tensor> lambda;

                public Net(int count, bool wide) : base("net")
                {
                    var layers = new List<Module<Tensor, Tensor>>();
                    var index = 0;
                    while (index < 2) { layers.Add(Conv2d(3, 3, 1)); index++; }
                    whileLoop = Sequential(layers);
                    var more = new List<Module<Tensor, Tensor>>();
                    for (var i = 0; i < count; i++) more.Add(Conv2d(3, 3, 1));
                    unknownCount = Sequential(more);
                    branches = wide ? Conv2d(3, 16, 3) : Conv2d(3, 8, 3);
                    if (wide) agreeing = Linear(4, 4); else agreeing = Linear(4, 4);
                    Func<Module<Tensor, Tensor>> make = () => Linear(2, 2);
                    lambda = make();
                    RegisterComponents();
                }

                public void Reset() => reassigned = Linear(1, 1);

                public override Tensor forward(Tensor x) => x;
            }
            """.Replace("private readonly Module<Tensor, Tensor> reassigned", "private Module<Tensor, Tensor> reassigned", StringComparison.Ordinal), "Net");

        Assert.Equal(["whileLoop ?", "unknownCount ?", "reassigned ?", "branches ?", "agreeing Linear [4, 4]", "lambda ?"], layers);
    }

    [Fact]
    public void Every_constructor_must_agree_on_a_member_of_the_model_class()
    {
        var layers = Layers("""
            public sealed class Net : Module<Tensor, Tensor>
            {
                private readonly Sequential same;
                private readonly Sequential different;

                public Net() : this(8) { }

                public Net(int width) : base("net")
                {
                    same = Sequential(("conv", Conv2d(3, 8, 3)));
                    different = Sequential(Conv2d(3, width, 3));
                    RegisterComponents();
                }

                public Net(string name) : base(name)
                {
                    same = Sequential(("conv", Conv2d(3, 8, 3)));
                    different = Sequential(Conv2d(3, 8, 3));
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x) => x;
            }
            """, "Net");

        // Net() runs Net(8); Net(int) builds different from its argument, which only run time knows.
        Assert.Equal(["same.conv Conv2d [8, 3, 3, 3]", "different ?"], layers);
    }

    /// <summary>Every layer under the model's members as "path Kind [shape]" ("?" where the shape or the module is not known), depth first.</summary>
    private static List<string> Layers(string source, string typeName)
    {
        var compilation = CompilationHelper.Compile(TestSources.Usings + "using System.Collections.Generic;\n" + source);
        Assert.DoesNotContain(compilation.GetDiagnostics(), diagnostic => diagnostic.Severity == DiagnosticSeverity.Error);
        var type = compilation.GetTypeByMetadataName(typeName)!;
        var host = new StaticModules(new Dictionary<string, generator::PruneSharp.Compaction.FlowClass>(), new generator::PruneSharp.Generator.Construction.ConstructionReader(compilation, new SemanticModels(compilation), CancellationToken.None), CancellationToken.None);
        var found = new List<string>();
        Walk(host, StaticModules.Root(type), found);
        return found;
    }

    private static void Walk(StaticModules host, StaticModule owner, List<string> found)
    {
        foreach (var member in host.ModuleMembers(owner.Class!))
        {
            var kind = host.Member(owner, member.Name, out var node);
            if (kind == generator::PruneSharp.Compaction.FlowMember.Unknown) found.Add($"{(owner.Path.Length == 0 ? member.Name : owner.Path + "." + member.Name)} ?");
            if (node is not null) Describe(host, node, found);
        }
    }

    private static void Describe(StaticModules host, StaticModule node, List<string> found)
    {
        if (node.Layer is { } layer)
        {
            found.Add($"{node.Path} {layer} {(node.Shape is { } shape ? "[" + string.Join(", ", shape.Weight) + "]" : "?")}");
        }
        else if (node.Children is { } children)
        {
            foreach (var child in children) Describe(host, child, found);
        }
        else if (node.Class is not null)
        {
            Walk(host, node, found);
        }
        else if (node.Kind == generator::PruneSharp.Compaction.FlowModuleKind.Sequential)
        {
            found.Add($"{node.Path} ?");
        }
    }
}
