using System.Diagnostics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace PruneSharp.Benchmarks;

/// <summary>
/// A quick Stopwatch sweep for development, not BenchmarkDotNet: the cases of <see cref="ResNetGrowingMaskBenchmarks"/>
/// and <see cref="ResNetFirstMaskBenchmarks"/> side by side with the floor in one process, interleaved, medians of
/// several rounds, so that ratios stay meaningful on a busy machine.
/// <c>dotnet run -c Release --project benchmarks/PruneSharp.Benchmarks -- sweep [rounds] [networks] [granularities] [naive]</c>.
/// </summary>
public static class ResNetSweep
{
    public static void Run(string[] args)
    {
        var rounds = args.Length > 1 ? int.Parse(args[1]) : 7;
        var networks = args.Length > 2 ? args[2].Split(',') : ["ResNet-18", "ResNet-50"];
        var granularities = args.Length > 3 ? args[3].Split(',') : ["Weight", "Kernel", "Filter", "2:4"];
        var naive = args.Length > 4 && args[4] == "naive";
        var flush = new byte[64 << 20];
        Console.WriteLine($"rounds {rounds}; ms, medians; 1-minute load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine("| network | granularity | floor | grow: generated | runtime plan | naive | first: generated | runtime plan | naive | grow/floor | first/floor | grow B |");
        foreach (var network in networks)
        {
            foreach (var granularity in granularities)
            {
                using var layers = new ResNetLayers(network, granularity);
                layers.HoldMasks(0.45);
                var generatedPlans = FirstMaskPlans.FromGeneratedGeometry(layers.Generated);
                var runtimePlans = FirstMaskPlans.PlannedFromShapes(layers.Generated);
                var times = new List<double>[8];
                for (var index = 0; index < times.Length; index++) times[index] = [];
                long allocated = 0;
                for (var round = 0; round <= rounds; round++)
                {
                    double Grow(IEnumerable<PrunedLayer> grown)
                    {
                        layers.RestoreHeld();
                        Array.Fill(flush, (byte)round);
                        var before = GC.GetAllocatedBytesForCurrentThread();
                        var start = Stopwatch.GetTimestamp();
                        foreach (var layer in grown) layer.UpdateMask(0.5);
                        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                        return elapsed;
                    }

                    var sample = new[]
                    {
                        Time(() => Floor(layers)),
                        Grow(layers.Generated),
                        Grow(layers.RuntimePlanned),
                        naive ? Time(() => { layers.RestoreHeld(); foreach (var layer in layers.Generated) NaiveTorchMasks.Compute(layer, 0.5, withHeld: true); }) : 0,
                        Time(() => generatedPlans.Compute(0.5)),
                        Time(() => runtimePlans.Compute(0.5)),
                        naive ? Time(() => { foreach (var layer in layers.Generated) NaiveTorchMasks.Compute(layer, 0.5, withHeld: false); }) : 0,
                    };
                    if (round == 0) continue; // warm-up
                    for (var index = 0; index < sample.Length; index++) times[index].Add(sample[index]);
                }

                var m = times.Take(7).Select(Median).ToArray();
                Console.WriteLine($"| {network} | {granularity} | {m[0]:F2} | {m[1]:F2} | {m[2]:F2} | {m[3]:F2} | {m[4]:F2} | {m[5]:F2} | {m[6]:F2} | {m[1] / m[0]:F2} | {m[4] / m[0]:F2} | {allocated} |");
            }
        }
    }

    private static float Floor(ResNetLayers layers)
    {
        var total = 0f;
        foreach (var layer in layers.Generated) total += TensorPrimitives.SumOfMagnitudes(ResNetLayers.Values(layer.Weight));
        return total;
    }

    private static double Time(Action action)
    {
        var start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count == 0 ? 0 : values[values.Count / 2];
    }
}
