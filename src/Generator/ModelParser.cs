using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PruneSharp.Generator;

/// <summary>
/// Turns a model class symbol into a <see cref="ModelSpec"/> in three steps: <see cref="Read"/> reads the class as
/// declared (<see cref="ModelDeclaration"/>), <see cref="ModelValidator"/> checks it (the diagnostics, for the analyzer)
/// and <see cref="Build"/> writes the model from what the checks accept. The generator and the analyzer both call
/// it, so they agree on what is valid: the generator emits only what the analyzer accepts (a layer with an error is
/// left out; warnings do not).
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
        var model = Read(type, binding, cancellationToken);
        if (model is null) return null;
        var accepted = ModelValidator.Validate(model, diagnostics);
        return accepted.GeneratesCode ? Build(model, accepted) : null;
    }

    /// <summary>The class as declared; null where the compilation has no <c>PruneAttribute</c>.</summary>
    public static ModelDeclaration? Read(INamedTypeSymbol type, ClassBinding binding, CancellationToken cancellationToken)
    {
        var compilation = binding.SemanticModels.Compilation;
        var pruneAttribute = compilation.GetTypeByMetadataName(KnownTypeNames.PruneAttribute);
        if (pruneAttribute is null) return null;

        var knownLayers = new Dictionary<INamedTypeSymbol, LayerKind>(SymbolEqualityComparer.Default);
        foreach (var kind in AllLayerKinds)
        {
            if (compilation.GetTypeByMetadataName(KnownTypeNames.LayerType(kind)) is { } symbol) knownLayers[symbol] = kind;
        }

        var classAttribute = FindPruneAttribute(type, pruneAttribute);
        PruneDeclaration? classDeclaration = null;
        if (classAttribute is not null && PruneDeclaration.TryRead(classAttribute, out var read)) classDeclaration = read;

        var members = new List<MemberDeclaration>();
        foreach (var member in MembersInDeclarationOrder(type, cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var memberType = member switch
            {
                IFieldSymbol field => field.Type,
                IPropertySymbol property => property.Type,
                _ => null,
            };
            if (memberType is null) continue;

            LayerKind? layerKind = memberType is INamedTypeSymbol named && knownLayers.TryGetValue(named, out var found) ? found : null;
            var collectionElement = StaticTree.CollectionElementType(memberType);
            var role = layerKind is not null ? MemberRole.Layer
                : Compaction.ForwardCompiler.IsModuleType(memberType) ? MemberRole.Module
                : collectionElement is not null ? MemberRole.Collection
                : MemberRole.Other;

            // ModuleList<Conv2d>, ModuleDict<Linear>, Linear[], List<Conv2d>: the type names the kind of every layer inside.
            var elementType = collectionElement ?? (role == MemberRole.Module && memberType is INamedTypeSymbol { IsGenericType: true, Name: "ModuleList" or "ModuleDict", TypeArguments.Length: 1 } container ? container.TypeArguments[0] : null);
            LayerKind? elementKind = elementType is INamedTypeSymbol element && knownLayers.TryGetValue(element, out var elementLayer) ? elementLayer : null;
            members.Add(new MemberDeclaration(member, memberType, layerKind, role, elementKind, FindPruneAttribute(member, pruneAttribute), FormOf(member, cancellationToken), binding, cancellationToken));
        }

        return new ModelDeclaration(type, binding, classAttribute, classDeclaration, members, cancellationToken);
    }

    /// <summary>The model the emitters write: the accepted declarations and typed layers, with the names and places the code needs.</summary>
    private static ModelSpec Build(ModelDeclaration model, AcceptedModel accepted)
    {
        var placement = Placement(model.Type, HintNames.PruningSuffix);
        var classRule = accepted.ClassRule is { Declaration: var declaration }
            ? new ClassRuleSpec(declaration.ToSettings(), model.Scope, declaration.ToSelection())
            : null;
        var containers = accepted.Containers.Select(rule => new ContainerSpec(rule.Container!.RegisteredName, rule.Declaration.ToSettings(), rule.Declaration.ToSelection()));
        var collections = model.Members
            .Where(member => member.Role == MemberRole.Collection && member.Form is MemberForm.Field or MemberForm.AutoProperty)
            .Select(member => new CollectionSpec(member.Name, member.MayBeNull));
        return new ModelSpec(
            placement.Namespace,
            placement.ContainingTypes,
            placement.TypeName,
            placement.HintName,
            classRule,
            new EquatableArray<LayerSpec>(accepted.Layers.Select(CreateLayer).ToArray()),
            new EquatableArray<ContainerSpec>(containers.ToArray()),
            new EquatableArray<CollectionSpec>(collections.ToArray()),
            accepted.GeneratesCompaction);
    }

    private static LayerSpec CreateLayer(AcceptedLayer layer) => new(
        layer.Name,
        layer.PascalName,
        layer.Kind,
        layer.Declaration.ToSettings(),
        layer.ReducedDimsText,
        new EquatableArray<long>(layer.Shape?.Weight ?? Array.Empty<long>()),
        layer.Role,
        layer.Member.Name,
        layer.Member.MayBeNull,
        layer.PathInMember,
        layer.Role == LayerRole.ContainerDefault ? layer.Member.RegisteredName : null,
        layer.MayBeOutputLayer)
    {
        ConvolutionGroups = layer.Shape?.Groups ?? 1,
    };

    private static MemberForm FormOf(ISymbol member, CancellationToken cancellationToken)
    {
        if (member.IsStatic) return MemberForm.StaticMember;
        if (member is not IPropertySymbol property) return MemberForm.Field;
        if (property.IsIndexer) return MemberForm.Indexer;
        if (property.IsAbstract) return MemberForm.AbstractProperty;

        // An explicit interface implementation, an extern or partial property: each has a declaration with bodies, or no storage.
        var form = property.ExplicitInterfaceImplementations.IsEmpty && !property.IsExtern ? MemberForm.AutoProperty : MemberForm.PropertyWithAccessorBodies;
        foreach (var reference in property.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is not PropertyDeclarationSyntax declaration) continue;
            if (declaration.ExpressionBody is not null) return MemberForm.ExpressionBodiedProperty;
            if (declaration.Modifiers.Any(SyntaxKind.PartialKeyword) || declaration.AccessorList?.Accessors.Any(accessor => accessor.Body is not null || accessor.ExpressionBody is not null) == true)
            {
                form = MemberForm.PropertyWithAccessorBodies;
            }
        }

        return form;
    }

    /// <summary>
    /// Whether <paramref name="member"/> is the one the generator parses <paramref name="type"/> from: the type has no
    /// class-level <c>[Prune]</c> (that attribute's own target parses it) and no attributed member comes before this one.
    /// </summary>
    public static bool IsFirstAttributedMemberOfUnattributedClass(ISymbol member, INamedTypeSymbol type, INamedTypeSymbol? pruneAttribute, CancellationToken cancellationToken)
    {
        if (pruneAttribute is null || FindPruneAttribute(type, pruneAttribute) is not null) return false;
        var first = MembersInDeclarationOrder(type, cancellationToken).FirstOrDefault(candidate => FindPruneAttribute(candidate, pruneAttribute) is not null);
        return SymbolEqualityComparer.Default.Equals(first, member);
    }

    /// <summary>Whether <paramref name="type"/> or one of its fields or properties carries <c>[Prune]</c>.</summary>
    public static bool UsesPrune(INamedTypeSymbol type, INamedTypeSymbol pruneAttribute) =>
        FindPruneAttribute(type, pruneAttribute) is not null ||
        type.GetMembers().Any(member => member is IFieldSymbol or IPropertySymbol && FindPruneAttribute(member, pruneAttribute) is not null);

    /// <summary>The granularities of the table that apply to <paramref name="kind"/> (not Custom and N:M, which need more arguments).</summary>
    public static IReadOnlyList<Granularity> TableGranularities(LayerKind kind) =>
        ((Granularity[])Enum.GetValues(typeof(Granularity))).Where(granularity => Granularities.TryGetReducedDims(kind, granularity, out _)).ToArray();

    internal static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.DeclaringSyntaxReferences.Any(reference =>
            reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration &&
            declaration.Modifiers.Any(SyntaxKind.PartialKeyword));

    /// <summary>The type's fields and properties declared in code people write (not generated code), in file and then source order.</summary>
    internal static IEnumerable<ISymbol> MembersInDeclarationOrder(INamedTypeSymbol type, CancellationToken cancellationToken = default) =>
        type.GetMembers()
            .Where(member => !member.IsImplicitlyDeclared && member is IFieldSymbol or IPropertySymbol && member.Locations.Length > 0 && member.Locations[0].IsInSource)
            .Where(member => !GeneratedCode.IsDeclaredOnlyInGeneratedCode(member, cancellationToken))
            .OrderBy(member => member.Locations[0].SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(member => member.Locations[0].SourceSpan.Start);

    /// <summary>The symbol's <c>[Prune]</c>, or null.</summary>
    internal static AttributeData? FindPruneAttribute(ISymbol symbol, INamedTypeSymbol pruneAttribute) =>
        symbol.GetAttributes().FirstOrDefault(attribute => SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, pruneAttribute));

    /// <summary>
    /// Where generated code for <paramref name="type"/> goes: its namespace, the types it is nested in (outermost
    /// first) and its name, as written in C# (keywords escaped: <c>@unsafe</c>), and the hint name of its file ending
    /// in <paramref name="suffix"/>, made from the raw names (<see cref="HintNames"/>).
    /// </summary>
    internal static (string Namespace, EquatableArray<ContainingTypeSpec> ContainingTypes, string TypeName, string HintName) Placement(INamedTypeSymbol type, string suffix)
    {
        var containingTypes = new List<INamedTypeSymbol>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType) containingTypes.Insert(0, outer);

        var namespaces = new List<string>();
        for (var ns = type.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace) namespaces.Insert(0, ns.Name);

        var hintName = HintNames.Stem(namespaces.Concat(containingTypes.Select(outer => outer.Name)).Concat(new[] { type.Name })) + suffix;
        return (
            string.Join(".", namespaces.Select(CSharpNames.Identifier)),
            new EquatableArray<ContainingTypeSpec>(containingTypes.Select(outer => new ContainingTypeSpec(TypeKeyword(outer), CSharpNames.Identifier(outer.Name))).ToArray()),
            CSharpNames.Identifier(type.Name),
            hintName);
    }

    private static string TypeKeyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    internal static string FormatNumber(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    internal static string FormatEnum<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        Enum.IsDefined(typeof(TEnum), value) ? value.ToString() : Convert.ToInt32(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);

    internal static string FormatShape(long[] shape) => string.Join(", ", shape.Select(size => size.ToString(CultureInfo.InvariantCulture)));

    internal static string FormatDims(int[] dims) => "(" + string.Join(", ", dims.Select(dim => dim.ToString(CultureInfo.InvariantCulture))) + ")";

    /// <summary>The type's name in its first declaration in code people write, where diagnostics about the class go.</summary>
    internal static Location? IdentifierLocation(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.DeclaringSyntaxReferences
            .Where(reference => !GeneratedCode.IsGenerated(reference.SyntaxTree, cancellationToken))
            .Select(reference => reference.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().FirstOrDefault()?.Identifier.GetLocation()
        ?? type.Locations.FirstOrDefault();
}
