extern alias generator;

using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

using static PruneSharp.Tests.DiagnosticTests;

namespace PruneSharp.Tests;

/// <summary>
/// The diagnostics of declarations that reach many layers (a class-level [Prune], one on a container member), with
/// exact spans: the checks of a layer member run for each layer of the tree the code shows, naming it by its dotted
/// name; the selection's patterns are checked; and no setting of [Prune] is dropped silently.
/// </summary>
public sealed class TreeDiagnosticTests
{
    private const string Block = """
        public sealed class Block : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv;
            private readonly Linear fc;
            public Block(long input, long output) : base("block") { conv = Conv2d(input, output, 3); fc = Linear(output, input); RegisterComponents(); }
            public override Tensor forward(Tensor input) => input;
        }

        """;

    [Fact]
    public Task PRUNE001_container_whose_granularity_fits_none_of_its_layers() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune({|PRUNE001:Granularity.Kernel|}, 0.5)] private readonly Sequential heads = Sequential(("age", Linear(4, 1)), ("label", Linear(4, 5)));
            private readonly Linear output = Linear(5, 5);
            public Model() : base("m") => RegisterComponents();
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Granularity 'Kernel' does not apply to Linear layer 'heads.age'; valid granularities for Linear: Weight, Column, Row, Layer");

    /// <summary>Built where only run time knows its layers, but its type says what they are.</summary>
    [Fact]
    public Task PRUNE001_container_whose_type_names_a_kind_the_granularity_does_not_fit() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune({|PRUNE001:Granularity.Filter|}, 0.5)] private readonly ModuleList<Linear> heads;
            public Model(int count) : base("m") { heads = ModuleList(Enumerable.Range(0, count).Select(_ => Linear(4, 4)).ToArray()); RegisterComponents(); }
            {{Forward}}
        }
        """.Replace("using System;", "using System;\nusing System.Linq;", StringComparison.Ordinal), DiagnosticSeverity.Error, "Granularity 'Filter' does not apply to Linear layer 'heads.*'; valid granularities for Linear: Weight, Column, Row, Layer");

    [Fact]
    public Task PRUNE003_for_a_layer_of_an_inline_Sequential_names_it_by_its_dotted_name() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Filter, {|PRUNE003:0.9|})] private readonly Sequential features = Sequential(("conv1", Conv2d(3, 2, 3)), ("relu", ReLU()), ("conv2", Conv2d(2, 16, 3)));
            private readonly Linear head = Linear(16, 10);
            public Model() : base("m") => RegisterComponents();
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Sparsity 0.9 would remove all 2 groups of layer 'features.conv1' (Conv2d [2, 3, 3, 3], granularity Filter); use at most 0.5 to keep at least one group");

    /// <summary>A block built with constant arguments inside a Sequential filled in a loop: the class-level rule checks its layers.</summary>
    [Fact]
    public Task PRUNE003_for_a_layer_of_a_block_built_in_a_loop_from_the_class_level_Prune() => AssertDiagnostics(Block + $$"""
        [Prune(Granularity.Filter, {|PRUNE003:0.75|})]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Sequential blocks;
            private readonly Linear head = Linear(8, 10);
            public Model() : base("m")
            {
                var stages = new System.Collections.Generic.List<Module<Tensor, Tensor>>();
                for (var index = 0; index < 2; index++) stages.Add(new Block(index == 0 ? 3 : 2, index == 0 ? 2 : 8));
                blocks = Sequential(stages);
                RegisterComponents();
            }

            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Sparsity 0.75 would remove all 2 groups of layer 'blocks.0.conv' (Conv2d [2, 3, 3, 3], granularity Filter); use at most 0.5 to keep at least one group");

    [Fact]
    public Task PRUNE013_for_a_Linear_of_a_block_built_with_constant_arguments() => AssertDiagnostics(Block + $$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(2, {|PRUNE013:4|})] private readonly Module<Tensor, Tensor> block = new Block(8, 6);
            private readonly Linear head = Linear(8, 10);
            public Model() : base("m") => RegisterComponents();
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "N:M 2:4 does not fit layer 'block.fc' (Linear [8, 6]): its input size 6 (weight axis 1) is not a multiple of M = 4");

    [Fact]
    public Task PRUNE004_container_that_holds_no_layer() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [{|PRUNE004:Prune(Granularity.Weight, 0.5)|}] private readonly Sequential activations = Sequential(ReLU(), Dropout(0.1));
            [Prune(Granularity.Weight, 0.5)] private readonly Module<Tensor, Tensor> unknown;
            public Model(Module<Tensor, Tensor> given) : base("m") { unknown = given; RegisterComponents(); }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "'activations' is of type 'Sequential', which PruneSharp cannot prune; [Prune] goes on an instance field or property that holds a layer (Linear, Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d) or modules (a Sequential, ModuleList, ModuleDict, block class or other Module, or an array or list of modules)");

    /// <summary>Where the code shows the whole tree and no layer of it fits the class-level granularity.</summary>
    [Fact]
    public Task PRUNE008_class_level_Prune_that_fits_no_layer_of_the_tree() => AssertDiagnostics($$"""
        [{|PRUNE008:Prune(Granularity.Kernel, 0.5)|}]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Sequential mlp = Sequential(Linear(4, 8), ReLU(), Linear(8, 2));
            public Model() : base("m") => RegisterComponents();
            {{Forward}}
        }
        """, DiagnosticSeverity.Warning, "The class-level [Prune(Granularity.Kernel, ...)] of 'Model' applies to no layer: no layer of its module tree that a more specific [Prune] does not declare is one that granularity applies to");

    [Fact]
    public async Task PRUNE008_not_where_run_time_builds_part_of_the_tree()
    {
        Assert.Empty(await CompilationHelper.AnalyzeAsync(TestSources.Usings + $$"""
            [Prune(Granularity.Kernel, 0.5)]
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                private readonly Sequential mlp = Sequential(Linear(4, 8), ReLU(), Linear(8, 2));
                private readonly Module<Tensor, Tensor> backbone;
                public Model(Module<Tensor, Tensor> backbone) : base("m") { this.backbone = backbone; RegisterComponents(); }
                {{Forward}}
            }
            """));
    }

    /// <summary>Global scope counts the groups of every layer the tree prunes, those inside containers too, not the output layer's.</summary>
    [Fact]
    public Task PRUNE025_counts_the_layers_of_containers() => AssertDiagnostics($$"""
        [Prune(Granularity.Filter, {|PRUNE025:0.8|}, Scope = PruningScope.Global)]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d stem = Conv2d(3, 4, 3);
            private readonly Sequential features = Sequential(Conv2d(4, 4, 3), ReLU(), Conv2d(4, 2, 3));
            private readonly Conv2d head = Conv2d(2, 10, 1);
            public Model() : base("m") => RegisterComponents();
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Global sparsity 0.8 of 'Model' would prune 8 of the 10 groups of its 3 layers, but every layer keeps its best group; use at most 0.7");

    [Fact]
    public Task PRUNE041_malformed_layer_name_pattern() => AssertDiagnostics($$"""
        [Prune(Granularity.Weight, 0.5, Include = ["features.*", {|PRUNE041:"features..conv2"|}], Exclude = [{|PRUNE041:"**conv"|}])]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Sequential features = Sequential(("conv1", Conv2d(3, 8, 3)), ("conv2", Conv2d(8, 8, 3)));
            private readonly Linear head = Linear(8, 2);
            public Model() : base("m") => RegisterComponents();
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Include of 'Model': Layer name pattern 'features..conv2' has an empty segment; segments are separated by single dots (layer1.0.conv1, layer*.**)");

    [Fact]
    public Task PRUNE041_on_a_container_in_an_array_creation() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Filter, 0.5, Exclude = new[] { {|PRUNE041:"features.**x"|} })] private readonly Sequential features = Sequential(Conv2d(3, 8, 3));
            private readonly Linear head = Linear(8, 2);
            public Model() : base("m") => RegisterComponents();
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Exclude of 'features': Layer name pattern 'features.**x' uses ** inside the segment '**x'; ** stands for whole segments only (layer1.**), * for characters within one (layer*)");

    [Fact]
    public Task PRUNE042_selection_on_a_member_that_holds_one_layer() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5, Exclude = {|PRUNE042:["fc"]|}, IncludeOutputLayer = {|PRUNE042:true|})] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "'fc' holds one layer, and its own [Prune] always prunes it: Exclude selects among the layers a class-level or container [Prune] reaches; remove it");

    /// <summary>
    /// An attribute assembly newer than the generator: a [Prune] property the generator does not know is reported, and
    /// the declaration is not used (it was dropped silently before). The newer attribute is declared in source here.
    /// </summary>
    [Fact]
    public async Task PRUNE043_property_the_generator_does_not_know()
    {
        const string NewerAttributes = """
            namespace PruneSharp
            {
                public enum Granularity { Weight = 0, Row = 4, Filter = 14 }
                [System.AttributeUsage(System.AttributeTargets.Class | System.AttributeTargets.Field | System.AttributeTargets.Property)]
                public sealed class PruneAttribute : System.Attribute
                {
                    public PruneAttribute(Granularity granularity, double sparsity) { }
                    public int Warmup { get; set; }
                }
            }

            """;
        var (source, expected) = DiagnosticMarkup.Parse(NewerAttributes + """
            namespace Models
            {
                using PruneSharp;
                using TorchSharp.Modules;
                using static TorchSharp.torch;
                using static TorchSharp.torch.nn;

                public sealed partial class Model : Module<Tensor, Tensor>
                {
                    [Prune(Granularity.Row, 0.5, Warmup = {|PRUNE043:3|})] private readonly Linear fc = Linear(4, 5);
                    public Model() : base("m") { }
                    public override Tensor forward(Tensor input) => input;
                }
            }
            """);
        var references = CompilationHelper.References.Where(reference => !Path.GetFileName(reference.Display ?? string.Empty).StartsWith("PruneSharp.Attributes", StringComparison.Ordinal));
        var compilation = CSharpCompilation.Create("Newer", [CSharpSyntaxTree.ParseText(source, CompilationHelper.ParseOptions)], references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var diagnostics = (await compilation.WithAnalyzers([new generator::PruneSharp.Generator.PruneAnalyzer()]).GetAnalyzerDiagnosticsAsync()).Where(diagnostic => diagnostic.Id.StartsWith("PRUNE", StringComparison.Ordinal)).ToList();

        Assert.Equal(expected, diagnostics.Select(diagnostic => (diagnostic.Id, diagnostic.Location.SourceSpan)));
        Assert.Equal(
            "[Prune] on 'fc' sets 'Warmup', which this version of PruneSharp's generator does not know, so the declaration is not used; use the same version of the PruneSharp package for the attributes and the generator",
            diagnostics[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Every settable property of PruneAttribute is one the generator reads: none can be added without the generator knowing it.</summary>
    [Fact]
    public void The_generator_reads_every_property_of_PruneAttribute()
    {
        var settable = typeof(PruneAttribute).GetProperties(BindingFlags.Instance | BindingFlags.Public).Where(property => property.CanWrite).Select(property => property.Name).Order(StringComparer.Ordinal);
        Assert.Equal(settable, generator::PruneSharp.Generator.PruneProperties.All.Order(StringComparer.Ordinal));
    }
}
