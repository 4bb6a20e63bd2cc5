using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

using static PruneSharp.Generator.ModelParser;

namespace PruneSharp.Generator;

/// <summary>
/// Checks a <see cref="ModelDeclaration"/>: the class (PRUNE005–007, PRUNE029), each <c>[Prune]</c> on its own
/// (<see cref="DeclarationChecks"/>), each layer against its kind and shape, the model under global scope, and the
/// names the generated code declares (<see cref="NameChecks"/>). Returns what code can be generated for; the
/// diagnostics, with real locations, go to the list when one is given (the analyzer's), and are not made otherwise.
/// </summary>
internal static class ModelValidator
{
    public static AcceptedModel Validate(ModelDeclaration model, List<Diagnostic>? diagnostics)
    {
        var context = new ValidationContext(model, diagnostics);
        var token = model.CancellationToken;
        var classIsValid = ValidateClass(context);
        var classDefault = model.ClassDeclaration is { } declared && DeclarationChecks.Validate(context, declared, isClassLevel: true, model.Type.Name) ? declared : null;

        var layers = new List<AcceptedLayer>();
        var groupCounts = new List<long?>();
        var classDefaultUsed = false;
        foreach (var member in model.Members)
        {
            token.ThrowIfCancellationRequested();
            if (member.Attribute is { } attribute)
            {
                if (member.LayerKind is null || member.Form == MemberForm.StaticMember)
                {
                    context.Report(DiagnosticDescriptors.NotASupportedLayer, AttributeLocation(attribute, token), member.Name, member.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) + (member.Form == MemberForm.StaticMember ? " (static)" : string.Empty));
                    continue;
                }

                if (!member.HoldsLayer)
                {
                    context.Report(DiagnosticDescriptors.PropertyDoesNotHoldLayer, AttributeLocation(attribute, token), member.Name, Describe(member.Form));
                    continue;
                }

                if (!PruneDeclaration.TryRead(attribute, out var own)) continue;
                var kind = member.LayerKind.Value;
                var valid = DeclarationChecks.Validate(context, own, isClassLevel: false, member.Name);
                if (!Granularities.AppliesTo(kind, own.Granularity))
                {
                    var tableGranularities = TableGranularities(kind);
                    var properties = ImmutableDictionary<string, string?>.Empty.Add(FixableDiagnostics.ValidGranularitiesProperty, string.Join(",", tableGranularities));
                    context.Report(DiagnosticDescriptors.GranularityNotValidForLayer, own.GranularityLocation(token), properties, FormatEnum(own.Granularity), kind, member.Name, string.Join(", ", tableGranularities));
                    valid = false;
                }

                if (valid) CheckLayer(context, layers, groupCounts, member, own);
            }
            else if (member.HoldsLayer && classDefault is not null && Granularities.AppliesTo(member.LayerKind!.Value, classDefault.Granularity))
            {
                classDefaultUsed = true;
                CheckLayer(context, layers, groupCounts, member, classDefault);
            }
        }

        if (classDefault is not null && !classDefaultUsed)
        {
            context.Report(DiagnosticDescriptors.ClassDefaultAppliesToNoLayer, classDefault.AttributeLocation(token), FormatEnum(classDefault.Granularity), model.Type.Name);
        }

        if (model.Scope == PruningScope.Global && classDefault is not null) CheckGlobalSparsity(context, classDefault, groupCounts);

        // The names are checked only where code is generated: a base class that is itself a model (PRUNE029) would
        // otherwise meet every name, and its generated members are visible to the analyzer but not to the generator.
        if (!classIsValid) return new AcceptedModel(false, layers, false);
        var names = NameChecks.Check(context, layers);
        return new AcceptedModel(names.ModelNamesFree, names.Layers, names.CompactionNamesFree);
    }

    /// <summary>
    /// PRUNE005 for a type that is not itself a model but contains one, at any depth, and is not partial. The model's
    /// identifier is the diagnostic's additional location: the code fix makes that model's whole chain partial.
    /// </summary>
    public static void ContainingTypeDiagnostics(INamedTypeSymbol type, INamedTypeSymbol pruneAttribute, List<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        if (UsesPrune(type, pruneAttribute) || IsPartial(type, cancellationToken)) return;
        var model = NestedModels(type, pruneAttribute).FirstOrDefault();
        if (model is null) return;
        var location = IdentifierLocation(type, cancellationToken);
        var modelLocation = IdentifierLocation(model, cancellationToken);
        diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.ClassNotPartial, location, modelLocation is null ? null : new[] { modelLocation }, type.Name));
    }

    private static IEnumerable<INamedTypeSymbol> NestedModels(INamedTypeSymbol type, INamedTypeSymbol pruneAttribute)
    {
        foreach (var nested in type.GetTypeMembers())
        {
            if (UsesPrune(nested, pruneAttribute)) yield return nested;
            foreach (var deeper in NestedModels(nested, pruneAttribute)) yield return deeper;
        }
    }

    private static bool ValidateClass(ValidationContext context)
    {
        var type = context.Model.Type;
        var compilation = context.Model.Compilation;
        var token = context.CancellationToken;
        var valid = true;
        var module = compilation.GetTypeByMetadataName(KnownTypeNames.Module);
        var derivesFromModule = false;
        for (var baseType = type.BaseType; baseType is not null && !derivesFromModule; baseType = baseType.BaseType)
        {
            derivesFromModule = SymbolEqualityComparer.Default.Equals(baseType.OriginalDefinition, module);
        }

        if (type.TypeKind != TypeKind.Class || !derivesFromModule)
        {
            context.Report(DiagnosticDescriptors.ClassNotAModule, IdentifierLocation(type, token), type.Name);
            valid = false;
        }

        for (var current = type; current is not null; current = current.ContainingType)
        {
            // A file-local type cannot get a part in the generated file: that would be another type of the same name.
            var reason = current.IsGenericType ? (SymbolEqualityComparer.Default.Equals(current, type) ? "generic" : $"nested in the generic type '{current.Name}'")
                : current.IsFileLocal ? (SymbolEqualityComparer.Default.Equals(current, type) ? "file-local" : $"nested in the file-local type '{current.Name}'")
                : null;
            if (reason is not null)
            {
                context.Report(DiagnosticDescriptors.GenericClassNotSupported, IdentifierLocation(type, token), type.Name, reason);
                valid = false;
                break;
            }
        }

        // PRUNE005 on the model itself; a containing class reports its own (ContainingTypeDiagnostics), so that
        // each diagnostic lies in the declaration of the symbol it was found on and its code fix is offered.
        if (!IsPartial(type, token))
        {
            var location = IdentifierLocation(type, token);
            context.Diagnostics?.Add(Diagnostic.Create(DiagnosticDescriptors.ClassNotPartial, location, location is null ? null : new[] { location }, type.Name));
        }

        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (!IsPartial(current, token)) valid = false;
        }

        if (PrunedAncestor(type, compilation) is { } ancestor)
        {
            context.Report(DiagnosticDescriptors.DerivesFromPrunedModel, IdentifierLocation(type, token), type.Name, ancestor.Type.Name, ancestor.Reason);
            valid = false;
        }

        return valid;
    }

    /// <summary>
    /// The nearest base class that is a pruned model: one that uses <c>[Prune]</c> (in source, before its code is
    /// generated) or implements <c>IPrunableModule</c> (a model compiled into a referenced assembly, or written by hand).
    /// </summary>
    private static (INamedTypeSymbol Type, string Reason)? PrunedAncestor(INamedTypeSymbol type, Compilation compilation)
    {
        var pruneAttribute = compilation.GetTypeByMetadataName(KnownTypeNames.PruneAttribute);
        var prunable = compilation.GetTypeByMetadataName(KnownTypeNames.PrunableModule);
        for (var ancestor = type.BaseType; ancestor is not null; ancestor = ancestor.BaseType)
        {
            if (pruneAttribute is not null && UsesPrune(ancestor, pruneAttribute)) return (ancestor, "uses [Prune]");
            if (prunable is not null && ancestor.AllInterfaces.Contains(prunable, SymbolEqualityComparer.Default)) return (ancestor, "implements IPrunableModule");
        }

        return null;
    }

    /// <summary>The checks that need the layer kind and, where it is known, its shape; accepts the layer when they pass.</summary>
    private static void CheckLayer(ValidationContext context, List<AcceptedLayer> layers, List<long?> groupCounts, MemberDeclaration member, PruneDeclaration declaration)
    {
        var token = context.CancellationToken;
        var kind = member.LayerKind!.Value;
        var granularity = declaration.Granularity;

        ReducedDims dims = default;
        if (granularity == Granularity.Custom)
        {
            if (!Granularities.CustomDimsFit(kind, declaration.Dims))
            {
                context.Report(DiagnosticDescriptors.CustomDimsDoNotFit, declaration.NamedLocation(PruneProperties.Dims, token), FormatDims(declaration.Dims!), member.Name, kind, Granularities.WeightRank(kind));
                return;
            }

            dims = ReducedDims.Of(declaration.Dims!);
        }
        else if (granularity != Granularity.NOfM)
        {
            Granularities.TryGetReducedDims(kind, granularity, out dims);
        }

        var shape = member.Shape;
        var shapeText = shape is null ? kind.ToString() : $"{kind} [{FormatShape(shape.Weight)}]";

        if (granularity == Granularity.NOfM)
        {
            var inputAxis = Granularities.InputAxis(kind);
            if (shape is not null && shape.Weight[inputAxis] % declaration.M != 0)
            {
                context.Report(DiagnosticDescriptors.NOfMInputNotMultiple, declaration.MLocation(token), declaration.N, declaration.M, member.Name, kind, FormatShape(shape.Weight), shape.Weight[inputAxis], inputAxis);
                return;
            }

            groupCounts.Add(null);
            layers.Add(new AcceptedLayer(member, kind, declaration, string.Empty));
            return;
        }

        var groups = CountGroups(kind, dims, shape);
        groupCounts.Add(groups);

        // Under global scope ComputeMasks() ranks the model's groups together (PRUNE025 checks that sparsity); locally,
        // sparsity 1 removes every group whatever the shape, other values where the group count is known.
        if (context.Model.Scope == PruningScope.Local)
        {
            var removesAll = groups is { } count
                ? Math.Round(declaration.Sparsity * count, MidpointRounding.ToEven) >= count
                : declaration.Sparsity >= 1.0;
            if (removesAll)
            {
                var groupText = groups?.ToString(CultureInfo.InvariantCulture) ?? "the";
                var limit = groups is { } g ? FormatNumber((g - 1) / (double)g) : "a value below 1";
                context.Report(DiagnosticDescriptors.SparsityRemovesEveryGroup, declaration.SparsityLocation(token), FormatNumber(declaration.Sparsity), groupText, member.Name, shapeText, FormatEnum(granularity), limit);
                return;
            }
        }

        // One group is never pruned: locally a sparsity below 0.5 rounds to none (from 0.5 on, PRUNE003 above);
        // globally every layer keeps its best group.
        if (granularity == Granularity.Layer && groups == 1)
        {
            var reason = context.Model.Scope == PruningScope.Local
                ? $"with local scope sparsity {FormatNumber(declaration.Sparsity)} keeps it"
                : $"'{context.Model.Type.Name}' uses global scope, where every layer keeps its best group";
            context.Report(DiagnosticDescriptors.LayerGranularityPrunesNothing, declaration.GranularityLocation(token), member.Name, reason);
        }

        if (declaration.RoundTo > 1 && groups is { } total && declaration.RoundTo >= total)
        {
            context.Report(DiagnosticDescriptors.RoundToKeepsEveryGroup, declaration.NamedLocation(PruneProperties.RoundTo, token), declaration.RoundTo, total, member.Name, shapeText, FormatEnum(granularity));
        }

        layers.Add(new AcceptedLayer(member, kind, declaration, dims.ToString()));
    }

    /// <summary>
    /// The number of groups <paramref name="dims"/> splits the layer's weight into, as the runtime counts them; null where
    /// the shape is unknown. A transposed convolution with groups is viewed as [groups, in/groups, out/groups, k...] with
    /// the group axis never reduced.
    /// </summary>
    private static long? CountGroups(LayerKind kind, ReducedDims dims, LayerShape? shape)
    {
        if (shape is null)
        {
            // Granularity.Layer is one group whatever the shape, except on a transposed convolution, whose groups count.
            return dims == AllDims(kind) && !Granularities.IsTransposed(kind) ? 1 : null;
        }

        long count = 1;
        for (var axis = 0; axis < shape.Weight.Length; axis++)
        {
            if (!dims.Contains(axis + 1)) count *= shape.Weight[axis];
        }

        if (Granularities.IsTransposed(kind) && dims.Contains(1)) count *= shape.Groups;
        return count;
    }

    private static ReducedDims AllDims(LayerKind kind)
    {
        Granularities.TryGetReducedDims(kind, Granularity.Layer, out var all);
        return all;
    }

    /// <summary>PRUNE025: with every layer's group count known, the global sparsity must leave each layer its best group.</summary>
    private static void CheckGlobalSparsity(ValidationContext context, PruneDeclaration classDefault, List<long?> groupCounts)
    {
        if (groupCounts.Count == 0 || groupCounts.Any(count => count is null)) return;
        var total = groupCounts.Sum(count => count!.Value);
        var pruned = (long)Math.Round(classDefault.Sparsity * total, MidpointRounding.ToEven);
        if (pruned <= total - groupCounts.Count) return;
        var limit = FormatNumber((total - groupCounts.Count) / (double)total);
        context.Report(DiagnosticDescriptors.GlobalSparsityTakesLastGroups, classDefault.SparsityLocation(context.CancellationToken), FormatNumber(classDefault.Sparsity), context.Model.Type.Name, pruned, total, groupCounts.Count, limit);
    }

    private static string Describe(MemberForm form) => form switch
    {
        MemberForm.ExpressionBodiedProperty => "an expression-bodied property",
        MemberForm.AbstractProperty => "an abstract property",
        MemberForm.Indexer => "an indexer",
        _ => "a property with accessor bodies",
    };

    private static Location? AttributeLocation(AttributeData attribute, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();
}

/// <summary>What the checks of one class share.</summary>
internal sealed class ValidationContext(ModelDeclaration model, List<Diagnostic>? diagnostics)
{
    public ModelDeclaration Model { get; } = model;

    /// <summary>The analyzer's list; null in the generator, which needs only the outcome.</summary>
    public List<Diagnostic>? Diagnostics { get; } = diagnostics;

    public CancellationToken CancellationToken => Model.CancellationToken;

    public void Report(DiagnosticDescriptor descriptor, Location? location, params object[] arguments) =>
        Diagnostics?.Add(Diagnostic.Create(descriptor, location, arguments));

    public void Report(DiagnosticDescriptor descriptor, Location? location, ImmutableDictionary<string, string?> properties, params object[] arguments) =>
        Diagnostics?.Add(Diagnostic.Create(descriptor, location, properties, arguments));
}

/// <summary>What the checks accept: whether code is generated for the class, its layers, and whether compaction code is too.</summary>
internal sealed record AcceptedModel(bool GeneratesCode, IReadOnlyList<AcceptedLayer> Layers, bool GeneratesCompaction);

/// <summary>A layer the checks accept, with the declaration that applies to it (its own or the class default).</summary>
internal sealed record AcceptedLayer(MemberDeclaration Member, LayerKind Kind, PruneDeclaration Declaration, string ReducedDimsText);
