using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PruneSharp.Generator;

/// <summary>
/// The incremental pipeline both generators share: one parsed value per model class, whether the class carries
/// <c>[Prune]</c> itself or only on its layer members, with the class's last parse reused after edits inside method
/// bodies the parse does not read (<see cref="ClassParseCache{T}"/>).
/// </summary>
internal static class ModelClassPipeline
{
    /// <summary>The names a pipeline's steps are tracked under, for the incrementality tests.</summary>
    public readonly record struct StepNames(string ClassTargets, string MemberTargets, string Models);

    /// <summary>
    /// One <typeparamref name="T"/> per model class, keyed by <paramref name="hintName"/>; <paramref name="parse"/>
    /// returns null where nothing is generated. <paramref name="readBodies"/> names the methods whose bodies the parse reads.
    /// </summary>
    public static IncrementalValuesProvider<T> Create<T>(
        IncrementalGeneratorInitializationContext context,
        Func<INamedTypeSymbol, Compilation, CancellationToken, T?> parse,
        Func<T, string> hintName,
        StepNames steps,
        params string[] readBodies)
        where T : class
    {
        // The transforms rerun on every edit; an edit inside a body the parse does not read reuses the class's last parse.
        var cache = new ClassParseCache<T>(readBodies);
        T? Parse(INamedTypeSymbol type, Compilation compilation, CancellationToken cancellationToken) =>
            cache.GetOrParse(type, compilation, () => parse(type, compilation, cancellationToken), cancellationToken);

        var fromClassAttributes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypeNames.PruneAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                (target, cancellationToken) => Parse((INamedTypeSymbol)target.TargetSymbol, target.SemanticModel.Compilation, cancellationToken))
            .WithTrackingName(steps.ClassTargets);

        // A class without its own [Prune] is parsed once, from its first attributed member; the others give nothing,
        // so a class of n layers costs one parse, not n.
        var fromMemberAttributes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypeNames.PruneAttribute,
                static (node, _) => node is VariableDeclaratorSyntax or PropertyDeclarationSyntax,
                (target, cancellationToken) => target.TargetSymbol.ContainingType is { } type && ModelParser.IsFirstAttributedMemberOfUnattributedClass(target.TargetSymbol, type, target.Attributes[0].AttributeClass)
                    ? Parse(type, target.SemanticModel.Compilation, cancellationToken)
                    : null)
            .WithTrackingName(steps.MemberTargets);

        // A class is reached from its own attribute or from its first attributed member: one value per class.
        return fromClassAttributes.Collect()
            .Combine(fromMemberAttributes.Collect())
            .SelectMany((pair, _) => Distinct(pair.Left, pair.Right, hintName))
            .WithTrackingName(steps.Models);
    }

    private static ImmutableArray<T> Distinct<T>(ImmutableArray<T?> fromClasses, ImmutableArray<T?> fromMembers, Func<T, string> hintName)
        where T : class
    {
        var seen = new HashSet<string>();
        var values = ImmutableArray.CreateBuilder<T>();
        foreach (var value in fromClasses.Concat(fromMembers))
        {
            if (value is not null && seen.Add(hintName(value))) values.Add(value);
        }

        return values.ToImmutable();
    }
}
