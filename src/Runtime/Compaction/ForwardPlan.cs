using System;
using System.Collections.Generic;
using System.Linq;

namespace PruneSharp.Compaction;

/// <summary>
/// The forward program of one module class, as PruneSharp's generator reads it from the class's <c>forward</c>: which
/// submodules it calls on which values, where it adds, flattens or reduces them, and which code it does not follow.
/// Values live in numbered registers; register 0 is <c>forward</c>'s input. Generated code builds these; the runtime
/// runs them over a model's real modules to find which channels are coupled (<see cref="ModelCompaction"/>).
/// </summary>
public sealed class ForwardPlan
{
    private readonly List<FlowOp> _ops = [];
    private int _registers = 1;

    /// <summary>Starts the program of the module class <paramref name="typeName"/> (its <see cref="Type.FullName"/>).</summary>
    public ForwardPlan(string typeName)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeName);
        TypeName = typeName;
    }

    /// <summary>The module class's <see cref="Type.FullName"/>.</summary>
    public string TypeName { get; }

    /// <summary><c>result = member.forward(input)</c>: calls the submodule held in the field or property <paramref name="member"/>.</summary>
    /// <returns>This plan.</returns>
    public ForwardPlan Call(int result, string member, int input) => Add(new FlowOp(FlowOpKind.Call, result, input, Member: Checked(member)));

    /// <summary><c>foreach (var layer in member) x = layer.forward(x)</c>: <paramref name="result"/> is <paramref name="input"/> through every module the ModuleList <paramref name="member"/> holds.</summary>
    /// <returns>This plan.</returns>
    public ForwardPlan CallEach(int result, string member, int input) => Add(new FlowOp(FlowOpKind.CallEach, result, input, Member: Checked(member)));

    /// <summary><c>result = input.flatten(1)</c>.</summary>
    /// <returns>This plan.</returns>
    public ForwardPlan Flatten(int result, int input) => Add(new FlowOp(FlowOpKind.Flatten, result, input));

    /// <summary><c>result = input.view(-1, features)</c>: a flatten whose reader has <paramref name="features"/> input features.</summary>
    /// <returns>This plan.</returns>
    public ForwardPlan FlattenTo(int result, int input, long features) => Add(new FlowOp(FlowOpKind.FlattenTo, result, input, Size: features));

    /// <summary><c>result = input.mean([2, 3])</c> or <c>sum</c>: keeps the channels; drops dims 2 and 3 unless <paramref name="keepDim"/>.</summary>
    /// <returns>This plan.</returns>
    public ForwardPlan ReduceSpatial(int result, int input, bool keepDim) => Add(new FlowOp(FlowOpKind.ReduceSpatial, result, input, KeepDim: keepDim));

    /// <summary><c>result = left + right</c> (also <c>add</c>, <c>add_</c>): couples the channels of both.</summary>
    /// <returns>This plan.</returns>
    public ForwardPlan Sum(int result, int left, int right) => Add(new FlowOp(FlowOpKind.Add, result, left, right));

    /// <summary><c>result = input</c>: joins what the branches of <see cref="IfPresent"/> assign.</summary>
    /// <returns>This plan.</returns>
    public ForwardPlan Copy(int result, int input) => Add(new FlowOp(FlowOpKind.Copy, result, input));

    /// <summary>
    /// Code that is not followed: the channels of <paramref name="inputs"/> and of every layer in
    /// <paramref name="members"/> stay, and <paramref name="result"/> is unknown.
    /// </summary>
    /// <param name="result">The register of its result.</param>
    /// <param name="reason">Why, for the compaction report.</param>
    /// <param name="inputs">The registers it reads.</param>
    /// <param name="members">The submodules it touches.</param>
    /// <returns>This plan.</returns>
    public ForwardPlan Opaque(int result, string reason, int[] inputs, string[] members)
    {
        ArgumentNullException.ThrowIfNull(reason);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(members);
        return Add(new FlowOp(FlowOpKind.Opaque, result, -1, Reason: reason, Inputs: new FlowList<int>(inputs), Members: new FlowList<string>(members)));
    }

    /// <summary><c>return input</c>.</summary>
    /// <returns>This plan.</returns>
    public ForwardPlan Return(int input) => Add(new FlowOp(FlowOpKind.Return, -1, input));

    /// <summary><c>if (member is not null) { then } else { otherwise }</c>, decided by each module instance.</summary>
    /// <returns>This plan.</returns>
    public ForwardPlan IfPresent(string member, Func<ForwardPlan, ForwardPlan> then, Func<ForwardPlan, ForwardPlan> otherwise) => Branch(FlowOpKind.IfPresent, member, then, otherwise);

    private ForwardPlan Branch(FlowOpKind kind, string member, Func<ForwardPlan, ForwardPlan> then, Func<ForwardPlan, ForwardPlan> otherwise)
    {
        ArgumentNullException.ThrowIfNull(then);
        ArgumentNullException.ThrowIfNull(otherwise);
        var thenPlan = new ForwardPlan(TypeName);
        var elsePlan = new ForwardPlan(TypeName);
        _ = then(thenPlan);
        _ = otherwise(elsePlan);
        _registers = Math.Max(_registers, Math.Max(thenPlan._registers, elsePlan._registers));
        return Add(new FlowOp(kind, -1, -1, Member: Checked(member), Then: new FlowList<FlowOp>(thenPlan._ops), Else: new FlowList<FlowOp>(elsePlan._ops)));
    }

    /// <summary><c>if (flag) { then } else { otherwise }</c> on a bool field or property, decided by each module instance.</summary>
    /// <returns>This plan.</returns>
    public ForwardPlan IfTrue(string flag, Func<ForwardPlan, ForwardPlan> then, Func<ForwardPlan, ForwardPlan> otherwise) => Branch(FlowOpKind.IfTrue, flag, then, otherwise);

    internal FlowClass ToProgram() => new(TypeName, _registers, new FlowList<FlowOp>(_ops));

    private static string Checked(string member)
    {
        ArgumentException.ThrowIfNullOrEmpty(member);
        return member;
    }

    private ForwardPlan Add(FlowOp op)
    {
        foreach (var register in new[] { op.Result, op.Input, op.Other }.Concat(op.Inputs))
        {
            if (register < -1) throw new ArgumentOutOfRangeException(nameof(op), register, "A register is 0 or more.");
            _registers = Math.Max(_registers, register + 1);
        }

        _ops.Add(op);
        return this;
    }
}

/// <summary>
/// The forward programs of a model class and of the module classes it is built from (blocks, stages), as PruneSharp's
/// generator read them. <see cref="ModelCompaction"/> runs them over a model's real module tree.
/// </summary>
public sealed class CompactionPlan
{
    private readonly Dictionary<string, FlowClass> _programs = new(StringComparer.Ordinal);

    /// <summary>Creates the plan of the model class <paramref name="modelType"/>, from its own forward program and those of its module classes.</summary>
    /// <exception cref="ArgumentException">No program is for <paramref name="modelType"/>, or two are for the same class.</exception>
    public CompactionPlan(string modelType, params ForwardPlan[] programs)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelType);
        ArgumentNullException.ThrowIfNull(programs);
        foreach (var program in programs)
        {
            ArgumentNullException.ThrowIfNull(program);
            if (!_programs.TryAdd(program.TypeName, program.ToProgram()))
            {
                throw new ArgumentException($"Two forward programs are for '{program.TypeName}'.", nameof(programs));
            }
        }

        if (!_programs.ContainsKey(modelType)) throw new ArgumentException($"No forward program is for the model class '{modelType}'.", nameof(programs));
        ModelType = modelType;
    }

    /// <summary>The model class's <see cref="Type.FullName"/>.</summary>
    public string ModelType { get; }

    /// <summary>The module classes that have a forward program, by <see cref="Type.FullName"/>.</summary>
    public IReadOnlyCollection<string> ModuleTypes => _programs.Keys;

    internal FlowClass? ProgramOf(Type type) => type.FullName is { } name && _programs.TryGetValue(name, out var program) ? program : null;
}
