// Two model classes and, below each, the code PruneSharp's generator is to emit for them once it reads containers and
// nested blocks (docs/existing-models.md). The attributes the user writes are in comments: with real attributes
// today's generator would emit its own (direct-field) code for these classes. Everything under "generated" is written
// exactly as the emitter will write it: typed layers for direct layer fields, one DeclarePruning call, and the
// IPrunableModule members forwarding to one PruningTree built on first use.
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.RealModels;

// [Prune(Granularity.Filter, 0.2)]
public sealed partial class DeclaredBlock : Module<Tensor, Tensor>
{
    // [Prune(Granularity.Channel, 0.5)]
    internal readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    internal readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    internal readonly Linear gate;                        // squeeze-and-excitation: Filter does not apply to Linear
    private readonly Module<Tensor, Tensor>? downsample;  // Sequential(1×1 Conv2d, BatchNorm2d) where the shape changes

    public DeclaredBlock(long input, long output, long stride = 1)
        : base(nameof(DeclaredBlock))
    {
        conv1 = Conv2d(input, output, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(output);
        conv2 = Conv2d(output, output, kernel_size: 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(output);
        gate = Linear(output, output);
        if (stride != 1 || input != output)
        {
            downsample = Sequential(Conv2d(input, output, kernel_size: 1, stride: stride, bias: false), BatchNorm2d(output));
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? x : downsample.forward(x);
        var y = bn2.forward(conv2.forward(functional.relu(bn1.forward(conv1.forward(x)))));
        var weights = functional.sigmoid(gate.forward(y.mean([2, 3]))).unsqueeze(-1).unsqueeze(-1);
        return functional.relu(y * weights + identity).MoveToOuterDisposeScope();
    }
}

// [Prune(Granularity.Weight, 0.4)]
public sealed partial class DeclaredNet : Module<Tensor, Tensor>
{
    internal readonly Conv2d stem;
    // [Prune(Granularity.Kernel, 0.5)]
    internal readonly Sequential stage;
    // [Prune(Granularity.Filter, 0.25)]
    internal readonly Conv2d[] extras;                    // a plain array: TorchSharp does not register it
    internal readonly Linear head;                        // the output layer

    public DeclaredNet(long width = 8, int classes = 10)
        : base(nameof(DeclaredNet))
    {
        stem = Conv2d(3, width, kernel_size: 3, padding: 1);
        stage = Sequential(new DeclaredBlock(width, width * 2, stride: 2), new DeclaredBlock(width * 2, width * 2));
        extras = [Conv2d(width * 2, width * 2, kernel_size: 1), Conv2d(width * 2, width * 2, kernel_size: 1)];
        head = Linear(width * 2, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = stage.forward(functional.relu(stem.forward(input)));
        foreach (var extra in extras) x = functional.relu(extra.forward(x));
        return head.forward(x.mean([2, 3])).MoveToOuterDisposeScope();
    }
}

// ---------------------------------------------------------------- generated

partial class DeclaredBlock : global::PruneSharp.IPrunableModule, global::PruneSharp.IDeclaresPruning
{
    private Conv1PrunedLayer? __pruneSharpConv1;
    private Conv2PrunedLayer? __pruneSharpConv2;
    private global::PruneSharp.PruningTree? __pruneSharpTree;

    /// <summary>The pruning of <see cref="conv1"/>: Conv2d, shape known at run time, granularity Channel (2), sparsity 0.5.</summary>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public Conv1PrunedLayer Conv1Pruning => __pruneSharpConv1 ??= new Conv1PrunedLayer(this);

    /// <summary>The pruning of <see cref="conv2"/>: Conv2d, shape known at run time, granularity Filter (2, 3, 4), sparsity 0.2.</summary>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public Conv2PrunedLayer Conv2Pruning => __pruneSharpConv2 ??= new Conv2PrunedLayer(this);

    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    private global::PruneSharp.PruningTree __PruneSharpTree => __pruneSharpTree ??= global::PruneSharp.PruningTree.Build(this);

    /// <inheritdoc/>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    void global::PruneSharp.IDeclaresPruning.DeclarePruning(global::PruneSharp.PruningDeclarations declarations) => declarations
        .Member(Conv1Pruning)
        .ClassDefault(Conv2Pruning)
        .ClassLevel(new global::PruneSharp.PruneSettings(global::PruneSharp.Granularity.Filter, 0.2), global::PruneSharp.PruningScope.Local);

    /// <inheritdoc/>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public global::System.Collections.Generic.IReadOnlyList<global::PruneSharp.PrunedLayer> PrunedLayers => __PruneSharpTree.PrunedLayers;

    /// <inheritdoc/>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public void ComputeMasks() => __PruneSharpTree.ComputeMasks();

    /// <inheritdoc/>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public void ApplyMasks() => __PruneSharpTree.ApplyMasks();

    /// <summary>Local: <see cref="ComputeMasks"/> prunes each layer to its own sparsity.</summary>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public global::PruneSharp.PruningScope PruningScope => __PruneSharpTree.PruningScope;

    /// <inheritdoc/>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public global::PruneSharp.PruningReport GetSparsityReport() => __PruneSharpTree.GetSparsityReport();

    /// <summary>The pruning state of <see cref="conv1"/>: Conv2d, shape known at run time, granularity Channel (2), sparsity 0.5.</summary>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public sealed class Conv1PrunedLayer : global::PruneSharp.PrunedLayer
    {
        private readonly DeclaredBlock _model;

        internal Conv1PrunedLayer(DeclaredBlock model)
            : base("conv1", global::PruneSharp.LayerKind.Conv2d, new global::PruneSharp.PruneSettings(global::PruneSharp.Granularity.Channel, 0.5))
        {
            _model = model;
        }

        /// <summary>The layer.</summary>
        public global::TorchSharp.Modules.Conv2d TypedLayer => _model.conv1;

        /// <inheritdoc/>
        public override global::TorchSharp.torch.nn.Module Layer => _model.conv1;

        /// <inheritdoc/>
        public override global::TorchSharp.Modules.Parameter Weight => _model.conv1.weight ?? throw new global::System.InvalidOperationException("Layer 'conv1' has no weight.");
    }

    /// <summary>The pruning state of <see cref="conv2"/>: Conv2d, shape known at run time, granularity Filter (2, 3, 4), sparsity 0.2.</summary>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public sealed class Conv2PrunedLayer : global::PruneSharp.PrunedLayer
    {
        private readonly DeclaredBlock _model;

        internal Conv2PrunedLayer(DeclaredBlock model)
            : base("conv2", global::PruneSharp.LayerKind.Conv2d, new global::PruneSharp.PruneSettings(global::PruneSharp.Granularity.Filter, 0.2))
        {
            _model = model;
        }

        /// <summary>The layer.</summary>
        public global::TorchSharp.Modules.Conv2d TypedLayer => _model.conv2;

        /// <inheritdoc/>
        public override global::TorchSharp.torch.nn.Module Layer => _model.conv2;

        /// <inheritdoc/>
        public override global::TorchSharp.Modules.Parameter Weight => _model.conv2.weight ?? throw new global::System.InvalidOperationException("Layer 'conv2' has no weight.");
    }
}

partial class DeclaredNet : global::PruneSharp.IPrunableModule, global::PruneSharp.IDeclaresPruning
{
    private StemPrunedLayer? __pruneSharpStem;
    private global::PruneSharp.PruningTree? __pruneSharpTree;

    /// <summary>The pruning of <see cref="stem"/>: Conv2d, shape known at run time, granularity Weight (0), sparsity 0.4.</summary>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public StemPrunedLayer StemPruning => __pruneSharpStem ??= new StemPrunedLayer(this);

    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    private global::PruneSharp.PruningTree __PruneSharpTree => __pruneSharpTree ??= global::PruneSharp.PruningTree.Build(this);

    /// <inheritdoc/>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    void global::PruneSharp.IDeclaresPruning.DeclarePruning(global::PruneSharp.PruningDeclarations declarations) => declarations
        .ClassDefault(StemPruning)
        .Container("stage", new global::PruneSharp.PruneSettings(global::PruneSharp.Granularity.Kernel, 0.5))
        .Unregistered("extras", extras)
        .Container("extras", new global::PruneSharp.PruneSettings(global::PruneSharp.Granularity.Filter, 0.25))
        .ClassLevel(new global::PruneSharp.PruneSettings(global::PruneSharp.Granularity.Weight, 0.4), global::PruneSharp.PruningScope.Local);

    /// <inheritdoc/>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public global::System.Collections.Generic.IReadOnlyList<global::PruneSharp.PrunedLayer> PrunedLayers => __PruneSharpTree.PrunedLayers;

    /// <inheritdoc/>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public void ComputeMasks() => __PruneSharpTree.ComputeMasks();

    /// <inheritdoc/>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public void ApplyMasks() => __PruneSharpTree.ApplyMasks();

    /// <summary>Local: <see cref="ComputeMasks"/> prunes each layer to its own sparsity.</summary>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public global::PruneSharp.PruningScope PruningScope => __PruneSharpTree.PruningScope;

    /// <inheritdoc/>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public global::PruneSharp.PruningReport GetSparsityReport() => __PruneSharpTree.GetSparsityReport();

    /// <summary>The pruning state of <see cref="stem"/>: Conv2d, shape known at run time, granularity Weight (0), sparsity 0.4.</summary>
    [global::System.CodeDom.Compiler.GeneratedCode("PruneSharp.Generator", "{version}")]
    public sealed class StemPrunedLayer : global::PruneSharp.PrunedLayer
    {
        private readonly DeclaredNet _model;

        internal StemPrunedLayer(DeclaredNet model)
            : base("stem", global::PruneSharp.LayerKind.Conv2d, new global::PruneSharp.PruneSettings(global::PruneSharp.Granularity.Weight, 0.4))
        {
            _model = model;
        }

        /// <summary>The layer.</summary>
        public global::TorchSharp.Modules.Conv2d TypedLayer => _model.stem;

        /// <inheritdoc/>
        public override global::TorchSharp.torch.nn.Module Layer => _model.stem;

        /// <inheritdoc/>
        public override global::TorchSharp.Modules.Parameter Weight => _model.stem.weight ?? throw new global::System.InvalidOperationException("Layer 'stem' has no weight.");
    }
}
