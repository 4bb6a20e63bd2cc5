using System;

namespace PruneSharp.Samples.Gallery;

/// <summary>Lays a mask out as a 2-D picture.</summary>
internal static class MaskDrawing
{
    private const int CellPixels = 14;

    public static int ElementCount(int[] shape)
    {
        var count = 1;
        foreach (var size in shape) count *= size;
        return count;
    }

    /// <summary>
    /// Conv2d [O, I, H, W]: one row of kernels per filter, the filter's H×W kernels side by side, one blank cell
    /// between kernels and between filters. Linear [O, I]: the matrix as it is (a row per output neuron).
    /// Returns the picture (1 kept, 0 pruned, NaN blank) and a PNG size that keeps cells square.
    /// </summary>
    public static (double[,] Image, int Width, int Height) Layout(int[] shape, float[] mask)
    {
        double[,] image;
        if (shape.Length == 2)
        {
            image = new double[shape[0], shape[1]];
            for (var row = 0; row < shape[0]; row++)
            {
                for (var column = 0; column < shape[1]; column++) image[row, column] = mask[row * shape[1] + column];
            }
        }
        else
        {
            int filters = shape[0], inputs = shape[1], height = shape[2], width = shape[3];
            image = new double[filters * (height + 1) - 1, inputs * (width + 1) - 1];
            for (var row = 0; row < image.GetLength(0); row++)
            {
                for (var column = 0; column < image.GetLength(1); column++) image[row, column] = double.NaN;
            }

            for (var o = 0; o < filters; o++)
            for (var i = 0; i < inputs; i++)
            for (var h = 0; h < height; h++)
            for (var w = 0; w < width; w++)
            {
                image[o * (height + 1) + h, i * (width + 1) + w] = mask[((o * inputs + i) * height + h) * width + w];
            }
        }

        // Room for the title: 80 pixels over the cells, and at least 520 pixels across for it.
        return (image, Math.Max(520, image.GetLength(1) * CellPixels + 40), image.GetLength(0) * CellPixels + 80);
    }
}
