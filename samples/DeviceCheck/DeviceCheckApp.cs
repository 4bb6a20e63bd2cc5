using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using PruneSharp;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.DeviceCheck;

/// <summary>The parts of the check a run does.</summary>
[Flags]
internal enum CheckSections
{
    /// <summary>Every layer kind × granularity × criterion.</summary>
    Kinds = 1,

    /// <summary>The [Prune] model.</summary>
    Model = 2,

    /// <summary>The shape set (ResNet-50, or its reduced form), compared and then timed.</summary>
    Shapes = 4,

    /// <summary>Checkpoints of the [Prune] model on the device: saved, loaded, exported, imported, refused.</summary>
    Checkpoints = 8,

    All = Kinds | Model | Shapes | Checkpoints,
}

/// <summary>The command line, parsed.</summary>
internal sealed record CheckOptions
{
    /// <summary>cpu, cuda or auto (CUDA when torch.cuda.is_available()).</summary>
    public string Device { get; init; } = "auto";

    /// <summary>resnet50 (the real network's shapes) or small (the same architecture, channels ÷ 8, 10 classes).</summary>
    public string ShapeSet { get; init; } = "resnet50";

    public CheckSections Sections { get; init; } = CheckSections.All;

    /// <summary>Timed runs per method and granularity; 0 times nothing; null: 20 on CUDA, 3 on the CPU.</summary>
    public int? Runs { get; init; }

    /// <summary>The granularities timed; null: every Conv2d granularity on CUDA, Weight, Kernel and Filter on the CPU.</summary>
    public IReadOnlyList<Granularity>? TimedGranularities { get; init; }

    /// <summary>Where to write the results as Markdown too, or null.</summary>
    public string? MarkdownPath { get; init; }

    /// <summary>Flips one element of the first checked mask, to show that the check fails on a difference.</summary>
    public bool InjectMismatch { get; init; }

    public bool Help { get; init; }
}

/// <summary>
/// The device check: masks on the chosen device (the torch path) against the CPU fast path for every layer kind,
/// granularity and criterion, the [Prune] model and a shape set (ResNet-50 by default), then timings.
/// Exit code 0: every mask identical; 1: a mask differed; 2: bad arguments; 3: CUDA asked for and not available.
/// </summary>
internal static class DeviceCheckApp
{
    public const int Identical = 0;
    public const int Mismatch = 1;
    public const int BadArguments = 2;
    public const int NoCuda = 3;

    private const string Usage = """
        Usage: DeviceCheck [--device cpu|cuda|auto] [--shapes resnet50|small] [--sections kinds,model,shapes,checkpoints]
                           [--runs N] [--time all|GRANULARITY,...] [--markdown PATH] [--inject-mismatch]
          --device      where the torch path runs (default auto: CUDA when torch.cuda.is_available())
          --shapes      resnet50: ResNet-50's 53 conv + 1 fc weights (default); small: the same, channels / 8
          --sections    which comparisons to run (default all four)
          --runs        timed runs per method and granularity, 0 for none (default 20 on CUDA, 3 on the CPU)
          --time        granularities to time (default all Conv2d ones on CUDA; Weight,Kernel,Filter on the CPU)
          --markdown    also write the results as Markdown to PATH
          --inject-mismatch  flip one mask element, to see the check fail (exit code 1)
        Exit code: 0 every mask identical, 1 a mask differed, 2 bad arguments, 3 CUDA asked for but not available.
        """;

    public static int Run(string[] args, IAnsiConsole console)
    {
        if (!TryParse(args, out var options, out var error))
        {
            console.MarkupLine($"[red]{Markup.Escape(error)}[/]");
            console.WriteLine(Usage);
            return BadArguments;
        }

        if (options.Help)
        {
            console.WriteLine(Usage);
            return Identical;
        }

        // Before any other torch call: CUDA's libraries are loaded by the first query of CUDA.
        var device = ResolveDevice(options.Device, out var cudaAvailable);
        if (device is null)
        {
            console.MarkupLine("[red]--device cuda: torch.cuda.is_available() is false. Is PyTorch's lib folder (with libtorch_cuda.so) on LD_LIBRARY_PATH? See docs/device-check.md.[/]");
            return NoCuda;
        }

        console.Write(new Rule("[bold]PruneSharp device check[/]").LeftJustified());
        foreach (var line in Environment(device, cudaAvailable)) console.MarkupLine(Markup.Escape(line));

        var report = Check(options, device, progress: message => console.MarkupLine($"[grey]{Markup.Escape(message)}[/]"));
        foreach (var table in report.Tables) Print(console, table);
        if (report.Timings is not null) Print(console, report.Timings);

        foreach (var mismatch in report.Mismatches.Take(20)) console.MarkupLine($"[red]{Markup.Escape(mismatch)}[/]");
        if (report.Mismatches.Count > 20) console.MarkupLine($"[red]... and {report.Mismatches.Count - 20} more differences.[/]");
        var verdict = report.Mismatched == 0
            ? $"[green]All {report.Compared:N0} masks identical on {Markup.Escape(device.ToString())} and the CPU fast path.[/]"
            : $"[red]{report.Mismatched:N0} of {report.Compared:N0} masks differ between {Markup.Escape(device.ToString())} and the CPU fast path.[/]";
        console.MarkupLine(verdict);

        if (options.MarkdownPath is not null)
        {
            File.WriteAllText(options.MarkdownPath, ToMarkdown(report, Environment(device, cudaAvailable)));
            console.MarkupLine($"[grey]Results written to {Markup.Escape(options.MarkdownPath)}.[/]");
        }

        return report.Mismatched == 0 ? Identical : Mismatch;
    }

    /// <summary>Runs the sections <paramref name="options"/> asks for on <paramref name="device"/>.</summary>
    public static CheckReport Check(CheckOptions options, Device device, Action<string>? progress = null)
    {
        progress ??= _ => { };
        var checker = new MaskChecker(device, options.InjectMismatch);
        var tables = new List<CheckTable>();
        CheckTable? timings = null;
        if (options.Sections.HasFlag(CheckSections.Kinds))
        {
            progress("Checking every layer kind × granularity × criterion...");
            tables.Add(MaskChecks.EveryKind(checker));
        }

        if (options.Sections.HasFlag(CheckSections.Model))
        {
            progress("Checking the [Prune] model...");
            tables.Add(MaskChecks.Model(checker));
        }

        if (options.Sections.HasFlag(CheckSections.Shapes))
        {
            var (shapes, setName) = options.ShapeSet == "small"
                ? (ResNet50Shapes.Create(widthDivisor: 8, classes: 10), "ResNet-50 shapes, channels ÷ 8")
                : (ResNet50Shapes.Create(), "ResNet-50 shapes");
            progress($"Building the {setName} ({shapes.Count} layers, {shapes.Sum(shape => shape.Elements):N0} weights) on the CPU and {device}...");
            using var modules = ShapeSetModules.Create(shapes, device, checker.DType);
            progress($"Checking the {setName} at {ShapeSetModules.Conv2dGranularities.Count} granularities...");
            tables.Add(MaskChecks.ShapeSet(checker, modules, setName));

            var onCpu = device.type == DeviceType.CPU;
            var runs = options.Runs ?? (onCpu ? 3 : 20);
            if (runs > 0)
            {
                var timed = options.TimedGranularities ?? (onCpu ? [Granularity.Weight, Granularity.Kernel, Granularity.Filter] : ShapeSetModules.Conv2dGranularities);
                progress($"Timing mask updates at {timed.Count} granularities, {runs} runs each...");
                timings = MaskTimings.Run(modules, setName, timed, runs);
            }
        }

        if (options.Sections.HasFlag(CheckSections.Checkpoints))
        {
            progress("Checking checkpoints of the [Prune] model...");
            tables.Add(CheckpointChecks.Run(device, checker.DType, checker.Mismatches));
        }

        return new CheckReport(tables, checker.Mismatches, timings);
    }

    /// <summary>The device to check, or null when CUDA was asked for and is not available.</summary>
    public static Device? ResolveDevice(string requested, out bool cudaAvailable)
    {
        cudaAvailable = requested != "cpu" && cuda.is_available();
        return requested switch
        {
            "cpu" => CPU,
            "cuda" => cudaAvailable ? CUDA : null,
            _ => cudaAvailable ? CUDA : CPU,
        };
    }

    public static bool TryParse(string[] args, out CheckOptions options, out string error)
    {
        options = new CheckOptions();
        error = "";
        for (var index = 0; index < args.Length; index++)
        {
            var name = args[index];
            string Value() => index + 1 < args.Length ? args[++index] : throw new FormatException($"{name} needs a value.");
            try
            {
                options = name switch
                {
                    "--device" => options with { Device = OneOf(name, Value(), "cpu", "cuda", "auto") },
                    "--shapes" => options with { ShapeSet = OneOf(name, Value(), "resnet50", "small") },
                    "--sections" => options with { Sections = ParseSections(Value()) },
                    "--runs" => options with { Runs = int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var runs) ? runs : throw new FormatException($"--runs needs a whole number ≥ 0; it is '{args[index]}'.") },
                    "--time" => options with { TimedGranularities = ParseGranularities(Value()) },
                    "--markdown" => options with { MarkdownPath = Value() },
                    "--inject-mismatch" => options with { InjectMismatch = true },
                    "--help" or "-h" => options with { Help = true },
                    _ => throw new FormatException($"Unknown argument '{name}'."),
                };
            }
            catch (FormatException exception)
            {
                error = exception.Message;
                return false;
            }
        }

        return true;
    }

    private static string OneOf(string name, string value, params string[] allowed) =>
        allowed.Contains(value) ? value : throw new FormatException($"{name} must be one of {string.Join(", ", allowed)}; it is '{value}'.");

    private static CheckSections ParseSections(string value)
    {
        var sections = (CheckSections)0;
        foreach (var part in value.Split(','))
        {
            sections |= part switch
            {
                "kinds" => CheckSections.Kinds,
                "model" => CheckSections.Model,
                "shapes" => CheckSections.Shapes,
                "checkpoints" => CheckSections.Checkpoints,
                "all" => CheckSections.All,
                _ => throw new FormatException($"--sections takes kinds, model, shapes, checkpoints or all; '{part}' is none of them."),
            };
        }

        return sections;
    }

    private static IReadOnlyList<Granularity> ParseGranularities(string value)
    {
        if (value == "all") return ShapeSetModules.Conv2dGranularities;
        return value.Split(',').Select(part => ShapeSetModules.Conv2dGranularities
            .Where(granularity => string.Equals(granularity.ToString(), part, StringComparison.OrdinalIgnoreCase))
            .Select(granularity => (Granularity?)granularity)
            .FirstOrDefault() ?? throw new FormatException($"--time takes Conv2d granularities ({string.Join(", ", ShapeSetModules.Conv2dGranularities)}) or all; '{part}' is none of them.")).ToArray();
    }

    private static IEnumerable<string> Environment(Device device, bool cudaAvailable)
    {
        var torchSharp = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";
        yield return $"Device: {device}   TorchSharp {torchSharp}   {RuntimeInformation.FrameworkDescription}   {System.Environment.ProcessorCount} CPU threads";
        yield return cudaAvailable
            ? $"CUDA available: {cuda.device_count()} device(s), cuDNN {(cuda.is_cudnn_available() ? "available" : "not available")}"
            : "CUDA not available (or not asked for): the torch path is checked on the CPU with float64 weights.";
    }

    private static void Print(IAnsiConsole console, CheckTable checkTable)
    {
        var table = new Table().Title($"[bold]{Markup.Escape(checkTable.Title)}[/]").Border(TableBorder.Rounded);
        foreach (var header in checkTable.Headers) table.AddColumn(new TableColumn(Markup.Escape(header)));
        foreach (var row in checkTable.Rows)
        {
            var cells = row.Cells.Select(cell => row.Mismatched > 0 ? $"[red]{Markup.Escape(cell)}[/]" : Markup.Escape(cell)).ToArray();
            table.AddRow(cells);
        }

        console.Write(table);
    }

    private static string ToMarkdown(CheckReport report, IEnumerable<string> environment)
    {
        var text = new StringBuilder();
        text.AppendLine("# PruneSharp device check").AppendLine();
        foreach (var line in environment) text.AppendLine(line).AppendLine();
        foreach (var table in report.Tables.Append(report.Timings).OfType<CheckTable>())
        {
            text.AppendLine($"## {table.Title}").AppendLine();
            text.AppendLine("| " + string.Join(" | ", table.Headers) + " |");
            text.AppendLine("|" + string.Concat(table.Headers.Select(_ => "---|")));
            foreach (var row in table.Rows) text.AppendLine("| " + string.Join(" | ", row.Cells) + " |");
            text.AppendLine();
        }

        text.AppendLine(report.Mismatched == 0 ? $"All {report.Compared:N0} masks identical." : $"{report.Mismatched:N0} of {report.Compared:N0} masks differ:");
        foreach (var mismatch in report.Mismatches) text.AppendLine($"- {mismatch}");
        return text.ToString();
    }
}
