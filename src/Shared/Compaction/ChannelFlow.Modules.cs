// Compiled into both PruneSharp.Generator and PruneSharp.Runtime (see FlowProgram.cs).
using System.Collections.Generic;
using System.Linq;

namespace PruneSharp.Compaction;
/// <summary>What each kind of module, and each step that is not a call, does to the channels of its input.</summary>
internal sealed partial class ChannelFlow<TNode>
    where TNode : class
{
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
}
