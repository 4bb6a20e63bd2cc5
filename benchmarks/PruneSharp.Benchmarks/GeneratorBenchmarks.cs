extern alias generator;

using System.Collections.Immutable;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using PruneGenerator = generator::PruneSharp.Generator.PruneGenerator;

namespace PruneSharp.Benchmarks;

/// <summary>
/// PruneSharp's source generator on one model with 200 pruned layers (Conv2d and Linear, shapes from initializers and
/// from constructor assignments): a cold run (a new driver, so every step runs) and a warm run after an edit inside a
/// method body (the driver's caches hold, every model is unchanged).
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private const int Layers = 200;

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _bodyEdited = null!;
    private GeneratorDriver _warmDriver = null!;

    [GlobalSetup]
    public void Setup()
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.Ordinal) && !Path.GetFileName(path).StartsWith("PruneSharp.Generator", StringComparison.Ordinal))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
        var source = ModelSource(bodyConstant: 1);
        _compilation = CSharpCompilation.Create(
            "GeneratorBenchmark",
            [CSharpSyntaxTree.ParseText(source, ParseOptions, path: "Wide.cs")],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        // Every layer must be in the output: a layer with a diagnostic would be left out and the benchmark would measure less.
        var generated = CreateDriver().RunGenerators(_compilation).GetRunResult();
        var layerClasses = generated.GeneratedTrees.Sum(tree => CountOf(tree.ToString(), "PrunedLayer : global::PruneSharp.PrunedLayer"));
        if (layerClasses != Layers)
        {
            throw new InvalidOperationException($"The benchmark model generated {layerClasses} pruned layers, not {Layers}.");
        }

        _warmDriver = CreateDriver().RunGenerators(_compilation);
        var tree = _compilation.SyntaxTrees.Single();
        _bodyEdited = _compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(SourceText.From(ModelSource(bodyConstant: 2))));
    }

    /// <summary>A new driver on the compilation: every pipeline step runs for the 200 layers.</summary>
    [Benchmark]
    public GeneratorDriver Cold_run_200_layers() => CreateDriver().RunGenerators(_compilation);

    /// <summary>The warm driver after an edit inside forward(): the transform reruns, every model compares equal, nothing is emitted again.</summary>
    [Benchmark]
    public GeneratorDriver Warm_run_after_a_body_edit_200_layers() => _warmDriver.RunGenerators(_bodyEdited);

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var index = text.IndexOf(value, StringComparison.Ordinal); index >= 0; index = text.IndexOf(value, index + value.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    private static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create([new PruneGenerator().AsSourceGenerator()], parseOptions: ParseOptions);

    /// <summary>Half Conv2d, half Linear; every fourth layer is assigned in the constructor, the rest in initializers.</summary>
    private static string ModelSource(int bodyConstant)
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
        text.AppendLine($"    public override Tensor forward(Tensor input) => input * {bodyConstant};");
        text.AppendLine("}");
        return text.ToString();
    }
}
