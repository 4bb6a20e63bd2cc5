using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PruneSharp.Generator.Construction;

/// <summary>The statements the reader follows: declarations, assignments, <c>Add</c>, <c>if</c>, <c>for</c>, <c>foreach</c>, <c>continue</c>, <c>break</c>, <c>return</c>.</summary>
internal sealed partial class ConstructionReader
{
    private Flow Execute(IOperation? statement, ReaderState state)
    {
        Step();
        switch (statement)
        {
            case null or IEmptyOperation or ILocalFunctionOperation:
                return Flow.Normal;
            case IBlockOperation block:
                foreach (var inner in block.Operations)
                {
                    var flow = Execute(inner, state);
                    if (flow != Flow.Normal) return flow;
                }

                return Flow.Normal;
            case IVariableDeclarationGroupOperation group:
                foreach (var declaration in group.Declarations)
                {
                    foreach (var declarator in declaration.Declarators)
                    {
                        var initializer = declarator.Initializer?.Value ?? declaration.Initializer?.Value;
                        state.Locals[declarator.Symbol] = initializer is null ? StaticValue.Unknown : Evaluate(initializer, state);
                    }
                }

                return Flow.Normal;
            case IExpressionStatementOperation { Operation: IThrowOperation }:
                return Flow.Throw;
            case IExpressionStatementOperation expression:
                ExecuteExpression(expression.Operation, state);
                return Flow.Normal;
            case IReturnOperation returned:
                state.Returned = returned.ReturnedValue is null ? StaticValue.Unknown : Evaluate(returned.ReturnedValue, state);
                return Flow.Return;
            case IBranchOperation { BranchKind: BranchKind.Continue }:
                return Flow.Continue;
            case IBranchOperation { BranchKind: BranchKind.Break }:
                return Flow.Break;
            case IConditionalOperation conditional:
                return ExecuteIf(conditional, state);
            case IForLoopOperation loop:
                return ExecuteFor(loop, state);
            case IForEachLoopOperation loop:
                return ExecuteForEach(loop, state);
            default:
                // A while loop, try, using, lock, a local function's body, ...: not followed; what it writes is unknown.
                Forget(statement, state);
                return Flow.Normal;
        }
    }

    private Flow ExecuteIf(IConditionalOperation conditional, ReaderState state)
    {
        switch (Evaluate(conditional.Condition, state))
        {
            case BoolValue { Value: true }:
                return Execute(conditional.WhenTrue, state);
            case BoolValue { Value: false }:
                return Execute(conditional.WhenFalse, state);
        }

        // Both branches, on copies; what they agree on stays. A branch that throws is not the one a built model took
        // (a guard); one that jumps elsewhere makes the rest depend on the condition.
        var otherwise = state.Copy();
        var thenFlow = Execute(conditional.WhenTrue, state);
        var elseFlow = Execute(conditional.WhenFalse, otherwise);
        if (thenFlow == Flow.Throw)
        {
            state.ReplaceWith(otherwise);
            return elseFlow;
        }

        if (elseFlow == Flow.Throw) return thenFlow;
        if (thenFlow != Flow.Normal || elseFlow != Flow.Normal) throw new UnfollowedJumpException();
        state.MergeWith(otherwise);
        return Flow.Normal;
    }

    private Flow ExecuteFor(IForLoopOperation loop, ReaderState state)
    {
        var before = state.Copy();
        try
        {
            foreach (var initializer in loop.Before) ExecuteExpressionOrStatement(initializer, state);
            while (true)
            {
                Step();
                if (loop.Condition is not null)
                {
                    var condition = Evaluate(loop.Condition, state);
                    if (condition is not BoolValue known) throw new UnfollowedJumpException();
                    if (!known.Value) return Flow.Normal;
                }

                var flow = Execute(loop.Body, state);
                if (flow == Flow.Break) return Flow.Normal;
                if (flow is Flow.Return or Flow.Throw) return flow;
                foreach (var step in loop.AtLoopBottom) ExecuteExpressionOrStatement(step, state);
            }
        }
        catch (UnfollowedJumpException)
        {
            // A bound only run time knows: what the loop writes is unknown, the rest is as before it.
            state.ReplaceWith(before);
            Forget(loop, state);
            return Flow.Normal;
        }
    }

    private Flow ExecuteForEach(IForEachLoopOperation loop, ReaderState state)
    {
        var before = state.Copy();
        try
        {
            if (Evaluate(loop.Collection, state) is not ListValue list || loop.LoopControlVariable is not IVariableDeclaratorOperation { Symbol: var variable })
            {
                throw new UnfollowedJumpException();
            }

            foreach (var element in list.Elements)
            {
                state.Locals[variable] = element;
                var flow = Execute(loop.Body, state);
                if (flow == Flow.Break) return Flow.Normal;
                if (flow is Flow.Return or Flow.Throw) return flow;
            }

            return Flow.Normal;
        }
        catch (UnfollowedJumpException)
        {
            state.ReplaceWith(before);
            Forget(loop, state);
            return Flow.Normal;
        }
    }

    private void ExecuteExpressionOrStatement(IOperation operation, ReaderState state)
    {
        if (operation is IExpressionStatementOperation or IVariableDeclarationGroupOperation or IBlockOperation)
        {
            Execute(operation, state);
        }
        else
        {
            ExecuteExpression(operation, state);
        }
    }

    /// <summary>An expression run for its effect: assignments, <c>Add</c> on a list, calls.</summary>
    private void ExecuteExpression(IOperation operation, ReaderState state)
    {
        Step();
        switch (operation)
        {
            case ISimpleAssignmentOperation assignment:
                Assign(assignment.Target, Evaluate(assignment.Value, state), state);
                return;
            case ICompoundAssignmentOperation compound:
                Assign(compound.Target, Binary(compound.OperatorKind, Evaluate(compound.Target, state), Evaluate(compound.Value, state)), state);
                return;
            case IIncrementOrDecrementOperation increment:
                var delta = new IntegerValue(1);
                var kind = increment.Kind == OperationKind.Increment ? BinaryOperatorKind.Add : BinaryOperatorKind.Subtract;
                Assign(increment.Target, Binary(kind, Evaluate(increment.Target, state), delta), state);
                return;
            case ICoalesceAssignmentOperation coalesce:
                var current = Evaluate(coalesce.Target, state);
                if (ReferenceEquals(current, StaticValue.Null)) Assign(coalesce.Target, Evaluate(coalesce.Value, state), state);
                else if (current.IsUnknown) Assign(coalesce.Target, StaticValue.Unknown, state);
                return;
            case IInvocationOperation invocation when IsListMutation(invocation, out var appended):
                var list = Evaluate(invocation.Instance, state);
                var added = Evaluate(invocation.Arguments[0].Value, state);
                var updated = list is ListValue known
                    ? appended ? (added is ListValue range ? new ListValue([.. known.Elements, .. range.Elements]) : StaticValue.Unknown) : known.Append(added)
                    : StaticValue.Unknown;
                Assign(invocation.Instance!, updated, state);
                return;
            case IInvocationOperation invocation when IsRegistration(invocation):
                return;
            case IInvocationOperation invocation when Inlinable(invocation) is { } method:
                Inline(invocation, method, state);
                return;
            case IInvocationOperation invocation:
                // A call the reader does not follow may change the lists it is given or called on.
                ForgetLists(invocation, state);
                return;
            case IDeconstructionAssignmentOperation deconstruction:
                Forget(deconstruction, state);
                return;
            default:
                Evaluate(operation, state);
                return;
        }
    }

    /// <summary>Stores <paramref name="value"/> where <paramref name="target"/> says: a local, a parameter, or a member of the instance being built.</summary>
    private void Assign(IOperation? target, StaticValue value, ReaderState state)
    {
        switch (target)
        {
            case ILocalReferenceOperation local:
                state.Locals[local.Local] = value;
                break;
            case IParameterReferenceOperation parameter:
                state.Parameters[parameter.Parameter] = value;
                break;
            case IFieldReferenceOperation { Field: { IsStatic: false } field, Instance: IInstanceReferenceOperation }:
                state.Members[field] = value;
                break;
            case IPropertyReferenceOperation { Property: { IsStatic: false, IsIndexer: false } property, Instance: IInstanceReferenceOperation }:
                state.Members[property] = value;
                break;
            case IArrayElementReferenceOperation element:
                Assign(element.ArrayReference, StaticValue.Unknown, state);
                break;
        }
    }

    /// <summary>
    /// Makes unknown what <paramref name="operation"/> may change: the local, parameter or member it names, or, for code
    /// the reader does not follow, everything that code assigns, increments or adds to, and every member where it calls
    /// a method of the instance being built.
    /// </summary>
    private void Forget(IOperation? operation, ReaderState state)
    {
        var target = operation is IConversionOperation conversion ? conversion.Operand : operation;
        if (target is ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation)
        {
            Assign(target, StaticValue.Unknown, state);
            return;
        }

        if (target is null) return;
        foreach (var inner in target.DescendantsAndSelf())
        {
            switch (inner)
            {
                case IAssignmentOperation assignment:
                    // A deconstruction's target is a tuple of references.
                    foreach (var part in assignment.Target.DescendantsAndSelf())
                    {
                        if (part is ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation) Assign(part, StaticValue.Unknown, state);
                    }

                    break;
                case IIncrementOrDecrementOperation increment:
                    Forget(increment.Target, state);
                    break;
                case IInvocationOperation invocation:
                    ForgetLists(invocation, state);
                    if (!invocation.TargetMethod.IsStatic && invocation.Instance is IInstanceReferenceOperation)
                    {
                        foreach (var member in state.Members.Keys.ToList()) state.Members[member] = StaticValue.Unknown;
                    }

                    break;
            }
        }
    }

    /// <summary>Forgets the lists a call is given or called on: it may add to them. Numbers, strings and modules it cannot change.</summary>
    private void ForgetLists(IInvocationOperation invocation, ReaderState state)
    {
        foreach (var operand in new[] { invocation.Instance }.Concat(invocation.Arguments.Select(argument => argument.Value)))
        {
            var target = operand is IConversionOperation conversion ? conversion.Operand : operand;
            if (target is ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation && Evaluate(target, state) is ListValue)
            {
                Forget(target, state);
            }
        }
    }

    /// <summary><c>list.Add(x)</c> or <c>list.AddRange(xs)</c> on a <c>List&lt;T&gt;</c>.</summary>
    private static bool IsListMutation(IInvocationOperation invocation, out bool range)
    {
        range = invocation.TargetMethod.Name == "AddRange";
        return invocation.Instance is not null && invocation.Arguments.Length == 1 &&
            invocation.TargetMethod.Name is "Add" or "AddRange" &&
            invocation.TargetMethod.ContainingType is { Name: "List", ContainingNamespace: var ns } &&
            ns.ToDisplayString() == "System.Collections.Generic";
    }

    /// <summary><c>RegisterComponents()</c> and <c>register_module(...)</c>: they register what the members hold and change none of them.</summary>
    private static bool IsRegistration(IInvocationOperation invocation) =>
        invocation.TargetMethod.Name is "RegisterComponents" or "register_module" or "register_buffer" or "register_parameter" &&
        invocation.TargetMethod.ContainingType?.ToDisplayString() == "TorchSharp.torch.nn.Module";

    /// <summary>A method of this compilation with a body that the reader may run in place of the call: static, or on the instance being built.</summary>
    private IMethodSymbol? Inlinable(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (method.IsAbstract || method.IsVirtual || method.IsOverride || method.IsExtern || method.IsGenericMethod || method.MethodKind != MethodKind.Ordinary) return null;
        if (!method.IsStatic && invocation.Instance is not IInstanceReferenceOperation) return null;
        return method.DeclaringSyntaxReferences.Length == 1 && !GeneratedCode.IsDeclaredOnlyInGeneratedCode(method, _cancellationToken) ? method : null;
    }

    private StaticValue Inline(IInvocationOperation invocation, IMethodSymbol method, ReaderState state)
    {
        if (state.InlineDepth >= MaxInlineDepth) return GiveUpOnCall(invocation, state);
        var body = _semanticModels.For(method.DeclaringSyntaxReferences[0].SyntaxTree).GetOperation(method.DeclaringSyntaxReferences[0].GetSyntax(_cancellationToken), _cancellationToken) as IMethodBodyOperation;
        if (body is null || method.Parameters.Any(parameter => parameter.RefKind != RefKind.None)) return GiveUpOnCall(invocation, state);

        var arguments = Arguments(invocation.Arguments, method, state);
        var inner = new ReaderState(state.Type, state.InlineDepth + 1);
        for (var index = 0; index < method.Parameters.Length; index++) inner.Parameters[method.Parameters[index]] = arguments[index];

        // An instance method shares the members of the instance being built; a static one sees none.
        if (!method.IsStatic)
        {
            foreach (var pair in state.Members) inner.Members[pair.Key] = pair.Value;
        }

        // An expression body is a block holding one return (or, for a void method, one expression statement).
        Flow flow;
        try
        {
            flow = Execute(body.BlockBody ?? (IOperation?)body.ExpressionBody, inner);
        }
        catch (UnfollowedJumpException)
        {
            return GiveUpOnCall(invocation, state);
        }

        if (flow == Flow.Throw) throw new GiveUpException();
        if (!method.IsStatic)
        {
            foreach (var pair in inner.Members) state.Members[pair.Key] = pair.Value;
        }

        return flow == Flow.Return ? inner.Returned : StaticValue.Unknown;
    }

    /// <summary>A call the reader cannot run: its result is unknown, and so is whatever it could change.</summary>
    private StaticValue GiveUpOnCall(IInvocationOperation invocation, ReaderState state)
    {
        ForgetLists(invocation, state);
        if (!invocation.TargetMethod.IsStatic)
        {
            // An instance method may change any member.
            foreach (var member in state.Members.Keys.ToList()) state.Members[member] = StaticValue.Unknown;
        }

        return StaticValue.Unknown;
    }

    /// <summary>The arguments' values in the order of <paramref name="method"/>'s parameters, defaults and <c>params</c> arrays included.</summary>
    private IReadOnlyList<StaticValue> Arguments(IEnumerable<IArgumentOperation> arguments, IMethodSymbol method, ReaderState state)
    {
        var values = method.Parameters.Select(_ => StaticValue.Unknown).ToArray();
        foreach (var argument in arguments)
        {
            if (argument.Parameter is { } parameter && parameter.Ordinal < values.Length) values[parameter.Ordinal] = Evaluate(argument.Value, state);
        }

        return values;
    }
}
