extern alias generator;

using PruneSharp.Tests.RealModels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Descriptors = generator::PruneSharp.Generator.DiagnosticDescriptors;

namespace PruneSharp.Tests.ModelTree;

/// <summary>Where only run time knows a layer, the tree runs the generator's checks with the generator's words (docs/architecture.md, rule 8).</summary>
public sealed class TreeCheckTests
{
    [Fact]
    public void Run_time_messages_are_the_generators_message_formats()
    {
        var descriptors = typeof(Descriptors).GetFields()
            .Select(field => field.GetValue(null))
            .OfType<Microsoft.CodeAnalysis.DiagnosticDescriptor>()
            .ToDictionary(descriptor => descriptor.Id, descriptor => descriptor.MessageFormat.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(13, DiagnosticWords.Ids.Count);
        foreach (var (format, id) in DiagnosticWords.Ids) Assert.Equal(descriptors[id], format);
    }

    [Fact]
    public void A_named_layer_whose_kind_the_granularity_does_not_fit_is_PRUNE001()
    {
        using var model = ResNet.ResNet18(numClasses: 10, width: 8);

        var error = Assert.Throws<PruningException>(() => Pruning.Of(model).Layer("fc", Granularity.Filter, 0.3).Build());

        Assert.Equal("fc", error.LayerName);
        Assert.Equal("Layer 'fc': Granularity 'Filter' does not apply to Linear layer 'fc'; valid granularities for Linear: Weight, Column, Row, Layer (PRUNE001)", error.Message);
    }

    [Fact]
    public void A_sparsity_that_removes_every_group_of_a_layer_known_at_run_time_is_PRUNE003()
    {
        // One rule for both convolutions: only their weights say how many filters each has.
        using var model = Sequential(("stem", Conv2d(3, 16, 3)), ("narrow", Conv2d(16, 4, 3)), ("head", Linear(4, 2)));

        var error = Assert.Throws<PruningException>(() => Pruning.Of(model).Layers<Conv2d>(Granularity.Filter, 0.9).Build());

        // round-half-to-even(0.9 × 16) = 14 of 16 is fine; round(0.9 × 4) = 4 of 4 is not.
        Assert.Equal("narrow", error.LayerName);
        Assert.Equal("Layer 'narrow': Sparsity 0.9 would remove all 4 groups of layer 'narrow' (Conv2d [4, 16, 3, 3], granularity Filter); use at most 0.75 to keep at least one group (PRUNE003)", error.Message);
    }

    [Fact]
    public void An_N_of_M_input_that_is_not_a_multiple_of_M_is_PRUNE013()
    {
        using var model = ResNet.ResNet18(numClasses: 10, width: 8);

        var error = Assert.Throws<PruningException>(() => Pruning.Of(model).Layers<Conv2d>(PruneSettings.NOfM(2, 4)).Build());

        Assert.Equal("Layer 'conv1': N:M 2:4 does not fit layer 'conv1' (Conv2d [8, 3, 7, 7]): its input size 3 (weight axis 1) is not a multiple of M = 4 (PRUNE013)", error.Message);
        var rest = Pruning.Of(model).Layers<Conv2d>(PruneSettings.NOfM(2, 4)).Except("conv1").Build();
        Assert.Equal(19, rest.PrunedLayers.Count);
    }

    [Fact]
    public void Custom_dims_out_of_range_are_PRUNE010_on_a_named_layer_and_skip_the_layer_for_a_rule()
    {
        using var model = ResNet.ResNet18(numClasses: 10, width: 8);
        var kernels = new PruneSettings(Granularity.Custom, 0.5) { Dims = [3, 4] };

        var error = Assert.Throws<PruningException>(() => Pruning.Of(model).Layer("fc", kernels).Build());

        Assert.Equal("Layer 'fc': Dims (3, 4) do not fit layer 'fc' (Linear, weight rank 2): give at least one dim, each in [0, 2] and none twice (PRUNE010)", error.Message);
        var rule = Pruning.Of(model).Layers(kernels).IncludingOutputLayer().Build();
        Assert.Equal(20, rule.PrunedLayers.Count);
        Assert.All(rule.PrunedLayers, layer => Assert.Equal(LayerKind.Conv2d, layer.Kind));
    }

    [Fact]
    public void Global_scope_checks_N_of_M_and_the_last_groups_as_PRUNE024_and_PRUNE025()
    {
        using var model = Sequential(("stem", Conv2d(4, 8, 3)), ("narrow", Conv2d(8, 4, 3)), ("head", Linear(4, 2)));

        var nOfM = Assert.Throws<PruningException>(() => Pruning.Of(model).Layers<Conv2d>(PruneSettings.NOfM(2, 4)).Global(0.5).Build());
        Assert.Equal("Layer 'stem': 'stem' uses N:M, which keeps N of every M weights within the layer and cannot be ranked with other layers, but 'Sequential' uses global scope; use local scope or another granularity (PRUNE024)", nOfM.Message);

        // 12 filters in all, each layer keeps one: at most 10 can go, and round(0.9 × 12) = 11.
        var last = Assert.Throws<PruningException>(() => Pruning.Of(model).Layers<Conv2d>(Granularity.Filter, 0.5).Global(0.9).Build());
        Assert.Equal("Layer '(global)': Global sparsity 0.9 of 'Sequential' would prune 11 of the 12 groups of its 2 layers, but every layer keeps its best group; use at most 0.8333333333333334 (PRUNE025)", last.Message);
        Assert.Equal(0.8, Pruning.Of(model).Layers<Conv2d>(Granularity.Filter, 0.5).Global(0.8).Build().GlobalSparsity);
    }

    [Fact]
    public void Settings_that_are_invalid_on_their_own_are_rejected_when_the_rule_is_declared()
    {
        using var model = ResNet.ResNet18(numClasses: 10, width: 8);

        var range = Assert.Throws<ArgumentOutOfRangeException>(() => Pruning.Of(model).Layers(Granularity.Filter, 1.5));
        Assert.StartsWith("Sparsity 1.5 of 'Layers(Filter, 1.5)' is outside [0, 1]; it is the fraction of groups to remove (PRUNE002)", range.Message, StringComparison.Ordinal);
        var nOfM = Assert.Throws<ArgumentException>(() => Pruning.Of(model).Layer("fc", PruneSettings.NOfM(4, 4)));
        Assert.StartsWith("N:M 4:4 on 'fc' is invalid: N must be at least 1 and M greater than N; declare it as [Prune(n, m)] (PRUNE012)", nOfM.Message, StringComparison.Ordinal);
        var dims = Assert.Throws<ArgumentException>(() => Pruning.Of(model).Layers(new PruneSettings(Granularity.Custom, 0.5)));
        Assert.StartsWith("Granularity.Custom on 'Layers(Custom, 0.5)' needs the dims to reduce over: add Dims = new[] { ... } (PRUNE009)", dims.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Pruning.Of(model).Layers(new PruneSettings(Granularity.Filter, 0.5) { RoundTo = -1 }));
        Assert.Throws<ArgumentException>(() => Pruning.Of(model).Layers(new PruneSettings(Granularity.Filter, 0.5) { Dims = [1] }));
    }

    [Fact]
    public void A_failed_build_changes_nothing_in_the_model()
    {
        using var model = new DeclaredNet(width: 2);
        var block = (DeclaredBlock)model.stage[0];
        var conv1 = block.Conv1Pruning;

        // The gates are Linear(4, 4): Row 0.9 removes all 4 rows of each; the typed block layers come first in the tree.
        var error = Assert.Throws<PruningException>(() => Pruning.Of(model).Layer("stage.0.gate", Granularity.Row, 0.9).Build());

        Assert.Equal("stage.0.gate", error.LayerName);
        Assert.Equal("conv1", conv1.Name);
        Assert.DoesNotContain(model.named_buffers(), buffer => buffer.name.EndsWith(PrunedLayer.MaskBufferName, StringComparison.Ordinal));
    }

    [Fact]
    public void A_container_the_model_does_not_hold_is_named_in_the_error()
    {
        using var model = new MisdeclaredNet();

        var error = Assert.Throws<InvalidOperationException>(() => PruningTree.Build(model));

        Assert.Equal("MisdeclaredNet declares a container 'feature', but the model holds no module registered under that name and no collection declared with Unregistered(\"feature\", …).", error.Message);
    }

    private sealed class MisdeclaredNet : Module<Tensor, Tensor>, IDeclaresPruning
    {
        private readonly Sequential features = Sequential(Conv2d(3, 4, 3));

        public MisdeclaredNet() : base(nameof(MisdeclaredNet)) => RegisterComponents();

        public void DeclarePruning(PruningDeclarations declarations) => declarations.Container("feature", new PruneSettings(Granularity.Filter, 0.5));

        public override Tensor forward(Tensor input) => features.forward(input);
    }
}
