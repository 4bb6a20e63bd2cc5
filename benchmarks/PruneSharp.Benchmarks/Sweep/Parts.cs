using System.Diagnostics;
using System.Runtime.InteropServices;
using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace PruneSharp.Benchmarks;

/// <summary>
/// Development probes, not BenchmarkDotNet: the phases of one layer's growing update (a mask held at 0.45 grown to
/// 0.5) timed apart, each from cold caches, against the SumOfMagnitudes floor of the same weights; for groups, the
/// first mask's phases too.
/// <c>-- parts 512x512x3x3 3,4</c> (a group granularity: score, select, expand) or <c>-- elementwise 2359296</c>
/// (the element-wise route: threshold, then writing the mask). Run with <c>DOTNET_TieredCompilation=0</c> for
/// optimized code from the first round.
/// </summary>
public static class Parts
{
    private const int Rounds = 30;

    public static void Groups(string[] args)
    {
        var shape = args.Length > 1 ? args[1].Split('x').Select(int.Parse).ToArray() : [512, 512, 3, 3];
        var dims = args.Length > 2 ? ReducedDims.Of(args[2].Split(',').Select(int.Parse).ToArray()) : ReducedDims.Of(3, 4);
        manual_seed(5);
        using var weightTensor = randn(shape.Select(size => (long)size).ToArray());
        var weights = MemoryMarshal.Cast<byte, float>(weightTensor.bytes).ToArray();
        var plan = MaskPlan.Create("probe", shape, dims);
        var held = new float[weights.Length];
        plan.Compute(weights, 0.45, held);
        var mask = new float[weights.Length];
        var pruned = (int)Math.Round(0.5 * plan.GroupCount, MidpointRounding.ToEven);
        var (score, select, expand, total, floor) = (new List<double>(), new List<double>(), new List<double>(), new List<double>(), new List<double>());
        var (firstScore, firstSelect, firstExpand, firstTotal) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        var flush = new byte[64 << 20];
        for (var round = 0; round < Rounds; round++)
        {
            held.CopyTo(mask);
            Array.Fill(flush, (byte)round);
            var t0 = Stopwatch.GetTimestamp();
            plan.ScoreGroups(weights, magnitudes: true, Reducer.Mean, mask);
            var t1 = Stopwatch.GetTimestamp();
            SpanSelection.SelectLowest(plan.GroupScores, pruned, plan.KeptGroups, plan.SelectionScratch);
            var t2 = Stopwatch.GetTimestamp();
            plan.Expand(mask, maskIsHeld: true);
            var t3 = Stopwatch.GetTimestamp();
            (score, select, expand, total).Add4(Ms(t0, t1), Ms(t1, t2), Ms(t2, t3), Ms(t0, t3));
            floor.Add(Floor(weights, flush, round));

            Array.Fill(flush, (byte)round);
            t0 = Stopwatch.GetTimestamp();
            plan.ScoreGroups(weights, magnitudes: true, Reducer.Mean, default);
            t1 = Stopwatch.GetTimestamp();
            SpanSelection.SelectLowest(plan.GroupScores, pruned, plan.KeptGroups, plan.SelectionScratch);
            t2 = Stopwatch.GetTimestamp();
            plan.Expand(mask, maskIsHeld: false);
            t3 = Stopwatch.GetTimestamp();
            (firstScore, firstSelect, firstExpand, firstTotal).Add4(Ms(t0, t1), Ms(t1, t2), Ms(t2, t3), Ms(t0, t3));
        }

        Console.WriteLine($"first mask, cold: score {Median(firstScore):F3} select {Median(firstSelect):F3} expand {Median(firstExpand):F3} = {Median(firstTotal):F3} ms ({Median(firstTotal) / Median(floor):F2}x)");
        Console.WriteLine($"{plan.Geometry}, cold: score {Median(score):F3} select {Median(select):F3} expand {Median(expand):F3} = {Median(total):F3} ms ({Median(total) / Median(floor):F2}x); floor {Median(floor):F3} ms");
    }

    public static void Elementwise(string[] args)
    {
        var count = args.Length > 1 ? int.Parse(args[1]) : 2359296;
        manual_seed(5);
        using var weightTensor = randn(count);
        var weights = MemoryMarshal.Cast<byte, float>(weightTensor.bytes).ToArray();
        var scratch = new double[count + 8];
        var held = new float[count];
        SpanSelection.TryFindMagnitudeThreshold(weights, default, (int)(0.45 * count), scratch, out var first);
        RadixSelect.WriteMagnitudeMask(weights, default, first, held);
        using var maskTensor = zeros(count); // tensor memory, 64-byte aligned as a mask buffer's
        var mask = MemoryMarshal.Cast<byte, float>(maskTensor.bytes);
        var (find, write, total, floor) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        var (findFirst, writeFirst, totalFirst) = (new List<double>(), new List<double>(), new List<double>());
        var flush = new byte[64 << 20];
        for (var round = 0; round < Rounds; round++)
        {
            held.CopyTo(mask);
            Array.Fill(flush, (byte)round);
            var t0 = Stopwatch.GetTimestamp();
            SpanSelection.TryFindMagnitudeThreshold(weights, mask, count / 2, scratch, out var threshold);
            var t1 = Stopwatch.GetTimestamp();
            RadixSelect.WriteMagnitudeMask(weights, mask, threshold, mask);
            var t2 = Stopwatch.GetTimestamp();
            (find, write, total).Add3(Ms(t0, t1), Ms(t1, t2), Ms(t0, t2));

            Array.Fill(flush, (byte)round);
            t0 = Stopwatch.GetTimestamp();
            SpanSelection.TryFindMagnitudeThreshold(weights, default, count / 2, scratch, out threshold);
            t1 = Stopwatch.GetTimestamp();
            RadixSelect.WriteMagnitudeMask(weights, default, threshold, mask);
            t2 = Stopwatch.GetTimestamp();
            (findFirst, writeFirst, totalFirst).Add3(Ms(t0, t1), Ms(t1, t2), Ms(t0, t2));
            floor.Add(Floor(weights, flush, round));
        }

        var f = Median(floor);
        Console.WriteLine($"{count} weights, cold: grow find {Median(find):F3} write {Median(write):F3} = {Median(total):F3} ms ({Median(total) / f:F2}x); first find {Median(findFirst):F3} write {Median(writeFirst):F3} = {Median(totalFirst):F3} ms ({Median(totalFirst) / f:F2}x); floor {f:F3} ms");
    }

    public static void NOfM(string[] args)
    {
        var shape = args.Length > 1 ? args[1].Split('x').Select(int.Parse).ToArray() : [512, 512, 3, 3];
        manual_seed(5);
        using var weightTensor = randn(shape.Select(size => (long)size).ToArray());
        var weights = MemoryMarshal.Cast<byte, float>(weightTensor.bytes).ToArray();
        var plan = NOfMPlan.Create("probe", shape, 1, 2, 4);
        var hot = args.Length > 2 && args[2] == "hot";
        var held = new float[weights.Length];
        plan.Compute(weights, magnitudes: true, default, held);
        var (steady, first, floor) = (new List<double>(), new List<double>(), new List<double>());
        var flush = new byte[64 << 20];
        var mask = new float[weights.Length];
        for (var round = 0; round < Rounds; round++)
        {
            if (!hot) Array.Fill(flush, (byte)round);
            var t0 = Stopwatch.GetTimestamp();
            plan.Write(weights, magnitudes: true, held, held);
            steady.Add(Ms(t0, Stopwatch.GetTimestamp()));
            Array.Fill(flush, (byte)round);
            t0 = Stopwatch.GetTimestamp();
            SpanScoring.ContainsNaN(weights);
            first.Add(Ms(t0, Stopwatch.GetTimestamp()));
            floor.Add(Floor(weights, flush, round));
        }

        Console.WriteLine($"{plan.Geometry}, cold: write in place over the held mask {Median(steady):F3} ms ({Median(steady) / Median(floor):F2}x), NaN check {Median(first):F3} ms ({Median(first) / Median(floor):F2}x); floor {Median(floor):F3} ms");
    }

    private static double Floor(float[] weights, byte[] flush, int round)
    {
        Array.Fill(flush, (byte)round);
        var start = Stopwatch.GetTimestamp();
        TensorPrimitives.SumOfMagnitudes(weights);
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    private static void Add3(this (List<double> A, List<double> B, List<double> C) lists, double a, double b, double c)
    {
        lists.A.Add(a);
        lists.B.Add(b);
        lists.C.Add(c);
    }

    private static void Add4(this (List<double> A, List<double> B, List<double> C, List<double> D) lists, double a, double b, double c, double d)
    {
        lists.A.Add(a);
        lists.B.Add(b);
        lists.C.Add(c);
        lists.D.Add(d);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
