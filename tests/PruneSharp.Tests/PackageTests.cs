using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PruneSharp.Tests;

/// <summary>
/// Packs PruneSharp into a local folder feed and consumes it from a new project outside the solution, as a user
/// would: the README's quick start must build and run, and a wrong attribute must fail the build with its PRUNE ID.
/// </summary>
public sealed partial class PackageTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "prunesharp-package-" + Guid.NewGuid().ToString("N"));

    public PackageTests() => Directory.CreateDirectory(_work);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not a test failure.
        }
    }

    [Fact]
    public void Package_gives_a_new_project_the_attributes_runtime_generator_and_diagnostics()
    {
        // A version no earlier run used, so the global packages folder cannot serve a stale copy.
        var version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        var feed = Path.Combine(_work, "feed");
        var sources = CopySources();
        Run("dotnet", $"pack \"{Path.Combine(sources, "src", "Runtime", "PruneSharp.Runtime.csproj")}\" -c Release -o \"{feed}\" -p:Version={version}", sources, expectSuccess: true);
        var package = Path.Combine(feed, $"PruneSharp.{version}.nupkg");
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
        var consumer = Path.Combine(_work, "consumer");
        Directory.CreateDirectory(consumer);
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="prunesharp-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="PruneSharp" Version="{version}" />
                <PackageReference Include="TorchSharp-cpu" Version="0.107.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(consumer, "SmallCnn.cs"), model);
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), usage + """

            IPrunableModule prunable = model;
            Console.WriteLine($"layers={prunable.PrunedLayers.Count} conv2={model.Conv2Pruning.Report().MeasuredSparsity:F3} fc1={report.Layers[2].PrunedGroups}/{report.Layers[2].Groups}");
            """);
        // Program.cs uses the README's names without the usings of the model file.
        File.WriteAllText(Path.Combine(consumer, "Usings.cs"), "global using PruneSharp;\n");

        var output = Run("dotnet", "run -c Release", consumer, expectSuccess: true);
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
        var failure = Run("dotnet", "build -c Release", consumer, expectSuccess: false);
        Assert.Matches(@"Wrong\.cs\(8,12\): error PRUNE001: Granularity 'Filter' does not apply to Linear layer 'fc'", failure);
    }

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

    /// <summary>Copies what packing needs (sources and build props, no build outputs) so the repo's bin/obj stay untouched.</summary>
    private string CopySources()
    {
        var target = Path.Combine(_work, "repo");
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json", "README.md" })
        {
            Directory.CreateDirectory(target);
            File.Copy(Path.Combine(RepositoryPaths.Root, file), Path.Combine(target, file));
        }

        var src = Path.Combine(RepositoryPaths.Root, "src");
        foreach (var file in Directory.EnumerateFiles(src, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(src, file);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Contains("bin") || parts.Contains("obj")) continue;
            var destination = Path.Combine(target, "src", relative);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        return target;
    }

    private static string Run(string fileName, string arguments, string workingDirectory, bool expectSuccess)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // The outer `dotnet test` sets MSBuild variables that must not leak into a separate build.
        foreach (var variable in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "DOTNET_HOST_PATH" })
        {
            start.Environment.Remove(variable);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), $"{fileName} {arguments} did not finish in 5 minutes.");
        var output = stdout.Result + stderr.Result;
        if (expectSuccess)
        {
            Assert.True(process.ExitCode == 0, $"{fileName} {arguments} exited with {process.ExitCode}:\n{output}");
        }
        else
        {
            Assert.True(process.ExitCode != 0, $"{fileName} {arguments} was expected to fail:\n{output}");
        }

        return output;
    }

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
