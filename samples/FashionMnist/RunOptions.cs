using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Spectre.Console;

namespace PruneSharp.Samples.FashionMnist;

/// <summary>The sample's command line.</summary>
/// <param name="Long">Whether this is the long run.</param>
/// <param name="DataDirectory">Where the IDX files are.</param>
/// <param name="OutputDirectory">Where plots and checkpoints go.</param>
/// <param name="TrainImages">How many training images the model trains on.</param>
/// <param name="DenseEpochs">The epochs of dense training.</param>
/// <param name="Seed">The seed of TorchSharp's generator (initialization and batch order).</param>
/// <param name="Improved">The improved recipe (with <c>--recipe</c> given several times, one per occurrence).</param>
/// <param name="Plain">The plain recipe printed next to it, or <see langword="null"/> with <c>--no-plain</c>.</param>
/// <param name="Only">The runs to do (<c>F70</c>, <c>W90</c>, ...), or <see langword="null"/> for all six.</param>
internal sealed record RunOptions(bool Long, string DataDirectory, string OutputDirectory, int TrainImages, int DenseEpochs, int Seed, IReadOnlyList<Recipe> Improved, Recipe? Plain, IReadOnlySet<string>? Only)
{
    public const int BatchSize = 64;
    public const double DenseLearningRate = 1e-3;

    /// <summary>The validation images: the last ones of the training set, which the short run does not train on.</summary>
    public const int ValidationImages = 5_000;

    private const string Usage = """
        Usage: FashionMnist [--long] [--seed N] [--data DIR] [--out DIR] [--recipe KEY=VALUE,...] [--no-plain] [--only RUNS]
          --long      all 60,000 training images (less the 5,000 validation images), 4 dense epochs and 3 epochs per
                      pruning run (default: 12,000 images, 2 dense epochs and 2 epochs per run)
          --seed N    TorchSharp's seed (initialization, batch order); default 0
          --data DIR  the directory with the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist,
                      where the Debian package dataset-fashion-mnist installs them)
          --out DIR   where the plots and the checkpoint go (default artifacts/fashion-mnist)
        For experiments:
          --recipe    overrides of the improved recipe, e.g. epochs=3,kd=0.9,t=2,alloc=sensitivity,rate=onecycle,lr=2e-3,
                      rewind=0,end=0.5,teacher=baseline,lasso=1e-4 (keys: name, epochs, rate, lr, rewind, end, kd, t, teacher,
                      alloc, lasso);
                      give it several times to compare several recipes in one run
          --no-plain  skip the plain recipe's runs
          --only RUNS only these runs, e.g. F70,W90 (F = Filter, W = Weight; targets 50, 70, 90)
        """;

    /// <summary>The runs of the sample: each granularity at each target.</summary>
    public static IReadOnlyList<(Granularity Granularity, double Target)> AllRuns { get; } =
        [.. new[] { Granularity.Filter, Granularity.Weight }.SelectMany(granularity => new[] { 0.5, 0.7, 0.9 }.Select(target => (granularity, target)))];

    /// <summary>The short name of a run: <c>F70</c>, <c>W90</c>.</summary>
    public static string RunName(Granularity granularity, double target) =>
        FormattableString.Invariant($"{granularity.ToString()[0]}{Math.Round(target * 100)}");

    /// <summary>Parses the arguments, or prints the usage and returns <see langword="null"/>.</summary>
    public static RunOptions? Parse(string[] args)
    {
        var isLong = false;
        var data = FashionMnistReader.DefaultDirectory;
        var output = Path.Combine("artifacts", "fashion-mnist");
        var seed = 0;
        var overrides = new List<string>();
        var plain = true;
        HashSet<string>? only = null;
        for (var index = 0; index < args.Length; index++)
        {
            switch (args[index])
            {
                case "--long":
                    isLong = true;
                    break;
                case "--seed" when index + 1 < args.Length && int.TryParse(args[index + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out seed):
                    index++;
                    break;
                case "--data" when index + 1 < args.Length:
                    data = args[++index];
                    break;
                case "--out" when index + 1 < args.Length:
                    output = args[++index];
                    break;
                case "--recipe" when index + 1 < args.Length:
                    overrides.Add(args[++index]);
                    break;
                case "--no-plain":
                    plain = false;
                    break;
                case "--only" when index + 1 < args.Length:
                    only = new HashSet<string>(args[++index].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase);
                    var known = AllRuns.Select(run => RunName(run.Granularity, run.Target)).ToHashSet(StringComparer.OrdinalIgnoreCase);
                    if (only.FirstOrDefault(name => !known.Contains(name)) is { } unknown)
                    {
                        AnsiConsole.MarkupLine("[red]Unknown run:[/] {0} (the runs are {1})", Markup.Escape(unknown), string.Join(", ", known));
                        return null;
                    }

                    break;
                default:
                    if (args[index] is not ("--help" or "-h")) AnsiConsole.MarkupLine("[red]Unknown or incomplete argument:[/] {0}", Markup.Escape(args[index]));
                    Console.WriteLine(Usage);
                    return null;
            }
        }

        var (images, denseEpochs, pruneEpochs) = isLong ? (60_000 - ValidationImages, 4, 3) : (12_000, 2, 2);
        var improved = new List<Recipe>();
        try
        {
            if (overrides.Count == 0) overrides.Add(string.Empty);
            foreach (var text in overrides)
            {
                var recipe = Recipe.Improved(pruneEpochs).With(text);
                if (overrides.Count > 1 && !text.Contains("name=", StringComparison.OrdinalIgnoreCase)) recipe = recipe with { Name = text.Length == 0 ? recipe.Name : text };
                improved.Add(recipe);
            }
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or OverflowException)
        {
            AnsiConsole.MarkupLine("[red]Bad --recipe:[/] {0}", Markup.Escape(exception.Message));
            return null;
        }

        return new RunOptions(isLong, data, output, images, denseEpochs, seed, improved, plain ? Recipe.Plain(improved[0].Epochs) : null, only);
    }
}
