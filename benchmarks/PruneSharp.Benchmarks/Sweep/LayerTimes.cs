using System.Diagnostics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace PruneSharp.Benchmarks;

/// <summary>
/// Development probe, not BenchmarkDotNet: the sweep's first mask and growing update split by layer, each layer timed
/// in network order as the sweep runs it (caches flushed once per round, not per layer), beside the floor of the same
/// layer, so that per-layer fixed costs show up. <c>-- layers ResNet-50 Weight [rounds]</c>. Run with
/// <c>DOTNET_TieredCompilation=0 DOTNET_ReadyToRun=0</c>: with tiering, some layers' kernels (and the floor's
/// TensorPrimitives) are still unoptimized code after a few rounds, and small layers look several times slower.
/// </summary>
public static class LayerTimes
{
    public static void Run(string[] args)
    {
        var network = args.Length > 1 ? args[1] : "ResNet-50";
        var granularity = args.Length > 2 ? args[2] : "Weight";
        var rounds = args.Length > 3 ? int.Parse(args[3]) : 9;
        using var layers = new ResNetLayers(network, granularity);
        layers.HoldMasks(0.45);
        var plans = FirstMaskPlans.FromGeneratedGeometry(layers.Generated);
        var count = layers.Generated.Length;
        var (floor, first, grow) = (Lists(count), Lists(count), Lists(count));
        var flush = new byte[64 << 20];
        for (var round = 0; round <= rounds; round++)
        {
            Array.Fill(flush, (byte)round);
            for (var index = 0; index < count; index++)
            {
                var start = Stopwatch.GetTimestamp();
                TensorPrimitives.SumOfMagnitudes(ResNetLayers.Values(layers.Generated[index].Weight));
                if (round > 0) floor[index].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            Array.Fill(flush, (byte)round);
            for (var index = 0; index < count; index++)
            {
                var start = Stopwatch.GetTimestamp();
                plans.ComputeOne(index, 0.5);
                if (round > 0) first[index].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            layers.RestoreHeld();
            Array.Fill(flush, (byte)round);
            for (var index = 0; index < count; index++)
            {
                var start = Stopwatch.GetTimestamp();
                layers.Generated[index].UpdateMask(0.5);
                if (round > 0) grow[index].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        Console.WriteLine("| layer | shape | floor | first | grow | first/floor | grow/floor |");
        double sumFloor = 0, sumFirst = 0, sumGrow = 0;
        for (var index = 0; index < count; index++)
        {
            var (f, a, g) = (Median(floor[index]), Median(first[index]), Median(grow[index]));
            (sumFloor, sumFirst, sumGrow) = (sumFloor + f, sumFirst + a, sumGrow + g);
            var layer = layers.Generated[index];
            Console.WriteLine($"| {layer.Name} | {string.Join('x', layer.Weight.shape)} | {f:F3} | {a:F3} | {g:F3} | {a / f:F1} | {g / f:F1} |");
        }

        Console.WriteLine($"| sum | | {sumFloor:F2} | {sumFirst:F2} | {sumGrow:F2} | {sumFirst / sumFloor:F2} | {sumGrow / sumFloor:F2} |");
    }

    private static List<double>[] Lists(int count) => [.. Enumerable.Range(0, count).Select(_ => new List<double>())];

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
