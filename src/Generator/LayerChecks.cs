using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;

using static PruneSharp.Generator.ModelParser;

namespace PruneSharp.Generator;

/// <summary>
/// The checks of one declaration against one layer whose kind (and, where the code shows it, shape) is known: a
/// layer member's own <c>[Prune]</c>, or a class-level or container <c>[Prune]</c> that reaches a layer of the tree.
/// The run time runs the same checks with the same words where only it knows the layer (<c>TreeChecks</c>).
/// </summary>
internal static class LayerChecks
{
    /// <summary>
    /// Runs the checks that need the layer; reports at <paramref name="declaration"/>'s arguments, naming the layer
    /// <paramref name="name"/>. Returns the reduced dims' text (empty for N:M) where they pass, null where one fails;
    /// <paramref name="groups"/> is the layer's group count where known (null for N:M or an unknown shape).
    /// </summary>
    /// <param name="isOwnDeclaration">The layer member's own <c>[Prune]</c>: Custom dims that do not fit are an error (for a rule, the layer is not reached).</param>
    public static string? Check(ValidationContext context, string name, LayerKind kind, LayerShape? shape, PruneDeclaration declaration, bool isOwnDeclaration, out long? groups)
    {
        var token = context.CancellationToken;
        var granularity = declaration.Granularity;
        groups = null;

        ReducedDims dims = default;
        if (granularity == Granularity.Custom)
        {
            if (!Granularities.CustomDimsFit(kind, declaration.Dims))
            {
                if (isOwnDeclaration) context.Report(DiagnosticDescriptors.CustomDimsDoNotFit, declaration.NamedLocation(PruneProperties.Dims, token), FormatDims(declaration.Dims!), name, kind, Granularities.WeightRank(kind));
                return null;
            }

            dims = ReducedDims.Of(declaration.Dims!);
        }
        else if (granularity != Granularity.NOfM)
        {
            Granularities.TryGetReducedDims(kind, granularity, out dims);
        }

        var shapeText = shape is null ? kind.ToString() : $"{kind} [{FormatShape(shape.Weight)}]";
        if (granularity == Granularity.NOfM)
        {
            var inputAxis = Granularities.InputAxis(kind);
            if (shape is not null && shape.Weight[inputAxis] % declaration.M != 0)
            {
                context.Report(DiagnosticDescriptors.NOfMInputNotMultiple, declaration.MLocation(token), declaration.N, declaration.M, name, kind, FormatShape(shape.Weight), shape.Weight[inputAxis], inputAxis);
                return null;
            }

            return string.Empty;
        }

        groups = CountGroups(kind, dims, shape);

        // Under global scope ComputeMasks() ranks the model's groups together (PRUNE025 checks that sparsity); locally,
        // sparsity 1 removes every group whatever the shape, other values where the group count is known.
        if (context.Model.Scope == PruningScope.Local)
        {
            var removesAll = groups is { } count
                ? GroupCounts.RemovesEveryGroup(declaration.Sparsity, count)
                : declaration.Sparsity >= 1.0;
            if (removesAll)
            {
                var groupText = groups?.ToString(CultureInfo.InvariantCulture) ?? "the";
                var limit = groups is { } g ? FormatNumber((g - 1) / (double)g) : "a value below 1";
                context.Report(DiagnosticDescriptors.SparsityRemovesEveryGroup, declaration.SparsityLocation(token), FormatNumber(declaration.Sparsity), groupText, name, shapeText, FormatEnum(granularity), limit);
                return null;
            }
        }

        // One group is never pruned: locally a sparsity below 0.5 rounds to none (from 0.5 on, PRUNE003 above);
        // globally every layer keeps its best group.
        if (granularity == Granularity.Layer && groups == 1)
        {
            var reason = context.Model.Scope == PruningScope.Local
                ? $"with local scope sparsity {FormatNumber(declaration.Sparsity)} keeps it"
                : $"'{context.Model.Type.Name}' uses global scope, where every layer keeps its best group";
            context.Report(DiagnosticDescriptors.LayerGranularityPrunesNothing, declaration.GranularityLocation(token), name, reason);
        }

        if (declaration.RoundTo > 1 && groups is { } total && declaration.RoundTo >= total)
        {
            context.Report(DiagnosticDescriptors.RoundToKeepsEveryGroup, declaration.NamedLocation(PruneProperties.RoundTo, token), declaration.RoundTo, total, name, shapeText, FormatEnum(granularity));
        }

        return dims.ToString();
    }

    /// <summary>
    /// Whether a declaration's granularity applies to <paramref name="kind"/>, as the run time decides for a rule that
    /// reaches many layers: in the table for the kind, N:M, or Custom with dims that fit the kind's weight rank.
    /// </summary>
    public static bool Fits(LayerKind kind, PruneDeclaration declaration) => declaration.Granularity switch
    {
        Granularity.NOfM => true,
        Granularity.Custom => Granularities.CustomDimsFit(kind, declaration.Dims),
        var granularity => Granularities.TryGetReducedDims(kind, granularity, out _),
    };

    /// <summary>PRUNE025: with every pruned layer's group count known, the global sparsity must leave each layer its best group.</summary>
    public static void CheckGlobalSparsity(ValidationContext context, PruneDeclaration classDefault, IReadOnlyList<long?> groupCounts)
    {
        if (groupCounts.Count == 0 || groupCounts.Any(count => count is null)) return;
        var total = groupCounts.Sum(count => count!.Value);
        if (!GroupCounts.GlobalTakesLastGroups(classDefault.Sparsity, total, groupCounts.Count)) return;
        var pruned = GroupCounts.Pruned(classDefault.Sparsity, total);
        var limit = FormatNumber(GroupCounts.GloballyPrunable(total, groupCounts.Count) / (double)total);
        context.Report(DiagnosticDescriptors.GlobalSparsityTakesLastGroups, classDefault.SparsityLocation(context.CancellationToken), FormatNumber(classDefault.Sparsity), context.Model.Type.Name, pruned, total, groupCounts.Count, limit);
    }

    /// <summary>
    /// The number of groups <paramref name="dims"/> splits the layer's weight into, as the runtime counts them
    /// (<see cref="GroupCounts.Count"/>); null where the shape is unknown, unless the whole layer is one group.
    /// </summary>
    private static long? CountGroups(LayerKind kind, ReducedDims dims, LayerShape? shape)
    {
        if (shape is null) return GroupCounts.ReducesEveryWeightDim(kind, dims) ? 1 : null;
        return GroupCounts.Count(kind, dims, shape.Weight, shape.Groups);
    }
}

/// <summary>
/// A declaration of the class that reaches many layers: the class-level <c>[Prune]</c>, or one on a container member.
/// Which layers it reaches is the run time's rule (<c>TreeRule.Reaches</c>): the kinds its granularity fits, its
/// kinds, its patterns (over names relative to the class), and the output layer only where it opts in.
/// </summary>
internal sealed class DeclaredRule(PruneDeclaration declaration, MemberDeclaration? container)
{
    private readonly LayerNamePattern[] _include = declaration.Include.Select(pattern => LayerNamePattern.Parse(pattern, nameof(declaration))).ToArray();
    private readonly LayerNamePattern[] _exclude = declaration.Exclude.Select(pattern => LayerNamePattern.Parse(pattern, nameof(declaration))).ToArray();

    public PruneDeclaration Declaration { get; } = declaration;

    /// <summary>The container member the declaration is on; null for the class-level one.</summary>
    public MemberDeclaration? Container { get; } = container;

    /// <summary>Whether the rule reaches a layer of <paramref name="kind"/> named <paramref name="name"/>, the output layer aside.</summary>
    public bool Reaches(string name, LayerKind kind) =>
        (Declaration.Kinds.Length == 0 || Declaration.Kinds.Contains(kind))
        && (_include.Length == 0 || _include.Any(pattern => pattern.Matches(name)))
        && !_exclude.Any(pattern => pattern.Matches(name))
        && LayerChecks.Fits(kind, Declaration);
}
