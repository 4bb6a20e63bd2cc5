using System;
using System.IO;
using Spectre.Console;

namespace PruneSharp.Samples.FashionMnist;

/// <summary>The sample's command line.</summary>
internal sealed record RunOptions(bool Long, string DataDirectory, string OutputDirectory, int TrainImages, int DenseEpochs, int PruneEpochs)
{
    public const int BatchSize = 64;
    public const double DenseLearningRate = 1e-3;
    public const double PruneLearningRate = 5e-4;

    private const string Usage = """
        Usage: FashionMnist [--long] [--data DIR] [--out DIR]
          --long      all 60,000 training images, 4 dense and 3 pruning epochs per run (default: 12,000 images,
                      2 dense epochs and 2 pruning epochs per run, about 5 minutes on 2 cores)
          --data DIR  the directory with the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist,
                      where the Debian package dataset-fashion-mnist installs them)
          --out DIR   where the plots and the checkpoint go (default artifacts/fashion-mnist)
        """;

    /// <summary>Parses the arguments, or prints the usage and returns <see langword="null"/>.</summary>
    public static RunOptions? Parse(string[] args)
    {
        var isLong = false;
        var data = FashionMnistReader.DefaultDirectory;
        var output = Path.Combine("artifacts", "fashion-mnist");
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
                case "--out" when index + 1 < args.Length:
                    output = args[++index];
                    break;
                default:
                    if (args[index] is not ("--help" or "-h")) AnsiConsole.MarkupLine("[red]Unknown or incomplete argument:[/] {0}", Markup.Escape(args[index]));
                    Console.WriteLine(Usage);
                    return null;
            }
        }

        return isLong
            ? new RunOptions(true, data, output, 60_000, 4, 3)
            : new RunOptions(false, data, output, 12_000, 2, 2);
    }
}
