using Microsoft.CodeAnalysis;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// The generator's compile-time counts (PRUNE003, PRUNE022) and the runtime's count the same groups, with the same
/// rounding (<c>src/Attributes/GroupCounts.cs</c>, compiled into both): where the generator says a sparsity removes
/// every group, the runtime refuses it, and where it says nothing is pruned, the runtime prunes nothing. A grouped
/// transposed convolution at <see cref="Granularity.Layer"/> is one group on both sides ("the whole layer is one group").
/// </summary>
public sealed class GroupCountTests
{
    public static TheoryData<string, Granularity, double, string?> Layers() => new()
    {
        { "ConvTranspose2d(4, 6, 3, groups: 2)", Granularity.Layer, 0.6, "PRUNE003" },
        { "ConvTranspose2d(4, 6, 3, groups: 2)", Granularity.Layer, 0.4, "PRUNE022" },
        { "ConvTranspose2d(4, 6, 3, groups: 2)", Granularity.Filter, 0.95, "PRUNE003" },
        { "ConvTranspose2d(4, 6, 3, groups: 2)", Granularity.Filter, 0.9, null },
        { "ConvTranspose1d(6, 9, 2, groups: 3)", Granularity.Channel, 0.98, "PRUNE003" },
        { "ConvTranspose1d(6, 9, 2, groups: 3)", Granularity.Channel, 0.9, null },
        { "ConvTranspose3d(4, 4, 1, groups: 2)", Granularity.Layer, 0.5, "PRUNE022" },
        { "Conv2d(3, 4, 3)", Granularity.Filter, 0.9, "PRUNE003" },
        { "Linear(4, 5)", Granularity.Layer, 0.5, "PRUNE022" },
        { "Linear(4, 5)", Granularity.Row, 0.5, null },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public async Task PRUNE003_and_PRUNE022_agree_with_the_runtime_on_every_layer(string factory, Granularity granularity, double sparsity, string? expected)
    {
        var kind = Enum.Parse<LayerKind>(factory[..factory.IndexOf('(')]);
        var source = TestSources.Usings + $$"""
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                [Prune(Granularity.{{granularity}}, {{sparsity.ToString(System.Globalization.CultureInfo.InvariantCulture)}})] public readonly {{kind}} layer = {{factory}};
                public Model() : base("m") { }
                public override Tensor forward(Tensor input) => input;
            }
            """;
        var ids = (await CompilationHelper.AnalyzeAsync(source)).Select(diagnostic => diagnostic.Id).ToList();
        Assert.Equal(expected is null ? [] : [expected], ids);

        using var module = CreateModule(factory);
        var layer = new TestLayer("layer", kind, new PruneSettings(granularity, sparsity), module);
        var groups = layer.Report().Groups;
        if (ids.Contains("PRUNE003"))
        {
            var error = Assert.Throws<PruningException>(() => layer.UpdateMask());
            Assert.Contains($"would remove all {groups} groups", error.Message);
            return;
        }

        layer.UpdateMask();
        var pruned = layer.Report().PrunedGroups;
        Assert.Equal(ids.Contains("PRUNE022"), pruned == 0 && granularity == Granularity.Layer);
        Assert.Equal((long)Math.Round(sparsity * groups, MidpointRounding.ToEven), pruned);
    }

    private static nn.Module CreateModule(string factory) => factory switch
    {
        "ConvTranspose2d(4, 6, 3, groups: 2)" => nn.ConvTranspose2d(4, 6, 3, groups: 2),
        "ConvTranspose1d(6, 9, 2, groups: 3)" => nn.ConvTranspose1d(6, 9, 2, groups: 3),
        "ConvTranspose3d(4, 4, 1, groups: 2)" => nn.ConvTranspose3d(4, 4, 1, groups: 2),
        "Conv2d(3, 4, 3)" => nn.Conv2d(3, 4, 3),
        "Linear(4, 5)" => nn.Linear(4, 5),
        _ => throw new ArgumentOutOfRangeException(nameof(factory)),
    };
}
