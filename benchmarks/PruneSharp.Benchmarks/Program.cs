using BenchmarkDotNet.Running;

switch (args.FirstOrDefault())
{
    case "sweep":
        PruneSharp.Benchmarks.ResNetSweep.Run(args);
        return;
    case "parts":
        PruneSharp.Benchmarks.Parts.Groups(args);
        return;
    case "nofm":
        PruneSharp.Benchmarks.Parts.NOfM(args);
        return;
    case "layers":
        PruneSharp.Benchmarks.LayerTimes.Run(args);
        return;
    case "elementwise":
        PruneSharp.Benchmarks.Parts.Elementwise(args);
        return;
}

BenchmarkSwitcher.FromAssembly(typeof(PruneSharp.Benchmarks.MaskBenchmarks).Assembly).Run(args);
