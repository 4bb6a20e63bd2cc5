using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PruneSharp.Generator.Construction;

/// <summary>
/// The expressions the reader evaluates: constants, parameters, locals, members, integer and bool arithmetic,
/// interpolated strings, tuples, arrays and lists, TorchSharp factory calls, <c>new</c> of module classes, and calls
/// of this compilation's methods. Everything else is <see cref="StaticValue.Unknown"/>.
/// </summary>
internal sealed partial class ConstructionReader
{
    private StaticValue Evaluate(IOperation? operation, ReaderState state)
    {
        Step();
        if (operation is null) return StaticValue.Unknown;
        if (operation.ConstantValue is { HasValue: true } constant) return FromConstant(constant.Value);
        switch (operation)
        {
            case IConversionOperation conversion:
                var operand = Evaluate(conversion.Operand, state);
                return operand is IntegerValue && conversion.Type?.SpecialType is SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Decimal
                    ? StaticValue.Unknown
                    : operand;
            case IParenthesizedOperation parenthesized:
                return Evaluate(parenthesized.Operand, state);
            case IParameterReferenceOperation parameter:
                return state.Parameters.TryGetValue(parameter.Parameter, out var argument) ? argument : StaticValue.Unknown;
            case ILocalReferenceOperation local:
                return state.Locals.TryGetValue(local.Local, out var value) ? value : StaticValue.Unknown;
            case IFieldReferenceOperation { Field: { IsStatic: true } field } when field.ContainingAssembly is not null && SymbolEqualityComparer.Default.Equals(field.ContainingAssembly, _compilation.Assembly):
                return StaticField(field);
            case IFieldReferenceOperation { Field: { IsStatic: false } field, Instance: IInstanceReferenceOperation }:
                return state.Members.TryGetValue(field, out var fieldValue) ? fieldValue : StaticValue.Unknown;
            case IPropertyReferenceOperation { Property: { IsStatic: false, IsIndexer: false } property, Instance: IInstanceReferenceOperation }:
                return state.Members.TryGetValue(property, out var propertyValue) ? propertyValue : StaticValue.Unknown;
            case IPropertyReferenceOperation { Property.Name: "Count" or "Length", Instance: { } instance }:
                return Evaluate(instance, state) is ListValue counted ? new IntegerValue(counted.Elements.Count) : StaticValue.Unknown;
            case IArrayElementReferenceOperation { Indices.Length: 1 } element:
                return Evaluate(element.ArrayReference, state) is ListValue array && Evaluate(element.Indices[0], state) is IntegerValue { Value: var index } && index >= 0 && index < array.Elements.Count
                    ? array.Elements[(int)index]
                    : StaticValue.Unknown;
            case IBinaryOperation binary:
                return EvaluateBinary(binary, state);
            case IUnaryOperation unary:
                return (unary.OperatorKind, Evaluate(unary.Operand, state)) switch
                {
                    (UnaryOperatorKind.Minus, IntegerValue integer) => new IntegerValue(-integer.Value),
                    (UnaryOperatorKind.Plus, IntegerValue integer) => integer,
                    (UnaryOperatorKind.Not, BoolValue flag) => BoolValue.Of(!flag.Value),
                    _ => StaticValue.Unknown,
                };
            case IConditionalOperation { WhenFalse: not null } conditional:
                return Evaluate(conditional.Condition, state) switch
                {
                    BoolValue { Value: true } => Evaluate(conditional.WhenTrue, state),
                    BoolValue { Value: false } => Evaluate(conditional.WhenFalse, state),
                    _ => StaticValue.Merge(Evaluate(conditional.WhenTrue, state.Copy()), Evaluate(conditional.WhenFalse, state.Copy())),
                };
            case ICoalesceOperation coalesce:
                var left = Evaluate(coalesce.Value, state);
                return ReferenceEquals(left, StaticValue.Null) ? Evaluate(coalesce.WhenNull, state) : left;
            case IInterpolatedStringOperation interpolated:
                return Interpolate(interpolated, state);
            case ITupleOperation tuple:
                return new TupleValue(tuple.Elements.Select(element => Evaluate(element, state)).ToList());
            case IArrayCreationOperation { Initializer: { } initializer }:
                return new ListValue(initializer.ElementValues.Select(element => Evaluate(element, state)).ToList());
            case ICollectionExpressionOperation collection:
                return collection.Elements.Any(element => element is ISpreadOperation)
                    ? StaticValue.Unknown
                    : new ListValue(collection.Elements.Select(element => Evaluate(element, state)).ToList());
            case IObjectCreationOperation creation:
                return Create(creation, state);
            case IInvocationOperation invocation:
                return Invoke(invocation, state);
            case ISimpleAssignmentOperation or ICompoundAssignmentOperation or IIncrementOrDecrementOperation or ICoalesceAssignmentOperation:
                // An assignment used as a value (x = y = ...): run it, then read what it stored.
                ExecuteExpression(operation, state);
                return operation is ISimpleAssignmentOperation simple ? Evaluate(simple.Target, state) : StaticValue.Unknown;
            default:
                return StaticValue.Unknown;
        }
    }

    private static StaticValue FromConstant(object? value) => value switch
    {
        null => StaticValue.Null,
        int integer => new IntegerValue(integer),
        long integer => new IntegerValue(integer),
        short integer => new IntegerValue(integer),
        ushort integer => new IntegerValue(integer),
        byte integer => new IntegerValue(integer),
        sbyte integer => new IntegerValue(integer),
        uint integer => new IntegerValue(integer),
        bool flag => BoolValue.Of(flag),
        string text => new TextValue(text),
        _ => StaticValue.Unknown,
    };

    private StaticValue EvaluateBinary(IBinaryOperation binary, ReaderState state)
    {
        var left = Evaluate(binary.LeftOperand, state);

        // && and || decide on the left operand alone where they can, as C# does.
        if (binary.OperatorKind == BinaryOperatorKind.ConditionalAnd && left is BoolValue { Value: false }) return BoolValue.False;
        if (binary.OperatorKind == BinaryOperatorKind.ConditionalOr && left is BoolValue { Value: true }) return BoolValue.True;
        return Binary(binary.OperatorKind, left, Evaluate(binary.RightOperand, state));
    }

    private static StaticValue Binary(BinaryOperatorKind kind, StaticValue left, StaticValue right)
    {
        switch (left, right)
        {
            case (IntegerValue a, IntegerValue b):
                return kind switch
                {
                    BinaryOperatorKind.Add => new IntegerValue(unchecked(a.Value + b.Value)),
                    BinaryOperatorKind.Subtract => new IntegerValue(unchecked(a.Value - b.Value)),
                    BinaryOperatorKind.Multiply => new IntegerValue(unchecked(a.Value * b.Value)),
                    BinaryOperatorKind.Divide when b.Value != 0 => new IntegerValue(a.Value / b.Value),
                    BinaryOperatorKind.Remainder when b.Value != 0 => new IntegerValue(a.Value % b.Value),
                    BinaryOperatorKind.Equals => BoolValue.Of(a.Value == b.Value),
                    BinaryOperatorKind.NotEquals => BoolValue.Of(a.Value != b.Value),
                    BinaryOperatorKind.LessThan => BoolValue.Of(a.Value < b.Value),
                    BinaryOperatorKind.LessThanOrEqual => BoolValue.Of(a.Value <= b.Value),
                    BinaryOperatorKind.GreaterThan => BoolValue.Of(a.Value > b.Value),
                    BinaryOperatorKind.GreaterThanOrEqual => BoolValue.Of(a.Value >= b.Value),
                    _ => StaticValue.Unknown,
                };
            case (BoolValue a, BoolValue b):
                return kind switch
                {
                    BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.And => BoolValue.Of(a.Value && b.Value),
                    BinaryOperatorKind.ConditionalOr or BinaryOperatorKind.Or => BoolValue.Of(a.Value || b.Value),
                    BinaryOperatorKind.Equals => BoolValue.Of(a.Value == b.Value),
                    BinaryOperatorKind.NotEquals => BoolValue.Of(a.Value != b.Value),
                    _ => StaticValue.Unknown,
                };
            case (TextValue a, TextValue b) when kind == BinaryOperatorKind.Add:
                return new TextValue(a.Value + b.Value);
            case (TextValue a, IntegerValue b) when kind == BinaryOperatorKind.Add:
                return new TextValue(a.Value + b.Value.ToString(CultureInfo.InvariantCulture));
            case (IntegerValue a, TextValue b) when kind == BinaryOperatorKind.Add:
                return new TextValue(a.Value.ToString(CultureInfo.InvariantCulture) + b.Value);
            default:
                // x == null, x != null on a value the reader knows to be null or not.
                if (kind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals && (ReferenceEquals(left, StaticValue.Null) || ReferenceEquals(right, StaticValue.Null)) && !left.IsUnknown && !right.IsUnknown)
                {
                    var equal = ReferenceEquals(left, right);
                    return BoolValue.Of(kind == BinaryOperatorKind.Equals ? equal : !equal);
                }

                return StaticValue.Unknown;
        }
    }

    private StaticValue Interpolate(IInterpolatedStringOperation interpolated, ReaderState state)
    {
        var text = new System.Text.StringBuilder();
        foreach (var part in interpolated.Parts)
        {
            switch (part)
            {
                case IInterpolatedStringTextOperation literal when literal.Text.ConstantValue.Value is string value:
                    text.Append(value);
                    break;
                case IInterpolationOperation { Alignment: null, FormatString: null } hole:
                    switch (Evaluate(hole.Expression, state))
                    {
                        case IntegerValue integer:
                            text.Append(integer.Value.ToString(CultureInfo.InvariantCulture));
                            break;
                        case TextValue inner:
                            text.Append(inner.Value);
                            break;
                        default:
                            return StaticValue.Unknown;
                    }

                    break;
                default:
                    return StaticValue.Unknown;
            }
        }

        return new TextValue(text.ToString());
    }

    /// <summary><c>new List&lt;T&gt; { ... }</c>, and <c>new Block(...)</c> of a module class of this compilation.</summary>
    private StaticValue Create(IObjectCreationOperation creation, ReaderState state)
    {
        if (creation.Type is not INamedTypeSymbol type || creation.Constructor is not { } constructor) return StaticValue.Unknown;
        if (type.Name == "List" && type.ContainingNamespace?.ToDisplayString() == "System.Collections.Generic")
        {
            if (creation.Arguments.Length > 0 && !(creation.Arguments.Length == 1 && creation.Arguments[0].Value.Type?.SpecialType == SpecialType.System_Int32))
            {
                // new List<T>(other): a copy of a list the reader may know.
                return creation.Arguments.Length == 1 && Evaluate(creation.Arguments[0].Value, state) is ListValue copied ? copied : StaticValue.Unknown;
            }

            var elements = new List<StaticValue>();
            foreach (var initializer in creation.Initializer?.Initializers ?? [])
            {
                if (initializer is not IInvocationOperation { TargetMethod.Name: "Add", Arguments.Length: 1 } add) return StaticValue.Unknown;
                elements.Add(Evaluate(add.Arguments[0].Value, state));
            }

            return new ListValue(elements);
        }

        if (type.DeclaringSyntaxReferences.Length > 0 && Compaction.ForwardCompiler.IsModuleType(type) && !type.IsGenericType && creation.Initializer is null)
        {
            return ModuleValue.Block(type, constructor, Arguments(creation.Arguments, constructor, state));
        }

        return StaticValue.Unknown;
    }

    private StaticValue Invoke(IInvocationOperation invocation, ReaderState state)
    {
        var method = invocation.TargetMethod;
        if (method.IsStatic && method.ContainingType?.ToDisplayString() == FactoriesTypeName)
        {
            return ModuleValue.Factory(method, Arguments(invocation.Arguments, method, state));
        }

        if (method.Name is "ToArray" or "ToList" && invocation.Arguments.Length == (method.IsExtensionMethod ? 1 : 0))
        {
            var source = method.IsExtensionMethod ? invocation.Arguments[0].Value : invocation.Instance;
            if (Evaluate(source, state) is ListValue list) return list;
        }

        if (IsListMutation(invocation, out _) || IsRegistration(invocation))
        {
            ExecuteExpression(invocation, state);
            return StaticValue.Unknown;
        }

        return Inlinable(invocation) is { } inlined ? Inline(invocation, inlined, state) : StaticValue.Unknown;
    }
}
