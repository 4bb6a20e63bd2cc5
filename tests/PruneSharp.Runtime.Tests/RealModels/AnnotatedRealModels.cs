using System.Reflection;
using Microsoft.CodeAnalysis;
using TorchSharp;

namespace PruneSharp.Tests.RealModels;

/// <summary>
/// The five real-model fixtures (ResNet-18/50, VGG-16, MobileNetV2, the Transformer classifier) as a user annotates
/// them: <c>[Prune]</c> only on the model class (made <c>partial</c>), nothing on its blocks. The fixtures in this
/// assembly carry no attribute (the imperative entry's tests use them plain), so their sources are compiled again here
/// with the attribute added, through PruneSharp's generator and analyzer, and the assembly is loaded: its models run
/// the generated code.
/// </summary>
internal static class AnnotatedRealModels
{
    /// <summary>Each model class's [Prune]: Filter for the convolutional networks, Row for the Transformer's Linear layers.</summary>
    public static readonly IReadOnlyDictionary<string, string> LocalAttributes = new Dictionary<string, string>
    {
        ["ResNet"] = "[Prune(Granularity.Filter, 0.3)]",
        ["Vgg16"] = "[Prune(Granularity.Filter, 0.3)]",
        ["MobileNetV2"] = "[Prune(Granularity.Filter, 0.25)]",
        ["TransformerClassifier"] = "[Prune(Granularity.Row, 0.25)]",
    };

    private static readonly string[] Files = ["ResNet.cs", "Vgg16.cs", "MobileNetV2.cs", "TransformerClassifier.cs"];

    private static readonly Lazy<Assembly> LocalAssembly = new(() => Compile("AnnotatedRealModels", LocalAttributes));

    private static readonly Lazy<Assembly> GlobalAssembly = new(() => Compile("AnnotatedGlobalRealModels", new Dictionary<string, string>
    {
        ["ResNet"] = "[Prune(Granularity.Filter, 0.4, Scope = PruningScope.Global)]",
    }));

    /// <summary>The five models, small enough for the tests (as <c>RealModelTreeTests</c> builds them).</summary>
    public static TheoryData<string> Names => new() { "ResNet-18", "ResNet-50", "VGG-16", "MobileNetV2", "Transformer" };

    /// <summary>A model of the annotated assembly; <paramref name="global"/>: ResNet-18 under the global-scope annotation.</summary>
    public static torch.nn.Module<torch.Tensor, torch.Tensor> Create(string name, bool global = false)
    {
        var assembly = global ? GlobalAssembly.Value : LocalAssembly.Value;
        Type Type(string typeName) => assembly.GetType("Annotated." + typeName, throwOnError: true)!;
        object model = name switch
        {
            "ResNet-18" => Type("ResNet").GetMethod("ResNet18")!.Invoke(null, [10, 8])!,
            "ResNet-50" => Type("ResNet").GetMethod("ResNet50")!.Invoke(null, [10, 8])!,
            "VGG-16" => Activator.CreateInstance(Type("Vgg16"), 10, 8, 1)!,
            "MobileNetV2" => Activator.CreateInstance(Type("MobileNetV2"), 10, 0.25)!,
            "Transformer" => Activator.CreateInstance(Type("TransformerClassifier"), 100L, 10L, 32L, 4L, 64L, 2, 64L)!,
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
        };
        return (torch.nn.Module<torch.Tensor, torch.Tensor>)model;
    }

    /// <summary>The granularity of the model's [Prune].</summary>
    public static Granularity GranularityOf(string name) => name == "Transformer" ? Granularity.Row : Granularity.Filter;

    private static Assembly Compile(string assemblyName, IReadOnlyDictionary<string, string> attributes)
    {
        var sources = new List<string> { "global using System;\nglobal using System.Collections.Generic;\nglobal using System.Linq;\nglobal using PruneSharp;\n" };
        foreach (var file in Files)
        {
            var source = File.ReadAllText(Path.Combine(RepositoryPaths.RuntimeTests, "RealModels", file))
                .Replace("namespace PruneSharp.Tests.RealModels;", "namespace Annotated;", StringComparison.Ordinal);
            foreach (var (type, attribute) in attributes)
            {
                var declaration = $"public sealed class {type} : Module<Tensor, Tensor>";
                if (source.Contains(declaration, StringComparison.Ordinal)) source = source.Replace(declaration, $"{attribute}\npublic sealed partial class {type} : Module<Tensor, Tensor>", StringComparison.Ordinal);
            }

            sources.Add(source);
        }

        var compilation = CompilationHelper.Compile([.. sources]).WithAssemblyName(assemblyName);
        CompilationHelper.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var withGenerated, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);

        // The generated code compiles, and the analyzer finds nothing wrong in the declarations (its notes aside).
        var errors = withGenerated.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var analyzer = CompilationHelper.AnalyzeAsync([.. sources]).GetAwaiter().GetResult();
        Assert.True(analyzer.IsEmpty, string.Join("\n", analyzer));

        using var image = new MemoryStream();
        var emitted = withGenerated.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return Assembly.Load(image.ToArray());
    }
}
