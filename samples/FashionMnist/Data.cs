using System;
using static TorchSharp.torch;

namespace PruneSharp.Samples.FashionMnist;

/// <summary>Fashion-MNIST bytes as tensors.</summary>
internal static class Data
{
    // The training set's pixel mean and standard deviation (on the 0–1 scale).
    private const float Mean = 0.2860f;
    private const float Std = 0.3530f;

    /// <summary>Images <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> (at most to the end) as a normalized float32 tensor [count, 1, rows, columns].</summary>
    public static Tensor Images(ImageSet set, int start, int count)
    {
        count = Math.Max(0, Math.Min(count, set.Count - start));
        var pixels = set.Rows * set.Columns;
        var values = new float[count * pixels];
        var offset = start * pixels;
        for (var index = 0; index < values.Length; index++)
        {
            values[index] = (set.Images[offset + index] / 255f - Mean) / Std;
        }

        return tensor(values, [count, 1, set.Rows, set.Columns]);
    }

    /// <summary>Labels <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> (at most to the end) as an int64 tensor.</summary>
    public static Tensor Labels(ImageSet set, int start, int count)
    {
        count = Math.Max(0, Math.Min(count, set.Count - start));
        var values = new long[count];
        for (var index = 0; index < count; index++) values[index] = set.Labels[start + index];
        return tensor(values);
    }
}
