namespace PruneSharp.Generator;

/// <summary>
/// What the analyzer and the code fixes (a separate assembly, which compiles this file too) agree on: the IDs of
/// the diagnostics that have fixes, and the diagnostic properties the fixes read.
/// </summary>
internal static class FixableDiagnostics
{
    /// <summary>PRUNE001: the granularity does not apply to the layer kind.</summary>
    public const string GranularityNotValidForLayer = "PRUNE001";

    /// <summary>PRUNE005: the model class, or a class it is nested in, is not partial.</summary>
    public const string ClassNotPartial = "PRUNE005";

    /// <summary>PRUNE026: RoundTo is set under global scope, where it has no effect.</summary>
    public const string RoundToUnderGlobalScope = "PRUNE026";

    /// <summary>The PRUNE001 property listing the table's granularities for the layer kind, comma-separated.</summary>
    public const string ValidGranularitiesProperty = "ValidGranularities";
}
