using System;
using System.Globalization;
using Spectre.Console;

namespace PruneSharp.Samples.ResNetFashion;

/// <summary>The sample's command line.</summary>
internal sealed record RunOptions(bool Long, string DataDirectory, ExperimentSettings Settings)
{
    private const string Usage = """
        Usage: ResNetFashion [--long] [--data DIR] [--latency-threads N]
          --long                all 60,000 training images, 4 dense epochs, then 3 of fine-tuning per pruned model and
                                for the dense baseline (default: 24,000 images, 3 dense epochs, then 2 of fine-tuning:
                                about 4 minutes on an idle 2-core machine)
          --data DIR            the directory with the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist,
                                where the Debian package dataset-fashion-mnist installs them)
          --latency-threads N   torch threads while latency is measured (default 1: one core, the steadiest figure on a
                                shared machine)
        """;

    /// <summary>Parses the arguments, or prints the usage and returns <see langword="null"/>.</summary>
    public static RunOptions? Parse(string[] args)
    {
        var isLong = false;
        var data = FashionMnistReader.DefaultDirectory;
        var latencyThreads = 1;
        for (var index = 0; index < args.Length; index++)
        {
            switch (args[index])
            {
                case "--long":
                    isLong = true;
                    break;
                case "--data" when index + 1 < args.Length:
                    data = args[++index];
                    break;
                case "--latency-threads" when index + 1 < args.Length && int.TryParse(args[index + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var threads) && threads >= 1:
                    latencyThreads = threads;
                    index++;
                    break;
                default:
                    if (args[index] is not ("--help" or "-h")) AnsiConsole.MarkupLine("[red]Unknown, incomplete or invalid argument:[/] {0}", Markup.Escape(args[index]));
                    Console.WriteLine(Usage);
                    return null;
            }
        }

        var settings = new ExperimentSettings(
            Width: 16,
            BlocksPerStage: 2,
            TrainImages: isLong ? 60_000 : 24_000,
            TestImages: 10_000,
            DenseEpochs: isLong ? 4 : 3,
            PruneEpochs: isLong ? 3 : 2,
            BatchSize: 128,
            DenseLearningRate: 2e-3,
            PruneLearningRate: 1e-3,
            UpdateEvery: 5,
            LatencyThreads: latencyThreads,
            LatencyWarmup: 10,
            LatencyRuns: 50);
        return new RunOptions(isLong, data, settings);
    }
}
