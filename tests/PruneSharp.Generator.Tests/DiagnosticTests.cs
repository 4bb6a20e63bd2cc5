extern alias generator;

using Microsoft.CodeAnalysis;

namespace PruneSharp.Tests;

/// <summary>One test per diagnostic: its ID, severity and exact span; plus suppression and clean models.</summary>
public sealed class DiagnosticTests
{
    internal const string Forward = "public override Tensor forward(Tensor input) => input;";

    [Fact]
    public Task PRUNE001_granularity_that_does_not_apply_to_the_layer_type() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune({|PRUNE001:Granularity.Filter|}, 0.3)] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Granularity 'Filter' does not apply to Linear layer 'fc'; valid granularities for Linear: Weight, Column, Row, Layer");

    [Fact]
    public Task PRUNE002_sparsity_above_one_on_a_member() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, {|PRUNE002:1.5|})] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Sparsity 1.5 of 'fc' is outside [0, 1]; it is the fraction of groups to remove");

    [Fact]
    public Task PRUNE002_negative_sparsity_on_the_class_named_argument() => AssertDiagnostics($$"""
        [Prune(sparsity: {|PRUNE002:-0.1|}, granularity: Granularity.Filter)]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 8, 3);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public Task PRUNE003_sparsity_that_removes_every_filter_of_a_known_shape() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Filter, {|PRUNE003:0.9|})] private readonly Conv2d conv = Conv2d(3, 4, 3);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Sparsity 0.9 would remove all 4 groups of layer 'conv' (Conv2d [4, 3, 3, 3], granularity Filter); use at most 0.75 to keep at least one group");

    [Fact]
    public Task PRUNE003_from_the_class_default_is_reported_at_the_class_attribute() => AssertDiagnostics($$"""
        [Prune(Granularity.SharedVerticalSlice, {|PRUNE003:0.6|})]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 4, (3, 1));
            private readonly Conv2d head = Conv2d(4, 2, 1);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public Task PRUNE003_sparsity_one_removes_every_group_whatever_the_shape() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Weight, {|PRUNE003:1.0|})] private readonly Linear fc;
            public Model(int size) : base("m") { fc = Linear(size, size); }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error);

    /// <summary>The output layer: a class-level [Prune] leaves it alone (where the class is the model), so it is not checked against it.</summary>
    [Fact]
    public Task PRUNE003_not_for_the_output_layer_a_class_level_Prune_leaves_alone() => AssertDiagnostics($$"""
        [Prune(Granularity.Filter, {|PRUNE003:0.6|})]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 1, 3);
            private readonly Conv2d head = Conv2d(1, 1, 1);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Sparsity 0.6 would remove all 1 groups of layer 'conv' (Conv2d [1, 3, 3, 3], granularity Filter); use at most 0 to keep at least one group");

    [Fact]
    public Task PRUNE004_attribute_on_a_member_that_is_not_a_supported_layer() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [{|PRUNE004:Prune(Granularity.Weight, 0.5)|}] private readonly BatchNorm2d bn = BatchNorm2d(8);
            [{|PRUNE004:Prune(Granularity.Weight, 0.5)|}] private int count;
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public Task PRUNE005_class_not_partial() => AssertDiagnostics($$"""
        public sealed class {|PRUNE005:Model|} : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5)] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "'Model' must be declared partial so PruneSharp can generate its pruning members");

    [Fact]
    public Task PRUNE005_containing_class_not_partial() => AssertDiagnostics($$"""
        public static class {|PRUNE005:Outer|}
        {
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                [Prune(Granularity.Row, 0.5)] private readonly Linear fc = Linear(4, 5);
                public Model() : base("m") { }
                {{Forward}}
            }
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public Task PRUNE006_class_not_a_module() => AssertDiagnostics("""
        [Prune(Granularity.Filter, 0.5)]
        public sealed partial class {|PRUNE006:NotAModel|}
        {
            private readonly Conv2d conv = Conv2d(3, 8, 3);
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public Task PRUNE007_generic_class() => AssertDiagnostics($$"""
        public sealed partial class {|PRUNE007:Model|}<T> : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5)] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public Task PRUNE008_class_default_that_applies_to_no_layer() => AssertDiagnostics($$"""
        [{|PRUNE008:Prune(Granularity.Filter, 0.3)|}]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = Linear(4, 5);
            [Prune(Granularity.Row, 0.5)] private readonly Linear fc2 = Linear(5, 2);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Warning);

    [Fact]
    public async Task PRUNE001_on_a_new_layer_kind_lists_its_table_and_carries_it_for_the_code_fix()
    {
        const string expected = "Weight,SharedWeight,Channel,SharedChannel,Kernel,SharedKernel,Filter,Layer";
        var diagnostics = await AssertDiagnostics($$"""
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                [Prune({|PRUNE001:Granularity.Row|}, 0.3)] private readonly Conv1d conv = Conv1d(4, 4, 3);
                public Model() : base("m") { }
                {{Forward}}
            }
            """, DiagnosticSeverity.Error, "Granularity 'Row' does not apply to Conv1d layer 'conv'; valid granularities for Conv1d: Weight, SharedWeight, Channel, SharedChannel, Kernel, SharedKernel, Filter, Layer");
        Assert.Equal(expected, diagnostics[0].Properties["ValidGranularities"]);
    }

    [Fact]
    public Task PRUNE001_undefined_granularity_value() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune({|PRUNE001:(Granularity)99|}, 0.3)] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Granularity '99' does not apply to Linear layer 'fc'; valid granularities for Linear: Weight, Column, Row, Layer");

    [Fact]
    public Task PRUNE003_on_a_Conv3d_with_a_known_shape() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Filter, {|PRUNE003:0.9|})] private readonly Conv3d conv = Conv3d(3, 4, (3, 1, 1));
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Sparsity 0.9 would remove all 4 groups of layer 'conv' (Conv3d [4, 3, 3, 1, 1], granularity Filter); use at most 0.75 to keep at least one group");

    [Fact]
    public Task PRUNE003_counts_the_output_channels_of_a_grouped_transposed_convolution() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            // [4, 3, 3, 3] viewed per group: 2 groups × 3 output channels = 6 filters. 0.9 × 6 = 5.4 → 5 keeps one.
            [Prune(Granularity.Filter, 0.9)] private readonly ConvTranspose2d kept = ConvTranspose2d(4, 6, 3, groups: 2);
            [Prune(Granularity.Filter, {|PRUNE003:0.95|})] private readonly ConvTranspose2d removed = ConvTranspose2d(4, 6, 3, groups: 2);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Sparsity 0.95 would remove all 6 groups of layer 'removed' (ConvTranspose2d [4, 3, 3, 3], granularity Filter); use at most 0.8333333333333334 to keep at least one group");

    [Fact]
    public Task PRUNE003_with_a_shape_assigned_in_the_constructor() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, {|PRUNE003:0.9|})] private readonly Linear fc;
            public Model() : base("m") { this.fc = Linear(8, 3); }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Sparsity 0.9 would remove all 3 groups of layer 'fc' (Linear [3, 8], granularity Row); use at most 0.6666666666666666 to keep at least one group");

    [Fact]
    public Task PRUNE003_Layer_granularity_is_one_group_whatever_the_shape() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Layer, {|PRUNE003:0.6|})] private readonly Linear fc;
            public Model(int size) : base("m") { fc = Linear(size, size); }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Sparsity 0.6 would remove all 1 groups of layer 'fc' (Linear, granularity Layer); use at most 0 to keep at least one group");

    [Fact]
    public Task PRUNE009_custom_granularity_without_dims() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune({|PRUNE009:Granularity.Custom|}, 0.5)] private readonly Conv2d conv = Conv2d(3, 4, 3);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Granularity.Custom on 'conv' needs the dims to reduce over: add Dims = new[] { ... }");

    [Fact]
    public Task PRUNE010_custom_dims_past_the_rank_or_repeated() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Custom, 0.5, Dims = {|PRUNE010:new[] { 1, 3 }|})] private readonly Linear fc = Linear(4, 5);
            [Prune(Granularity.Custom, 0.5, Dims = {|PRUNE010:new[] { 2, 2 }|})] private readonly Conv2d conv = Conv2d(3, 4, 3);
            [Prune(Granularity.Custom, 0.5, Dims = {|PRUNE010:new int[0]|})] private readonly Conv1d empty = Conv1d(3, 4, 3);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Dims (1, 3) do not fit layer 'fc' (Linear, weight rank 2): give at least one dim, each in [0, 2] and none twice");

    [Fact]
    public Task PRUNE010_container_custom_dims_name_the_first_layer_they_do_not_fit() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Custom, 0.5, Dims = {|PRUNE010:new[] { 3, 4 }|})] private readonly Sequential heads = Sequential(("age", Linear(4, 1)), ("label", Linear(4, 5)));
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Dims (3, 4) do not fit layer 'heads.age' (Linear, weight rank 2): give at least one dim, each in [0, 2] and none twice");

    /// <summary>A class-level Custom whose dims fit some layers reaches those and skips the others, as a granularity that does not fit a kind does.</summary>
    [Fact]
    public Task PRUNE010_not_for_class_level_custom_dims_that_fit_some_layers() => AssertDiagnostics($$"""
        [Prune(Granularity.Custom, 0.5, Dims = new[] { 3, 4 })]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 4, 3);
            private readonly Linear fc = Linear(4, 5);
            private readonly Conv2d head = Conv2d(4, 2, 1);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public Task PRUNE011_dims_with_a_granularity_other_than_custom() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5, Dims = {|PRUNE011:new[] { 1 }|})] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Dims are set on 'fc', whose granularity is Row; only Granularity.Custom reads them: remove Dims or use Granularity.Custom");

    [Fact]
    public Task PRUNE012_invalid_N_of_M() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune({|PRUNE012:0|}, 4)] private readonly Linear a = Linear(8, 5);
            [Prune(4, {|PRUNE012:4|})] private readonly Linear b = Linear(8, 5);
            [Prune({|PRUNE012:Granularity.NOfM|}, 0.5)] private readonly Linear c = Linear(8, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "N:M 0:4 on 'a' is invalid: N must be at least 1 and M greater than N; declare it as [Prune(n, m)]");

    [Fact]
    public Task PRUNE013_input_size_not_a_multiple_of_M() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(2, {|PRUNE013:4|})] private readonly Linear fc = Linear(6, 4);
            [Prune(2, {|PRUNE013:4|})] private readonly ConvTranspose2d up = ConvTranspose2d(6, 8, 3);
            [Prune(2, 4)] private readonly Conv2d grouped = Conv2d(16, 8, 3, groups: 4);
            [Prune(2, 4)] private readonly Linear unknown;
            public Model(int size) : base("m") { unknown = Linear(size, 4); }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "N:M 2:4 does not fit layer 'fc' (Linear [4, 6]): its input size 6 (weight axis 1) is not a multiple of M = 4");

    [Fact]
    public Task PRUNE014_negative_RoundTo() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Filter, 0.5, RoundTo = {|PRUNE014:-8|})] private readonly Conv2d conv = Conv2d(3, 16, 3);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "RoundTo -8 on 'conv' is negative; use 0 (off) or a positive multiple");

    [Fact]
    public Task PRUNE015_RoundTo_not_below_the_group_count_keeps_every_group() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Filter, 0.5, RoundTo = {|PRUNE015:8|})] private readonly Conv2d conv = Conv2d(3, 8, 3);
            [Prune(Granularity.Filter, 0.5, RoundTo = 4)] private readonly Conv2d fits = Conv2d(3, 8, 3);
            [Prune(Granularity.Filter, 0.5, RoundTo = 64)] private readonly Conv2d unknown;
            public Model(int size) : base("m") { unknown = Conv2d(3, size, 3); }
            {{Forward}}
        }
        """, DiagnosticSeverity.Warning, "RoundTo 8 is not below the 8 groups of layer 'conv' (Conv2d [8, 3, 3, 3], granularity Filter), so every group is kept and nothing is pruned");

    [Fact]
    public Task PRUNE016_N_of_M_with_RoundTo() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(2, 4, RoundTo = {|PRUNE016:8|})] private readonly Linear fc = Linear(8, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "RoundTo 8 on 'fc' conflicts with its N:M pattern, which fixes how many weights of each run are kept; remove RoundTo");

    [Fact]
    public Task PRUNE017_scope_on_a_member() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5, Scope = {|PRUNE017:PruningScope.Local|})] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Scope is set on 'fc', but the scope is model-wide: set it on the class-level [Prune]");

    [Fact]
    public Task PRUNE018_member_sparsity_that_differs_from_the_global_one() => AssertDiagnostics($$"""
        [Prune(Granularity.Filter, 0.4, Scope = PruningScope.Global)]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 16, 3);
            [Prune(Granularity.Row, {|PRUNE018:0.6|})] private readonly Linear fc = Linear(16, 10);
            [Prune(Granularity.Column, 0.4)] private readonly Linear same = Linear(10, 10);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Warning, "'fc' declares sparsity 0.6, but 'Model' uses global scope, where ComputeMasks() prunes every layer towards the class-level sparsity 0.4; use 0.4 here, or local scope");

    [Fact]
    public Task PRUNE019_schedule_points_outside_zero_one() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5, Schedule = Schedule.Agp, ScheduleStart = {|PRUNE019:-0.1|}, ScheduleEnd = {|PRUNE019:1.5|})] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "ScheduleStart -0.1 on 'fc' is outside [0, 1]; it is a fraction of training");

    [Fact]
    public Task PRUNE020_schedule_start_after_end() => AssertDiagnostics($$"""
        [Prune(Granularity.Filter, 0.5, Schedule = Schedule.Cosine, ScheduleStart = {|PRUNE020:0.8|}, ScheduleEnd = 0.5)]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 16, 3);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "ScheduleStart 0.8 on 'Model' is after ScheduleEnd 0.5");

    [Fact]
    public Task PRUNE021_iterative_schedule_without_steps() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5, Schedule = Schedule.Iterative, ScheduleSteps = {|PRUNE021:0|})] private readonly Linear fc = Linear(4, 5);
            [Prune(Granularity.Row, 0.5, Schedule = Schedule.Linear, ScheduleSteps = 0)] private readonly Linear steps_ignored = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "ScheduleSteps 0 on 'fc' is below 1; Schedule.Iterative needs at least one step");

    [Fact]
    public Task PRUNE022_Layer_granularity_with_local_scope() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune({|PRUNE022:Granularity.Layer|}, 0.3)] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Warning, "Granularity.Layer makes layer 'fc' one group, and with local scope sparsity 0.3 keeps it, so nothing is pruned; use a finer granularity");

    [Fact]
    public Task PRUNE022_Layer_granularity_with_global_scope() => AssertDiagnostics($$"""
        [Prune(Granularity.Filter, 0.3, Scope = PruningScope.Global)]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 16, 3);
            [Prune({|PRUNE022:Granularity.Layer|}, 0.3)] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Warning, "Granularity.Layer makes layer 'fc' one group, and 'Model' uses global scope, where every layer keeps its best group, so nothing is pruned; use a finer granularity");

    [Fact]
    public Task PRUNE023_value_that_is_not_a_member_of_its_enum() => AssertDiagnostics($$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5, Criterion = {|PRUNE023:(Criterion)99|}, Reducer = {|PRUNE023:(Reducer)7|})] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Criterion 99 on 'fc' is not a member of Criterion");

    [Fact]
    public Task PRUNE024_N_of_M_under_global_scope() => AssertDiagnostics($$"""
        [Prune(Granularity.Filter, 0.4, Scope = PruningScope.Global)]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 16, 3);
            [Prune({|PRUNE024:2|}, 4)] private readonly Linear fc = Linear(16, 10);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "'fc' uses N:M, which keeps N of every M weights within the layer and cannot be ranked with other layers, but 'Model' uses global scope; use local scope or another granularity");

    [Fact]
    public Task PRUNE025_global_sparsity_that_needs_a_layers_last_group() => AssertDiagnostics($$"""
        [Prune(Granularity.Filter, {|PRUNE025:0.9|}, Scope = PruningScope.Global)]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv1 = Conv2d(3, 4, 3);
            private readonly Conv2d conv2 = Conv2d(4, 6, 3);
            private readonly Conv2d head = Conv2d(6, 2, 1);   // the output layer: not pruned, not counted
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Global sparsity 0.9 of 'Model' would prune 9 of the 10 groups of its 2 layers, but every layer keeps its best group; use at most 0.8");

    [Fact]
    public Task PRUNE026_RoundTo_under_global_scope() => AssertDiagnostics($$"""
        [Prune(Granularity.Filter, 0.3, Scope = PruningScope.Global, RoundTo = {|PRUNE026:8|})]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 16, 3);
            [Prune(Granularity.Row, 0.3, RoundTo = {|PRUNE026:4|})] private readonly Linear fc = Linear(16, 32);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Warning, "RoundTo 8 on 'Model' has no effect: 'Model' uses global scope, which ranks the groups of all layers together and does not round per layer; remove RoundTo or use local scope");

    [Fact]
    public async Task Global_scope_skips_the_per_layer_PRUNE003_but_not_PRUNE022()
    {
        // Locally 0.8 of conv1's 2 filters rounds to both; globally round(0.8 × 19) = 15 of the 2 + 16 + 1 groups leaves
        // each of the 3 layers one. The Layer-granularity fc is that one group, so it is never pruned: PRUNE022.
        var diagnostics = await CompilationHelper.AnalyzeAsync(TestSources.Usings + $$"""
            [Prune(Granularity.Filter, 0.8, Scope = PruningScope.Global)]
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                private readonly Conv2d conv1 = Conv2d(3, 2, 3);
                private readonly Conv2d conv2 = Conv2d(2, 16, 3);
                [Prune(Granularity.Layer, 0.8)] private readonly Linear fc = Linear(4, 4);
                public Model() : base("m") { }
                {{Forward}}
            }
            """);
        Assert.Equal("PRUNE022", Assert.Single(diagnostics).Id);
    }

    [Fact]
    public async Task Layers_with_errors_are_left_out_of_the_generated_code_and_layers_with_warnings_are_kept()
    {
        var source = TestSources.Usings + $$"""
            public sealed partial class Model : Module<Tensor, Tensor>
            {
                [Prune(Granularity.Custom, 0.5, Dims = new[] { 5 })] private readonly Linear broken = Linear(4, 5);
                [Prune(Granularity.Layer, 0.3)] private readonly Linear warned = Linear(4, 5);
                [Prune(Granularity.Row, 0.5)] private readonly Linear fine = Linear(4, 5);
                public Model() : base("m") { }
                {{Forward}}
            }
            """;
        var diagnostics = await CompilationHelper.AnalyzeAsync(source);
        Assert.Equal(["PRUNE010", "PRUNE022"], diagnostics.Select(diagnostic => diagnostic.Id).OrderBy(id => id, StringComparer.Ordinal));

        var generated = Assert.Single(CompilationHelper.PruningTrees(CompilationHelper.Generate(source).Result)).ToString();
        Assert.DoesNotContain("BrokenPruning", generated, StringComparison.Ordinal);
        Assert.Contains("WarnedPruning", generated, StringComparison.Ordinal);
        Assert.Contains("FinePruning", generated, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pragma_suppresses_a_warning_of_the_new_properties()
    {
        var diagnostics = await CompilationHelper.AnalyzeAsync(TestSources.Usings + $$"""
            public sealed partial class Model : Module<Tensor, Tensor>
            {
            #pragma warning disable PRUNE015
                [Prune(Granularity.Filter, 0.5, RoundTo = 8)] private readonly Conv2d conv = Conv2d(3, 8, 3);
            #pragma warning restore PRUNE015
                [Prune(Granularity.Filter, 0.5, RoundTo = 8)] private readonly Conv2d other = Conv2d(3, 8, 3);
                public Model() : base("m") { }
                {{Forward}}
            }
            """);
        var remaining = Assert.Single(diagnostics);
        Assert.Equal("PRUNE015", remaining.Id);
        Assert.Contains("'other'", remaining.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Pragma_suppresses_a_diagnostic_at_its_location()
    {
        var diagnostics = await CompilationHelper.AnalyzeAsync(TestSources.Usings + $$"""
            public sealed partial class Model : Module<Tensor, Tensor>
            {
            #pragma warning disable PRUNE003
                [Prune(Granularity.Filter, 0.9)] private readonly Conv2d conv = Conv2d(3, 4, 3);
            #pragma warning restore PRUNE003
                [Prune(Granularity.Filter, 0.9)] private readonly Conv2d other = Conv2d(3, 4, 3);
                public Model() : base("m") { }
                {{Forward}}
            }
            """);
        var remaining = Assert.Single(diagnostics);
        Assert.Equal("PRUNE003", remaining.Id);
        Assert.Contains("'other'", remaining.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Valid_models_have_no_diagnostics()
    {
        Assert.Empty(await CompilationHelper.AnalyzeAsync(TestSources.SmallCnn));
        Assert.Empty(await CompilationHelper.AnalyzeAsync(TestSources.UnknownShapes));
        Assert.Empty(await CompilationHelper.AnalyzeAsync(TestSources.Nested));
        Assert.Empty(await CompilationHelper.AnalyzeAsync(TestSources.AllLayerKinds));
        Assert.Empty(await CompilationHelper.AnalyzeAsync(TestSources.ConstructorAssigned));
        Assert.Empty(await CompilationHelper.AnalyzeAsync(TestSources.GlobalScope));
        Assert.Empty(await CompilationHelper.AnalyzeAsync(TestSources.NOfMAndCustom));
        Assert.Empty(await CompilationHelper.AnalyzeAsync(TestSources.CriteriaAndSchedules));
    }

    [Fact]
    public void Every_diagnostic_has_a_test_a_docs_section_a_README_row_and_a_release_entry()
    {
        var analyzer = new generator::PruneSharp.Generator.PruneAnalyzer();
        var ids = analyzer.SupportedDiagnostics.Select(descriptor => descriptor.Id).Distinct().ToList();
        Assert.True(ids.Count >= 30, $"only {ids.Count} descriptors");
        var tests = typeof(DiagnosticTests).Assembly.GetTypes().SelectMany(type => type.GetMethods()).Select(method => method.Name).ToList();
        var docs = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "diagnostics.md"));
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        var releases = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "src", "Generator", "AnalyzerReleases.Unshipped.md"));
        foreach (var id in ids)
        {
            Assert.True(tests.Any(name => name.StartsWith(id + "_", StringComparison.Ordinal)), $"no test named {id}_...");
            Assert.True(docs.Contains($"## {id}\n", StringComparison.Ordinal) || docs.Contains($"### {id}\n", StringComparison.Ordinal), $"no section for {id} in docs/diagnostics.md");
            Assert.True(readme.Contains($"[{id}](docs/diagnostics.md#{id.ToLowerInvariant()})", StringComparison.Ordinal), $"no README row for {id}");
            Assert.True(releases.Contains(id + " |", StringComparison.Ordinal), $"no AnalyzerReleases entry for {id}");
        }
    }

    /// <summary>Asserts exactly the marked diagnostics (ID and span), their severity and the first one's message; returns them in source order.</summary>
    internal static async Task<IReadOnlyList<Diagnostic>> AssertDiagnostics(string markup, DiagnosticSeverity severity, string? message = null)
    {
        var (source, expected) = DiagnosticMarkup.Parse(TestSources.Usings + markup);
        var diagnostics = (await CompilationHelper.AnalyzeAsync(source)).OrderBy(diagnostic => diagnostic.Location.SourceSpan.Start).ToList();
        var actual = diagnostics.Select(diagnostic => (diagnostic.Id, diagnostic.Location.SourceSpan)).ToList();
        Assert.Equal(expected, actual);
        Assert.All(diagnostics, diagnostic => Assert.Equal(severity, diagnostic.Severity));
        Assert.All(diagnostics, diagnostic => Assert.True(diagnostic.Location.IsInSource));
        if (message is not null)
        {
            Assert.Equal(message, diagnostics[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        }

        return diagnostics;
    }
}
