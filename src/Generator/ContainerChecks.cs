using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;

using static PruneSharp.Generator.ModelParser;

namespace PruneSharp.Generator;

/// <summary>
/// The checks of the declarations that reach many layers, over the layers of the class's module tree the code shows
/// (<see cref="StaticTree"/>): a container's <c>[Prune]</c> must fit some layer inside (PRUNE001, PRUNE010), and each
/// layer a container or the class-level <c>[Prune]</c> reaches gets the checks of a layer member (PRUNE003, PRUNE013,
/// PRUNE015, PRUNE022), naming the layer by its dotted name. Which declaration reaches a layer is the run time's rule
/// (docs/architecture.md, rules 2 and 3): the layer's own member first, then its container's, then the class's; the
/// output layer only where the declaration opts in. The layers whose path and shape the code shows become typed
/// layers of the generated code.
/// </summary>
internal static class ContainerChecks
{
    /// <summary>
    /// PRUNE001 (PRUNE010 for Custom dims) where a container's granularity fits none of the layers the code shows inside
    /// it, and PRUNE004 where the code shows that it holds no layer at all.
    /// </summary>
    public static bool Fits(ValidationContext context, DeclaredRule rule)
    {
        var member = rule.Container!;
        var declaration = rule.Declaration;
        var token = context.CancellationToken;
        var tree = context.Model.Tree;
        var known = tree.LayersOf(member).Select(layer => (Name: layer.Path, layer.Kind)).ToList();
        if (known.Count == 0 && tree.IsMemberComplete(member))
        {
            // A module that holds no layer at all (a BatchNorm2d, a Sequential of activations): nothing to prune.
            context.Report(DiagnosticDescriptors.NotASupportedLayer, ModelValidator.AttributeLocation(member.Attribute!, token), member.Name, member.Type.ToDisplayString(Microsoft.CodeAnalysis.SymbolDisplayFormat.MinimallyQualifiedFormat));
            return false;
        }

        if (!tree.IsMemberComplete(member))
        {
            // What the code does not show may fit; what the type says every layer is (ModuleList<Linear>) is enough.
            if (member.ElementKind is not { } elementKind) return true;
            known = [(member.Name + ".*", elementKind)];
        }

        if (known.Count == 0 || known.Any(layer => LayerChecks.Fits(layer.Kind, declaration))) return true;
        var (name, kind) = known[0];
        if (declaration.Granularity == Granularity.Custom)
        {
            context.Report(DiagnosticDescriptors.CustomDimsDoNotFit, declaration.NamedLocation(PruneProperties.Dims, token), FormatDims(declaration.Dims ?? []), name, kind, Granularities.WeightRank(kind));
            return false;
        }

        var tableGranularities = TableGranularities(kind);
        var properties = ImmutableDictionary<string, string?>.Empty.Add(FixableDiagnostics.ValidGranularitiesProperty, string.Join(",", tableGranularities));
        context.Report(DiagnosticDescriptors.GranularityNotValidForLayer, declaration.GranularityLocation(token), properties, FormatEnum(declaration.Granularity), kind, name, string.Join(", ", tableGranularities));
        return false;
    }

    /// <summary>
    /// The layers of the tree that the class-level rule and the container rules reach: each checked (except a layer
    /// that may be the model's output layer, which a rule that does not opt in leaves alone where this class is the
    /// model), and the typed layers for those whose place and shape the code shows.
    /// </summary>
    public static ReachedLayers ReachTree(ValidationContext context, DeclaredRule? classRule, IReadOnlyList<DeclaredRule> containers)
    {
        var tree = context.Model.Tree;
        var silent = new ValidationContext(context.Model, null);
        var result = new ReachedLayers { ClassRuleApplies = classRule is null || !tree.IsComplete };
        foreach (var layer in tree.Layers)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (layer.Member.Attribute is not null && layer.Member.Role == MemberRole.Layer) continue;
            if (layer.DeclaredByNestedClass)
            {
                // The block's own declarations win for its layers; the ones it leaves may still be this class's.
                result.NestedDeclarations = true;
                result.ClassRuleApplies |= classRule is not null && LayerChecks.Fits(layer.Kind, classRule.Declaration);
                continue;
            }

            var rule = containers.FirstOrDefault(candidate => candidate.Container == layer.Member && candidate.Reaches(layer.Path, layer.Kind))
                ?? (classRule is not null && classRule.Reaches(layer.Path, layer.Kind) ? classRule : null);
            if (rule is null) continue;
            if (rule == classRule) result.ClassRuleApplies = true;

            var isMemberLayer = layer.PathInMember.Length == 0 && layer.Member.Role == MemberRole.Layer;
            var name = isMemberLayer ? layer.Member.Name : layer.Path;
            var mayBeOutput = tree.MayBeOutputLayer(layer) && !rule.Declaration.IncludeOutputLayer;
            var dims = LayerChecks.Check(mayBeOutput ? silent : context, name, layer.Kind, layer.Shape, rule.Declaration, isOwnDeclaration: false, out var groups);
            if (dims is null && !mayBeOutput) continue;
            if (!mayBeOutput) result.GroupCounts.Add(groups);

            // Typed layers: a layer member the class-level rule reaches, or a layer inside a registered container whose shape the code shows.
            var role = rule == classRule ? LayerRole.ClassDefault : LayerRole.ContainerDefault;
            if (isMemberLayer)
            {
                result.Layers.Add(new AcceptedLayer(layer.Member.RegisteredName, CSharpNames.PascalCase(layer.Member.Name), layer.Kind, rule.Declaration, dims ?? string.Empty, layer.Shape, role, layer.Member, string.Empty, layer.Index, mayBeOutput));
            }
            else if (dims is not null && layer.Shape is not null && layer.Member.IsRegisteredModule)
            {
                result.Layers.Add(new AcceptedLayer(layer.Path, NestedPascalName(layer.Member.Name, layer.PathInMember), layer.Kind, rule.Declaration, dims, layer.Shape, role, layer.Member, layer.PathInMember, layer.Index, mayBeOutput));
            }
        }

        return result;
    }

    /// <summary>The stem of a nested layer's generated names: the member's and each path segment's letters and digits in PascalCase (<c>features.conv1</c>: <c>FeaturesConv1</c>).</summary>
    private static string NestedPascalName(string memberName, string pathInMember)
    {
        var name = new StringBuilder(CSharpNames.PascalCase(memberName));
        var startWord = true;
        foreach (var character in pathInMember)
        {
            if (!char.IsLetterOrDigit(character))
            {
                startWord = true;
                continue;
            }

            name.Append(startWord ? char.ToUpperInvariant(character) : character);
            startWord = false;
        }

        return name.ToString();
    }
}

/// <summary>What the rules of a class reach in its tree.</summary>
internal sealed class ReachedLayers
{
    /// <summary>The typed layers, in tree order.</summary>
    public List<AcceptedLayer> Layers { get; } = [];

    /// <summary>The group count of each layer the rules prune (null where not known), for the global check.</summary>
    public List<long?> GroupCounts { get; } = [];

    /// <summary>Whether the class-level rule reaches a layer, or may (the tree is not all known); true without one.</summary>
    public bool ClassRuleApplies { get; set; }

    /// <summary>Whether the tree holds layers of nested classes that declare their own pruning.</summary>
    public bool NestedDeclarations { get; set; }
}
