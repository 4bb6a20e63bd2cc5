using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace PruneSharp;

/// <summary>
/// The generator's diagnostic messages, for the same checks where only run time knows a layer's shape or kind
/// (docs/architecture.md, rule 8). Each format is the <c>MessageFormat</c> of the descriptor with the same ID in
/// <c>src/Generator/DiagnosticDescriptors.cs</c>; a test keeps them equal. A message ends with the ID, so that
/// <c>docs/diagnostics.md</c> explains it.
/// </summary>
internal static class DiagnosticWords
{
    public const string GranularityNotValidForLayer = "Granularity '{0}' does not apply to {1} layer '{2}'; valid granularities for {1}: {3}";
    public const string SparsityOutOfRange = "Sparsity {0} of '{1}' is outside [0, 1]; it is the fraction of groups to remove";
    public const string SparsityRemovesEveryGroup = "Sparsity {0} would remove all {1} groups of layer '{2}' ({3}, granularity {4}); use at most {5} to keep at least one group";
    public const string CustomDimsMissing = "Granularity.Custom on '{0}' needs the dims to reduce over: add Dims = new[] {{ ... }}";
    public const string CustomDimsDoNotFit = "Dims {0} do not fit layer '{1}' ({2}, weight rank {3}): give at least one dim, each in [0, {3}] and none twice";
    public const string DimsWithoutCustom = "Dims are set on '{0}', whose granularity is {1}; only Granularity.Custom reads them: remove Dims or use Granularity.Custom";
    public const string InvalidNOfM = "N:M {0}:{1} on '{2}' is invalid: N must be at least 1 and M greater than N; declare it as [Prune(n, m)]";
    public const string NOfMInputNotMultiple = "N:M {0}:{1} does not fit layer '{2}' ({3} [{4}]): its input size {5} (weight axis {6}) is not a multiple of M = {1}";
    public const string NegativeRoundTo = "RoundTo {0} on '{1}' is negative; use 0 (off) or a positive multiple";
    public const string NOfMUnderGlobalScope = "'{0}' uses N:M, which keeps N of every M weights within the layer and cannot be ranked with other layers, but '{1}' uses global scope; use local scope or another granularity";
    public const string GlobalSparsityTakesLastGroups = "Global sparsity {0} of '{1}' would prune {2} of the {3} groups of its {4} layers, but every layer keeps its best group; use at most {5}";
    public const string NormalizationOnMember = "Normalization is set on '{0}', but it belongs to the global ranking, which is model-wide: set it on the class-level [Prune] that sets Scope = PruningScope.Global";
    public const string NormalizationWithNegativeCriterion = "'{0}' uses criterion {1}, which can score below zero, but '{2}' normalizes global scores with {3}, which is defined for magnitudes; use a criterion that is never negative or no normalization";

    /// <summary>The IDs of the formats above, by format.</summary>
    public static readonly IReadOnlyDictionary<string, string> Ids = new Dictionary<string, string>
    {
        [GranularityNotValidForLayer] = "PRUNE001",
        [SparsityOutOfRange] = "PRUNE002",
        [SparsityRemovesEveryGroup] = "PRUNE003",
        [CustomDimsMissing] = "PRUNE009",
        [CustomDimsDoNotFit] = "PRUNE010",
        [DimsWithoutCustom] = "PRUNE011",
        [InvalidNOfM] = "PRUNE012",
        [NOfMInputNotMultiple] = "PRUNE013",
        [NegativeRoundTo] = "PRUNE014",
        [NOfMUnderGlobalScope] = "PRUNE024",
        [GlobalSparsityTakesLastGroups] = "PRUNE025",
        [NormalizationOnMember] = "PRUNE045",
        [NormalizationWithNegativeCriterion] = "PRUNE046",
    };

    /// <summary>The message of <paramref name="format"/> with <paramref name="arguments"/>, followed by its ID: "… (PRUNE003)".</summary>
    public static string Format(string format, params object[] arguments) =>
        string.Format(CultureInfo.InvariantCulture, format, arguments) + " (" + Ids[format] + ")";

    /// <summary>A number as the generator writes it (round-trip, invariant).</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A shape as the generator writes it: "64, 3, 3, 3".</summary>
    public static string Shape(IEnumerable<long> shape) => string.Join(", ", shape.Select(size => size.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Dims as the generator writes them: "(2, 3, 4)".</summary>
    public static string Dims(IEnumerable<int> dims) => "(" + string.Join(", ", dims.Select(dim => dim.ToString(CultureInfo.InvariantCulture))) + ")";

    /// <summary>The granularities of the table that apply to <paramref name="kind"/>, as PRUNE001 lists them.</summary>
    public static string TableGranularities(LayerKind kind) =>
        string.Join(", ", Enum.GetValues<Granularity>().Where(granularity => Granularities.TryGetReducedDims(kind, granularity, out _)));
}
