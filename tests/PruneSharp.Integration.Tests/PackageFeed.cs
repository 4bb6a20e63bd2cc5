using System.Diagnostics;

namespace PruneSharp.Tests;

/// <summary>
/// PruneSharp packed once, with a version no earlier run used (so the global packages folder cannot serve a stale
/// copy), into a local folder feed that the package tests' consumer projects restore from.
/// </summary>
public sealed class PackageFeed : IDisposable
{
    public PackageFeed()
    {
        Work = Path.Combine(Path.GetTempPath(), "prunesharp-package-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Work);
        Version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        Feed = Path.Combine(Work, "feed");
        var sources = CopySources();
        Run("dotnet", $"pack \"{Path.Combine(sources, "src", "Runtime", "PruneSharp.Runtime.csproj")}\" -c Release -o \"{Feed}\" -p:Version={Version}", sources, expectSuccess: true);
    }

    /// <summary>The temporary folder everything is written under.</summary>
    public string Work { get; }

    /// <summary>The folder feed holding PruneSharp.{Version}.nupkg.</summary>
    public string Feed { get; }

    public string Version { get; }

    /// <summary>A new console project outside the solution that references the packed PruneSharp and TorchSharp-cpu.</summary>
    public string CreateConsumer(string name, bool treatWarningsAsErrors)
    {
        var consumer = Path.Combine(Work, name);
        Directory.CreateDirectory(consumer);
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="prunesharp-local" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
        // The feed serves some of TorchSharp's transitive versions one patch apart (NU1603), as for the repository's own build.
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>{(treatWarningsAsErrors ? "true" : "false")}</TreatWarningsAsErrors>
                <NoWarn>$(NoWarn);NU1603</NoWarn>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="PruneSharp" Version="{Version}" />
                <PackageReference Include="TorchSharp-cpu" Version="0.107.0" />
              </ItemGroup>
            </Project>
            """);
        return consumer;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Work, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not a test failure.
        }
    }

    /// <summary>Copies what packing needs (sources and build props, no build outputs) so the repo's bin/obj stay untouched.</summary>
    private string CopySources()
    {
        var target = Path.Combine(Work, "repo");
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

    public static string Run(string fileName, string arguments, string workingDirectory, bool expectSuccess)
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

}
