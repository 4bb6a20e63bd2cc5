extern alias generator;

using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using CompactionSpec = generator::PruneSharp.Generator.Compaction.CompactionSpec;
using StaticFlow = generator::PruneSharp.Compaction.ChannelFlow<generator::PruneSharp.Generator.Compaction.StaticModule>;
using StaticModules = generator::PruneSharp.Generator.Compaction.StaticModules;
using ModelClassParser = generator::PruneSharp.Generator.ModelClassParser;
using PruneGenerator = generator::PruneSharp.Generator.PruneGenerator;
using TrackingNames = generator::PruneSharp.Generator.TrackingNames;

namespace PruneSharp.Tests;

/// <summary>
/// The compaction generator: the dependency graph it reads from forward (channel groups, rebuilt layers, BatchNorm
/// links), the generated code (snapshots), its pipeline, and that it never throws on half-typed source.
/// </summary>
public sealed class CompactionGeneratorTests
{
    /// <summary>The models CompactionTests run, in a namespace of their own so they do not clash with the compiled ones.</summary>
    internal static readonly string CompactionModels = File.ReadAllText(Path.Combine(RepositoryPaths.RuntimeTests, "CompactionModels.cs"))
        .Replace("namespace PruneSharp.Tests.Compaction;", "namespace CompactionSamples;", StringComparison.Ordinal);

    [Fact]
    public void Sample_cnn_chains_each_layer_to_the_next_through_flatten()
    {
        var (spec, flow) = Plan(CompactionModels, "CompactionSamples.SampleCnn");
        Assert.Equal(["conv1 → conv2", "conv2 → fc1", "fc1 → fc2"], Groups(flow));
        Assert.Equal("CompactionSamples.SampleCnn", Assert.Single(spec.Programs).TypeName);
        Assert.Empty(BatchNormZeroings(flow));
    }

    [Fact]
    public void Batch_norms_follow_the_layer_before_them()
    {
        var (_, flow) = Plan(CompactionModels, "CompactionSamples.BatchNormCnn");
        Assert.Equal(["conv1 → conv2 | bn1", "conv2 → fc1 | bn2", "fc1 → fc2 | bn3"], Groups(flow));
        Assert.Equal(["bn1 after conv1", "bn2 after conv2", "bn3 after fc1"], BatchNormZeroings(flow));
    }

    [Fact]
    public void A_residual_addition_couples_both_branches_into_one_group()
    {
        var (_, flow) = Plan(CompactionModels, "CompactionSamples.ResidualNet");
        Assert.Equal(
            ["stem, blockConv2 → blockConv1, head | stemBn, blockBn2", "blockConv1 → blockConv2 | blockBn1", "head → fc"],
            Groups(flow));
        Assert.Equal(["stemBn after stem", "blockBn1 after blockConv1", "blockBn2 after blockConv2"], BatchNormZeroings(flow));
    }

    [Fact]
    public void Column_pruning_puts_the_unpruned_producer_in_the_group()
    {
        var (_, flow) = Plan(CompactionModels, "CompactionSamples.ColumnPrunedMlp");
        Assert.Equal(["hidden → classifier"], Groups(flow));
    }

    [Fact]
    public void Views_reshapes_functional_forms_and_pass_through_modules_are_followed()
    {
        var (_, flow) = Plan(TestSources.Usings + """
            [Prune(Granularity.Filter, 0.5)]
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                private readonly Conv2d a = Conv2d(3, 8, 3);
                private readonly Conv2d b = Conv2d(8, 8, 3);
                private readonly Conv2d c = Conv2d(8, 8, 1);
                private readonly Conv2d d = Conv2d(8, 4, 1);
                private readonly Sequential act = Sequential(ReLU(), Dropout2d(0.1));
                private readonly Sequential pool = Sequential(("pool", MaxPool2d(1)), ("id", Identity()));
                private readonly Linear fc = Linear(8 * 4 * 4, 10);
                private readonly Linear fc2 = Linear(8 * 4 * 4, 10);
                private readonly Linear fc3 = Linear(4, 10);
                public Model() : base("m") => RegisterComponents();
                public override Tensor forward(Tensor input)
                {
                    using var scope = NewDisposeScope();
                    Tensor x = pool.forward(act.call(a.forward(input))).relu();
                    x = functional.leaky_relu(b.forward(x), 0.1) * 0.5;
                    var y = TorchSharp.torch.nn.functional.adaptive_avg_pool2d(c.forward(x), 4);
                    var z = fc.forward(y.view(y.size(0), -1)) + fc2.forward(flatten(y, 1) / 2);
                    var w = fc3.forward(d.forward(x).mean(new long[] { -1, -2 }, keepdim: false) + d.forward(x).sum(2, 3));
                    return (z + w).MoveToOuterDisposeScope();
                }
            }
            """, "Model");
        Assert.Equal(["a → b", "b → c, d", "c → fc, fc2", "d → fc3"], Groups(flow));
    }

    [Fact]
    public void Code_that_is_not_followed_blocks_every_layer_it_touches()
    {
        var (_, flow) = Plan(TestSources.Usings + """
            [Prune(Granularity.Filter, 0.5)]
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                private readonly Conv2d a = Conv2d(3, 8, 3);
                private readonly Conv2d b = Conv2d(8, 8, 3);
                private readonly Conv2d c = Conv2d(16, 8, 3);
                private readonly Conv2d d = Conv2d(8, 8, 3);
                private readonly Conv2d e = Conv2d(8, 8, 3);
                private readonly Conv2d f = Conv2d(8, 8, 3);
                public Model() : base("m") => RegisterComponents();
                public override Tensor forward(Tensor input)
                {
                    var x = a.forward(input);
                    var y = b.forward(x);
                    x = c.forward(cat(new[] { x, y }, 1));
                    if (input.shape[0] > 1) x = d.forward(x);
                    x = e.forward(x);
                    return f.forward(functional.sigmoid(x));
                }
            }
            """, "Model");

        // a, b: their outputs reach cat; c: its output reaches the if; d: inside the if; e: its output reaches sigmoid
        // (sigmoid(0) is not 0); f: the model's output. Nothing can shrink.
        Assert.Empty(Groups(flow));
        Assert.Equal(["a", "b", "c", "d", "e", "f"], flow.Layers.Select(layer => layer.Node.Name).Order());
    }

    [Fact]
    public void A_linear_on_the_model_input_keeps_its_features_last_so_only_a_flatten_of_them_blocks()
    {
        var (_, flow) = Plan(TestSources.Usings + """
            [Prune(Granularity.Row, 0.5)]
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                private readonly Linear fc1 = Linear(16, 32);
                private readonly BatchNorm1d bn = BatchNorm1d(32);
                private readonly Linear fc2 = Linear(32, 32);
                private readonly Linear fc3 = Linear(32, 8);
                private readonly Linear fc4 = Linear(64, 8);
                public Model() : base("m") => RegisterComponents();
                public override Tensor forward(Tensor input)
                {
                    var x = fc2.forward(functional.relu(bn.forward(fc1.forward(input))));
                    return fc3.forward(x) + fc4.forward(fc3.forward(input).flatten(1));
                }
            }
            """, "Model");

        // fc1 → bn → fc2: a Linear's features and BatchNorm1d's agree on a [N, C] tensor. fc2 → fc3 stays: fc3's
        // output is returned. fc3 on the input may give [N, T, 8], whose flatten is not channel-major: that blocks too.
        Assert.Equal(["fc1 → fc2 | bn"], Groups(flow));
    }

    [Fact]
    public void A_model_whose_constructor_takes_arguments_gets_compact_too()
    {
        var (result, diagnostics) = Generate(TestSources.UnknownShapes);
        Assert.DoesNotContain(diagnostics, diagnostic => diagnostic.Severity == DiagnosticSeverity.Error);
        var compact = Assert.Single(result.GeneratedSources, source => source.HintName.EndsWith(".Compact.g.cs", StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("public global::PruneSharp.Compaction.CompactionReport Compact()", compact, StringComparison.Ordinal);
        Assert.Contains("public void ZeroPrunedChannels()", compact, StringComparison.Ordinal);
    }

    [Fact]
    public void Compaction_models_generate_code_that_compiles() => VerifyGenerated(CompactionModels);

    [Fact]
    public void Readme_small_cnn() => VerifyGenerated(TestSources.SmallCnn);

    /// <summary>The models written the way TorchSharp users write them: the plans of the model and block classes.</summary>
    [Fact]
    public void Compaction_tree_models_generate_plans_that_compile() => VerifyGenerated(CompactionTreeModels);

    internal static readonly string CompactionTreeModels = File.ReadAllText(Path.Combine(RepositoryPaths.RuntimeTests, "CompactionTreeModels.cs"))
        .Replace("namespace PruneSharp.Tests.CompactionTree;", "namespace TreeSamples;", StringComparison.Ordinal);

    [Fact]
    public void An_inline_sequential_is_followed_at_compile_time_with_dotted_names()
    {
        var (spec, flow) = Plan(CompactionTreeModels, "TreeSamples.Vgg");
        Assert.Equal(
            ["features.conv1 → features.conv2 | features.bn1", "features.conv2 → features.conv3 | features.bn2", "features.conv3 → fc1 | features.bn3", "fc1 → classifier.2"],
            Groups(flow));
        Assert.Equal("TreeSamples.Vgg", spec.ModelType);
    }

    [Fact]
    public void Block_classes_the_model_builds_get_programs_and_their_branches_are_steps()
    {
        var (spec, _) = Plan(CompactionTreeModels, "TreeSamples.ResNet");
        Assert.Equal(["TreeSamples.ResNet", "TreeSamples.BasicBlock", "TreeSamples.Bottleneck"], spec.Programs.Select(program => program.TypeName));
        var basic = spec.Programs[1];
        Assert.Contains(basic.Ops, op => op.Kind == generator::PruneSharp.Compaction.FlowOpKind.IfPresent && op.Member == "downsample");
        Assert.DoesNotContain(basic.Ops, op => op.Kind == generator::PruneSharp.Compaction.FlowOpKind.Opaque);
    }

    /// <summary>Nested in a static class; its grouped conv blocks every group it touches.</summary>
    [Fact]
    public void A_pruned_class_inherits_the_forward_and_the_blocks_of_its_base_class()
    {
        var (spec, flow) = Plan(CompactionTreeModels, "TreeSamples.DerivedCnn");

        // The derived class's program is the base's forward; the block the base builds has its own.
        Assert.Equal(["TreeSamples.DerivedCnn", "TreeSamples.BasicBlock"], spec.Programs.Select(program => program.TypeName));
        Assert.DoesNotContain(spec.Programs[0].Ops, op => op.Kind == generator::PruneSharp.Compaction.FlowOpKind.Opaque);
        Assert.Equal(
            ["stem → block.conv1, block.downsample.0 | stemBn", "block.conv1 → block.conv2 | block.bn1", "block.conv2, block.downsample.0 → fc | block.bn2, block.downsample.1"],
            Groups(flow));
    }

    [Fact]
    public void A_forward_that_reassigns_or_adds_to_its_parameter_is_followed()
    {
        var (spec, flow) = Plan(CompactionTreeModels, "TreeSamples.ReassigningResNet");

        Assert.All(spec.Programs, program => Assert.DoesNotContain(program.Ops, op => op.Kind == generator::PruneSharp.Compaction.FlowOpKind.Opaque));
        Assert.Equal(
            [
                "conv1, layer1.0.conv2 → layer1.0.conv1, layer1.1.downsample.0, layer1.1.conv1 | bn1, layer1.0.bn2",
                "layer1.0.conv1 → layer1.0.conv2 | layer1.0.bn1",
                "layer1.1.downsample.0, layer1.1.conv2 → fc | layer1.1.downsample.1, layer1.1.bn2",
                "layer1.1.conv1 → layer1.1.conv2 | layer1.1.bn1",
            ],
            Groups(flow));
    }

    /// <summary>
    /// After an in-place call on forward's parameter, the parameter holds the result: an add_ the sum, an unfollowed
    /// in-place call an unknown value, so the layer reading it afterwards is blocked rather than read as before.
    /// </summary>
    [Fact]
    public void In_place_calls_on_the_parameter_change_what_it_holds()
    {
        var (_, flow) = Plan(TestSources.Usings + """
            [Prune(Granularity.Filter, 0.5)]
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                private readonly Conv2d a = Conv2d(8, 8, 3, padding: 1);
                private readonly Conv2d b = Conv2d(8, 8, 3, padding: 1);
                private readonly Conv2d c = Conv2d(8, 8, 3, padding: 1);
                private readonly Conv2d d = Conv2d(8, 8, 3, padding: 1);
                private readonly Conv2d e = Conv2d(8, 4, 3, padding: 1);
                public Model() : base("m") => RegisterComponents();
                public override Tensor forward(Tensor x)
                {
                    var y = b.forward(a.forward(x));
                    x = c.forward(y);
                    x.add_(d.forward(y));
                    x.sigmoid_();
                    return e.forward(x);
                }
            }
            """, "Model");

        // a → b; b → c, d; c and d are added (one group), but sigmoid_ changes x in place, so e reads an unknown value.
        Assert.Equal(["a → b", "b → c, d"], Groups(flow));
    }

    [Fact]
    public void Nested_model_with_no_group_to_shrink() => VerifyGenerated(TestSources.Nested);

    [Fact]
    public void Pipeline_outputs_hold_no_symbols_syntax_or_compilations_and_rerun_from_cache()
    {
        var compilation = CompilationHelper.Compile(CompactionModels, TestSources.SmallCnn, TestSources.UnknownShapes, TestSources.Nested);
        var driver = CreateDriver(trackSteps: true).RunGenerators(compilation);
        var result = driver.GetRunResult().Results.Single();
        var visited = 0;
        foreach (var name in new[] { TrackingNames.ClassTargets, TrackingNames.MemberTargets, TrackingNames.CompactionSpecs })
        {
            foreach (var (value, _) in result.TrackedSteps[name].SelectMany(step => step.Outputs))
            {
                PipelineOutputs.AssertNoRoslynObjects(value, name);
                visited++;
            }
        }

        Assert.True(visited >= 7, $"only {visited} outputs were walked");

        var rerun = driver.RunGenerators(compilation.Clone()).GetRunResult().Results.Single();
        Assert.All(rerun.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs), output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void Editing_forward_changes_the_plan()
    {
        var compilation = CompilationHelper.Compile(TestSources.SmallCnn);
        var driver = CreateDriver(trackSteps: true).RunGenerators(compilation);
        Assert.DoesNotContain(".Opaque(", CompactionSources(driver.GetRunResult().Results.Single()).Single().SourceText.ToString(), StringComparison.Ordinal);
        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(
            tree.ToString().Replace("conv2.forward(conv1.forward(input))", "conv2.forward(cat(new[] { conv1.forward(input) }, 1))", StringComparison.Ordinal))));

        var rerun = driver.RunGenerators(edited).GetRunResult().Results.Single();
        Assert.Contains(rerun.TrackedSteps[TrackingNames.CompactionSpecs].SelectMany(step => step.Outputs), output => output.Reason == IncrementalStepRunReason.Modified);
        // cat is not followed: the plan now keeps conv1's channels with an opaque step.
        Assert.Contains(".Opaque(", CompactionSources(rerun).Single().SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Generator_never_throws_on_mutated_or_truncated_sources()
    {
        string[] seeds = [CompactionModels, TestSources.SmallCnn, TestSources.UnknownShapes];
        var seedTokens = seeds.Select(seed => CSharpSyntaxTree.ParseText(seed).GetRoot().DescendantTokens().Select(token => token.ToFullString()).ToArray()).ToArray();
        var random = new Random(20261127);
        var failures = new List<string>();
        var generated = 0;
        const int Cases = 300;
        for (var index = 0; index < Cases && failures.Count < 3; index++)
        {
            var tokens = seedTokens[random.Next(seedTokens.Length)].ToList();
            var deletions = random.Next(1, 4);
            for (var deletion = 0; deletion < deletions && tokens.Count > 1; deletion++) tokens.RemoveAt(random.Next(tokens.Count));
            var source = string.Concat(tokens);
            var run = CreateDriver().RunGenerators(CompilationHelper.Compile(source)).GetRunResult().Results.Single();
            if (run.Exception is not null) failures.Add($"case {index}: {run.Exception}\n{source}");
            if (CompactionSources(run).Any()) generated++;
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        Assert.True(generated > Cases / 4, $"the generator produced code for only {generated} of {Cases} sources");
    }

    /// <summary>The spec of <paramref name="metadataName"/> and its channel flow over the modules its code shows.</summary>
    internal static (CompactionSpec Spec, StaticFlow Flow) Plan(string source, string metadataName)
    {
        var compilation = CompilationHelper.Compile(source);
        Assert.DoesNotContain(compilation.GetDiagnostics(), diagnostic => diagnostic.Severity == DiagnosticSeverity.Error);
        var type = compilation.GetTypeByMetadataName(metadataName) ?? throw new InvalidOperationException($"no type {metadataName}");
        var spec = ModelClassParser.Parse(type, compilation, null, CancellationToken.None)?.Compaction ?? throw new InvalidOperationException($"no compaction spec for {metadataName}");
        var host = new StaticModules(spec.Programs.ToDictionary(program => program.TypeName, program => program), new generator::PruneSharp.Generator.Construction.ConstructionReader(compilation, new generator::PruneSharp.Generator.SemanticModels(compilation), CancellationToken.None), CancellationToken.None);
        return (spec, StaticFlow.Run(host, StaticModules.Root(type)));
    }

    /// <summary>Each group that can shrink, as "producers → consumers | batch norms", by dotted name.</summary>
    internal static IEnumerable<string> Groups(StaticFlow flow) =>
        flow.Groups().Where(group => group.CanShrink).Select(group =>
            string.Join(", ", group.Producers.Select(layer => layer.Node.Name)) + " → " + string.Join(", ", group.Consumers.Select(layer => layer.Node.Name)) +
            (group.BatchNorms.Count == 0 ? string.Empty : " | " + string.Join(", ", group.BatchNorms.Select(layer => layer.Node.Name))));

    private static IEnumerable<string> BatchNormZeroings(StaticFlow flow) =>
        flow.Layers.Where(layer => layer.IsBatchNorm && !layer.BatchNormInputs.HasOtherSources && !layer.BatchNormInputs.Layers.IsEmpty)
            .Select(layer => $"{layer.Node.Name} after {string.Join(" + ", layer.BatchNormInputs.Layers.Select(index => flow.Layers[index].Node.Name))}");

    /// <summary>The generator's compaction output (its other output is the pruning members).</summary>
    private static IEnumerable<GeneratedSourceResult> CompactionSources(GeneratorRunResult run) =>
        run.GeneratedSources.Where(source => source.HintName.EndsWith(".Compact.g.cs", StringComparison.Ordinal));

    private static GeneratorDriver CreateDriver(bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(
            [new PruneGenerator().AsSourceGenerator()],
            parseOptions: CompilationHelper.ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    private static (GeneratorRunResult Result, IReadOnlyList<Diagnostic> Diagnostics) Generate(params string[] sources)
    {
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(CompilationHelper.Compile(sources), out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        return (driver.GetRunResult().Results.Single(), output.GetDiagnostics());
    }

    private static void VerifyGenerated(string source, [CallerMemberName] string testName = "")
    {
        var (result, diagnostics) = Generate(source);
        Assert.DoesNotContain(diagnostics, diagnostic => diagnostic.Severity >= DiagnosticSeverity.Warning);
        Assert.NotEmpty(CompactionSources(result));
        foreach (var file in CompactionSources(result))
        {
            var text = file.SourceText.ToString();
            Assert.StartsWith("// <auto-generated/>\n#nullable enable\n", text);
            Assert.EndsWith(".Compact.g.cs", file.HintName);
            Snapshots.Verify($"{nameof(CompactionGeneratorTests)}.{testName}#{file.HintName}", text);
        }
    }
}
