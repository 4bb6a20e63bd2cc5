extern alias generator;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using PruneSharp.CodeFixes;
using PruneAnalyzer = generator::PruneSharp.Generator.PruneAnalyzer;

namespace PruneSharp.Tests;

/// <summary>
/// The code fixes, through Roslyn's code-fix test framework: the text before and after each fix, its title and
/// equivalence key, and fix-all over a document, project and solution.
/// </summary>
public sealed class CodeFixTests
{
    private const string Forward = "public override Tensor forward(Tensor input) => input;";

    [Fact]
    public Task PRUNE005_make_partial_adds_partial_before_the_type_keyword() => VerifyFix<MakePartialCodeFix>(
        $$"""
        public sealed class {|PRUNE005:Model|} : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5)] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """,
        $$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.5)] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """,
        MakePartialCodeFix.EquivalenceKey,
        "Make 'Model' and its containing types partial");

    [Fact]
    public Task PRUNE005_make_partial_fixes_every_type_of_the_chain_at_once() => VerifyFix<MakePartialCodeFix>(
        $$"""
        namespace Zoo
        {
            class {|PRUNE005:Outer|}
            {
                internal static partial class Middle
                {
                    [Prune(Granularity.Filter, 0.3)]
                    public class {|PRUNE005:Model|} : Module<Tensor, Tensor>
                    {
                        private readonly Conv2d conv = Conv2d(3, 8, 3);
                        public Model() : base("m") { }
                        {{Forward}}
                    }
                }
            }
        }
        """,
        $$"""
        namespace Zoo
        {
            partial class Outer
            {
                internal static partial class Middle
                {
                    [Prune(Granularity.Filter, 0.3)]
                    public partial class Model : Module<Tensor, Tensor>
                    {
                        private readonly Conv2d conv = Conv2d(3, 8, 3);
                        public Model() : base("m") { }
                        {{Forward}}
                    }
                }
            }
        }
        """,
        MakePartialCodeFix.EquivalenceKey,
        "Make 'Model' and its containing types partial");

    // Fixing to Layer is legal but, with local scope, prunes nothing: the fixed code has PRUNE022.
    [Theory]
    [InlineData(0, "Weight")]
    [InlineData(1, "Column")]
    [InlineData(2, "Row")]
    [InlineData(3, "Layer")]
    public Task PRUNE001_offers_each_granularity_of_the_layer_kind(int index, string granularity) => VerifyFix<UseGranularityCodeFix>(
        $$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune({|PRUNE001:Granularity.Filter|}, 0.3)] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """,
        $$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune({{(granularity == "Layer" ? "{|PRUNE022:Granularity.Layer|}" : "Granularity." + granularity)}}, 0.3)] private readonly Linear fc = Linear(4, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """,
        UseGranularityCodeFix.EquivalenceKeyPrefix + granularity,
        $"Use Granularity.{granularity}",
        index);

    [Fact]
    public Task PRUNE001_replaces_a_cast_with_the_member_simplified_to_the_usings() => VerifyFix<UseGranularityCodeFix>(
        $$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune({|PRUNE001:(Granularity)99|}, 0.3)] private readonly Conv3d conv = Conv3d(2, 4, 3);
            public Model() : base("m") { }
            {{Forward}}
        }
        """,
        $$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Kernel, 0.3)] private readonly Conv3d conv = Conv3d(2, 4, 3);
            public Model() : base("m") { }
            {{Forward}}
        }
        """,
        UseGranularityCodeFix.EquivalenceKeyPrefix + "Kernel",
        "Use Granularity.Kernel",
        index: 4);

    [Fact]
    public Task PRUNE001_fix_all_applies_the_same_granularity_to_every_layer() => VerifyFix<UseGranularityCodeFix>(
        $$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune({|PRUNE001:Granularity.Filter|}, 0.3)] private readonly Linear fc1 = Linear(4, 5);
            [Prune({|PRUNE001:PruneSharp.Granularity.Kernel|}, 0.3)] private readonly Linear fc2 = Linear(5, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """,
        $$"""
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            [Prune(Granularity.Row, 0.3)] private readonly Linear fc1 = Linear(4, 5);
            [Prune(PruneSharp.Granularity.Row, 0.3)] private readonly Linear fc2 = Linear(5, 5);
            public Model() : base("m") { }
            {{Forward}}
        }
        """,
        UseGranularityCodeFix.EquivalenceKeyPrefix + "Row",
        "Use Granularity.Row",
        index: 2);

    /// <summary>Markup marks the diagnostics expected before the fix and, in <paramref name="after"/>, those left after it.</summary>
    [Fact]
    public Task PRUNE026_remove_RoundTo_drops_the_argument_and_its_comma() => VerifyFix<RemoveRoundToCodeFix>(
        $$"""
        [Prune(Granularity.Filter, 0.3, Scope = PruningScope.Global, RoundTo = {|PRUNE026:8|})]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 16, 3);
            [Prune(Granularity.Row, 0.3, RoundTo = {|PRUNE026:4|}, Criterion = Criterion.LargeFinal)] private readonly Linear fc = Linear(16, 32);
            public Model() : base("m") { }
            {{Forward}}
        }
        """,
        $$"""
        [Prune(Granularity.Filter, 0.3, Scope = PruningScope.Global)]
        public sealed partial class Model : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv = Conv2d(3, 16, 3);
            [Prune(Granularity.Row, 0.3, Criterion = Criterion.LargeFinal)] private readonly Linear fc = Linear(16, 32);
            public Model() : base("m") { }
            {{Forward}}
        }
        """,
        RemoveRoundToCodeFix.EquivalenceKey,
        "Remove RoundTo");

    private static async Task VerifyFix<TFix>(string before, string after, string equivalenceKey, string title, int index = 0)
        where TFix : CodeFixProvider, new()
    {
        var test = new FixTest<TFix>
        {
            TestCode = TestSources.Usings + before,
            FixedCode = TestSources.Usings + after,
            CodeActionIndex = index,
            CodeActionEquivalenceKey = equivalenceKey,
            CodeActionVerifier = (action, verifier) => verifier.Equal(title, action.Title),
        };

        // Compaction's information diagnostics (PRUNE030-039) are about forward, which these sources leave as a stub.
        test.DisabledDiagnostics.AddRange(Enumerable.Range(30, 10).Select(id => $"PRUNE0{id}"));
        await test.RunAsync();
    }

    /// <summary>
    /// The framework's test, compiled against the running runtime and PruneSharp's assemblies (no reference-assembly
    /// package: nothing is downloaded). The generator does not run, so the sources only hold what the analyzer reads.
    /// </summary>
    private sealed class FixTest<TFix> : CSharpCodeFixTest<PruneAnalyzer, TFix, DefaultVerifier>
        where TFix : CodeFixProvider, new()
    {
        public FixTest()
        {
            ReferenceAssemblies = new ReferenceAssemblies("net10.0");
            TestState.AdditionalReferences.AddRange(CompilationHelper.References);
            FixedState.AdditionalReferences.AddRange(CompilationHelper.References);
        }
    }
}
