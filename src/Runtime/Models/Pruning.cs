using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// The imperative entry: prunes a model you cannot annotate (a library model, one rebuilt from a checkpoint).
/// </summary>
/// <example>
/// <code>
/// var pruning = Pruning.Of(resnet)
///     .Layers&lt;Conv2d&gt;(Granularity.Filter, 0.3).Except("layer4")
///     .Layers&lt;Linear&gt;(Granularity.Row, 0.2)          // the classifier, fc, is the output layer: left alone
///     .Build();
/// pruning.ComputeMasks();
/// pruning.ApplyMasks();
/// </code>
/// </example>
public static class Pruning
{
    /// <summary>Starts declaring how <paramref name="model"/>'s layers are pruned; <see cref="PruningBuilder.Build"/> ends it.</summary>
    /// <remarks>
    /// Layers are found in the whole module tree (<c>Sequential</c>, <c>ModuleList</c>, <c>ModuleDict</c>, block
    /// classes, fields typed <c>Module&lt;Tensor, Tensor&gt;</c>) and named by their dotted path. Declarations the
    /// model's own classes make (generated <c>[Prune]</c> classes in the tree) win over the rules given here.
    /// </remarks>
    public static PruningBuilder Of(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new PruningBuilder(model, new BlockDeclarations($"Pruning.Of({model.GetType().Name})"));
    }
}

/// <summary>
/// Declares, rule by rule, how the layers of a model are pruned; <see cref="Build"/> resolves the rules into a
/// <see cref="PruningTree"/>. A rule reaches the layers of the kinds its granularity fits; where two rules reach a
/// layer, the later one wins, and <see cref="Layer(string, PruneSettings)"/> wins over both.
/// </summary>
public class PruningBuilder
{
    private readonly nn.Module _model;
    private readonly BlockDeclarations _declarations;

    internal PruningBuilder(nn.Module model, BlockDeclarations declarations)
    {
        _model = model;
        _declarations = declarations;
    }

    /// <summary>A rule for every layer that <paramref name="granularity"/> fits (Filter: the convolutions; Row: Linear and the convolutions; ...).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1].</exception>
    public PruningRuleBuilder Layers(Granularity granularity, double sparsity) => Layers(new PruneSettings(granularity, sparsity));

    /// <summary>A rule for every layer that the settings' granularity fits.</summary>
    /// <exception cref="ArgumentException">The settings are invalid on their own (the generator's words).</exception>
    public PruningRuleBuilder Layers(PruneSettings settings) => AddRule(settings, kind: null);

    /// <summary>A rule for every <typeparamref name="TLayer"/> layer (<c>Conv2d</c>, <c>Linear</c>, ...).</summary>
    /// <exception cref="ArgumentException"><typeparamref name="TLayer"/> is not a layer type PruneSharp prunes, or the granularity does not apply to it.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1].</exception>
    public PruningRuleBuilder Layers<TLayer>(Granularity granularity, double sparsity)
        where TLayer : nn.Module => Layers<TLayer>(new PruneSettings(granularity, sparsity));

    /// <summary>A rule for every <typeparamref name="TLayer"/> layer, with full settings.</summary>
    /// <exception cref="ArgumentException"><typeparamref name="TLayer"/> is not a layer type PruneSharp prunes, the
    /// granularity does not apply to it, or the settings are invalid on their own.</exception>
    public PruningRuleBuilder Layers<TLayer>(PruneSettings settings)
        where TLayer : nn.Module
    {
        if (!ModulePrunedLayer.TryGetKindOfType(typeof(TLayer), out var kind))
        {
            throw new ArgumentException($"Layers<{typeof(TLayer).Name}>: PruneSharp prunes Linear, Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d and ConvTranspose3d layers.", nameof(TLayer));
        }

        return AddRule(settings, kind);
    }

    /// <summary>
    /// Declares the layer named <paramref name="name"/> (its dotted path, <c>layer1.0.conv1</c>) as its own
    /// <c>[Prune]</c> would: it wins over every rule, it may be the output layer, and a granularity that does not fit
    /// it is an error.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1].</exception>
    public PruningBuilder Layer(string name, Granularity granularity, double sparsity) => Layer(name, new PruneSettings(granularity, sparsity));

    /// <summary>Declares the layer named <paramref name="name"/> with full settings (see <see cref="Layer(string, Granularity, double)"/>).</summary>
    /// <exception cref="ArgumentException">The name is empty, or the settings are invalid on their own.</exception>
    public PruningBuilder Layer(string name, PruneSettings settings)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        TreeChecks.CheckSettings(settings, name, nameof(settings));
        TreeChecks.CheckNoNormalization(settings, name, nameof(settings));
        _declarations.NamedLayers.Add((name, settings));
        return this;
    }

    /// <summary>
    /// Layers (or modules holding layers) that the model keeps in a plain array or list, which TorchSharp does not
    /// register: each is named by its access path, <c>name.0</c>, <c>name.1</c>, ... (<paramref name="name"/> may be
    /// dotted: <c>blocks.2.convs</c>). A module that is also registered keeps its registered name.
    /// </summary>
    public PruningBuilder Unregistered(string name, IEnumerable<nn.Module> modules)
    {
        _declarations.AddUnregistered(name, modules, nameof(modules));
        return this;
    }

    /// <summary>
    /// Global scope: <see cref="PruningTree.ComputeMasks"/> ranks the groups of every pruned layer together and prunes
    /// <paramref name="sparsity"/> of them all, each layer keeping at least its best group. The rules then choose the
    /// layers and their granularity; their own sparsities do not apply. A <see cref="Training.Sparsifier"/> reaches the
    /// sparsity in one shot (or on the schedule a generated model's class-level <c>[Prune]</c> declares for the same
    /// sparsity); <see cref="Global(double, Schedule, double, double, int, GlobalScoreNormalization)"/> gives a schedule.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1].</exception>
    public PruningBuilder Global(double sparsity)
    {
        CheckGlobalSparsity(sparsity);
        _declarations.Scope = PruningScope.Global;
        _declarations.GlobalSparsity = sparsity;
        _declarations.GlobalSettings = null;
        _declarations.GlobalNormalization = null;
        return this;
    }

    /// <summary>
    /// Global scope with each layer's group scores normalized before the ranking, as a class-level
    /// <c>[Prune(…, Scope = PruningScope.Global, Normalization = …)]</c> declares it:
    /// <see cref="GlobalScoreNormalization.Lamp"/> gives each layer its own sparsity from its own score distribution, so
    /// small layers are not emptied first. Otherwise as <see cref="Global(double)"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1], or <paramref name="normalization"/> is not a member of its enum.</exception>
    public PruningBuilder Global(double sparsity, GlobalScoreNormalization normalization)
    {
        CheckNormalization(normalization);
        Global(sparsity);
        _declarations.GlobalNormalization = normalization;
        return this;
    }

    /// <summary>
    /// Global scope on a schedule, as a class-level <c>[Prune(…, Scope = PruningScope.Global, Schedule = …)]</c> declares
    /// it: <see cref="PruningTree.ComputeMasks"/> ranks every pruned layer's groups together towards
    /// <paramref name="sparsity"/>, and a <see cref="Training.Sparsifier"/> built on the tree ranks them at every update
    /// towards the model-wide sparsity the schedule gives at that point of training.
    /// </summary>
    /// <param name="sparsity">The model-wide target, in [0, 1].</param>
    /// <param name="schedule">How the sparsity grows over training (<see cref="PruneAttribute.Schedule"/>).</param>
    /// <param name="scheduleStart">The fraction of training at which the schedule starts, in [0, 1].</param>
    /// <param name="scheduleEnd">The fraction of training at which it reaches <paramref name="sparsity"/>, in [<paramref name="scheduleStart"/>, 1].</param>
    /// <param name="scheduleSteps">For <see cref="Schedule.Iterative"/>: the number of equal steps, at least 1.</param>
    /// <param name="normalization">How each layer's group scores are normalized before the ranking (<see cref="PruneAttribute.Normalization"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public PruningBuilder Global(double sparsity, Schedule schedule, double scheduleStart = 0.0, double scheduleEnd = 1.0, int scheduleSteps = 3, GlobalScoreNormalization normalization = GlobalScoreNormalization.None)
    {
        CheckGlobalSparsity(sparsity);
        CheckNormalization(normalization);
        var settings = new PruneSettings(Granularity.Weight, sparsity)
        {
            Schedule = schedule,
            ScheduleStart = scheduleStart,
            ScheduleEnd = scheduleEnd,
            ScheduleSteps = scheduleSteps,
            Normalization = normalization,
        };

        // The schedule's own checks, now rather than when a Sparsifier first reads it.
        Training.SparsitySchedule.FromSettings(settings);
        _declarations.Scope = PruningScope.Global;
        _declarations.GlobalSparsity = sparsity;
        _declarations.GlobalSettings = settings;
        _declarations.GlobalNormalization = normalization;
        return this;
    }

    /// <summary>Local scope (the default, unless the model's class declares global): each layer is pruned to its own sparsity.</summary>
    public PruningBuilder Local()
    {
        _declarations.Scope = PruningScope.Local;
        _declarations.GlobalNormalization = null;
        return this;
    }

    /// <summary>
    /// Finds the model's layers, decides which rule prunes each, and checks every pruned layer against its weight;
    /// nothing in the model changes until <see cref="PruningTree.ComputeMasks"/>.
    /// </summary>
    /// <exception cref="PruningException">A declaration does not fit its layer (the generator's words, naming the layer).</exception>
    /// <exception cref="InvalidOperationException">No layer is pruned at all, a rule narrowed by <c>Matching</c> reaches
    /// no layer, an <c>Except</c> pattern or a <c>Layer(name, …)</c> matches none, or a named layer is also declared by
    /// its own <c>[Prune]</c>.</exception>
    public PruningTree Build() => PruningTree.Resolve(_model, _declarations);

    private static void CheckNormalization(GlobalScoreNormalization normalization)
    {
        if (!Enum.IsDefined(normalization))
        {
            throw new ArgumentOutOfRangeException(nameof(normalization), normalization, $"Normalization {(int)normalization} is not a member of {nameof(GlobalScoreNormalization)}.");
        }
    }

    private void CheckGlobalSparsity(double sparsity)
    {
        if (!(sparsity >= 0.0 && sparsity <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, DiagnosticWords.Format(DiagnosticWords.SparsityOutOfRange, DiagnosticWords.Number(sparsity), _declarations.Owner));
        }
    }

    /// <summary>Replaces the rule at <paramref name="index"/> with one whose selection is <paramref name="change"/>d.</summary>
    internal PruningRuleBuilder ChangeRule(int index, Func<LayerSelection, LayerSelection> change)
    {
        var rule = _declarations.ClassRules[index];
        _declarations.ClassRules[index] = new TreeRule(rule.Settings, change(rule.Selection), rule.Description);
        return new PruningRuleBuilder(_model, _declarations, index);
    }

    private PruningRuleBuilder AddRule(PruneSettings settings, LayerKind? kind)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var description = Describe(settings, kind);
        TreeChecks.CheckSettings(settings, description, nameof(settings));
        TreeChecks.CheckNoNormalization(settings, description, nameof(settings));
        if (kind is { } only && !TreeChecks.Fits(only, settings))
        {
            throw new ArgumentException($"{description}: granularity {settings.Granularity} does not apply to {only} layers; valid granularities for {only}: {DiagnosticWords.TableGranularities(only)}.", nameof(settings));
        }

        var selection = kind is { } selected ? LayerSelection.All with { Kinds = [selected] } : LayerSelection.All;
        _declarations.ClassRules.Add(new TreeRule(settings, selection, description));
        return new PruningRuleBuilder(_model, _declarations, _declarations.ClassRules.Count - 1);
    }

    private static string Describe(PruneSettings settings, LayerKind? kind)
    {
        var arguments = settings.Granularity == Granularity.NOfM
            ? $"{settings.N}:{settings.M}"
            : $"{settings.Granularity}, {settings.Sparsity.ToString("R", CultureInfo.InvariantCulture)}";
        return kind is null ? $"Layers({arguments})" : $"Layers<{kind}>({arguments})";
    }
}

/// <summary>The rule just declared, which the calls here narrow; every <see cref="PruningBuilder"/> call goes on to the next rule.</summary>
public sealed class PruningRuleBuilder : PruningBuilder
{
    private readonly int _index;

    internal PruningRuleBuilder(nn.Module model, BlockDeclarations declarations, int index)
        : base(model, declarations)
    {
        _index = index;
    }

    /// <summary>
    /// The rule reaches only layers matching one of <paramref name="patterns"/> (globs over dotted names: <c>*</c> and
    /// <c>?</c> within a segment, <c>**</c> for any segments; a module's path covers every layer under it).
    /// </summary>
    /// <exception cref="ArgumentException">A pattern is malformed.</exception>
    public PruningRuleBuilder Matching(params string[] patterns) =>
        ChangeRule(_index, selection => selection with { Include = [.. selection.Include, .. Checked(patterns, nameof(patterns))] });

    /// <summary>The rule does not reach layers matching one of <paramref name="patterns"/> (as <see cref="Matching"/>); each must match some layer.</summary>
    /// <exception cref="ArgumentException">A pattern is malformed.</exception>
    public PruningRuleBuilder Except(params string[] patterns) =>
        ChangeRule(_index, selection => selection with { Exclude = [.. selection.Exclude, .. Checked(patterns, nameof(patterns))] });

    /// <summary>The rule may prune the model's output layer (the last prunable layer in depth-first order), which rules leave alone by default.</summary>
    public PruningRuleBuilder IncludingOutputLayer() => ChangeRule(_index, selection => selection with { IncludeOutputLayer = true });

    private static string[] Checked(string[] patterns, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(patterns, parameterName);
        foreach (var pattern in patterns) LayerNamePattern.Parse(pattern, parameterName);
        return patterns.ToArray();
    }
}
