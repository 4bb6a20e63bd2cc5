extern alias generator;

using DiffPlex.Renderer;
using Emitter = generator::PruneSharp.Generator.Emitter;

namespace PruneSharp.Tests;

/// <summary>
/// Snapshot assertions in Verify's conventions (Verify itself is not restorable here): the expected text is
/// committed as <c>tests/Snapshots/Name.verified.cs</c>; on a mismatch the actual text is written beside it as
/// <c>Name.received.cs</c> and the failure shows a unified diff. Set <see cref="AcceptVariable"/> to <c>1</c> to
/// accept received texts as the new verified ones.
/// </summary>
internal static class Snapshots
{
    /// <summary>The environment variable that, set to 1, makes mismatching or missing snapshots get accepted.</summary>
    public const string AcceptVariable = "PRUNESHARP_ACCEPT_SNAPSHOTS";

    public static void Verify(string name, string actual)
    {
        var directory = SnapshotDirectory();
        var verifiedPath = Path.Combine(directory, name + ".verified.cs");
        var receivedPath = Path.Combine(directory, name + ".received.cs");
        actual = Normalize(actual);
        var verified = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;

        if (verified == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            File.WriteAllText(verifiedPath, actual);
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, actual);
        var message = verified is null
            ? $"No verified snapshot {verifiedPath}. The output was written to {receivedPath}; review it and rename it, or rerun with {AcceptVariable}=1."
            : $"Snapshot {name} differs from {verifiedPath}; the output was written to {receivedPath}. Rerun with {AcceptVariable}=1 to accept it.\n" +
              new UnidiffRenderer().Generate(verified, actual, name + ".verified.cs", name + ".received.cs");
        Assert.Fail(message);
    }

    /// <summary>Line endings are not part of a snapshot; the generator's version is scrubbed so a release does not change every file.</summary>
    private static string Normalize(string text) =>
        text.Replace("\r\n", "\n").Replace("\"" + Emitter.GeneratorVersion + "\"", "\"{version}\"");

    private static string SnapshotDirectory()
    {
        var snapshots = Path.Combine(RepositoryPaths.Root, "tests", "Snapshots");
        Directory.CreateDirectory(snapshots);
        return snapshots;
    }
}
