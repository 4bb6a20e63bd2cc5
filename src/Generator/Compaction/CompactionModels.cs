namespace PruneSharp.Generator.Compaction;

/// <summary>
/// Everything the compaction emitter needs about one <c>[Prune]</c> model class: strings, numbers and equatable
/// arrays only (no symbols or syntax), so the incremental pipeline can cache it.
/// </summary>
/// <param name="Namespace">The containing namespace, or empty for the global namespace.</param>
/// <param name="ContainingTypes">The classes the model class is nested in, outermost first.</param>
/// <param name="TypeName">The model class's name.</param>
/// <param name="HintName">The generated file's hint name, <c>Ns.Type.Compact.g.cs</c>.</param>
/// <param name="EmitsCompact">Whether <c>Compact()</c> is generated: the class has a parameterless constructor to build the compacted model with.</param>
/// <param name="Groups">The channel groups <c>Compact()</c> can shrink, in order of their first producer's declaration.</param>
/// <param name="Rebuilds">The layers <c>Compact()</c> rebuilds smaller, in declaration order.</param>
/// <param name="BiasZeroings">The pruned Conv2d and Linear layers whose bias <c>ZeroPrunedChannels()</c> zeroes at removed outputs.</param>
/// <param name="BatchNormZeroings">The BatchNorm layers <c>ZeroPrunedChannels()</c> zeroes where their producers remove channels.</param>
internal sealed record CompactionSpec(
    string Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string TypeName,
    string HintName,
    bool EmitsCompact,
    EquatableArray<ChannelGroupSpec> Groups,
    EquatableArray<LayerRebuildSpec> Rebuilds,
    EquatableArray<LayerReference> BiasZeroings,
    EquatableArray<BatchNormZeroingSpec> BatchNormZeroings);

/// <summary>A field or property that holds a layer.</summary>
/// <param name="Name">The member's name, for messages.</param>
/// <param name="Identifier">The member's name as a C# identifier (with <c>@</c> where it is a keyword).</param>
/// <param name="MayBeNull">Whether the member's type is nullable (<c>Linear?</c>): the generated code reads it with <c>!</c>.</param>
internal sealed record LayerReference(string Name, string Identifier, bool MayBeNull)
{
    /// <summary>The member read on <paramref name="owner"/> (<c>this</c>, <c>source</c>), as an expression of its non-nullable type.</summary>
    public string Read(string owner) => $"{owner}.{Identifier}{(MayBeNull ? "!" : string.Empty)}";
}

/// <summary>One channel group: layers whose channels <c>forward</c> couples, so a channel leaves all of them at once.</summary>
/// <param name="Name">The group's name, its producers joined with <c> + </c>.</param>
/// <param name="Producers">The layers whose output channels are the group's.</param>
/// <param name="Consumers">The layers whose input channels read the group's.</param>
/// <param name="BatchNorms">The BatchNorm layers applied to the group's channels.</param>
internal sealed record ChannelGroupSpec(
    string Name,
    EquatableArray<LayerReference> Producers,
    EquatableArray<LayerReference> Consumers,
    EquatableArray<LayerReference> BatchNorms);

/// <summary>The TorchSharp layer types compaction rebuilds.</summary>
internal enum CompactedLayerType
{
    Conv2d,
    Linear,
    BatchNorm1d,
    BatchNorm2d,
}

/// <summary>A layer that <c>Compact()</c> rebuilds with fewer channels.</summary>
/// <param name="Layer">The layer's member.</param>
/// <param name="Type">The layer's type.</param>
/// <param name="OutputGroup">The index of the group of its output channels (for BatchNorm: its channels), or -1 to keep them all.</param>
/// <param name="InputGroup">The index of the group of its input channels, or -1 to keep them all (always -1 for BatchNorm).</param>
internal sealed record LayerRebuildSpec(LayerReference Layer, CompactedLayerType Type, int OutputGroup, int InputGroup);

/// <summary>A BatchNorm that <c>forward</c> applies to the outputs of <paramref name="Producers"/> (summed where it adds them).</summary>
internal sealed record BatchNormZeroingSpec(LayerReference BatchNorm, EquatableArray<LayerReference> Producers);
