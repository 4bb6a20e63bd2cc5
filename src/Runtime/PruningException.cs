using System;

namespace PruneSharp;

/// <summary>
/// Thrown when a mask cannot be computed for a layer: a sparsity that would remove every group, a NaN weight,
/// a weight whose shape or element type does not fit the layer's declaration.
/// </summary>
public sealed class PruningException : Exception
{
    /// <summary>Creates the exception for the layer named <paramref name="layerName"/>.</summary>
    public PruningException(string layerName, string message)
        : base($"Layer '{layerName}': {message}")
    {
        LayerName = layerName;
    }

    /// <summary>The name of the layer the error is about (<see cref="PrunedLayer.Name"/>: its dotted path in the model), or <c>(global)</c>.</summary>
    public string LayerName { get; }
}
