using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PruneSharp.Generator.Construction;

/// <summary>
/// What a module class's construction leaves in its members, read from its code: the generator's one answer to "what
/// does this constructor build", for compaction's channel flow and for pruning's checks alike (<c>StaticModules</c>).
/// </summary>
/// <remarks>
/// <para>
/// It runs the code abstractly: field and property initializers, then the constructor (after the one it chains to
/// with <c>: this(...)</c>), statement by statement, with the arguments' values where the caller knows them
/// (<c>new Block(64, 128)</c>) and <see cref="StaticValue.Unknown"/> where it does not. It follows locals, integer
/// arithmetic and comparisons, interpolated names, <c>if</c> on a known condition, <c>for</c> and <c>foreach</c> over
/// known ranges, lists filled with <c>Add</c>, TorchSharp factory calls (<c>Conv2d</c>, <c>Sequential(list)</c>),
/// <c>new</c> of module classes, and calls of methods of this compilation (inlined, a few levels deep). An <c>if</c>
/// on an unknown condition keeps what both branches agree on (a branch that throws is a guard: the other one ran);
/// a loop it cannot bound, or any other statement it does not follow, makes what that statement writes unknown and
/// the reading goes on. Whatever it cannot follow is <see cref="StaticValue.Unknown"/>: run time decides, nothing is
/// guessed.
/// </para>
/// <para>
/// A module member also written outside the constructors (in another method, a lambda, through <c>ref</c>) is
/// unknown, whatever the constructor did. Generated code is not read.
/// </para>
/// </remarks>
internal sealed partial class ConstructionReader
{
    private const int MaxInlineDepth = 6;
    private const int Budget = 50_000;

    private readonly Compilation _compilation;
    private readonly SemanticModels _semanticModels;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<string, IReadOnlyDictionary<ISymbol, StaticValue>> _byConstruction = new(StringComparer.Ordinal);
    private readonly Dictionary<IFieldSymbol, StaticValue> _statics = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<INamedTypeSymbol, MemberWrites> _writes = new(SymbolEqualityComparer.Default);
    private int _steps;

    public ConstructionReader(Compilation compilation, SemanticModels semanticModels, CancellationToken cancellationToken)
    {
        _compilation = compilation;
        _semanticModels = semanticModels;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The metadata name of TorchSharp's factories (<c>torch.nn.Conv2d(...)</c>).</summary>
    public const string FactoriesTypeName = "TorchSharp.torch.nn";

    /// <summary>
    /// What each instance field and auto-property of <paramref name="type"/> holds once it is built: by
    /// <paramref name="constructor"/> with <paramref name="arguments"/>, or, where the constructor is not known (the
    /// model class itself, built by code elsewhere), by every instance constructor with unknown arguments, a member
    /// being known where all of them agree.
    /// </summary>
    public IReadOnlyDictionary<ISymbol, StaticValue> Members(INamedTypeSymbol type, IMethodSymbol? constructor, IReadOnlyList<StaticValue>? arguments)
    {
        var key = type.ToDisplayString() + (constructor is null ? "#any" : "#" + constructor.Parameters.Length + "(" + string.Join(", ", (arguments ?? []).Select(argument => argument.Key)) + ")");
        if (_byConstruction.TryGetValue(key, out var cached)) return cached;

        // Seen on the way in: a class that builds itself (directly or not) reads as unknown instead of recursing.
        _byConstruction[key] = new Dictionary<ISymbol, StaticValue>(SymbolEqualityComparer.Default);
        var members = constructor is not null
            ? Run(type, constructor, arguments ?? [])
            : RunEveryConstructor(type);
        var result = Finish(type, members);
        _byConstruction[key] = result;
        return result;
    }

    /// <summary>The value of a static read-only field of this compilation from its initializer (<c>static readonly long[] Configuration = [...]</c>).</summary>
    private StaticValue StaticField(IFieldSymbol field)
    {
        if (_statics.TryGetValue(field, out var value)) return value;
        _statics[field] = StaticValue.Unknown;
        value = StaticValue.Unknown;
        if (field.IsReadOnly && ShapeInference.FindInitializer(field, _cancellationToken) is { } initializer && !GeneratedCode.IsGenerated(initializer.SyntaxTree, _cancellationToken))
        {
            var state = new ReaderState(field.ContainingType, inlineDepth: MaxInlineDepth - 1);
            value = Evaluate(_semanticModels.For(initializer.SyntaxTree).GetOperation(initializer, _cancellationToken), state);
        }

        _statics[field] = value;
        return value;
    }

    private Dictionary<ISymbol, StaticValue>? RunEveryConstructor(INamedTypeSymbol type)
    {
        Dictionary<ISymbol, StaticValue>? agreed = null;
        var constructors = type.InstanceConstructors.Where(candidate => !candidate.IsImplicitlyDeclared && !GeneratedCode.IsDeclaredOnlyInGeneratedCode(candidate, _cancellationToken)).ToList();
        if (constructors.Count == 0)
        {
            // The implicit constructor runs the initializers only.
            _steps = 0;
            var state = new ReaderState(type, inlineDepth: 0);
            try
            {
                return RunInitializers(type, state) ? state.Members : null;
            }
            catch (GiveUpException)
            {
                return null;
            }
        }

        foreach (var candidate in constructors)
        {
            var members = Run(type, candidate, candidate.Parameters.Select(_ => StaticValue.Unknown).ToList());
            if (members is null) return null;
            if (agreed is null)
            {
                agreed = members;
                continue;
            }

            foreach (var member in agreed.Keys.Union(members.Keys, SymbolEqualityComparer.Default).ToList())
            {
                agreed[member] = StaticValue.Merge(agreed.TryGetValue(member, out var left) ? left : StaticValue.Null, members.TryGetValue(member, out var right) ? right : StaticValue.Null);
            }
        }

        return agreed;
    }

    /// <summary>The members after <paramref name="constructor"/> runs; null where the reader gave up.</summary>
    private Dictionary<ISymbol, StaticValue>? Run(INamedTypeSymbol type, IMethodSymbol constructor, IReadOnlyList<StaticValue> arguments)
    {
        _steps = 0;
        var state = new ReaderState(type, inlineDepth: 0);
        try
        {
            return RunConstructor(constructor, arguments, state, depth: 0) ? state.Members : null;
        }
        catch (Exception exception) when (exception is GiveUpException or UnfollowedJumpException)
        {
            return null;
        }
    }

    private bool RunConstructor(IMethodSymbol constructor, IReadOnlyList<StaticValue> arguments, ReaderState state, int depth)
    {
        if (depth > MaxInlineDepth) return false;
        var body = ConstructorBody(constructor);
        if (body is null) return constructor.IsImplicitlyDeclared && RunInitializers(constructor.ContainingType, state);

        var saved = state.Parameters;
        state.Parameters = new Dictionary<IParameterSymbol, StaticValue>(SymbolEqualityComparer.Default);
        for (var index = 0; index < constructor.Parameters.Length; index++)
        {
            state.Parameters[constructor.Parameters[index]] = index < arguments.Count ? arguments[index] : StaticValue.Unknown;
        }

        // ": this(...)" runs that constructor (and its initializers); otherwise the initializers run here.
        var initializer = body.Initializer is IExpressionStatementOperation statement ? statement.Operation : body.Initializer;
        if (initializer is IInvocationOperation { TargetMethod: { MethodKind: MethodKind.Constructor } chained } chainCall &&
            SymbolEqualityComparer.Default.Equals(chained.ContainingType, constructor.ContainingType))
        {
            var chainedArguments = Arguments(chainCall.Arguments, chained, state);
            var inner = state.Parameters;
            if (!RunConstructor(chained, chainedArguments, state, depth + 1)) return false;
            state.Parameters = inner;
        }
        else if (!RunInitializers(constructor.ContainingType, state))
        {
            return false;
        }

        var flow = Execute(body.BlockBody ?? (IOperation?)body.ExpressionBody, state);
        state.Parameters = saved;
        return flow is Flow.Normal or Flow.Return;
    }

    private IConstructorBodyOperation? ConstructorBody(IMethodSymbol constructor)
    {
        foreach (var reference in constructor.DeclaringSyntaxReferences)
        {
            if (GeneratedCode.IsGenerated(reference.SyntaxTree, _cancellationToken)) continue;
            if (reference.GetSyntax(_cancellationToken) is ConstructorDeclarationSyntax declaration &&
                _semanticModels.For(declaration.SyntaxTree).GetOperation(declaration, _cancellationToken) is IConstructorBodyOperation body)
            {
                return body;
            }
        }

        return null;
    }

    /// <summary>The initializers of the instance fields and auto-properties, in declaration order.</summary>
    private bool RunInitializers(INamedTypeSymbol type, ReaderState state)
    {
        foreach (var member in ModelParser.MembersInDeclarationOrder(type, _cancellationToken))
        {
            if (member.IsStatic || ShapeInference.FindInitializer(member, _cancellationToken) is not { } initializer) continue;
            var operation = _semanticModels.For(initializer.SyntaxTree).GetOperation(initializer, _cancellationToken);
            state.Members[member] = Evaluate(operation, state);
        }

        return true;
    }

    /// <summary>
    /// The members as the construction leaves them, for every instance field and auto-property the class declares: a
    /// member the construction never assigned is null; a module member written outside the constructors is unknown.
    /// </summary>
    private IReadOnlyDictionary<ISymbol, StaticValue> Finish(INamedTypeSymbol type, Dictionary<ISymbol, StaticValue>? members)
    {
        if (!_writes.TryGetValue(type, out var writes)) _writes[type] = writes = MemberWrites.Collect(type, _cancellationToken);
        var result = new Dictionary<ISymbol, StaticValue>(SymbolEqualityComparer.Default);
        foreach (var member in ModelParser.MembersInDeclarationOrder(type, _cancellationToken))
        {
            if (member.IsStatic) continue;
            var value = members is null ? StaticValue.Unknown
                : members.TryGetValue(member, out var assigned) ? assigned
                : StaticValue.Null;
            if (!value.IsUnknown && writes.Of(member, _semanticModels, _cancellationToken).Any(write => write.Constructor is null || write.Value is null))
            {
                value = StaticValue.Unknown;
            }

            result[member] = value;
        }

        return result;
    }

    private void Step()
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (++_steps > Budget) throw new GiveUpException();
    }

    /// <summary>How a statement ends.</summary>
    private enum Flow
    {
        Normal,
        Continue,
        Break,
        Return,

        /// <summary>A <c>throw</c>: the path a model that was built did not take.</summary>
        Throw,
    }

    /// <summary>Thrown where the reader stops following the code: the construction being read is unknown.</summary>
    private sealed class GiveUpException : Exception
    {
    }

    /// <summary>
    /// Thrown where a branch on an unknown condition jumps (<c>continue</c>, <c>break</c>, <c>return</c>): what follows
    /// depends on it. The enclosing loop or inlined call catches it and forgets what it writes.
    /// </summary>
    private sealed class UnfollowedJumpException : Exception
    {
    }

    /// <summary>What the reader knows at one point of the code: parameters, locals and the members of the instance being built.</summary>
    private sealed class ReaderState(INamedTypeSymbol type, int inlineDepth)
    {
        public INamedTypeSymbol Type { get; } = type;

        public int InlineDepth { get; } = inlineDepth;

        public Dictionary<IParameterSymbol, StaticValue> Parameters { get; set; } = new(SymbolEqualityComparer.Default);

        public Dictionary<ILocalSymbol, StaticValue> Locals { get; private set; } = new(SymbolEqualityComparer.Default);

        public Dictionary<ISymbol, StaticValue> Members { get; private set; } = new(SymbolEqualityComparer.Default);

        /// <summary>The value returned by the method being inlined.</summary>
        public StaticValue Returned { get; set; } = StaticValue.Unknown;

        public ReaderState Copy() => new(Type, InlineDepth)
        {
            Parameters = new Dictionary<IParameterSymbol, StaticValue>(Parameters, SymbolEqualityComparer.Default),
            Locals = new Dictionary<ILocalSymbol, StaticValue>(Locals, SymbolEqualityComparer.Default),
            Members = new Dictionary<ISymbol, StaticValue>(Members, SymbolEqualityComparer.Default),
        };

        /// <summary>Takes <paramref name="other"/>'s values: the branch that did not throw.</summary>
        public void ReplaceWith(ReaderState other)
        {
            Parameters = other.Parameters;
            Locals = other.Locals;
            Members = other.Members;
        }

        /// <summary>Keeps what this state and <paramref name="other"/> agree on: the state after an <c>if</c> whose condition is unknown.</summary>
        public void MergeWith(ReaderState other)
        {
            Parameters = Merged(Parameters, other.Parameters);
            Locals = Merged(Locals, other.Locals);
            Members = Merged(Members, other.Members);
        }

        private static Dictionary<TKey, StaticValue> Merged<TKey>(Dictionary<TKey, StaticValue> left, Dictionary<TKey, StaticValue> right)
            where TKey : class, ISymbol
        {
            IEqualityComparer<TKey> comparer = SymbolEqualityComparer.Default;
            var merged = new Dictionary<TKey, StaticValue>(comparer);
            foreach (var key in left.Keys.Union(right.Keys, comparer))
            {
                merged[key] = left.TryGetValue(key, out var a) && right.TryGetValue(key, out var b) ? StaticValue.Merge(a, b) : StaticValue.Unknown;
            }

            return merged;
        }
    }
}
