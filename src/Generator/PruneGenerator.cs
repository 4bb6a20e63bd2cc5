using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PruneSharp.Generator;

/// <summary>
/// Generates the pruning members of every <c>partial</c> TorchSharp module class that uses <c>[Prune]</c>, on the
/// class or on its layer fields and properties. Diagnostics come from <see cref="PruneAnalyzer"/>; this generator
/// emits only what that analyzer accepts.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class PruneGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // The transforms rerun on every edit; an edit inside a method body reuses the class's last parse.
        var cache = new ClassParseCache<ModelSpec>();
        ModelSpec? Parse(INamedTypeSymbol type, Compilation compilation, CancellationToken cancellationToken) =>
            cache.GetOrParse(type, compilation, () => ModelParser.Parse(type, compilation, null, cancellationToken), cancellationToken);

        var fromClassAttributes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypeNames.PruneAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                (context, cancellationToken) => Parse((INamedTypeSymbol)context.TargetSymbol, context.SemanticModel.Compilation, cancellationToken))
            .WithTrackingName(TrackingNames.ClassTargets);

        // A class without its own [Prune] is parsed once, from its first attributed member; the others give nothing,
        // so a class of n layers costs one parse, not n.
        var fromMemberAttributes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypeNames.PruneAttribute,
                static (node, _) => node is VariableDeclaratorSyntax or PropertyDeclarationSyntax,
                (context, cancellationToken) => context.TargetSymbol.ContainingType is { } type && ModelParser.IsFirstAttributedMemberOfUnattributedClass(context.TargetSymbol, type, context.Attributes[0].AttributeClass)
                    ? Parse(type, context.SemanticModel.Compilation, cancellationToken)
                    : null)
            .WithTrackingName(TrackingNames.MemberTargets);

        // A class is reached from its own attribute or from its first attributed member: one model per class.
        var models = fromClassAttributes.Collect()
            .Combine(fromMemberAttributes.Collect())
            .SelectMany(static (pair, _) => Distinct(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.Models);

        context.RegisterSourceOutput(models, static (output, model) => output.AddSource(model.HintName, Emitter.Emit(model)));
    }

    private static ImmutableArray<ModelSpec> Distinct(ImmutableArray<ModelSpec?> fromClasses, ImmutableArray<ModelSpec?> fromMembers)
    {
        var seen = new HashSet<string>();
        var models = ImmutableArray.CreateBuilder<ModelSpec>();
        foreach (var model in fromClasses.Concat(fromMembers))
        {
            if (model is not null && seen.Add(model.HintName)) models.Add(model);
        }

        return models.ToImmutable();
    }
}
