using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>Every case of the shared test vectors, on every path that computes masks.</summary>
public sealed class TestVectorTests
{
    [Theory]
    [MemberData(nameof(TestVectors.CaseIndices), MemberType = typeof(TestVectors))]
    public void Granularity_table_gives_the_case_dims(int index)
    {
        var vector = TestVectors.Cases[index];
        Assert.Equal(vector.Dims, ReferenceMasks.Dims(vector.Kind, vector.ParsedGranularity));
    }

    [Theory]
    [MemberData(nameof(TestVectors.CaseIndices), MemberType = typeof(TestVectors))]
    public void Reference_implementation_matches_case(int index)
    {
        var vector = TestVectors.Cases[index];
        var mask = ReferenceMasks.Compute(vector.Weights, vector.Shape, vector.Dims, vector.Sparsity);
        if (vector.Error is not null) Assert.Null(mask);
        else Assert.Equal(vector.Mask, mask);
    }

    [Theory]
    [MemberData(nameof(TestVectors.CaseIndices), MemberType = typeof(TestVectors))]
    public void Cpu_fast_path_matches_case(int index)
    {
        var vector = TestVectors.Cases[index];
        var plan = MaskPlan.Create("layer", vector.Shape, ReducedDims.Of(vector.Dims));
        var mask = new float[vector.Weights.Length];
        if (vector.Error is not null)
        {
            var error = Assert.Throws<PruningException>(() => plan.Compute(vector.Weights, vector.Sparsity, mask));
            Assert.Contains("would remove all", error.Message);
            return;
        }

        plan.Compute(vector.Weights, vector.Sparsity, mask);
        Assert.Equal(vector.Mask, mask);
    }

    [Theory]
    [MemberData(nameof(TestVectors.CaseIndices), MemberType = typeof(TestVectors))]
    public void Torch_path_matches_case(int index)
    {
        var vector = TestVectors.Cases[index];
        using var weight = tensor(vector.Weights).reshape(vector.Shape.Select(size => (long)size).ToArray());
        if (vector.Error is not null)
        {
            var error = Assert.Throws<PruningException>(() => TorchMaskEngine.ComputeMask(weight, ReducedDims.Of(vector.Dims), vector.Sparsity, "layer"));
            Assert.Contains("would remove all", error.Message);
            return;
        }

        using var mask = TorchMaskEngine.ComputeMask(weight, ReducedDims.Of(vector.Dims), vector.Sparsity, "layer");
        Assert.Equal(vector.Mask, mask.data<float>().ToArray());
    }

    [Theory]
    [MemberData(nameof(TestVectors.CaseIndices), MemberType = typeof(TestVectors))]
    public void Generated_path_matches_case(int index)
    {
        var vector = TestVectors.Cases[index];
        using var model = (TorchSharp.torch.nn.Module)GranularityModelCatalog.Create(vector.Kind, vector.ParsedGranularity);
        var layer = GranularityModelCatalog.LayerOfShape((IPrunableModule)model, vector.Shape);
        Assert.NotNull(layer.MaskGeometry); // the generated geometry, which the CPU fast path uses as it is
        GeneratedPathTests.SetWeights(layer, vector.Weights);

        if (vector.Error is not null)
        {
            var error = Assert.Throws<PruningException>(() => layer.UpdateMask(vector.Sparsity));
            Assert.Equal(layer.Name, error.LayerName);
            return;
        }

        layer.UpdateMask(vector.Sparsity);
        Assert.Equal(vector.Mask, layer.Mask!.data<float>().ToArray());
    }
}
