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
    private Tensor? _nOfMBufferA;
    private Tensor? _nOfMBufferB;

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

    /// <summary>
    /// The buffer an N:M update writes its mask into: of the layer's two spare buffers, the one whose memory the mask
    /// does not hold now. The N:M kernel ranks and writes run by run and meets a NaN only when it reaches it, so it
    /// cannot write into the mask itself without leaving it half changed; copying the mask first, or reading the values
    /// twice, would cost a pass over the weights. Instead the commit makes the mask take this buffer's memory
    /// (<c>set_</c>, no copy), and the mask's previous memory is the spare of the next update. The price is one more
    /// mask's worth of memory per N:M layer on the CPU fast path.
    /// </summary>
    public Tensor NOfMResult(Tensor weight, Tensor? mask)
    {
        if (_nOfMBufferA is not { IsInvalid: false } a || !LayerGeometry.SameShape(a, weight))
        {
            _nOfMBufferA?.Dispose();
            _nOfMBufferB?.Dispose();
            _nOfMBufferA = a = empty(weight.shape, dtype: ScalarType.Float32).DetachFromDisposeScope();
            _nOfMBufferB = empty(weight.shape, dtype: ScalarType.Float32).DetachFromDisposeScope();
        }

        return mask is not null && SharesMemory(mask, a) ? _nOfMBufferB! : a;
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

    private static bool SharesMemory(Tensor a, Tensor b) =>
        System.Runtime.CompilerServices.Unsafe.AreSame(
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(SpanScoring.Of(a)),
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(SpanScoring.Of(b)));

    /// <summary>A buffer for one element score per weight.</summary>
    public float[] ElementScores(long count)
    {
        if (_elementScores is null || _elementScores.Length != count) _elementScores = new float[checked((int)count)];
        return _elementScores;
    }
}
