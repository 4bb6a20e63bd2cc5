namespace PruneSharp.Tests;

/// <summary>Finds the repository from the test binary (CI builds map source paths, so [CallerFilePath] will not do).</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>tests/PruneSharp.Runtime.Tests: its model classes run there, and the generator tests read them as source.</summary>
    public static string RuntimeTests => Path.Combine(Root, "tests", "PruneSharp.Runtime.Tests");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PruneSharp.sln"))) return directory.FullName;
        }

        throw new DirectoryNotFoundException($"No PruneSharp.sln above {AppContext.BaseDirectory}.");
    }
}
