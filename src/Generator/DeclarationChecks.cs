using System;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;

using static PruneSharp.Generator.ModelParser;

namespace PruneSharp.Generator;

/// <summary>The checks of one <c>[Prune]</c> that do not depend on the layer: each argument on its own and the arguments against each other.</summary>
internal static class DeclarationChecks
{
    /// <summary>
    /// Returns false when the declaration has an error (a member's layer or container is then left out; a class default
    /// is not used). <paramref name="reachesManyLayers"/>: the declaration is on the class or on a container, where a
    /// selection (<c>Include</c>, <c>Exclude</c>, <c>Kinds</c>, <c>IncludeOutputLayer</c>) means something.
    /// </summary>
    public static bool Validate(ValidationContext context, PruneDeclaration declaration, bool isClassLevel, string ownerName, bool reachesManyLayers)
    {
        var token = context.CancellationToken;
        var valid = true;
        void Error(DiagnosticDescriptor descriptor, Location? location, params object[] arguments)
        {
            context.Report(descriptor, location, arguments);
            valid = false;
        }

        foreach (var unknown in declaration.UnknownArguments)
        {
            Error(DiagnosticDescriptors.UnknownPruneArgument, declaration.NamedLocation(unknown, token), ownerName, unknown);
        }

        if (!reachesManyLayers)
        {
            foreach (var property in PruneProperties.Selection.Where(declaration.IsSet))
            {
                Error(DiagnosticDescriptors.SelectionOnOneLayer, declaration.NamedLocation(property, token), ownerName, property);
            }
        }
        else
        {
            CheckPatterns(declaration.Include, PruneProperties.Include);
            CheckPatterns(declaration.Exclude, PruneProperties.Exclude);
            foreach (var kind in declaration.Kinds.Where(kind => !Enum.IsDefined(typeof(LayerKind), kind)))
            {
                Error(DiagnosticDescriptors.UndefinedEnumValue, declaration.NamedLocation(PruneProperties.Kinds, token), PruneProperties.Kinds, (int)kind, ownerName, nameof(LayerKind));
            }
        }

        void CheckPatterns(string[] patterns, string property)
        {
            for (var index = 0; index < patterns.Length; index++)
            {
                if (LayerNamePattern.Problem(patterns[index]) is { } problem)
                {
                    Error(DiagnosticDescriptors.MalformedLayerPattern, declaration.ElementLocation(property, index, token), property, ownerName, problem);
                }
            }
        }

        CheckDefined(declaration.Criterion, PruneProperties.Criterion);
        CheckDefined(declaration.Reducer, PruneProperties.Reducer);
        CheckDefined(declaration.Scope, PruneProperties.Scope);
        CheckDefined(declaration.Schedule, PruneProperties.Schedule);
        CheckDefined(declaration.Normalization, PruneProperties.Normalization);
        void CheckDefined<TEnum>(TEnum value, string property)
            where TEnum : struct, Enum
        {
            if (declaration.IsSet(property) && !Enum.IsDefined(typeof(TEnum), value))
            {
                Error(DiagnosticDescriptors.UndefinedEnumValue, declaration.NamedLocation(property, token), property, Convert.ToInt32(value, CultureInfo.InvariantCulture), ownerName, typeof(TEnum).Name);
            }
        }

        if (declaration.Granularity == Granularity.NOfM)
        {
            if (declaration.N < 1 || declaration.M <= declaration.N)
            {
                var location = !declaration.IsNOfMConstructor ? declaration.GranularityLocation(token)
                    : declaration.N < 1 ? declaration.NLocation(token) : declaration.MLocation(token);
                Error(DiagnosticDescriptors.InvalidNOfM, location, declaration.N, declaration.M, ownerName);
            }

            if (declaration.RoundTo > 1)
            {
                Error(DiagnosticDescriptors.NOfMWithRoundTo, declaration.NamedLocation(PruneProperties.RoundTo, token), declaration.RoundTo, ownerName);
            }

            if (context.Model.Scope == PruningScope.Global)
            {
                Error(DiagnosticDescriptors.NOfMUnderGlobalScope, declaration.GranularityLocation(token), ownerName, context.Model.Type.Name);
            }
        }
        else if (!IsFraction(declaration.Sparsity))
        {
            Error(DiagnosticDescriptors.SparsityOutOfRange, declaration.SparsityLocation(token), FormatNumber(declaration.Sparsity), ownerName);
        }

        if (declaration.Granularity == Granularity.Custom && declaration.Dims is null)
        {
            Error(DiagnosticDescriptors.CustomDimsMissing, declaration.IsSet(PruneProperties.Dims) ? declaration.NamedLocation(PruneProperties.Dims, token) : declaration.GranularityLocation(token), ownerName);
        }
        else if (declaration.Granularity != Granularity.Custom && declaration.IsSet(PruneProperties.Dims))
        {
            Error(DiagnosticDescriptors.DimsWithoutCustom, declaration.NamedLocation(PruneProperties.Dims, token), ownerName, FormatEnum(declaration.Granularity));
        }

        if (declaration.RoundTo < 0)
        {
            Error(DiagnosticDescriptors.NegativeRoundTo, declaration.NamedLocation(PruneProperties.RoundTo, token), declaration.RoundTo, ownerName);
        }

        if (!isClassLevel && declaration.IsSet(PruneProperties.Scope))
        {
            Error(DiagnosticDescriptors.ScopeOnMember, declaration.NamedLocation(PruneProperties.Scope, token), ownerName);
        }

        // The normalization belongs to the one global ranking, which the class-level declaration carries.
        if (!isClassLevel && declaration.IsSet(PruneProperties.Normalization))
        {
            Error(DiagnosticDescriptors.NormalizationOnMember, declaration.NamedLocation(PruneProperties.Normalization, token), ownerName);
        }

        // LAMP is defined for magnitudes: a criterion that can score below zero would rank nonsense (and the runtime refuses it).
        if (context.Model.Scope == PruningScope.Global && context.Model.ClassDeclaration is { Normalization: GlobalScoreNormalization.Lamp } global &&
            declaration.Granularity != Granularity.NOfM && CriterionSigns.CanScoreNegative(declaration.Criterion))
        {
            var location = declaration.IsSet(PruneProperties.Criterion) ? declaration.NamedLocation(PruneProperties.Criterion, token) : declaration.AttributeLocation(token);
            Error(DiagnosticDescriptors.NormalizationWithNegativeCriterion, location, ownerName, FormatEnum(declaration.Criterion), context.Model.Type.Name, FormatEnum(global.Normalization));
        }

        var startInRange = IsFraction(declaration.ScheduleStart);
        var endInRange = IsFraction(declaration.ScheduleEnd);
        if (!startInRange)
        {
            Error(DiagnosticDescriptors.SchedulePointOutOfRange, declaration.NamedLocation(PruneProperties.ScheduleStart, token), PruneProperties.ScheduleStart, FormatNumber(declaration.ScheduleStart), ownerName);
        }

        if (!endInRange)
        {
            Error(DiagnosticDescriptors.SchedulePointOutOfRange, declaration.NamedLocation(PruneProperties.ScheduleEnd, token), PruneProperties.ScheduleEnd, FormatNumber(declaration.ScheduleEnd), ownerName);
        }

        if (startInRange && endInRange && declaration.ScheduleStart > declaration.ScheduleEnd)
        {
            Error(DiagnosticDescriptors.ScheduleStartAfterEnd, declaration.NamedLocation(PruneProperties.ScheduleStart, token), FormatNumber(declaration.ScheduleStart), ownerName, FormatNumber(declaration.ScheduleEnd));
        }

        if (declaration.Schedule == Schedule.Iterative && declaration.ScheduleSteps < 1)
        {
            Error(DiagnosticDescriptors.IterativeStepsBelowOne, declaration.NamedLocation(PruneProperties.ScheduleSteps, token), declaration.ScheduleSteps, ownerName);
        }

        // Legal but without effect: a local scope ranks each layer on its own, so nothing reads the normalization.
        if (isClassLevel && declaration.Normalization != GlobalScoreNormalization.None && declaration.Scope != PruningScope.Global && Enum.IsDefined(typeof(GlobalScoreNormalization), declaration.Normalization))
        {
            context.Report(DiagnosticDescriptors.NormalizationUnderLocalScope, declaration.NamedLocation(PruneProperties.Normalization, token), FormatEnum(declaration.Normalization), ownerName);
        }

        // Legal but without effect: the global ranking prunes round(sparsity × all groups), not per-layer multiples.
        if (context.Model.Scope == PruningScope.Global && declaration.RoundTo > 1 && declaration.Granularity != Granularity.NOfM)
        {
            context.Report(DiagnosticDescriptors.RoundToUnderGlobalScope, declaration.NamedLocation(PruneProperties.RoundTo, token), declaration.RoundTo, ownerName, context.Model.Type.Name);
        }

        // Legal but suspicious: under global scope ComputeMasks() uses the class-level sparsity, not this one.
        if (valid && !isClassLevel && context.Model.Scope == PruningScope.Global && declaration.Granularity != Granularity.NOfM &&
            context.Model.ClassDeclaration is { } classLevel && declaration.Sparsity != classLevel.Sparsity)
        {
            context.Report(DiagnosticDescriptors.MemberSparsityUnderGlobalScope, declaration.SparsityLocation(token), ownerName, FormatNumber(declaration.Sparsity), context.Model.Type.Name, FormatNumber(classLevel.Sparsity));
        }

        return valid;

    }

    private static bool IsFraction(double value) => value >= 0.0 && value <= 1.0;
}
