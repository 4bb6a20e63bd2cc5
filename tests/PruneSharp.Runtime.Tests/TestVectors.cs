using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PruneSharp.Tests;

/// <summary>
/// The 510 mask cases of <c>TestVectors/masks.json</c>, a copy of the project's shared test vectors, computed by an
/// independent implementation of the rule (every Conv2d and Linear granularity, ties, rounding, expected errors).
/// </summary>
public static class TestVectors
{
    private static readonly Lazy<IReadOnlyList<MaskCase>> LazyCases = new(Load);

    public static IReadOnlyList<MaskCase> Cases => LazyCases.Value;

    public static IEnumerable<object[]> CaseIndices() => Enumerable.Range(0, Cases.Count).Select(index => new object[] { index });

    private static IReadOnlyList<MaskCase> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestVectors", "masks.json");
        using var stream = File.OpenRead(path);
        var file = JsonSerializer.Deserialize<MaskFile>(stream) ?? throw new InvalidDataException($"{path} is empty.");
        return file.Cases;
    }

    private sealed record MaskFile([property: JsonPropertyName("about")] string About, [property: JsonPropertyName("cases")] List<MaskCase> Cases);
}

public sealed record MaskCase(
    [property: JsonPropertyName("layer")] string Layer,
    [property: JsonPropertyName("granularity")] string Granularity,
    [property: JsonPropertyName("dims")] int[] Dims,
    [property: JsonPropertyName("sparsity")] double Sparsity,
    [property: JsonPropertyName("shape")] int[] Shape,
    [property: JsonPropertyName("weights")] float[] Weights,
    [property: JsonPropertyName("mask")] float[]? Mask,
    [property: JsonPropertyName("error")] string? Error)
{
    public LayerKind Kind => Enum.Parse<LayerKind>(Layer);

    public Granularity ParsedGranularity => Enum.Parse<Granularity>(Granularity);

    public override string ToString() => $"{Layer} {Granularity} [{string.Join(",", Shape)}] sparsity {Sparsity}";
}
