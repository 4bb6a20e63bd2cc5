using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PruneSharp.Generator.Compaction;

/// <summary>What a model's layer is to the dependency graph.</summary>
internal enum LayerRole
{
    /// <summary>Produces output channels from input channels.</summary>
    Conv2d,

    /// <summary>Produces output features from input features (channels or channel-major flattened blocks).</summary>
    Linear,

    /// <summary>Normalizes each feature of a [N, C] tensor on its own.</summary>
    BatchNorm1d,

    /// <summary>Normalizes each channel of a [N, C, H, W] tensor on its own.</summary>
    BatchNorm2d,

    /// <summary>Maps each channel on its own and keeps a zero channel zero: activations, pooling, dropout, identity.</summary>
    PassThrough,

    /// <summary>A <c>Flatten</c> from dim 1 to the last.</summary>
    Flatten,

    /// <summary>A module whose inside the graph does not follow.</summary>
    Opaque,
}

/// <summary>How a tensor value's axes relate to its channels.</summary>
internal enum TensorLayout
{
    /// <summary>Not known: the model's input, or the result of code the graph does not follow.</summary>
    Unknown,

    /// <summary>[N, C, H, W]: channels on dim 1, then spatial dims.</summary>
    Spatial,

    /// <summary>[N, C]: one feature per channel.</summary>
    Vector,

    /// <summary>[N, C × H × W]: a spatial tensor flattened from dim 1, channel-major blocks of H × W.</summary>
    Flattened,

    /// <summary>[..., C]: channels on the last axis of a tensor of unknown rank (a Linear applied to the model's input).</summary>
    LastAxis,
}

/// <summary>A layer of the model, as the dependency graph sees it.</summary>
internal sealed class GraphLayer
{
    public GraphLayer(ISymbol member, LayerRole role, long? inputSize, long? outputSize, string? notRebuildable)
    {
        Member = member;
        Role = role;
        InputSize = inputSize;
        OutputSize = outputSize;
        NotRebuildable = notRebuildable;
    }

    public ISymbol Member { get; }

    public string Name => Member.Name;

    public LayerRole Role { get; }

    /// <summary>The input channels or features, where the layer's factory call gives them as constants.</summary>
    public long? InputSize { get; }

    /// <summary>The output channels or features (for BatchNorm: the features), where the factory call gives them as constants.</summary>
    public long? OutputSize { get; }

    /// <summary>Why <c>Compact()</c> cannot rebuild this layer (grouped, built where the generator cannot see), or null.</summary>
    public string? NotRebuildable { get; }

    /// <summary>The space of its input channels (for BatchNorm: its channels), or -1 before forward uses it.</summary>
    public int InputSpace { get; set; } = -1;

    /// <summary>The space of its output channels (Conv2d and Linear), or -1 before forward calls it.</summary>
    public int OutputSpace { get; set; } = -1;

    /// <summary>Whether forward calls or otherwise uses the layer.</summary>
    public bool Used { get; set; }

    /// <summary>For BatchNorm: the producers of the values it normalizes, over all its calls.</summary>
    public Producers BatchNormInputs { get; set; } = Producers.None;

    public bool HasChannels => Role is LayerRole.Conv2d or LayerRole.Linear or LayerRole.BatchNorm1d or LayerRole.BatchNorm2d;

    public bool IsProducer => Role is LayerRole.Conv2d or LayerRole.Linear;
}

/// <summary>
/// The layers whose outputs were summed into a tensor value, through ops that keep a zero channel zero.
/// <see cref="HasOtherSources"/> marks a value that also holds something else (the model's input, unknown code).
/// </summary>
internal readonly struct Producers
{
    public static readonly Producers None = new(ImmutableSortedSet<int>.Empty, false);

    public Producers(ImmutableSortedSet<int> layers, bool hasOtherSources)
    {
        Layers = layers ?? ImmutableSortedSet<int>.Empty;
        HasOtherSources = hasOtherSources;
    }

    public ImmutableSortedSet<int> Layers { get; }

    public bool HasOtherSources { get; }

    public static Producers Other => new(ImmutableSortedSet<int>.Empty, true);

    public Producers Union(Producers other) => new(Layers.Union(other.Layers), HasOtherSources || other.HasOtherSources);
}

/// <summary>Why a channel space cannot shrink, and where forward shows it.</summary>
internal sealed class Blocker
{
    public Blocker(DiagnosticDescriptor descriptor, Location? location, string reason)
    {
        Descriptor = descriptor;
        Location = location;
        Reason = reason;
    }

    public DiagnosticDescriptor Descriptor { get; }

    public Location? Location { get; }

    /// <summary>The end of the diagnostic's message: why the channels stay.</summary>
    public string Reason { get; }
}

/// <summary>A tensor value of forward: which channel space its channel axis indexes, and how.</summary>
internal readonly struct TensorValue
{
    public TensorValue(int space, TensorLayout layout, Producers producers, long? flatSize = null)
    {
        Space = space;
        Layout = layout;
        Producers = producers;
        FlatSize = flatSize;
    }

    public int Space { get; }

    public TensorLayout Layout { get; }

    public Producers Producers { get; }

    /// <summary>For a view to [-1, K]: K. The Linear that reads it must have K input features.</summary>
    public long? FlatSize { get; }

    public TensorValue WithLayout(TensorLayout layout, long? flatSize = null) => new(Space, layout, Producers, flatSize);
}

/// <summary>
/// The dependency graph of a model's layers, read from its <c>forward</c> by abstract interpretation: every tensor
/// value's channel axis indexes a channel space; a Conv2d or Linear call consumes its argument's space and produces
/// its own; BatchNorm and the ops that map each channel on its own (activations, pooling, dropout) keep the space; an
/// addition merges the two spaces into one (a residual connection couples them, as in DepGraph). Code the graph does
/// not follow blocks every space it touches, so a channel is never removed on a guess.
/// </summary>
internal sealed partial class ForwardGraph
{
    private readonly List<int> _parents = [];
    private readonly List<List<Blocker>> _blockers = [];
    private readonly List<GraphLayer> _layers;
    private readonly Dictionary<ISymbol, int> _layerIndex = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ILocalSymbol, TensorValue> _locals = new(SymbolEqualityComparer.Default);
    private readonly List<(GraphLayer Layer, int Space, long? FlatSize, Location Location)> _flattenedReads = [];
    private readonly INamedTypeSymbol _tensorType;
    private readonly CancellationToken _cancellationToken;
    private IParameterSymbol? _input;
    private int _inputSpace = -1;

    private ForwardGraph(IReadOnlyList<GraphLayer> layers, INamedTypeSymbol tensorType, CancellationToken cancellationToken)
    {
        _layers = layers.ToList();
        for (var index = 0; index < _layers.Count; index++) _layerIndex[_layers[index].Member] = index;
        _tensorType = tensorType;
        _cancellationToken = cancellationToken;
    }

    public IReadOnlyList<GraphLayer> Layers => _layers;

    /// <summary>Whether a forward body was found and read.</summary>
    public bool ReadForward { get; private set; }

    /// <summary>Builds the graph from <paramref name="forwardBody"/> (null when the class has no forward to read).</summary>
    public static ForwardGraph Build(IReadOnlyList<GraphLayer> layers, INamedTypeSymbol tensorType, IMethodBodyOperation? forwardBody, IParameterSymbol? input, CancellationToken cancellationToken)
    {
        var graph = new ForwardGraph(layers, tensorType, cancellationToken);
        if (forwardBody is not null && input is not null)
        {
            graph._input = input;
            graph.ReadForward = true;
            graph.VisitStatement(forwardBody.BlockBody ?? forwardBody.ExpressionBody);
            graph.CheckFlattenedReads();
        }

        return graph;
    }

    /// <summary>The representative of a space's class (spaces merged by additions and shared layers).</summary>
    public int Find(int space)
    {
        while (_parents[space] != space)
        {
            _parents[space] = _parents[_parents[space]];
            space = _parents[space];
        }

        return space;
    }

    /// <summary>Why the space of <paramref name="space"/> cannot shrink; empty when it can.</summary>
    public IReadOnlyList<Blocker> BlockersOf(int space) => _blockers[Find(space)];

    /// <summary>The channel count of a space, where a producer's factory call gives it as a constant.</summary>
    private long? KnownChannels(int space)
    {
        var root = Find(space);
        foreach (var layer in _layers)
        {
            if (layer.IsProducer && layer.OutputSpace >= 0 && Find(layer.OutputSpace) == root && layer.OutputSize is { } size) return size;
        }

        return null;
    }

    private int NewSpace()
    {
        _parents.Add(_parents.Count);
        _blockers.Add([]);
        return _parents.Count - 1;
    }

    private void Union(int left, int right)
    {
        left = Find(left);
        right = Find(right);
        if (left == right) return;

        // The lower index stays the root, so the merged blockers keep forward's order.
        if (right < left) (left, right) = (right, left);
        _parents[right] = left;
        _blockers[left].AddRange(_blockers[right]);
        _blockers[right].Clear();
    }

    private void Block(int space, Blocker blocker) => _blockers[Find(space)].Add(blocker);

    private void EnsureSpaces(GraphLayer layer)
    {
        if (layer.InputSpace < 0)
        {
            layer.InputSpace = NewSpace();
            if (layer.NotRebuildable is { } reason) Block(layer.InputSpace, LayerBlocker(layer, reason));
        }

        if (layer.IsProducer && layer.OutputSpace < 0)
        {
            layer.OutputSpace = NewSpace();
            if (layer.NotRebuildable is { } reason) Block(layer.OutputSpace, LayerBlocker(layer, reason));
        }
    }

    private static Blocker LayerBlocker(GraphLayer layer, string reason) =>
        new(DiagnosticDescriptors.LayerCannotBeCompacted, layer.Member.Locations.FirstOrDefault(), reason);

    /// <summary>A Linear that reads a flattened spatial tensor needs the block size (H × W) to be known at compile time.</summary>
    private void CheckFlattenedReads()
    {
        foreach (var (layer, space, flatSize, location) in _flattenedReads)
        {
            var channels = KnownChannels(space);
            var features = layer.InputSize;
            string? problem = null;
            if (features is null || channels is null)
            {
                problem = $"'{layer.Name}' reads them flattened, and the number of features per channel is not known at compile time ({(features is null ? $"the input size of '{layer.Name}'" : "the channel count")} is not a constant)";
            }
            else if (features.Value % channels.Value != 0)
            {
                problem = $"'{layer.Name}' reads them flattened, but its {features.Value} input features are not a whole number of blocks of {channels.Value} channels";
            }
            else if (flatSize is { } size && size != features.Value)
            {
                problem = $"'{layer.Name}' reads them flattened to {size} features, but it has {features.Value} input features";
            }

            if (problem is not null) Block(space, new Blocker(DiagnosticDescriptors.FlattenedSizeNotKnown, location, problem));
        }
    }
}
