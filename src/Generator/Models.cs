using System.Linq;

namespace PruneSharp.Generator;

/// <summary>
/// Everything the emitter needs about one <c>[Prune]</c> model class: strings, numbers and equatable arrays only
/// (no symbols or syntax), so the incremental pipeline can cache it. The generated class declares this into the
/// run-time tree (<c>IDeclaresPruning</c>): its typed layers, its containers and collections, its class-level rule.
/// </summary>
/// <param name="Namespace">The containing namespace as written in C# (<c>@unsafe.Models</c>), or empty for the global namespace.</param>
/// <param name="ContainingTypes">The classes the model class is nested in, outermost first.</param>
/// <param name="TypeName">The model class's name as written in C# (<c>@checked</c>).</param>
/// <param name="HintName">The generated file's hint name, unique per class (<see cref="HintNames"/>).</param>
/// <param name="ClassRule">The class-level <c>[Prune]</c>, or null without one (or where it has an error).</param>
/// <param name="Layers">The typed layers, in the depth-first order of the module tree: layer members with their own <c>[Prune]</c>, layer members and layers inside containers that a rule of the class reaches where the code shows their path and shape.</param>
/// <param name="Containers">The <c>[Prune]</c>s on container members, in declaration order.</param>
/// <param name="Collections">The members holding plain arrays or lists of modules, which the tree must be told about.</param>
/// <param name="GeneratesCompaction">
/// Whether <c>Compact()</c> and <c>ZeroPrunedChannels()</c> are generated: false where a member of the class has the
/// name of one of them (PRUNE028).
/// </param>
internal sealed record ModelSpec(
    string Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string TypeName,
    string HintName,
    ClassRuleSpec? ClassRule,
    EquatableArray<LayerSpec> Layers,
    EquatableArray<ContainerSpec> Containers,
    EquatableArray<CollectionSpec> Collections,
    bool GeneratesCompaction)
{
    /// <summary>The class's full name as written in C#, unique in the compilation (<c>Ns.Outer.Model</c>).</summary>
    public string FullName => string.Join(".", new[] { Namespace }.Concat(ContainingTypes.Select(type => type.Name)).Concat(new[] { TypeName }).Where(part => part.Length > 0));

    /// <summary>The scope the class declares (local without a class-level <c>[Prune]</c>).</summary>
    public PruningScope Scope => ClassRule?.Scope ?? PruningScope.Local;

    /// <summary>Under global scope, the class-level declaration (the model-wide sparsity and its schedule); null under local scope.</summary>
    public SettingsSpec? GlobalSettings => Scope == PruningScope.Global ? ClassRule!.Settings : null;
}

/// <summary>A type the model class is nested in.</summary>
/// <param name="Keyword">The declaration keyword (<c>class</c>, <c>struct</c>, <c>record</c>, ...).</param>
/// <param name="Name">The type's name as written in C# (<c>@checked</c>).</param>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

/// <summary>What the generator writes for one model class: its pruning members and, where they are generated, <c>Compact()</c> and <c>ZeroPrunedChannels()</c>.</summary>
internal sealed record ModelClass(ModelSpec Pruning, Compaction.CompactionSpec? Compaction);

/// <summary>The class-level <c>[Prune]</c>: the default for every layer of the class's tree that nothing more specific declares.</summary>
internal sealed record ClassRuleSpec(SettingsSpec Settings, PruningScope Scope, SelectionSpec? Selection);

/// <summary>A <c>[Prune]</c> on a container member: the default for every layer inside that the class's members do not declare.</summary>
/// <param name="Name">The container's registered name (<see cref="RegisteredNames"/>), relative to the class.</param>
internal sealed record ContainerSpec(string Name, SettingsSpec Settings, SelectionSpec? Selection);

/// <summary>A member holding a plain array or list of modules (not registered by TorchSharp): its layers are named <c>name.0</c>, <c>name.1</c>, ...</summary>
/// <param name="Name">The member's name.</param>
/// <param name="MayBeNull">Whether the member's type is nullable; a null collection declares nothing.</param>
internal sealed record CollectionSpec(string Name, bool MayBeNull);

/// <summary>Which declaration a typed layer belongs to.</summary>
internal enum LayerRole
{
    /// <summary>The layer member's own <c>[Prune]</c>.</summary>
    Member,

    /// <summary>The class-level <c>[Prune]</c>, where it reaches the layer.</summary>
    ClassDefault,

    /// <summary>A container's <c>[Prune]</c>, where it reaches the layer.</summary>
    ContainerDefault,
}

/// <summary>One typed layer: a generated <c>PrunedLayer</c> subclass and property.</summary>
/// <param name="Name">The layer's dotted name relative to the class, as registered (<c>conv1</c>, <c>features.0</c>, <c>&lt;Head&gt;k__BackingField</c>).</param>
/// <param name="PascalName">The stem of the generated member names (<c>Conv1</c>, <c>Features0</c>).</param>
/// <param name="Kind">The layer kind.</param>
/// <param name="Settings">How the layer is pruned, as the declaration it belongs to says.</param>
/// <param name="ReducedDimsText">The reduced dims as fasterai writes them, e.g. <c>(2, 3, 4)</c>; empty for N:M.</param>
/// <param name="Shape">The weight shape the code shows, or empty where it is not known (only layer members have no shape).</param>
/// <param name="Role">Which declaration it belongs to.</param>
/// <param name="MemberName">The member that holds the layer, or its container (its name, without <c>@</c>).</param>
/// <param name="MayBeNull">Whether that member's type is a nullable reference (<c>Linear?</c>): the generated code checks for null.</param>
/// <param name="PathInMember">For a layer inside a container: its path under the member (<c>0</c>, <c>conv.0</c>); empty for a layer member.</param>
/// <param name="Container">For <see cref="LayerRole.ContainerDefault"/>: the container's registered name.</param>
/// <param name="MayBeOutputLayer">Whether it may be the model's output layer, which its rule leaves alone where this class is the model (it is then in no <c>PrunedLayers</c>).</param>
internal sealed record LayerSpec(
    string Name,
    string PascalName,
    LayerKind Kind,
    SettingsSpec Settings,
    string ReducedDimsText,
    EquatableArray<long> Shape,
    LayerRole Role,
    string MemberName,
    bool MayBeNull,
    string PathInMember,
    string? Container,
    bool MayBeOutputLayer)
{
    /// <summary>The convolution's <c>groups</c> read with <see cref="Shape"/> (1 for <c>Linear</c>, and where the shape is unknown).</summary>
    public long ConvolutionGroups { get; init; } = 1;
}

/// <summary>
/// Every property of a <c>[Prune]</c>, as the emitter writes it into a <c>PruneSettings</c>. The defaults are those of
/// <c>PruneAttribute</c> and <c>PruneSettings</c>; the emitter writes only the values that differ from them.
/// </summary>
internal sealed record SettingsSpec(
    Granularity Granularity,
    double Sparsity,
    int N,
    int M,
    Criterion Criterion,
    Reducer Reducer,
    int RoundTo,
    EquatableArray<int>? Dims,
    Schedule Schedule,
    double ScheduleStart,
    double ScheduleEnd,
    int ScheduleSteps,
    int Seed,
    GlobalScoreNormalization Normalization)
{
    public const double DefaultScheduleStart = 0.0;
    public const double DefaultScheduleEnd = 1.0;
    public const int DefaultScheduleSteps = 3;
}

/// <summary>A <c>LayerSelection</c>, as the emitter writes it: the selection properties of a class-level or container <c>[Prune]</c>.</summary>
/// <param name="Kinds">The layer kinds, as their values (an enum is not <c>IEquatable</c>).</param>
internal sealed record SelectionSpec(EquatableArray<string> Include, EquatableArray<string> Exclude, EquatableArray<int> Kinds, bool IncludeOutputLayer);
