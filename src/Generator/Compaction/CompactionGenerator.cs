using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PruneSharp.Generator.Compaction;

/// <summary>
/// Generates <c>Compact()</c> and <c>ZeroPrunedChannels()</c> for every model class <see cref="PruneGenerator"/>
/// generates pruning members for, from the dependency graph of the class's <c>forward</c>. Its information
/// diagnostics (PRUNE030–PRUNE035) come from <see cref="PruneAnalyzer"/>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class CompactionGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // The plan reads forward's body: an edit there parses again, an edit in any other method body reuses the plan.
        var cache = new ClassParseCache<CompactionSpec>("forward");
        CompactionSpec? Parse(INamedTypeSymbol type, Compilation compilation, CancellationToken cancellationToken) =>
            cache.GetOrParse(type, compilation, () => CompactionParser.Parse(type, compilation, null, cancellationToken), cancellationToken);

        var fromClassAttributes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypeNames.PruneAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                (context, cancellationToken) => Parse((INamedTypeSymbol)context.TargetSymbol, context.SemanticModel.Compilation, cancellationToken))
            .WithTrackingName(CompactionTrackingNames.ClassTargets);

        var fromMemberAttributes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypeNames.PruneAttribute,
                static (node, _) => node is VariableDeclaratorSyntax or PropertyDeclarationSyntax,
                (context, cancellationToken) => context.TargetSymbol.ContainingType is { } type && ModelParser.IsFirstAttributedMemberOfUnattributedClass(context.TargetSymbol, type, context.Attributes[0].AttributeClass)
                    ? Parse(type, context.SemanticModel.Compilation, cancellationToken)
                    : null)
            .WithTrackingName(CompactionTrackingNames.MemberTargets);

        // A class is reached from its own attribute or from its first attributed member (the others give nothing, so a
        // class of n layers costs one parse, not n): one spec per class.
        var specs = fromClassAttributes.Collect()
            .Combine(fromMemberAttributes.Collect())
            .SelectMany(static (pair, _) => Distinct(pair.Left, pair.Right))
            .WithTrackingName(CompactionTrackingNames.Specs);

        context.RegisterSourceOutput(specs, static (output, spec) => output.AddSource(spec.HintName, CompactionEmitter.Emit(spec)));
    }

    private static ImmutableArray<CompactionSpec> Distinct(ImmutableArray<CompactionSpec?> fromClasses, ImmutableArray<CompactionSpec?> fromMembers)
    {
        var seen = new HashSet<string>();
        var specs = ImmutableArray.CreateBuilder<CompactionSpec>();
        foreach (var spec in fromClasses.Concat(fromMembers))
        {
            if (spec is not null && seen.Add(spec.HintName)) specs.Add(spec);
        }

        return specs.ToImmutable();
    }
}

/// <summary>Names of the compaction pipeline's steps, for incrementality tests.</summary>
internal static class CompactionTrackingNames
{
    public const string ClassTargets = "CompactionClassTargets";
    public const string MemberTargets = "CompactionMemberTargets";
    public const string Specs = "CompactionSpecs";
}
