using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using PruneSharp.Compaction;

namespace PruneSharp.Generator.Compaction;

/// <summary>
/// Compiles a module class's <c>forward</c> into its forward program (<see cref="FlowClass"/>): which submodule it
/// calls on which value, where it adds, flattens or reduces, and which code it does not follow (an opaque step that
/// keeps the channels of everything it touches). Values live in registers (register 0 is the input); each assignment
/// of a local gives it a new register, and an <c>if</c> on a module member being null becomes a step the module
/// instance decides. The program says nothing about what the members hold: that is for <see cref="ChannelFlow{TNode}"/>
/// to find, over the modules the generator can see or, at run time, over the real ones.
/// </summary>
internal sealed partial class ForwardCompiler
{
    private readonly INamedTypeSymbol _type;
    private readonly INamedTypeSymbol _tensorType;
    private readonly INamedTypeSymbol? _moduleType;
    private readonly CancellationToken _cancellationToken;
    // The register each tensor variable holds now: the tensor locals, and forward's input parameter, which code like
    // torchvision's reassigns (x = conv1.forward(x)).
    private readonly Dictionary<ISymbol, int> _locals = new(SymbolEqualityComparer.Default);
    private readonly List<Location> _sites = [];
    private List<FlowOp> _ops = [];
    private IParameterSymbol? _input;
    private int _registers = 1;

    private ForwardCompiler(INamedTypeSymbol type, INamedTypeSymbol tensorType, INamedTypeSymbol? moduleType, CancellationToken cancellationToken)
    {
        _type = type;
        _tensorType = tensorType;
        _moduleType = moduleType;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The compiled program and, for each step's <see cref="FlowOp.Site"/>, where the code is.</summary>
    public sealed record Result(FlowClass Program, IReadOnlyList<Location> Sites);

    /// <summary>Compiles <paramref name="forwardBody"/>; null where the class has no forward to read.</summary>
    public static Result? Compile(INamedTypeSymbol type, INamedTypeSymbol tensorType, IMethodBodyOperation? forwardBody, IParameterSymbol? input, CancellationToken cancellationToken)
    {
        if (forwardBody is null || input is null) return null;
        var compiler = new ForwardCompiler(type, tensorType, type.ContainingAssembly is null ? null : FindModuleBase(type), cancellationToken) { _input = input };
        compiler._locals[input] = 0;
        compiler.VisitStatement(forwardBody.BlockBody ?? forwardBody.ExpressionBody);
        return new Result(new FlowClass(RuntimeName(type), compiler._registers, new FlowList<FlowOp>(compiler._ops)), compiler._sites);
    }

    /// <summary>The class's <c>Type.FullName</c>: namespace, then the nested types joined with <c>+</c>.</summary>
    public static string RuntimeName(INamedTypeSymbol type)
    {
        var name = type.MetadataName;
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType) name = outer.MetadataName + "+" + name;
        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } containing ? containing.ToDisplayString() + "." : string.Empty;
        return ns + name;
    }

    private int NewRegister() => _registers++;

    private int Site(IOperation operation) => Site(operation.Syntax.GetLocation());

    private int Site(Location location)
    {
        _sites.Add(location);
        return _sites.Count - 1;
    }

    private int Emit(FlowOp op)
    {
        _ops.Add(op);
        return op.Result;
    }

    private static INamedTypeSymbol? FindModuleBase(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (IsTorchModule(current)) return current;
        }

        return null;
    }

    /// <summary>Whether the type is or derives from TorchSharp's <c>nn.Module</c>.</summary>
    public static bool IsModuleType(ITypeSymbol? type)
    {
        for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            if (IsTorchModule(current)) return true;
        }

        return false;
    }

    private static bool IsTorchModule(INamedTypeSymbol type) =>
        type.ContainingNamespace?.ToDisplayString() == "TorchSharp" && type.ContainingType?.Name == "nn" && type.Name == "Module";
}
