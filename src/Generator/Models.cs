namespace PruneSharp.Generator;

/// <summary>
/// Everything the emitter needs about one <c>[Prune]</c> model class: strings, numbers and equatable arrays only
/// (no symbols or syntax), so the incremental pipeline can cache it.
/// </summary>
/// <param name="Namespace">The containing namespace, or empty for the global namespace.</param>
/// <param name="ContainingTypes">The classes the model class is nested in, outermost first.</param>
/// <param name="TypeName">The model class's name.</param>
/// <param name="HintName">The generated file's hint name, unique per class.</param>
/// <param name="Layers">The pruned layers, in declaration order.</param>
internal sealed record ModelSpec(
    string Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string TypeName,
    string HintName,
    EquatableArray<LayerSpec> Layers);

/// <summary>A type the model class is nested in.</summary>
/// <param name="Keyword">The declaration keyword (<c>class</c>, <c>struct</c>, <c>record</c>, ...).</param>
/// <param name="Name">The type's name.</param>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

/// <summary>One pruned layer.</summary>
/// <param name="MemberName">The field or property that holds the layer.</param>
/// <param name="PascalName">The member name in PascalCase, for the generated member names.</param>
/// <param name="Kind">The layer kind.</param>
/// <param name="Granularity">The granularity.</param>
/// <param name="Sparsity">The declared sparsity.</param>
/// <param name="ReducedDimsBits">The granularity's reduced dims as a bit set.</param>
/// <param name="ReducedDimsText">The reduced dims as fasterai writes them, e.g. <c>(2, 3, 4)</c>.</param>
/// <param name="Shape">The weight shape read from the initializer, or empty where it is not known.</param>
internal sealed record LayerSpec(
    string MemberName,
    string PascalName,
    LayerKind Kind,
    Granularity Granularity,
    double Sparsity,
    int ReducedDimsBits,
    string ReducedDimsText,
    EquatableArray<long> Shape);
