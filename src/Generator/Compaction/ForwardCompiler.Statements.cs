using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using PruneSharp.Compaction;

namespace PruneSharp.Generator.Compaction;

/// <summary>The statements of forward that the compiler follows: declarations, expressions, <c>using</c>, <c>return</c>, <c>if</c> on a module member or a bool flag, <c>foreach</c> over a ModuleList; others become an opaque step.</summary>
internal sealed partial class ForwardCompiler
{
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
                var value = Eval(returned);
                Emit(new FlowOp(FlowOpKind.Return, -1, value, Site: Site(returned)));
                break;
            case IForEachLoopOperation loop when ChainLoop(loop) is { } chain:
                _locals[chain.Local] = Emit(new FlowOp(FlowOpKind.CallEach, NewRegister(), _locals[chain.Local], Member: chain.Member, Site: Site(loop)));
                break;
            case IConditionalOperation { IsRef: false } conditional when MemberNullCheck(conditional.Condition) is { } check:
                VisitIfPresent(FlowOpKind.IfPresent, check.Member, check.WhenPresentIsTrue ? conditional.WhenTrue : conditional.WhenFalse, check.WhenPresentIsTrue ? conditional.WhenFalse : conditional.WhenTrue);
                break;
            case IConditionalOperation { IsRef: false } conditional when FlagCheck(conditional.Condition) is { } flag:
                VisitIfPresent(FlowOpKind.IfTrue, flag.Member, flag.WhenTrue ? conditional.WhenTrue : conditional.WhenFalse, flag.WhenTrue ? conditional.WhenFalse : conditional.WhenTrue);
                break;
            default:
                OpaqueStatement(statement);
                break;
        }
    }

    /// <summary><c>if (member is not null) ... else ...</c>: each branch compiled on its own; the variables they assign are joined.</summary>
    private void VisitIfPresent(FlowOpKind kind, string member, IOperation? whenPresent, IOperation? whenAbsent)
    {
        var outer = _ops;
        var before = new Dictionary<ISymbol, int>(_locals, SymbolEqualityComparer.Default);

        _ops = [];
        VisitStatement(whenPresent);
        var thenOps = _ops;
        var thenLocals = new Dictionary<ISymbol, int>(_locals, SymbolEqualityComparer.Default);

        _locals.Clear();
        foreach (var pair in before) _locals[pair.Key] = pair.Value;
        _ops = [];
        VisitStatement(whenAbsent);
        var elseOps = _ops;

        foreach (var local in thenLocals.Keys.Union(_locals.Keys, SymbolEqualityComparer.Default).ToList())
        {
            var inThen = thenLocals.TryGetValue(local, out var thenRegister) ? thenRegister : -1;
            var inElse = _locals.TryGetValue(local, out var elseRegister) ? elseRegister : -1;
            if (inThen == inElse) continue;
            var joined = NewRegister();
            thenOps.Add(new FlowOp(FlowOpKind.Copy, joined, inThen));
            elseOps.Add(new FlowOp(FlowOpKind.Copy, joined, inElse));
            _locals[local] = joined;
        }

        _ops = outer;
        Emit(new FlowOp(kind, -1, -1, Member: member, Then: new FlowList<FlowOp>(thenOps), Else: new FlowList<FlowOp>(elseOps)));
    }

    /// <summary><c>foreach (var layer in member) x = layer.forward(x);</c> (or <c>call</c>), x a tensor local or forward's input: a chain through the member's modules.</summary>
    private (string Member, ISymbol Local)? ChainLoop(IForEachLoopOperation loop)
    {
        if (!TryGetMember(loop.Collection, out var member) || loop.Locals.Length != 1) return null;
        var body = loop.Body is IBlockOperation { Operations.Length: 1 } block ? block.Operations[0] : loop.Body;
        if (body is not IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: var assigned, Value: var value } } || !TryGetVariable(assigned, out var target)) return null;
        if (Unparenthesized(value) is not IInvocationOperation { TargetMethod.Name: "forward" or "call", Instance: { } instance, Arguments.Length: 1 } call) return null;
        if (Unparenthesized(instance) is not ILocalReferenceOperation element || !SymbolEqualityComparer.Default.Equals(element.Local, loop.Locals[0])) return null;
        if (!TryGetVariable(Unparenthesized(call.Arguments[0].Value), out var argument) || !SymbolEqualityComparer.Default.Equals(argument, target)) return null;
        return _locals.ContainsKey(target) ? (member, target) : null;
    }

    /// <summary><c>flag</c> or <c>!flag</c> on a bool field or property of this class.</summary>
    private (string Member, bool WhenTrue)? FlagCheck(IOperation? condition)
    {
        switch (condition)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not when FlagCheck(not.Operand) is { } inner:
                return (inner.Member, !inner.WhenTrue);
            case IFieldReferenceOperation { Instance: IInstanceReferenceOperation, Field.Type.SpecialType: SpecialType.System_Boolean } field:
                return (field.Field.Name, true);
            case IPropertyReferenceOperation { Instance: IInstanceReferenceOperation, Property.Type.SpecialType: SpecialType.System_Boolean, Arguments.Length: 0 } property:
                return (property.Property.Name, true);
            default:
                return null;
        }
    }

    /// <summary><c>member != null</c>, <c>member is not null</c>, <c>member == null</c>, <c>member is null</c> on a module member.</summary>
    private (string Member, bool WhenPresentIsTrue)? MemberNullCheck(IOperation? condition)
    {
        switch (condition)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not when MemberNullCheck(not.Operand) is { } inner:
                return (inner.Member, !inner.WhenPresentIsTrue);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary:
                var member = TryGetMember(binary.LeftOperand, out var left) && IsNull(binary.RightOperand) ? left
                    : TryGetMember(binary.RightOperand, out var right) && IsNull(binary.LeftOperand) ? right : null;
                return member is null ? null : (member, binary.OperatorKind == BinaryOperatorKind.NotEquals);
            case IIsPatternOperation { Value: { } value, Pattern: var pattern } when TryGetMember(value, out var name):
                return pattern switch
                {
                    IConstantPatternOperation constant when IsNull(constant.Value) => (name, false),
                    INegatedPatternOperation { Pattern: IConstantPatternOperation negated } when IsNull(negated.Value) => (name, true),
                    _ => null,
                };
            default:
                return null;
        }
    }

    private static bool IsNull(IOperation operation)
    {
        while (operation is IConversionOperation conversion) operation = conversion.Operand;
        return operation.ConstantValue is { HasValue: true, Value: null };
    }

    private void VisitDeclarations(IVariableDeclarationGroupOperation group)
    {
        foreach (var declaration in group.Declarations)
        {
            foreach (var declarator in declaration.Declarators)
            {
                var initializer = declarator.Initializer?.Value ?? declaration.Initializer?.Value;
                if (initializer is null) continue;
                if (IsTensor(declarator.Symbol.Type)) _locals[declarator.Symbol] = Eval(initializer);
                else EvalOrMention(initializer);
            }
        }
    }

    /// <summary>A statement that is not followed: everything it touches is blocked, and every tensor variable it assigns becomes unknown.</summary>
    private void OpaqueStatement(IOperation statement)
    {
        var firstToken = statement.Syntax.GetFirstToken();
        var assignedLocals = new List<ISymbol>();
        foreach (var assignment in statement.Descendants().OfType<IAssignmentOperation>())
        {
            if (TryGetVariable(assignment.Target, out var variable)) assignedLocals.Add(variable);
        }

        // A variable the statement may or may not reassign can leave it holding its old value: that value escapes too.
        var inputs = new List<int>();
        foreach (var local in assignedLocals)
        {
            if (_locals.TryGetValue(local, out var before)) inputs.Add(before);
        }

        var result = Opaque(statement, $"forward uses them in a '{firstToken.ValueText}' statement, which Compact() does not follow", Site(firstToken.GetLocation()), inputs);
        foreach (var local in assignedLocals) _locals[local] = result;
    }

    /// <summary>Evaluates a tensor expression; a non-tensor expression that touches tracked values becomes an opaque step.</summary>
    private void EvalOrMention(IOperation operation)
    {
        if (IsTensor(operation.Type))
        {
            Eval(operation);
            return;
        }

        if (IsTracked(operation) || operation.Descendants().Any(IsTracked)) Opaque(operation);
    }
}
