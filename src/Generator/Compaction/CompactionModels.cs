using PruneSharp.Compaction;

namespace PruneSharp.Generator.Compaction;

/// <summary>
/// Everything the compaction emitter needs about one <c>[Prune]</c> model class: strings and the forward programs of
/// the model class and of the module classes it is built from (records and equatable lists only, no symbols or syntax),
/// so the incremental pipeline can cache it.
/// </summary>
/// <param name="Namespace">The containing namespace, or empty for the global namespace.</param>
/// <param name="ContainingTypes">The classes the model class is nested in, outermost first.</param>
/// <param name="TypeName">The model class's name.</param>
/// <param name="HintName">The generated file's hint name, <c>Ns.Type.Compact.g.cs</c>.</param>
/// <param name="ModelType">The model class's runtime name (<c>Type.FullName</c>).</param>
/// <param name="Programs">The forward programs: the model class's first, then the module classes its code builds, in the order they are found.</param>
internal sealed record CompactionSpec(
    string Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string TypeName,
    string HintName,
    string ModelType,
    EquatableArray<FlowClass> Programs);
