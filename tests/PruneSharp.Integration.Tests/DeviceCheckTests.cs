using System.Globalization;
using PruneSharp.DeviceCheck;
using Spectre.Console;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// The device check app (samples/DeviceCheck) on the CPU: its comparison of the torch path (float64 weights) with the
/// CPU fast path over every layer kind, granularity and criterion, the [Prune] model and ResNet-50's architecture
/// with channels ÷ 8; its exit codes; and the shape set it derives from the architecture.
/// </summary>
public sealed class DeviceCheckTests
{
    [Fact]
    public void Cpu_check_of_every_kind_the_model_and_a_reduced_resnet50_finds_every_mask_identical()
    {
        var options = new CheckOptions { ShapeSet = "small", Runs = 1, TimedGranularities = [Granularity.Filter] };
        var report = DeviceCheckApp.Check(options, CPU);

        Assert.Empty(report.Mismatches);
        Assert.Equal(0, report.Mismatched);
        Assert.Equal(4, report.Tables.Count);
        var (kinds, model, shapes, checkpoints) = (report.Tables[0], report.Tables[1], report.Tables[2], report.Tables[3]);

        // Every kind × (its table, Custom, N:M) × every criterion × two updates.
        var rows = Enum.GetValues<LayerKind>().Sum(kind => MaskChecks.GranularitiesOf(kind).Count());
        Assert.Equal(82, rows);
        Assert.Equal(rows, kinds.Rows.Count);
        Assert.Equal(rows * Enum.GetValues<Criterion>().Length * 2, kinds.Compared);
        Assert.All(kinds.Rows.Where(row => row.Cells[1] != nameof(Granularity.Layer)), row => Assert.True(PrunedPercent(row.Cells[6]) > 20, $"{row.Cells[0]} {row.Cells[1]} pruned only {row.Cells[6]}"));

        // Seven layers, two rounds each, every one through the generated code, with its mask geometry as constants but
        // for the grouped transposed convolutions (their masks are computed on a grouped view: planned at run time).
        Assert.Equal(7 * 2, model.Compared);
        Assert.Equal(
            ["generated, ShortRuns", "generated, ContiguousGroups", "generated, ShortRuns", "generated, Strided", "generated, runtime plan", "generated, runtime plan", "generated, runtime plan"],
            model.Rows.Select(row => row.Cells[2]));

        // 15 Conv2d granularities × 54 layers × (layer by layer, the model-level pass, batched sort, batched kthvalue,
        // global scope, global scope with LAMP).
        Assert.Equal(15 * 54 * 6, shapes.Compared);
        Assert.All(shapes.Rows, row => Assert.Equal("54 / 54", row.Cells[6]));
        Assert.All(shapes.Rows, row => Assert.Equal(["54 / 54", "54 / 54"], row.Cells.Skip(9)));
        Assert.Equal(50.0, PrunedPercent(shapes.Rows.Single(row => row.Cells[0] == nameof(Granularity.Weight)).Cells[4]));

        // Save → Load, export → import, CPU file → model, a refused load, masks made before .to(): every state-dict tensor compared.
        Assert.Equal(5, checkpoints.Rows.Count);
        Assert.Equal("cpu Float64", checkpoints.Rows[4].Cells[3]);   // the masks made in float32 followed their weights
        Assert.All(checkpoints.Rows, row => Assert.True(row.Compared >= 16 && row.Mismatched == 0, string.Join(" | ", row.Cells)));

        // The timing path runs (its numbers are not asserted: timings belong to benchmarks).
        var timing = Assert.Single(report.Timings!.Rows);
        Assert.Equal([nameof(Granularity.Filter), nameof(Granularity.Row)], timing.Cells.Take(2));
        Assert.All(timing.Cells.Skip(2).Take(5), cell => Assert.True(double.Parse(cell, CultureInfo.InvariantCulture) > 0));
    }

    [Fact]
    public void A_differing_mask_fails_the_check_with_exit_code_1_and_is_described()
    {
        var (exitCode, output) = RunApp("--device", "cpu", "--sections", "model", "--inject-mismatch");

        Assert.Equal(DeviceCheckApp.Mismatch, exitCode);
        Assert.Contains("1 of 14 masks differ", output, StringComparison.Ordinal);
        Assert.Contains("model conv2d (round 1): 1 of 288 mask elements differ; the first at flat index 0", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Identical_masks_exit_with_0_and_write_the_markdown_report()
    {
        var markdown = Path.Combine(Path.GetTempPath(), $"device-check-{Guid.NewGuid():N}.md");
        try
        {
            var (exitCode, output) = RunApp("--device", "cpu", "--sections", "model", "--markdown", markdown);

            Assert.Equal(DeviceCheckApp.Identical, exitCode);
            Assert.Contains("All 14 masks identical on cpu and the CPU fast path.", output, StringComparison.Ordinal);
            var text = File.ReadAllText(markdown);
            Assert.Contains("| conv3d | Conv3d | generated, Strided | SharedKernel 50.0 % | [6, 4, 3, 2, 2] | 2 / 2 |", text, StringComparison.Ordinal);
            Assert.Contains("All 14 masks identical.", text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(markdown);
        }
    }

    [Theory]
    [InlineData(new[] { "--device", "tpu" }, "--device must be one of cpu, cuda, auto; it is 'tpu'.")]
    [InlineData(new[] { "--runs", "-1" }, "--runs needs a whole number ≥ 0; it is '-1'.")]
    [InlineData(new[] { "--time", "Kernel,Nope" }, "'Nope' is none of them")]
    [InlineData(new[] { "--sections", "kinds,all,gpu" }, "'gpu' is none of them")]
    [InlineData(new[] { "--shapes" }, "--shapes needs a value.")]
    [InlineData(new[] { "--verbose" }, "Unknown argument '--verbose'.")]
    public void Bad_arguments_exit_with_2_and_name_the_value(string[] args, string message)
    {
        var (exitCode, output) = RunApp(args);

        Assert.Equal(DeviceCheckApp.BadArguments, exitCode);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.Contains("Usage: DeviceCheck", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Asking_for_cuda_where_torch_has_none_exits_with_3()
    {
        // The tests reference TorchSharp-cpu, whose libtorch has no CUDA.
        Assert.False(cuda.is_available());
        var (exitCode, output) = RunApp("--device", "cuda", "--sections", "model");

        Assert.Equal(DeviceCheckApp.NoCuda, exitCode);
        Assert.Contains("torch.cuda.is_available() is false", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ResNet50_shapes_follow_the_architecture()
    {
        var shapes = ResNet50Shapes.Create();

        Assert.Equal(53, shapes.Count(shape => shape.Kind == LayerKind.Conv2d));
        Assert.Equal(25_502_912, shapes.Sum(shape => shape.Elements));
        Assert.Equal([64L, 3, 7, 7], shapes[0].Shape);
        Assert.Equal([1000L, 2048], shapes[^1].Shape);
        Assert.Equal(LayerKind.Linear, shapes[^1].Kind);

        // 16 bottlenecks of three convs, one 3×3 each; a downsample projection opening each of the four stages.
        Assert.Equal(16, shapes.Count(shape => shape.Kind == LayerKind.Conv2d && shape.Shape[2] == 3));
        Assert.Equal(
            [[256L, 64, 1, 1], [512L, 256, 1, 1], [1024L, 512, 1, 1], [2048L, 1024, 1, 1]],
            shapes.Where(shape => shape.Name.EndsWith("downsample.0", StringComparison.Ordinal)).Select(shape => shape.Shape));
        Assert.Equal([512L, 512, 3, 3], shapes.Single(shape => shape.Name == "layer4.2.conv2").Shape);
        Assert.Equal([256L, 1024, 1, 1], shapes.Single(shape => shape.Name == "layer3.5.conv1").Shape);
        Assert.Equal(2, shapes.Single(shape => shape.Name == "layer2.0.conv2").Stride);

        var small = ResNet50Shapes.Create(widthDivisor: 8, classes: 10);
        Assert.Equal(shapes.Count, small.Count);
        Assert.Equal([10L, 256], small[^1].Shape);
    }

    [Theory]
    [InlineData(Granularity.Weight, Granularity.Weight)]
    [InlineData(Granularity.Kernel, Granularity.Weight)]
    [InlineData(Granularity.Row, Granularity.Weight)]
    [InlineData(Granularity.Filter, Granularity.Row)]
    [InlineData(Granularity.Channel, Granularity.Row)]
    [InlineData(Granularity.SharedKernel, Granularity.Column)]
    [InlineData(Granularity.SharedChannel, Granularity.Layer)]
    public void The_linear_layer_of_a_shape_set_takes_the_analogue_of_a_1x1_convolution(Granularity conv, Granularity linear) =>
        Assert.Equal(linear, ShapeSetModules.LinearAnalogue(conv));

    private static double PrunedPercent(string cell) => double.Parse(cell.TrimEnd('%', ' '), CultureInfo.InvariantCulture);

    private static (int ExitCode, string Output) RunApp(params string[] args)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 400;
        var exitCode = DeviceCheckApp.Run(args, console);
        return (exitCode, output.ToString());
    }
}
