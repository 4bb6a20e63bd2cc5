using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using PruneSharp.Compaction;

using static PruneSharp.Generator.OperationValues;

namespace PruneSharp.Generator.Compaction;

/// <summary>The expressions of forward that the compiler follows; everything else becomes an opaque step.</summary>
internal sealed partial class ForwardCompiler
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
        "relu", "relu_", "relu6", "gelu", "silu", "silu_", "tanh", "tanh_", "elu", "elu_", "hardswish", "hardswish_", "leaky_relu", "leaky_relu_",
        "contiguous", "clone", "detach", "alias", "MoveToOuterDisposeScope", "DetachFromDisposeScope",
    };

    private bool IsTracked(IOperation operation) => TryGetMember(operation, out _) || TryGetVariable(operation, out _);

    private int Eval(IOperation operation)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        switch (operation)
        {
            case IConversionOperation conversion when IsTensor(conversion.Operand.Type):
                return Eval(conversion.Operand);
            case IParenthesizedOperation parenthesized:
                return Eval(parenthesized.Operand);
            case IParameterReferenceOperation or ILocalReferenceOperation when TryGetVariable(operation, out var variable) && _locals.TryGetValue(variable, out var value):
                return value;
            case IInvocationOperation invocation:
                return EvalInvocation(invocation);
            case IBinaryOperation binary:
                return EvalBinary(binary);
            case ISimpleAssignmentOperation assignment when TryGetVariable(assignment.Target, out var target):
                return _locals[target] = Eval(assignment.Value);
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional when MemberNullCheck(conditional.Condition) is { } check:
            {
                var joined = NewRegister();
                var (present, absent) = check.WhenPresentIsTrue ? (conditional.WhenTrue, whenFalse) : (whenFalse, conditional.WhenTrue);
                var outer = _ops;
                _ops = [];
                Emit(new FlowOp(FlowOpKind.Copy, joined, Eval(present)));
                var thenOps = _ops;
                _ops = [];
                Emit(new FlowOp(FlowOpKind.Copy, joined, Eval(absent)));
                var elseOps = _ops;
                _ops = outer;
                Emit(new FlowOp(FlowOpKind.IfPresent, -1, -1, Member: check.Member, Then: new FlowList<FlowOp>(thenOps), Else: new FlowList<FlowOp>(elseOps)));
                return joined;
            }

            default:
                return Opaque(operation);
        }
    }

    private int EvalInvocation(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        var arguments = invocation.Arguments;
        if (invocation.Instance is { } instance && TryGetMember(instance, out var member) &&
            method.Name is "forward" or "call" && arguments.Length == 1 && IsTensor(arguments[0].Value.Type))
        {
            var input = Eval(arguments[0].Value);
            return Emit(new FlowOp(FlowOpKind.Call, NewRegister(), input, Member: member, Site: Site(invocation)));
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

    private int EvalTensorMethod(IInvocationOperation invocation, IOperation receiver)
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
                return Emit(new FlowOp(FlowOpKind.Flatten, NewRegister(), Eval(receiver), Site: Site(invocation)));
            case "view" or "reshape" when tensorArguments.Count == 0:
                return View(invocation, receiver);
            case "mean" or "sum" when tensorArguments.Count == 0:
                return ReduceSpatial(invocation, receiver);
            case "add" or "add_" when tensorArguments.Count == 1 && tensorArguments[0].Parameter?.Ordinal == 0 && OnlyDefaults(invocation, tensorArguments[0]):
            {
                var result = Sum(invocation, receiver, tensorArguments[0].Value);

                // add_ changes its receiver: a variable that held it now holds the sum.
                if (name == "add_" && TryGetVariable(Unparenthesized(receiver), out var changed)) _locals[changed] = result;
                return result;
            }

            case "mul" or "div" when tensorArguments.Count == 0:
                return PassThrough(invocation, receiver, invocation.Arguments);
            default:
                return OpaqueInPlace(invocation, receiver);
        }
    }

    private int EvalFunction(IInvocationOperation invocation, IOperation input)
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
                return Emit(new FlowOp(FlowOpKind.Flatten, NewRegister(), Eval(input), Site: Site(invocation)));
            case "add" when tensorOthers.Count == 1 && tensorOthers[0].Parameter?.Ordinal == 1 && OnlyDefaults(invocation, invocation.Arguments[0], tensorOthers[0]):
                return Sum(invocation, input, tensorOthers[0].Value);
            default:
                return Opaque(invocation);
        }
    }

    private int EvalBinary(IBinaryOperation binary)
    {
        var leftIsTensor = IsTensor(binary.LeftOperand.Type);
        var rightIsTensor = IsTensor(binary.RightOperand.Type);
        switch (binary.OperatorKind)
        {
            case BinaryOperatorKind.Add when leftIsTensor && rightIsTensor:
                return Sum(binary, binary.LeftOperand, binary.RightOperand);
            case BinaryOperatorKind.Multiply when leftIsTensor != rightIsTensor:
                return leftIsTensor ? PassThrough(binary, binary.LeftOperand, [binary.RightOperand]) : PassThrough(binary, binary.RightOperand, [binary.LeftOperand]);
            case BinaryOperatorKind.Divide when leftIsTensor && !rightIsTensor:
                return PassThrough(binary, binary.LeftOperand, [binary.RightOperand]);
            default:
                return Opaque(binary);
        }
    }

    /// <summary>An op that keeps the value's channels and zeros; its other (non-tensor) arguments must not touch tracked values.</summary>
    private int PassThrough(IOperation operation, IOperation input, IEnumerable<IOperation> others)
    {
        var value = Eval(input);
        foreach (var other in others)
        {
            if (other is IArgumentOperation { ArgumentKind: ArgumentKind.DefaultValue }) continue;
            if (IsTracked(other) || other.Descendants().Any(IsTracked)) Opaque(other, null, Site(operation));
        }

        return value;
    }

    private int Sum(IOperation operation, IOperation left, IOperation right)
    {
        var leftValue = Eval(left);
        var rightValue = Eval(right);
        return Emit(new FlowOp(FlowOpKind.Add, NewRegister(), leftValue, rightValue, Site: Site(operation)));
    }

    /// <summary><c>view</c>/<c>reshape</c> to [batch, -1] or [-1, K]: a flatten from dim 1.</summary>
    private int View(IInvocationOperation invocation, IOperation receiver)
    {
        var sizes = ArrayElements(invocation.Arguments.FirstOrDefault(argument => argument.Parameter?.Ordinal == 0)?.Value);
        if (sizes is { Count: 2 })
        {
            var first = Constant(sizes[0]);
            var second = Constant(sizes[1]);
            if (second == -1 && (first is > 0 || IsBatchSize(sizes[0])))
            {
                return Emit(new FlowOp(FlowOpKind.Flatten, NewRegister(), Eval(receiver), Site: Site(invocation)));
            }

            if (first == -1 && second is > 0)
            {
                return Emit(new FlowOp(FlowOpKind.FlattenTo, NewRegister(), Eval(receiver), Size: second.Value, Site: Site(invocation)));
            }
        }

        return Opaque(invocation);
    }

    /// <summary><c>mean</c>/<c>sum</c> over the two spatial dims of a [N, C, H, W] tensor.</summary>
    private int ReduceSpatial(IInvocationOperation invocation, IOperation receiver)
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
        return Emit(new FlowOp(FlowOpKind.ReduceSpatial, NewRegister(), Eval(receiver), KeepDim: keepDim, Site: Site(invocation)));
    }

    /// <summary>An unfollowed method of a tensor variable whose name ends in <c>_</c> changes the variable: it holds the unknown result after.</summary>
    private int OpaqueInPlace(IInvocationOperation invocation, IOperation receiver)
    {
        var result = Opaque(invocation);
        if (invocation.TargetMethod.Name.EndsWith("_", StringComparison.Ordinal) && TryGetVariable(Unparenthesized(receiver), out var changed)) _locals[changed] = result;
        return result;
    }

    /// <summary>A tensor variable the program tracks: a tensor local, or forward's input parameter.</summary>
    private bool TryGetVariable(IOperation operation, out ISymbol variable)
    {
        switch (operation)
        {
            case ILocalReferenceOperation local when IsTensor(local.Type):
                variable = local.Local;
                return true;
            case IParameterReferenceOperation parameter when SymbolEqualityComparer.Default.Equals(parameter.Parameter, _input):
                variable = parameter.Parameter;
                return true;
            default:
                variable = null!;
                return false;
        }
    }

    private int Opaque(IOperation operation) =>
        Opaque(operation, $"forward passes them to '{Abbreviate(operation.Syntax.ToString())}', which Compact() does not follow", Site(operation));

    /// <summary>An opaque step over everything <paramref name="operation"/> touches (and <paramref name="extraInputs"/>).</summary>
    private int Opaque(IOperation operation, string? reason, int site, IEnumerable<int>? extraInputs = null)
    {
        var inputs = new List<int>(extraInputs ?? []);
        var members = new List<string>();
        if (TryGetMember(operation, out var self)) members.Add(self);
        else Escape(operation, inputs, members);
        return Emit(new FlowOp(
            FlowOpKind.Opaque,
            NewRegister(),
            -1,
            Reason: reason ?? $"forward passes them to '{Abbreviate(operation.Syntax.ToString())}', which Compact() does not follow",
            Site: site,
            Inputs: new FlowList<int>(inputs.Distinct()),
            Members: new FlowList<string>(members.Distinct())));
    }

    private void Escape(IOperation operation, List<int> inputs, List<string> members)
    {
        foreach (var child in operation.ChildOperations)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            if (TryGetMember(child, out var member))
            {
                members.Add(member);
            }
            else if (IsTensor(child.Type) && child is not IArgumentOperation)
            {
                inputs.Add(Eval(child));
            }
            else
            {
                Escape(child, inputs, members);
            }
        }
    }

    /// <summary>A reference to an instance field or property of this class (or a base) whose type is a TorchSharp module.</summary>
    private bool TryGetMember(IOperation operation, out string member)
    {
        operation = Unparenthesized(operation);
        var symbol = operation switch
        {
            IFieldReferenceOperation { Instance: IInstanceReferenceOperation } field => (ISymbol)field.Field,
            IPropertyReferenceOperation { Instance: IInstanceReferenceOperation, Arguments.Length: 0 } property => property.Property,
            _ => null,
        };
        var type = symbol switch
        {
            IFieldSymbol field => field.Type,
            IPropertySymbol property => property.Type,
            _ => null,
        };
        member = symbol?.Name ?? string.Empty;
        return symbol is not null && IsModuleType(type);
    }

    private static IOperation Unparenthesized(IOperation operation)
    {
        while (operation is IConversionOperation or IParenthesizedOperation)
        {
            operation = operation is IConversionOperation conversion ? conversion.Operand : ((IParenthesizedOperation)operation).Operand;
        }

        return operation;
    }

    /// <summary>Whether every argument but <paramref name="used"/> is left at its default (an <c>alpha</c> would scale a branch).</summary>
    private static bool OnlyDefaults(IInvocationOperation invocation, params IArgumentOperation[] used) =>
        invocation.Arguments.All(argument => used.Contains(argument) || argument.ArgumentKind == ArgumentKind.DefaultValue);

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

    private static string Abbreviate(string code)
    {
        var singleLine = string.Join(" ", code.Split(['\r', '\n', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        return singleLine.Length <= 60 ? singleLine : singleLine.Substring(0, 57) + "...";
    }
}
