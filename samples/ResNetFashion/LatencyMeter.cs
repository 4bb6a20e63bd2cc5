using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using static TorchSharp.torch;

namespace PruneSharp.Samples.ResNetFashion;

/// <summary>CPU latency of a model's forward pass: the median of timed runs after warm-up, on a set number of threads.</summary>
internal static class LatencyMeter
{
    /// <summary>The batch sizes measured: one image, and a batch of 64.</summary>
    public static readonly int[] BatchSizes = [1, 64];

    /// <summary>Median milliseconds of one forward pass at batch 1 and at batch 64 of 28×28 images, on <paramref name="threads"/> torch threads.</summary>
    public static Latency Measure(nn.Module<Tensor, Tensor> model, int threads, int warmup, int runs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        var previousThreads = get_num_threads();
        set_num_threads(threads);
        try
        {
            model.eval();
            var load = LoadAverage();
            return new Latency(Median(model, BatchSizes[0], warmup, runs), Median(model, BatchSizes[1], warmup, runs), load);
        }
        finally
        {
            set_num_threads(previousThreads);
        }
    }

    /// <summary>The 1-minute load average (Linux), NaN where it is not known: other processes share the cores, and latency means less under load.</summary>
    public static double LoadAverage()
    {
        const string path = "/proc/loadavg";
        if (!File.Exists(path)) return double.NaN;
        var first = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var load) ? load : double.NaN;
    }

    private static double Median(nn.Module<Tensor, Tensor> model, int batch, int warmup, int runs)
    {
        using var noGrad = no_grad();
        using var input = randn(batch, 1, 28, 28);
        for (var run = 0; run < warmup; run++)
        {
            using var output = model.forward(input);
        }

        var times = new double[runs];
        for (var run = 0; run < runs; run++)
        {
            var start = Stopwatch.GetTimestamp();
            using (var output = model.forward(input))
            {
                times[run] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }

        Array.Sort(times);
        return runs % 2 == 1 ? times[runs / 2] : (times[(runs / 2) - 1] + times[runs / 2]) / 2;
    }
}
