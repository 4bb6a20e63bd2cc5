using System;
using System.Linq;
using PruneSharp.Tests.Models;

namespace PruneSharp.Tests;

/// <summary>Creates the generated test model of a (layer kind, granularity).</summary>
internal static class GranularityModelCatalog
{
    public static IPrunableModule Create(LayerKind kind, Granularity granularity)
    {
        var typeName = $"PruneSharp.Tests.Models.{kind}{granularity}Model";
        var type = typeof(Conv2dFilterModel).Assembly.GetType(typeName) ?? throw new InvalidOperationException($"No test model {typeName}.");
        return (IPrunableModule)Activator.CreateInstance(type)!;
    }

    public static PrunedLayer LayerOfShape(IPrunableModule model, int[] shape) =>
        model.PrunedLayers.Single(layer => layer.Weight.shape.SequenceEqual(shape.Select(size => (long)size)));
}
