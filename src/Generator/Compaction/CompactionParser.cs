using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

using static PruneSharp.Generator.OperationValues;

namespace PruneSharp.Generator.Compaction;

/// <summary>
/// Turns a <c>[Prune]</c> model class into a <see cref="CompactionSpec"/>: its layers, the dependency graph its
/// <c>forward</c> shows (<see cref="ForwardGraph"/>), and the channel groups <c>Compact()</c> can shrink. For the
/// analyzer it also gives the PRUNE030–PRUNE035 information diagnostics, at real locations: which pruned layer
/// <c>Compact()</c> does not shrink, and why. The generator and the analyzer both call it, so they agree.
/// </summary>
internal static class CompactionParser
{
    private const string ModulesNamespace = "TorchSharp.Modules";
    private const string FactoriesTypeName = "TorchSharp.torch.nn";
    private const string TensorMetadataName = "TorchSharp.torch+Tensor";

    /// <summary>Parameter-free TorchSharp modules that map each channel on its own and keep zero at zero.</summary>
    private static readonly HashSet<string> PassThroughModules = new(StringComparer.Ordinal)
    {
        "ReLU", "ReLU6", "LeakyReLU", "GELU", "SiLU", "Tanh", "ELU", "SELU", "Hardswish", "Mish",
        "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Dropout", "Dropout2d", "Identity",
    };

    /// <summary>
    /// Parses <paramref name="type"/>. Returns <see langword="null"/> where PruneSharp's main generator emits nothing
    /// for the class (it is not a valid model). Diagnostics are added to <paramref name="diagnostics"/> when given.
    /// </summary>
    public static CompactionSpec? Parse(INamedTypeSymbol type, Compilation compilation, List<Diagnostic>? diagnostics, CancellationToken cancellationToken)
    {
        var binding = new ClassBinding(type, compilation, cancellationToken);
        return Parse(type, binding, ModelParser.Parse(type, binding, null, cancellationToken), diagnostics, cancellationToken);
    }

    /// <summary>
    /// Parses <paramref name="type"/> with the binding and the pruning model of the same parse (<see cref="ModelClassParser"/>):
    /// the pruned layers are exactly those the pruning code emits a PrunedLayer for.
    /// </summary>
    public static CompactionSpec? Parse(INamedTypeSymbol type, ClassBinding binding, ModelSpec? model, List<Diagnostic>? diagnostics, CancellationToken cancellationToken)
    {
        var compilation = binding.SemanticModels.Compilation;
        var tensorType = compilation.GetTypeByMetadataName(TensorMetadataName);
        var pruneAttribute = compilation.GetTypeByMetadataName(KnownTypeNames.PruneAttribute);
        if (model is null || tensorType is null || pruneAttribute is null) return null;

        var members = Members(type);
        var layers = new List<GraphLayer>();
        foreach (var member in members)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DescribeLayer(member, binding, cancellationToken) is { } layer) layers.Add(layer);
        }

        var (forwardBody, input) = FindForward(type, tensorType, binding.SemanticModels, cancellationToken);
        var graph = ForwardGraph.Build(layers, tensorType, forwardBody, input, cancellationToken);
        var emitsCompact = EmitsCompact(type);

        if (diagnostics is not null)
        {
            ReportDiagnostics(type, model, graph, members, pruneAttribute, emitsCompact, diagnostics, cancellationToken);
        }

        var (groups, rebuilds) = Plan(graph);
        // Half-typed source can leave several members with the same (empty) name: the first one wins.
        var byName = new Dictionary<string, GraphLayer>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            if (!byName.ContainsKey(layer.Name)) byName.Add(layer.Name, layer);
        }

        var biasZeroings = model.Layers
            .Where(layer => layer.Kind is LayerKind.Conv2d or LayerKind.Linear && byName.TryGetValue(layer.MemberName, out var graphLayer) && graphLayer.IsProducer)
            .Select(layer => Reference(byName[layer.MemberName].Member))
            .ToArray();
        var batchNormZeroings = layers
            .Where(layer => layer.Role is LayerRole.BatchNorm1d or LayerRole.BatchNorm2d && layer.Used && !layer.BatchNormInputs.HasOtherSources && !layer.BatchNormInputs.Layers.IsEmpty)
            .Select(layer => new BatchNormZeroingSpec(Reference(layer.Member), new EquatableArray<LayerReference>(layer.BatchNormInputs.Layers.Select(index => Reference(layers[index].Member)).ToArray())))
            .ToArray();

        var (ns, containingTypes, typeName, hintName) = ModelParser.Placement(type, HintNames.CompactionSuffix);
        return new CompactionSpec(
            ns,
            containingTypes,
            typeName,
            hintName,
            emitsCompact,
            new EquatableArray<ChannelGroupSpec>(groups),
            new EquatableArray<LayerRebuildSpec>(rebuilds),
            new EquatableArray<LayerReference>(biasZeroings),
            new EquatableArray<BatchNormZeroingSpec>(batchNormZeroings));
    }

    /// <summary>
    /// Whether <c>Compact()</c> is generated: the class declares a constructor that takes no arguments to build the
    /// compacted model with (an abstract class cannot be built at all). The implicit constructor of a class that declares
    /// none does not count: the generated constructor is declared, so the implicit one no longer exists.
    /// </summary>
    internal static bool EmitsCompact(INamedTypeSymbol type) =>
        !type.IsAbstract && type.InstanceConstructors.Any(constructor =>
            !constructor.IsImplicitlyDeclared && !GeneratedCode.IsDeclaredOnlyInGeneratedCode(constructor, default) &&
            constructor.Parameters.All(parameter => parameter.IsOptional || parameter.IsParams));

    /// <summary>The channel groups that can shrink (a producer and no blocker), and the layers they shrink.</summary>
    private static (ChannelGroupSpec[] Groups, LayerRebuildSpec[] Rebuilds) Plan(ForwardGraph graph)
    {
        var layers = graph.Layers;
        var groupOfRoot = new Dictionary<int, int>();
        var roots = new List<int>();
        foreach (var layer in layers)
        {
            if (!layer.IsProducer || layer.OutputSpace < 0) continue;
            var root = graph.Find(layer.OutputSpace);
            if (groupOfRoot.ContainsKey(root) || graph.BlockersOf(root).Count > 0) continue;
            groupOfRoot[root] = roots.Count;
            roots.Add(root);
        }

        int GroupOf(int space) => space >= 0 && groupOfRoot.TryGetValue(graph.Find(space), out var group) ? group : -1;

        var groups = roots.Select(root =>
        {
            var producers = layers.Where(layer => layer.IsProducer && layer.OutputSpace >= 0 && graph.Find(layer.OutputSpace) == root).ToList();
            var consumers = layers.Where(layer => layer.IsProducer && layer.InputSpace >= 0 && graph.Find(layer.InputSpace) == root);
            var batchNorms = layers.Where(layer => !layer.IsProducer && layer.HasChannels && layer.InputSpace >= 0 && graph.Find(layer.InputSpace) == root);
            return new ChannelGroupSpec(
                string.Join(" + ", producers.Select(layer => layer.Name)),
                References(producers),
                References(consumers),
                References(batchNorms));
        }).ToArray();

        var rebuilds = new List<LayerRebuildSpec>();
        foreach (var layer in layers)
        {
            if (!layer.HasChannels) continue;
            var output = GroupOf(layer.IsProducer ? layer.OutputSpace : layer.InputSpace);
            var input = layer.IsProducer ? GroupOf(layer.InputSpace) : -1;
            if (output < 0 && input < 0) continue;
            var type = layer.Role switch
            {
                LayerRole.Conv2d => CompactedLayerType.Conv2d,
                LayerRole.Linear => CompactedLayerType.Linear,
                LayerRole.BatchNorm1d => CompactedLayerType.BatchNorm1d,
                _ => CompactedLayerType.BatchNorm2d,
            };
            rebuilds.Add(new LayerRebuildSpec(Reference(layer.Member), type, output, input));
        }

        return (groups, rebuilds.ToArray());
    }

    private static void ReportDiagnostics(INamedTypeSymbol type, ModelSpec model, ForwardGraph graph, IReadOnlyList<ISymbol> members, INamedTypeSymbol pruneAttribute, bool emitsCompact, List<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        if (!emitsCompact && !type.IsAbstract)
        {
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.CompactNeedsParameterlessConstructor, ModelParser.IdentifierLocation(type, cancellationToken), type.Name));
        }

        var classAttribute = ModelParser.FindPruneAttribute(type, pruneAttribute);
        foreach (var pruned in model.Layers)
        {
            var member = members.FirstOrDefault(candidate => candidate.Name == pruned.MemberName);
            if (member is null) continue;
            var location = member.Locations.FirstOrDefault();
            var layer = graph.Layers.FirstOrDefault(candidate => SymbolEqualityComparer.Default.Equals(candidate.Member, member));
            if (pruned.Kind is not (LayerKind.Conv2d or LayerKind.Linear) || layer is null || !layer.IsProducer)
            {
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.LayerCannotBeCompacted, location, member.Name, "unit", $"Compact() shrinks Conv2d and Linear layers, and '{member.Name}' is a {pruned.Kind}"));
                continue;
            }

            var granularity = DeclaredGranularity(ModelParser.FindPruneAttribute(member, pruneAttribute) ?? classAttribute);
            var side = granularity is { } declared ? StructuralSide(pruned.Kind, declared) : null;
            if (side is null)
            {
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.GranularityNotCompactable, location, member.Name, granularity?.ToString() ?? "?"));
                continue;
            }

            var unit = UnitName(pruned.Kind, side.Value);
            if (!layer.Used)
            {
                var reason = graph.ReadForward
                    ? "forward never calls it"
                    : $"'{type.Name}' declares no forward(Tensor) with a body that Compact() can read";
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.LayerCannotBeCompacted, location, member.Name, unit, reason));
                continue;
            }

            var space = side == Side.Output ? layer.OutputSpace : layer.InputSpace;
            if (graph.BlockersOf(space).FirstOrDefault() is { } blocker)
            {
                diagnostics.Add(Diagnostic.Create(blocker.Descriptor, blocker.Location ?? location, member.Name, unit, blocker.Reason));
            }
        }
    }

    private enum Side
    {
        Output,
        Input,
    }

    /// <summary>The side of the layer whose whole units the granularity removes, or null where it removes none.</summary>
    private static Side? StructuralSide(LayerKind kind, Granularity granularity) => (kind, granularity) switch
    {
        (LayerKind.Conv2d, Granularity.Filter) => Side.Output,
        (LayerKind.Conv2d, Granularity.SharedKernel) => Side.Input,
        (LayerKind.Linear, Granularity.Row) => Side.Output,
        (LayerKind.Linear, Granularity.Column) => Side.Input,
        _ => null,
    };

    private static string UnitName(LayerKind kind, Side side) => (kind, side) switch
    {
        (LayerKind.Conv2d, Side.Output) => "filter",
        (LayerKind.Conv2d, Side.Input) => "input channel",
        (_, Side.Output) => "output neuron",
        _ => "input neuron",
    };

    /// <summary>The granularity a <c>[Prune]</c> declares: its first constructor argument, or N:M for the (n, m) constructor.</summary>
    private static Granularity? DeclaredGranularity(AttributeData? attribute)
    {
        var arguments = attribute?.ConstructorArguments ?? default;
        if (arguments.IsDefault || arguments.Length != 2) return null;
        return arguments[0].Value switch
        {
            int value when arguments[0].Type?.TypeKind == TypeKind.Enum => (Granularity)value,
            int => Granularity.NOfM,
            _ => null,
        };
    }

    /// <summary>A layer of the model: an instance field or property whose type is a TorchSharp module.</summary>
    private static GraphLayer? DescribeLayer(ISymbol member, ClassBinding binding, CancellationToken cancellationToken)
    {
        var memberType = member switch
        {
            IFieldSymbol field => field.Type,
            IPropertySymbol property => property.Type,
            _ => null,
        } as INamedTypeSymbol;
        if (memberType is null || !IsModule(memberType)) return null;

        var typeName = memberType.ContainingNamespace?.ToDisplayString() == ModulesNamespace ? memberType.Name : null;
        var factory = FactoryCall(member, binding, cancellationToken);
        var arguments = factory is null ? new Dictionary<string, IOperation>(StringComparer.Ordinal) : ArgumentsByName(factory);
        switch (typeName)
        {
            case "Conv2d":
            {
                string? notRebuildable = AssignmentProblem(member, cancellationToken);
                if (factory is null || factory.TargetMethod.Name != "Conv2d")
                {
                    notRebuildable ??= "Compact() cannot see how it is built: no initializer or constructor assignment calls Conv2d(...)";
                }
                else if (arguments.TryGetValue("groups", out var groups) && Constant(groups) != 1)
                {
                    notRebuildable ??= $"it is a grouped convolution (groups: {groups.Syntax}); Compact() shrinks convolutions with groups = 1";
                }

                return new GraphLayer(member, LayerRole.Conv2d, Constant(arguments, "in_channels"), Constant(arguments, "out_channels"), notRebuildable);
            }

            case "Linear":
                return new GraphLayer(member, LayerRole.Linear, Constant(arguments, "inputSize"), Constant(arguments, "outputSize"), AssignmentProblem(member, cancellationToken));
            case "BatchNorm1d" or "BatchNorm2d":
            {
                var features = Constant(arguments, "num_features");
                return new GraphLayer(member, typeName == "BatchNorm1d" ? LayerRole.BatchNorm1d : LayerRole.BatchNorm2d, features, features, AssignmentProblem(member, cancellationToken));
            }

            case "Flatten":
                var flattensFromOne = factory is { TargetMethod.Name: "Flatten" } && Constant(arguments, "start_dim") == 1 && Constant(arguments, "end_dim") == -1;
                return new GraphLayer(member, flattensFromOne ? LayerRole.Flatten : LayerRole.Opaque, null, null, null);
            case "Sequential":
                return new GraphLayer(member, factory is not null && IsPassThroughSequential(factory) ? LayerRole.PassThrough : LayerRole.Opaque, null, null, null);
            case { } name when PassThroughModules.Contains(name):
                return new GraphLayer(member, LayerRole.PassThrough, null, null, null);
            default:
                return new GraphLayer(member, LayerRole.Opaque, null, null, null);
        }
    }

    /// <summary>Why <c>Compact()</c>'s constructor cannot assign the member, or null where it can.</summary>
    private static string? AssignmentProblem(ISymbol member, CancellationToken cancellationToken)
    {
        if (member is not IPropertySymbol property) return null;
        var isAutoProperty = property.DeclaringSyntaxReferences.Select(reference => reference.GetSyntax(cancellationToken)).OfType<PropertyDeclarationSyntax>().Any(declaration =>
            declaration.ExpressionBody is null &&
            declaration.AccessorList is { } accessors &&
            accessors.Accessors.All(accessor => accessor.Body is null && accessor.ExpressionBody is null));
        return isAutoProperty ? null : $"it is held in property '{member.Name}' with accessor bodies, which Compact() cannot assign";
    }

    /// <summary>A Sequential built inline from modules that each map channels on their own and keep zero at zero.</summary>
    private static bool IsPassThroughSequential(IInvocationOperation factory)
    {
        if (factory.TargetMethod.Name != "Sequential") return false;
        var elements = new List<IOperation>();
        foreach (var argument in factory.Arguments)
        {
            var value = Unwrap(argument.Value);
            if (value is IArrayCreationOperation { Initializer: { } initializer }) elements.AddRange(initializer.ElementValues);
            else if (value is not null) elements.Add(value);
        }

        return elements.Count > 0 && elements.All(element =>
        {
            var module = Unwrap(element);
            if (module is ITupleOperation { Elements.Length: 2 } named) module = Unwrap(named.Elements[1]);
            return module is IInvocationOperation call &&
                call.TargetMethod.ContainingType?.ToDisplayString() == FactoriesTypeName &&
                PassThroughModules.Contains(call.TargetMethod.Name);
        });
    }

    /// <summary>The TorchSharp factory call that builds the member: its initializer, or its one assignment in a constructor.</summary>
    private static IInvocationOperation? FactoryCall(ISymbol member, ClassBinding binding, CancellationToken cancellationToken)
    {
        var candidates = new List<ExpressionSyntax>();
        if (ShapeInference.FindInitializer(member, cancellationToken) is { } initializer) candidates.Add(initializer);
        foreach (var write in binding.Writes.Of(member, binding.SemanticModels, cancellationToken))
        {
            if (write is { Constructor: not null, Value: { } value }) candidates.Add(value);
        }

        if (candidates.Count != 1) return null;
        var operation = Unwrap(binding.SemanticModels.For(candidates[0].SyntaxTree).GetOperation(candidates[0], cancellationToken));
        return operation is IInvocationOperation invocation && invocation.TargetMethod.ContainingType?.ToDisplayString() == FactoriesTypeName ? invocation : null;
    }

    private static Dictionary<string, IOperation> ArgumentsByName(IInvocationOperation invocation)
    {
        var arguments = new Dictionary<string, IOperation>(StringComparer.Ordinal);
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is not null) arguments[argument.Parameter.Name] = argument.Value;
        }

        return arguments;
    }

    private static (IMethodBodyOperation? Body, IParameterSymbol? Input) FindForward(INamedTypeSymbol type, INamedTypeSymbol tensorType, SemanticModels semanticModels, CancellationToken cancellationToken)
    {
        foreach (var method in type.GetMembers("forward").OfType<IMethodSymbol>())
        {
            if (method.IsStatic || method.Parameters.Length != 1 || !IsOrDerives(method.Parameters[0].Type, tensorType)) continue;
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is not MethodDeclarationSyntax declaration || (declaration.Body is null && declaration.ExpressionBody is null)) continue;
                var body = semanticModels.For(declaration.SyntaxTree).GetOperation(declaration, cancellationToken) as IMethodBodyOperation;
                return (body, method.Parameters[0]);
            }
        }

        return (null, null);
    }

    private static IReadOnlyList<ISymbol> Members(INamedTypeSymbol type) =>
        ModelParser.MembersInDeclarationOrder(type).Where(member => !member.IsStatic).ToList();

    private static bool IsModule(INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.ContainingNamespace?.ToDisplayString() == "TorchSharp" && current.ContainingType?.Name == "nn" && current.Name == "Module") return true;
        }

        return false;
    }

    private static bool IsOrDerives(ITypeSymbol type, INamedTypeSymbol baseType)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, baseType)) return true;
        }

        return false;
    }

    private static LayerReference Reference(ISymbol member) =>
        new(member.Name, CSharpNames.Identifier(member.Name), member is IFieldSymbol { Type.NullableAnnotation: NullableAnnotation.Annotated } or IPropertySymbol { Type.NullableAnnotation: NullableAnnotation.Annotated });

    private static EquatableArray<LayerReference> References(IEnumerable<GraphLayer> layers) =>
        new(layers.Select(layer => Reference(layer.Member)).ToArray());
}
