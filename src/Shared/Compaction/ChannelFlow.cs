// Compiled into both PruneSharp.Generator and PruneSharp.Runtime (see FlowProgram.cs).
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace PruneSharp.Compaction;
/// <summary>
/// The dependency graph of a model's channels, from the forward programs of its module classes run over its module
/// tree (DepGraph's idea, planned from the code): every tensor value's channel axis indexes a channel space; a Conv2d
/// or Linear consumes its input's space and produces its own; BatchNorm and the ops that map each channel on its own
/// keep the space; an addition, a depthwise convolution and a layer called twice merge spaces into one coupled group,
/// whose channels go only together. Code that is not followed blocks every space it touches, so a channel is never
/// removed on a guess.
/// </summary>
internal sealed partial class ChannelFlow<TNode>
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

                    returned = returned is { } earlier ? Join(Read(earlier, program, op.Site), Read(value, program, op.Site)) : value;
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
                    // Either may be the model's input (no space yet): Read gives it its blocked space.
                    ({ } left, { } right) => Join(Read(left, program, op.Site), Read(right, program, op.Site)),
                    ({ } left, null) => left,
                    (null, { } right) => right,
                    _ => null,
                };
            }
        }

        return false;
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
