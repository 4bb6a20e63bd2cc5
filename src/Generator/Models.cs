namespace PruneSharp.Generator;

/// <summary>
/// Everything the emitter needs about one <c>[Prune]</c> model class: strings, numbers and equatable arrays only
/// (no symbols or syntax), so the incremental pipeline can cache it.
/// </summary>
/// <param name="Namespace">The containing namespace, or empty for the global namespace.</param>
/// <param name="ContainingTypes">The classes the model class is nested in, outermost first.</param>
/// <param name="TypeName">The model class's name.</param>
/// <param name="HintName">The generated file's hint name, unique per class.</param>
/// <param name="Scope">Whether the layers are ranked each on its own or all together (the class-level attribute's <c>Scope</c>).</param>
/// <param name="GlobalSettings">With <see cref="PruningScope.Global"/>: the class-level declaration (the model-wide sparsity and its schedule); null under local scope.</param>
/// <param name="Layers">The pruned layers, in declaration order.</param>
internal sealed record ModelSpec(
    string Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string TypeName,
    string HintName,
    PruningScope Scope,
    SettingsSpec? GlobalSettings,
    EquatableArray<LayerSpec> Layers);

/// <summary>A type the model class is nested in.</summary>
/// <param name="Keyword">The declaration keyword (<c>class</c>, <c>struct</c>, <c>record</c>, ...).</param>
/// <param name="Name">The type's name.</param>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

/// <summary>One pruned layer.</summary>
/// <param name="MemberName">The field or property that holds the layer.</param>
/// <param name="PascalName">The member name in PascalCase, for the generated member names.</param>
/// <param name="Kind">The layer kind.</param>
/// <param name="Settings">How the layer is pruned, as its attribute (or the class default) declares.</param>
/// <param name="ReducedDimsText">The reduced dims as fasterai writes them, e.g. <c>(2, 3, 4)</c>; empty for N:M.</param>
/// <param name="Shape">The weight shape read from the initializer or the constructors, or empty where it is not known.</param>
internal sealed record LayerSpec(
    string MemberName,
    string PascalName,
    LayerKind Kind,
    SettingsSpec Settings,
    string ReducedDimsText,
    EquatableArray<long> Shape)
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
    int Seed)
{
    public const double DefaultScheduleStart = 0.0;
    public const double DefaultScheduleEnd = 1.0;
    public const int DefaultScheduleSteps = 3;
}
