using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(PruneSharp.Benchmarks.MaskBenchmarks).Assembly).Run(args);
