using System.Reflection;

namespace PruneSharp.Tests;

/// <summary>
/// This project's promise: the generator tests need TorchSharp's metadata only. No libtorch or TorchSharp native file
/// is in the output, the test assembly references neither TorchSharp nor PruneSharp.Runtime (so no test can call
/// into them), PruneSharp.Runtime is a metadata-only file outside the host's dependencies, and compiling a model that
/// uses TorchSharp's types loads neither assembly nor any native library.
/// </summary>
public sealed class NoLibTorchTests
{
    [Fact]
    public void The_output_holds_no_libtorch_and_no_TorchSharp_native_file()
    {
        var natives = Directory.EnumerateFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories)
            .Select(Path.GetFileName)
            .Where(name => name!.Contains("torch", StringComparison.OrdinalIgnoreCase) && name != "TorchSharp.dll")
            .ToList();
        Assert.Empty(natives);

        var dependencies = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "PruneSharp.Generator.Tests.deps.json"));
        Assert.DoesNotContain("libtorch", dependencies, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("TorchSharp-cpu", dependencies, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("PruneSharp.Runtime", dependencies, StringComparison.Ordinal);
    }

    [Fact]
    public void The_test_assembly_references_neither_TorchSharp_nor_the_runtime()
    {
        var referenced = typeof(NoLibTorchTests).Assembly.GetReferencedAssemblies().Select(name => name.Name).ToList();
        Assert.Contains("PruneSharp.Generator", referenced);
        Assert.DoesNotContain("TorchSharp", referenced);
        Assert.DoesNotContain("PruneSharp.Runtime", referenced);
        Assert.True(File.Exists(Path.Combine(CompilationHelper.MetadataOnlyDirectory, "PruneSharp.Runtime.dll")), "PruneSharp.Runtime.dll was not copied to metadata/");
    }

    [Fact]
    public void Compiling_and_generating_a_TorchSharp_model_loads_neither_TorchSharp_nor_libtorch()
    {
        var (result, diagnostics) = CompilationHelper.Generate(TestSources.SmallCnn);
        Assert.NotEmpty(result.GeneratedTrees);
        Assert.DoesNotContain(diagnostics, diagnostic => diagnostic.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);

        var loaded = AppDomain.CurrentDomain.GetAssemblies().Select(assembly => assembly.GetName().Name).ToList();
        Assert.DoesNotContain("TorchSharp", loaded);
        Assert.DoesNotContain("PruneSharp.Runtime", loaded);
        if (OperatingSystem.IsLinux())
        {
            // The process's mapped files: a native library loaded by anything in the process would be among them.
            var maps = File.ReadAllText("/proc/self/maps");
            Assert.DoesNotContain("libtorch", maps, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("LibTorchSharp", maps, StringComparison.OrdinalIgnoreCase);
        }
    }
}
