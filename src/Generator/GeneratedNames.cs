using System.Collections.Generic;

namespace PruneSharp.Generator;

/// <summary>
/// The names of the members the generators declare on a model class: the emitters write these, and the checks
/// for names that meet (PRUNE027, PRUNE028) read them. A test compares this list with what the emitters declare.
/// </summary>
internal static class GeneratedNames
{
    /// <summary>The model-wide members of the pruning code (<see cref="Emitter"/>): the methods take no parameters.</summary>
    public static readonly IReadOnlyList<GeneratedName> ModelMembers =
    [
        new("PrunedLayers", IsMethod: false),
        new("ComputeMasks", IsMethod: true),
        new("ApplyMasks", IsMethod: true),
        new("PruningScope", IsMethod: false),
        new("GetSparsityReport", IsMethod: true),
        new("GlobalSettings", IsMethod: false),
        new(TreeField, IsMethod: false),
        new(TreeProperty, IsMethod: false),
    ];

    /// <summary>The field that holds the model's pruning tree once built.</summary>
    public const string TreeField = "__pruneSharpTree";

    /// <summary>The property that builds the model's pruning tree on first use.</summary>
    public const string TreeProperty = "__PruneSharpTree";

    /// <summary>
    /// The members of the compaction code (<c>CompactionEmitter</c>): <c>Compact()</c>, <c>ZeroPrunedChannels()</c> and
    /// the static field that holds the class's compaction plan.
    /// </summary>
    public static readonly IReadOnlyList<GeneratedName> CompactionMembers =
    [
        new("Compact", IsMethod: true),
        new("ZeroPrunedChannels", IsMethod: true),
        new(Compaction.CompactionEmitter.PlanField, IsMethod: false),
    ];

    /// <summary>The members generated for one layer, from its member name in PascalCase (<see cref="CSharpNames.PascalCase"/>).</summary>
    public static IReadOnlyList<GeneratedName> LayerMembers(string pascalName) =>
    [
        new(LayerProperty(pascalName), IsMethod: false),
        new(LayerClass(pascalName), IsMethod: false),
        new(LayerField(pascalName), IsMethod: false),
    ];

    /// <summary>The layer's typed pruning property: <c>Conv1Pruning</c>.</summary>
    public static string LayerProperty(string pascalName) => pascalName + "Pruning";

    /// <summary>The layer's generated <c>PrunedLayer</c> subclass, nested in the model: <c>Conv1PrunedLayer</c>.</summary>
    public static string LayerClass(string pascalName) => pascalName + "PrunedLayer";

    /// <summary>The field that holds the layer's pruning state once created: <c>__pruneSharpConv1</c>.</summary>
    public static string LayerField(string pascalName) => "__pruneSharp" + pascalName;
}

/// <summary>A member name the generated code declares; methods take no parameters.</summary>
internal readonly record struct GeneratedName(string Name, bool IsMethod);
