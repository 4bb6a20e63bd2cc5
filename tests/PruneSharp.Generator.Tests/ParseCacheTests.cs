extern alias generator;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using ModelClass = generator::PruneSharp.Generator.ModelClass;
using ModelClassParser = generator::PruneSharp.Generator.ModelClassParser;
using PruneGenerator = generator::PruneSharp.Generator.PruneGenerator;
using TrackingNames = generator::PruneSharp.Generator.TrackingNames;

namespace PruneSharp.Tests;

/// <summary>
/// The generator reuses a class's last parse after edits inside method bodies it does not read
/// (<c>ClassParseCache</c>), and parses again after any other edit (inside <c>forward</c>, which the compaction plan
/// reads, too): the cached result always equals a fresh parse.
/// </summary>
public sealed class ParseCacheTests
{
    private const string ModelFile = "Model.cs";
    private const string SizesFile = "Sizes.cs";

    /// <summary>The model's editable places and, for each, the texts an edit may put there.</summary>
    private static readonly Dictionary<string, string[]> Slots = new()
    {
        // Inside Train(): nothing, plain statements, a write to a layer, a local that shadows the layer (so the write is not one).
        ["train"] = ["", "steps += 1;", "var loss = steps * 2; steps = loss;", "fc = Linear(steps, 10);", "Linear fc = Linear(1, 1); fc = Linear(2, 2);", "this.conv2 = Conv2d(8, 8, 1);"],
        // Inside forward(): statements that keep the layer graph, and one that hides conv1's channels behind cat (the plan changes).
        ["forward"] = ["", "input = input * 2;", "input = functional.relu(input);", "return fc.forward(conv2.forward(cat(new[] { conv1.forward(input) }, 1)).flatten(1));"],
        ["size"] = ["3", "4", "Hidden + 1"],
        ["hidden"] = ["16", "24"],
        ["sparsity"] = ["0.25", "0.5"],
        ["ctorOutputs"] = ["10", "12"],
        ["channels"] = ["8", "16"],
        ["conv2Granularity"] = ["Kernel", "Filter"],
    };

    [Fact]
    public void Cached_parses_equal_fresh_parses_over_random_edits()
    {
        var random = new Random(20261126);
        var state = Slots.ToDictionary(slot => slot.Key, slot => slot.Value[0]);
        var compilation = CompilationHelper.Compile().AddSyntaxTrees(Tree(ModelFile, ModelSource(state)), Tree(SizesFile, SizesSource(state)));
        var cache = new generator::PruneSharp.Generator.ClassParseCache<ModelClass>(ModelClassParser.ReadBodies);
        var forwardEdits = 0;
        var shapesSeen = new HashSet<string>();
        const int Steps = 120;

        for (var step = 0; step < Steps; step++)
        {
            var slot = Slots.Keys.ElementAt(random.Next(Slots.Count));
            state[slot] = Slots[slot][random.Next(Slots[slot].Length)];
            var file = slot == "channels" ? SizesFile : ModelFile;
            var tree = compilation.SyntaxTrees.Single(candidate => candidate.FilePath == file);
            var text = file == SizesFile ? SizesSource(state) : ModelSource(state);
            compilation = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(SourceText.From(text)));
            Assert.DoesNotContain(compilation.GetDiagnostics(), diagnostic => diagnostic.Severity == DiagnosticSeverity.Error);

            var type = compilation.GetTypeByMetadataName("Cached.Model")!;
            var parsesBefore = cache.Parses;
            var fresh = ModelClassParser.Parse(type, compilation, null, default);
            var cached = cache.GetOrParse(type, compilation, () => ModelClassParser.Parse(type, compilation, null, default), default);
            if (slot == "forward" && cache.Parses == parsesBefore + 1) forwardEdits++;
            Assert.True(Equals(fresh!.Pruning, cached!.Pruning), $"step {step} ({slot} = '{state[slot]}'): the cached model differs from a fresh parse");
            Assert.True(Equals(fresh.Compaction, cached.Compaction), $"step {step} ({slot} = '{state[slot]}'): the cached compaction plan differs from a fresh parse");
            shapesSeen.Add(string.Join(";", fresh.Pruning.Layers.Select(layer => $"{layer.MemberName}[{string.Join(",", layer.Shape)}]")));
        }

        // The edits did change the models (shapes known, unknown, other sizes), and the cache both reused and parsed.
        Assert.True(shapesSeen.Count >= 4, $"only {shapesSeen.Count} distinct layer shape sets");
        Assert.InRange(cache.Parses, 10, Steps - 10);
        Assert.True(forwardEdits > 0, "no edit inside forward parsed the class again");
    }

    [Fact]
    public void A_body_edit_reuses_the_parse_and_a_changed_reference_does_not()
    {
        var state = Slots.ToDictionary(slot => slot.Key, slot => slot.Value[0]);
        var compilation = CompilationHelper.Compile().AddSyntaxTrees(Tree(ModelFile, ModelSource(state)), Tree(SizesFile, SizesSource(state)));
        var cache = new generator::PruneSharp.Generator.ClassParseCache<ModelClass>(ModelClassParser.ReadBodies);
        ModelClass? Parse(CSharpCompilation current)
        {
            var type = current.GetTypeByMetadataName("Cached.Model")!;
            return cache.GetOrParse(type, current, () => ModelClassParser.Parse(type, current, null, default), default);
        }

        var first = Parse(compilation);
        state["train"] = "steps += 1;";
        var tree = compilation.SyntaxTrees.Single(candidate => candidate.FilePath == ModelFile);
        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(SourceText.From(ModelSource(state))));
        Assert.Same(first, Parse(edited));
        Assert.Equal(1, cache.Parses);

        // An edit inside forward, which the compaction plan reads: parse again, and the plan changes.
        state["forward"] = "return fc.forward(conv2.forward(cat(new[] { conv1.forward(input) }, 1)).flatten(1));";
        var forwardEdited = edited.ReplaceSyntaxTree(edited.SyntaxTrees.Single(candidate => candidate.FilePath == ModelFile), tree.WithChangedText(SourceText.From(ModelSource(state))));
        var replanned = Parse(forwardEdited);
        Assert.Equal(2, cache.Parses);
        Assert.Equal(first!.Pruning, replanned!.Pruning);
        Assert.NotEqual(first.Compaction, replanned.Compaction);

        // Another reference list (here one fewer assembly) can change what any name means: parse again.
        var unrelated = edited.References.First(reference => reference.Display?.EndsWith("System.Xml.dll", StringComparison.Ordinal) == true);
        Parse(edited.RemoveReferences(unrelated));
        Assert.Equal(3, cache.Parses);
    }

    [Fact]
    public void A_write_to_a_layer_in_a_method_body_changes_the_generated_code()
    {
        var state = Slots.ToDictionary(slot => slot.Key, slot => slot.Value[0]);
        var compilation = CompilationHelper.Compile().AddSyntaxTrees(Tree(ModelFile, ModelSource(state)), Tree(SizesFile, SizesSource(state)));
        var driver = CreateDriver().RunGenerators(compilation);

        state["train"] = "fc = Linear(steps, 10);";
        var tree = compilation.SyntaxTrees.Single(candidate => candidate.FilePath == ModelFile);
        var rerun = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(SourceText.From(ModelSource(state))))).GetRunResult();
        var pruning = rerun.Results.Single();
        Assert.Contains(pruning.TrackedSteps[TrackingNames.Models].SelectMany(step => step.Outputs), output => output.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("The pruning of <see cref=\"fc\"/>: Linear, shape known at run time", Assert.Single(CompilationHelper.PruningTrees(rerun)).ToString(), StringComparison.Ordinal);
    }

    /// <summary>A helper the constructor calls is run by the constructor reader: an edit inside its body parses the class again.</summary>
    [Fact]
    public void An_edit_inside_a_method_the_constructor_calls_parses_again()
    {
        static string Source(int width) => TestSources.Usings + $$"""
            namespace Cached;

            [Prune(Granularity.Filter, 0.5)]
            public sealed partial class Stacked : Module<Tensor, Tensor>
            {
                private readonly Sequential features;
                private readonly Linear head = Linear(8, 2);
                public Stacked() : base("stacked") { features = Stack(3); RegisterComponents(); }
                private static Sequential Stack(long input) => Sequential(Conv2d(input, {{width}}, 3), Conv2d({{width}}, 8, 3));
                public void Train() { }
                public override Tensor forward(Tensor input) => input;
            }
            """;
        var compilation = CompilationHelper.Compile().AddSyntaxTrees(Tree(ModelFile, Source(16)));
        var cache = new generator::PruneSharp.Generator.ClassParseCache<ModelClass>(ModelClassParser.ReadBodies);
        ModelClass? Parse(CSharpCompilation current)
        {
            var type = current.GetTypeByMetadataName("Cached.Stacked")!;
            return cache.GetOrParse(type, current, () => ModelClassParser.Parse(type, current, null, default), default);
        }

        var first = Parse(compilation)!;
        Assert.Equal([16L, 3, 3, 3], first.Pruning.Layers.Single(layer => layer.Name == "features.0").Shape);

        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(SourceText.From(Source(32))));
        var second = Parse(edited)!;
        Assert.Equal(2, cache.Parses);
        Assert.Equal([32L, 3, 3, 3], second.Pruning.Layers.Single(layer => layer.Name == "features.0").Shape);

        // An edit inside a body construction does not call still reuses the parse.
        var trained = edited.ReplaceSyntaxTree(edited.SyntaxTrees.Single(), tree.WithChangedText(SourceText.From(Source(32).Replace("public void Train() { }", "public void Train() { var steps = 1; }", StringComparison.Ordinal))));
        Assert.Same(second, Parse(trained));
        Assert.Equal(2, cache.Parses);
    }

    private static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            [new PruneGenerator().AsSourceGenerator()],
            parseOptions: CompilationHelper.ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    private static SyntaxTree Tree(string path, string source) => CSharpSyntaxTree.ParseText(source, CompilationHelper.ParseOptions, path: path);

    private static string SizesSource(Dictionary<string, string> state) => $$"""
        namespace Cached;

        public static class Sizes
        {
            public const int Channels = {{state["channels"]}};
        }
        """;

    private static string ModelSource(Dictionary<string, string> state) => TestSources.Usings + $$"""
        namespace Cached;

        [Prune(Granularity.Filter, 0.3)]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private const int Hidden = {{state["hidden"]}};
            private readonly Conv2d conv1 = Conv2d(3, Sizes.Channels, 3);
            [Prune(Granularity.{{state["conv2Granularity"]}}, 0.5)] private Conv2d conv2 = Conv2d(Sizes.Channels, 8, 1);
            [Prune(Granularity.Row, {{state["sparsity"]}})] private Linear fc;

            public Model() : base(nameof(Model))
            {
                fc = Linear(Hidden, {{state["ctorOutputs"]}});
                RegisterComponents();
            }

            public int Size => {{state["size"]}};

            public void Train(int steps)
            {
                {{state["train"]}}
            }

            public override Tensor forward(Tensor input)
            {
                {{state["forward"]}}
                return fc.forward(conv2.forward(conv1.forward(input)).flatten(1));
            }
        }
        """;
}
