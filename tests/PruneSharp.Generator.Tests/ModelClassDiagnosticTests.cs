using Microsoft.CodeAnalysis;

using static PruneSharp.Tests.DiagnosticTests;

namespace PruneSharp.Tests;

/// <summary>
/// The diagnostics about a model class's shape and names, one test each with exact spans (as <see cref="DiagnosticTests"/>):
/// classes the generated code cannot be a part of, names that meet the generated ones, inheritance, properties that do
/// not hold their layer.
/// </summary>
public sealed class ModelClassDiagnosticTests
{
    [Fact]
    public Task PRUNE007_file_local_class() => AssertDiagnostics($$"""
        file sealed partial class {|PRUNE007:Model|} : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5)] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "'Model' is file-local; PruneSharp generates code only for model classes that are neither generic nor file-local");

    [Fact]
    public async Task PRUNE027_layers_whose_generated_names_meet_name_both_members()
    {
        var diagnostics = await AssertDiagnostics($$"""
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                [Prune(Granularity.Filter, 0.5)] private readonly Conv2d conv = Conv2d(3, 8, 3);
                [Prune(Granularity.Filter, 0.5)] private readonly Conv2d {|PRUNE027:_conv|} = Conv2d(8, 8, 3);
                [Prune(Granularity.Filter, 0.5)] private readonly Conv2d {|PRUNE027:m_conv|} = Conv2d(8, 8, 3);
                [Prune(Granularity.Filter, 0.5)] private readonly Conv2d {|PRUNE027:Conv|} = Conv2d(8, 8, 3);
                public Model() : base("m") { }
                {{Forward}}
            }
            """, DiagnosticSeverity.Error, "Layers 'conv' and '_conv' would both get the generated members 'ConvPruning' and 'ConvPrunedLayer', so '_conv' is not pruned; rename one of them");

        // The first member is the additional location of each.
        Assert.All(diagnostics, diagnostic => Assert.Equal("conv", Assert.Single(diagnostic.AdditionalLocations).SourceTree!.GetText().ToString(Assert.Single(diagnostic.AdditionalLocations).SourceSpan)));
    }

    [Fact]
    public Task PRUNE028_members_with_generated_names() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5)] private readonly Linear fc = Linear(4, 5);
            public void {|PRUNE028:ComputeMasks|}() { }
            public void ComputeMasks(double sparsity) { }
            public Linear {|PRUNE028:FcPruning|} => fc;
            private int {|PRUNE028:__pruneSharpFc|};
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "'ComputeMasks' has the name of 'ComputeMasks', which PruneSharp generates for 'Model' (IPrunableModule and its state), so no pruning code is generated for 'Model'; rename 'ComputeMasks'");

    [Fact]
    public Task PRUNE028_inherited_member_and_compaction_names() => AssertDiagnostics($$"""
        public class Base : Module<Tensor, Tensor>
        {
            protected Base() : base("b") { }
            public Linear? HeadPruning { get; set; }
            {{Forward}}
        }

        public sealed partial class {|PRUNE028:Model|} : Base
        {
            [Prune(Granularity.Row, 0.5)] private readonly Linear head = Linear(4, 5);
            [Prune(Granularity.Row, 0.5)] private readonly Linear tail = Linear(5, 5);
            public void {|PRUNE028:ZeroPrunedChannels|}() { }
        }
        """, DiagnosticSeverity.Error, "'HeadPruning' (inherited from 'Base') has the name of 'HeadPruning', which PruneSharp generates for layer 'head', so 'head' is not pruned; rename 'HeadPruning'");

    [Fact]
    public Task PRUNE029_model_derived_from_a_pruned_model() => AssertDiagnostics($$"""
        public partial class Backbone : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Filter, 0.5)] protected readonly Conv2d conv1 = Conv2d(3, 8, 3);
            public Backbone() : base("b") { }
            {{Forward}}
        }

        [Prune(Granularity.Filter, 0.5)]
        public sealed partial class {|PRUNE029:Classifier|} : Backbone
        {
            private readonly Conv2d conv2 = Conv2d(8, 16, 3);
        }
        """, DiagnosticSeverity.Error, "'Classifier' derives from 'Backbone', which uses [Prune]; PruneSharp generates no code for 'Classifier': declare [Prune] in one class of the hierarchy (see the docs)");

    [Fact]
    public Task PRUNE029_model_derived_from_a_class_that_implements_IPrunableModule() => AssertDiagnostics($$"""
        public abstract class Handwritten : Module<Tensor, Tensor>, IPrunableModule
        {
            protected Handwritten() : base("h") { }
            public System.Collections.Generic.IReadOnlyList<PrunedLayer> PrunedLayers => Array.Empty<PrunedLayer>();
            public PruningScope PruningScope => PruningScope.Local;
            public void ComputeMasks() { }
            public void ApplyMasks() { }
            public PruningReport GetSparsityReport() => throw new NotSupportedException();
            {{Forward}}
        }

        public sealed partial class {|PRUNE029:Model|} : Handwritten
        {
            [Prune(Granularity.Row, 0.5)] private readonly Linear fc = Linear(4, 5);
        }
        """, DiagnosticSeverity.Error, "'Model' derives from 'Handwritten', which implements IPrunableModule; PruneSharp generates no code for 'Model': declare [Prune] in one class of the hierarchy (see the docs)");

    [Fact]
    public Task PRUNE040_attribute_on_a_property_that_does_not_hold_its_layer() => AssertDiagnostics($$"""
        [Prune(Granularity.Row, 0.5)]
        public abstract partial class Model : Module<Tensor, Tensor>
        {
            private readonly Linear fc = Linear(4, 5);
            [{|PRUNE040:Prune(Granularity.Row, 0.5)|}] private Linear Expression => fc;
            [{|PRUNE040:Prune(Granularity.Row, 0.5)|}] private Linear Bodies { get { return fc; } }
            [{|PRUNE040:Prune(Granularity.Row, 0.5)|}] protected abstract Linear Abstract { get; }
            private Linear Unattributed => fc;
            protected Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "'Expression' is an expression-bodied property; [Prune] goes on the field or auto-property that holds the module, which is the one PruneSharp reads and names");
}
