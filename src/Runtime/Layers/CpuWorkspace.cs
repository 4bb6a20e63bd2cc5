using System;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// The CPU fast path's per-layer buffers: the <see cref="MaskPlan"/> for the weight's current shape (with its group
/// scores, keeps and selection scratch), the <see cref="NOfMPlan"/>, and the element-score buffer. Created once per
/// weight shape, so a warm update allocates nothing. Used with the layer's lock held.
/// </summary>
internal sealed class CpuWorkspace
{
    private MaskPlan? _plan;
    private long[]? _planWeightShape;
    private NOfMPlan? _nOfM;
    private long[]? _nOfMWeightShape;
    private float[]? _elementScores;

    /// <summary>The plan for <paramref name="weight"/> viewed as <see cref="LayerGeometry.View"/> says, made again when the shape changed.</summary>
    /// <exception cref="PruningException">The shape does not fit the plan's limits (see <see cref="MaskPlan.Create"/>).</exception>
    public MaskPlan Plan(string layerName, LayerKind kind, ReducedDims dims, Tensor weight, long convolutionGroups)
    {
        var plan = _plan;
        if (plan is null || !LayerGeometry.HasShape(weight, _planWeightShape) || plan.LayerName != layerName)
        {
            var (viewShape, viewDims) = LayerGeometry.View(layerName, kind, dims, LayerGeometry.IntShape(weight), convolutionGroups);
            _plan = plan = MaskPlan.Create(layerName, viewShape, viewDims);
            _planWeightShape = weight.shape;
        }

        return plan;
    }

    /// <summary>The N:M plan for <paramref name="weight"/>, made again when its shape changed.</summary>
    /// <exception cref="PruningException">The input axis is not a multiple of M.</exception>
    public NOfMPlan NOfM(string layerName, Tensor weight, int inputAxis, int n, int m)
    {
        var plan = _nOfM;
        if (plan is null || !LayerGeometry.HasShape(weight, _nOfMWeightShape) || plan.LayerName != layerName)
        {
            _nOfM = plan = NOfMPlan.Create(layerName, LayerGeometry.IntShape(weight), inputAxis, n, m);
            _nOfMWeightShape = weight.shape;
        }

        return plan;
    }

    /// <summary>A buffer for one element score per weight.</summary>
    public float[] ElementScores(long count)
    {
        if (_elementScores is null || _elementScores.Length != count) _elementScores = new float[checked((int)count)];
        return _elementScores;
    }
}
