using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PruneSharp.Generator;

/// <summary>
/// Turns a model class symbol into a <see cref="ModelSpec"/> and, for the analyzer, the diagnostics of its
/// <c>[Prune]</c> declarations. The generator and the analyzer both call it, so they agree on what is valid:
/// the generator emits only what the analyzer accepts (a layer with an error is left out; warnings do not).
/// </summary>
internal static class ModelParser
{
    private static readonly LayerKind[] AllLayerKinds = (LayerKind[])Enum.GetValues(typeof(LayerKind));

    /// <summary>
    /// Parses <paramref name="type"/>. Returns <see langword="null"/> when no code can be generated for the class;
    /// layers with invalid declarations are left out of the model. Diagnostics, with the real locations of the
    /// declarations, are added to <paramref name="diagnostics"/> when it is given.
    /// </summary>
    public static ModelSpec? Parse(INamedTypeSymbol type, Compilation compilation, List<Diagnostic>? diagnostics, CancellationToken cancellationToken) =>
        Parse(type, new ClassBinding(type, compilation, cancellationToken), diagnostics, cancellationToken);

    /// <summary>
    /// Parses <paramref name="type"/> with a <see cref="ClassBinding"/> the caller goes on using (compaction planning
    /// reads the same factory calls), so that each call is bound once.
    /// </summary>
    public static ModelSpec? Parse(INamedTypeSymbol type, ClassBinding binding, List<Diagnostic>? diagnostics, CancellationToken cancellationToken)
    {
        var compilation = binding.SemanticModels.Compilation;
        var pruneAttribute = compilation.GetTypeByMetadataName(KnownTypeNames.PruneAttribute);
        if (pruneAttribute is null) return null;

        var knownLayers = new Dictionary<INamedTypeSymbol, LayerKind>(SymbolEqualityComparer.Default);
        foreach (var kind in AllLayerKinds)
        {
            if (compilation.GetTypeByMetadataName(KnownTypeNames.LayerType(kind)) is { } symbol) knownLayers[symbol] = kind;
        }

        var classIsValid = ValidateClass(type, compilation, diagnostics, cancellationToken);
        var classAttribute = FindPruneAttribute(type, pruneAttribute);
        PruneDeclaration? classDeclaration = null;
        if (classAttribute is not null && PruneDeclaration.TryRead(classAttribute, out var read)) classDeclaration = read;

        var scope = classDeclaration?.Scope == PruningScope.Global ? PruningScope.Global : PruningScope.Local;
        var context = new ParseContext(type, binding, diagnostics, cancellationToken, scope, classDeclaration);
        var classDefault = classDeclaration is not null && ValidateDeclaration(context, classDeclaration, isClassLevel: true, type.Name) ? classDeclaration : null;

        var layers = new List<LayerSpec>();
        var groupCounts = new List<long?>();
        var classDefaultUsed = false;
        foreach (var member in MembersInDeclarationOrder(type))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var memberType = member switch
            {
                IFieldSymbol field => field.Type,
                IPropertySymbol property => property.Type,
                _ => null,
            };
            if (memberType is null) continue;

            LayerKind? kind = memberType is INamedTypeSymbol named && knownLayers.TryGetValue(named, out var found) && !member.IsStatic ? found : null;
            var memberAttribute = FindPruneAttribute(member, pruneAttribute);
            if (memberAttribute is not null)
            {
                if (kind is null)
                {
                    Report(diagnostics, DiagnosticDescriptors.NotASupportedLayer, AttributeLocation(memberAttribute, cancellationToken), member.Name, memberType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) + (member.IsStatic ? " (static)" : string.Empty));
                    continue;
                }

                if (!PruneDeclaration.TryRead(memberAttribute, out var own)) continue;
                var valid = ValidateDeclaration(context, own, isClassLevel: false, member.Name);
                if (!Granularities.AppliesTo(kind.Value, own.Granularity))
                {
                    var tableGranularities = TableGranularities(kind.Value);
                    var properties = ImmutableDictionary<string, string?>.Empty.Add(FixableDiagnostics.ValidGranularitiesProperty, string.Join(",", tableGranularities));
                    Report(diagnostics, DiagnosticDescriptors.GranularityNotValidForLayer, own.GranularityLocation(cancellationToken), properties, FormatEnum(own.Granularity), kind.Value, member.Name, string.Join(", ", tableGranularities));
                    valid = false;
                }

                if (valid) AddLayer(context, layers, groupCounts, member, kind.Value, own);
            }
            else if (kind is not null && classDefault is not null && Granularities.AppliesTo(kind.Value, classDefault.Granularity))
            {
                classDefaultUsed = true;
                AddLayer(context, layers, groupCounts, member, kind.Value, classDefault);
            }
        }

        if (classDefault is not null && !classDefaultUsed)
        {
            Report(diagnostics, DiagnosticDescriptors.ClassDefaultAppliesToNoLayer, classDefault.AttributeLocation(cancellationToken), FormatEnum(classDefault.Granularity), type.Name);
        }

        if (context.Scope == PruningScope.Global && classDefault is not null) CheckGlobalSparsity(context, classDefault, groupCounts);

        if (!classIsValid) return null;

        var (ns, containingTypes, hintName) = Placement(type, ".Prune.g.cs");
        return new ModelSpec(
            ns,
            containingTypes,
            type.Name,
            hintName,
            context.Scope,
            context.Scope == PruningScope.Global ? classDeclaration!.ToSettings() : null,
            new EquatableArray<LayerSpec>(layers.ToArray()));
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

    /// <summary>
    /// Whether <paramref name="member"/> is the one the generator parses <paramref name="type"/> from: the type has no
    /// class-level <c>[Prune]</c> (that attribute's own target parses it) and no attributed member comes before this one.
    /// </summary>
    public static bool IsFirstAttributedMemberOfUnattributedClass(ISymbol member, INamedTypeSymbol type, INamedTypeSymbol? pruneAttribute)
    {
        if (pruneAttribute is null || FindPruneAttribute(type, pruneAttribute) is not null) return false;
        var first = MembersInDeclarationOrder(type).FirstOrDefault(candidate => FindPruneAttribute(candidate, pruneAttribute) is not null);
        return SymbolEqualityComparer.Default.Equals(first, member);
    }

    /// <summary>Whether <paramref name="type"/> or one of its fields or properties carries <c>[Prune]</c>.</summary>
    public static bool UsesPrune(INamedTypeSymbol type, INamedTypeSymbol pruneAttribute) =>
        FindPruneAttribute(type, pruneAttribute) is not null ||
        type.GetMembers().Any(member => member is IFieldSymbol or IPropertySymbol && FindPruneAttribute(member, pruneAttribute) is not null);

    /// <summary>The granularities of the table that apply to <paramref name="kind"/> (not Custom and N:M, which need more arguments).</summary>
    public static IReadOnlyList<Granularity> TableGranularities(LayerKind kind) =>
        ((Granularity[])Enum.GetValues(typeof(Granularity))).Where(granularity => Granularities.TryGetReducedDims(kind, granularity, out _)).ToArray();

    /// <summary>
    /// The checks that do not depend on the layer: each argument on its own and the arguments against each other.
    /// Returns false when the declaration has an error (a member's layer is then left out; a class default is not used).
    /// </summary>
    private static bool ValidateDeclaration(ParseContext context, PruneDeclaration declaration, bool isClassLevel, string ownerName)
    {
        var token = context.CancellationToken;
        var valid = true;
        void Error(DiagnosticDescriptor descriptor, Location? location, params object[] arguments)
        {
            Report(context.Diagnostics, descriptor, location, arguments);
            valid = false;
        }

        CheckDefined(declaration.Criterion, PruneProperties.Criterion);
        CheckDefined(declaration.Reducer, PruneProperties.Reducer);
        CheckDefined(declaration.Scope, PruneProperties.Scope);
        CheckDefined(declaration.Schedule, PruneProperties.Schedule);
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

            if (context.Scope == PruningScope.Global)
            {
                Error(DiagnosticDescriptors.NOfMUnderGlobalScope, declaration.GranularityLocation(token), ownerName, context.Type.Name);
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

        // Legal but without effect: the global ranking prunes round(sparsity × all groups), not per-layer multiples.
        if (context.Scope == PruningScope.Global && declaration.RoundTo > 1 && declaration.Granularity != Granularity.NOfM)
        {
            Report(context.Diagnostics, DiagnosticDescriptors.RoundToUnderGlobalScope, declaration.NamedLocation(PruneProperties.RoundTo, token), declaration.RoundTo, ownerName, context.Type.Name);
        }

        // Legal but suspicious: under global scope ComputeMasks() uses the class-level sparsity, not this one.
        if (valid && !isClassLevel && context.Scope == PruningScope.Global && declaration.Granularity != Granularity.NOfM &&
            context.ClassDeclaration is { } classLevel && declaration.Sparsity != classLevel.Sparsity)
        {
            Report(context.Diagnostics, DiagnosticDescriptors.MemberSparsityUnderGlobalScope, declaration.SparsityLocation(token), ownerName, FormatNumber(declaration.Sparsity), context.Type.Name, FormatNumber(classLevel.Sparsity));
        }

        return valid;
    }

    /// <summary>The checks that need the layer kind and, where it is known, its shape; adds the layer when they pass.</summary>
    private static void AddLayer(ParseContext context, List<LayerSpec> layers, List<long?> groupCounts, ISymbol member, LayerKind kind, PruneDeclaration declaration)
    {
        var token = context.CancellationToken;
        var diagnostics = context.Diagnostics;
        var granularity = declaration.Granularity;

        ReducedDims dims = default;
        if (granularity == Granularity.Custom)
        {
            if (!Granularities.CustomDimsFit(kind, declaration.Dims))
            {
                Report(diagnostics, DiagnosticDescriptors.CustomDimsDoNotFit, declaration.NamedLocation(PruneProperties.Dims, token), FormatDims(declaration.Dims!), member.Name, kind, Granularities.WeightRank(kind));
                return;
            }

            dims = ReducedDims.Of(declaration.Dims!);
        }
        else if (granularity != Granularity.NOfM)
        {
            Granularities.TryGetReducedDims(kind, granularity, out dims);
        }

        var shape = ShapeInference.TryInferWeightShape(member, kind, context.Binding.Writes, context.Binding.SemanticModels, token);
        var shapeText = shape is null ? kind.ToString() : $"{kind} [{FormatShape(shape.Weight)}]";

        if (granularity == Granularity.NOfM)
        {
            var inputAxis = Granularities.InputAxis(kind);
            if (shape is not null && shape.Weight[inputAxis] % declaration.M != 0)
            {
                Report(diagnostics, DiagnosticDescriptors.NOfMInputNotMultiple, declaration.MLocation(token), declaration.N, declaration.M, member.Name, kind, FormatShape(shape.Weight), shape.Weight[inputAxis], inputAxis);
                return;
            }

            groupCounts.Add(null);
            layers.Add(CreateLayer(member, kind, declaration, string.Empty, shape));
            return;
        }

        var groups = CountGroups(kind, dims, shape);
        groupCounts.Add(groups);

        // Under global scope ComputeMasks() ranks the model's groups together (PRUNE025 checks that sparsity); locally,
        // sparsity 1 removes every group whatever the shape, other values where the group count is known.
        if (context.Scope == PruningScope.Local)
        {
            var removesAll = groups is { } count
                ? GroupCounts.RemovesEveryGroup(declaration.Sparsity, count)
                : declaration.Sparsity >= 1.0;
            if (removesAll)
            {
                var groupText = groups?.ToString(CultureInfo.InvariantCulture) ?? "the";
                var limit = groups is { } g ? FormatNumber((g - 1) / (double)g) : "a value below 1";
                Report(diagnostics, DiagnosticDescriptors.SparsityRemovesEveryGroup, declaration.SparsityLocation(token), FormatNumber(declaration.Sparsity), groupText, member.Name, shapeText, FormatEnum(granularity), limit);
                return;
            }

        }

        // One group is never pruned: locally a sparsity below 0.5 rounds to none (from 0.5 on, PRUNE003 above);
        // globally every layer keeps its best group.
        if (granularity == Granularity.Layer && groups == 1)
        {
            var reason = context.Scope == PruningScope.Local
                ? $"with local scope sparsity {FormatNumber(declaration.Sparsity)} keeps it"
                : $"'{context.Type.Name}' uses global scope, where every layer keeps its best group";
            Report(diagnostics, DiagnosticDescriptors.LayerGranularityPrunesNothing, declaration.GranularityLocation(token), member.Name, reason);
        }

        if (declaration.RoundTo > 1 && groups is { } total && declaration.RoundTo >= total)
        {
            Report(diagnostics, DiagnosticDescriptors.RoundToKeepsEveryGroup, declaration.NamedLocation(PruneProperties.RoundTo, token), declaration.RoundTo, total, member.Name, shapeText, FormatEnum(granularity));
        }

        layers.Add(CreateLayer(member, kind, declaration, dims.ToString(), shape));
    }

    private static LayerSpec CreateLayer(ISymbol member, LayerKind kind, PruneDeclaration declaration, string reducedDimsText, LayerShape? shape) => new(
        member.Name,
        PascalCase(member.Name),
        kind,
        declaration.ToSettings(),
        reducedDimsText,
        new EquatableArray<long>(shape?.Weight ?? Array.Empty<long>()))
    {
        ConvolutionGroups = shape?.Groups ?? 1,
    };

    /// <summary>
    /// The number of groups <paramref name="dims"/> splits the layer's weight into, as the runtime counts them
    /// (<see cref="GroupCounts.Count"/>); null where the shape is unknown, unless the whole layer is one group.
    /// </summary>
    private static long? CountGroups(LayerKind kind, ReducedDims dims, LayerShape? shape)
    {
        if (shape is null) return GroupCounts.ReducesEveryWeightDim(kind, dims) ? 1 : null;
        return GroupCounts.Count(kind, dims, shape.Weight, shape.Groups);
    }

    /// <summary>PRUNE025: with every layer's group count known, the global sparsity must leave each layer its best group.</summary>
    private static void CheckGlobalSparsity(ParseContext context, PruneDeclaration classDefault, List<long?> groupCounts)
    {
        if (groupCounts.Count == 0 || groupCounts.Any(count => count is null)) return;
        var total = groupCounts.Sum(count => count!.Value);
        if (!GroupCounts.GlobalTakesLastGroups(classDefault.Sparsity, total, groupCounts.Count)) return;
        var pruned = GroupCounts.Pruned(classDefault.Sparsity, total);
        var limit = FormatNumber(GroupCounts.GloballyPrunable(total, groupCounts.Count) / (double)total);
        Report(context.Diagnostics, DiagnosticDescriptors.GlobalSparsityTakesLastGroups, classDefault.SparsityLocation(context.CancellationToken), FormatNumber(classDefault.Sparsity), context.Type.Name, pruned, total, groupCounts.Count, limit);
    }

    private static bool ValidateClass(INamedTypeSymbol type, Compilation compilation, List<Diagnostic>? diagnostics, CancellationToken cancellationToken)
    {
        var valid = true;
        var module = compilation.GetTypeByMetadataName(KnownTypeNames.Module);
        var derivesFromModule = false;
        for (var baseType = type.BaseType; baseType is not null && !derivesFromModule; baseType = baseType.BaseType)
        {
            derivesFromModule = SymbolEqualityComparer.Default.Equals(baseType.OriginalDefinition, module);
        }

        if (type.TypeKind != TypeKind.Class || !derivesFromModule)
        {
            Report(diagnostics, DiagnosticDescriptors.ClassNotAModule, IdentifierLocation(type, cancellationToken), type.Name);
            valid = false;
        }

        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.IsGenericType)
            {
                Report(diagnostics, DiagnosticDescriptors.GenericClassNotSupported, IdentifierLocation(type, cancellationToken), type.Name);
                valid = false;
                break;
            }
        }

        // PRUNE005 on the model itself; a containing class reports its own (ContainingTypeDiagnostics), so that
        // each diagnostic lies in the declaration of the symbol it was found on and its code fix is offered.
        if (!IsPartial(type, cancellationToken))
        {
            var location = IdentifierLocation(type, cancellationToken);
            diagnostics?.Add(Diagnostic.Create(DiagnosticDescriptors.ClassNotPartial, location, location is null ? null : new[] { location }, type.Name));
        }

        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (!IsPartial(current, cancellationToken)) valid = false;
        }

        return valid;
    }

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.DeclaringSyntaxReferences.Any(reference =>
            reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration &&
            declaration.Modifiers.Any(SyntaxKind.PartialKeyword));

    /// <summary>The type's fields and properties declared in source, in file and then source order.</summary>
    internal static IEnumerable<ISymbol> MembersInDeclarationOrder(INamedTypeSymbol type) =>
        type.GetMembers()
            .Where(member => !member.IsImplicitlyDeclared && member is IFieldSymbol or IPropertySymbol && member.Locations.Length > 0 && member.Locations[0].IsInSource)
            .OrderBy(member => member.Locations[0].SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(member => member.Locations[0].SourceSpan.Start);

    /// <summary>The symbol's <c>[Prune]</c>, or null.</summary>
    internal static AttributeData? FindPruneAttribute(ISymbol symbol, INamedTypeSymbol pruneAttribute) =>
        symbol.GetAttributes().FirstOrDefault(attribute => SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, pruneAttribute));

    private static bool IsFraction(double value) => value >= 0.0 && value <= 1.0;

    /// <summary>
    /// Where generated code for <paramref name="type"/> goes: its namespace, the types it is nested in (outermost
    /// first), and a hint name unique per class, ending in <paramref name="suffix"/>.
    /// </summary>
    internal static (string Namespace, EquatableArray<ContainingTypeSpec> ContainingTypes, string HintName) Placement(INamedTypeSymbol type, string suffix)
    {
        var containingTypes = new List<ContainingTypeSpec>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containingTypes.Insert(0, new ContainingTypeSpec(TypeKeyword(outer), outer.Name));
        }

        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } containing ? containing.ToDisplayString() : string.Empty;
        var hintName = string.Join(".", new[] { ns }.Concat(containingTypes.Select(t => t.Name)).Concat(new[] { type.Name }).Where(part => part.Length > 0)) + suffix;
        return (ns, new EquatableArray<ContainingTypeSpec>(containingTypes.ToArray()), hintName);
    }

    private static string TypeKeyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    internal static string PascalCase(string name)
    {
        var trimmed = name.TrimStart('_');
        if (trimmed.StartsWith("m_", StringComparison.Ordinal)) trimmed = trimmed.Substring(2);
        if (trimmed.Length == 0) return name;
        return char.ToUpperInvariant(trimmed[0]) + trimmed.Substring(1);
    }

    internal static string FormatNumber(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string FormatEnum(Granularity granularity) =>
        Enum.IsDefined(typeof(Granularity), granularity) ? granularity.ToString() : ((int)granularity).ToString(CultureInfo.InvariantCulture);

    private static string FormatShape(long[] shape) => string.Join(", ", shape.Select(size => size.ToString(CultureInfo.InvariantCulture)));

    private static string FormatDims(int[] dims) => "(" + string.Join(", ", dims.Select(dim => dim.ToString(CultureInfo.InvariantCulture))) + ")";

    /// <summary>The type's name in its first declaration, where diagnostics about the class go.</summary>
    internal static Location? IdentifierLocation(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.DeclaringSyntaxReferences.Select(reference => reference.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().FirstOrDefault()?.Identifier.GetLocation()
        ?? type.Locations.FirstOrDefault();

    private static Location? AttributeLocation(AttributeData attribute, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();

    private static void Report(List<Diagnostic>? diagnostics, DiagnosticDescriptor descriptor, Location? location, params object[] arguments) =>
        diagnostics?.Add(Diagnostic.Create(descriptor, location, arguments));

    private static void Report(List<Diagnostic>? diagnostics, DiagnosticDescriptor descriptor, Location? location, ImmutableDictionary<string, string?> properties, params object[] arguments) =>
        diagnostics?.Add(Diagnostic.Create(descriptor, location, properties, arguments));

    /// <summary>What the checks of one class share.</summary>
    private sealed class ParseContext(INamedTypeSymbol type, ClassBinding binding, List<Diagnostic>? diagnostics, CancellationToken cancellationToken, PruningScope scope, PruneDeclaration? classDeclaration)
    {
        public INamedTypeSymbol Type { get; } = type;

        public ClassBinding Binding { get; } = binding;

        public List<Diagnostic>? Diagnostics { get; } = diagnostics;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public PruningScope Scope { get; } = scope;

        public PruneDeclaration? ClassDeclaration { get; } = classDeclaration;
    }
}
