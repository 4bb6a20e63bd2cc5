using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

using static PruneSharp.Generator.OperationValues;

namespace PruneSharp.Generator.Compaction;

/// <summary>The statements and expressions of forward that the graph follows; everything else is opaque.</summary>
internal sealed partial class ForwardGraph
{
    private const string TensorTypeName = "TorchSharp.torch.Tensor";
    private const string TorchTypeName = "TorchSharp.torch";
    private const string FunctionalTypeName = "TorchSharp.torch.nn.functional";

    /// <summary>Functions of torch and torch.nn.functional that map each channel on its own and keep zero at zero.</summary>
    private static readonly HashSet<string> PassThroughFunctions = new(StringComparer.Ordinal)
    {
        "relu", "relu6", "leaky_relu", "gelu", "silu", "tanh", "elu", "selu", "hardswish", "mish",
        "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "dropout", "dropout2d",
    };

    /// <summary>Tensor methods that map each channel on its own and keep zero at zero, or only move the tensor.</summary>
    private static readonly HashSet<string> PassThroughMethods = new(StringComparer.Ordinal)
    {
        "relu", "relu_", "relu6", "gelu", "silu", "tanh", "tanh_", "elu", "hardswish", "leaky_relu",
        "contiguous", "clone", "detach", "MoveToOuterDisposeScope", "DetachFromDisposeScope",
    };

    private void VisitStatement(IOperation? statement)
    {
        if (statement is null) return;
        _cancellationToken.ThrowIfCancellationRequested();
        switch (statement)
        {
            case IBlockOperation block:
                foreach (var inner in block.Operations) VisitStatement(inner);
                break;
            case IVariableDeclarationGroupOperation group:
                VisitDeclarations(group);
                break;
            case IUsingDeclarationOperation usingDeclaration:
                VisitDeclarations(usingDeclaration.DeclarationGroup);
                break;
            case IUsingOperation usingBlock:
                VisitStatement(usingBlock.Resources);
                VisitStatement(usingBlock.Body);
                break;
            case IExpressionStatementOperation expression:
                EvalOrMention(expression.Operation);
                break;
            case IReturnOperation { ReturnedValue: { } returned }:
                var output = Eval(returned);
                Block(output.Space, new Blocker(DiagnosticDescriptors.ChannelsAtModelBoundary, returned.Syntax.GetLocation(), "forward returns them: they are the model's output, whose size cannot change"));
                break;
            default:
                OpaqueStatement(statement);
                break;
        }
    }

    private void VisitDeclarations(IVariableDeclarationGroupOperation group)
    {
        foreach (var declaration in group.Declarations)
        {
            foreach (var declarator in declaration.Declarators)
            {
                var initializer = declarator.Initializer?.Value ?? declaration.Initializer?.Value;
                if (initializer is null) continue;
                if (IsTensor(declarator.Symbol.Type))
                {
                    _locals[declarator.Symbol] = Eval(initializer);
                }
                else
                {
                    EvalOrMention(initializer);
                }
            }
        }
    }

    /// <summary>A statement the graph does not follow: every value and layer it touches is blocked, and every tensor local it assigns becomes unknown.</summary>
    private void OpaqueStatement(IOperation statement)
    {
        var firstToken = statement.Syntax.GetFirstToken();
        var blocker = new Blocker(DiagnosticDescriptors.ForwardNotFollowed, firstToken.GetLocation(), $"forward uses them in a '{firstToken.ValueText}' statement, which Compact() does not follow");
        var assignedLocals = statement.Descendants().OfType<IAssignmentOperation>()
            .Select(assignment => assignment.Target)
            .OfType<ILocalReferenceOperation>()
            .Where(local => IsTensor(local.Type))
            .Select(local => local.Local)
            .ToList();

        // A local the statement may or may not reassign can leave it holding its old value: that value escapes too.
        foreach (var local in assignedLocals)
        {
            if (_locals.TryGetValue(local, out var before)) Block(before.Space, blocker);
        }

        EscapeChildren(statement, blocker);
        foreach (var local in assignedLocals) _locals[local] = Unknown(blocker);
    }

    /// <summary>Evaluates a tensor expression; blocks whatever a non-tensor expression touches.</summary>
    private void EvalOrMention(IOperation operation)
    {
        if (IsTensor(operation.Type))
        {
            Eval(operation);
            return;
        }

        if (TryGetLayer(operation, out _) || operation.Descendants().Any(IsTracked))
        {
            EscapeChildren(operation, Unfollowed(operation));
            if (TryGetLayer(operation, out var layer)) BlockLayer(layer, Unfollowed(operation));
        }
    }

    private bool IsTracked(IOperation operation) =>
        TryGetLayer(operation, out _) ||
        (operation is ILocalReferenceOperation local && IsTensor(local.Type)) ||
        (operation is IParameterReferenceOperation parameter && SymbolEqualityComparer.Default.Equals(parameter.Parameter, _input));

    private TensorValue Eval(IOperation operation)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        switch (operation)
        {
            case IConversionOperation conversion when IsTensor(conversion.Operand.Type):
                return Eval(conversion.Operand);
            case IParameterReferenceOperation parameter when SymbolEqualityComparer.Default.Equals(parameter.Parameter, _input):
                return InputValue(parameter);
            case ILocalReferenceOperation local when _locals.TryGetValue(local.Local, out var value):
                return value;
            case IInvocationOperation invocation:
                return EvalInvocation(invocation);
            case IBinaryOperation binary:
                return EvalBinary(binary);
            case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when IsTensor(local.Type):
                return _locals[local.Local] = Eval(assignment.Value);
            default:
                return Opaque(operation);
        }
    }

    private TensorValue InputValue(IOperation reference)
    {
        if (_inputSpace < 0)
        {
            _inputSpace = NewSpace();
            Block(_inputSpace, new Blocker(DiagnosticDescriptors.ChannelsAtModelBoundary, reference.Syntax.GetLocation(), "forward couples them with the channels of the model's input, whose size cannot change"));
        }

        return new TensorValue(_inputSpace, TensorLayout.Unknown, Producers.Other);
    }

    private TensorValue EvalInvocation(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        var arguments = invocation.Arguments;
        if (invocation.Instance is { } instance && TryGetLayer(instance, out var layer) &&
            method.Name is "forward" or "call" && arguments.Length == 1 && IsTensor(arguments[0].Value.Type))
        {
            return CallLayer(layer, arguments[0].Value, invocation);
        }

        var container = method.ContainingType?.ToDisplayString();
        if (container == TensorTypeName && !method.IsStatic && invocation.Instance is { } receiver && IsTensor(receiver.Type))
        {
            return EvalTensorMethod(invocation, receiver);
        }

        if (method.IsStatic && container is TorchTypeName or FunctionalTypeName && arguments.Length > 0 &&
            arguments[0].Parameter?.Ordinal == 0 && IsTensor(arguments[0].Value.Type))
        {
            return EvalFunction(invocation, arguments[0].Value);
        }

        return Opaque(invocation);
    }

    private TensorValue EvalTensorMethod(IInvocationOperation invocation, IOperation receiver)
    {
        var name = invocation.TargetMethod.Name;
        var tensorArguments = invocation.Arguments.Where(argument => IsTensor(argument.Value.Type)).ToList();
        if (PassThroughMethods.Contains(name) && tensorArguments.Count == 0)
        {
            return PassThrough(invocation, receiver, invocation.Arguments);
        }

        switch (name)
        {
            case "flatten" when tensorArguments.Count == 0 && FlattensFromDimOne(invocation, "start_dim", "end_dim"):
                return Flatten(Eval(receiver), invocation);
            case "view" or "reshape" when tensorArguments.Count == 0:
                return View(invocation, receiver);
            case "mean" or "sum" when tensorArguments.Count == 0:
                return ReduceSpatial(invocation, receiver);
            case "add" when tensorArguments.Count == 1 && tensorArguments[0].Parameter?.Ordinal == 0:
                return Add(invocation, receiver, tensorArguments[0].Value);
            case "mul" or "div" when tensorArguments.Count == 0:
                return PassThrough(invocation, receiver, invocation.Arguments);
            default:
                return Opaque(invocation);
        }
    }

    private TensorValue EvalFunction(IInvocationOperation invocation, IOperation input)
    {
        var name = invocation.TargetMethod.Name;
        var others = invocation.Arguments.Skip(1).ToList();
        var tensorOthers = others.Where(argument => IsTensor(argument.Value.Type)).ToList();
        if (invocation.TargetMethod.ContainingType?.ToDisplayString() == FunctionalTypeName && PassThroughFunctions.Contains(name) && tensorOthers.Count == 0)
        {
            return PassThrough(invocation, input, others);
        }

        switch (name)
        {
            case "relu" or "tanh" or "silu" or "gelu" when tensorOthers.Count == 0:
                return PassThrough(invocation, input, others);
            case "flatten" when tensorOthers.Count == 0 && FlattensFromDimOne(invocation, "start_dim", "end_dim"):
                return Flatten(Eval(input), invocation);
            case "add" when tensorOthers.Count == 1 && tensorOthers[0].Parameter?.Ordinal == 1:
                return Add(invocation, input, tensorOthers[0].Value);
            default:
                return Opaque(invocation);
        }
    }

    private TensorValue EvalBinary(IBinaryOperation binary)
    {
        var leftIsTensor = IsTensor(binary.LeftOperand.Type);
        var rightIsTensor = IsTensor(binary.RightOperand.Type);
        switch (binary.OperatorKind)
        {
            case BinaryOperatorKind.Add when leftIsTensor && rightIsTensor:
                return Add(binary, binary.LeftOperand, binary.RightOperand);
            case BinaryOperatorKind.Multiply when leftIsTensor != rightIsTensor:
                return leftIsTensor ? PassThrough(binary, binary.LeftOperand, [binary.RightOperand]) : PassThrough(binary, binary.RightOperand, [binary.LeftOperand]);
            case BinaryOperatorKind.Divide when leftIsTensor && !rightIsTensor:
                return PassThrough(binary, binary.LeftOperand, [binary.RightOperand]);
            default:
                return Opaque(binary);
        }
    }

    /// <summary>An op that keeps the value's channels and zeros; its other (non-tensor) arguments must not touch tracked values.</summary>
    private TensorValue PassThrough(IOperation operation, IOperation input, IEnumerable<IOperation> others)
    {
        var value = Eval(input);
        foreach (var other in others)
        {
            if (other is IArgumentOperation { ArgumentKind: ArgumentKind.DefaultValue }) continue;
            MentionIn(operation, other);
        }

        return value;
    }

    private void MentionIn(IOperation operation, IOperation other)
    {
        if (IsTracked(other) || other.Descendants().Any(IsTracked))
        {
            var blocker = Unfollowed(operation);
            if (TryGetLayer(other, out var layer)) BlockLayer(layer, blocker);
            EscapeChildren(other, blocker);
        }
    }

    private TensorValue Add(IOperation operation, IOperation leftOperand, IOperation rightOperand)
    {
        var left = Eval(leftOperand);
        var right = Eval(rightOperand);
        if (left.Layout != TensorLayout.Unknown && right.Layout != TensorLayout.Unknown && left.Layout != right.Layout)
        {
            var blocker = Unfollowed(operation, "forward adds them to a tensor of another shape");
            Block(left.Space, blocker);
            Block(right.Space, blocker);
            return Unknown(blocker);
        }

        Union(left.Space, right.Space);
        var layout = left.Layout != TensorLayout.Unknown ? left.Layout : right.Layout;
        return new TensorValue(left.Space, layout, left.Producers.Union(right.Producers));
    }

    /// <summary>A flatten from dim 1 to the last: [N, C, H, W] becomes channel-major [N, C × H × W]; [N, C] stays.</summary>
    private TensorValue Flatten(TensorValue value, IOperation operation)
    {
        switch (value.Layout)
        {
            case TensorLayout.Vector:
                return value;
            case TensorLayout.LastAxis:
                var blocker = Unfollowed(operation, "forward flattens a tensor whose channels are on its last axis and whose rank is not known");
                Block(value.Space, blocker);
                return Unknown(blocker);
            default:
                return value.WithLayout(TensorLayout.Flattened, value.FlatSize);
        }
    }

    /// <summary><c>view</c>/<c>reshape</c> to [batch, -1] or [-1, K]: a flatten from dim 1.</summary>
    private TensorValue View(IInvocationOperation invocation, IOperation receiver)
    {
        var sizes = ArrayElements(invocation.Arguments.FirstOrDefault(argument => argument.Parameter?.Ordinal == 0)?.Value);
        if (sizes is { Count: 2 })
        {
            var first = Constant(sizes[0]);
            var second = Constant(sizes[1]);
            if (second == -1 && (first is > 0 || IsBatchSize(sizes[0]))) return Flatten(Eval(receiver), invocation);
            if (first == -1 && second is > 0)
            {
                var flattened = Flatten(Eval(receiver), invocation);
                return flattened.Layout == TensorLayout.Unknown ? flattened : flattened.WithLayout(flattened.Layout, second);
            }
        }

        return Opaque(invocation);
    }

    /// <summary><c>mean</c>/<c>sum</c> over the two spatial dims of a [N, C, H, W] tensor: keeps the channels, and zeros.</summary>
    private TensorValue ReduceSpatial(IInvocationOperation invocation, IOperation receiver)
    {
        var dims = new List<long>();
        var keepDim = false;
        foreach (var argument in invocation.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.DefaultValue || argument.Parameter is null) continue;
            switch (argument.Parameter.Name)
            {
                case "dimensions" or "dim" when ArrayElements(argument.Value) is { } elements:
                    foreach (var element in elements)
                    {
                        if (Constant(element) is not { } dim) return Opaque(invocation);
                        dims.Add(dim);
                    }

                    break;
                case "dim" or "dim0" or "dim1" when Constant(argument.Value) is { } single:
                    dims.Add(single);
                    break;
                case "keepdim" when argument.Value.ConstantValue is { HasValue: true, Value: bool keep }:
                    keepDim = keep;
                    break;
                case "type":
                    break;
                default:
                    return Opaque(invocation);
            }
        }

        var normalized = dims.Select(dim => dim < 0 ? dim + 4 : dim).OrderBy(dim => dim).ToList();
        if (!normalized.SequenceEqual([2L, 3L])) return Opaque(invocation);
        var value = Eval(receiver);
        if (value.Layout == TensorLayout.Unknown) return value;
        if (value.Layout != TensorLayout.Spatial)
        {
            var blocker = Unfollowed(invocation, "forward reduces dims 2 and 3 of a tensor that has no spatial dims");
            Block(value.Space, blocker);
            return Unknown(blocker);
        }

        return value.WithLayout(keepDim ? TensorLayout.Spatial : TensorLayout.Vector);
    }

    private TensorValue CallLayer(GraphLayer layer, IOperation argumentOperation, IInvocationOperation invocation)
    {
        var argument = Eval(argumentOperation);
        layer.Used = true;
        switch (layer.Role)
        {
            case LayerRole.PassThrough:
                return argument;
            case LayerRole.Flatten:
                return Flatten(argument, invocation);
            case LayerRole.Conv2d:
            {
                EnsureSpaces(layer);
                if (argument.Layout is TensorLayout.Vector or TensorLayout.Flattened or TensorLayout.LastAxis)
                {
                    Block(argument.Space, Unfollowed(invocation, $"forward applies Conv2d '{layer.Name}' to a tensor without spatial dims"));
                }

                Union(layer.InputSpace, argument.Space);
                return new TensorValue(layer.OutputSpace, TensorLayout.Spatial, ProducedBy(layer));
            }

            case LayerRole.Linear:
            {
                EnsureSpaces(layer);
                if (argument.Layout == TensorLayout.Spatial)
                {
                    Block(argument.Space, Unfollowed(invocation, $"forward applies Linear '{layer.Name}' to a tensor that still has spatial dims, so it mixes their last axis, not the channels"));
                }
                else if (argument.Layout == TensorLayout.Flattened)
                {
                    _flattenedReads.Add((layer, argument.Space, argument.FlatSize, argumentOperation.Syntax.GetLocation()));
                }

                Union(layer.InputSpace, argument.Space);
                var layout = argument.Layout is TensorLayout.Vector or TensorLayout.Flattened ? TensorLayout.Vector : TensorLayout.LastAxis;
                return new TensorValue(layer.OutputSpace, layout, ProducedBy(layer));
            }

            case LayerRole.BatchNorm1d or LayerRole.BatchNorm2d:
            {
                EnsureSpaces(layer);
                var expected = layer.Role == LayerRole.BatchNorm2d ? TensorLayout.Spatial : TensorLayout.Vector;
                var producers = argument.Producers;

                // BatchNorm1d normalizes dim 1: after a Linear it only runs on a [N, C] input (unless sizes coincide).
                if (layer.Role == LayerRole.BatchNorm1d && argument.Layout == TensorLayout.LastAxis) argument = argument.WithLayout(TensorLayout.Vector);
                if (argument.Layout != TensorLayout.Unknown && argument.Layout != expected)
                {
                    Block(argument.Space, Unfollowed(invocation, $"forward applies {layer.Role} '{layer.Name}' to a tensor whose features are not its channels"));
                    producers = Producers.Other;
                }

                Union(layer.InputSpace, argument.Space);
                layer.BatchNormInputs = layer.BatchNormInputs.Union(producers);
                return argument;
            }

            default:
            {
                var blocker = Unfollowed(invocation, $"forward passes them to '{layer.Name}', a {TypeName(layer.Member)} whose inside Compact() does not follow");
                Block(argument.Space, blocker);
                return Unknown(blocker);
            }
        }
    }

    private Producers ProducedBy(GraphLayer layer) => new(ImmutableSortedSet.Create(_layerIndex[layer.Member]), false);

    /// <summary>Code the graph does not follow: the values and layers it touches are blocked, and its result is unknown.</summary>
    private TensorValue Opaque(IOperation operation)
    {
        var blocker = Unfollowed(operation);
        EscapeChildren(operation, blocker);
        if (TryGetLayer(operation, out var layer)) BlockLayer(layer, blocker);
        return Unknown(blocker);
    }

    private TensorValue Unknown(Blocker blocker)
    {
        var space = NewSpace();
        Block(space, blocker);
        return new TensorValue(space, TensorLayout.Unknown, Producers.Other);
    }

    private void EscapeChildren(IOperation operation, Blocker blocker)
    {
        foreach (var child in operation.ChildOperations)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            if (TryGetLayer(child, out var layer))
            {
                BlockLayer(layer, blocker);
            }
            else if (IsTensor(child.Type) && child is not IArgumentOperation)
            {
                Block(Eval(child).Space, blocker);
            }
            else
            {
                EscapeChildren(child, blocker);
            }
        }
    }

    private void BlockLayer(GraphLayer layer, Blocker blocker)
    {
        layer.Used = true;
        if (!layer.HasChannels) return;
        EnsureSpaces(layer);
        Block(layer.InputSpace, blocker);
        if (layer.IsProducer) Block(layer.OutputSpace, blocker);
        if (layer.Role is LayerRole.BatchNorm1d or LayerRole.BatchNorm2d) layer.BatchNormInputs = Producers.Other;
    }

    private Blocker Unfollowed(IOperation operation, string? reason = null) =>
        new(DiagnosticDescriptors.ForwardNotFollowed, operation.Syntax.GetLocation(), reason ?? $"forward passes them to '{Abbreviate(operation.Syntax.ToString())}', which Compact() does not follow");

    private bool TryGetLayer(IOperation operation, out GraphLayer layer)
    {
        while (operation is IConversionOperation conversion) operation = conversion.Operand;
        var member = operation switch
        {
            IFieldReferenceOperation { Instance: IInstanceReferenceOperation } field => (ISymbol)field.Field,
            IPropertyReferenceOperation { Instance: IInstanceReferenceOperation, Arguments.Length: 0 } property => property.Property,
            _ => null,
        };
        if (member is not null && _layerIndex.TryGetValue(member.OriginalDefinition, out var index))
        {
            layer = _layers[index];
            return true;
        }

        layer = null!;
        return false;
    }

    private bool IsTensor(ITypeSymbol? type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, _tensorType)) return true;
        }

        return false;
    }

    /// <summary>Whether a flatten call flattens from dim 1 to the last dim.</summary>
    private static bool FlattensFromDimOne(IInvocationOperation invocation, string startName, string endName)
    {
        long? start = null, end = null;
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Name == startName) start = Constant(argument.Value);
            else if (argument.Parameter?.Name == endName) end = Constant(argument.Value);
        }

        return start == 1 && end == -1;
    }

    /// <summary><c>x.shape[0]</c> or <c>x.size(0)</c>: the batch size.</summary>
    private bool IsBatchSize(IOperation operation)
    {
        while (operation is IConversionOperation conversion) operation = conversion.Operand;
        return operation switch
        {
            IArrayElementReferenceOperation { ArrayReference: IPropertyReferenceOperation { Property.Name: "shape", Instance: { } shapeOf } } element =>
                IsTensor(shapeOf.Type) && element.Indices.Length == 1 && Constant(element.Indices[0]) == 0,
            IInvocationOperation { TargetMethod.Name: "size", Instance: { } sizeOf } size =>
                IsTensor(sizeOf.Type) && size.Arguments.Length == 1 && Constant(size.Arguments[0].Value) == 0,
            _ => false,
        };
    }

    private static IReadOnlyList<IOperation>? ArrayElements(IOperation? operation)
    {
        while (operation is IConversionOperation conversion) operation = conversion.Operand;
        return operation switch
        {
            IArrayCreationOperation { Initializer: { } initializer } => initializer.ElementValues,
            ICollectionExpressionOperation collection => collection.Elements,
            _ => null,
        };
    }

    private static string TypeName(ISymbol member) => member switch
    {
        IFieldSymbol field => field.Type.Name,
        IPropertySymbol property => property.Type.Name,
        _ => member.Name,
    };

    private static string Abbreviate(string code)
    {
        var singleLine = string.Join(" ", code.Split(['\r', '\n', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        return singleLine.Length <= 60 ? singleLine : singleLine.Substring(0, 57) + "...";
    }
}
