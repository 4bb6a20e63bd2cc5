extern alias generator;

using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using System.Text;
using Microsoft.CodeAnalysis.Diagnostics;
using GeneratedNames = generator::PruneSharp.Generator.GeneratedNames;
using PruneAnalyzer = generator::PruneSharp.Generator.PruneAnalyzer;
using PruneGenerator = generator::PruneSharp.Generator.PruneGenerator;

namespace PruneSharp.Tests;

/// <summary>
/// The generator on valid but hostile C# (<see cref="HostileSources"/>): it never throws, its hint names are unique, the
/// generated code compiles with every warning an error (nullable on, warning level 9999, documentation comments
/// checked), the analyzer reports exactly the expected PRUNE errors, the same with and without the generated code in
/// the compilation, and the generated code declares on a model class only the names the name checks know.
/// </summary>
public sealed class HostileSourceTests
{
    private static readonly CSharpParseOptions StrictParseOptions = CompilationHelper.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);

    public static TheoryData<string> CaseNames => new(HostileSources.Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Generated_code_compiles_with_warnings_as_errors_and_the_analyzer_reports_the_expected_errors(string name)
    {
        var (sources, expectedErrors, expectedModels) = HostileSources.Cases[name];
        var compilation = CSharpCompilation.Create(
            "Hostile",
            sources.Select((source, index) => CSharpSyntaxTree.ParseText(source, StrictParseOptions, path: $"Hostile{index}.cs")),
            CompilationHelper.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, generalDiagnosticOption: ReportDiagnostic.Error, warningLevel: 9999));
        Assert.Empty(compilation.GetDiagnostics().Where(diagnostic => diagnostic.Severity >= DiagnosticSeverity.Warning));

        var driver = CSharpGeneratorDriver.Create([new PruneGenerator().AsSourceGenerator()], parseOptions: StrictParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var run = driver.GetRunResult().Results.Single();
        Assert.Null(run.Exception);
        Assert.Empty(generatorDiagnostics);

        // Every warning is an error here: the generated code must have none.
        var problems = output.GetDiagnostics().Where(diagnostic => diagnostic.Severity >= DiagnosticSeverity.Warning).Select(diagnostic => diagnostic.ToString()).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));

        var hintNames = run.GeneratedSources.Select(source => source.HintName).ToList();
        Assert.Equal(expectedModels, hintNames.Count(hint => hint.EndsWith(".Prune.g.cs", StringComparison.Ordinal)));
        Assert.Equal(hintNames.Count, hintNames.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(hintNames, hint => Assert.True(!hint.Contains('@', StringComparison.Ordinal) && Encoding.UTF8.GetByteCount(hint) < 200, hint));

        var withGenerated = await AnalyzeAsync(output);
        Assert.Equal(expectedErrors, withGenerated.Where(diagnostic => diagnostic.DefaultSeverity == DiagnosticSeverity.Error).Select(diagnostic => diagnostic.Id).Order(StringComparer.Ordinal));
        Assert.Equal(Describe(await AnalyzeAsync(compilation)), Describe(withGenerated));

        AssertDeclaresOnlyKnownNames(run);
    }

    [Fact]
    public void Hint_names_are_the_same_on_every_run()
    {
        var sources = HostileSources.Cases["Type and namespace names that differ only in case"].Sources;
        string[] Run() => CompilationHelper.CreateDriver().RunGenerators(CompilationHelper.Compile(sources)).GetRunResult().Results.Single().GeneratedSources.Select(source => source.HintName).Order(StringComparer.Ordinal).ToArray();
        var first = Run();
        Assert.Equal(first, Run());

        // Net and NET in Models, Net in models: each keeps its name and gets the hash of its full name.
        Assert.Equal(3, first.Count(hint => hint.EndsWith(".Prune.g.cs", StringComparison.Ordinal)));
        Assert.All(first, hint => Assert.Matches(@"^(Models|models)\.(Net|NET)\.[0-9a-f]{8}\.(Prune|Compact)\.g\.cs$", hint));
    }

    /// <summary>The members the generated code declares on the model classes are those <c>GeneratedNames</c> lists, which the name checks use.</summary>
    private static void AssertDeclaresOnlyKnownNames(GeneratorRunResult run)
    {
        foreach (var source in run.GeneratedSources)
        {
            var root = source.SyntaxTree.GetRoot();
            // The model class is the innermost type declaration that is not a generated layer class.
            var modelClass = root.DescendantNodes().OfType<ClassDeclarationSyntax>().Last(candidate => candidate.BaseList is null || candidate.BaseList.Types.All(type => !type.ToString().EndsWith("PrunedLayer", StringComparison.Ordinal)));
            var declared = modelClass.Members.SelectMany(member => member switch
            {
                FieldDeclarationSyntax field => field.Declaration.Variables.Select(variable => variable.Identifier.ValueText),
                PropertyDeclarationSyntax property => [property.Identifier.ValueText],
                MethodDeclarationSyntax method => [method.Identifier.ValueText],
                ClassDeclarationSyntax nested => [nested.Identifier.ValueText],
                _ => [],
            });
            var known = GeneratedNames.ModelMembers.Concat(GeneratedNames.CompactionMembers).Select(name => name.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var name in declared)
            {
                var isLayerName = name.EndsWith("Pruning", StringComparison.Ordinal) || name.EndsWith("PrunedLayer", StringComparison.Ordinal) || name.StartsWith("__pruneSharp", StringComparison.Ordinal);
                Assert.True(known.Contains(name) || isLayerName, $"{source.HintName} declares '{name}', which GeneratedNames does not list");
            }
        }
    }

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
}
