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
        var classRule = model.ClassDeclaration is { } declared && DeclarationChecks.Validate(context, declared, isClassLevel: true, model.Type.Name, reachesManyLayers: true)
            ? new DeclaredRule(declared, null)
            : null;

        var layers = new List<AcceptedLayer>();
        var containers = new List<DeclaredRule>();
        var groupCounts = new List<long?>();
        foreach (var member in model.Members)
        {
            token.ThrowIfCancellationRequested();
            if (member.Attribute is not { } attribute) continue;
            if (member.Role == MemberRole.Other || member.Form == MemberForm.StaticMember)
            {
                context.Report(DiagnosticDescriptors.NotASupportedLayer, AttributeLocation(attribute, token), member.Name, member.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) + (member.Form == MemberForm.StaticMember ? " (static)" : string.Empty));
                continue;
            }

            if (member.Form is not (MemberForm.Field or MemberForm.AutoProperty))
            {
                context.Report(DiagnosticDescriptors.PropertyDoesNotHoldLayer, AttributeLocation(attribute, token), member.Name, Describe(member.Form));
                continue;
            }

            if (!PruneDeclaration.TryRead(attribute, out var own)) continue;
            if (member.LayerKind is { } kind)
            {
                var valid = DeclarationChecks.Validate(context, own, isClassLevel: false, member.Name, reachesManyLayers: false);
                if (!Granularities.AppliesTo(kind, own.Granularity))
                {
                    var tableGranularities = TableGranularities(kind);
                    var properties = ImmutableDictionary<string, string?>.Empty.Add(FixableDiagnostics.ValidGranularitiesProperty, string.Join(",", tableGranularities));
                    context.Report(DiagnosticDescriptors.GranularityNotValidForLayer, own.GranularityLocation(token), properties, FormatEnum(own.Granularity), kind, member.Name, string.Join(", ", tableGranularities));
                    valid = false;
                }

                if (valid && LayerChecks.Check(context, member.Name, kind, member.Shape, own, isOwnDeclaration: true, out var groups) is { } dims)
                {
                    groupCounts.Add(groups);
                    layers.Add(new AcceptedLayer(member.RegisteredName, CSharpNames.PascalCase(member.Name), kind, own, dims, member.Shape, LayerRole.Member, member, string.Empty));
                }
            }
            else if (DeclarationChecks.Validate(context, own, isClassLevel: false, member.Name, reachesManyLayers: true))
            {
                var rule = new DeclaredRule(own, member);
                if (ContainerChecks.Fits(context, rule)) containers.Add(rule);
            }
        }

        var complete = true;
        var nestedDeclarations = false;
        if (classRule is not null || containers.Count > 0)
        {
            var reached = ContainerChecks.ReachTree(context, classRule, containers);

            // The layers in tree order, as the run-time tree lists them: the members' own, then those the rules reach.
            layers = layers.Select(layer => layer with { Order = model.Tree.LayersOf(layer.Member).Select(found => found.Index).DefaultIfEmpty(-1).First() })
                .Concat(reached.Layers)
                .OrderBy(layer => layer.Order)
                .ToList();
            groupCounts.AddRange(reached.GroupCounts);
            complete = model.Tree.IsComplete;
            nestedDeclarations = reached.NestedDeclarations;
            if (classRule is not null && !reached.ClassRuleApplies)
            {
                context.Report(DiagnosticDescriptors.ClassDefaultAppliesToNoLayer, classRule.Declaration.AttributeLocation(token), FormatEnum(classRule.Declaration.Granularity), model.Type.Name);
            }
        }

        // Every layer the tree prunes must be known for the model-wide count; layers of nested [Prune] classes are theirs.
        if (model.Scope == PruningScope.Global && classRule is not null && complete && !nestedDeclarations)
        {
            LayerChecks.CheckGlobalSparsity(context, classRule.Declaration, groupCounts);
        }

        // The names are checked only where code is generated: a base class that is itself a model (PRUNE029) would
        // otherwise meet every name, and its generated members are visible to the analyzer but not to the generator.
        if (!classIsValid) return new AcceptedModel(false, null, layers, [], false);
        var names = NameChecks.Check(context, layers);
        return new AcceptedModel(names.ModelNamesFree, classRule, names.Layers, containers, names.CompactionNamesFree);
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

    private static string Describe(MemberForm form) => form switch
    {
        MemberForm.ExpressionBodiedProperty => "an expression-bodied property",
        MemberForm.AbstractProperty => "an abstract property",
        MemberForm.Indexer => "an indexer",
        _ => "a property with accessor bodies",
    };

    internal static Location? AttributeLocation(AttributeData attribute, CancellationToken cancellationToken) =>
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

/// <summary>
/// What the checks accept: whether code is generated for the class, its class-level rule, its typed layers, the
/// container rules, and whether compaction code is generated too.
/// </summary>
internal sealed record AcceptedModel(bool GeneratesCode, DeclaredRule? ClassRule, IReadOnlyList<AcceptedLayer> Layers, IReadOnlyList<DeclaredRule> Containers, bool GeneratesCompaction);

/// <summary>A typed layer the checks accept, with the declaration that applies to it and where it lies.</summary>
/// <param name="Name">Its dotted name relative to the class, as registered.</param>
/// <param name="PascalName">The stem of its generated member names.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Declaration">The declaration it belongs to: its own, its container's or the class's.</param>
/// <param name="ReducedDimsText">The reduced dims, as fasterai writes them.</param>
/// <param name="Shape">Its weight shape where the code shows it.</param>
/// <param name="Role">Which declaration it belongs to.</param>
/// <param name="Member">The member that holds it, or its container.</param>
/// <param name="PathInMember">Its path under a container member; empty for a layer member.</param>
/// <param name="Order">Its position in the tree's depth-first order (a member's order among the members where no tree was read).</param>
/// <param name="MayBeOutputLayer">Whether it may be the model's output layer, which its rule (a class's or a container's) leaves alone where this class is the model.</param>
internal sealed record AcceptedLayer(string Name, string PascalName, LayerKind Kind, PruneDeclaration Declaration, string ReducedDimsText, LayerShape? Shape, LayerRole Role, MemberDeclaration Member, string PathInMember, int Order = -1, bool MayBeOutputLayer = false);
