// Compiled into both PruneSharp.Generator and PruneSharp.Runtime (see FlowProgram.cs).
using System.Collections.Generic;
using System.Collections.Immutable;

namespace PruneSharp.Compaction;

/// <summary>Why a channel space keeps every channel.</summary>
internal enum FlowStop
{
    /// <summary>Code of forward that compaction does not follow (PRUNE031).</summary>
    Unfollowed,

    /// <summary>The model's input or output (PRUNE032).</summary>
    Boundary,

    /// <summary>A Linear reads the channels flattened, and their block size does not fit (PRUNE033).</summary>
    FlattenedSize,

    /// <summary>A layer compaction cannot shrink, e.g. a grouped convolution (PRUNE034).</summary>
    Layer,
}

/// <summary>Why a channel space keeps every channel, and where: the program and step, when a step says it.</summary>
internal sealed record FlowBlocker(FlowStop Stop, string Reason, FlowClass? Program, int Site);

/// <summary>One Conv2d, Linear or BatchNorm the flow reached, with the channel spaces of its input and output.</summary>
internal sealed class FlowLayer<TNode>(TNode node, FlowModuleKind kind, bool depthwise)
    where TNode : class
{
    public TNode Node { get; } = node;

    public FlowModuleKind Kind { get; } = kind;

    /// <summary>A depthwise convolution: its input and output channels are one space.</summary>
    public bool Depthwise { get; } = depthwise;

    /// <summary>The space of its input channels (for BatchNorm: its channels).</summary>
    public int InputSpace { get; set; } = -1;

    /// <summary>The space of its output channels (Conv2d and Linear).</summary>
    public int OutputSpace { get; set; } = -1;

    /// <summary>For BatchNorm: the producers of what it normalizes, over all its calls.</summary>
    public FlowProducers BatchNormInputs { get; set; } = FlowProducers.None;

    public bool IsProducer => Kind is FlowModuleKind.Conv2d or FlowModuleKind.Linear;

    public bool IsBatchNorm => Kind is FlowModuleKind.BatchNorm1d or FlowModuleKind.BatchNorm2d;
}

/// <summary>The layers whose outputs were summed into a value; <see cref="HasOtherSources"/> where something else was added.</summary>
internal readonly struct FlowProducers(ImmutableSortedSet<int> layers, bool hasOtherSources)
{
    public static readonly FlowProducers None = new(ImmutableSortedSet<int>.Empty, false);

    public static readonly FlowProducers Other = new(ImmutableSortedSet<int>.Empty, true);

    public ImmutableSortedSet<int> Layers { get; } = layers ?? ImmutableSortedSet<int>.Empty;

    public bool HasOtherSources { get; } = hasOtherSources;

    public FlowProducers Union(FlowProducers other) => new(Layers.Union(other.Layers), HasOtherSources || other.HasOtherSources);
}

/// <summary>A coupled set of channels: every layer that produces, reads or normalizes them, and why it cannot shrink (if so).</summary>
internal sealed class FlowGroup<TNode>
    where TNode : class
{
    public List<FlowLayer<TNode>> Producers { get; } = [];

    public List<FlowLayer<TNode>> Consumers { get; } = [];

    public List<FlowLayer<TNode>> BatchNorms { get; } = [];

    public IReadOnlyList<FlowBlocker> Blockers { get; set; } = [];

    /// <summary>Whether compaction can shrink the group: it has a producer and nothing blocks it.</summary>
    public bool CanShrink => Producers.Count > 0 && Blockers.Count == 0;
}

/// <summary>How a value's axes relate to its channels.</summary>
internal enum FlowLayout
{
    /// <summary>Not known: the model's input, or the result of code the flow does not follow.</summary>
    Unknown,

    /// <summary>[N, C, H, W].</summary>
    Spatial,

    /// <summary>[N, C].</summary>
    Vector,

    /// <summary>[N, C·H·W], channel-major blocks of H·W.</summary>
    Flattened,

    /// <summary>[..., C]: channels on the last axis of a tensor of unknown rank (a Linear applied to the model's input).</summary>
    LastAxis,
}

/// <summary>A tensor value: which channel space its channel axis indexes, and how.</summary>
internal readonly struct FlowValue(int space, FlowLayout layout, FlowProducers producers, long? flatSize)
{
    public int Space { get; } = space;

    public FlowLayout Layout { get; } = layout;

    public FlowProducers Producers { get; } = producers;

    public long? FlatSize { get; } = flatSize;

    public FlowValue WithLayout(FlowLayout layout, long? flatSize) => new(Space, layout, Producers, flatSize);
}

/// <summary>Compares by reference: a module is itself, whatever its Equals says.</summary>
internal sealed class ReferenceEqualityComparer<T> : IEqualityComparer<T>
    where T : class
{
    public static readonly ReferenceEqualityComparer<T> Instance = new();

    public bool Equals(T? x, T? y) => ReferenceEquals(x, y);

    public int GetHashCode(T obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
}
