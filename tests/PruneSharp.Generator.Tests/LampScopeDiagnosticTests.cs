using Microsoft.CodeAnalysis;
using static PruneSharp.Tests.DiagnosticTests;

namespace PruneSharp.Tests;

/// <summary>
/// The compile-time checks of LAMP as global scope's normalization (PRUNE044–PRUNE046), and the snapshot of a model
/// that declares it: the generated class-level settings carry <c>Normalization</c>.
/// </summary>
public sealed class LampScopeDiagnosticTests
{
    [Fact]
    public Task PRUNE044_normalization_under_local_scope() => AssertDiagnostics($$"""
        [Prune(Granularity.Filter, 0.5, Normalization = {|PRUNE044:GlobalScoreNormalization.Lamp|})]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 16, 3);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Warning, "Normalization Lamp on 'Model' has no effect: the scope is local, where each layer is ranked on its own; set Scope = PruningScope.Global, or remove Normalization");

    [Fact]
    public Task PRUNE045_normalization_on_a_layer_member() => AssertDiagnostics($$"""
        [Prune(Granularity.Filter, 0.5, Scope = PruningScope.Global)]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 16, 3);
            [Prune(Granularity.Row, 0.5, Normalization = {|PRUNE045:GlobalScoreNormalization.Lamp|})] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Normalization is set on 'fc', but it belongs to the global ranking, which is model-wide: set it on the class-level [Prune] that sets Scope = PruningScope.Global");

    [Fact]
    public Task PRUNE045_normalization_on_a_container_even_when_it_says_none() => AssertDiagnostics($$"""
        [Prune(Granularity.Filter, 0.5, Scope = PruningScope.Global, Normalization = GlobalScoreNormalization.Lamp)]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Kernel, 0.5, Normalization = {|PRUNE045:GlobalScoreNormalization.None|})] private readonly Sequential features = Sequential(Conv2d(3, 8, 3), Conv2d(8, 8, 3));
            private readonly Linear head = Linear(8, 10);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public Task PRUNE046_a_member_criterion_that_can_score_below_zero_under_LAMP() => AssertDiagnostics($$"""
        [Prune(Granularity.Filter, 0.5, Scope = PruningScope.Global, Normalization = GlobalScoreNormalization.Lamp)]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Filter, 0.5, Criterion = {|PRUNE046:Criterion.MagnitudeIncrease|})] private readonly Conv2d conv1 = Conv2d(3, 8, 3);
            [Prune(Granularity.Filter, 0.5, Criterion = Criterion.Taylor)] private readonly Conv2d conv2 = Conv2d(8, 8, 3);
            [Prune(Granularity.Filter, 0.5, Criterion = Criterion.Movement)] private readonly Conv2d conv3 = Conv2d(8, 8, 3);
            [Prune(Granularity.Filter, 0.5, Criterion = Criterion.Random)] private readonly Conv2d conv4 = Conv2d(8, 8, 3);
            private readonly Conv2d conv5 = Conv2d(8, 8, 3);
            private readonly Linear head = Linear(8, 10);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "'conv1' uses criterion MagnitudeIncrease, which can score below zero, but 'Model' normalizes global scores with Lamp, which is defined for magnitudes; use a criterion that is never negative or no normalization");

    [Theory]
    [InlineData("SmallFinal")]
    [InlineData("SmallInit")]
    [InlineData("SmallInitSmallFinal")]
    [InlineData("MagnitudeIncrease")]
    [InlineData("UpdatingMagnitudeIncrease")]
    public Task PRUNE046_on_the_class_level_criterion(string criterion) => AssertDiagnostics($$"""
        [Prune(Granularity.Filter, 0.5, Scope = PruningScope.Global, Normalization = GlobalScoreNormalization.Lamp, Criterion = {|PRUNE046:Criterion.{{criterion}}|})]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv1 = Conv2d(3, 8, 3);
            private readonly Conv2d conv2 = Conv2d(8, 8, 3);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error);

    [Fact]
    public async Task Every_criterion_that_is_never_negative_is_accepted_under_LAMP()
    {
        // The criteria whose score can be negative by their definition (Criterion's docs): −|w|, −|w0|, −max(|w0|, |w|), |w| − |w0|, |w| − |wp|.
        Criterion[] canScoreNegative = [Criterion.SmallFinal, Criterion.SmallInit, Criterion.SmallInitSmallFinal, Criterion.MagnitudeIncrease, Criterion.UpdatingMagnitudeIncrease];
        foreach (var criterion in Enum.GetValues<Criterion>().Except(canScoreNegative))
        {
            var diagnostics = await CompilationHelper.AnalyzeAsync(TestSources.Usings + $$"""
                [Prune(Granularity.Filter, 0.5, Scope = PruningScope.Global, Normalization = GlobalScoreNormalization.Lamp, Criterion = Criterion.{{criterion}})]
                public sealed partial class Model : Module<Tensor, Tensor>
                {
                    private readonly Conv2d conv1 = Conv2d(3, 8, 3);
                    private readonly Conv2d conv2 = Conv2d(8, 8, 3);
                    public Model() : base("m") { }
                    {{Forward}}
                }
                """);
            Assert.Empty(diagnostics.Where(diagnostic => diagnostic.Id.StartsWith("PRUNE", StringComparison.Ordinal) && diagnostic.Severity >= DiagnosticSeverity.Warning));
        }
    }

    [Fact]
    public Task An_undefined_normalization_value_is_PRUNE023() => AssertDiagnostics($$"""
        [Prune(Granularity.Filter, 0.5, Scope = PruningScope.Global, Normalization = {|PRUNE023:(GlobalScoreNormalization)7|})]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 16, 3);
            public Model() : base("m") { }
            {{Forward}}
        }
        """, DiagnosticSeverity.Error, "Normalization 7 on 'Model' is not a member of GlobalScoreNormalization");

    [Fact]
    public void A_LAMP_global_model_emits_the_normalization_into_its_class_level_settings()
    {
        const string source = TestSources.Usings + """
            namespace Zoo.Lamp;

            [Prune(Granularity.Filter, 0.4, Scope = PruningScope.Global, Normalization = GlobalScoreNormalization.Lamp, Schedule = Schedule.Agp)]
            public sealed partial class LampRanked : Module<Tensor, Tensor>
            {
                private readonly Conv2d conv1 = Conv2d(3, 16, 3);
                private readonly Conv2d conv2 = Conv2d(16, 32, 3);
                [Prune(Granularity.Row, 0.4)] private readonly Linear head = Linear(32, 10);

                public LampRanked() : base(nameof(LampRanked)) => RegisterComponents();

                public override Tensor forward(Tensor input) => input;
            }
            """;
        var (result, diagnostics) = CompilationHelper.Generate(source);
        Assert.Empty(diagnostics.Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error));
        var file = Assert.Single(Assert.Single(result.Results).GeneratedSources, generated => generated.HintName.EndsWith(".Prune.g.cs", StringComparison.Ordinal));
        var text = file.SourceText.ToString();
        const string settings = "new global::PruneSharp.PruneSettings(global::PruneSharp.Granularity.Filter, 0.4) { Schedule = global::PruneSharp.Schedule.Agp, Normalization = global::PruneSharp.GlobalScoreNormalization.Lamp }";
        Assert.Contains($"declarations.ClassLevel({settings}, global::PruneSharp.PruningScope.Global);", text, StringComparison.Ordinal);
        Assert.Contains($"GlobalSettings {{ get; }} = {settings};", text, StringComparison.Ordinal);
        Snapshots.Verify($"{nameof(LampScopeDiagnosticTests)}.{nameof(A_LAMP_global_model_emits_the_normalization_into_its_class_level_settings)}#{file.HintName}", text);
    }
}
