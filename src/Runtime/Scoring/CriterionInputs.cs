using System;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// Everything a layer's criterion reads at one update, gathered and checked before anything is scored: the weight, the
/// initial and previous weights (null where the current weight stands in), the gradient, the recorded input statistics,
/// and what makes the random stream. Scoring is a function of these alone.
/// </summary>
internal readonly struct CriterionInputs
{
    public CriterionInputs(string layerName, LayerKind kind, PruneSettings settings, long convolutionGroups, Tensor weight, Tensor? initial, Tensor? previous, Tensor? gradient, Tensor? inputSquares, long update)
    {
        LayerName = layerName;
        Kind = kind;
        Criterion = settings.Criterion;
        Seed = settings.Seed;
        ConvolutionGroups = convolutionGroups;
        Weight = weight;
        Initial = initial;
        Previous = previous;
        Gradient = gradient;
        InputSquares = inputSquares;
        Update = update;
    }

    public string LayerName { get; }

    public LayerKind Kind { get; }

    public Criterion Criterion { get; }

    public int Seed { get; }

    public long ConvolutionGroups { get; }

    public Tensor Weight { get; }

    /// <summary>The initial weights <c>w0</c>, or null where none were captured (the current weights stand in: the first update captures them).</summary>
    public Tensor? Initial { get; }

    /// <summary>The weights at the previous update, or null before the first (the current weights stand in).</summary>
    public Tensor? Previous { get; }

    /// <summary>The weight's gradient, for <see cref="Criterion.Taylor"/>.</summary>
    public Tensor? Gradient { get; }

    /// <summary>Per input channel, the float64 sum of squares of the recorded inputs, for <see cref="Criterion.Wanda"/>.</summary>
    public Tensor? InputSquares { get; }

    /// <summary>How many updates the layer has had: part of the random stream.</summary>
    public long Update { get; }

    /// <summary>The random stream of this update (<see cref="ElementScores.RandomStream"/>).</summary>
    public ulong RandomStream => Criterion == Criterion.Random ? ElementScores.RandomStream(Seed, LayerName, Update) : 0;

    /// <summary>Wanda's per-element factor: the L2 norm of each weight's input channel, in float32.</summary>
    public float[] WandaFactors()
    {
        var norms = InputSquares!.data<double>().ToArray();
        var shape = LayerGeometry.IntShape(Weight);
        var factors = new float[checked((int)Weight.numel())];
        var kernel = 1;
        for (var axis = 2; axis < shape.Length; axis++) kernel *= shape[axis];
        var groups = (int)ConvolutionGroups;
        for (var index = 0; index < factors.Length; index++)
        {
            factors[index] = (float)Math.Sqrt(norms[LayerGeometry.InputChannelOf(Kind, shape, kernel, groups, index)]);
        }

        return factors;
    }

    /// <summary>The message for a criterion that gives NaN where no weight is NaN.</summary>
    public static string CriterionNaNMessage(Criterion criterion, long flatIndex, int[] shape) =>
        $"criterion {criterion} gives NaN for weight element at flat index {flatIndex} (shape {MaskPlan.FormatShape(shape)}): its other input (initial or previous weight, gradient or activation norm) is NaN, or the formula met ∞ − ∞.";
}
