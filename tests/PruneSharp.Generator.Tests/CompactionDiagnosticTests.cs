extern alias generator;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using PruneAnalyzer = generator::PruneSharp.Generator.PruneAnalyzer;
using PruneGenerator = generator::PruneSharp.Generator.PruneGenerator;

namespace PruneSharp.Tests;

/// <summary>One test per compaction diagnostic (PRUNE030–PRUNE034): ID, Info severity, exact span and message; and suppression.</summary>
public sealed class CompactionDiagnosticTests
{
    private const string Constructor = "public Model() : base(\"m\") => RegisterComponents();";

    [Fact]
    public Task PRUNE030_granularity_that_removes_no_whole_unit() => AssertDiagnostic($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Kernel, 0.5)] private readonly Conv2d {|PRUNE030:conv|} = Conv2d(3, 8, 3);
            private readonly Conv2d head = Conv2d(8, 4, 3);
            {{Constructor}}
            public override Tensor forward(Tensor input) => head.forward(conv.forward(input));
        }
        """, "Compact() removes no unit of 'conv' for its granularity Kernel: Kernel removes no whole filter, output neuron or input channel, so the pruned weights stay in the compacted model as zeros");

    [Fact]
    public Task PRUNE031_call_that_compaction_does_not_follow() => AssertDiagnostic($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Filter, 0.5)] private readonly Conv2d conv = Conv2d(3, 8, 3);
            private readonly Conv2d head = Conv2d(16, 4, 3);
            {{Constructor}}
            public override Tensor forward(Tensor input)
            {
                var x = conv.forward(input);
                return head.forward({|PRUNE031:cat(new[] { x, x }, 1)|});
            }
        }
        """, "Compact() keeps every filter of 'conv': forward passes them to 'cat(new[] { x, x }, 1)', which Compact() does not follow");

    [Fact]
    public Task PRUNE031_statement_that_compaction_does_not_follow() => AssertDiagnostic($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5)] private readonly Linear fc1 = Linear(8, 16);
            private readonly Linear fc2 = Linear(16, 4);
            {{Constructor}}
            public override Tensor forward(Tensor input)
            {
                var x = fc1.forward(input);
                {|PRUNE031:if|} (input.shape[0] > 1) x = x.relu();
                return fc2.forward(x);
            }
        }
        """, "Compact() keeps every output neuron of 'fc1': forward uses them in a 'if' statement, which Compact() does not follow");

    [Fact]
    public Task PRUNE031_linear_applied_to_a_spatial_tensor() => AssertDiagnostic($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Filter, 0.5)] private readonly Conv2d conv = Conv2d(3, 8, 3);
            private readonly Linear fc = Linear(6, 4);
            {{Constructor}}
            public override Tensor forward(Tensor input) => {|PRUNE031:fc.forward(conv.forward(input))|}.flatten(1);
        }
        """, "Compact() keeps every filter of 'conv': forward applies Linear 'fc' to a tensor that still has spatial dims, so it mixes their last axis, not the channels");

    [Fact]
    public Task PRUNE032_pruned_filters_that_are_the_model_output() => AssertDiagnostic($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Filter, 0.5)] private readonly Conv2d conv = Conv2d(3, 8, 3);
            {{Constructor}}
            public override Tensor forward(Tensor input) => {|PRUNE032:functional.relu(conv.forward(input))|};
        }
        """, "Compact() keeps every filter of 'conv': forward returns them: they are the model's output, whose size cannot change");

    [Fact]
    public Task PRUNE032_pruned_input_channels_that_are_the_model_input() => AssertDiagnostic($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.SharedKernel, 0.5)] private readonly Conv2d conv = Conv2d(3, 8, 3);
            private readonly Conv2d head = Conv2d(8, 4, 3);
            {{Constructor}}
            public override Tensor forward(Tensor input) => head.forward({|PRUNE032:conv.forward(input)|});
        }
        """, "Compact() keeps every input channel of 'conv': forward couples them with the channels of the model's input, whose size cannot change");

    [Fact]
    public Task PRUNE033_flattened_channels_that_are_not_whole_blocks() => AssertDiagnostic($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Filter, 0.5)] private readonly Conv2d conv = Conv2d(3, 8, 3);
            private readonly Linear fc = Linear(100, 4);
            {{Constructor}}
            public override Tensor forward(Tensor input) => {|PRUNE033:fc.forward(conv.forward(input).flatten(1))|};
        }
        """, "Compact() keeps every filter of 'conv': 'fc' reads them flattened, but its 100 input features are not a whole number of blocks of 8 channels");

    /// <summary>A block size only run time knows is checked at run time (Compact() keeps the group if it does not fit), not reported.</summary>
    [Fact]
    public async Task Flattened_channels_whose_sizes_are_known_only_at_run_time_get_no_note()
    {
        var diagnostics = await CompilationHelper.AnalyzeAsync(includeCompaction: true, TestSources.Usings + """
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                [Prune(Granularity.Filter, 0.5)] private readonly Conv2d conv = Conv2d(3, 8, 3);
                private readonly Linear fc;
                public Model(int features = 200) : base("m") { fc = Linear(features, 4); RegisterComponents(); }
                public override Tensor forward(Tensor input) => fc.forward(conv.forward(input).view(input.shape[0], -1));
            }
            """);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public Task PRUNE034_grouped_convolution() => AssertDiagnostic($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Filter, 0.5)] private readonly Conv2d conv = Conv2d(8, 8, 3, groups: 2);
            private readonly Conv2d head = Conv2d(8, 4, 3);
            {{Constructor}}
            public override Tensor forward(Tensor input) => head.forward({|PRUNE034:conv.forward(input)|});
        }
        """, "Compact() keeps every filter of 'conv': 'conv' is a grouped convolution (groups = 2); Compact() shrinks convolutions with groups = 1 and depthwise ones");

    [Fact]
    public Task PRUNE034_layer_that_forward_never_calls() => AssertDiagnostic($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5)] private readonly Linear {|PRUNE034:unused|} = Linear(8, 16);
            {{Constructor}}
            public override Tensor forward(Tensor input) => input;
        }
        """, "Compact() keeps every output neuron of 'unused': forward never calls it");

    [Fact]
    public async Task Pragma_suppresses_a_compaction_diagnostic_at_its_location()
    {
        var diagnostics = await CompilationHelper.AnalyzeAsync(includeCompaction: true, TestSources.Usings + """
            public sealed partial class Model : Module<Tensor, Tensor>
            {
            #pragma warning disable PRUNE030
                [Prune(Granularity.Kernel, 0.5)] private readonly Conv2d conv = Conv2d(3, 8, 3);
            #pragma warning restore PRUNE030
                [Prune(Granularity.Kernel, 0.5)] private readonly Conv2d other = Conv2d(8, 8, 3);
                public Model() : base("m") => RegisterComponents();
                public override Tensor forward(Tensor input) => other.forward(conv.forward(input));
            }
            """);
        var remaining = Assert.Single(diagnostics);
        Assert.Equal("PRUNE030", remaining.Id);
        Assert.Contains("'other'", remaining.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    /// <summary>Code a block class's forward does not follow is reported where it is, naming the layers it keeps by their dotted names.</summary>
    [Fact]
    public async Task A_block_class_note_names_the_dotted_layers()
    {
        var diagnostics = await CompilationHelper.AnalyzeAsync(includeCompaction: true, CompactionGeneratorTests.CompactionTreeModels);
        var attention = Assert.Single(diagnostics, diagnostic => diagnostic.Id == "PRUNE031" && diagnostic.Location.SourceTree!.ToString().Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length) == "matmul(q, k.transpose(1, 2))");
        var message = attention.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("'blocks.0.query'", message, StringComparison.Ordinal);
        Assert.Contains("which Compact() does not follow", message, StringComparison.Ordinal);
        Assert.All(diagnostics, diagnostic => Assert.Equal(DiagnosticSeverity.Info, diagnostic.Severity));
    }

    /// <summary>
    /// Issue 14: in a consumer project (generated code in the compilation) the generated Compact() constructor assigned
    /// every layer field, the analysis read that as a second write, PRUNE003 vanished and PRUNE034 said "cannot see how
    /// it is built". Compact() now generates no constructor and assigns no field.
    /// </summary>
    [Fact]
    public async Task Generated_code_in_the_compilation_hides_no_error_and_gives_no_false_note()
    {
        var compilation = CompilationHelper.Compile(TestSources.Usings + """
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                [Prune(Granularity.Filter, 0.9)] private readonly Conv2d conv1 = Conv2d(3, 4, 3);
                [Prune(Granularity.Filter, 0.5)] private readonly Conv2d conv2 = Conv2d(4, 8, 3);
                private readonly Conv2d head = Conv2d(8, 2, 1);
                public Model() : base("m") => RegisterComponents();
                public override Tensor forward(Tensor input) => head.forward(conv2.forward(conv1.forward(input)));
            }
            """);
        CSharpGeneratorDriver.Create([new PruneGenerator().AsSourceGenerator()], parseOptions: CompilationHelper.ParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        Assert.Equal(3, output.SyntaxTrees.Count());
        var diagnostics = await output.WithAnalyzers([new PruneAnalyzer()]).GetAnalyzerDiagnosticsAsync();
        var error = Assert.Single(diagnostics, diagnostic => diagnostic.Severity == DiagnosticSeverity.Error);
        Assert.Equal("PRUNE003", error.Id);
        Assert.Contains("'conv1'", error.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.DoesNotContain(diagnostics, diagnostic => diagnostic.Id == "PRUNE034");
    }

    /// <summary>Info notes are hidden in a plain build; a severity set in .editorconfig (docs/diagnostics.md) makes them warnings.</summary>
    [Fact]
    public async Task An_editorconfig_severity_makes_compaction_notes_warnings()
    {
        var compilation = CompilationHelper.Compile(TestSources.Usings + """
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                [Prune(Granularity.Filter, 0.5)] private readonly Conv2d conv = Conv2d(3, 8, 3);
                public Model() : base("m") => RegisterComponents();
                public override Tensor forward(Tensor input) => functional.relu(conv.forward(input));
            }
            """);
        var options = compilation.Options.WithSyntaxTreeOptionsProvider(new SeverityProvider("PRUNE032", ReportDiagnostic.Warn));
        var diagnostics = await compilation.WithOptions(options).WithAnalyzers([new PruneAnalyzer()]).GetAnalyzerDiagnosticsAsync();
        var note = Assert.Single(diagnostics);
        Assert.Equal(("PRUNE032", DiagnosticSeverity.Warning), (note.Id, note.Severity));
    }

    /// <summary>What a .editorconfig line <c>dotnet_diagnostic.ID.severity = ...</c> gives the compiler.</summary>
    private sealed class SeverityProvider(string id, ReportDiagnostic severity) : SyntaxTreeOptionsProvider
    {
        public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.NotGenerated;

        public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic result) =>
            TryGetGlobalDiagnosticValue(diagnosticId, cancellationToken, out result);

        public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic result)
        {
            result = diagnosticId == id ? severity : ReportDiagnostic.Default;
            return diagnosticId == id;
        }
    }

    [Fact]
    public async Task Compactable_models_have_no_compaction_diagnostics()
    {
        Assert.Empty(await CompilationHelper.AnalyzeAsync(includeCompaction: true, CompactionGeneratorTests.CompactionModels));
    }

    private static async Task AssertDiagnostic(string markup, string message)
    {
        var (source, expected) = DiagnosticMarkup.Parse(TestSources.Usings + markup);
        var diagnostics = await CompilationHelper.AnalyzeAsync(includeCompaction: true, source);
        var actual = diagnostics.OrderBy(diagnostic => diagnostic.Location.SourceSpan.Start).Select(diagnostic => (diagnostic.Id, diagnostic.Location.SourceSpan)).ToList();
        Assert.Equal(expected, actual);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticSeverity.Info, diagnostic.Severity);
        Assert.True(diagnostic.Location.IsInSource);
        Assert.Equal(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }
}
