using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using PruneSharp.Generator.Compaction;

namespace PruneSharp.Generator;

/// <summary>
/// Parses a model class once for both of the generator's outputs (pruning members, <c>Compact()</c>) and for the
/// analyzer: the pruning model (<see cref="ModelParser"/>) and the compaction plan (<see cref="CompactionParser"/>)
/// share one <see cref="ClassBinding"/>, so each factory call and constructor is bound once.
/// </summary>
internal static class ModelClassParser
{
    /// <summary>The methods whose bodies the parse reads besides constructors: the compaction plan follows <c>forward</c>.</summary>
    public static readonly string[] ReadBodies = ["forward"];

    /// <summary>Parses <paramref name="type"/>; null where nothing is generated for it. Diagnostics are added to <paramref name="diagnostics"/> when given.</summary>
    public static ModelClass? Parse(INamedTypeSymbol type, Compilation compilation, List<Diagnostic>? diagnostics, CancellationToken cancellationToken)
    {
        var binding = new ClassBinding(type, compilation, cancellationToken);
        var model = ModelParser.Parse(type, binding, diagnostics, cancellationToken);
        if (model is null) return null;
        var plan = model.GeneratesCompaction ? CompactionParser.Parse(type, binding, model, diagnostics, cancellationToken) : null;
        return new ModelClass(model, plan);
    }
}
