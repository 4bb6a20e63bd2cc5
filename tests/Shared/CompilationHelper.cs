extern alias generator;

using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using PruneAnalyzer = generator::PruneSharp.Generator.PruneAnalyzer;
using PruneGenerator = generator::PruneSharp.Generator.PruneGenerator;

namespace PruneSharp.Tests;

/// <summary>Compiles test sources against the running runtime, TorchSharp and PruneSharp, with the generator and analyzer.</summary>
internal static class CompilationHelper
{
    /// <summary>
    /// Assemblies a test project references for compilations only, never loads: the generator tests copy
    /// PruneSharp.Runtime here (their code must not call it; see NoLibTorchTests).
    /// </summary>
    public static string MetadataOnlyDirectory => Path.Combine(AppContext.BaseDirectory, "metadata");

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Concat(Directory.Exists(MetadataOnlyDirectory) ? Directory.GetFiles(MetadataOnlyDirectory) : [])
            .Where(path => path.EndsWith(".dll", StringComparison.Ordinal))
            .Where(path => !Path.GetFileName(path).StartsWith("PruneSharp.Generator", StringComparison.Ordinal))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray());

    /// <summary>
    /// The running runtime's assemblies, TorchSharp and PruneSharp's attributes and runtime (not the generator), as
    /// metadata: the runtime tests load TorchSharp and PruneSharp.Runtime, the generator tests only read them.
    /// </summary>
    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    public static CSharpCompilation Compile(params string[] sources) =>
        CSharpCompilation.Create(
            "TestModels",
            sources.Select((source, index) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"Source{index}.cs")),
            LazyReferences.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(
            [new PruneGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>The generator's pruning files (<c>*.Prune.g.cs</c>); its other output is <c>Compact()</c> (<c>*.Compact.g.cs</c>).</summary>
    public static IEnumerable<SyntaxTree> PruningTrees(GeneratorDriverRunResult result) =>
        result.GeneratedTrees.Where(tree => tree.FilePath.EndsWith(".Prune.g.cs", StringComparison.Ordinal));

    /// <summary>Runs the generator; returns the generated sources and the diagnostics of the compilation with them.</summary>
    public static (GeneratorDriverRunResult Result, ImmutableArray<Diagnostic> CompilationDiagnostics) Generate(params string[] sources)
    {
        var compilation = Compile(sources);
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        return (driver.GetRunResult(), output.GetDiagnostics());
    }

    /// <summary>
    /// The analyzer's diagnostics for the sources, after #pragma and other suppressions, without compaction's
    /// information diagnostics (PRUNE030–PRUNE039): most test models have a stub forward, so they would all get them.
    /// </summary>
    public static Task<ImmutableArray<Diagnostic>> AnalyzeAsync(params string[] sources) => AnalyzeAsync(includeCompaction: false, sources);

    /// <summary>
    /// The analyzer's diagnostics for the sources, after #pragma and other suppressions; compaction's too where asked.
    /// As in a build, the analyzer runs on the compilation with the generator's output in it.
    /// </summary>
    public static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(bool includeCompaction, params string[] sources)
    {
        CreateDriver().RunGeneratorsAndUpdateCompilation(Compile(sources), out var compilation, out _);
        var withAnalyzers = compilation.WithAnalyzers([new PruneAnalyzer()]);
        var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync();
        return diagnostics
            .Where(diagnostic => !diagnostic.IsSuppressed)
            .Where(diagnostic => includeCompaction || !IsCompactionDiagnostic(diagnostic.Id))
            .ToImmutableArray();
    }

    private static bool IsCompactionDiagnostic(string id) => string.CompareOrdinal(id, "PRUNE030") >= 0 && string.CompareOrdinal(id, "PRUNE039") <= 0;
}
