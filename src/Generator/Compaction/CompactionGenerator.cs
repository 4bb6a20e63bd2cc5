using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
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
        var fromClassAttributes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypeNames.PruneAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                static (context, cancellationToken) => CompactionParser.Parse((INamedTypeSymbol)context.TargetSymbol, context.SemanticModel.Compilation, null, cancellationToken))
            .WithTrackingName(CompactionTrackingNames.ClassTargets);

        var fromMemberAttributes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypeNames.PruneAttribute,
                static (node, _) => node is VariableDeclaratorSyntax or PropertyDeclarationSyntax,
                static (context, cancellationToken) => context.TargetSymbol.ContainingType is { } type
                    ? CompactionParser.Parse(type, context.SemanticModel.Compilation, null, cancellationToken)
                    : null)
            .WithTrackingName(CompactionTrackingNames.MemberTargets);

        // A class can be reached from its own attribute and from each attributed member: one spec per class.
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
