using PruneSharp.Tests.RealModels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Tests.ModelTree;

/// <summary>
/// The imperative entry on models written the way TorchSharp users write them (torchvision architectures and a
/// hand-written Transformer): every layer found under its state-dict name, the classifier left alone, masks equal to
/// the one-layer path, global masks equal to <see cref="PrunedLayer.ComputeGlobalMasks"/>.
/// </summary>
public sealed class RealModelTreeTests
{
    public static TheoryData<string> Models => new() { "ResNet-18", "ResNet-50", "VGG-16", "MobileNetV2", "Transformer" };

    [Theory]
    [MemberData(nameof(Models))]
    public void Imperative_entry_finds_every_layer_by_its_state_dict_name_and_leaves_the_classifier(string name)
    {
        var (model, rules, layers, output) = Create(name);
        using (model)
        {
            var tree = rules(Pruning.Of(model)).Build();

            Assert.Equal(layers, tree.PrunedLayers.Count);
            Assert.Equal(output, tree.OutputLayerName);
            Assert.DoesNotContain(tree.PrunedLayers, layer => layer.Name == output);
            TreeTestKit.AssertNamesAreModulePaths(model, tree);
            Assert.True(TreeTestKit.Coverage(model, tree) >= 0.95, $"{name}: {TreeTestKit.Coverage(model, tree):P1} of the conv/linear weights are masked.");

            // The order is the state dict's: depth-first, children in registration order.
            var stateDictOrder = model.state_dict().Keys.Where(key => key.EndsWith(".weight", StringComparison.Ordinal)).Select(key => key[..^".weight".Length]).ToList();
            var pruned = tree.PrunedLayers.Select(layer => layer.Name).ToList();
            Assert.Equal(pruned, stateDictOrder.Where(pruned.Contains).ToList());
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Local_masks_equal_the_one_layer_path_and_the_model_still_runs(string name)
    {
        var (model, rules, _, _) = Create(name);
        var (copy, _, _, _) = Create(name);
        using (model)
        using (copy)
        {
            TreeTestKit.CopyParameters(model, copy);
            var tree = rules(Pruning.Of(model)).Build();

            tree.ComputeMasks();
            tree.ApplyMasks();

            TreeTestKit.AssertMasksEqualOneLayerPath(tree, copy);
            TreeTestKit.AssertMaskedWeightsAreZero(tree);
            var report = tree.GetSparsityReport();
            Assert.Equal(tree.PrunedLayers.Select(layer => layer.Name), report.Layers.Select(layer => layer.Name));
            Assert.All(report.Layers, layer => Assert.True(layer.PrunedGroups > 0, $"{layer.Name} prunes no group."));

            model.eval();
            using var scope = NewDisposeScope();
            var output = ((nn.Module<Tensor, Tensor>)model).forward(Input(name));
            Assert.Equal([2L, 10L], output.shape);
            Assert.False(output.isnan().any().item<bool>());
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Global_masks_equal_ComputeGlobalMasks_over_the_same_layers(string name)
    {
        var (model, rules, _, _) = Create(name);
        var (copy, _, _, _) = Create(name);
        using (model)
        using (copy)
        {
            TreeTestKit.CopyParameters(model, copy);
            var tree = rules(Pruning.Of(model)).Global(0.4).Build();
            Assert.Equal(PruningScope.Global, tree.PruningScope);
            Assert.Equal(0.4, tree.GlobalSparsity);

            tree.ComputeMasks();

            TreeTestKit.AssertGlobalMasksEqual(tree, copy, 0.4);
        }
    }

    [Fact]
    public void ResNet18_masks_equal_the_reference_rule_for_every_layer()
    {
        using var model = ResNet.ResNet18(numClasses: 10, width: 8);
        var tree = Pruning.Of(model).Layers<Conv2d>(Granularity.Filter, 0.3).Build();
        tree.ComputeMasks();

        foreach (var layer in tree.PrunedLayers)
        {
            var reference = new ReferenceLayer(layer.Name, layer.Kind, layer.Weight.shape.Select(size => (int)size).ToArray(), 1, layer.Settings, layer.Weight.data<float>().ToArray());
            Assert.Equal(ReferencePruning.Mask(reference, 0.3), TreeTestKit.Mask(layer));
        }
    }

    [Fact]
    public void Full_size_networks_have_torchvisions_parameter_counts_and_shapes()
    {
        // torchvision's published counts (1000 classes): the fixtures are the real architectures.
        using (var resnet18 = ResNet.ResNet18())
        {
            Assert.Equal(11_689_512, resnet18.parameters().Sum(parameter => parameter.numel()));
            var tree = Pruning.Of(resnet18).Layers<Conv2d>(Granularity.Filter, 0.5).Build();
            Assert.Equal(20, tree.PrunedLayers.Count);
        }

        using (var resnet50 = ResNet.ResNet50())
        {
            Assert.Equal(25_557_032, resnet50.parameters().Sum(parameter => parameter.numel()));
            var tree = Pruning.Of(resnet50).Layers<Conv2d>(Granularity.Filter, 0.5).Build();
            Assert.Equal(53, tree.PrunedLayers.Count);
            var byName = tree.PrunedLayers.ToDictionary(layer => layer.Name);
            Assert.Equal([64L, 3, 7, 7], byName["conv1"].Weight.shape);
            Assert.Equal([2048L, 1024, 1, 1], byName["layer4.0.downsample.0"].Weight.shape);
            Assert.Equal([2048L, 512, 1, 1], byName["layer4.2.conv3"].Weight.shape);
            Assert.Equal("fc", tree.OutputLayerName);
        }

        using (var mobilenet = new MobileNetV2())
        {
            Assert.Equal(3_504_872, mobilenet.parameters().Sum(parameter => parameter.numel()));
            var tree = Pruning.Of(mobilenet).Layers<Conv2d>(Granularity.Filter, 0.5).Build();
            Assert.Equal(52, tree.PrunedLayers.Count);
            var depthwise = tree.PrunedLayers.Single(layer => layer.Name == "features.1.conv.0.0");
            Assert.Equal([32L, 1, 3, 3], depthwise.Weight.shape);
            Assert.Equal(32, ((Conv2d)depthwise.Layer).groups);
            Assert.Equal("classifier.1", tree.OutputLayerName);
        }
    }

    /// <summary>A model small enough for the mask tests, the rules that prune it, how many layers they reach, and its output layer.</summary>
    private static (nn.Module Model, Func<PruningBuilder, PruningBuilder> Rules, int Layers, string Output) Create(string name) => name switch
    {
        // 17 convolutions + 3 downsample convolutions; fc is the output layer.
        "ResNet-18" => (ResNet.ResNet18(numClasses: 10, width: 8), rules => rules.Layers<Conv2d>(Granularity.Filter, 0.3).Layers<Linear>(Granularity.Row, 0.3), 20, "fc"),
        // 1 + 16 × 3 convolutions + 4 downsample convolutions.
        "ResNet-50" => (ResNet.ResNet50(numClasses: 10, width: 8), rules => rules.Layers<Conv2d>(Granularity.Filter, 0.3), 53, "fc"),
        // 13 convolutions and fc6, fc7; fc8 is the output layer.
        "VGG-16" => (new Vgg16(numClasses: 10, widthDivisor: 8, pooled: 1), rules => rules.Layers<Conv2d>(Granularity.Kernel, 0.5).Layers<Linear>(Granularity.Row, 0.25), 15, "classifier.fc8"),
        // The stem, 2 + 16 × 3 in the inverted residuals (expand, depthwise, project), the last 1×1.
        "MobileNetV2" => (new MobileNetV2(numClasses: 10, widthMultiplier: 0.25), rules => rules.Layers(Granularity.Filter, 0.25), 52, "classifier.1"),
        // 2 blocks × (query, key, value, output, linear1, linear2); the classifier is the output layer.
        "Transformer" => (new TransformerClassifier(vocabulary: 100, numClasses: 10), rules => rules.Layers<Linear>(Granularity.Row, 0.25), 12, "classifier"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static Tensor Input(string name) => name == "Transformer"
        ? randint(0, 100, [2, 16], dtype: ScalarType.Int64)
        : randn(2, 3, 32, 32);
}
