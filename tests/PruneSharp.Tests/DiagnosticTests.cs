using Microsoft.CodeAnalysis;

namespace PruneSharp.Tests;

/// <summary>One test per diagnostic: its ID, severity and exact span; plus suppression and clean models.</summary>
public sealed class DiagnosticTests
{
    private const string Forward = "public override Tensor forward(Tensor input) => input;";

    [Fact]
    public Task PRUNE001_granularity_that_does_not_apply_to_the_layer_type() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune({|PRUNE001:Granularity.Filter|}, 0.3)] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Granularity 'Filter' does not apply to Linear layer 'fc'; valid granularities for Linear: Weight, Column, Row, Layer");

    [Fact]
    public Task PRUNE002_sparsity_above_one_on_a_member() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, {|PRUNE002:1.5|})] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Sparsity 1.5 of 'fc' is outside [0, 1]; it is the fraction of groups to remove");

    [Fact]
    public Task PRUNE002_negative_sparsity_on_the_class_named_argument() => AssertDiagnostics($$"""
        [Prune(sparsity: {|PRUNE002:-0.1|}, granularity: Granularity.Filter)]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 8, 3);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public Task PRUNE003_sparsity_that_removes_every_filter_of_a_known_shape() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Filter, {|PRUNE003:0.9|})] private readonly Conv2d conv = Conv2d(3, 4, 3);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Sparsity 0.9 would remove all 4 groups of layer 'conv' (Conv2d [4, 3, 3, 3], granularity Filter); use at most 0.75 to keep at least one group");

    [Fact]
    public Task PRUNE003_from_the_class_default_is_reported_at_the_class_attribute() => AssertDiagnostics($$"""
        [Prune(Granularity.SharedVerticalSlice, {|PRUNE003:0.6|})]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 4, (3, 1));
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public Task PRUNE003_sparsity_one_removes_every_group_whatever_the_shape() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Weight, {|PRUNE003:1.0|})] private readonly Linear fc;
            public Model(int size) : base("m") { fc = Linear(size, size); }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public Task PRUNE004_attribute_on_a_member_that_is_not_a_supported_layer() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [{|PRUNE004:Prune(Granularity.Weight, 0.5)|}] private readonly BatchNorm2d bn = BatchNorm2d(8);
            [{|PRUNE004:Prune(Granularity.Weight, 0.5)|}] private int count;
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public Task PRUNE005_class_not_partial() => AssertDiagnostics($$"""
        public sealed class {|PRUNE005:Model|} : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5)] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "'Model' must be declared partial so PruneSharp can generate its pruning members");

    [Fact]
    public Task PRUNE005_containing_class_not_partial() => AssertDiagnostics($$"""
        public static class {|PRUNE005:Outer|}
        {
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                [Prune(Granularity.Row, 0.5)] private readonly Linear fc = Linear(4, 5);
                public Model() : base("m") { }
                {{Forward}}
            }
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public Task PRUNE006_class_not_a_module() => AssertDiagnostics("""
        [Prune(Granularity.Filter, 0.5)]
        public sealed partial class {|PRUNE006:NotAModel|}
        {
            private readonly Conv2d conv = Conv2d(3, 8, 3);
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public Task PRUNE007_generic_class() => AssertDiagnostics($$"""
        public sealed partial class {|PRUNE007:Model|}<T> : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5)] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public Task PRUNE008_class_default_that_applies_to_no_layer() => AssertDiagnostics($$"""
        [{|PRUNE008:Prune(Granularity.Filter, 0.3)|}]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = Linear(4, 5);
            [Prune(Granularity.Row, 0.5)] private readonly Linear fc2 = Linear(5, 2);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Warning);

    [Fact]
    public async Task Pragma_suppresses_a_diagnostic_at_its_location()
    {
        var diagnostics = await CompilationHelper.AnalyzeAsync(TestSources.Usings + $$"""
            public sealed partial class Model : Module<Tensor, Tensor>
            {
            #pragma warning disable PRUNE003
                [Prune(Granularity.Filter, 0.9)] private readonly Conv2d conv = Conv2d(3, 4, 3);
            #pragma warning restore PRUNE003
                [Prune(Granularity.Filter, 0.9)] private readonly Conv2d other = Conv2d(3, 4, 3);
                public Model() : base("m") { }
                {{Forward}}
            }
            """);
        var remaining = Assert.Single(diagnostics);
        Assert.Equal("PRUNE003", remaining.Id);
        Assert.Contains("'other'", remaining.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Valid_models_have_no_diagnostics()
    {
        Assert.Empty(await CompilationHelper.AnalyzeAsync(TestSources.SmallCnn));
        Assert.Empty(await CompilationHelper.AnalyzeAsync(TestSources.UnknownShapes));
        Assert.Empty(await CompilationHelper.AnalyzeAsync(TestSources.Nested));
    }

    private static async Task AssertDiagnostics(string markup, DiagnosticSeverity severity, string? message = null)
    {
        var (source, expected) = DiagnosticMarkup.Parse(TestSources.Usings + markup);
        var diagnostics = await CompilationHelper.AnalyzeAsync(source);
        var actual = diagnostics.OrderBy(diagnostic => diagnostic.Location.SourceSpan.Start).Select(diagnostic => (diagnostic.Id, diagnostic.Location.SourceSpan)).ToList();
        Assert.Equal(expected, actual);
        Assert.All(diagnostics, diagnostic => Assert.Equal(severity, diagnostic.Severity));
        Assert.All(diagnostics, diagnostic => Assert.True(diagnostic.Location.IsInSource));
        if (message is not null)
        {
            Assert.Equal(message, diagnostics[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
