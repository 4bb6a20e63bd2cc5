using System.Globalization;
using System.IO;
using PruneSharp.Training;
using Spectre.Console;
using static TorchSharp.torch;

namespace PruneSharp.Samples.FashionMnist;

/// <summary>Saves a pruned model, loads it into a fresh instance, and exports it for PyTorch.</summary>
internal static class Checkpoints
{
    public static void Demonstrate(WeightPrunedCnn model, double accuracy, Tensor testImages, Tensor testLabels, string outputDirectory)
    {
        Directory.CreateDirectory(outputDirectory);
        var checkpoint = Path.GetFullPath(Path.Combine(outputDirectory, "weight-pruned-cnn.bin"));
        PruningCheckpoint.Save(model, checkpoint);
        using var reloaded = new WeightPrunedCnn();
        PruningCheckpoint.Load(reloaded, checkpoint);
        var reloadedAccuracy = Training.Accuracy(reloaded, testImages, testLabels);
        var safetensors = Path.GetFullPath(Path.Combine(outputDirectory, "weight-pruned-cnn.safetensors"));
        PruningCheckpoint.ExportSafetensors(model, safetensors);
        AnsiConsole.MarkupLine(CultureInfo.InvariantCulture,
            "Checkpoint with masks: {0}; a fresh model loaded from it scores {1:P2} ({2}). For PyTorch: {3}.",
            Markup.Escape(checkpoint), reloadedAccuracy, reloadedAccuracy == accuracy ? "the same" : "[red]different[/]", Markup.Escape(safetensors));
    }
}
