using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PruneSharp.Generator;

/// <summary>
/// Reads a layer's weight shape from its initializer when it calls a TorchSharp factory with constant arguments:
/// <c>Conv2d(1, 32, 3)</c>, <c>Conv2d(in_channels: 32, out_channels: 64, kernel_size: (3, 5), groups: 2)</c>,
/// <c>Linear(64 * 5 * 5, 128)</c>, <c>const</c> values included.
/// </summary>
internal static class ShapeInference
{
    /// <summary>The weight shape, or <see langword="null"/> where the initializer does not pin it down.</summary>
    public static long[]? TryInferWeightShape(ISymbol member, LayerKind kind, Compilation compilation, CancellationToken cancellationToken)
    {
        var initializer = FindInitializer(member, cancellationToken);
        if (initializer is null) return null;

        var semanticModel = compilation.GetSemanticModel(initializer.SyntaxTree);
        if (Unwrap(semanticModel.GetOperation(initializer, cancellationToken)) is not IInvocationOperation invocation) return null;

        var method = invocation.TargetMethod;
        var factories = compilation.GetTypeByMetadataName(KnownTypeNames.LayerFactories);
        if (factories is null || !SymbolEqualityComparer.Default.Equals(method.ContainingType, factories)) return null;

        var arguments = new Dictionary<string, IOperation>(StringComparer.Ordinal);
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is not null) arguments[argument.Parameter.Name] = argument.Value;
        }

        return kind switch
        {
            LayerKind.Conv2d when method.Name == "Conv2d" => Conv2dShape(arguments),
            LayerKind.Linear when method.Name == "Linear" => LinearShape(arguments),
            _ => null,
        };
    }

    private static long[]? Conv2dShape(Dictionary<string, IOperation> arguments)
    {
        var inChannels = Constant(arguments, "in_channels");
        var outChannels = Constant(arguments, "out_channels");
        var groups = arguments.ContainsKey("groups") ? Constant(arguments, "groups") : 1;
        if (inChannels is not > 0 || outChannels is not > 0 || groups is not > 0) return null;
        if (inChannels.Value % groups.Value != 0 || outChannels.Value % groups.Value != 0) return null;
        if (!arguments.TryGetValue("kernel_size", out var kernel)) return null;

        long? kernelHeight, kernelWidth;
        if (Unwrap(kernel) is ITupleOperation { Elements.Length: 2 } tuple)
        {
            kernelHeight = Constant(tuple.Elements[0]);
            kernelWidth = Constant(tuple.Elements[1]);
        }
        else
        {
            kernelHeight = kernelWidth = Constant(kernel);
        }

        if (kernelHeight is not > 0 || kernelWidth is not > 0) return null;
        return [outChannels.Value, inChannels.Value / groups.Value, kernelHeight.Value, kernelWidth.Value];
    }

    private static long[]? LinearShape(Dictionary<string, IOperation> arguments)
    {
        var inputs = Constant(arguments, "inputSize");
        var outputs = Constant(arguments, "outputSize");
        if (inputs is not > 0 || outputs is not > 0) return null;
        return [outputs.Value, inputs.Value];
    }

    private static ExpressionSyntax? FindInitializer(ISymbol member, CancellationToken cancellationToken)
    {
        foreach (var reference in member.DeclaringSyntaxReferences)
        {
            switch (reference.GetSyntax(cancellationToken))
            {
                case VariableDeclaratorSyntax { Initializer.Value: { } value }:
                    return value;
                case PropertyDeclarationSyntax { Initializer.Value: { } value }:
                    return value;
            }
        }

        return null;
    }

    private static long? Constant(Dictionary<string, IOperation> arguments, string name) =>
        arguments.TryGetValue(name, out var value) ? Constant(value) : null;

    private static long? Constant(IOperation operation)
    {
        var constant = operation.ConstantValue;
        if (!constant.HasValue || constant.Value is null) return null;
        return constant.Value switch
        {
            int value => value,
            long value => value,
            short value => value,
            byte value => value,
            _ => null,
        };
    }

    private static IOperation? Unwrap(IOperation? operation)
    {
        while (operation is IConversionOperation conversion) operation = conversion.Operand;
        return operation;
    }
}
