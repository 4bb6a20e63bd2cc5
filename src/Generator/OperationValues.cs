using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PruneSharp.Generator;

/// <summary>Reading compile-time values out of operations, shared by shape inference and compaction planning.</summary>
internal static class OperationValues
{
    /// <summary>The operation under any implicit or explicit conversions and parentheses.</summary>
    public static IOperation? Unwrap(IOperation? operation)
    {
        while (operation is IConversionOperation or IParenthesizedOperation)
        {
            operation = operation is IConversionOperation conversion ? conversion.Operand : ((IParenthesizedOperation)operation).Operand;
        }

        return operation;
    }

    /// <summary>The integral constant of the argument named <paramref name="name"/>, or null.</summary>
    public static long? Constant(Dictionary<string, IOperation> arguments, string name) =>
        arguments.TryGetValue(name, out var value) ? Constant(value) : null;

    /// <summary>The operation's integral constant, or null when it has none.</summary>
    public static long? Constant(IOperation operation)
    {
        var constant = operation.ConstantValue;
        if (!constant.HasValue || constant.Value is null) return null;
        return constant.Value switch
        {
            int value => value,
            long value => value,
            short value => value,
            ushort value => value,
            byte value => value,
            sbyte value => value,
            uint value => value,
            _ => null,
        };
    }
}
