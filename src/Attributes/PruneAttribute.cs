using System;

namespace PruneSharp;

/// <summary>
/// Declares how a TorchSharp layer is pruned. PruneSharp's source generator reads it at compile time,
/// validates it against the layer it is on, and emits typed code that computes, applies and reports the masks.
/// </summary>
/// <remarks>
/// <para>
/// On a <c>partial</c> class deriving from a TorchSharp <c>Module</c>, the attribute is the default for every layer of
/// the class's module tree (its layer fields and the layers inside its <c>Sequential</c>s, <c>ModuleList</c>s,
/// <c>ModuleDict</c>s, block classes and arrays or lists of modules) whose layer type supports the granularity: a
/// class-level <see cref="Granularity.Filter"/> applies to the convolutions and not to <c>Linear</c> layers. It leaves
/// the model's output layer (its last prunable layer) alone unless <see cref="IncludeOutputLayer"/> says otherwise.
/// On a field or property holding a container of layers, it covers the layers inside in the same way, and wins over
/// the class-level attribute for them. On a field or property holding a layer, it overrides both for that layer.
/// A block class with its own <c>[Prune]</c> declares its own layers; its declarations win for them.
/// </para>
/// <para>
/// Each group's score is the <see cref="Reducer"/> (mean by default) of the <see cref="Criterion"/> (<c>|w|</c> by
/// default) over the granularity's dims; <c>round-half-to-even(sparsity × groups)</c> groups with the lowest scores
/// are pruned, and ties prune the group with the lower flat index first. <c>docs/masks.md</c> has the whole rule.
/// </para>
/// </remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class PruneAttribute : Attribute
{
    /// <summary>Declares the granularity and target sparsity of the pruning.</summary>
    /// <param name="granularity">The blocks of the weight that are scored and removed together.</param>
    /// <param name="sparsity">
    /// The fraction of the granularity's groups to remove, in [0, 1]. A value that would remove every group
    /// is rejected (at compile time where the layer's shape is known, otherwise when the mask is computed).
    /// </param>
    public PruneAttribute(Granularity granularity, double sparsity)
    {
        Granularity = granularity;
        Sparsity = sparsity;
    }

    /// <summary>
    /// Declares N:M semi-structured sparsity (<see cref="Granularity.NOfM"/>): in every run of <paramref name="m"/>
    /// consecutive weights along the input-channel axis, the <paramref name="n"/> with the highest scores are kept.
    /// </summary>
    /// <param name="n">How many weights of each run are kept, at least 1.</param>
    /// <param name="m">The run length, greater than <paramref name="n"/>; the layer's input size per group must be a multiple of it.</param>
    public PruneAttribute(int n, int m)
    {
        Granularity = Granularity.NOfM;
        N = n;
        M = m;
        Sparsity = m > 0 ? (m - n) / (double)m : double.NaN;
    }

    /// <summary>The blocks of the weight that are scored and removed together.</summary>
    public Granularity Granularity { get; }

    /// <summary>The fraction of the granularity's groups to remove, in [0, 1]. For N:M it is (M − N) / M.</summary>
    public double Sparsity { get; }

    /// <summary>For <see cref="Granularity.NOfM"/>: the weights kept in each run; 0 otherwise.</summary>
    public int N { get; }

    /// <summary>For <see cref="Granularity.NOfM"/>: the run length; 0 otherwise.</summary>
    public int M { get; }

    /// <summary>How each weight is scored. Default: <see cref="Criterion.LargeFinal"/> (<c>|w|</c>).</summary>
    public Criterion Criterion { get; set; }

    /// <summary>How element scores become a group score. Default: <see cref="Reducer.Mean"/>.</summary>
    public Reducer Reducer { get; set; }

    /// <summary>
    /// Local (each layer on its own, the default) or global (one ranking over every pruned layer). Only on the
    /// class-level attribute, whose sparsity is then the model-wide target.
    /// </summary>
    public PruningScope Scope { get; set; }

    /// <summary>
    /// Under <see cref="PruningScope.Global"/>: how each layer's group scores are normalized before the one ranking.
    /// <see cref="GlobalScoreNormalization.Lamp"/> gives each layer its own sparsity from its own distribution, so small
    /// layers are not emptied first. Only on the class-level attribute that sets <c>Scope = PruningScope.Global</c>
    /// (PRUNE044, PRUNE045); not with a criterion that can score below zero (PRUNE046). Default:
    /// <see cref="GlobalScoreNormalization.None"/>.
    /// </summary>
    public GlobalScoreNormalization Normalization { get; set; }

    /// <summary>
    /// When above 1, the number of kept groups is rounded to a multiple of it (hardware-friendly channel counts):
    /// <c>max(RoundTo, RoundTo × round-half-to-even(kept / RoundTo))</c>, and never more than every group.
    /// 0 or 1 keeps the count as it is.
    /// </summary>
    public int RoundTo { get; set; }

    /// <summary>
    /// For <see cref="Granularity.Custom"/>: the dims scores are reduced over, on the weight with a leading dummy
    /// dim (0 = every weight on its own, 1 = the weight's first dim, ...).
    /// </summary>
    public int[]? Dims { get; set; }

    /// <summary>How the sparsity grows over training. Default: <see cref="Schedule.OneShot"/>.</summary>
    public Schedule Schedule { get; set; }

    /// <summary>The fraction of training at which the schedule starts, in [0, 1]. Default 0.</summary>
    public double ScheduleStart { get; set; }

    /// <summary>The fraction of training at which the schedule reaches the target sparsity, in [0, 1]. Default 1.</summary>
    public double ScheduleEnd { get; set; } = 1.0;

    /// <summary>For <see cref="Schedule.Iterative"/>: the number of equal steps. Default 3.</summary>
    public int ScheduleSteps { get; set; } = 3;

    /// <summary>For <see cref="Criterion.Random"/>: the seed. Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>
    /// On the class or on a container: when set, only the layers whose dotted name (relative to the class, as in
    /// <c>features.conv1</c> or <c>layer1.0.conv2</c>) matches one of these patterns are reached. A pattern is a glob over
    /// the name's segments: <c>*</c> and <c>?</c> within a segment, <c>**</c> for any number of segments; a pattern that
    /// matches a module's path covers every layer under it (<c>layer4</c>, <c>**.downsample</c>).
    /// Not on a member that holds one layer (PRUNE042).
    /// </summary>
    public string[]? Include { get; set; }

    /// <summary>On the class or on a container: layers whose dotted name matches one of these patterns (see <see cref="Include"/>) are not reached.</summary>
    public string[]? Exclude { get; set; }

    /// <summary>On the class or on a container: when set, only layers of these kinds are reached (besides the kinds the granularity fits).</summary>
    public LayerKind[]? Kinds { get; set; }

    /// <summary>
    /// On the class or on a container: whether the declaration may prune the model's output layer, its last prunable
    /// layer in the depth-first module order of <c>state_dict()</c>. Off by default: removing classifier rows removes
    /// classes. A layer's own <c>[Prune]</c> prunes it whatever this says.
    /// </summary>
    public bool IncludeOutputLayer { get; set; }
}
