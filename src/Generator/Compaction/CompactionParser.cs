using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using PruneSharp.Compaction;
using PruneSharp.Generator.Construction;

namespace PruneSharp.Generator.Compaction;

/// <summary>
/// Turns a <c>[Prune]</c> model class into a <see cref="CompactionSpec"/>: the forward programs of the class and of the
/// module classes its code builds (<see cref="ForwardCompiler"/>). For the analyzer it also runs those programs over
/// the modules the code shows (<see cref="StaticModules"/>) and gives the PRUNE030–PRUNE034 information diagnostics, at
/// real locations, naming the layers by their dotted names: which pruned layer <c>Compact()</c> does not shrink, and
/// why. The generator and the analyzer both call it, so they agree.
/// </summary>
internal static class CompactionParser
{
    private const string TensorMetadataName = "TorchSharp.torch+Tensor";

    /// <summary>
    /// Parses <paramref name="type"/> with the binding and the pruning model of the same parse (<see cref="ModelClassParser"/>).
    /// Returns <see langword="null"/> where the compilation lacks the types compaction needs. Diagnostics are added to
    /// <paramref name="diagnostics"/> when given.
    /// </summary>
    public static CompactionSpec? Parse(INamedTypeSymbol type, ClassBinding binding, ModelSpec model, List<Diagnostic>? diagnostics, CancellationToken cancellationToken)
    {
        var compilation = binding.SemanticModels.Compilation;
        var tensorType = compilation.GetTypeByMetadataName(TensorMetadataName);
        var pruneAttribute = compilation.GetTypeByMetadataName(KnownTypeNames.PruneAttribute);
        if (tensorType is null || pruneAttribute is null) return null;

        var compiled = CompilePrograms(type, tensorType, binding.SemanticModels, cancellationToken);
        var rootName = ForwardCompiler.RuntimeName(type);
        if (!compiled.ContainsKey(rootName))
        {
            // No forward to read: a program that only returns an unknown value keeps every channel, and says why.
            compiled[rootName] = (new FlowClass(rootName, 2, new FlowList<FlowOp>([
                new FlowOp(FlowOpKind.Opaque, 1, -1, Reason: $"'{type.Name}' declares no forward(Tensor) with a body that Compact() can read"),
                new FlowOp(FlowOpKind.Return, -1, 1)])), [], null);
        }

        if (diagnostics is not null)
        {
            Report(type, model, compiled, binding.Reader, pruneAttribute, diagnostics, cancellationToken);
        }

        var programs = new[] { compiled[rootName].Program }.Concat(compiled.Where(pair => pair.Key != rootName).Select(pair => pair.Value.Program)).ToArray();
        var (ns, containingTypes, typeName, hintName) = ModelParser.Placement(type, HintNames.CompactionSuffix);
        return new CompactionSpec(ns, containingTypes, typeName, hintName, rootName, new EquatableArray<FlowClass>(programs));
    }

    /// <summary>
    /// The forward programs of <paramref name="root"/> and of every module class it reaches: the types of its module
    /// members and the classes its code creates with <c>new</c>, transitively, where they have a forward(Tensor) to read.
    /// </summary>
    private static Dictionary<string, (FlowClass Program, IReadOnlyList<Location> Sites, INamedTypeSymbol? Class)> CompilePrograms(INamedTypeSymbol root, INamedTypeSymbol tensorType, SemanticModels semanticModels, CancellationToken cancellationToken)
    {
        var programs = new Dictionary<string, (FlowClass, IReadOnlyList<Location>, INamedTypeSymbol?)>(StringComparer.Ordinal);
        var pending = new Queue<INamedTypeSymbol>([root]);
        var seen = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default) { root };
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var type = pending.Dequeue();
            var (body, input) = FindForward(type, tensorType, semanticModels, cancellationToken);
            if (ForwardCompiler.Compile(type, tensorType, body, input, cancellationToken) is { } result)
            {
                programs[result.Program.TypeName] = (result.Program, result.Sites, type);
            }

            foreach (var used in ModuleClassesUsedBy(type, semanticModels, cancellationToken))
            {
                if (seen.Add(used)) pending.Enqueue(used);
            }
        }

        return programs;
    }

    /// <summary>Module classes of this compilation that the class holds in members or creates anywhere in its code.</summary>
    private static IEnumerable<INamedTypeSymbol> ModuleClassesUsedBy(INamedTypeSymbol type, SemanticModels semanticModels, CancellationToken cancellationToken)
    {
        var found = new List<INamedTypeSymbol>();
        void Consider(ITypeSymbol? candidate)
        {
            if (candidate is INamedTypeSymbol { TypeKind: TypeKind.Class, IsGenericType: false } named && named.DeclaringSyntaxReferences.Length > 0 && ForwardCompiler.IsModuleType(named)) found.Add(named);
        }

        // The class and the classes of this compilation it derives from: an inherited forward reads their members.
        foreach (var declared in SourceTypes(type))
        {
            foreach (var member in declared.GetMembers())
            {
                if (GeneratedCode.IsDeclaredOnlyInGeneratedCode(member, cancellationToken)) continue;
                Consider((member as IFieldSymbol)?.Type ?? (member as IPropertySymbol)?.Type);
            }

            foreach (var reference in declared.DeclaringSyntaxReferences)
            {
                // Generated code is not the user's (GeneratedCode): the analyzer sees it, the generator does not.
                if (GeneratedCode.IsGenerated(reference.SyntaxTree, cancellationToken)) continue;
                var declaration = reference.GetSyntax(cancellationToken);
                var model = semanticModels.For(declaration.SyntaxTree);
                foreach (var creation in declaration.DescendantNodes().OfType<ObjectCreationExpressionSyntax>())
                {
                    Consider(model.GetTypeInfo(creation, cancellationToken).Type);
                }
            }
        }

        return found;
    }

    /// <summary>The class, then each base class whose source is in this compilation, most derived first.</summary>
    private static IEnumerable<INamedTypeSymbol> SourceTypes(INamedTypeSymbol type)
    {
        for (var current = type; current is not null && current.DeclaringSyntaxReferences.Length > 0; current = current.BaseType)
        {
            yield return current;
        }
    }

    private static (IMethodBodyOperation? Body, IParameterSymbol? Input) FindForward(INamedTypeSymbol type, INamedTypeSymbol tensorType, SemanticModels semanticModels, CancellationToken cancellationToken)
    {
        // The most derived forward with a body: the class's own, or the one it inherits from a base class of this compilation.
        foreach (var method in SourceTypes(type).SelectMany(declared => declared.GetMembers("forward")).OfType<IMethodSymbol>())
        {
            if (method.IsStatic || method.Parameters.Length != 1 || !IsOrDerives(method.Parameters[0].Type, tensorType)) continue;
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                if (GeneratedCode.IsGenerated(reference.SyntaxTree, cancellationToken)) continue;
                if (reference.GetSyntax(cancellationToken) is not MethodDeclarationSyntax declaration || (declaration.Body is null && declaration.ExpressionBody is null)) continue;
                var body = semanticModels.For(declaration.SyntaxTree).GetOperation(declaration, cancellationToken) as IMethodBodyOperation;
                return (body, method.Parameters[0]);
            }
        }

        return (null, null);
    }

    private static bool IsOrDerives(ITypeSymbol type, INamedTypeSymbol baseType)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, baseType)) return true;
        }

        return false;
    }

    private static void Report(
        INamedTypeSymbol type,
        ModelSpec model,
        Dictionary<string, (FlowClass Program, IReadOnlyList<Location> Sites, INamedTypeSymbol? Class)> compiled,
        ConstructionReader reader,
        INamedTypeSymbol pruneAttribute,
        List<Diagnostic> diagnostics,
        CancellationToken cancellationToken)
    {
        var host = new StaticModules(compiled.ToDictionary(pair => pair.Key, pair => pair.Value.Program, StringComparer.Ordinal), reader, cancellationToken);
        var root = StaticModules.Root(type);
        var flow = ChannelFlow<StaticModule>.Run(host, root);
        Location? Where(FlowBlocker blocker) =>
            blocker.Program is { } program && compiled.TryGetValue(program.TypeName, out var entry) && blocker.Site >= 0 && blocker.Site < entry.Sites.Count ? entry.Sites[blocker.Site] : null;

        CompactionDiagnostics.ReportPrunedLayers(type, model, flow, host, root, pruneAttribute, Where, diagnostics, cancellationToken);
        CompactionDiagnostics.ReportNestedBlockers(type, flow, host, Where, diagnostics);
    }
}
