using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PruneSharp.Generator;

/// <summary>
/// The generator's one provider: one <see cref="ModelClass"/> per model class, whether the class carries
/// <c>[Prune]</c> itself or only on its layer members, parsed once for both outputs, with the class's last parse
/// reused after edits inside method bodies the parse does not read (<see cref="ClassParseCache{T}"/>), and with hint
/// names unique in the project (<see cref="HintNames"/>).
/// </summary>
internal static class ModelClassPipeline
{
    /// <summary>The provider; <paramref name="reuseParses"/> is false only in the benchmark that measures what the cache saves.</summary>
    public static IncrementalValuesProvider<ModelClass> Create(IncrementalGeneratorInitializationContext context, bool reuseParses = true)
    {
        // The transforms rerun on every edit; an edit inside a body the parse does not read reuses the class's last parse.
        var cache = new ClassParseCache<ModelClass>(ModelClassParser.ReadBodies);
        ModelClass? Parse(INamedTypeSymbol type, Compilation compilation, System.Threading.CancellationToken cancellationToken) => reuseParses
            ? cache.GetOrParse(type, compilation, () => ModelClassParser.Parse(type, compilation, null, cancellationToken), cancellationToken)
            : ModelClassParser.Parse(type, compilation, null, cancellationToken);

        var fromClassAttributes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypeNames.PruneAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                (target, cancellationToken) => Parse((INamedTypeSymbol)target.TargetSymbol, target.SemanticModel.Compilation, cancellationToken))
            .WithTrackingName(TrackingNames.ClassTargets);

        // A class without its own [Prune] is parsed once, from its first attributed member; the others give nothing,
        // so a class of n layers costs one parse, not n.
        var fromMemberAttributes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypeNames.PruneAttribute,
                static (node, _) => node is VariableDeclaratorSyntax or PropertyDeclarationSyntax,
                (target, cancellationToken) => target.TargetSymbol.ContainingType is { } type && ModelParser.IsFirstAttributedMemberOfUnattributedClass(target.TargetSymbol, type, target.Attributes[0].AttributeClass, cancellationToken)
                    ? Parse(type, target.SemanticModel.Compilation, cancellationToken)
                    : null)
            .WithTrackingName(TrackingNames.MemberTargets);

        // A class is reached from its own attribute or from its first attributed member: one value per class.
        return fromClassAttributes.Collect()
            .Combine(fromMemberAttributes.Collect())
            .SelectMany((pair, _) => Distinct(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.ModelClasses);
    }

    private static ImmutableArray<ModelClass> Distinct(ImmutableArray<ModelClass?> fromClasses, ImmutableArray<ModelClass?> fromMembers)
    {
        var seen = new HashSet<string>();
        var values = new List<ModelClass>();
        foreach (var value in fromClasses.Concat(fromMembers))
        {
            if (value is not null && seen.Add(value.Pruning.FullName)) values.Add(value);
        }

        return HintNames.Unique(values);
    }
}
