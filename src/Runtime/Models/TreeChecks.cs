using System;
using System.Collections.Generic;
using System.Linq;
using static PruneSharp.DiagnosticWords;

namespace PruneSharp;

/// <summary>
/// The checks a pruning tree runs where only run time knows a layer: the generator's checks, with its words
/// (<see cref="DiagnosticWords"/>). Settings on their own are checked when a rule is declared; fit and shape when the
/// tree is built, before anything in the model changes.
/// </summary>
internal static class TreeChecks
{
    /// <summary>The checks that need no layer (PRUNE002, 009, 011, 012, 014), for the rule of <paramref name="owner"/>.</summary>
    /// <exception cref="ArgumentException">The settings are invalid on their own.</exception>
    public static void CheckSettings(PruneSettings settings, string owner, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(settings, parameterName);
        if (settings.Granularity == Granularity.NOfM && (settings.N < 1 || settings.M <= settings.N))
        {
            throw new ArgumentException(Format(InvalidNOfM, settings.N, settings.M, owner), parameterName);
        }

        if (!(settings.Sparsity >= 0.0 && settings.Sparsity <= 1.0))
        {
            throw new ArgumentOutOfRangeException(parameterName, settings.Sparsity, Format(SparsityOutOfRange, Number(settings.Sparsity), owner));
        }

        if (settings.Granularity == Granularity.Custom && (settings.Dims is null || settings.Dims.Count == 0))
        {
            throw new ArgumentException(Format(CustomDimsMissing, owner), parameterName);
        }

        if (settings.Granularity != Granularity.Custom && settings.Dims is not null)
        {
            throw new ArgumentException(Format(DimsWithoutCustom, owner, settings.Granularity), parameterName);
        }

        if (settings.RoundTo < 0)
        {
            throw new ArgumentException(Format(NegativeRoundTo, settings.RoundTo, owner), parameterName);
        }
    }

    /// <summary>
    /// Whether the settings' granularity applies to <paramref name="kind"/>: it is in the table for the kind, it is N:M,
    /// or it is Custom with dims that fit the kind's weight rank. A rule that does not fit a layer skips it.
    /// </summary>
    public static bool Fits(LayerKind kind, PruneSettings settings) => settings.Granularity switch
    {
        Granularity.NOfM => true,
        Granularity.Custom => Granularities.CustomDimsFit(kind, settings.Dims?.ToArray()),
        var granularity => Granularities.TryGetReducedDims(kind, granularity, out _),
    };

    /// <summary>A declaration on the layer itself must fit it (PRUNE001, PRUNE010).</summary>
    /// <exception cref="PruningException">The granularity does not apply to the layer's kind.</exception>
    public static void CheckExplicitFit(string name, LayerKind kind, PruneSettings settings)
    {
        if (Fits(kind, settings)) return;
        if (settings.Granularity == Granularity.Custom)
        {
            throw new PruningException(name, Format(CustomDimsDoNotFit, Dims(settings.Dims!), name, kind, Granularities.WeightRank(kind)));
        }

        throw new PruningException(name, Format(GranularityNotValidForLayer, settings.Granularity, kind, name, TableGranularities(kind)));
    }

    /// <summary>The checks that need the layer's weight: N:M runs (PRUNE013) and, under local scope, a sparsity that removes every group (PRUNE003).</summary>
    /// <exception cref="PruningException">The layer cannot be pruned as declared.</exception>
    public static void CheckLayer(string name, PrunedLayer layer, PruningScope scope)
    {
        var settings = layer.Settings;
        var shape = LayerCheck.LiveWeight(layer).shape;   // a disposed model is named as the mask pass names it
        if (settings.Granularity == Granularity.NOfM)
        {
            var axis = Granularities.InputAxis(layer.Kind);
            if (shape.Length > axis && shape[axis] % settings.M != 0)
            {
                throw new PruningException(name, Format(NOfMInputNotMultiple, settings.N, settings.M, name, layer.Kind, Shape(shape), shape[axis], axis));
            }

            return;
        }

        if (scope != PruningScope.Local) return;
        var groups = layer.Report().Groups;
        try
        {
            MaskPlan.PrunedGroupCount(name, settings.Sparsity, groups, layer.ReducedDims);
        }
        catch (PruningException)
        {
            throw new PruningException(name, Format(SparsityRemovesEveryGroup, Number(settings.Sparsity), groups, name, $"{layer.Kind} [{Shape(shape)}]", settings.Granularity, Number((groups - 1) / (double)groups)));
        }
    }

    /// <summary>Global scope ranks every layer together: no N:M (PRUNE024), and every layer keeps its best group (PRUNE025).</summary>
    /// <exception cref="PruningException">A layer uses N:M, or the sparsity would take some layer's last group.</exception>
    public static void CheckGlobal(IReadOnlyList<(string Name, PrunedLayer Layer)> layers, double sparsity, string owner)
    {
        foreach (var (name, layer) in layers)
        {
            if (layer.Granularity == Granularity.NOfM) throw new PruningException(name, Format(NOfMUnderGlobalScope, name, owner));
        }

        if (layers.Count == 0) return;
        var total = layers.Sum(entry => entry.Layer.Report().Groups);
        var pruned = (long)Math.Round(sparsity * total, MidpointRounding.ToEven);
        if (pruned > total - layers.Count)
        {
            throw new PruningException("(global)", Format(GlobalSparsityTakesLastGroups, Number(sparsity), owner, pruned, total, layers.Count, Number((total - layers.Count) / (double)total)));
        }
    }

    /// <summary>
    /// A rule's or a named layer's settings carry no normalization: it belongs to the model-wide ranking, which
    /// <c>Global(sparsity, …, normalization)</c> declares (PRUNE045, as on a member's <c>[Prune]</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The settings set <see cref="PruneSettings.Normalization"/>.</exception>
    public static void CheckNoNormalization(PruneSettings settings, string owner, string parameterName)
    {
        if (settings.Normalization != GlobalScoreNormalization.None)
        {
            throw new ArgumentException(Format(NormalizationOnMember, owner) + " Imperatively: Pruning.Of(model).Global(sparsity, normalization).", parameterName);
        }
    }

    /// <summary>
    /// LAMP normalizes magnitudes: a layer whose criterion can score below zero cannot take part (PRUNE046).
    /// <paramref name="owner"/> is the declaration that asks for the normalization, as the message names it.
    /// </summary>
    /// <exception cref="PruningException">A layer's criterion can score below zero (the exception names the layer and the criterion).</exception>
    public static void CheckNormalization(IEnumerable<(string Name, PrunedLayer Layer)> layers, GlobalScoreNormalization normalization, string owner)
    {
        if (normalization != GlobalScoreNormalization.Lamp) return;
        foreach (var (name, layer) in layers)
        {
            if (layer.Granularity != Granularity.NOfM && CriterionSigns.CanScoreNegative(layer.Settings.Criterion))
            {
                throw new PruningException(name, Format(NormalizationWithNegativeCriterion, name, layer.Settings.Criterion, owner, normalization));
            }
        }
    }
}
