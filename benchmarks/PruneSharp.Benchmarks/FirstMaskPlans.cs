namespace PruneSharp.Benchmarks;

/// <summary>
/// Per layer, a plan and a mask buffer, for computing first masks (none held) over the layers' weights: group plans
/// (<see cref="MaskPlan"/>, whose element-wise route is the layer path's) and N:M plans.
/// </summary>
public sealed class FirstMaskPlans
{
    private readonly PrunedLayer[] _layers;
    private readonly object[] _plans;
    private readonly float[][] _masks;

    private FirstMaskPlans(PrunedLayer[] layers, Func<PrunedLayer, object> plan)
    {
        _layers = layers;
        _plans = [.. layers.Select(plan)];
        _masks = [.. layers.Select(layer => new float[layer.Weight.numel()])];
    }

    /// <summary>Plans made from the geometry the generated layer classes hold: nothing is worked out.</summary>
    public static FirstMaskPlans FromGeneratedGeometry(PrunedLayer[] layers) => new(layers, layer => layer.MaskGeometry!.IsNOfM
        ? NOfMPlan.Create(layer.Name, layer.MaskGeometry)
        : MaskPlan.Create(layer.Name, layer.MaskGeometry));

    /// <summary>Plans the runtime works out from the weights' shapes.</summary>
    public static FirstMaskPlans PlannedFromShapes(PrunedLayer[] layers) => new(layers, layer =>
    {
        var shape = layer.Weight.shape.Select(size => (int)size).ToArray();
        return layer.Granularity == Granularity.NOfM
            ? NOfMPlan.Create(layer.Name, shape, Granularities.InputAxis(layer.Kind), layer.Settings.N, layer.Settings.M)
            : MaskPlan.Create(layer.Name, shape, layer.ReducedDims);
    });

    /// <summary>Computes layer <paramref name="index"/>'s mask at <paramref name="sparsity"/> with none held.</summary>
    public void ComputeOne(int index, double sparsity)
    {
        var weights = ResNetLayers.Values(_layers[index].Weight);
        if (_plans[index] is MaskPlan plan) plan.Compute(weights, sparsity, _masks[index]);
        else ((NOfMPlan)_plans[index]).Compute(weights, magnitudes: true, existingMask: default, _masks[index]);
    }

    /// <summary>The traffic bound of a first mask over the same weights and mask memory (<see cref="TrafficBounds"/>).</summary>
    public float ReadWeightsThenWriteMasks() => TrafficBounds.ReadWeightsThenWriteMasks(_layers, _masks);

    /// <summary>Computes every layer's mask at <paramref name="sparsity"/> with none held.</summary>
    public void Compute(double sparsity)
    {
        for (var index = 0; index < _layers.Length; index++) ComputeOne(index, sparsity);
    }
}
