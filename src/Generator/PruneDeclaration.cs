using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PruneSharp.Generator;

/// <summary>
/// A <c>[Prune]</c> as written: its constructor arguments, every named property, and the source locations of each,
/// so a diagnostic points at the argument it is about.
/// </summary>
internal sealed class PruneDeclaration
{
    private readonly AttributeData _attribute;
    private readonly HashSet<string> _named;

    private PruneDeclaration(AttributeData attribute, HashSet<string> named)
    {
        _attribute = attribute;
        _named = named;
    }

    /// <summary>Whether it was declared with <c>[Prune(n, m)]</c>.</summary>
    public bool IsNOfMConstructor { get; private set; }

    public Granularity Granularity { get; private set; }

    public double Sparsity { get; private set; }

    public int N { get; private set; }

    public int M { get; private set; }

    public Criterion Criterion { get; private set; }

    public Reducer Reducer { get; private set; }

    public PruningScope Scope { get; private set; }

    public int RoundTo { get; private set; }

    public int[]? Dims { get; private set; }

    public Schedule Schedule { get; private set; }

    public double ScheduleStart { get; private set; } = SettingsSpec.DefaultScheduleStart;

    public double ScheduleEnd { get; private set; } = SettingsSpec.DefaultScheduleEnd;

    public int ScheduleSteps { get; private set; } = SettingsSpec.DefaultScheduleSteps;

    public int Seed { get; private set; }

    public GlobalScoreNormalization Normalization { get; private set; }

    /// <summary>The layer name patterns a declaration that reaches many layers is limited to; empty where not set.</summary>
    public string[] Include { get; private set; } = [];

    /// <summary>The layer name patterns a declaration that reaches many layers leaves out.</summary>
    public string[] Exclude { get; private set; } = [];

    /// <summary>The layer kinds a declaration that reaches many layers is limited to; empty where not set.</summary>
    public LayerKind[] Kinds { get; private set; } = [];

    /// <summary>Whether a declaration that reaches many layers may prune the model's output layer.</summary>
    public bool IncludeOutputLayer { get; private set; }

    /// <summary>Whether a selection property (<c>Include</c>, <c>Exclude</c>, <c>Kinds</c>, <c>IncludeOutputLayer</c>) is set.</summary>
    public bool HasSelection => PruneProperties.Selection.Any(IsSet);

    /// <summary>
    /// Named arguments this generator does not know (an attribute assembly newer than the generator): the declaration
    /// is reported (PRUNE043) and not used, so that no setting is ever dropped silently.
    /// </summary>
    public IReadOnlyList<string> UnknownArguments => _unknown;

    private readonly List<string> _unknown = [];

    /// <summary>Whether the named property <paramref name="name"/> is set.</summary>
    public bool IsSet(string name) => _named.Contains(name);

    /// <summary>Reads the attribute; false when its arguments do not bind (the compiler reports that).</summary>
    public static bool TryRead(AttributeData attribute, out PruneDeclaration declaration)
    {
        declaration = new PruneDeclaration(attribute, new HashSet<string>(StringComparer.Ordinal));
        var arguments = attribute.ConstructorArguments;
        if (attribute.AttributeConstructor is null || arguments.Length != 2) return false;

        if (arguments[0].Value is int granularity && arguments[1].Value is double sparsity && arguments[0].Type?.TypeKind == TypeKind.Enum)
        {
            declaration.Granularity = (Granularity)granularity;
            declaration.Sparsity = sparsity;
        }
        else if (arguments[0].Value is int n && arguments[1].Value is int m)
        {
            // As PruneAttribute(int, int) sets them.
            declaration.IsNOfMConstructor = true;
            declaration.Granularity = Granularity.NOfM;
            declaration.N = n;
            declaration.M = m;
            declaration.Sparsity = m > 0 ? (m - n) / (double)m : double.NaN;
        }
        else
        {
            return false;
        }

        foreach (var named in attribute.NamedArguments)
        {
            // A value of the wrong type does not compile (the compiler reports it); a name the generator does not know is PRUNE043.
            if (named.Value.Kind == TypedConstantKind.Error) return false;
            if (!PruneProperties.All.Contains(named.Key))
            {
                declaration._unknown.Add(named.Key);
                continue;
            }

            if (!declaration.TryReadNamed(named.Key, named.Value)) return false;
            declaration._named.Add(named.Key);
        }

        return true;
    }

    /// <summary>The selection the emitter writes, or null where none is set.</summary>
    public SelectionSpec? ToSelection() => HasSelection
        ? new SelectionSpec(new EquatableArray<string>(Include), new EquatableArray<string>(Exclude), new EquatableArray<int>(Kinds.Select(kind => (int)kind).ToArray()), IncludeOutputLayer)
        : null;

    /// <summary>The settings the emitter writes.</summary>
    public SettingsSpec ToSettings() => new(
        Granularity,
        Sparsity,
        N,
        M,
        Criterion,
        Reducer,
        RoundTo,
        Dims is null ? null : new EquatableArray<int>(Dims),
        Schedule,
        ScheduleStart,
        ScheduleEnd,
        ScheduleSteps,
        Seed,
        Normalization);

    public Location? AttributeLocation(CancellationToken cancellationToken) =>
        _attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();

    public Location? GranularityLocation(CancellationToken cancellationToken) =>
        IsNOfMConstructor ? ArgumentLocation(0, "n", cancellationToken) : ArgumentLocation(0, "granularity", cancellationToken);

    public Location? SparsityLocation(CancellationToken cancellationToken) =>
        IsNOfMConstructor ? ArgumentLocation(1, "m", cancellationToken) : ArgumentLocation(1, "sparsity", cancellationToken);

    public Location? NLocation(CancellationToken cancellationToken) => ArgumentLocation(0, "n", cancellationToken);

    public Location? MLocation(CancellationToken cancellationToken) => ArgumentLocation(1, "m", cancellationToken);

    /// <summary>The value of the named property <paramref name="name"/>; the whole attribute where it is not set.</summary>
    public Location? NamedLocation(string name, CancellationToken cancellationToken)
    {
        var syntax = Syntax(cancellationToken);
        var argument = syntax?.ArgumentList?.Arguments.FirstOrDefault(candidate => candidate.NameEquals?.Name.Identifier.ValueText == name);
        return argument?.Expression.GetLocation() ?? syntax?.GetLocation();
    }

    /// <summary>Element <paramref name="index"/> of the array the named property <paramref name="name"/> is set to; the whole value where it is not written as a list of elements.</summary>
    public Location? ElementLocation(string name, int index, CancellationToken cancellationToken)
    {
        var syntax = Syntax(cancellationToken);
        var value = syntax?.ArgumentList?.Arguments.FirstOrDefault(candidate => candidate.NameEquals?.Name.Identifier.ValueText == name)?.Expression;
        var elements = value switch
        {
            ArrayCreationExpressionSyntax { Initializer: { } initializer } => initializer.Expressions.ToList(),
            ImplicitArrayCreationExpressionSyntax { Initializer: var initializer } => initializer.Expressions.ToList(),
            CollectionExpressionSyntax collection => collection.Elements.OfType<ExpressionElementSyntax>().Select(element => element.Expression).ToList(),
            _ => null,
        };
        return elements is not null && index < elements.Count ? elements[index].GetLocation() : value?.GetLocation() ?? syntax?.GetLocation();
    }

    private AttributeSyntax? Syntax(CancellationToken cancellationToken) =>
        _attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;

    private Location? ArgumentLocation(int position, string parameterName, CancellationToken cancellationToken)
    {
        var syntax = Syntax(cancellationToken);
        var arguments = syntax?.ArgumentList?.Arguments ?? default;
        var named = arguments.FirstOrDefault(argument => argument.NameColon?.Name.Identifier.ValueText == parameterName);
        if (named is not null) return named.Expression.GetLocation();
        return position < arguments.Count && arguments[position].NameColon is null && arguments[position].NameEquals is null
            ? arguments[position].Expression.GetLocation()
            : syntax?.GetLocation();
    }

    private bool TryReadNamed(string name, TypedConstant value)
    {
        switch (name)
        {
            case PruneProperties.Criterion when value.Value is int criterion:
                Criterion = (Criterion)criterion;
                return true;
            case PruneProperties.Reducer when value.Value is int reducer:
                Reducer = (Reducer)reducer;
                return true;
            case PruneProperties.Scope when value.Value is int scope:
                Scope = (PruningScope)scope;
                return true;
            case PruneProperties.RoundTo when value.Value is int roundTo:
                RoundTo = roundTo;
                return true;
            case PruneProperties.Dims when value.Kind == TypedConstantKind.Array:
                if (value.IsNull)
                {
                    Dims = null;
                    return true;
                }

                var dims = new int[value.Values.Length];
                for (var index = 0; index < dims.Length; index++)
                {
                    if (value.Values[index].Value is not int dim) return false;
                    dims[index] = dim;
                }

                Dims = dims;
                return true;
            case PruneProperties.Schedule when value.Value is int schedule:
                Schedule = (Schedule)schedule;
                return true;
            case PruneProperties.ScheduleStart when value.Value is double start:
                ScheduleStart = start;
                return true;
            case PruneProperties.ScheduleEnd when value.Value is double end:
                ScheduleEnd = end;
                return true;
            case PruneProperties.ScheduleSteps when value.Value is int steps:
                ScheduleSteps = steps;
                return true;
            case PruneProperties.Seed when value.Value is int seed:
                Seed = seed;
                return true;
            case PruneProperties.Normalization when value.Value is int normalization:
                Normalization = (GlobalScoreNormalization)normalization;
                return true;
            case PruneProperties.Include or PruneProperties.Exclude when value.Kind == TypedConstantKind.Array:
                var patterns = value.IsNull ? [] : value.Values.Select(element => element.Value as string).ToArray();
                if (patterns.Any(pattern => pattern is null)) return false;
                if (name == PruneProperties.Include) Include = patterns!;
                else Exclude = patterns!;
                return true;
            case PruneProperties.Kinds when value.Kind == TypedConstantKind.Array:
                if (value.IsNull)
                {
                    Kinds = [];
                    return true;
                }

                if (value.Values.Any(element => element.Value is not int)) return false;
                Kinds = value.Values.Select(element => (LayerKind)(int)element.Value!).ToArray();
                return true;
            case PruneProperties.IncludeOutputLayer when value.Value is bool includeOutputLayer:
                IncludeOutputLayer = includeOutputLayer;
                return true;
            default:
                return false;
        }
    }
}

/// <summary>The names of <c>PruneAttribute</c>'s settable properties (the attribute type is not compiled into the generator).</summary>
internal static class PruneProperties
{
    public const string Criterion = nameof(Criterion);
    public const string Reducer = nameof(Reducer);
    public const string Scope = nameof(Scope);
    public const string RoundTo = nameof(RoundTo);
    public const string Dims = nameof(Dims);
    public const string Schedule = nameof(Schedule);
    public const string ScheduleStart = nameof(ScheduleStart);
    public const string ScheduleEnd = nameof(ScheduleEnd);
    public const string ScheduleSteps = nameof(ScheduleSteps);
    public const string Seed = nameof(Seed);
    public const string Include = nameof(Include);
    public const string Exclude = nameof(Exclude);
    public const string Kinds = nameof(Kinds);
    public const string IncludeOutputLayer = nameof(IncludeOutputLayer);
    public const string Normalization = nameof(Normalization);

    /// <summary>Every settable property; a test keeps this equal to <c>PruneAttribute</c>'s.</summary>
    public static readonly string[] All = [Criterion, Reducer, Scope, RoundTo, Dims, Schedule, ScheduleStart, ScheduleEnd, ScheduleSteps, Seed, Include, Exclude, Kinds, IncludeOutputLayer, Normalization];

    /// <summary>The properties of a selection, for declarations that reach many layers.</summary>
    public static readonly string[] Selection = [Include, Exclude, Kinds, IncludeOutputLayer];
}
