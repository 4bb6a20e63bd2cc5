using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

using static PruneSharp.Generator.OperationValues;

namespace PruneSharp.Generator;

/// <summary>
/// Reads a layer's weight shape from the TorchSharp factory call that builds it, where that call has constant
/// arguments: <c>Conv2d(1, 32, 3)</c>, <c>Conv3d(in_channels: 4, out_channels: 8, kernel_size: (3, 3, 1), groups: 2)</c>,
/// <c>Linear(64 * 5 * 5, Hidden)</c>. The call is the member's initializer, or its one assignment in each instance
/// constructor (<c>conv = Conv2d(...)</c>, <c>this.conv = ...</c>). Where constructors disagree, the member is
/// assigned more than once, or it is assigned anywhere else, the shape is unknown and is read at run time.
/// </summary>
internal static class ShapeInference
{
    /// <summary>The weight shape and convolution groups, or <see langword="null"/> where the source does not pin them down.</summary>
    public static LayerShape? TryInferWeightShape(ISymbol member, LayerKind kind, MemberWrites writes, SemanticModels semanticModels, CancellationToken cancellationToken)
    {
        var initializer = FindInitializer(member, cancellationToken);
        var assignments = writes.Of(member, semanticModels, cancellationToken);
        if (assignments.Any(write => write.Constructor is null || write.Value is null)) return null;

        if (assignments.Count == 0)
        {
            return initializer is null ? null : ShapeOf(initializer, kind, semanticModels, cancellationToken);
        }

        // An initializer and a constructor assignment, or two assignments in one constructor: assigned twice.
        if (initializer is not null) return null;
        if (assignments.GroupBy(write => write.Constructor).Any(perConstructor => perConstructor.Count() > 1)) return null;

        LayerShape? agreed = null;
        foreach (var assignment in assignments)
        {
            var shape = ShapeOf(assignment.Value!, kind, semanticModels, cancellationToken);
            if (shape is null || (agreed is not null && (agreed.Groups != shape.Groups || !agreed.Weight.SequenceEqual(shape.Weight)))) return null;
            agreed = shape;
        }

        return agreed;
    }

    private static LayerShape? ShapeOf(ExpressionSyntax expression, LayerKind kind, SemanticModels semanticModels, CancellationToken cancellationToken)
    {
        var semanticModel = semanticModels.For(expression.SyntaxTree);
        if (Unwrap(semanticModel.GetOperation(expression, cancellationToken)) is not IInvocationOperation invocation) return null;

        var method = invocation.TargetMethod;
        var factories = semanticModel.Compilation.GetTypeByMetadataName(KnownTypeNames.LayerFactories);
        if (factories is null || !SymbolEqualityComparer.Default.Equals(method.ContainingType, factories)) return null;
        if (method.Name != kind.ToString()) return null;

        var arguments = new Dictionary<string, IOperation>(StringComparer.Ordinal);
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is not null) arguments[argument.Parameter.Name] = argument.Value;
        }

        return ShapeOf(kind, new OperationArguments(arguments));
    }

    /// <summary>
    /// The weight shape a TorchSharp factory call of <paramref name="kind"/> builds from its arguments, where they are
    /// known: shape inference reads constants, the constructor reader (<c>ConstructionReader</c>) the values it follows.
    /// </summary>
    internal static LayerShape? ShapeOf(LayerKind kind, IFactoryArguments arguments) =>
        kind == LayerKind.Linear ? LinearShape(arguments) : ConvolutionShape(arguments, kind);

    /// <summary>Convolutions: [out, in / groups, kernel...]; transposed ones: [in, out / groups, kernel...].</summary>
    private static LayerShape? ConvolutionShape(IFactoryArguments arguments, LayerKind kind)
    {
        var inChannels = arguments.Integer("in_channels");
        var outChannels = arguments.Integer("out_channels");
        var groups = arguments.Has("groups") ? arguments.Integer("groups") : 1;
        if (inChannels is not > 0 || outChannels is not > 0 || groups is not > 0) return null;

        // TorchSharp rejects channel counts that groups does not divide: no weight, so no shape.
        if (inChannels.Value % groups.Value != 0 || outChannels.Value % groups.Value != 0) return null;
        if (!arguments.Has("kernel_size")) return null;

        var kernelRank = Granularities.WeightRank(kind) - 2;
        var kernel = new long[kernelRank];
        if (arguments.Tuple("kernel_size") is { } tuple)
        {
            if (tuple.Length != kernelRank) return null;
            for (var axis = 0; axis < kernelRank; axis++)
            {
                if (tuple[axis] is not > 0) return null;
                kernel[axis] = tuple[axis]!.Value;
            }
        }
        else
        {
            var size = arguments.Integer("kernel_size");
            if (size is not > 0) return null;
            for (var axis = 0; axis < kernelRank; axis++) kernel[axis] = size.Value;
        }

        var transposed = Granularities.IsTransposed(kind);
        var shape = new long[kernelRank + 2];
        shape[0] = transposed ? inChannels.Value : outChannels.Value;
        shape[1] = (transposed ? outChannels.Value : inChannels.Value) / groups.Value;
        Array.Copy(kernel, 0, shape, 2, kernelRank);
        return new LayerShape(shape, groups.Value);
    }

    private static LayerShape? LinearShape(IFactoryArguments arguments)
    {
        var inputs = arguments.Integer("inputSize");
        var outputs = arguments.Integer("outputSize");
        if (inputs is not > 0 || outputs is not > 0) return null;
        return new LayerShape([outputs.Value, inputs.Value], 1);
    }

    /// <summary>A factory call's arguments as operations with constant values.</summary>
    private sealed class OperationArguments(Dictionary<string, IOperation> arguments) : IFactoryArguments
    {
        public bool Has(string name) => arguments.ContainsKey(name);

        public long? Integer(string name) => Constant(arguments, name);

        public long?[]? Tuple(string name) =>
            arguments.TryGetValue(name, out var value) && Unwrap(value) is ITupleOperation tuple ? tuple.Elements.Select(Constant).ToArray() : null;
    }

    /// <summary>The member's initializer (<c>= Conv2d(...)</c> on a field or an auto-property), or null.</summary>
    internal static ExpressionSyntax? FindInitializer(ISymbol member, CancellationToken cancellationToken)
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
}

/// <summary>
/// The semantic models and member writes of one model class, created on first use and shared by everything that
/// parses the class (pruning model, compaction plan), so that each factory call and constructor is bound once.
/// </summary>
internal sealed class ClassBinding(INamedTypeSymbol type, Compilation compilation, CancellationToken cancellationToken)
{
    private MemberWrites? _writes;
    private Construction.ConstructionReader? _reader;

    public SemanticModels SemanticModels { get; } = new(compilation);

    /// <summary>The class's writes to its members, collected on first use (only classes with layers need them).</summary>
    public MemberWrites Writes => _writes ??= MemberWrites.Collect(type, cancellationToken);

    /// <summary>What the code builds, read once for the pruning checks and the compaction notes (created on first use).</summary>
    public Construction.ConstructionReader Reader => _reader ??= new Construction.ConstructionReader(SemanticModels.Compilation, SemanticModels, cancellationToken);
}

/// <summary>
/// One semantic model per syntax tree for the parse of one class: a new semantic model binds from scratch, and a class
/// with hundreds of layers asks for the same tree's model for each of them.
/// </summary>
internal sealed class SemanticModels(Compilation compilation)
{
    private readonly Dictionary<SyntaxTree, SemanticModel> _byTree = new();

    public Compilation Compilation { get; } = compilation;

    public SemanticModel For(SyntaxTree tree)
    {
        if (!_byTree.TryGetValue(tree, out var model)) _byTree[tree] = model = Compilation.GetSemanticModel(tree);
        return model;
    }
}

/// <summary>A layer's weight shape and, for convolutions, its <c>groups</c> (1 for <c>Linear</c>).</summary>
internal sealed record LayerShape(long[] Weight, long Groups);

/// <summary>The arguments of a TorchSharp factory call, by parameter name, as far as they are known.</summary>
internal interface IFactoryArguments
{
    bool Has(string name);

    /// <summary>The argument's integer value, or null where it is not known (or not an integer).</summary>
    long? Integer(string name);

    /// <summary>A tuple argument's integers (each null where not known), or null where the argument is not a tuple.</summary>
    long?[]? Tuple(string name);
}

/// <summary>
/// The places in a model class's own code that write one of its fields or properties by a simple name or
/// <c>this.name</c>: assignments (also inside tuples), <c>ref</c>/<c>out</c> arguments. Found by one syntax walk per
/// class; only the candidates named like a layer member are bound. Generated code (<see cref="GeneratedCode"/>) is not
/// read.
/// </summary>
internal sealed class MemberWrites
{
    private readonly Dictionary<string, List<WriteSite>> _byName;

    private MemberWrites(Dictionary<string, List<WriteSite>> byName) => _byName = byName;

    public static MemberWrites Collect(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var byName = new Dictionary<string, List<WriteSite>>(StringComparer.Ordinal);
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            // Generated code is not the user's: PruneSharp's own Compact() constructor assigns every layer it rebuilds.
            if (GeneratedCode.IsGenerated(reference.SyntaxTree, cancellationToken)) continue;
            if (reference.GetSyntax(cancellationToken) is not TypeDeclarationSyntax declaration) continue;
            foreach (var memberDeclaration in declaration.Members)
            {
                // Nested types are other classes: their writes are not this class's.
                if (memberDeclaration is BaseTypeDeclarationSyntax) continue;
                var constructor = memberDeclaration is ConstructorDeclarationSyntax ctor && !ctor.Modifiers.Any(SyntaxKind.StaticKeyword) ? ctor : null;
                foreach (var site in Sites(memberDeclaration))
                {
                    if (!byName.TryGetValue(site.Name, out var sites)) byName[site.Name] = sites = new List<WriteSite>();
                    sites.Add(new WriteSite(site.Target, site.Value, constructor));
                }
            }
        }

        return new MemberWrites(byName);
    }

    /// <summary>The writes that bind to <paramref name="member"/>.</summary>
    public IReadOnlyList<Write> Of(ISymbol member, SemanticModels semanticModels, CancellationToken cancellationToken)
    {
        if (!_byName.TryGetValue(member.Name, out var sites)) return Array.Empty<Write>();
        var writes = new List<Write>();
        foreach (var site in sites)
        {
            var semanticModel = semanticModels.For(site.Target.SyntaxTree);
            var symbol = semanticModel.GetSymbolInfo(site.Target, cancellationToken).Symbol;
            if (!SymbolEqualityComparer.Default.Equals(symbol?.OriginalDefinition, member.OriginalDefinition)) continue;

            // A write inside a lambda or a local function runs whenever that runs, not as the constructor does.
            var inConstructorBody = site.Constructor is not null && !site.Target.Ancestors().TakeWhile(ancestor => ancestor != site.Constructor)
                .Any(ancestor => ancestor is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax);
            writes.Add(new Write(inConstructorBody ? site.Constructor : null, site.Value));
        }

        return writes;
    }

    /// <summary>
    /// The places under <paramref name="root"/> (not in nested types) that write a name or <c>this.name</c>: the name,
    /// the target, and the value where the write is a plain assignment.
    /// </summary>
    public static IEnumerable<(string Name, ExpressionSyntax Target, ExpressionSyntax? Value)> Sites(SyntaxNode root)
    {
        foreach (var node in root.DescendantNodes(descendIntoChildren: child => child is not BaseTypeDeclarationSyntax))
        {
            var targets = node switch
            {
                AssignmentExpressionSyntax assignment => Targets(assignment.Left, assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) ? assignment.Right : null),
                ArgumentSyntax argument when argument.RefKindKeyword.IsKind(SyntaxKind.RefKeyword) || argument.RefKindKeyword.IsKind(SyntaxKind.OutKeyword) => Targets(argument.Expression, null),
                _ => Enumerable.Empty<(string, ExpressionSyntax, ExpressionSyntax?)>(),
            };
            foreach (var target in targets) yield return target;
        }
    }

    private static IEnumerable<(string Name, ExpressionSyntax Target, ExpressionSyntax? Value)> Targets(ExpressionSyntax target, ExpressionSyntax? value)
    {
        switch (target)
        {
            case IdentifierNameSyntax name:
                yield return (name.Identifier.ValueText, name, value);
                break;
            case MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax name } access:
                yield return (name.Identifier.ValueText, access, value);
                break;
            case ParenthesizedExpressionSyntax parenthesized:
                foreach (var inner in Targets(parenthesized.Expression, value)) yield return inner;
                break;
            case TupleExpressionSyntax tuple:
                // (conv, fc) = (Conv2d(...), Linear(...)): a write, but not one whose value is read here.
                foreach (var element in tuple.Arguments)
                {
                    foreach (var inner in Targets(element.Expression, null)) yield return inner;
                }

                break;
        }
    }

    /// <summary>A write: the constructor it runs in (null when it is anywhere else), and the value where it is a plain assignment.</summary>
    internal readonly record struct Write(ConstructorDeclarationSyntax? Constructor, ExpressionSyntax? Value);

    private readonly record struct WriteSite(ExpressionSyntax Target, ExpressionSyntax? Value, ConstructorDeclarationSyntax? Constructor);
}
