namespace PruneSharp.Generator;

/// <summary>Metadata names of the types the generator and analyzer look for.</summary>
internal static class KnownTypeNames
{
    public const string PruneAttribute = "PruneSharp.PruneAttribute";
    public const string Module = "TorchSharp.torch+nn+Module";
    public const string Conv2d = "TorchSharp.Modules.Conv2d";
    public const string Linear = "TorchSharp.Modules.Linear";

    /// <summary>The TorchSharp class whose static factories (<c>Conv2d(...)</c>, <c>Linear(...)</c>) shape inference reads.</summary>
    public const string LayerFactories = "TorchSharp.torch+nn";
}

/// <summary>Names of the pipeline steps, for incrementality tests.</summary>
internal static class TrackingNames
{
    public const string ClassTargets = nameof(ClassTargets);
    public const string MemberTargets = nameof(MemberTargets);
    public const string Models = nameof(Models);
}
