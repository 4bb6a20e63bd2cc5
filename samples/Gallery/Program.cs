using System;
using System.Globalization;
using System.IO;
using PruneSharp;
using PruneSharp.Samples;
using PruneSharp.Samples.Gallery;
using Spectre.Console;

// Draws the mask of every Conv2d and Linear granularity at 50 % sparsity as a PNG, like fasterai's figures: which
// blocks of a weight each granularity keeps (dark) and prunes (light). Usage: Gallery [OUTPUT_DIR] (default ./gallery).
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 120;
if (args.Length > 1 || (args.Length == 1 && args[0] is "--help" or "-h"))
{
    Console.WriteLine("Usage: Gallery [OUTPUT_DIR]   (default ./gallery)");
    return args.Length == 1 ? 0 : 2;
}

var output = Path.GetFullPath(args.Length == 1 ? args[0] : "gallery");
const double Sparsity = 0.5;
var random = new Random(7);
var table = new Table().Title($"[bold]Masks at {Sparsity:P0} sparsity[/]");
foreach (var header in new[] { "layer", "granularity", "dims", "groups", "pruned", "png" }) table.AddColumn(header);

// A small conv (8 filters × 6 input channels of 3×3 kernels) and a small linear layer, with weights drawn once.
foreach (var (kind, shape) in new[] { (LayerKind.Conv2d, new[] { 8, 6, 3, 3 }), (LayerKind.Linear, new[] { 12, 16 }) })
{
    var weights = new float[MaskDrawing.ElementCount(shape)];
    for (var index = 0; index < weights.Length; index++) weights[index] = (float)(random.NextDouble() * 2 - 1);
    foreach (var granularity in Enum.GetValues<Granularity>())
    {
        if (!Granularities.TryGetReducedDims(kind, granularity, out var dims)) continue;   // not in the table for this kind
        var plan = MaskPlan.Create($"{kind}.{granularity}", shape, dims);
        var mask = new float[weights.Length];
        var pruned = plan.Compute(weights, Sparsity, mask);
        var name = $"{kind}-{granularity}".ToLowerInvariant() + ".png";
        var (image, width, height) = MaskDrawing.Layout(shape, mask);
        Plots.SaveMask(Path.Combine(output, name), $"{kind} {granularity} {dims}: {pruned} of {plan.GroupCount} groups pruned", image, width, height);
        table.AddRow(kind.ToString(), granularity.ToString(), dims.ToString(), plan.GroupCount.ToString(CultureInfo.InvariantCulture),
            pruned.ToString(CultureInfo.InvariantCulture), Markup.Escape(name));
    }
}

AnsiConsole.Write(table);
AnsiConsole.MarkupLine("PNGs in {0}", Markup.Escape(output));
return 0;
