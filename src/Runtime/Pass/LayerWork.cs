using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// One layer in one mask pass: what the check found (the weight, the existing mask, the criterion's inputs, the group
/// and pruned counts, the backend), then what scoring and selection found. A value on the stack or in the pass's own
/// array, never a field of the layer: the steps hand data to each other through it alone.
/// </summary>
internal struct LayerWork
{
    public PrunedLayer Layer;

    public Tensor Weight;

    /// <summary>The layer's mask buffer, or null: it has none yet, and the commit creates it.</summary>
    public Tensor? Mask;

    /// <summary>Whether the layer takes the CPU fast path (contiguous float32 CPU weight and mask).</summary>
    public bool OnCpu;

    /// <summary>The sparsity asked for: the layer's (local) or the model's (global).</summary>
    public double Sparsity;

    public CriterionInputs Inputs;

    /// <summary>The groups of the layer's granularity (its weights, for N:M).</summary>
    public long Groups;

    /// <summary>The groups to prune: from the sparsity (local, N:M) or from the global ranking.</summary>
    public long Pruned;

    /// <summary>On the CPU fast path: which span kernel computes the mask.</summary>
    public CpuRoute Route;

    /// <summary>On the CPU fast path: the plan that scores, selects and expands (null for N:M).</summary>
    public MaskPlan? Plan;

    /// <summary>On the CPU fast path with N:M: the plan of runs.</summary>
    public NOfMPlan? NOfM;

    /// <summary>On the CPU fast path: the tensor whose magnitudes are the values, or null where they are the element-score buffer.</summary>
    public Tensor? MagnitudeSource;

    /// <summary>On the CPU element-wise route: where the selection ends.</summary>
    public MagnitudeThreshold Threshold;

    /// <summary>On the torch path: the scores and the selection's result, in the pass's dispose scope.</summary>
    public TorchLayerScores? Torch;
}

/// <summary>The span kernel that computes a CPU layer's mask.</summary>
internal enum CpuRoute
{
    /// <summary>Group scores (<see cref="MaskPlan.ScoreGroups"/>), a selection over them, and <see cref="MaskPlan.Expand"/>.</summary>
    Groups,

    /// <summary>Every group one weight scored by its magnitude: a float32 key selection that writes the mask itself.</summary>
    Elementwise,

    /// <summary>N:M runs (<see cref="NOfMPlan"/>).</summary>
    NOfM,
}

/// <summary>A torch-path layer's tensors within one pass.</summary>
internal sealed class TorchLayerScores
{
    /// <summary>The criterion's float32 element scores, of the weight's shape.</summary>
    public required Tensor Elements { get; init; }

    /// <summary>The float64 group scores (leading dummy dim, size 1 on reduced dims), or null for N:M.</summary>
    public Tensor? Groups { get; init; }

    /// <summary>The view the groups are counted on (see <see cref="LayerGeometry.View"/>), or null for N:M.</summary>
    public long[]? ViewShape { get; init; }

    /// <summary>What a NaN check and a selection read: the flat group scores, or the flat element scores for N:M.</summary>
    public required Tensor Flat { get; init; }

    /// <summary>After selection: 1 for each kept group, 0 for each pruned one (flat, float32), or the N:M mask.</summary>
    public Tensor? Keep { get; set; }
}
