using Microsoft.CodeAnalysis;

namespace PruneSharp.Generator;

/// <summary>Every diagnostic PruneSharp reports. IDs are stable; each is documented in docs/diagnostics.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "PruneSharp";
    private const string HelpLinkBase = "https://github.com/prunesharp/prunesharp/blob/main/docs/diagnostics.md#";

    public static readonly DiagnosticDescriptor GranularityNotValidForLayer = Create(
        "PRUNE001",
        "Granularity does not apply to this layer type",
        "Granularity '{0}' does not apply to {1} layer '{2}'; valid granularities for {1}: {3}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SparsityOutOfRange = Create(
        "PRUNE002",
        "Sparsity is outside [0, 1]",
        "Sparsity {0} of '{1}' is outside [0, 1]; it is the fraction of groups to remove",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SparsityRemovesEveryGroup = Create(
        "PRUNE003",
        "Sparsity removes every group of the layer",
        "Sparsity {0} would remove all {1} groups of layer '{2}' ({3}, granularity {4}); use at most {5} to keep at least one group",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NotASupportedLayer = Create(
        "PRUNE004",
        "[Prune] is on a member that is not a supported layer",
        "'{0}' is of type '{1}', which PruneSharp cannot prune; [Prune] goes on an instance field or property of type Conv2d or Linear",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ClassNotPartial = Create(
        "PRUNE005",
        "A class with [Prune] layers must be partial",
        "'{0}' must be declared partial so PruneSharp can generate its pruning members",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ClassNotAModule = Create(
        "PRUNE006",
        "A class with [Prune] must derive from a TorchSharp Module",
        "'{0}' does not derive from TorchSharp.torch.nn.Module; [Prune] applies to TorchSharp models",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor GenericClassNotSupported = Create(
        "PRUNE007",
        "Generic model classes are not supported",
        "'{0}' is generic or nested in a generic type; PruneSharp generates code for non-generic model classes only",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ClassDefaultAppliesToNoLayer = Create(
        "PRUNE008",
        "The class-level [Prune] applies to no layer",
        "The class-level [Prune(Granularity.{0}, ...)] of '{1}' applies to no layer: no field or property without its own [Prune] is a layer that granularity applies to",
        DiagnosticSeverity.Warning);

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + id.ToLowerInvariant());

    // Compaction (Compact() and ZeroPrunedChannels()): information, never an error; IDs PRUNE030–PRUNE039.

    public static readonly DiagnosticDescriptor GranularityNotCompactable = Create(
        "PRUNE030",
        "The layer's granularity removes no whole unit, so Compact() does not shrink it",
        "Compact() removes no unit of '{0}' for its granularity {1}: {1} removes no whole filter, output neuron or input channel, so the pruned weights stay in the compacted model as zeros",
        DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor ForwardNotFollowed = Create(
        "PRUNE031",
        "Compact() cannot follow this code of forward",
        "Compact() keeps every {1} of '{0}': {2}",
        DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor ChannelsAtModelBoundary = Create(
        "PRUNE032",
        "The pruned channels are the model's input or output",
        "Compact() keeps every {1} of '{0}': {2}",
        DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor FlattenedSizeNotKnown = Create(
        "PRUNE033",
        "A Linear reads flattened channels whose block size is not known at compile time",
        "Compact() keeps every {1} of '{0}': {2}",
        DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor LayerCannotBeCompacted = Create(
        "PRUNE034",
        "Compact() cannot rebuild this layer",
        "Compact() keeps every {1} of '{0}': {2}",
        DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor CompactNeedsParameterlessConstructor = Create(
        "PRUNE035",
        "Compact() needs a constructor without parameters",
        "Compact() is not generated for '{0}': it builds the compacted model with a constructor that takes no arguments, and '{0}' has none",
        DiagnosticSeverity.Info);
}
