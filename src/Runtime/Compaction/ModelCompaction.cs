using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Compaction;

/// <summary>
/// Compaction of a model in place, from its <see cref="CompactionPlan"/>: the code PruneSharp generates for a
/// <c>[Prune]</c> model's <c>Compact()</c> and <c>ZeroPrunedChannels()</c> calls these.
/// </summary>
/// <remarks>
/// The plan's forward programs are run over the model's real module tree (fields and properties, <c>Sequential</c>
/// children, block classes), so the channel groups follow whatever the constructor built, with any arguments. The
/// masks (each layer's <c>weight_mask</c> buffer) then decide which channels of each group go.
/// </remarks>
public static class ModelCompaction
{
    /// <summary>
    /// Shrinks <paramref name="model"/> in place: every channel that the masks remove entirely (a pruned filter or output
    /// neuron of every layer that produces it, or an input that no layer reads) leaves each layer its group couples it
    /// to, BatchNorm parameters and running statistics included. Weights are multiplied by their masks first; masks stay,
    /// sliced. After <c>ApplyMasks()</c> and <see cref="ZeroPrunedChannels"/> the model computes what it computed before.
    /// </summary>
    /// <returns>What changed, and why the pruned layers that kept their size kept it.</returns>
    /// <exception cref="PruningException">A layer's size does not fit its group; the model is unchanged.</exception>
    /// <exception cref="ArgumentException">The plan is for another model class.</exception>
    public static CompactionReport Compact(nn.Module model, CompactionPlan plan)
    {
        var (host, flow) = Run(model, plan);
        using var locks = LockMasks(model);
        var parametersBefore = ParameterCount(model);
        var shapesBefore = flow.Layers.Select(layer => WeightShape(layer.Node)).ToList();

        // Decide every group first (this reads the masks and checks sizes), then compute every new tensor, then commit:
        // an error leaves the model as it was.
        var shrinkable = new Dictionary<FlowGroup<nn.Module>, ChannelGroup>();
        foreach (var group in flow.Groups().Where(group => group.CanShrink))
        {
            var channels = new ChannelGroup(string.Join(" + ", group.Producers.Select(layer => host.Name(layer.Node))));
            foreach (var producer in group.Producers) channels.AddProducer(host.Name(producer.Node), producer.Node);
            foreach (var consumer in group.Consumers) channels.AddConsumer(host.Name(consumer.Node), consumer.Node);
            _ = channels.KeptChannels;
            shrinkable[group] = channels;
        }

        var decided = shrinkable.Where(pair => pair.Value.KeptChannels.Count < pair.Value.Channels).ToDictionary(pair => pair.Key, pair => pair.Value);

        ChannelGroup? Decided(int space) => flow.GroupOf(space) is { } group && decided.TryGetValue(group, out var channels) ? channels : null;

        var edits = new List<LayerEdit>();
        foreach (var layer in flow.Layers)
        {
            var outputs = Decided(layer.IsProducer ? layer.OutputSpace : layer.InputSpace);
            var inputs = layer.IsProducer && !layer.Depthwise ? Decided(layer.InputSpace) : null;
            if (outputs is null && inputs is null) continue;
            edits.Add(LayerCompaction.Prepare(host.Name(layer.Node), layer.Node, outputs, inputs));
        }

        // The notes read the masks as they are before the commit slices them.
        var notes = Notes(host, flow, model, shrinkable);
        foreach (var edit in edits) edit.Commit();

        var layers = flow.Layers.Select((layer, index) => new CompactedLayer(host.Name(layer.Node), layer.Node.GetType().Name, shapesBefore[index], WeightShape(layer.Node))).ToList();
        return new CompactionReport(layers, notes, parametersBefore, ParameterCount(model));
    }

    /// <summary>
    /// Makes every pruned filter and output neuron silent: zeroes the bias of each Conv2d or Linear where its mask
    /// removes a whole filter or output neuron, and the weight and bias of each BatchNorm that forward applies to such
    /// channels only. A mask zeroes only weights; without this a removed filter still outputs its bias (through
    /// BatchNorm, a constant), and <see cref="Compact"/> would change the outputs. Call it after <c>ApplyMasks()</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The plan is for another model class.</exception>
    public static void ZeroPrunedChannels(nn.Module model, CompactionPlan plan)
    {
        var (host, flow) = Run(model, plan);
        using var locks = LockMasks(model);
        foreach (var layer in flow.Layers)
        {
            if (layer.IsProducer)
            {
                PrunedChannels.ZeroBias(host.Name(layer.Node), layer.Node);
            }
            else if (layer.Node is BatchNorm batchNorm && !layer.BatchNormInputs.HasOtherSources && !layer.BatchNormInputs.Layers.IsEmpty)
            {
                var producers = layer.BatchNormInputs.Layers.Select(index => flow.Layers[index].Node).Select(node => (host.Name(node), node)).ToArray();
                PrunedChannels.ZeroBatchNorm(host.Name(batchNorm), batchNorm, producers);
            }
        }
    }

    /// <summary>
    /// Takes the locks of the model's pruned layers (where it is an <see cref="IPrunableModule"/>), in the mask pass's
    /// order, so that no pass on another thread writes a mask while compaction reads and slices it; and lets every mask
    /// that a <c>.to()</c> left behind follow its weight first, as the slicing multiplies the two.
    /// </summary>
    private static LayerLocks LockMasks(nn.Module model)
    {
        PrunedLayer[] layers = model is IPrunableModule prunable ? [.. prunable.PrunedLayers] : [];
        var locks = LayerLocks.Enter(layers);
        try
        {
            foreach (var layer in layers) layer.CurrentMask();
        }
        catch
        {
            locks.Dispose();
            throw;
        }

        return locks;
    }

    /// <summary>The coupled groups of <paramref name="model"/>'s channels, as the plan's programs show them, by layer name.</summary>
    internal static ChannelFlow<nn.Module> Flow(nn.Module model, CompactionPlan plan) => Run(model, plan).Flow;

    private static (ModuleTreeHost Host, ChannelFlow<nn.Module> Flow) Run(nn.Module model, CompactionPlan plan)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(plan);
        if (model.GetType().FullName != plan.ModelType)
        {
            throw new ArgumentException($"The compaction plan is for '{plan.ModelType}', but the model is a '{model.GetType().FullName}'.", nameof(plan));
        }

        var host = new ModuleTreeHost(model, plan);
        return (host, ChannelFlow<nn.Module>.Run(host, model));
    }

    /// <summary>For every layer with a mask whose removed units stay: why.</summary>
    private static List<string> Notes(ModuleTreeHost host, ChannelFlow<nn.Module> flow, nn.Module model, Dictionary<FlowGroup<nn.Module>, ChannelGroup> shrinkable)
    {
        var notes = new List<string>();
        var reached = new HashSet<nn.Module>(flow.Layers.Select(layer => layer.Node), ReferenceEqualityComparer<nn.Module>.Instance);
        foreach (var layer in flow.Layers.Where(layer => layer.IsProducer && ChannelGroup.MaskOf(layer.Node) is not null))
        {
            var group = flow.GroupOf(layer.OutputSpace);
            if (group is { CanShrink: false })
            {
                var reason = group.Blockers.FirstOrDefault() is { } blocker ? Describe(blocker) : "no layer produces them";
                notes.Add($"'{host.Name(layer.Node)}' keeps its output channels: {reason}");
            }
            else if (group is not null && shrinkable.TryGetValue(group, out var channels) && CoupledKeep(host, layer.Node, group, channels) is { } note)
            {
                notes.Add(note);
            }
        }

        foreach (var (name, module) in model.named_modules())
        {
            if (module is (Conv2d or Linear) && ChannelGroup.MaskOf(module) is not null && !reached.Contains(module))
            {
                notes.Add($"'{name}' keeps its size: forward never calls it, or calls it in code that Compact() does not follow");
            }
        }

        return notes;
    }

    /// <summary>
    /// A producer whose mask removes output channels that its group keeps: the other layers that produce the group's
    /// channels (a residual addition, a depthwise convolution, a layer called twice) keep them, or have no mask.
    /// </summary>
    private static string? CoupledKeep(ModuleTreeHost host, nn.Module layer, FlowGroup<nn.Module> group, ChannelGroup channels)
    {
        var name = host.Name(layer);
        var removed = ChannelGroup.RemovedOutputs(name, layer);
        if (removed is null) return null;
        var kept = new HashSet<long>(channels.KeptChannels);
        var stay = Enumerable.Range(0, removed.Length).Where(channel => removed[channel] && kept.Contains(channel)).ToList();
        if (stay.Count == 0) return null;

        var others = group.Producers.Select(producer => producer.Node).Where(node => !ReferenceEquals(node, layer)).Distinct(ReferenceEqualityComparer<nn.Module>.Instance).ToList();
        var othersRemoved = others.Select(other => ChannelGroup.RemovedOutputs(host.Name(other), other)).ToList();
        var unmasked = others.Where((_, index) => othersRemoved[index] is null).Select(host.Name).ToList();
        static string List(IEnumerable<string> names) => string.Join(", ", names.Select(other => $"'{other}'"));
        string reason;
        if (stay.All(channel => othersRemoved.All(flags => flags is not null && flags[channel])))
        {
            reason = "every channel of its group would go, and the first stays (it carries zeros) so that no layer is left without channels";
        }
        else if (unmasked.Count > 0)
        {
            reason = $"forward couples them with the output channels of {List(others.Select(host.Name))}, and {List(unmasked)} {(unmasked.Count == 1 ? "has" : "have")} no mask, so none of these channels goes";
        }
        else
        {
            reason = $"forward couples them with the output channels of {List(others.Select(host.Name))} (a residual addition, a depthwise convolution or a layer called twice), and a coupled channel goes only where every one of their masks removes it too";
        }

        return $"'{name}' keeps {stay.Count} of its {removed.Count(flag => flag)} pruned output channels: {reason}";
    }

    private static string Describe(FlowBlocker blocker) =>
        blocker.Program is { } program ? $"{blocker.Reason} (in {program.TypeName}.forward)" : blocker.Reason;

    private static long[] WeightShape(nn.Module layer) => layer switch
    {
        Convolution conv => conv.weight.shape,
        Linear linear => linear.weight.shape,
        BatchNorm batchNorm => [batchNorm.num_features],
        _ => [],
    };

    private static long ParameterCount(nn.Module model) => model.parameters().Sum(parameter => parameter.numel());
}

/// <summary>One Conv2d, Linear or BatchNorm that forward reaches, with its weight shape before and after compaction (for BatchNorm: its feature count).</summary>
public sealed class CompactedLayer
{
    internal CompactedLayer(string name, string kind, IReadOnlyList<long> shapeBefore, IReadOnlyList<long> shapeAfter)
    {
        Name = name;
        Kind = kind;
        ShapeBefore = shapeBefore;
        ShapeAfter = shapeAfter;
    }

    /// <summary>The layer's dotted name in the model (<c>layer1.0.conv1</c>).</summary>
    public string Name { get; }

    /// <summary>The layer's type name.</summary>
    public string Kind { get; }

    /// <summary>The weight shape before compaction.</summary>
    public IReadOnlyList<long> ShapeBefore { get; }

    /// <summary>The weight shape after compaction.</summary>
    public IReadOnlyList<long> ShapeAfter { get; }

    /// <summary>Whether compaction shrank the layer.</summary>
    public bool Shrunk => !ShapeBefore.SequenceEqual(ShapeAfter);
}

/// <summary>What <see cref="ModelCompaction.Compact"/> did: the layers it reached, their shapes, and why pruned layers kept their size.</summary>
public sealed class CompactionReport
{
    internal CompactionReport(IReadOnlyList<CompactedLayer> layers, IReadOnlyList<string> notes, long parametersBefore, long parametersAfter)
    {
        Layers = layers;
        Notes = notes;
        ParametersBefore = parametersBefore;
        ParametersAfter = parametersAfter;
    }

    /// <summary>Every Conv2d, Linear and BatchNorm that forward reaches, in the order it reaches them.</summary>
    public IReadOnlyList<CompactedLayer> Layers { get; }

    /// <summary>For each layer with a mask whose removed units stay in the model: its dotted name and why (the run-time form of PRUNE031–PRUNE034).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>The model's parameter count before compaction.</summary>
    public long ParametersBefore { get; }

    /// <summary>The model's parameter count after compaction.</summary>
    public long ParametersAfter { get; }

    /// <inheritdoc/>
    public override string ToString()
    {
        var lines = new List<string> { $"parameters: {ParametersBefore:N0} → {ParametersAfter:N0}" };
        lines.AddRange(Layers.Where(layer => layer.Shrunk).Select(layer => $"{layer.Name}: [{string.Join(", ", layer.ShapeBefore)}] → [{string.Join(", ", layer.ShapeAfter)}]"));
        lines.AddRange(Notes);
        return string.Join(Environment.NewLine, lines);
    }
}
