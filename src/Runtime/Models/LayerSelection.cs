using System;
using System.Collections.Generic;

namespace PruneSharp;

/// <summary>
/// Which layers a model-level or container-level declaration reaches, besides the layer kinds its granularity fits:
/// name patterns, kinds, and whether it may prune the model's output layer.
/// </summary>
/// <remarks>
/// Patterns are globs over dotted layer names (<c>*</c> and <c>?</c> within a segment, <c>**</c> for any number of
/// segments; a pattern that matches a module's path covers every layer under it): see <c>docs/existing-models.md</c>.
/// A declaration of a block class matches names relative to the block (<c>conv1</c>, <c>downsample.0</c>); the
/// imperative entry (<see cref="Pruning.Of"/>) matches full names. <see cref="PruneAttribute"/> carries the same
/// selection (<see cref="PruneAttribute.Include"/>, <see cref="PruneAttribute.Exclude"/>, <see cref="PruneAttribute.Kinds"/>,
/// <see cref="PruneAttribute.IncludeOutputLayer"/>); the generator checks its patterns and writes it into the class's declarations.
/// </remarks>
public sealed record LayerSelection
{
    /// <summary>Every layer the granularity fits, the output layer excepted.</summary>
    public static LayerSelection All { get; } = new();

    /// <summary>When not empty, only layers matching one of these patterns are reached.</summary>
    public IReadOnlyList<string> Include { get; init; } = Array.Empty<string>();

    /// <summary>Layers matching one of these patterns are not reached.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = Array.Empty<string>();

    /// <summary>When not empty, only layers of these kinds are reached.</summary>
    public IReadOnlyList<LayerKind> Kinds { get; init; } = Array.Empty<LayerKind>();

    /// <summary>
    /// Whether the declaration may prune the model's output layer (the last prunable layer in the root model's
    /// depth-first module order). Off by default: removing classifier rows removes classes.
    /// </summary>
    public bool IncludeOutputLayer { get; init; }
}
