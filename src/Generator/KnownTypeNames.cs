namespace PruneSharp.Generator;

/// <summary>Metadata names of the types the generator and analyzer look for.</summary>
internal static class KnownTypeNames
{
    public const string PruneAttribute = "PruneSharp.PruneAttribute";
    public const string Module = "TorchSharp.torch+nn+Module";
    public const string PrunableModule = "PruneSharp.IPrunableModule";

    /// <summary>The TorchSharp module type of a layer kind: <c>TorchSharp.Modules.Conv2d</c>, ...</summary>
    public static string LayerType(LayerKind kind) => "TorchSharp.Modules." + kind;

    /// <summary>The TorchSharp class whose static factories (<c>Conv2d(...)</c>, <c>Linear(...)</c>, ...) shape inference reads.</summary>
    public const string LayerFactories = "TorchSharp.torch+nn";
}

/// <summary>Names of the pipeline steps, for incrementality tests.</summary>
internal static class TrackingNames
{
    public const string ClassTargets = nameof(ClassTargets);
    public const string MemberTargets = nameof(MemberTargets);

    /// <summary>One value per model class, hint names made unique: both outputs read it.</summary>
    public const string ModelClasses = nameof(ModelClasses);

    /// <summary>The pruning output's input.</summary>
    public const string Models = nameof(Models);

    /// <summary>The compaction output's input.</summary>
    public const string CompactionSpecs = nameof(CompactionSpecs);
}
