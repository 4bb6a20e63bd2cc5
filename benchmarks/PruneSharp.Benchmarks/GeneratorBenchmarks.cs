extern alias generator;

using System.Collections.Immutable;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using PruneGenerator = generator::PruneSharp.Generator.PruneGenerator;

namespace PruneSharp.Benchmarks;

/// <summary>
/// PruneSharp's source generator (both outputs: pruning members and <c>Compact()</c>) on one model with 200 pruned
/// layers (Conv2d and Linear, shapes from initializers and from constructor assignments), as an IDE runs it: every run
/// gets a new compilation (one keystroke's edit), so no binding done for an earlier run is reused by the compiler.
/// Measured: a cold run (new generator and driver), a warm run after an edit inside a method body (<c>Train</c>), a
/// warm run after an edit inside <c>forward</c>, and the floor: a generator that only finds the same <c>[Prune]</c>
/// attributes, which is Roslyn's own cost for any attribute-driven generator. Each with and without the reuse of
/// parses (<c>ClassParseCache</c>), to show what it saves.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private const int Layers = 200;

    /// <summary>Distinct edits, so that consecutive runs never see the same compilation.</summary>
    private const int Edits = 64;

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    private CSharpCompilation _compilation = null!;
    private SyntaxTree[] _bodyEdits = null!;
    private SyntaxTree[] _forwardEdits = null!;
    private GeneratorDriver _warmDriver = null!;
    private GeneratorDriver _floorDriver = null!;
    private int _next;

    /// <summary>"reused": the generator as shipped; "parsed": every run parses the class (no ClassParseCache).</summary>
    [Params("reused", "parsed")]
    public string Parses { get; set; } = "reused";

    [GlobalSetup]
    public void Setup()
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.Ordinal) && !Path.GetFileName(path).StartsWith("PruneSharp.Generator", StringComparison.Ordinal))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
        _compilation = CSharpCompilation.Create(
            "GeneratorBenchmark",
            [CSharpSyntaxTree.ParseText(ModelSource(trainConstant: 0, forwardConstant: 0), ParseOptions, path: "Wide.cs")],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        // Every layer must be in the output: a layer with a diagnostic would be left out and the benchmark would measure less.
        var generated = CreateDriver().RunGenerators(_compilation).GetRunResult();
        var layerClasses = generated.GeneratedTrees.Sum(tree => CountOf(tree.ToString(), "PrunedLayer : global::PruneSharp.PrunedLayer"));
        if (layerClasses != Layers)
        {
            throw new InvalidOperationException($"The benchmark model generated {layerClasses} pruned layers, not {Layers}.");
        }

        // The edited trees are parsed here: parsing is the editor's work, not the generators'.
        var tree = _compilation.SyntaxTrees.Single();
        _bodyEdits = Enumerable.Range(1, Edits).Select(edit => Parsed(tree.WithChangedText(SourceText.From(ModelSource(edit, 0))))).ToArray();
        _forwardEdits = Enumerable.Range(1, Edits).Select(edit => Parsed(tree.WithChangedText(SourceText.From(ModelSource(0, edit))))).ToArray();
        _warmDriver = CreateDriver().RunGenerators(_compilation);
        _floorDriver = CSharpGeneratorDriver.Create([new AttributeLookupOnly().AsSourceGenerator()], parseOptions: ParseOptions).RunGenerators(_compilation);
    }

    /// <summary>Roslyn's cost of finding the 201 attributes after a body edit: what "near zero" can mean.</summary>
    [Benchmark(Baseline = true)]
    public GeneratorDriver Floor_attribute_lookup_only_after_a_body_edit() => _floorDriver.RunGenerators(Next(_bodyEdits));

    /// <summary>New generator and driver: every pipeline step runs for the 200 layers.</summary>
    [Benchmark]
    public GeneratorDriver Cold_run_200_layers() => CreateDriver().RunGenerators(Next(_bodyEdits));

    /// <summary>The warm driver after an edit inside Train(): the parse is reused, nothing is emitted again.</summary>
    [Benchmark]
    public GeneratorDriver Warm_run_after_a_body_edit_200_layers() => _warmDriver.RunGenerators(Next(_bodyEdits));

    /// <summary>The warm driver after an edit inside forward(): Compact()'s plan reads forward, so the class is parsed again.</summary>
    [Benchmark]
    public GeneratorDriver Warm_run_after_a_forward_edit_200_layers() => _warmDriver.RunGenerators(Next(_forwardEdits));

    private CSharpCompilation Next(SyntaxTree[] edits) => _compilation.ReplaceSyntaxTree(_compilation.SyntaxTrees.Single(), edits[_next++ % Edits]);

    private static SyntaxTree Parsed(SyntaxTree tree)
    {
        tree.GetRoot();
        return tree;
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var index = text.IndexOf(value, StringComparison.Ordinal); index >= 0; index = text.IndexOf(value, index + value.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    private GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create([new PruneGenerator(reuseParses: Parses == "reused").AsSourceGenerator()], parseOptions: ParseOptions);

    /// <summary>Half Conv2d, half Linear; every fourth layer is assigned in the constructor, the rest in initializers.</summary>
    private static string ModelSource(int trainConstant, int forwardConstant)
    {
        var text = new StringBuilder("""
            using PruneSharp;
            using TorchSharp.Modules;
            using static TorchSharp.torch;
            using static TorchSharp.torch.nn;

            namespace Benchmarks;

            [Prune(Granularity.Filter, 0.3)]
            public sealed partial class Wide : Module<Tensor, Tensor>
            {
                private const int Channels = 16;

            """);
        var constructorAssignments = new StringBuilder();
        for (var index = 0; index < Layers; index++)
        {
            var conv = index % 2 == 0;
            var type = conv ? "Conv2d" : "Linear";
            var factory = conv ? $"Conv2d(Channels, {8 + index % 5} * 8, (3, {1 + index % 3}))" : $"Linear(Channels * {1 + index % 7}, {10 + index})";
            var attribute = conv ? (index % 3 == 0 ? "[Prune(Granularity.Kernel, 0.5)] " : string.Empty) : "[Prune(Granularity.Row, 0.25, RoundTo = 2)] ";
            if (index % 4 == 3)
            {
                text.AppendLine($"    {attribute}private readonly {type} layer{index};");
                constructorAssignments.AppendLine($"        layer{index} = {factory};");
            }
            else
            {
                text.AppendLine($"    {attribute}private readonly {type} layer{index} = {factory};");
            }
        }

        text.AppendLine("    public Wide() : base(nameof(Wide))");
        text.AppendLine("    {");
        text.Append(constructorAssignments);
        text.AppendLine("        RegisterComponents();");
        text.AppendLine("    }");
        text.AppendLine($"    public int Train(int steps) {{ var total = 0; for (var step = 0; step < steps; step++) total += step * {trainConstant}; return total; }}");
        text.AppendLine($"    public override Tensor forward(Tensor input) => input * {forwardConstant};");
        text.AppendLine("}");
        return text.ToString();
    }
}

/// <summary>
/// Finds the <c>[Prune]</c> attributes as PruneSharp's generators do and does nothing with them: the floor. (Given to the
/// driver directly, so it carries no [Generator] attribute and the benchmark assembly is no analyzer.)
/// </summary>
internal sealed class AttributeLookupOnly : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var classes = context.SyntaxProvider.ForAttributeWithMetadataName("PruneSharp.PruneAttribute", static (node, _) => node is ClassDeclarationSyntax, static (target, _) => target.TargetSymbol.Name);
        var members = context.SyntaxProvider.ForAttributeWithMetadataName("PruneSharp.PruneAttribute", static (node, _) => node is VariableDeclaratorSyntax or PropertyDeclarationSyntax, static (target, _) => target.TargetSymbol.Name);
        context.RegisterSourceOutput(classes.Collect().Combine(members.Collect()), static (output, found) => output.AddSource("Found.g.cs", $"// {found.Left.Length} classes, {found.Right.Length} members"));
    }
}
