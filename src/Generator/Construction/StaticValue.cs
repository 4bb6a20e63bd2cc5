using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace PruneSharp.Generator.Construction;

/// <summary>
/// What an expression of a module class's construction evaluates to, as far as the code shows it
/// (<see cref="ConstructionReader"/>): an integer, a bool, a string, null, a tuple, a list, a module being built, or
/// <see cref="Unknown"/>. Values are immutable; <see cref="Key"/> compares them (two branches or two constructors
/// that build the same thing agree).
/// </summary>
internal abstract class StaticValue
{
    /// <summary>A value only run time knows.</summary>
    public static readonly StaticValue Unknown = new UnknownValue();

    public static readonly StaticValue Null = new NullValue();

    /// <summary>A canonical text of the value: equal keys, equal values.</summary>
    public abstract string Key { get; }

    public bool IsUnknown => ReferenceEquals(this, Unknown);

    /// <summary>The value where both are the same, otherwise <see cref="Unknown"/>.</summary>
    public static StaticValue Merge(StaticValue left, StaticValue right) => left.Key == right.Key ? left : Unknown;

    public override string ToString() => Key;

    private sealed class UnknownValue : StaticValue
    {
        public override string Key => "?";
    }

    private sealed class NullValue : StaticValue
    {
        public override string Key => "null";
    }
}

internal sealed class IntegerValue(long value) : StaticValue
{
    public long Value { get; } = value;

    public override string Key => Value.ToString(CultureInfo.InvariantCulture);
}

internal sealed class BoolValue(bool value) : StaticValue
{
    public static readonly BoolValue True = new(true);
    public static readonly BoolValue False = new(false);

    public bool Value { get; } = value;

    public override string Key => Value ? "true" : "false";

    public static BoolValue Of(bool value) => value ? True : False;
}

internal sealed class TextValue(string value) : StaticValue
{
    public string Value { get; } = value;

    public override string Key => "\"" + Value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

internal sealed class TupleValue(IReadOnlyList<StaticValue> elements) : StaticValue
{
    public IReadOnlyList<StaticValue> Elements { get; } = elements;

    public override string Key => "(" + string.Join(", ", Elements.Select(element => element.Key)) + ")";
}

/// <summary>An array, a <c>List&lt;T&gt;</c> or a collection expression: its elements in order.</summary>
internal sealed class ListValue(IReadOnlyList<StaticValue> elements) : StaticValue
{
    public static readonly ListValue Empty = new([]);

    public IReadOnlyList<StaticValue> Elements { get; } = elements;

    public override string Key => "[" + string.Join(", ", Elements.Select(element => element.Key)) + "]";

    public ListValue Append(StaticValue element) => new([.. Elements, element]);
}

/// <summary>
/// A module being built: a TorchSharp factory call (<c>Conv2d(3, 64, 3)</c>, <c>Sequential(...)</c>) with its arguments'
/// values by parameter name, or <c>new Block(...)</c> of a module class of this compilation with its constructor's
/// arguments. Each evaluation is a new module (<c>Sequential(relu, relu)</c> holds one module twice): equality of
/// what is built is by <see cref="StaticValue.Key"/>, identity by reference.
/// </summary>
internal sealed class ModuleValue : StaticValue
{
    private ModuleValue(IMethodSymbol method, INamedTypeSymbol? blockClass, IReadOnlyDictionary<string, StaticValue> arguments, IReadOnlyList<StaticValue> argumentsInOrder)
    {
        Method = method;
        BlockClass = blockClass;
        Arguments = arguments;
        ArgumentsInOrder = argumentsInOrder;
        Key = (blockClass is null ? method.Name : "new " + blockClass.ToDisplayString() + "#" + method.Parameters.Length)
            + "(" + string.Join(", ", argumentsInOrder.Select(argument => argument.Key)) + ")";
    }

    /// <summary>The factory method, or the constructor of <see cref="BlockClass"/>.</summary>
    public IMethodSymbol Method { get; }

    /// <summary>For <c>new Block(...)</c>: the class; null for a TorchSharp factory.</summary>
    public INamedTypeSymbol? BlockClass { get; }

    /// <summary>The arguments by parameter name, defaults included.</summary>
    public IReadOnlyDictionary<string, StaticValue> Arguments { get; }

    /// <summary>The arguments in the order of the method's parameters.</summary>
    public IReadOnlyList<StaticValue> ArgumentsInOrder { get; }

    public override string Key { get; }

    /// <summary>The weight shape a layer factory call of <paramref name="kind"/> builds, where its arguments are known.</summary>
    public LayerShape? Shape(LayerKind kind) => BlockClass is null && Method.Name == kind.ToString() ? ShapeInference.ShapeOf(kind, new ValueArguments(Arguments)) : null;

    /// <summary>The integer value of the argument <paramref name="name"/>, or null where it is not known.</summary>
    public long? Integer(string name) => Arguments.TryGetValue(name, out var value) && value is IntegerValue integer ? integer.Value : null;

    public static ModuleValue Factory(IMethodSymbol method, IReadOnlyList<StaticValue> arguments) => new(method, null, ByName(method, arguments), arguments);

    public static ModuleValue Block(INamedTypeSymbol type, IMethodSymbol constructor, IReadOnlyList<StaticValue> arguments) => new(constructor, type, ByName(constructor, arguments), arguments);

    private static Dictionary<string, StaticValue> ByName(IMethodSymbol method, IReadOnlyList<StaticValue> arguments)
    {
        var byName = new Dictionary<string, StaticValue>(System.StringComparer.Ordinal);
        for (var index = 0; index < method.Parameters.Length && index < arguments.Count; index++) byName[method.Parameters[index].Name] = arguments[index];
        return byName;
    }

    private sealed class ValueArguments(IReadOnlyDictionary<string, StaticValue> arguments) : IFactoryArguments
    {
        public bool Has(string name) => arguments.ContainsKey(name);

        public long? Integer(string name) => arguments.TryGetValue(name, out var value) && value is IntegerValue integer ? integer.Value : null;

        public long?[]? Tuple(string name) =>
            arguments.TryGetValue(name, out var value) && value is TupleValue tuple
                ? tuple.Elements.Select(element => element is IntegerValue integer ? integer.Value : (long?)null).ToArray()
                : null;
    }
}
