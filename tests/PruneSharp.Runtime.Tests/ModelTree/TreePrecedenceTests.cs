using PruneSharp.Tests.RealModels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.ModelTree;

/// <summary>Which declaration prunes a layer (docs/architecture.md, rules 2 and 3), layers pruned once, and the names of nested blocks' layers.</summary>
public sealed class TreePrecedenceTests
{
    [Fact]
    public void Generated_style_model_resolves_members_classes_containers_and_arrays_by_precedence()
    {
        using var model = new DeclaredNet();
        var block = (DeclaredBlock)model.stage[0];

        var layers = model.PrunedLayers.ToDictionary(layer => layer.Name);

        // Declaration order of the tree: depth-first, then the unregistered array after the registered children.
        Assert.Equal(
            ["stem", "stage.0.conv1", "stage.0.conv2", "stage.0.gate", "stage.0.downsample.0", "stage.1.conv1", "stage.1.conv2", "stage.1.gate", "extras.0", "extras.1"],
            model.PrunedLayers.Select(layer => layer.Name));
        Expect(layers["stem"], Granularity.Weight, 0.4);                  // the class-level [Prune] on a direct field
        Expect(layers["stage.0.conv1"], Granularity.Channel, 0.5);        // the member's own [Prune] beats its class's
        Expect(layers["stage.0.conv2"], Granularity.Filter, 0.2);         // the holding class beats the enclosing container
        Expect(layers["stage.0.downsample.0"], Granularity.Filter, 0.2);  // a block's class-level reaches into its Sequential
        Expect(layers["stage.0.gate"], Granularity.Weight, 0.4);          // Filter and Kernel skip Linear: the root's Weight applies
        Expect(layers["extras.1"], Granularity.Filter, 0.25);             // a container beats the enclosing class-level
        Assert.DoesNotContain("head", layers.Keys);                       // the output layer

        // The typed members of the classes are the tree's layers, named by their path in the root.
        Assert.Same(model.StemPruning, layers["stem"]);
        Assert.Same(block.Conv1Pruning, layers["stage.0.conv1"]);
        Assert.Same(block.Conv2Pruning, layers["stage.0.conv2"]);
        Assert.Equal("stage.0.conv1", block.Conv1Pruning.Name);

        // A tree built later on the block alone does not shorten the names the root gave.
        Assert.Contains(block.Conv1Pruning, block.PrunedLayers);
        Assert.Equal("stage.0.conv1", block.Conv1Pruning.Name);

        TreeTestKit.AssertNamesAreModulePaths(model, Registered(model));
    }

    [Fact]
    public void Generated_style_model_computes_applies_and_reports_its_whole_tree()
    {
        using var model = new DeclaredNet();
        model.ComputeMasks();
        model.ApplyMasks();

        TreeTestKit.AssertMaskedWeightsAreZero(model);
        var report = model.GetSparsityReport();
        Assert.Equal(10, report.Layers.Count);
        Assert.Equal(16 * 3 * 3, report.Layers.Single(layer => layer.Name == "stage.0.conv1").Groups); // Channel: one vector per (output, kernel position)
        Assert.Equal(0.5, report.Layers.Single(layer => layer.Name == "stage.0.conv1").MeasuredSparsity);
        using var scope = NewDisposeScope();
        Assert.Equal([2L, 10L], model.forward(randn(2, 3, 16, 16)).shape);
    }

    [Fact]
    public void Block_generated_today_composes_inside_a_plain_model()
    {
        using var model = Sequential(("stem", Conv2d(3, 4, 3, padding: 1)), ("block", new AnnotatedBlock()), ("head", Linear(8, 10)));

        var tree = Pruning.Of(model).Layers(Granularity.Weight, 0.1).Build();
        var layers = tree.PrunedLayers.ToDictionary(layer => layer.Name);

        Assert.Equal(["stem", "block.conv1", "block.conv2", "block.proj"], tree.PrunedLayers.Select(layer => layer.Name));
        Expect(layers["stem"], Granularity.Weight, 0.1);
        Expect(layers["block.conv1"], Granularity.Filter, 0.25);  // the block's member [Prune]
        Expect(layers["block.conv2"], Granularity.Kernel, 0.5);   // the block's class-level [Prune]
        Expect(layers["block.proj"], Granularity.Weight, 0.1);    // nothing in the block declares it: the enclosing rule
        TreeTestKit.AssertNamesAreModulePaths(model, tree);
    }

    [Fact]
    public void Later_rules_win_and_a_named_layer_wins_over_every_rule()
    {
        using var model = ResNet.ResNet18(numClasses: 10, width: 8);

        var tree = Pruning.Of(model)
            .Layers(Granularity.Weight, 0.1)
            .Layers<Conv2d>(Granularity.Filter, 0.3).Except("layer4")
            .Layer("layer1.0.conv1", Granularity.Kernel, 0.5)
            .Build();
        var layers = tree.PrunedLayers.ToDictionary(layer => layer.Name);

        Expect(layers["layer1.0.conv1"], Granularity.Kernel, 0.5);
        Expect(layers["layer1.0.conv2"], Granularity.Filter, 0.3);
        Expect(layers["layer4.0.conv1"], Granularity.Weight, 0.1);        // the later rule excepts layer4: the earlier one applies
        Expect(layers["layer4.0.downsample.0"], Granularity.Weight, 0.1);
        Assert.Equal(20, tree.PrunedLayers.Count);                         // every convolution once, fc (output) left alone
    }

    [Fact]
    public void A_module_registered_twice_is_pruned_once_under_its_first_name()
    {
        var shared = Conv2d(4, 4, 3, padding: 1);
        using var model = Sequential(("a", shared), ("b", Conv2d(4, 4, 3, padding: 1)), ("again", shared), ("head", Linear(4, 2)));

        var tree = Pruning.Of(model).Layers(Granularity.Weight, 0.5).Layers<Conv2d>(Granularity.Filter, 0.5).Matching("a").Build();

        Assert.Equal(["a", "b"], tree.PrunedLayers.Select(layer => layer.Name));
        Expect(tree.PrunedLayers[0], Granularity.Filter, 0.5);            // two rules reach it by two paths; the later wins, once
        Expect(tree.PrunedLayers[1], Granularity.Weight, 0.5);
        var alias = Assert.Throws<InvalidOperationException>(() => Pruning.Of(model).Layer("again", Granularity.Filter, 0.5).Build());
        Assert.StartsWith("Layer(\"again\", …): that module is registered twice, and the tree names it by its first path, 'a'.", alias.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_output_layer_is_left_alone_unless_a_rule_opts_in_or_names_it()
    {
        using var model = ResNet.ResNet18(numClasses: 10, width: 8);

        Assert.DoesNotContain(Pruning.Of(model).Layers(Granularity.Row, 0.2).Build().PrunedLayers, layer => layer.Name == "fc");
        var optedIn = Pruning.Of(model).Layers(Granularity.Row, 0.2).IncludingOutputLayer().Build();
        Expect(optedIn.PrunedLayers.Single(layer => layer.Name == "fc"), Granularity.Row, 0.2);
        var named = Pruning.Of(model).Layers<Conv2d>(Granularity.Filter, 0.2).Layer("fc", Granularity.Column, 0.5).Build();
        Expect(named.PrunedLayers.Single(layer => layer.Name == "fc"), Granularity.Column, 0.5);
        Assert.Equal(21, named.PrunedLayers.Count);

        // A rule may reach nothing in a given model (fc is the only Linear here), but an entry that prunes nothing says why.
        Assert.Equal(20, Pruning.Of(model).Layers<Conv2d>(Granularity.Filter, 0.2).Layers<Linear>(Granularity.Row, 0.2).Build().PrunedLayers.Count);
        var onlyOutput = Assert.Throws<InvalidOperationException>(() => Pruning.Of(model).Layers<Linear>(Granularity.Row, 0.2).Build());
        Assert.StartsWith("Pruning.Of(ResNet) prunes no layer: Layers<Linear>(Row, 0.2): it selects the output layer 'fc', which is left alone unless the rule says IncludingOutputLayer() or Layer(\"fc\", …) names it. The model's prunable layers: conv1 (Conv2d),", onlyOutput.Message, StringComparison.Ordinal);
        var narrowed = Assert.Throws<InvalidOperationException>(() => Pruning.Of(model).Layers<Conv2d>(Granularity.Filter, 0.2).Layers(Granularity.Row, 0.2).Matching("fc").Build());
        Assert.StartsWith("Layers(Row, 0.2) reaches no layer: it selects the output layer 'fc'", narrowed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_output_layer_is_the_last_in_depth_first_order_not_in_TorchSharps_named_modules_order()
    {
        using var model = new ExamplesStyleNet();

        var tree = Pruning.Of(model).Layers(Granularity.Weight, 0.3).Build();

        // TorchSharp lists a level's children before their descendants, so its last prunable module is a block's conv;
        // the classifier is last in depth-first (state-dict) order.
        Assert.Equal("layers.blck-8-0.blck-8-0-conv2d-1", TreeTestKit.PrunableModules(model)[^1].Name);
        Assert.Equal("layers.linear", tree.OutputLayerName);
        Assert.Equal(["layers.conv2d-first", "layers.blck-8-0.blck-8-0-conv2d-1"], tree.PrunedLayers.Select(layer => layer.Name));
    }

    [Fact]
    public void Names_are_the_registered_names_of_renamed_fields_and_auto_properties()
    {
        using var model = new RenamedFieldsNet();

        var tree = Pruning.Of(model).Layers(Granularity.Weight, 0.3).IncludingOutputLayer().Build();

        Assert.Equal(["first", "<Second>k__BackingField", "<Head>k__BackingField"], tree.PrunedLayers.Select(layer => layer.Name));
        TreeTestKit.AssertNamesAreModulePaths(model, tree);
        Assert.Equal(["<Second>k__BackingField"], Pruning.Of(model).Layers(Granularity.Weight, 0.3).Matching("<Second>*").Build().PrunedLayers.Select(layer => layer.Name));
    }

    [Fact]
    public void Layers_in_plain_arrays_are_named_by_access_path_and_registered_ones_keep_their_names()
    {
        var convs = new[] { Conv2d(4, 4, 1), Conv2d(4, 4, 1) };
        using var model = Sequential(("stem", Conv2d(3, 4, 3)), ("head", Linear(4, 2)));

        var tree = Pruning.Of(model).Unregistered("convs", [convs[0], convs[1], (nn.Module)model[0]]).Layers<Conv2d>(Granularity.Filter, 0.5).Build();

        Assert.Equal(["stem", "convs.0", "convs.1"], tree.PrunedLayers.Select(layer => layer.Name));
        Assert.Same(convs[1], tree.PrunedLayers[2].Layer);
        Assert.Equal("head", tree.OutputLayerName);   // unregistered layers are not in named_modules(): the last registered one is the output
    }

    [Fact]
    public void Patterns_select_and_except_layers_by_dotted_name()
    {
        using var model = ResNet.ResNet18(numClasses: 10, width: 8);

        var selected = Pruning.Of(model).Layers<Conv2d>(Granularity.Filter, 0.3).Matching("layer1", "layer2.*.conv?").Except("**.conv2").Build();
        Assert.Equal(["layer1.0.conv1", "layer1.1.conv1", "layer2.0.conv1", "layer2.1.conv1"], selected.PrunedLayers.Select(layer => layer.Name));

        var excepted = Pruning.Of(model).Layers<Conv2d>(Granularity.Filter, 0.3).Except("layer*.*.downsample", "conv1").Build();
        Assert.Equal(16, excepted.PrunedLayers.Count);
        Assert.DoesNotContain(excepted.PrunedLayers, layer => layer.Name.Contains("downsample", StringComparison.Ordinal) || layer.Name == "conv1");

        var typo = Assert.Throws<InvalidOperationException>(() => Pruning.Of(model).Layers<Conv2d>(Granularity.Filter, 0.3).Except("layer5").Build());
        Assert.StartsWith("Layers<Conv2d>(Filter, 0.3): Except(\"layer5\") matches no prunable layer. The model's prunable layers: conv1 (Conv2d), layer1.0.conv1 (Conv2d)", typo.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => Pruning.Of(model).Layers<Conv2d>(Granularity.Filter, 0.3).Matching("layers").Build());
        Assert.Throws<ArgumentException>(() => Pruning.Of(model).Layers<Conv2d>(Granularity.Filter, 0.3).Matching("layer1..conv1"));
    }

    [Fact]
    public void A_granularity_that_fits_no_layer_of_a_rule_is_skipped_but_a_named_layer_must_fit()
    {
        using var model = ResNet.ResNet18(numClasses: 10, width: 8);

        // Filter applies to the convolutions only: the rule skips fc, even opted in, without an error.
        var convolutions = Pruning.Of(model).Layers(Granularity.Filter, 0.3).IncludingOutputLayer().Build();
        Assert.Equal(20, convolutions.PrunedLayers.Count);
        Assert.DoesNotContain(convolutions.PrunedLayers, layer => layer.Kind == LayerKind.Linear);

        using var transformer = new TransformerClassifier(vocabulary: 100, numClasses: 10);
        var none = Assert.Throws<InvalidOperationException>(() => Pruning.Of(transformer).Layers(Granularity.Filter, 0.3).Build());
        Assert.StartsWith("Pruning.Of(TransformerClassifier) prunes no layer: Layers(Filter, 0.3): no layer of a kind its granularity fits matches its selection", none.Message, StringComparison.Ordinal);
        var kind = Assert.Throws<ArgumentException>(() => Pruning.Of(transformer).Layers<Linear>(Granularity.Filter, 0.3));
        Assert.StartsWith("Layers<Linear>(Filter, 0.3): granularity Filter does not apply to Linear layers; valid granularities for Linear: Weight, Column, Row, Layer.", kind.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_layer_declared_by_its_own_member_cannot_be_named_again()
    {
        using var model = new DeclaredNet();

        var error = Assert.Throws<InvalidOperationException>(() => Pruning.Of(model).Layer("stage.0.conv1", Granularity.Filter, 0.1).Build());

        Assert.Equal("Layer 'stage.0.conv1' is declared by its own [Prune] in a model class, so Layer(\"stage.0.conv1\", …) cannot declare it again: remove one of the two.", error.Message);
        var missing = Assert.Throws<InvalidOperationException>(() => Pruning.Of(model).Layer("stage.0.bn1", Granularity.Filter, 0.1).Build());
        Assert.StartsWith("Layer(\"stage.0.bn1\", …): it is a BatchNorm2d, which PruneSharp cannot prune. The model's prunable layers: stem (Conv2d),", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_imperative_entry_on_a_generated_style_model_adds_to_its_declarations()
    {
        using var model = new DeclaredNet();

        var tree = Pruning.Of(model).Layer("head", Granularity.Row, 0.1).Build();
        var layers = tree.PrunedLayers.ToDictionary(layer => layer.Name);

        Expect(layers["head"], Granularity.Row, 0.1);               // named: the output layer too
        Expect(layers["stage.0.conv1"], Granularity.Channel, 0.5);  // the model's own declarations stay
        Expect(layers["stem"], Granularity.Weight, 0.4);
        Assert.Equal(11, tree.PrunedLayers.Count);

        // The model's class-level rule reaches every convolution first: an entry rule for them has nothing left.
        var shadowed = Pruning.Of(model).Layers<Conv2d>(Granularity.Kernel, 0.9).Build();
        Assert.Equal(model.PrunedLayers.Select(layer => (layer.Name, layer.Settings)), shadowed.PrunedLayers.Select(layer => (layer.Name, layer.Settings)));
        var narrowed = Assert.Throws<InvalidOperationException>(() => Pruning.Of(model).Layers<Conv2d>(Granularity.Kernel, 0.9).Matching("stage").Build());
        Assert.StartsWith("Layers<Conv2d>(Kernel, 0.9) reaches no layer: no layer of a kind its granularity fits matches its selection, or a more specific declaration prunes each one that does.", narrowed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_generated_today_keeps_its_layers_and_global_scope_under_the_imperative_entry()
    {
        using var model = new GlobalModel();
        using var copy = new GlobalModel();
        TreeTestKit.CopyParameters(model, copy);

        var tree = Pruning.Of(model).Build();
        tree.ComputeMasks();
        copy.ComputeMasks();

        Assert.Equal(PruningScope.Global, tree.PruningScope);
        Assert.Equal(0.5, tree.GlobalSparsity);
        Assert.Equal(["small", "large"], tree.PrunedLayers.Select(layer => layer.Name));   // its class-level [Prune] opts in to the output layer
        Assert.Equal(copy.PrunedLayers.Select(TreeTestKit.Mask), tree.PrunedLayers.Select(TreeTestKit.Mask));
    }

    [Fact]
    public void Layers_in_ModuleList_and_ModuleDict_are_named_by_index_and_key()
    {
        using var model = new MultiHeadNet();

        var tree = Pruning.Of(model).Layers(Granularity.Weight, 0.5).Build();

        Assert.Equal(["convs.0", "convs.1", "heads.age"], tree.PrunedLayers.Select(layer => layer.Name));
        Assert.Equal("heads.label", tree.OutputLayerName);
        TreeTestKit.AssertNamesAreModulePaths(model, tree);
    }

    [Fact]
    public void Every_layer_kind_is_found_by_its_type_and_grouped_transposed_convolutions_are_masked_as_one_layer_is()
    {
        using var model = new EveryKindNet();
        using var copy = new EveryKindNet();
        TreeTestKit.CopyParameters(model, copy);

        var tree = Pruning.Of(model).Layers(Granularity.Filter, 0.5).IncludingOutputLayer().Build();
        tree.ComputeMasks();

        Assert.Equal(
            [("signal.conv", LayerKind.Conv1d), ("signal.up", LayerKind.ConvTranspose1d), ("volume.conv", LayerKind.Conv3d), ("volume.up", LayerKind.ConvTranspose3d), ("image.up", LayerKind.ConvTranspose2d), ("image.head", LayerKind.Conv2d)],
            tree.PrunedLayers.Select(layer => (layer.Name, layer.Kind)));
        TreeTestKit.AssertMasksEqualOneLayerPath(tree, copy);
        Assert.Equal(8, tree.GetSparsityReport().Layers.Single(layer => layer.Name == "image.up").Groups);  // output channels across both groups
    }

    [Fact]
    public void A_block_selection_matches_names_relative_to_the_block_and_may_opt_into_the_output_layer()
    {
        var block = new SelectiveBlock();
        using var model = nn.Sequential(("stem", Conv2d(3, 4, 3)), ("inner", block));

        var tree = PruningTree.Build(model);

        // "b" is excepted relative to the block (inner.b); Linear is not among the kinds; the output layer opted in.
        Assert.Equal(["inner.a", "inner.c"], tree.PrunedLayers.Select(layer => layer.Name));
        Assert.Equal("inner.c", tree.OutputLayerName);
    }

    [Fact]
    public void A_collection_named_deep_in_the_tree_gets_the_declarations_of_the_block_that_holds_it()
    {
        var extra = Conv2d(4, 4, 1);
        using var model = nn.Sequential(("stem", Conv2d(3, 4, 3)), ("inner", new SelectiveBlock()));

        var tree = Pruning.Of(model).Unregistered("inner.extras", [extra]).Layers(Granularity.Filter, 0.5).Build();
        var layers = tree.PrunedLayers.ToDictionary(layer => layer.Name);

        Assert.Same(extra, layers["inner.extras.0"].Layer);
        Expect(layers["inner.extras.0"], Granularity.Weight, 0.5);   // the block's class-level rule, not the entry's
        Expect(layers["stem"], Granularity.Filter, 0.5);
    }

    [Fact]
    public void A_member_declaration_prunes_the_output_layer_and_takes_its_name_in_the_root()
    {
        var block = new MemberOutputBlock();
        using var model = nn.Sequential(("stem", Conv2d(3, 4, 3)), ("inner", block));

        var tree = PruningTree.Build(model);

        Assert.Equal("inner.head", tree.OutputLayerName);
        Assert.Equal(["inner.head"], tree.PrunedLayers.Select(layer => layer.Name));
        Assert.Same(block.HeadPruning, tree.PrunedLayers[0]);
    }

    private sealed class MemberOutputBlock : Module<Tensor, Tensor>, IDeclaresPruning
    {
        private readonly Linear head = Linear(4, 4);

        public MemberOutputBlock() : base(nameof(MemberOutputBlock))
        {
            RegisterComponents();
            HeadPruning = new ModulePrunedLayer("head", head, new PruneSettings(Granularity.Row, 0.5));
        }

        public PrunedLayer HeadPruning { get; }

        public void DeclarePruning(PruningDeclarations declarations) => declarations.Member(HeadPruning);

        public override Tensor forward(Tensor input) => head.forward(input);
    }

    private sealed class SelectiveBlock : Module<Tensor, Tensor>, IDeclaresPruning
    {
        private readonly Conv2d a = Conv2d(4, 4, 3);
        private readonly Conv2d b = Conv2d(4, 4, 3);
        private readonly Linear fc = Linear(4, 4);
        private readonly Conv2d c = Conv2d(4, 4, 1);

        public SelectiveBlock() : base(nameof(SelectiveBlock)) => RegisterComponents();

        public void DeclarePruning(PruningDeclarations declarations) => declarations.ClassLevel(
            new PruneSettings(Granularity.Weight, 0.5),
            selection: new LayerSelection { Exclude = ["b"], Kinds = [LayerKind.Conv2d], IncludeOutputLayer = true });

        public override Tensor forward(Tensor input) => c.forward(b.forward(a.forward(input)));
    }

    internal static void Expect(PrunedLayer layer, Granularity granularity, double sparsity)
    {
        Assert.True(layer.Granularity == granularity && layer.TargetSparsity == sparsity, $"Layer '{layer.Name}' is pruned at {layer.Granularity} {layer.TargetSparsity}, not {granularity} {sparsity}.");
    }

    /// <summary>The model's pruned layers that are registered (the unregistered array is not in named_modules()).</summary>
    private static IPrunableModule Registered(DeclaredNet model) => TreeTestKit.RegisteredLayers(model, "extras.");
}
