using System;
using static TorchSharp.torch;

namespace PruneSharp.Samples;

/// <summary>Fashion-MNIST images and labels as the tensors a model trains on.</summary>
public static class FashionMnistTensors
{
    /// <summary>The training set's pixel mean (on the 0–1 scale).</summary>
    public const float Mean = 0.2860f;

    /// <summary>The training set's pixel standard deviation (on the 0–1 scale).</summary>
    public const float Std = 0.3530f;

    /// <summary>The first <paramref name="count"/> images (all, where the set has fewer), normalized with <see cref="Mean"/> and <see cref="Std"/>, as a float32 tensor [count, 1, rows, columns].</summary>
    public static Tensor Images(ImageSet set, int count)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        count = Math.Min(count, set.Count);
        var pixels = set.Rows * set.Columns;
        var values = new float[count * pixels];
        for (var index = 0; index < values.Length; index++)
        {
            values[index] = (set.Images[index] / 255f - Mean) / Std;
        }

        return tensor(values, [count, 1, set.Rows, set.Columns]);
    }

    /// <summary>The first <paramref name="count"/> labels (all, where the set has fewer) as an int64 tensor.</summary>
    public static Tensor Labels(ImageSet set, int count)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        count = Math.Min(count, set.Count);
        var values = new long[count];
        for (var index = 0; index < count; index++) values[index] = set.Labels[index];
        return tensor(values);
    }
}
