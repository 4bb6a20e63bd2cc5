extern alias generator;

using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using PruneAnalyzer = generator::PruneSharp.Generator.PruneAnalyzer;

namespace PruneSharp.Tests;

/// <summary>
/// The generator and the analyzer never throw, whatever half-typed source they meet: seeded random token deletions
/// and truncations of the test models (every layer kind, constructor assignments, global scope, N:M, Custom dims,
/// criteria and schedules). 2,000 sources by default; set PRUNESHARP_FUZZ_CASES for more (e.g. 10000).
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

            var driver = CompilationHelper.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out _, out var generatorDiagnostics);
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
            }

            if (failures.Count >= 3) break;
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        // The mutations must leave many sources the generator still understands, or the test proves little.
        Assert.True(generatedSomething > cases / 4, $"the generator produced code for only {generatedSomething} of {cases} sources");
    }

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
