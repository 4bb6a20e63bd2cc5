using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace PruneSharp.Generator;

/// <summary>
/// Reports every PRUNE diagnostic, at the real location of the declaration it is about, so that
/// <c>#pragma warning disable</c> and <c>.editorconfig</c> severities work as for any other diagnostic.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PruneAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.GranularityNotValidForLayer,
        DiagnosticDescriptors.SparsityOutOfRange,
        DiagnosticDescriptors.SparsityRemovesEveryGroup,
        DiagnosticDescriptors.NotASupportedLayer,
        DiagnosticDescriptors.ClassNotPartial,
        DiagnosticDescriptors.ClassNotAModule,
        DiagnosticDescriptors.GenericClassNotSupported,
        DiagnosticDescriptors.ClassDefaultAppliesToNoLayer,
        DiagnosticDescriptors.CustomDimsMissing,
        DiagnosticDescriptors.CustomDimsDoNotFit,
        DiagnosticDescriptors.DimsWithoutCustom,
        DiagnosticDescriptors.InvalidNOfM,
        DiagnosticDescriptors.NOfMInputNotMultiple,
        DiagnosticDescriptors.NegativeRoundTo,
        DiagnosticDescriptors.RoundToKeepsEveryGroup,
        DiagnosticDescriptors.NOfMWithRoundTo,
        DiagnosticDescriptors.ScopeOnMember,
        DiagnosticDescriptors.MemberSparsityUnderGlobalScope,
        DiagnosticDescriptors.SchedulePointOutOfRange,
        DiagnosticDescriptors.ScheduleStartAfterEnd,
        DiagnosticDescriptors.IterativeStepsBelowOne,
        DiagnosticDescriptors.LayerGranularityPrunesNothing,
        DiagnosticDescriptors.UndefinedEnumValue,
        DiagnosticDescriptors.NOfMUnderGlobalScope,
        DiagnosticDescriptors.GlobalSparsityTakesLastGroups,
        DiagnosticDescriptors.RoundToUnderGlobalScope,
        DiagnosticDescriptors.GeneratedNamesMeet,
        DiagnosticDescriptors.MemberHasGeneratedName,
        DiagnosticDescriptors.DerivesFromPrunedModel,
        DiagnosticDescriptors.PropertyDoesNotHoldLayer,
        DiagnosticDescriptors.MalformedLayerPattern,
        DiagnosticDescriptors.SelectionOnOneLayer,
        DiagnosticDescriptors.UnknownPruneArgument,
        DiagnosticDescriptors.NormalizationUnderLocalScope,
        DiagnosticDescriptors.NormalizationOnMember,
        DiagnosticDescriptors.NormalizationWithNegativeCriterion,
        DiagnosticDescriptors.GranularityNotCompactable,
        DiagnosticDescriptors.ForwardNotFollowed,
        DiagnosticDescriptors.ChannelsAtModelBoundary,
        DiagnosticDescriptors.FlattenedSizeNotKnown,
        DiagnosticDescriptors.LayerCannotBeCompacted);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            var pruneAttribute = start.Compilation.GetTypeByMetadataName(KnownTypeNames.PruneAttribute);
            if (pruneAttribute is null) return;
            start.RegisterSymbolAction(symbolContext => AnalyzeType(symbolContext, pruneAttribute), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol pruneAttribute)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var diagnostics = new List<Diagnostic>();
        if (ModelParser.UsesPrune(type, pruneAttribute))
        {
            // One parse for both: the pruning model's checks and, where the class gets Compact(), the plan's notes.
            ModelClassParser.Parse(type, context.Compilation, diagnostics, context.CancellationToken);
        }
        else
        {
            ModelValidator.ContainingTypeDiagnostics(type, pruneAttribute, diagnostics, context.CancellationToken);
        }

        foreach (var diagnostic in diagnostics) context.ReportDiagnostic(diagnostic);
    }
}
