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

    /// <summary>
    /// The plan for <paramref name="weight"/> viewed as <see cref="LayerGeometry.View"/> says, made again when the shape
    /// changed: from <paramref name="declared"/>, the geometry the layer's generated code holds, where there is one (it
    /// is checked to be the geometry of the weight as it is), and worked out from the live shape otherwise.
    /// </summary>
    /// <exception cref="PruningException">The shape does not fit the plan's limits (see <see cref="MaskPlan.Create(string, ReadOnlySpan{int}, ReducedDims)"/>),
    /// or the declared geometry is not the weight's.</exception>
    public MaskPlan Plan(string layerName, LayerKind kind, ReducedDims dims, Tensor weight, long convolutionGroups, MaskGeometry? declared)
    {
        var plan = _plan;
        if (plan is null || !LayerGeometry.HasShape(weight, _planWeightShape) || plan.LayerName != layerName)
        {
            var (viewShape, viewDims) = LayerGeometry.View(layerName, kind, dims, LayerGeometry.IntShape(weight), convolutionGroups);
            if (declared is null)
            {
                plan = MaskPlan.Create(layerName, viewShape, viewDims);
            }
            else
            {
                if (declared.IsNOfM || !declared.ReducedDims.Equals(viewDims) || !SameSizes(viewShape, declared.Shape))
                {
                    throw new PruningException(layerName, $"its declared mask geometry ({declared}) is not that of its weight of shape {MaskPlan.FormatShape(weight.shape)} reduced over {viewDims}.");
                }

                plan = MaskPlan.Create(layerName, declared);
            }

            _plan = plan;
            _planWeightShape = weight.shape;
        }

        return plan;
    }

    /// <summary>The N:M plan for <paramref name="weight"/>, made again when its shape changed; from <paramref name="declared"/> where the layer's generated code holds one.</summary>
    /// <exception cref="PruningException">The input axis is not a multiple of M, or the declared geometry is not the weight's.</exception>
    public NOfMPlan NOfM(string layerName, Tensor weight, int inputAxis, int n, int m, MaskGeometry? declared)
    {
        var plan = _nOfM;
        if (plan is null || !LayerGeometry.HasShape(weight, _nOfMWeightShape) || plan.LayerName != layerName)
        {
            if (declared is not null && (!declared.IsNOfM || declared.N != n || declared.M != m || declared.InputAxis != inputAxis || !SameSizes(LayerGeometry.IntShape(weight), declared.Shape)))
            {
                throw new PruningException(layerName, $"its declared mask geometry ({declared}) is not that of its weight of shape {MaskPlan.FormatShape(weight.shape)} at {n}:{m}.");
            }

            _nOfM = plan = declared is null ? NOfMPlan.Create(layerName, LayerGeometry.IntShape(weight), inputAxis, n, m) : NOfMPlan.Create(layerName, declared);
            _nOfMWeightShape = weight.shape;
        }

        return plan;
    }

    private static bool SameSizes(ReadOnlySpan<int> shape, System.Collections.Generic.IReadOnlyList<long> declared)
    {
        if (shape.Length != declared.Count) return false;
        for (var axis = 0; axis < shape.Length; axis++)
        {
            if (shape[axis] != declared[axis]) return false;
        }

        return true;
    }

    /// <summary>A buffer for one element score per weight.</summary>
    public float[] ElementScores(long count)
    {
        if (_elementScores is null || _elementScores.Length != count) _elementScores = new float[checked((int)count)];
        return _elementScores;
    }
}
