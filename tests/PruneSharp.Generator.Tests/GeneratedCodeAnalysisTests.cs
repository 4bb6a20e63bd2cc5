extern alias generator;

using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PruneAnalyzer = generator::PruneSharp.Generator.PruneAnalyzer;

namespace PruneSharp.Tests;

/// <summary>
/// Generated code never changes what the analysis sees. In a build the analyzer runs on the compilation with the
/// generator's output in it: the generated members (the layer classes that read each layer, the compaction plan)
/// are declared there. A generated <c>Compact()</c> constructor that assigned every layer it rebuilt once counted as a
/// second write of the layer, so its shape was lost (no PRUNE003, PRUNE013, PRUNE025, the layer silently left out)
/// and layers that Compact() does shrink got PRUNE034. These tests run the real driver and analyze the compilation
/// it returns.
/// </summary>
public sealed class GeneratedCodeAnalysisTests
{
    [Fact]
    public async Task A_Filter_09_conv_feeding_another_conv_gets_PRUNE003_and_nothing_else()
    {
        var (diagnostics, generated) = await AnalyzeWithGeneratedCodeAsync("""
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                [Prune(Granularity.Filter, 0.9)] private readonly Conv2d conv1 = Conv2d(3, 4, 3);
                [Prune(Granularity.Filter, 0.5)] private readonly Conv2d conv2 = Conv2d(4, 8, 3);
                private readonly Conv2d head = Conv2d(8, 2, 1);
                public Model() : base("m") => RegisterComponents();
                public override Tensor forward(Tensor input) => head.forward(conv2.forward(conv1.forward(input)));
            }
            """);

        // The generated code is in the compilation the analyzer sees: the layer classes and Compact().
        Assert.Contains("public override global::TorchSharp.torch.nn.Module Layer => _model.conv2;", generated, StringComparison.Ordinal);
        Assert.Contains("ModelCompaction.Compact(this,", generated, StringComparison.Ordinal);
        Assert.Equal(["PRUNE003"], diagnostics.Select(diagnostic => diagnostic.Id));
        Assert.Contains("'conv1' (Conv2d [4, 3, 3, 3]", diagnostics[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_docs_PRUNE013_and_PRUNE025_examples_are_reported_with_generated_code_in_the_compilation()
    {
        var (diagnostics, _) = await AnalyzeWithGeneratedCodeAsync("""
            public sealed partial class NOfM : Module<Tensor, Tensor>
            {
                [Prune(2, 4)] private readonly Linear fc1 = Linear(6, 4);
                [Prune(Granularity.Row, 0.5)] private readonly Linear fc2 = Linear(4, 4);
                public NOfM() : base("m") => RegisterComponents();
                public override Tensor forward(Tensor input) => fc2.forward(fc1.forward(input));
            }

            [Prune(Granularity.Filter, 0.9, Scope = PruningScope.Global)]
            public sealed partial class Global : Module<Tensor, Tensor>
            {
                private readonly Conv2d conv1 = Conv2d(3, 4, 3);
                private readonly Conv2d conv2 = Conv2d(4, 6, 3);
                private readonly Conv2d head = Conv2d(6, 2, 1);
                public Global() : base("m") => RegisterComponents();
                public override Tensor forward(Tensor input) => head.forward(conv2.forward(conv1.forward(input)));
            }
            """);
        Assert.Equal(["PRUNE013", "PRUNE025"], diagnostics.Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).Select(diagnostic => diagnostic.Id));
        Assert.DoesNotContain(diagnostics, diagnostic => diagnostic.Id == "PRUNE034");
    }

    [Fact]
    public async Task Every_test_model_has_the_same_diagnostics_with_and_without_the_generated_code()
    {
        string[] sources =
        [
            CompactionGeneratorTests.CompactionModels, TestSources.SmallCnn, TestSources.UnknownShapes, TestSources.Nested,
            TestSources.AllLayerKinds, TestSources.ConstructorAssigned, TestSources.GlobalScope, TestSources.NOfMAndCustom,
            TestSources.CriteriaAndSchedules,
        ];
        var compilation = CompilationHelper.Compile(sources);
        var driver = CompilationHelper.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var withGenerated, out _);
        Assert.True(driver.GetRunResult().GeneratedTrees.Length >= 2 * 10, "the generator wrote less than both files for ten models");

        var without = Describe(await AnalyzeAsync(compilation));
        var with = Describe(await AnalyzeAsync(withGenerated));
        Assert.Equal(without, with);

        // Compaction's notes are part of it: CompactionModels has PRUNE03x notes, and none of the layers Compact() shrinks has one.
        Assert.Contains(without, line => line.StartsWith("PRUNE03", StringComparison.Ordinal));
    }

    /// <summary>Every diagnostic, as "ID file(line,column)".</summary>
    private static string[] Describe(ImmutableArray<Diagnostic> diagnostics) =>
        diagnostics.Select(diagnostic => $"{diagnostic.Id} {diagnostic.Location.GetLineSpan()}").Order(StringComparer.Ordinal).ToArray();

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Compilation compilation)
    {
        var thrown = new List<Exception>();
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), (exception, _, _) => thrown.Add(exception), concurrentAnalysis: false, logAnalyzerExecutionTime: false);
        var diagnostics = await compilation.WithAnalyzers([new PruneAnalyzer()], options).GetAnalyzerDiagnosticsAsync();
        Assert.Empty(thrown);
        return diagnostics;
    }

    /// <summary>The analyzer's diagnostics (compaction's included) on the compilation the driver returns, in source order, and the generated code.</summary>
    private static async Task<(IReadOnlyList<Diagnostic> Diagnostics, string Generated)> AnalyzeWithGeneratedCodeAsync(string source)
    {
        var driver = CompilationHelper.CreateDriver().RunGeneratorsAndUpdateCompilation(CompilationHelper.Compile(TestSources.Usings + source), out var compilation, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        Assert.DoesNotContain(compilation.GetDiagnostics(), diagnostic => diagnostic.Severity == DiagnosticSeverity.Error);
        var generated = string.Join("\n", driver.GetRunResult().GeneratedTrees.Select(tree => tree.ToString()));
        var diagnostics = (await AnalyzeAsync(compilation)).OrderBy(diagnostic => diagnostic.Location.SourceSpan.Start).ToList();
        return (diagnostics, generated);
    }
}
