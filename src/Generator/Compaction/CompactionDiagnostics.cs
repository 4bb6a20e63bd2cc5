using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using PruneSharp.Compaction;

namespace PruneSharp.Generator.Compaction;

/// <summary>
/// The PRUNE030–PRUNE034 information diagnostics, from the compile-time run of the channel flow: which pruned layer
/// <c>Compact()</c> keeps at full size and why, and where the forward of a block class stops the flow.
/// </summary>
internal static class CompactionDiagnostics
{
    private enum Side
    {
        Output,
        Input,
    }

    /// <summary>One note per pruned layer of the model class that <c>Compact()</c> does not shrink.</summary>
    public static void ReportPrunedLayers(
        INamedTypeSymbol type,
        ModelSpec model,
        ChannelFlow<StaticModule> flow,
        StaticModules host,
        StaticModule root,
        INamedTypeSymbol pruneAttribute,
        Func<FlowBlocker, Location?> where,
        List<Diagnostic> diagnostics,
        CancellationToken cancellationToken)
    {
        var classAttribute = ModelParser.FindPruneAttribute(type, pruneAttribute);
        var members = ModelParser.MembersInDeclarationOrder(type).Where(member => !member.IsStatic).ToList();
        // The layer members the class prunes (a layer it leaves alone as the model's output layer is not pruned);
        // layers inside containers are named in the notes of the places that keep their channels.
        foreach (var pruned in model.Layers.Where(layer => layer.PathInMember.Length == 0 && !layer.MayBeOutputLayer))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var member = members.FirstOrDefault(candidate => candidate.Name == pruned.MemberName);
            if (member is null) continue;
            var location = member.Locations.FirstOrDefault();
            host.Member(root, member.Name, out var node);
            var layer = node is null ? null : flow.Layers.FirstOrDefault(candidate => ReferenceEquals(candidate.Node, node));
            if (pruned.Kind is not (LayerKind.Conv2d or LayerKind.Linear))
            {
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.LayerCannotBeCompacted, location, member.Name, "unit", $"Compact() shrinks Conv2d and Linear layers, and '{member.Name}' is a {pruned.Kind}"));
                continue;
            }

            var granularity = DeclaredGranularity(ModelParser.FindPruneAttribute(member, pruneAttribute) ?? classAttribute);
            var side = granularity is { } declared ? StructuralSide(pruned.Kind, declared) : null;
            if (side is null)
            {
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.GranularityNotCompactable, location, member.Name, granularity?.ToString() ?? "?"));
                continue;
            }

            var unit = UnitName(pruned.Kind, side.Value);
            if (layer is null)
            {
                var reason = RootProgramReason(host, root) ?? "forward never calls it";
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.LayerCannotBeCompacted, location, member.Name, unit, reason));
                continue;
            }

            var space = side == Side.Output ? layer.OutputSpace : layer.InputSpace;
            if (flow.BlockersOf(space).FirstOrDefault() is { } first)
            {
                diagnostics.Add(Diagnostic.Create(Descriptor(first.Stop), where(first) ?? location, member.Name, unit, first.Reason));
            }
        }
    }

    /// <summary>One note per place in a block class's forward that keeps channels, naming the layers it keeps by their dotted names.</summary>
    public static void ReportNestedBlockers(INamedTypeSymbol type, ChannelFlow<StaticModule> flow, StaticModules host, Func<FlowBlocker, Location?> where, List<Diagnostic> diagnostics)
    {
        var rootName = ForwardCompiler.RuntimeName(type);
        var layersByBlocker = new Dictionary<FlowBlocker, List<string>>();
        foreach (var group in flow.Groups())
        {
            var layers = group.Producers.Concat(group.Consumers).Select(layer => host.Name(layer.Node)).Where(name => name.Length > 0).Distinct().ToList();
            if (layers.Count == 0) continue;
            foreach (var blocker in group.Blockers)
            {
                if (blocker.Program is null || blocker.Program.TypeName == rootName || blocker.Stop == FlowStop.Boundary) continue;
                if (!layersByBlocker.TryGetValue(blocker, out var names)) layersByBlocker[blocker] = names = [];
                names.AddRange(layers.Where(name => !names.Contains(name)));
            }
        }

        foreach (var pair in layersByBlocker)
        {
            if (where(pair.Key) is not { } location) continue;
            var names = pair.Value.Count <= 4
                ? string.Join("', '", pair.Value)
                : string.Join("', '", pair.Value.Take(4)) + $"' and {pair.Value.Count - 4} more layers, '";
            diagnostics.Add(Diagnostic.Create(Descriptor(pair.Key.Stop), location, names.TrimEnd('\'', ' ', ','), "channel", pair.Key.Reason));
        }
    }

    private static string? RootProgramReason(StaticModules host, StaticModule root)
    {
        var program = host.Program(root);
        return program.Ops.Count == 2 && program.Ops[0] is { Kind: FlowOpKind.Opaque, Site: -1, Reason: { } reason } ? reason : null;
    }

    private static DiagnosticDescriptor Descriptor(FlowStop stop) => stop switch
    {
        FlowStop.Boundary => DiagnosticDescriptors.ChannelsAtModelBoundary,
        FlowStop.FlattenedSize => DiagnosticDescriptors.FlattenedSizeNotKnown,
        FlowStop.Layer => DiagnosticDescriptors.LayerCannotBeCompacted,
        _ => DiagnosticDescriptors.ForwardNotFollowed,
    };

    /// <summary>The side of the layer whose whole units the granularity removes, or null where it removes none.</summary>
    private static Side? StructuralSide(LayerKind kind, Granularity granularity) => (kind, granularity) switch
    {
        (LayerKind.Conv2d, Granularity.Filter) => Side.Output,
        (LayerKind.Conv2d, Granularity.SharedKernel) => Side.Input,
        (LayerKind.Linear, Granularity.Row) => Side.Output,
        (LayerKind.Linear, Granularity.Column) => Side.Input,
        _ => null,
    };

    private static string UnitName(LayerKind kind, Side side) => (kind, side) switch
    {
        (LayerKind.Conv2d, Side.Output) => "filter",
        (LayerKind.Conv2d, Side.Input) => "input channel",
        (_, Side.Output) => "output neuron",
        _ => "input neuron",
    };

    /// <summary>The granularity a <c>[Prune]</c> declares: its first constructor argument, or N:M for the (n, m) constructor.</summary>
    private static Granularity? DeclaredGranularity(AttributeData? attribute)
    {
        var arguments = attribute?.ConstructorArguments ?? default;
        if (arguments.IsDefault || arguments.Length != 2) return null;
        return arguments[0].Value switch
        {
            int value when arguments[0].Type?.TypeKind == TypeKind.Enum => (Granularity)value,
            int => Granularity.NOfM,
            _ => null,
        };
    }
}
