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
            if (!declaration.TryReadNamed(named.Key, named.Value)) return false;
            declaration._named.Add(named.Key);
        }

        return true;
    }

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
        Seed);

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
}
