using System.Text.RegularExpressions;

namespace PruneSharp.Tests;

/// <summary>
/// Packs PruneSharp once into a local folder feed (<see cref="PackageFeed"/>) and consumes it from new projects outside
/// the solution, as a user would: the README's quick start must build and run, a wrong attribute must fail the build
/// with its PRUNE ID, and with TreatWarningsAsErrors the compile-time errors of layers that Compact() rebuilds must
/// appear while a valid variant builds and prunes every declared layer.
/// </summary>
public sealed partial class PackageTests(PackageFeed feed) : IClassFixture<PackageFeed>
{
    [Fact]
    public void Package_gives_a_new_project_the_attributes_runtime_generator_and_diagnostics()
    {
        var package = Path.Combine(feed.Feed, $"PruneSharp.{feed.Version}.nupkg");
        Assert.True(File.Exists(package), $"{package} was not created.");
        using (var archive = System.IO.Compression.ZipFile.OpenRead(package))
        {
            var entries = archive.Entries.Select(entry => entry.FullName).ToList();
            Assert.Contains("lib/net10.0/PruneSharp.Runtime.dll", entries);
            Assert.Contains("lib/net10.0/PruneSharp.Attributes.dll", entries);
            Assert.Contains("analyzers/dotnet/cs/PruneSharp.Generator.dll", entries);
            Assert.Contains("lib/net10.0/PruneSharp.Runtime.xml", entries);
            Assert.Contains("lib/net10.0/PruneSharp.Attributes.xml", entries);
            Assert.Contains("README.md", entries);

            // TorchSharp is the one dependency: the application picks the libtorch package (CPU or CUDA).
            using var nuspec = new StreamReader(archive.GetEntry("PruneSharp.nuspec")!.Open());
            var dependencies = Regex.Matches(nuspec.ReadToEnd(), "<dependency id=\"([^\"]+)\" version=\"([^\"]+)\"").Select(match => $"{match.Groups[1].Value} {match.Groups[2].Value}");
            Assert.Equal(["TorchSharp 0.107.0"], dependencies);
        }

        var (model, usage) = ReadmeQuickStart();
        var consumer = feed.CreateConsumer("quickstart", treatWarningsAsErrors: false);
        File.WriteAllText(Path.Combine(consumer, "SmallCnn.cs"), model);
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), usage + """

            IPrunableModule prunable = model;
            Console.WriteLine($"layers={prunable.PrunedLayers.Count} conv2={model.Conv2Pruning.Report().MeasuredSparsity:F3} fc1={report.Layers[2].PrunedGroups}/{report.Layers[2].Groups}");
            """);
        // Program.cs uses the README's names without the usings of the model file.
        File.WriteAllText(Path.Combine(consumer, "Usings.cs"), "global using PruneSharp;\n");

        var output = PackageFeed.Run("dotnet", "run -c Release", consumer, expectSuccess: true);
        Assert.Contains("layers=3 conv2=0.700 fc1=26/128", output);

        File.WriteAllText(Path.Combine(consumer, "Wrong.cs"), """
            using PruneSharp;
            using TorchSharp.Modules;
            using static TorchSharp.torch;
            using static TorchSharp.torch.nn;

            public sealed partial class Wrong : Module<Tensor, Tensor>
            {
                [Prune(Granularity.Filter, 0.3)] private readonly Linear fc = Linear(4, 5);
                public Wrong() : base(nameof(Wrong)) => RegisterComponents();
                public override Tensor forward(Tensor input) => fc.forward(input);
            }
            """);
        var failure = PackageFeed.Run("dotnet", "build -c Release", consumer, expectSuccess: false);
        Assert.Matches(@"Wrong\.cs\(8,12\): error PRUNE001: Granularity 'Filter' does not apply to Linear layer 'fc'", failure);
    }

    /// <summary>
    /// Layers that the generated Compact() rebuilt once lost their compile-time errors in a real build (the analyzer
    /// read the generated constructor's assignment as a second write) and were silently left out: a Filter 0.9 conv
    /// feeding another conv, the docs' PRUNE013 and PRUNE025 examples. Built from the package with every warning an
    /// error, they fail with their errors; the valid variant builds, every [Prune] layer is pruned at run time, and
    /// Compact() shrinks the model.
    /// </summary>
    [Fact]
    public void Layers_that_Compact_rebuilds_keep_their_errors_and_a_valid_variant_prunes_every_layer()
    {
        var consumer = feed.CreateConsumer("rebuilt", treatWarningsAsErrors: true);
        File.WriteAllText(Path.Combine(consumer, "Models.cs"), RebuiltModels(conv1Sparsity: "0.9", nOfMInputs: 6, globalSparsity: "0.9"));
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), """
            using PruneSharp;
            using Rebuilt;

            foreach (var (name, model) in new (string, IPrunableModule)[] { ("ConvChain", new ConvChain()), ("NOfM", new NOfM()), ("Global", new Global()), ("Hostile", new @unsafe.@checked()) })
            {
                model.ComputeMasks();
                model.ApplyMasks();
                Console.WriteLine($"{name}: {string.Join(",", model.PrunedLayers.Select(layer => layer.Name))}");
            }

            var chain = new ConvChain();
            chain.ComputeMasks();
            chain.ApplyMasks();
            chain.ZeroPrunedChannels();
            var report = chain.Compact();
            Console.WriteLine($"compacted: {report.ParametersAfter < report.ParametersBefore}");
            """);

        var failure = PackageFeed.Run("dotnet", "build -c Release", consumer, expectSuccess: false);
        Assert.Matches(@"Models\.cs\(\d+,\d+\): error PRUNE003: Sparsity 0\.9 would remove all 4 groups of layer 'conv1'", failure);
        Assert.Matches(@"Models\.cs\(\d+,\d+\): error PRUNE013: N:M 2:4 does not fit layer 'fc1'", failure);
        Assert.Matches(@"Models\.cs\(\d+,\d+\): error PRUNE025: Global sparsity 0\.9 of 'Global'", failure);
        Assert.DoesNotMatch(@"error CS\d+", failure);

        File.WriteAllText(Path.Combine(consumer, "Models.cs"), RebuiltModels(conv1Sparsity: "0.5", nOfMInputs: 8, globalSparsity: "0.5"));
        var output = PackageFeed.Run("dotnet", "run -c Release", consumer, expectSuccess: true);
        Assert.DoesNotContain("warning", output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("ConvChain: conv1,conv2\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("NOfM: fc1,fc2\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("Global: conv1,conv2\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("Hostile: fixed,head\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("compacted: True", output, StringComparison.Ordinal);
    }

    /// <summary>The models of the rebuilt-layer test: the three shapes of the report, and hostile names with a nullable layer.</summary>
    private static string RebuiltModels(string conv1Sparsity, int nOfMInputs, string globalSparsity) => $$"""
        using PruneSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;
        using static TorchSharp.torch.nn;

        namespace Rebuilt
        {
            public sealed partial class ConvChain : Module<Tensor, Tensor>
            {
                [Prune(Granularity.Filter, {{conv1Sparsity}})] private readonly Conv2d conv1 = Conv2d(3, 4, 3);
                [Prune(Granularity.Filter, 0.5)] private readonly Conv2d conv2 = Conv2d(4, 8, 3);
                private readonly Conv2d head = Conv2d(8, 2, 1);
                public ConvChain() : base(nameof(ConvChain)) => RegisterComponents();
                public override Tensor forward(Tensor input) => head.forward(conv2.forward(conv1.forward(input)));
            }

            public sealed partial class NOfM : Module<Tensor, Tensor>
            {
                [Prune(2, 4)] private readonly Linear fc1 = Linear({{nOfMInputs}}, 4);
                [Prune(Granularity.Row, 0.5)] private readonly Linear fc2 = Linear(4, 4);
                public NOfM() : base(nameof(NOfM)) => RegisterComponents();
                public override Tensor forward(Tensor input) => fc2.forward(fc1.forward(input));
            }

            [Prune(Granularity.Filter, {{globalSparsity}}, Scope = PruningScope.Global)]
            public sealed partial class Global : Module<Tensor, Tensor>
            {
                private readonly Conv2d conv1 = Conv2d(3, 4, 3);
                private readonly Conv2d conv2 = Conv2d(4, 6, 3);
                private readonly Conv2d head = Conv2d(6, 2, 1);   // the output layer, which the class-level [Prune] leaves alone
                public Global() : base(nameof(Global)) => RegisterComponents();
                public override Tensor forward(Tensor input) => head.forward(conv2.forward(conv1.forward(input)));
            }
        }

        namespace @unsafe
        {
            [Prune(Granularity.Filter, 0.5)]
            public sealed partial class @checked : Module<Tensor, Tensor>
            {
                private readonly Conv2d @fixed = Conv2d(3, 8, 3);
                [Prune(Granularity.Row, 0.5)] private readonly Linear? head = Linear(8, 4);
                public @checked() : base("checked") => RegisterComponents();
                public override Tensor forward(Tensor input) => head!.forward(@fixed.forward(input).mean([2L, 3L]));
            }
        }
        """;

    /// <summary>The two C# blocks of the README's "Quick start" section: the model, then the code that uses it.</summary>
    private static (string Model, string Usage) ReadmeQuickStart()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        var start = readme.IndexOf("## Quick start", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no Quick start section.");
        var blocks = CSharpBlock().Matches(readme, start).Select(match => match.Groups["code"].Value).Take(2).ToList();
        Assert.Equal(2, blocks.Count);
        return (blocks[0], blocks[1]);
    }

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
