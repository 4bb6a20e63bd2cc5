using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using PruneSharp.Compaction;
using PruneSharp.Generator.Construction;

namespace PruneSharp.Generator.Compaction;

/// <summary>A module as the generator can see it being built: a factory call, an inline Sequential, a <c>new Block(...)</c>.</summary>
internal sealed class StaticModule(FlowModuleKind kind, string name, string typeName)
{
    public FlowModuleKind Kind { get; } = kind;

    /// <summary>Its dotted path by C# member names and child names (<c>features.conv1</c>), as compaction names it.</summary>
    public string Name { get; } = name;

    public string TypeName { get; } = typeName;

    /// <summary>
    /// Its dotted path by registered names (docs/architecture.md, rule 1): as <see cref="Name"/>, except that a member
    /// is named as TorchSharp registers it (<see cref="RegisteredNames"/>).
    /// </summary>
    public string Path { get; init; } = name;

    public ConvGrouping Grouping { get; init; }

    public long? Groups { get; init; }

    public long? InputSize { get; init; }

    public long? OutputSize { get; init; }

    /// <summary>For a layer PruneSharp prunes: its kind.</summary>
    public LayerKind? Layer { get; init; }

    /// <summary>For a layer: its weight shape, where the code shows it.</summary>
    public LayerShape? Shape { get; init; }

    /// <summary>For a Sequential, a ModuleList or a ModuleDict: its children in order, or null where the code does not show them.</summary>
    public IReadOnlyList<StaticModule>? Children { get; init; }

    /// <summary>For a module class of this compilation (<c>new Block(...)</c>, or the model itself): its class.</summary>
    public INamedTypeSymbol? Class { get; init; }

    /// <summary>For <c>new Block(...)</c>: the constructor called, and its arguments' values.</summary>
    public ModuleValue? Construction { get; init; }

    /// <summary>The member that holds it, for a member of a class.</summary>
    public ISymbol? Member { get; init; }
}

/// <summary>
/// The modules of a model as its code shows them, read by the <see cref="ConstructionReader"/>: the model class's
/// members and, inside them, Sequentials, ModuleLists and ModuleDicts with the children the code gives them (inline,
/// from lists filled in loops over known ranges) and blocks built with <c>new</c>, each with its members as its
/// constructor builds them from the arguments it is given. Compaction's channel flow runs over them at compile time
/// (this is its <see cref="IFlowHost{TNode}"/>), and pruning's checks walk them for the layers inside containers. A
/// member built where the reader does not follow is <see cref="FlowModuleKind.Unknown"/>: run time decides.
/// </summary>
internal sealed class StaticModules : IFlowHost<StaticModule>
{
    /// <summary>TorchSharp factories of modules that map each channel on its own and keep zero at zero.</summary>
    private static readonly HashSet<string> PassThroughFactories = new(StringComparer.Ordinal)
    {
        "ReLU", "ReLU6", "LeakyReLU", "GELU", "SiLU", "Tanh", "ELU", "SELU", "Hardswish", "Mish",
        "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Dropout", "Dropout2d", "Identity",
    };

    private static readonly Dictionary<string, LayerKind> LayerFactories = ((LayerKind[])Enum.GetValues(typeof(LayerKind))).ToDictionary(kind => kind.ToString(), kind => kind, StringComparer.Ordinal);

    private readonly IReadOnlyDictionary<string, FlowClass> _programs;
    private readonly CancellationToken _cancellationToken;
    private readonly ConstructionReader _reader;
    private readonly Dictionary<(StaticModule, string), (FlowMember, StaticModule?)> _members = new();

    /// <param name="programs">The forward programs of the module classes, by runtime name: a class with one is a <see cref="FlowModuleKind.Block"/>.</param>
    /// <param name="reader">The parse's constructor reader, shared so that each construction is read once.</param>
    /// <param name="cancellationToken">Cancels the reading.</param>
    public StaticModules(IReadOnlyDictionary<string, FlowClass> programs, ConstructionReader reader, CancellationToken cancellationToken)
    {
        _programs = programs;
        _cancellationToken = cancellationToken;
        _reader = reader;
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

    /// <summary>The instance fields and auto-properties of <paramref name="type"/> (and its base classes) whose type is a module, in registration order.</summary>
    public IEnumerable<ISymbol> ModuleMembers(INamedTypeSymbol type)
    {
        for (var current = type; current is not null && current.DeclaringSyntaxReferences.Length > 0; current = current.BaseType)
        {
            foreach (var member in ModelParser.MembersInDeclarationOrder(current, _cancellationToken))
            {
                if (!member.IsStatic && ForwardCompiler.IsModuleType(TypeOf(member))) yield return member;
            }
        }
    }

    /// <summary>
    /// The modules a member of <paramref name="owner"/> holds in a plain array or list (which TorchSharp does not
    /// register), named by their access path (<c>convs.0</c>); null where the code does not show them.
    /// </summary>
    public IReadOnlyList<StaticModule>? CollectionElements(StaticModule owner, ISymbol member)
    {
        if (owner.Class is not { } type) return null;
        var members = SymbolEqualityComparer.Default.Equals(member.ContainingType, type)
            ? _reader.Members(type, owner.Construction?.Method, owner.Construction?.ArgumentsInOrder)
            : _reader.Members(member.ContainingType, null, null);
        if (!members.TryGetValue(member, out var value)) return null;
        if (ReferenceEquals(value, StaticValue.Null)) return [];
        if (value is not ListValue list) return null;

        var name = Join(owner.Name, member.Name);
        var path = Join(owner.Path, member.Name);
        var elements = new List<StaticModule>();
        foreach (var element in list.Elements)
        {
            if (element is not ModuleValue module) return null;
            var index = elements.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            elements.Add(Build(module, name + "." + index, path + "." + index, null));
        }

        return elements;
    }

    private (FlowMember, StaticModule?) Resolve(StaticModule owner, string memberName)
    {
        if (owner.Class is not { } type) return (FlowMember.Unknown, null);
        ISymbol? symbol = null;
        for (var current = type; current is not null && symbol is null; current = current.BaseType)
        {
            symbol = current.GetMembers(memberName).FirstOrDefault(candidate => candidate is IFieldSymbol or IPropertySymbol && !candidate.IsStatic && !GeneratedCode.IsDeclaredOnlyInGeneratedCode(candidate, _cancellationToken));
        }

        var memberType = TypeOf(symbol);
        if (symbol is null || !ForwardCompiler.IsModuleType(memberType)) return (FlowMember.NotAModule, null);

        var name = Join(owner.Name, memberName);
        var path = Join(owner.Path, RegisteredNames.Of(symbol));

        // The owner's own members as its constructor builds them; a base class's as any of its constructors does.
        var members = SymbolEqualityComparer.Default.Equals(symbol.ContainingType, type)
            ? _reader.Members(type, owner.Construction?.Method, owner.Construction?.ArgumentsInOrder)
            : _reader.Members(symbol.ContainingType, null, null);
        var value = members.TryGetValue(symbol, out var found) ? found : StaticValue.Unknown;
        if (ReferenceEquals(value, StaticValue.Null)) return (FlowMember.Absent, null);
        if (value is not ModuleValue module)
        {
            // Not seen being built: its declared type may still say what it is (a Conv2d field built from arguments).
            var byType = FromType(memberType!, name, path, symbol);
            return byType is null ? (FlowMember.Unknown, null) : (FlowMember.Module, byType);
        }

        var built = Build(module, name, path, symbol);
        return built.Kind == FlowModuleKind.Unknown && built.Layer is null && built.Class is null && FromType(memberType!, name, path, symbol) is { } typed ? (FlowMember.Module, typed) : (FlowMember.Module, built);
    }

    private static ITypeSymbol? TypeOf(ISymbol? member) => member switch
    {
        IFieldSymbol field => field.Type,
        IPropertySymbol property => property.Type,
        _ => null,
    };

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    /// <summary>A member of a TorchSharp layer type whose construction is not seen: a layer of that kind, sizes unknown.</summary>
    private static StaticModule? FromType(ITypeSymbol type, string name, string path, ISymbol member)
    {
        if (type.ContainingNamespace?.ToDisplayString() != "TorchSharp.Modules") return null;
        var layer = LayerFactories.TryGetValue(type.Name, out var kind) ? kind : (LayerKind?)null;
        var flowKind = type.Name switch
        {
            "Conv2d" => FlowModuleKind.Conv2d,
            "Linear" => FlowModuleKind.Linear,
            "BatchNorm1d" => FlowModuleKind.BatchNorm1d,
            "BatchNorm2d" => FlowModuleKind.BatchNorm2d,
            _ => (FlowModuleKind?)null,
        };
        if (flowKind is null && layer is null) return null;
        return new StaticModule(flowKind ?? FlowModuleKind.Unknown, name, type.Name) { Path = path, Member = member, Layer = layer };
    }

    private StaticModule Build(ModuleValue module, string name, string path, ISymbol? member)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (module.BlockClass is { } block)
        {
            var kind = _programs.ContainsKey(ForwardCompiler.RuntimeName(block)) ? FlowModuleKind.Block : FlowModuleKind.Unknown;
            return new StaticModule(kind, name, block.Name) { Path = path, Class = block, Construction = module, Member = member };
        }

        var method = module.Method.Name;
        switch (method)
        {
            case "Conv2d":
            {
                var inputs = module.Integer("in_channels");
                var outputs = module.Integer("out_channels");
                var groups = module.Arguments.ContainsKey("groups") ? module.Integer("groups") : 1;
                var grouping = groups is null or 1 ? ConvGrouping.Dense
                    : groups == inputs && groups == outputs ? ConvGrouping.Depthwise
                    : ConvGrouping.Grouped;
                return new StaticModule(FlowModuleKind.Conv2d, name, method)
                {
                    Path = path, Member = member, InputSize = inputs, OutputSize = outputs, Groups = groups, Grouping = grouping, Layer = LayerKind.Conv2d, Shape = module.Shape(LayerKind.Conv2d),
                };
            }

            case "Linear":
                return new StaticModule(FlowModuleKind.Linear, name, method)
                {
                    Path = path, Member = member, InputSize = module.Integer("inputSize"), OutputSize = module.Integer("outputSize"), Layer = LayerKind.Linear, Shape = module.Shape(LayerKind.Linear),
                };
            case { } other when LayerFactories.TryGetValue(other, out var layer):
                // Conv1d, Conv3d and the transposed convolutions: pruned, but compaction does not follow them.
                return new StaticModule(FlowModuleKind.Opaque, name, method) { Path = path, Member = member, Layer = layer, Shape = module.Shape(layer) };
            case "BatchNorm1d" or "BatchNorm2d":
                return new StaticModule(method == "BatchNorm1d" ? FlowModuleKind.BatchNorm1d : FlowModuleKind.BatchNorm2d, name, method) { Path = path, Member = member };
            case "Flatten":
                var flattensFromOne = module.Integer("start_dim") == 1 && module.Integer("end_dim") == -1;
                return new StaticModule(flattensFromOne ? FlowModuleKind.Flatten : FlowModuleKind.Opaque, name, method) { Path = path, Member = member };
            case "Sequential" or "ModuleList":
                return new StaticModule(FlowModuleKind.Sequential, name, method) { Path = path, Member = member, Children = ContainerChildren(module, name, path) };
            case "ModuleDict":
                // Its entries are not called in order: compaction does not follow it, pruning reaches into it.
                return new StaticModule(FlowModuleKind.Opaque, name, method) { Path = path, Member = member, Children = ContainerChildren(module, name, path) };
            case { } passThrough when PassThroughFactories.Contains(passThrough):
                return new StaticModule(FlowModuleKind.PassThrough, name, method) { Path = path, Member = member };
            default:
                return new StaticModule(FlowModuleKind.Opaque, name, method) { Path = path, Member = member };
        }
    }

    /// <summary>
    /// A container's children from its factory call's arguments: modules, or (name, module) tuples, given one by one, as
    /// an array or as a list; named by their tuple name or position. Null where any of them is not known.
    /// </summary>
    private List<StaticModule>? ContainerChildren(ModuleValue container, string name, string path)
    {
        var elements = new List<StaticValue>();
        foreach (var argument in container.ArgumentsInOrder)
        {
            if (argument is ListValue list) elements.AddRange(list.Elements);
            else if (argument is ModuleValue or TupleValue) elements.Add(argument);
            else if (!ReferenceEquals(argument, StaticValue.Null)) return null;
        }

        var children = new List<StaticModule>();
        var seen = new HashSet<ModuleValue>(ReferenceEqualityComparer<ModuleValue>.Instance);
        foreach (var element in elements)
        {
            var childName = children.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var module = element as ModuleValue;
            if (element is TupleValue { Elements.Count: 2 } named)
            {
                if (named.Elements[0] is not TextValue given) return null;
                childName = given.Value;
                module = named.Elements[1] as ModuleValue;
            }

            if (module is null) return null;

            // A module given twice is registered once, under its first name.
            if (!seen.Add(module)) continue;
            children.Add(Build(module, name + "." + childName, path + "." + childName, null));
        }

        return children;
    }
}
