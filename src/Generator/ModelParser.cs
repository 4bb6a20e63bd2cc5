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
/// Turns a model class symbol into a <see cref="ModelSpec"/> and, for the analyzer, the diagnostics of its
/// <c>[Prune]</c> declarations. The generator and the analyzer both call it, so they agree on what is valid:
/// the generator emits only what the analyzer accepts.
/// </summary>
internal static class ModelParser
{
    /// <summary>
    /// Parses <paramref name="type"/>. Returns <see langword="null"/> when no code can be generated for the class;
    /// layers with invalid declarations are left out of the model. Diagnostics, with the real locations of the
    /// declarations, are added to <paramref name="diagnostics"/> when it is given.
    /// </summary>
    public static ModelSpec? Parse(INamedTypeSymbol type, Compilation compilation, List<Diagnostic>? diagnostics, CancellationToken cancellationToken)
    {
        var pruneAttribute = compilation.GetTypeByMetadataName(KnownTypeNames.PruneAttribute);
        if (pruneAttribute is null) return null;

        var knownLayers = new Dictionary<INamedTypeSymbol, LayerKind>(SymbolEqualityComparer.Default);
        AddLayerType(knownLayers, compilation, KnownTypeNames.Conv2d, LayerKind.Conv2d);
        AddLayerType(knownLayers, compilation, KnownTypeNames.Linear, LayerKind.Linear);

        var classIsValid = ValidateClass(type, compilation, diagnostics, cancellationToken);
        var classAttribute = FindPruneAttribute(type, pruneAttribute);
        PruneDeclaration? classDefault = null;
        if (classAttribute is not null && PruneDeclaration.TryRead(classAttribute, out var declaration))
        {
            classDefault = declaration;
            if (!IsSparsityInRange(declaration.Sparsity))
            {
                Report(diagnostics, DiagnosticDescriptors.SparsityOutOfRange, declaration.SparsityLocation(cancellationToken), FormatNumber(declaration.Sparsity), type.Name);
                classDefault = null;
            }
        }

        var layers = new List<LayerSpec>();
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
                if (!Granularities.TryGetReducedDims(kind.Value, own.Granularity, out _))
                {
                    var valid = string.Join(", ", Enum.GetValues(typeof(Granularity)).Cast<Granularity>().Where(g => Granularities.TryGetReducedDims(kind.Value, g, out _)));
                    Report(diagnostics, DiagnosticDescriptors.GranularityNotValidForLayer, own.GranularityLocation(cancellationToken), own.Granularity, kind.Value, member.Name, valid);
                    continue;
                }

                if (!IsSparsityInRange(own.Sparsity))
                {
                    Report(diagnostics, DiagnosticDescriptors.SparsityOutOfRange, own.SparsityLocation(cancellationToken), FormatNumber(own.Sparsity), member.Name);
                    continue;
                }

                AddLayer(layers, member, kind.Value, own, compilation, diagnostics, cancellationToken);
            }
            else if (kind is not null && classDefault is { } defaults && Granularities.TryGetReducedDims(kind.Value, defaults.Granularity, out _))
            {
                classDefaultUsed = true;
                AddLayer(layers, member, kind.Value, defaults, compilation, diagnostics, cancellationToken);
            }
        }

        if (classDefault is { } unused && !classDefaultUsed)
        {
            Report(diagnostics, DiagnosticDescriptors.ClassDefaultAppliesToNoLayer, AttributeLocation(classAttribute!, cancellationToken), unused.Granularity, type.Name);
        }

        if (!classIsValid) return null;

        var containingTypes = new List<ContainingTypeSpec>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containingTypes.Insert(0, new ContainingTypeSpec(TypeKeyword(outer), outer.Name));
        }

        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } containing ? containing.ToDisplayString() : string.Empty;
        var hintName = string.Join(".", new[] { ns }.Concat(containingTypes.Select(t => t.Name)).Concat(new[] { type.Name }).Where(part => part.Length > 0)) + ".Prune.g.cs";
        return new ModelSpec(ns, new EquatableArray<ContainingTypeSpec>(containingTypes.ToArray()), type.Name, hintName, new EquatableArray<LayerSpec>(layers.ToArray()));
    }

    /// <summary>Whether <paramref name="type"/> or one of its fields or properties carries <c>[Prune]</c>.</summary>
    public static bool UsesPrune(INamedTypeSymbol type, INamedTypeSymbol pruneAttribute) =>
        FindPruneAttribute(type, pruneAttribute) is not null ||
        type.GetMembers().Any(member => member is IFieldSymbol or IPropertySymbol && FindPruneAttribute(member, pruneAttribute) is not null);

    private static void AddLayer(List<LayerSpec> layers, ISymbol member, LayerKind kind, PruneDeclaration declaration, Compilation compilation, List<Diagnostic>? diagnostics, CancellationToken cancellationToken)
    {
        Granularities.TryGetReducedDims(kind, declaration.Granularity, out var dims);
        var shape = ShapeInference.TryInferWeightShape(member, kind, compilation, cancellationToken);
        long? groups = null;
        if (shape is not null)
        {
            groups = 1;
            for (var axis = 0; axis < shape.Length; axis++)
            {
                if (!dims.Contains(axis + 1)) groups *= shape[axis];
            }
        }

        // Sparsity 1 removes every group whatever the shape; other values only where the group count is known.
        var removesAll = groups is { } count
            ? Math.Round(declaration.Sparsity * count, MidpointRounding.ToEven) >= count
            : declaration.Sparsity >= 1.0;
        if (removesAll)
        {
            var groupText = groups?.ToString(CultureInfo.InvariantCulture) ?? "the";
            var shapeText = shape is null ? kind.ToString() : $"{kind} [{string.Join(", ", shape)}]";
            var limit = groups is { } g ? FormatNumber((g - 1) / (double)g) : "a value below 1";
            Report(diagnostics, DiagnosticDescriptors.SparsityRemovesEveryGroup, declaration.SparsityLocation(cancellationToken), FormatNumber(declaration.Sparsity), groupText, member.Name, shapeText, declaration.Granularity, limit);
            return;
        }

        layers.Add(new LayerSpec(
            member.Name,
            PascalCase(member.Name),
            kind,
            declaration.Granularity,
            declaration.Sparsity,
            dims.Bits,
            dims.ToString(),
            new EquatableArray<long>(shape ?? Array.Empty<long>())));
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

        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (!IsPartial(current, cancellationToken))
            {
                Report(diagnostics, DiagnosticDescriptors.ClassNotPartial, IdentifierLocation(current, cancellationToken), current.Name);
                valid = false;
            }
        }

        return valid;
    }

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.DeclaringSyntaxReferences.Any(reference =>
            reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration &&
            declaration.Modifiers.Any(SyntaxKind.PartialKeyword));

    private static IEnumerable<ISymbol> MembersInDeclarationOrder(INamedTypeSymbol type) =>
        type.GetMembers()
            .Where(member => !member.IsImplicitlyDeclared && member is IFieldSymbol or IPropertySymbol && member.Locations.Length > 0 && member.Locations[0].IsInSource)
            .OrderBy(member => member.Locations[0].SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(member => member.Locations[0].SourceSpan.Start);

    private static AttributeData? FindPruneAttribute(ISymbol symbol, INamedTypeSymbol pruneAttribute) =>
        symbol.GetAttributes().FirstOrDefault(attribute => SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, pruneAttribute));

    private static void AddLayerType(Dictionary<INamedTypeSymbol, LayerKind> layers, Compilation compilation, string metadataName, LayerKind kind)
    {
        if (compilation.GetTypeByMetadataName(metadataName) is { } symbol) layers[symbol] = kind;
    }

    private static bool IsSparsityInRange(double sparsity) => sparsity >= 0.0 && sparsity <= 1.0;

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

    private static Location? IdentifierLocation(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.DeclaringSyntaxReferences.Select(reference => reference.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().FirstOrDefault()?.Identifier.GetLocation()
        ?? type.Locations.FirstOrDefault();

    private static Location? AttributeLocation(AttributeData attribute, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();

    private static void Report(List<Diagnostic>? diagnostics, DiagnosticDescriptor descriptor, Location? location, params object[] arguments) =>
        diagnostics?.Add(Diagnostic.Create(descriptor, location, arguments));

    /// <summary>A <c>[Prune(granularity, sparsity)]</c> as written.</summary>
    private readonly struct PruneDeclaration
    {
        private readonly AttributeData _attribute;

        private PruneDeclaration(AttributeData attribute, Granularity granularity, double sparsity)
        {
            _attribute = attribute;
            Granularity = granularity;
            Sparsity = sparsity;
        }

        public Granularity Granularity { get; }

        public double Sparsity { get; }

        /// <summary>Reads the attribute; false when its arguments do not bind (the compiler reports that).</summary>
        public static bool TryRead(AttributeData attribute, out PruneDeclaration declaration)
        {
            declaration = default;
            var arguments = attribute.ConstructorArguments;
            if (arguments.Length != 2 || arguments[0].Value is not int granularity || arguments[1].Value is not double sparsity) return false;
            declaration = new PruneDeclaration(attribute, (Granularity)granularity, sparsity);
            return true;
        }

        public Location? GranularityLocation(CancellationToken cancellationToken) => ArgumentLocation(0, "granularity", cancellationToken);

        public Location? SparsityLocation(CancellationToken cancellationToken) => ArgumentLocation(1, "sparsity", cancellationToken);

        private Location? ArgumentLocation(int position, string parameterName, CancellationToken cancellationToken)
        {
            var syntax = _attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            var arguments = syntax?.ArgumentList?.Arguments ?? default;
            var named = arguments.FirstOrDefault(argument => argument.NameColon?.Name.Identifier.ValueText == parameterName);
            if (named is not null) return named.Expression.GetLocation();
            return position < arguments.Count && arguments[position].NameColon is null ? arguments[position].Expression.GetLocation() : syntax?.GetLocation();
        }
    }
}
