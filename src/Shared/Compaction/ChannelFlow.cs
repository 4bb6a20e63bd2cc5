// Compiled into both PruneSharp.Generator and PruneSharp.Runtime (see FlowProgram.cs).
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

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

/// <summary>
/// The dependency graph of a model's channels, from the forward programs of its module classes run over its module
/// tree (DepGraph's idea, planned from the code): every tensor value's channel axis indexes a channel space; a Conv2d
/// or Linear consumes its input's space and produces its own; BatchNorm and the ops that map each channel on its own
/// keep the space; an addition, a depthwise convolution and a layer called twice merge spaces into one coupled group,
/// whose channels go only together. Code that is not followed blocks every space it touches, so a channel is never
/// removed on a guess.
/// </summary>
internal sealed class ChannelFlow<TNode>
    where TNode : class
{
    private const int MaxDepth = 64;

    private readonly IFlowHost<TNode> _host;
    private readonly List<int> _parents = [];
    private readonly List<List<FlowBlocker>> _blockers = [];
    private readonly List<FlowLayer<TNode>> _layers = [];
    private readonly Dictionary<TNode, int> _layerIndex = new(ReferenceEqualityComparer<TNode>.Instance);
    private readonly List<(FlowLayer<TNode> Linear, int Space, long? FlatSize, FlowClass Program, int Site)> _flattenedReads = [];
    private readonly HashSet<TNode> _reached = new(ReferenceEqualityComparer<TNode>.Instance);
    private TNode? _root;
    private List<FlowGroup<TNode>>? _groups;
    private Dictionary<int, FlowGroup<TNode>>? _groupByRoot;
    private int _inputSpace = -1;

    private ChannelFlow(IFlowHost<TNode> host) => _host = host;

    /// <summary>The layers forward reaches, in the order it first reaches them.</summary>
    public IReadOnlyList<FlowLayer<TNode>> Layers => _layers;

    /// <summary>Whether forward reaches <paramref name="node"/> (a layer, container or block).</summary>
    public bool Reaches(TNode node) => _reached.Contains(node);

    /// <summary>Runs the root module's forward program over the tree.</summary>
    public static ChannelFlow<TNode> Run(IFlowHost<TNode> host, TNode root)
    {
        var flow = new ChannelFlow<TNode>(host) { _root = root };
        var input = new FlowValue(-1, FlowLayout.Unknown, FlowProducers.Other, null);
        flow._reached.Add(root);
        flow.RunProgram(host.Program(root), root, input, 0);
        flow.CheckFlattenedReads();
        return flow;
    }

    /// <summary>The representative of a space's class.</summary>
    public int Find(int space)
    {
        while (_parents[space] != space)
        {
            _parents[space] = _parents[_parents[space]];
            space = _parents[space];
        }

        return space;
    }

    /// <summary>Why the space cannot shrink; empty when it can.</summary>
    public IReadOnlyList<FlowBlocker> BlockersOf(int space) => space < 0 ? [] : _blockers[Find(space)];

    /// <summary>The coupled groups, in the order of their first layer.</summary>
    public IReadOnlyList<FlowGroup<TNode>> Groups()
    {
        if (_groups is not null) return _groups;
        var byRoot = _groupByRoot = new Dictionary<int, FlowGroup<TNode>>();
        var groups = new List<FlowGroup<TNode>>();
        FlowGroup<TNode> GroupOf(int space)
        {
            var root = Find(space);
            if (!byRoot.TryGetValue(root, out var group))
            {
                byRoot[root] = group = new FlowGroup<TNode> { Blockers = _blockers[root] };
                groups.Add(group);
            }

            return group;
        }

        foreach (var layer in _layers)
        {
            if (layer.IsProducer)
            {
                if (layer.OutputSpace >= 0) GroupOf(layer.OutputSpace).Producers.Add(layer);
                if (layer.InputSpace >= 0) GroupOf(layer.InputSpace).Consumers.Add(layer);
            }
            else if (layer.InputSpace >= 0)
            {
                GroupOf(layer.InputSpace).BatchNorms.Add(layer);
            }
        }

        return _groups = groups;
    }

    /// <summary>The group of a space, or null for a space no layer has.</summary>
    public FlowGroup<TNode>? GroupOf(int space)
    {
        Groups();
        return space >= 0 && _groupByRoot!.TryGetValue(Find(space), out var group) ? group : null;
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
        if (right < left) (left, right) = (right, left);
        _parents[right] = left;
        _blockers[left].AddRange(_blockers[right]);
        _blockers[right].Clear();
    }

    private void Block(int space, FlowBlocker blocker)
    {
        var blockers = _blockers[Find(space)];
        if (!blockers.Contains(blocker)) blockers.Add(blocker);
    }

    private FlowValue Unknown(FlowBlocker? blocker)
    {
        var space = NewSpace();
        if (blocker is not null) Block(space, blocker);
        return new FlowValue(space, FlowLayout.Unknown, FlowProducers.Other, null);
    }

    /// <summary>The model's input: its channels are coupled with the caller's data, so they stay.</summary>
    private FlowValue Read(FlowValue value, FlowClass program, int site)
    {
        if (value.Space >= 0) return value;
        if (_inputSpace < 0)
        {
            _inputSpace = NewSpace();
            Block(_inputSpace, new FlowBlocker(FlowStop.Boundary, "forward couples them with the channels of the model's input, whose size cannot change", program, site));
        }

        return new FlowValue(_inputSpace, FlowLayout.Unknown, FlowProducers.Other, null);
    }

    private FlowValue RunProgram(FlowClass program, TNode owner, FlowValue input, int depth)
    {
        var registers = new FlowValue?[System.Math.Max(1, program.Registers)];
        registers[0] = input;
        FlowValue? returned = null;
        _ = RunOps(program, program.Ops, owner, registers, ref returned, depth);
        if (returned is { } value) return value;
        return Unknown(new FlowBlocker(FlowStop.Unfollowed, $"{ShortName(program)}.forward returns no value that Compact() follows", program, -1));
    }

    /// <summary>Runs the steps; true when one of them returned.</summary>
    private bool RunOps(FlowClass program, FlowList<FlowOp> ops, TNode owner, FlowValue?[] registers, ref FlowValue? returned, int depth)
    {
        FlowValue Get(int register, int site) =>
            Read(register >= 0 && register < registers.Length && registers[register] is { } value ? value : Unknown(null), program, site);

        foreach (var op in ops)
        {
            switch (op.Kind)
            {
                case FlowOpKind.Call:
                    registers[op.Result] = CallMember(program, owner, op, Get(op.Input, op.Site), depth);
                    break;
                case FlowOpKind.CallEach:
                    registers[op.Result] = CallEach(program, owner, op, Get(op.Input, op.Site), depth);
                    break;
                case FlowOpKind.Flatten:
                    registers[op.Result] = Flatten(Get(op.Input, op.Site), program, op.Site, null);
                    break;
                case FlowOpKind.FlattenTo:
                    registers[op.Result] = Flatten(Get(op.Input, op.Site), program, op.Site, op.Size);
                    break;
                case FlowOpKind.ReduceSpatial:
                    registers[op.Result] = ReduceSpatial(Get(op.Input, op.Site), op.KeepDim, program, op.Site);
                    break;
                case FlowOpKind.Add:
                    registers[op.Result] = Add(Get(op.Input, op.Site), Get(op.Other, op.Site), program, op.Site);
                    break;
                case FlowOpKind.Copy:
                    registers[op.Result] = Get(op.Input, op.Site);
                    break;
                case FlowOpKind.Opaque:
                    registers[op.Result] = Opaque(program, owner, op, registers);
                    break;
                case FlowOpKind.Return:
                    var value = Get(op.Input, op.Site);
                    if (ReferenceEquals(owner, _root))
                    {
                        Block(value.Space, new FlowBlocker(FlowStop.Boundary, "forward returns them: they are the model's output, whose size cannot change", program, op.Site));
                    }

                    returned = returned is { } earlier ? Join(earlier, value) : value;
                    return true;
                case FlowOpKind.IfPresent or FlowOpKind.IfTrue:
                    if (RunIf(program, owner, op, registers, ref returned, depth)) return true;
                    break;
            }
        }

        return false;
    }

    private bool RunIf(FlowClass program, TNode owner, FlowOp op, FlowValue?[] registers, ref FlowValue? returned, int depth)
    {
        bool? taken = op.Kind == FlowOpKind.IfTrue ? _host.Flag(owner, op.Member!) : _host.Member(owner, op.Member!, out _) switch
        {
            FlowMember.Module => true,
            FlowMember.Absent => false,
            _ => null,
        };
        if (taken is { } branch) return RunOps(program, branch ? op.Then : op.Else, owner, registers, ref returned, depth);

        // Compile time, not known which: run both and join what each assigns.
        var then = (FlowValue?[])registers.Clone();
        var otherwise = (FlowValue?[])registers.Clone();
        var thenReturned = RunOps(program, op.Then, owner, then, ref returned, depth);
        var elseReturned = RunOps(program, op.Else, owner, otherwise, ref returned, depth);
        if (thenReturned && elseReturned) return true;
        {
            for (var register = 0; register < registers.Length; register++)
            {
                registers[register] = (then[register], otherwise[register]) switch
                {
                    ({ } left, { } right) => Join(left, right),
                    ({ } left, null) => left,
                    (null, { } right) => right,
                    _ => null,
                };
            }
        }

        return false;
    }

    private FlowValue CallMember(FlowClass program, TNode owner, FlowOp op, FlowValue input, int depth)
    {
        switch (_host.Member(owner, op.Member!, out var module))
        {
            case FlowMember.Module:
                return CallModule(module!, input, program, op.Site, depth);
            case FlowMember.Unknown:
                return Unknown(null);
            default:
                var blocker = new FlowBlocker(FlowStop.Unfollowed, $"forward passes them to '{op.Member}', which holds no module", program, op.Site);
                Block(input.Space, blocker);
                return Unknown(blocker);
        }
    }

    private FlowValue CallEach(FlowClass program, TNode owner, FlowOp op, FlowValue input, int depth)
    {
        switch (_host.Member(owner, op.Member!, out var list))
        {
            case FlowMember.Module when _host.Children(list!) is { } modules:
                _reached.Add(list!);
                foreach (var module in modules) input = CallModule(module, input, program, op.Site, depth);
                return input;
            case FlowMember.Module or FlowMember.Unknown:
                return Unknown(null);
            default:
                var blocker = new FlowBlocker(FlowStop.Unfollowed, $"forward loops over '{op.Member}', which holds no module", program, op.Site);
                Block(input.Space, blocker);
                return Unknown(blocker);
        }
    }

    private FlowValue CallModule(TNode module, FlowValue input, FlowClass program, int site, int depth)
    {
        _reached.Add(module);
        var kind = _host.Kind(module);
        switch (kind)
        {
            case FlowModuleKind.PassThrough:
                return input;
            case FlowModuleKind.Flatten:
                return Flatten(input, program, site, null);
            case FlowModuleKind.Sequential:
                if (_host.Children(module) is not { } children) return Unknown(null);
                foreach (var child in children) input = CallModule(child, input, program, site, depth);
                return input;
            case FlowModuleKind.Block when depth < MaxDepth:
                return RunProgram(_host.Program(module), module, input, depth + 1);
            case FlowModuleKind.Unknown:
                return Unknown(null);
            case FlowModuleKind.Conv2d:
                return CallConv(module, input, program, site);
            case FlowModuleKind.Linear:
                return CallLinear(module, input, program, site);
            case FlowModuleKind.BatchNorm1d or FlowModuleKind.BatchNorm2d:
                return CallBatchNorm(module, kind, input, program, site);
            default:
            {
                var blocker = new FlowBlocker(FlowStop.Unfollowed, $"forward passes them to '{_host.Name(module)}', a {_host.TypeName(module)} whose forward Compact() does not follow", program, site);
                Block(input.Space, blocker);
                BlockInside(module, blocker);
                return Unknown(blocker);
            }
        }
    }

    private FlowValue CallConv(TNode module, FlowValue input, FlowClass program, int site)
    {
        var grouping = _host.Grouping(module);
        if (grouping == ConvGrouping.Grouped)
        {
            var blocker = new FlowBlocker(FlowStop.Layer, $"'{_host.Name(module)}' is a grouped convolution (groups = {_host.Groups(module)?.ToString() ?? "?"}); Compact() shrinks convolutions with groups = 1 and depthwise ones", program, site);
            var grouped = Use(module, FlowModuleKind.Conv2d, false);
            Block(grouped.InputSpace, blocker);
            Block(grouped.OutputSpace, blocker);
            Union(grouped.InputSpace, input.Space);
            return new FlowValue(grouped.OutputSpace, FlowLayout.Spatial, ProducedBy(module), null);
        }

        var layer = Use(module, FlowModuleKind.Conv2d, grouping == ConvGrouping.Depthwise);
        if (input.Layout is FlowLayout.Vector or FlowLayout.Flattened or FlowLayout.LastAxis)
        {
            Block(input.Space, new FlowBlocker(FlowStop.Unfollowed, $"forward applies Conv2d '{_host.Name(module)}' to a tensor without spatial dims", program, site));
        }

        Union(layer.InputSpace, input.Space);
        return new FlowValue(layer.OutputSpace, FlowLayout.Spatial, ProducedBy(module), null);
    }

    private FlowValue CallLinear(TNode module, FlowValue input, FlowClass program, int site)
    {
        var layer = Use(module, FlowModuleKind.Linear, false);
        if (input.Layout == FlowLayout.Spatial)
        {
            Block(input.Space, new FlowBlocker(FlowStop.Unfollowed, $"forward applies Linear '{_host.Name(module)}' to a tensor that still has spatial dims, so it mixes their last axis, not the channels", program, site));
        }
        else if (input.Layout == FlowLayout.Flattened)
        {
            _flattenedReads.Add((layer, input.Space, input.FlatSize, program, site));
        }

        Union(layer.InputSpace, input.Space);
        var layout = input.Layout is FlowLayout.Vector or FlowLayout.Flattened ? FlowLayout.Vector : FlowLayout.LastAxis;
        return new FlowValue(layer.OutputSpace, layout, ProducedBy(module), null);
    }

    private FlowValue CallBatchNorm(TNode module, FlowModuleKind kind, FlowValue input, FlowClass program, int site)
    {
        var layer = Use(module, kind, false);
        var expected = kind == FlowModuleKind.BatchNorm2d ? FlowLayout.Spatial : FlowLayout.Vector;
        var producers = input.Producers;

        // BatchNorm1d normalizes dim 1: after a Linear it only runs on a [N, C] input.
        if (kind == FlowModuleKind.BatchNorm1d && input.Layout == FlowLayout.LastAxis) input = input.WithLayout(FlowLayout.Vector, null);
        if (input.Layout != FlowLayout.Unknown && input.Layout != expected)
        {
            Block(input.Space, new FlowBlocker(FlowStop.Unfollowed, $"forward applies {kind} '{_host.Name(module)}' to a tensor whose features are not its channels", program, site));
            producers = FlowProducers.Other;
        }

        Union(layer.InputSpace, input.Space);
        layer.BatchNormInputs = layer.BatchNormInputs.Union(producers);
        return input;
    }

    private FlowValue Flatten(FlowValue value, FlowClass program, int site, long? flatSize)
    {
        switch (value.Layout)
        {
            case FlowLayout.Vector:
                return flatSize is null ? value : value.WithLayout(FlowLayout.Vector, flatSize);
            case FlowLayout.LastAxis:
                var blocker = new FlowBlocker(FlowStop.Unfollowed, "forward flattens a tensor whose channels are on its last axis and whose rank is not known", program, site);
                Block(value.Space, blocker);
                return Unknown(blocker);
            default:
                return value.WithLayout(FlowLayout.Flattened, flatSize ?? value.FlatSize);
        }
    }

    private FlowValue ReduceSpatial(FlowValue value, bool keepDim, FlowClass program, int site)
    {
        if (value.Layout == FlowLayout.Unknown) return value;
        if (value.Layout != FlowLayout.Spatial)
        {
            var blocker = new FlowBlocker(FlowStop.Unfollowed, "forward reduces dims 2 and 3 of a tensor that has no spatial dims", program, site);
            Block(value.Space, blocker);
            return Unknown(blocker);
        }

        return value.WithLayout(keepDim ? FlowLayout.Spatial : FlowLayout.Vector, null);
    }

    private FlowValue Add(FlowValue left, FlowValue right, FlowClass program, int site)
    {
        if (left.Layout != FlowLayout.Unknown && right.Layout != FlowLayout.Unknown && left.Layout != right.Layout)
        {
            var blocker = new FlowBlocker(FlowStop.Unfollowed, "forward adds them to a tensor of another shape", program, site);
            Block(left.Space, blocker);
            Block(right.Space, blocker);
            return Unknown(blocker);
        }

        return Join(left, right);
    }

    /// <summary>A value that is either of two (or their sum): their channels are coupled.</summary>
    private FlowValue Join(FlowValue left, FlowValue right)
    {
        Union(left.Space, right.Space);
        var layout = left.Layout == right.Layout ? left.Layout : left.Layout == FlowLayout.Unknown ? right.Layout : right.Layout == FlowLayout.Unknown ? left.Layout : FlowLayout.Unknown;
        return new FlowValue(left.Space, layout, left.Producers.Union(right.Producers), left.FlatSize ?? right.FlatSize);
    }

    private FlowValue Opaque(FlowClass program, TNode owner, FlowOp op, FlowValue?[] registers)
    {
        var blocker = new FlowBlocker(FlowStop.Unfollowed, op.Reason ?? "forward uses them in code that Compact() does not follow", program, op.Site);
        foreach (var register in op.Inputs)
        {
            if (register >= 0 && register < registers.Length && registers[register] is { } value) Block(Read(value, program, op.Site).Space, blocker);
        }

        foreach (var member in op.Members)
        {
            if (_host.Member(owner, member, out var module) != FlowMember.Module) continue;
            _reached.Add(module!);
            BlockModule(module!, blocker);
            BlockInside(module!, blocker);
        }

        return Unknown(blocker);
    }

    private void BlockInside(TNode module, FlowBlocker blocker)
    {
        foreach (var inner in _host.LayersInside(module))
        {
            _reached.Add(inner);
            BlockModule(inner, blocker);
        }
    }

    private void BlockModule(TNode module, FlowBlocker blocker)
    {
        var kind = _host.Kind(module);
        if (kind is not (FlowModuleKind.Conv2d or FlowModuleKind.Linear or FlowModuleKind.BatchNorm1d or FlowModuleKind.BatchNorm2d)) return;
        var layer = Use(module, kind, kind == FlowModuleKind.Conv2d && _host.Grouping(module) == ConvGrouping.Depthwise);
        Block(layer.InputSpace, blocker);
        if (layer.IsProducer) Block(layer.OutputSpace, blocker);
        if (layer.IsBatchNorm) layer.BatchNormInputs = FlowProducers.Other;
    }

    /// <summary>The layer's record, with its spaces (one for a depthwise convolution's input and output).</summary>
    private FlowLayer<TNode> Use(TNode module, FlowModuleKind kind, bool depthwise)
    {
        if (_layerIndex.TryGetValue(module, out var index)) return _layers[index];
        var layer = new FlowLayer<TNode>(module, kind, depthwise) { InputSpace = NewSpace() };
        if (layer.IsProducer) layer.OutputSpace = depthwise ? layer.InputSpace : NewSpace();
        _layerIndex[module] = _layers.Count;
        _layers.Add(layer);
        return layer;
    }

    private FlowProducers ProducedBy(TNode module) => new(ImmutableSortedSet.Create(_layerIndex[module]), false);

    /// <summary>A Linear that reads flattened channels reads blocks of in_features / channels features each.</summary>
    private void CheckFlattenedReads()
    {
        foreach (var (linear, space, flatSize, program, site) in _flattenedReads)
        {
            var root = Find(space);
            var channels = _layers.Where(layer => layer.IsProducer && layer.OutputSpace >= 0 && Find(layer.OutputSpace) == root)
                .Select(layer => _host.OutputSize(layer.Node)).FirstOrDefault(size => size is not null);
            var features = _host.InputSize(linear.Node);
            var name = _host.Name(linear.Node);
            string? problem = null;
            if (features is { } known && channels is { } count && count > 0 && known % count != 0)
            {
                problem = $"'{name}' reads them flattened, but its {known} input features are not a whole number of blocks of {count} channels";
            }
            else if (features is { } size && flatSize is { } flat && flat != size)
            {
                problem = $"'{name}' reads them flattened to {flat} features, but it has {size} input features";
            }

            if (problem is not null) Block(space, new FlowBlocker(FlowStop.FlattenedSize, problem, program, site));
        }
    }

    private static string ShortName(FlowClass program)
    {
        var name = program.TypeName;
        var cut = System.Math.Max(name.LastIndexOf('.'), name.LastIndexOf('+'));
        return cut < 0 ? name : name.Substring(cut + 1);
    }
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
