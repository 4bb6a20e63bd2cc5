using System;
using System.Globalization;
using System.Linq;

namespace PruneSharp.Generator;

/// <summary>
/// Writes a layer's mask geometry into its generated class: the plan the runtime would otherwise work out from the live
/// shape at the first update (group count and size, the merged segments and their strides, or the N:M runs) and the
/// <see cref="MaskKernel"/> for that layout, as constants. Worked out by <see cref="MaskGeometry"/>, the same code the
/// runtime checks the constants with.
/// </summary>
internal static class MaskGeometryEmitter
{
    /// <summary>The static field that holds the geometry.</summary>
    public const string FieldName = "s_maskGeometry";

    /// <summary>
    /// Writes the geometry field where the layer's weight shape is known (the class must also write
    /// <c>s_declaredShape</c>, which the geometry is made from), and returns whether it did. A transposed convolution
    /// with groups, whose mask is computed on a grouped view of its weight, keeps the runtime plan.
    /// </summary>
    public static bool Emit(CodeWriter code, LayerSpec layer)
    {
        var geometry = Geometry(layer);
        if (geometry is null) return false;

        var kernel = $"global::PruneSharp.MaskKernel.{geometry.Kernel}";
        code.Line();
        code.Line("/// <summary>");
        var summary = $"The mask geometry of the declared shape, worked out by the generator: {Describe(geometry)}. The runtime checks it once against the rule and uses it as it is: no planning at run time.";
        foreach (var line in Wrap(summary, 110)) code.Line("/// " + line);
        code.Line("/// </summary>");
        if (geometry.IsNOfM)
        {
            code.Line($"private static readonly global::PruneSharp.MaskGeometry {FieldName} = global::PruneSharp.MaskGeometry.NOfM(");
            code.Line($"    {kernel},");
            code.Line("    s_declaredShape,");
            code.Line($"    inputAxis: {Int(geometry.InputAxis)},");
            code.Line($"    n: {Int(geometry.N)},");
            code.Line($"    m: {Int(geometry.M)},");
            code.Line($"    runBlocks: {Int(geometry.RunBlocks)},");
            code.Line($"    runStride: {Int(geometry.RunStride)});");
            code.Line();
            return true;
        }

        var dims = Enumerable.Range(0, ReducedDims.MaxDims).Where(geometry.ReducedDims.Contains).Select(Int);
        code.Line($"private static readonly global::PruneSharp.MaskGeometry {FieldName} = global::PruneSharp.MaskGeometry.Groups(");
        code.Line($"    {kernel},");
        code.Line("    s_declaredShape,");
        code.Line($"    global::PruneSharp.ReducedDims.Of({string.Join(", ", dims)}),");
        code.Line($"    groupCount: {Int(geometry.GroupCount)},");
        code.Line($"    groupSize: {Int(geometry.GroupSize)},");
        code.Line($"    segmentSizes: new int[] {{ {string.Join(", ", geometry.SegmentSizes.Select(Int))} }},");
        code.Line($"    segmentGroupStrides: new int[] {{ {string.Join(", ", geometry.SegmentGroupStrides.Select(Int))} }});");
        code.Line();
        return true;
    }

    /// <summary>The layer's geometry, or null where the shape is unknown, the weight is viewed, or the shape has no geometry (the runtime reports why).</summary>
    private static MaskGeometry? Geometry(LayerSpec layer)
    {
        if (layer.Shape.IsEmpty) return null;
        var shape = layer.Shape.ToArray();
        var settings = layer.Settings;
        try
        {
            if (settings.Granularity == Granularity.NOfM) return MaskGeometry.ForNOfM(shape, Granularities.InputAxis(layer.Kind), settings.N, settings.M);
            ReducedDims dims;
            if (settings.Granularity == Granularity.Custom)
            {
                if (settings.Dims is not { } custom || !Granularities.CustomDimsFit(layer.Kind, custom.ToArray())) return null;
                dims = ReducedDims.Of(custom.ToArray());
            }
            else if (!Granularities.TryGetReducedDims(layer.Kind, settings.Granularity, out dims))
            {
                return null;
            }

            return GroupCounts.KeepsGroupAxis(layer.Kind, dims, layer.ConvolutionGroups) ? null : MaskGeometry.ForGroups(shape, dims);
        }
        catch (ArgumentException)
        {
            // A shape the CPU kernels cannot take (more than int.MaxValue weights, an input size that is not a multiple
            // of M): the runtime plans at the first update and reports it there, naming the layer.
            return null;
        }
    }

    /// <summary>The layout in words, for the field's summary.</summary>
    private static string Describe(MaskGeometry geometry)
    {
        var groups = $"{geometry.GroupCount} group{(geometry.GroupCount == 1 ? string.Empty : "s")}";
        return geometry.Kernel switch
        {
            MaskKernel.ContiguousGroups => $"{groups} of {geometry.GroupSize} weights, each one contiguous run, summed by the {geometry.Kernel} kernel",
            MaskKernel.RunsOf9 => $"{groups} of 9 weights, each one contiguous run of 9 (a 3×3 kernel), summed by the {geometry.Kernel} kernel",
            MaskKernel.ShortRuns => $"{groups} of {geometry.GroupSize} weights, each one contiguous run, summed by the {geometry.Kernel} kernel",
            MaskKernel.Elementwise => $"{groups} of one weight each, ranked by the {geometry.Kernel} kernel",
            MaskKernel.NOfMChannelRuns => $"{geometry.N}:{geometry.M} over runs of {geometry.M} adjacent weights along the input axis, ranked by the {geometry.Kernel} kernel",
            MaskKernel.NOfMKernelPositions => $"{geometry.N}:{geometry.M} over runs of {geometry.M} weights {geometry.RunStride} apart along the input axis, ranked by the {geometry.Kernel} kernel",
            _ => $"{groups} of {geometry.GroupSize} weights spread over {geometry.SegmentSizes.Count} segments, summed by the {geometry.Kernel} kernel",
        };
    }

    /// <summary>Splits <paramref name="text"/> at spaces into lines of at most <paramref name="width"/> characters.</summary>
    private static System.Collections.Generic.IEnumerable<string> Wrap(string text, int width)
    {
        var line = string.Empty;
        foreach (var word in text.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                yield return line;
                line = word;
            }
            else
            {
                line = line.Length == 0 ? word : line + " " + word;
            }
        }

        if (line.Length > 0) yield return line;
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
