using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using PruneSharp.Compaction;

using static PruneSharp.Generator.OperationValues;

namespace PruneSharp.Generator.Compaction;

/// <summary>A module as the generator can see it being built: a factory call, an inline Sequential, a <c>new Block(...)</c>.</summary>
internal sealed class StaticModule(FlowModuleKind kind, string name, string typeName)
{
    public FlowModuleKind Kind { get; } = kind;

    public string Name { get; } = name;

    public string TypeName { get; } = typeName;

    public ConvGrouping Grouping { get; init; }

    public long? Groups { get; init; }

    public long? InputSize { get; init; }

    public long? OutputSize { get; init; }

    /// <summary>For a Sequential: its children in order, or null where the code does not show them.</summary>
    public IReadOnlyList<StaticModule>? Children { get; init; }

    /// <summary>For a block: its class.</summary>
    public INamedTypeSymbol? Class { get; init; }

    /// <summary>The member that holds it, for a member of the model class itself.</summary>
    public ISymbol? Member { get; init; }
}

/// <summary>
/// The modules of a model as its code shows them, for the compile-time run of <see cref="ChannelFlow{TNode}"/>: the
/// model class's members and, inside them, inline <c>Sequential(...)</c> children and blocks built with <c>new</c>,
/// each with its members. A member built where the generator does not look (a list filled in a loop, a constructor
/// that assigns it twice) is <see cref="FlowModuleKind.Unknown"/>: run time decides, the diagnostics say nothing.
/// </summary>
internal sealed class StaticModules : IFlowHost<StaticModule>
{
    private const string FactoriesTypeName = "TorchSharp.torch.nn";

    /// <summary>TorchSharp factories of modules that map each channel on its own and keep zero at zero.</summary>
    private static readonly HashSet<string> PassThroughFactories = new(StringComparer.Ordinal)
    {
        "ReLU", "ReLU6", "LeakyReLU", "GELU", "SiLU", "Tanh", "ELU", "SELU", "Hardswish", "Mish",
        "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Dropout", "Dropout2d", "Identity",
    };

    private readonly Compilation _compilation;
    private readonly IReadOnlyDictionary<string, FlowClass> _programs;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<(StaticModule, string), (FlowMember, StaticModule?)> _members = new();
    private readonly Dictionary<INamedTypeSymbol, ClassBinding> _bindings = new(SymbolEqualityComparer.Default);

    public StaticModules(Compilation compilation, IReadOnlyDictionary<string, FlowClass> programs, CancellationToken cancellationToken)
    {
        _compilation = compilation;
        _programs = programs;
        _cancellationToken = cancellationToken;
    }

    public static StaticModule Root(INamedTypeSymbol type) => new(FlowModuleKind.Block, string.Empty, type.Name) { Class = type };

    public FlowModuleKind Kind(StaticModule node) => node.Kind;

    public ConvGrouping Grouping(StaticModule node) => node.Grouping;

    public long? Groups(StaticModule node) => node.Groups;

    public IReadOnlyList<StaticModule>? Children(StaticModule node) => node.Children;

    public FlowClass Program(StaticModule node) => _programs[ForwardCompiler.RuntimeName(node.Class!)];

    public bool? Flag(StaticModule owner, string member) => null;

    public string Name(StaticModule node) => node.Name;

    public string TypeName(StaticModule node) => node.TypeName;

    public IEnumerable<StaticModule> LayersInside(StaticModule node) =>
        (node.Children ?? []).SelectMany(child => child.Kind is FlowModuleKind.Conv2d or FlowModuleKind.Linear or FlowModuleKind.BatchNorm1d or FlowModuleKind.BatchNorm2d ? [child] : LayersInside(child));

    public long? InputSize(StaticModule node) => node.InputSize;

    public long? OutputSize(StaticModule node) => node.OutputSize;

    public FlowMember Member(StaticModule owner, string member, out StaticModule? value)
    {
        if (!_members.TryGetValue((owner, member), out var found)) _members[(owner, member)] = found = Resolve(owner, member);
        value = found.Item2;
        return found.Item1;
    }

    private (FlowMember, StaticModule?) Resolve(StaticModule owner, string memberName)
    {
        if (owner.Class is not { } type) return (FlowMember.Unknown, null);
        ISymbol? symbol = null;
        for (var current = type; current is not null && symbol is null; current = current.BaseType)
        {
            symbol = current.GetMembers(memberName).FirstOrDefault(candidate => candidate is IFieldSymbol or IPropertySymbol && !candidate.IsStatic);
        }

        var memberType = symbol switch
        {
            IFieldSymbol field => field.Type,
            IPropertySymbol property => property.Type,
            _ => null,
        };
        if (symbol is null || !ForwardCompiler.IsModuleType(memberType)) return (FlowMember.NotAModule, null);

        var name = owner.Name.Length == 0 ? memberName : owner.Name + "." + memberName;
        var construction = Construction(symbol);
        if (construction is null)
        {
            // Not seen being built: its declared type may still say what it is (a Conv2d field built from arguments).
            var byType = FromType(memberType!, name, symbol);
            return byType is null ? (FlowMember.Unknown, null) : (FlowMember.Module, byType);
        }

        if (Unwrap(construction) is { ConstantValue: { HasValue: true, Value: null } }) return (FlowMember.Absent, null);
        var module = Build(construction, name, symbol);
        return module.Kind == FlowModuleKind.Unknown && FromType(memberType!, name, symbol) is { } typed ? (FlowMember.Module, typed) : (FlowMember.Module, module);
    }

    /// <summary>A member of a TorchSharp layer type whose construction is not seen: a layer of that kind, sizes unknown.</summary>
    private static StaticModule? FromType(ITypeSymbol type, string name, ISymbol member) =>
        type.ContainingNamespace?.ToDisplayString() == "TorchSharp.Modules" && type.Name is "Conv2d" or "Linear" or "BatchNorm1d" or "BatchNorm2d"
            ? new StaticModule((FlowModuleKind)Enum.Parse(typeof(FlowModuleKind), type.Name), name, type.Name) { Member = member }
            : null;

    /// <summary>What builds the member: its initializer, or its one assignment in a constructor.</summary>
    private IOperation? Construction(ISymbol member)
    {
        var type = member.ContainingType;
        if (!_bindings.TryGetValue(type, out var binding)) _bindings[type] = binding = new ClassBinding(type, _compilation, _cancellationToken);
        var candidates = new List<ExpressionSyntax>();
        if (ShapeInference.FindInitializer(member, _cancellationToken) is { } initializer) candidates.Add(initializer);
        foreach (var write in binding.Writes.Of(member, binding.SemanticModels, _cancellationToken))
        {
            if (write is { Constructor: not null, Value: { } value }) candidates.Add(value);
            else return null;
        }

        if (candidates.Count != 1) return null;
        return binding.SemanticModels.For(candidates[0].SyntaxTree).GetOperation(candidates[0], _cancellationToken);
    }

    private StaticModule Build(IOperation operation, string name, ISymbol? member)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        switch (Unwrap(operation))
        {
            case IInvocationOperation call when call.TargetMethod.ContainingType?.ToDisplayString() == FactoriesTypeName:
                return Factory(call, name, member);
            case IObjectCreationOperation { Type: INamedTypeSymbol created } when _programs.ContainsKey(ForwardCompiler.RuntimeName(created)):
                return new StaticModule(FlowModuleKind.Block, name, created.Name) { Class = created, Member = member };
            default:
                return new StaticModule(FlowModuleKind.Unknown, name, "?") { Member = member };
        }
    }

    private StaticModule Factory(IInvocationOperation call, string name, ISymbol? member)
    {
        var method = call.TargetMethod.Name;
        var arguments = new Dictionary<string, IOperation>(StringComparer.Ordinal);
        foreach (var argument in call.Arguments)
        {
            if (argument.Parameter is not null) arguments[argument.Parameter.Name] = argument.Value;
        }

        switch (method)
        {
            case "Conv2d":
            {
                var inputs = Constant(arguments, "in_channels");
                var outputs = Constant(arguments, "out_channels");
                var groups = arguments.ContainsKey("groups") ? Constant(arguments, "groups") : 1;
                var grouping = groups is null or 1 ? ConvGrouping.Dense
                    : groups == inputs && groups == outputs ? ConvGrouping.Depthwise
                    : ConvGrouping.Grouped;
                return new StaticModule(FlowModuleKind.Conv2d, name, method) { Member = member, InputSize = inputs, OutputSize = outputs, Groups = groups, Grouping = grouping };
            }

            case "Linear":
                return new StaticModule(FlowModuleKind.Linear, name, method) { Member = member, InputSize = Constant(arguments, "inputSize"), OutputSize = Constant(arguments, "outputSize") };
            case "BatchNorm1d" or "BatchNorm2d":
                return new StaticModule(method == "BatchNorm1d" ? FlowModuleKind.BatchNorm1d : FlowModuleKind.BatchNorm2d, name, method) { Member = member };
            case "Flatten":
                var flattensFromOne = Constant(arguments, "start_dim") == 1 && Constant(arguments, "end_dim") == -1;
                return new StaticModule(flattensFromOne ? FlowModuleKind.Flatten : FlowModuleKind.Opaque, name, method) { Member = member };
            case "Sequential" or "ModuleList":
                return new StaticModule(FlowModuleKind.Sequential, name, method) { Member = member, Children = SequentialChildren(call, name) };
            case { } passThrough when PassThroughFactories.Contains(passThrough):
                return new StaticModule(FlowModuleKind.PassThrough, name, method) { Member = member };
            default:
                return new StaticModule(FlowModuleKind.Opaque, name, method) { Member = member };
        }
    }

    /// <summary>An inline Sequential's children: modules or (name, module) tuples, named by their tuple name or position.</summary>
    private List<StaticModule>? SequentialChildren(IInvocationOperation call, string name)
    {
        var elements = new List<IOperation>();
        foreach (var argument in call.Arguments)
        {
            var value = Unwrap(argument.Value);
            if (value is IArrayCreationOperation { Initializer: { } initializer }) elements.AddRange(initializer.ElementValues);
            else if (value is not null) elements.Add(value);
        }

        var children = new List<StaticModule>();
        foreach (var element in elements)
        {
            var module = Unwrap(element);
            var childName = children.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (module is ITupleOperation { Elements.Length: 2 } named)
            {
                if (named.Elements[0].ConstantValue is { HasValue: true, Value: string given }) childName = given;
                module = Unwrap(named.Elements[1]);
            }

            if (module is null || !ForwardCompiler.IsModuleType(module.Type)) return null;
            children.Add(Build(module, name + "." + childName, null));
        }

        return children;
    }
}
