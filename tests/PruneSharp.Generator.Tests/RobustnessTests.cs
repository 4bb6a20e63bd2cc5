extern alias generator;

using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using PruneAnalyzer = generator::PruneSharp.Generator.PruneAnalyzer;
using PruneGenerator = generator::PruneSharp.Generator.PruneGenerator;

namespace PruneSharp.Tests;

/// <summary>
/// The generator and the analyzer never throw, whatever half-typed source they meet: seeded random token deletions
/// and truncations of the test models (every layer kind, constructor assignments, global scope, N:M, Custom dims,
/// criteria and schedules, and the hostile sources: keywords, Unicode, case, nullable layers, odd containers). 2,000
/// sources by default; set PRUNESHARP_FUZZ_CASES for more (e.g. 10000). And on valid C#, generated at random from
/// hostile names and shapes, the generated code always compiles with every warning an error.
/// </summary>
public sealed class RobustnessTests
{
    private const string CasesVariable = "PRUNESHARP_FUZZ_CASES";

    [Fact]
    public async Task Generator_and_analyzer_never_throw_on_mutated_or_truncated_sources()
    {
        var cases = int.TryParse(Environment.GetEnvironmentVariable(CasesVariable), out var requested) && requested > 0 ? requested : 2000;
        string[] seeds =
        [
            TestSources.SmallCnn, TestSources.UnknownShapes, TestSources.Nested, TestSources.AllLayerKinds, TestSources.ConstructorAssigned,
            TestSources.GlobalScope, TestSources.NOfMAndCustom, TestSources.CriteriaAndSchedules,
            File.ReadAllText(Path.Combine(RepositoryPaths.Root, "samples", "QuickStart", "SmallCnn.cs")),
            .. HostileSources.Cases.Values.Select(testCase => string.Join("\n", testCase.Sources)),
        ];
        var seedTokens = seeds.Select(seed => CSharpSyntaxTree.ParseText(seed).GetRoot().DescendantTokens().Select(token => token.ToFullString()).ToArray()).ToArray();
        var random = new Random(20261126);
        var failures = new List<string>();
        var generatedSomething = 0;

        for (var index = 0; index < cases; index++)
        {
            var tokens = seedTokens[random.Next(seedTokens.Length)];
            var source = Mutate(tokens, random);
            var compilation = CompilationHelper.Compile(source);

            var driver = CompilationHelper.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var generatedCompilation, out var generatorDiagnostics);
            var run = driver.GetRunResult().Results[0];
            if (run.Exception is not null || generatorDiagnostics.Any(diagnostic => diagnostic.Id == "CS8785"))
            {
                failures.Add($"case {index}: generator threw {run.Exception?.GetType().Name}: {run.Exception?.Message}\n{source}");
            }

            if (!run.GeneratedSources.IsEmpty) generatedSomething++;

            // The analyzer is slower (it binds the whole tree): every fourth case.
            if (index % 4 == 0)
            {
                var thrown = new List<Exception>();
                var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), (exception, _, _) => thrown.Add(exception), concurrentAnalysis: false, logAnalyzerExecutionTime: false);
                var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new PruneAnalyzer()), options).GetAnalyzerDiagnosticsAsync();
                if (thrown.Count > 0 || diagnostics.Any(diagnostic => diagnostic.Id == "AD0001"))
                {
                    failures.Add($"case {index}: analyzer threw {thrown.FirstOrDefault()?.Message}\n{source}");
                }

                // The generated code, in the compilation as in a build, changes nothing the analyzer reports.
                if (index % 8 == 0)
                {
                    var withGenerated = await generatedCompilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new PruneAnalyzer()), options).GetAnalyzerDiagnosticsAsync();
                    if (!Describe(diagnostics).SequenceEqual(Describe(withGenerated)))
                    {
                        failures.Add($"case {index}: the analyzer reports {string.Join(", ", Describe(withGenerated))} with the generated code and {string.Join(", ", Describe(diagnostics))} without\n{source}");
                    }
                }
            }

            if (failures.Count >= 3) break;
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        // The mutations must leave many sources the generator still understands, or the test proves little.
        Assert.True(generatedSomething > cases / 4, $"the generator produced code for only {generatedSomething} of {cases} sources");
    }

    [Fact]
    public async Task Generated_code_compiles_with_warnings_as_errors_for_random_valid_models()
    {
        var cases = int.TryParse(Environment.GetEnvironmentVariable(CasesVariable), out var requested) && requested > 0 ? Math.Max(requested / 20, 50) : 50;
        var random = new Random(20261201);
        var parseOptions = CompilationHelper.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, generalDiagnosticOption: ReportDiagnostic.Error, warningLevel: 9999);
        var failures = new List<string>();
        var layersGenerated = 0;
        var namesMet = 0;

        for (var index = 0; index < cases && failures.Count < 3; index++)
        {
            var sources = RandomValidModels.Create(random);
            var compilation = CSharpCompilation.Create("Random", sources.Select((source, file) => CSharpSyntaxTree.ParseText(source, parseOptions, path: $"Random{file}.cs")), CompilationHelper.References, options);
            var invalid = compilation.GetDiagnostics().Where(diagnostic => diagnostic.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(invalid.Count == 0, $"case {index}: the random source itself does not compile: {string.Join("; ", invalid)}\n{string.Join("\n//----\n", sources)}");

            var driver = CSharpGeneratorDriver.Create([new PruneGenerator().AsSourceGenerator()], parseOptions: parseOptions)
                .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
            var run = driver.GetRunResult().Results[0];
            var problems = generatorDiagnostics.Concat(output.GetDiagnostics().Where(diagnostic => diagnostic.Severity >= DiagnosticSeverity.Warning)).Select(diagnostic => diagnostic.ToString()).ToList();
            if (run.Exception is not null) problems.Add($"generator threw {run.Exception}");

            var analyzerOptions = new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), (exception, _, _) => problems.Add($"analyzer threw {exception}"), concurrentAnalysis: false, logAnalyzerExecutionTime: false);
            var with = await output.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new PruneAnalyzer()), analyzerOptions).GetAnalyzerDiagnosticsAsync();
            problems.AddRange(with.Where(diagnostic => diagnostic.DefaultSeverity == DiagnosticSeverity.Error && diagnostic.Id is not ("PRUNE027" or "PRUNE028")).Select(diagnostic => $"unexpected {diagnostic}"));
            if (index % 3 == 0)
            {
                var without = await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new PruneAnalyzer()), analyzerOptions).GetAnalyzerDiagnosticsAsync();
                if (!Describe(with).SequenceEqual(Describe(without))) problems.Add("the analyzer reports other diagnostics with the generated code than without");
            }
            if (problems.Count > 0) failures.Add($"case {index}:\n{string.Join("\n", problems)}\n{string.Join("\n//----\n", sources)}");

            layersGenerated += run.GeneratedSources.Sum(source => source.SourceText.ToString().Split("PrunedLayer : global::PruneSharp.PrunedLayer").Length - 1);
            namesMet += with.Count(diagnostic => diagnostic.Id is "PRUNE027" or "PRUNE028");
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        // The random models must both generate plenty of layers and meet the generated names often, or the test proves little.
        Assert.True(layersGenerated > cases * 2, $"only {layersGenerated} layers generated in {cases} cases");
        Assert.True(namesMet > cases / 4, $"generated names were met only {namesMet} times in {cases} cases");
    }

    private static IEnumerable<string> Describe(ImmutableArray<Diagnostic> diagnostics) =>
        diagnostics.Select(diagnostic => $"{diagnostic.Id} {diagnostic.Location.GetLineSpan()}").Order(StringComparer.Ordinal);

    private static string Mutate(string[] tokens, Random random)
    {
        var kept = tokens.ToList();
        if (random.Next(5) == 0)
        {
            // Truncate at a random token, as an editor mid-typing would leave it.
            kept = kept.Take(random.Next(1, kept.Count)).ToList();
        }
        else
        {
            var deletions = random.Next(1, 4);
            for (var deletion = 0; deletion < deletions && kept.Count > 1; deletion++) kept.RemoveAt(random.Next(kept.Count));
        }

        return string.Concat(kept);
    }
}
