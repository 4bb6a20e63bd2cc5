// Compiled into both PruneSharp.Generator and PruneSharp.Runtime: the generator writes these programs from each
// module class's forward, the runtime reads them back from the generated code, and ChannelFlow interprets them in both.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace PruneSharp.Compaction;

/// <summary>What one step of a module's forward does to the channels of the tensors it touches.</summary>
internal enum FlowOpKind
{
    /// <summary><c>Result = member.forward(Input)</c>: a call of the submodule held in <see cref="FlowOp.Member"/>.</summary>
    Call,

    /// <summary><c>foreach (var layer in member) x = layer.forward(x)</c>: a chain through the modules a ModuleList holds, in order.</summary>
    CallEach,

    /// <summary><c>Result = Input.flatten(1)</c>: [N, C, H, W] to channel-major [N, C·H·W].</summary>
    Flatten,

    /// <summary><c>Result = Input.view(-1, Size)</c>: a flatten whose reader must have <see cref="FlowOp.Size"/> features.</summary>
    FlattenTo,

    /// <summary><c>Result = Input.mean([2, 3])</c> (or sum): keeps the channels, drops the spatial dims unless <see cref="FlowOp.KeepDim"/>.</summary>
    ReduceSpatial,

    /// <summary><c>Result = Input + Other</c>: couples the channels of both.</summary>
    Add,

    /// <summary><c>Result = Input</c>: joins the branches of an <see cref="IfPresent"/>.</summary>
    Copy,

    /// <summary>Code that is not followed: every input and member it touches keeps its channels; its result is unknown.</summary>
    Opaque,

    /// <summary><c>return Input</c>: the module's output.</summary>
    Return,

    /// <summary><c>if (member is not null) { Then } else { Else }</c>, decided by the module instance.</summary>
    IfPresent,

    /// <summary><c>if (flag) { Then } else { Else }</c> on a bool field or property of the module, decided by the module instance.</summary>
    IfTrue,
}

/// <summary>One step of a module class's forward program. Register 0 holds the module's input.</summary>
internal sealed record FlowOp(
    FlowOpKind Kind,
    int Result,
    int Input,
    int Other = -1,
    string? Member = null,
    long Size = 0,
    bool KeepDim = false,
    string? Reason = null,
    int Site = -1,
    FlowList<int> Inputs = default,
    FlowList<string> Members = default,
    FlowList<FlowOp> Then = default,
    FlowList<FlowOp> Else = default);

/// <summary>The forward program of one module class.</summary>
/// <param name="TypeName">The class's runtime name (<c>Type.FullName</c>: namespace, nested types joined with <c>+</c>).</param>
/// <param name="Registers">The number of value registers the program uses.</param>
/// <param name="Ops">The steps, in forward's order.</param>
internal sealed record FlowClass(string TypeName, int Registers, FlowList<FlowOp> Ops);

/// <summary>An immutable list compared by its elements, so programs are equatable (the generator's pipeline caches them).</summary>
internal readonly struct FlowList<T> : IEquatable<FlowList<T>>, IReadOnlyList<T>
{
    private readonly T[]? _items;

    public FlowList(IEnumerable<T> items) => _items = items.ToArray();

    public int Count => _items?.Length ?? 0;

    public bool IsEmpty => Count == 0;

    public T this[int index] => (_items ?? [])[index];

    public bool Equals(FlowList<T> other) => (_items ?? []).SequenceEqual(other._items ?? []);

    public override bool Equals(object? obj) => obj is FlowList<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = 17;
        foreach (var item in _items ?? []) hash = (hash * 31) + (item?.GetHashCode() ?? 0);
        return hash;
    }

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(_items ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
