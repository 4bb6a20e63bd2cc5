using Microsoft.CodeAnalysis;

namespace PruneSharp.Generator;

/// <summary>Every diagnostic PruneSharp reports. IDs are stable; each is documented in docs/diagnostics.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "PruneSharp";
    private const string HelpLinkBase = "https://github.com/prunesharp/prunesharp/blob/main/docs/diagnostics.md#";

    public static readonly DiagnosticDescriptor GranularityNotValidForLayer = Create(
        FixableDiagnostics.GranularityNotValidForLayer,
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
        "'{0}' is of type '{1}', which PruneSharp cannot prune; [Prune] goes on an instance field or property that holds a layer (Linear, Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d) or modules (a Sequential, ModuleList, ModuleDict, block class or other Module, or an array or list of modules)",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ClassNotPartial = Create(
        FixableDiagnostics.ClassNotPartial,
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
        "Generic and file-local model classes are not supported",
        "'{0}' is {1}; PruneSharp generates code only for model classes that are neither generic nor file-local",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ClassDefaultAppliesToNoLayer = Create(
        "PRUNE008",
        "The class-level [Prune] applies to no layer",
        "The class-level [Prune(Granularity.{0}, ...)] of '{1}' applies to no layer: no layer of its module tree that a more specific [Prune] does not declare is one that granularity applies to",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor CustomDimsMissing = Create(
        "PRUNE009",
        "Granularity.Custom needs Dims",
        "Granularity.Custom on '{0}' needs the dims to reduce over: add Dims = new[] {{ ... }}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor CustomDimsDoNotFit = Create(
        "PRUNE010",
        "Custom dims do not fit the layer",
        "Dims {0} do not fit layer '{1}' ({2}, weight rank {3}): give at least one dim, each in [0, {3}] and none twice",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DimsWithoutCustom = Create(
        "PRUNE011",
        "Dims are set with a granularity other than Custom",
        "Dims are set on '{0}', whose granularity is {1}; only Granularity.Custom reads them: remove Dims or use Granularity.Custom",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InvalidNOfM = Create(
        "PRUNE012",
        "N:M pattern is invalid",
        "N:M {0}:{1} on '{2}' is invalid: N must be at least 1 and M greater than N; declare it as [Prune(n, m)]",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NOfMInputNotMultiple = Create(
        "PRUNE013",
        "Layer's input size is not a multiple of M",
        "N:M {0}:{1} does not fit layer '{2}' ({3} [{4}]): its input size {5} (weight axis {6}) is not a multiple of M = {1}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NegativeRoundTo = Create(
        "PRUNE014",
        "RoundTo is negative",
        "RoundTo {0} on '{1}' is negative; use 0 (off) or a positive multiple",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor RoundToKeepsEveryGroup = Create(
        "PRUNE015",
        "RoundTo keeps every group of the layer",
        "RoundTo {0} is not below the {1} groups of layer '{2}' ({3}, granularity {4}), so every group is kept and nothing is pruned",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor NOfMWithRoundTo = Create(
        "PRUNE016",
        "N:M cannot be combined with RoundTo",
        "RoundTo {0} on '{1}' conflicts with its N:M pattern, which fixes how many weights of each run are kept; remove RoundTo",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ScopeOnMember = Create(
        "PRUNE017",
        "Scope is set on a layer's [Prune]",
        "Scope is set on '{0}', but the scope is model-wide: set it on the class-level [Prune]",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MemberSparsityUnderGlobalScope = Create(
        "PRUNE018",
        "Per-layer sparsity under global scope",
        "'{0}' declares sparsity {1}, but '{2}' uses global scope, where ComputeMasks() prunes every layer towards the class-level sparsity {3}; use {3} here, or local scope",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor SchedulePointOutOfRange = Create(
        "PRUNE019",
        "Schedule start or end is outside [0, 1]",
        "{0} {1} on '{2}' is outside [0, 1]; it is a fraction of training",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ScheduleStartAfterEnd = Create(
        "PRUNE020",
        "Schedule starts after it ends",
        "ScheduleStart {0} on '{1}' is after ScheduleEnd {2}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor IterativeStepsBelowOne = Create(
        "PRUNE021",
        "Iterative schedule needs at least one step",
        "ScheduleSteps {0} on '{1}' is below 1; Schedule.Iterative needs at least one step",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor LayerGranularityPrunesNothing = Create(
        "PRUNE022",
        "Layer granularity prunes nothing",
        "Granularity.Layer makes layer '{0}' one group, and {1}, so nothing is pruned; use a finer granularity",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor UndefinedEnumValue = Create(
        "PRUNE023",
        "Value is not a member of its enum",
        "{0} {1} on '{2}' is not a member of {3}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NOfMUnderGlobalScope = Create(
        "PRUNE024",
        "N:M under global scope",
        "'{0}' uses N:M, which keeps N of every M weights within the layer and cannot be ranked with other layers, but '{1}' uses global scope; use local scope or another granularity",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor GlobalSparsityTakesLastGroups = Create(
        "PRUNE025",
        "Global sparsity would remove a layer's last group",
        "Global sparsity {0} of '{1}' would prune {2} of the {3} groups of its {4} layers, but every layer keeps its best group; use at most {5}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor RoundToUnderGlobalScope = Create(
        FixableDiagnostics.RoundToUnderGlobalScope,
        "RoundTo has no effect under global scope",
        "RoundTo {0} on '{1}' has no effect: '{2}' uses global scope, which ranks the groups of all layers together and does not round per layer; remove RoundTo or use local scope",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor GeneratedNamesMeet = Create(
        "PRUNE027",
        "Two layers would get the same generated members",
        "Layers '{0}' and '{1}' would both get the generated members '{2}' and '{3}', so '{1}' is not pruned; rename one of them",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MemberHasGeneratedName = Create(
        "PRUNE028",
        "A member has the name of a generated member",
        "'{0}'{1} has the name of '{2}', which PruneSharp generates {3}, so {4}; rename '{0}'",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DerivesFromPrunedModel = Create(
        "PRUNE029",
        "A [Prune] model cannot derive from another pruned model",
        "'{0}' derives from '{1}', which {2}; PruneSharp generates no code for '{0}': declare [Prune] in one class of the hierarchy (see the docs)",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor PropertyDoesNotHoldLayer = Create(
        "PRUNE040",
        "[Prune] is on a property that does not hold its layer",
        "'{0}' is {1}; [Prune] goes on the field or auto-property that holds the module, which is the one PruneSharp reads and names",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MalformedLayerPattern = Create(
        "PRUNE041",
        "A layer name pattern is malformed",
        "{0} of '{1}': {2}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SelectionOnOneLayer = Create(
        "PRUNE042",
        "A selection is set on a member that holds one layer",
        "'{0}' holds one layer, and its own [Prune] always prunes it: {1} selects among the layers a class-level or container [Prune] reaches; remove it",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnknownPruneArgument = Create(
        "PRUNE043",
        "[Prune] sets a property the generator does not know",
        "[Prune] on '{0}' sets '{1}', which this version of PruneSharp's generator does not know, so the declaration is not used; use the same version of the PruneSharp package for the attributes and the generator",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NormalizationUnderLocalScope = Create(
        "PRUNE044",
        "Normalization is set under local scope",
        "Normalization {0} on '{1}' has no effect: the scope is local, where each layer is ranked on its own; set Scope = PruningScope.Global, or remove Normalization",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor NormalizationOnMember = Create(
        "PRUNE045",
        "Normalization is set on a member's [Prune]",
        "Normalization is set on '{0}', but it belongs to the global ranking, which is model-wide: set it on the class-level [Prune] that sets Scope = PruningScope.Global",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NormalizationWithNegativeCriterion = Create(
        "PRUNE046",
        "A criterion that can score below zero under LAMP",
        "'{0}' uses criterion {1}, which can score below zero, but '{2}' normalizes global scores with {3}, which is defined for magnitudes; use a criterion that is never negative or no normalization",
        DiagnosticSeverity.Error);

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
        "Compact() cannot shrink this layer",
        "Compact() keeps every {1} of '{0}': {2}",
        DiagnosticSeverity.Info);

}
