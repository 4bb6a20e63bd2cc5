extern alias generator;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TrackingNames = generator::PruneSharp.Generator.TrackingNames;

namespace PruneSharp.Tests;

/// <summary>The generator's pipeline caches: unrelated work reuses its models, a changed attribute does not.</summary>
public sealed class IncrementalityTests
{
    private static readonly string[] TrackedSteps = [TrackingNames.ClassTargets, TrackingNames.MemberTargets, TrackingNames.ModelClasses, TrackingNames.Models, TrackingNames.CompactionSpecs];

    [Fact]
    public void Rerun_on_a_cloned_compilation_is_all_cached()
    {
        var compilation = CompilationHelper.Compile(TestSources.SmallCnn, TestSources.Nested, GeneratorSnapshotTests.TreeModelsSource);
        var driver = CompilationHelper.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var rerun = driver.RunGenerators(compilation.Clone()).GetRunResult();

        AssertReasons(rerun, TrackedSteps, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        Assert.All(rerun.Results[0].TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs), output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void Edit_inside_a_method_body_no_parse_reads_leaves_every_step_unchanged()
    {
        var source = TestSources.SmallCnn.Replace("    public override Tensor forward", "    public int Steps(int count) => count;\n\n    public override Tensor forward", StringComparison.Ordinal);
        var compilation = CompilationHelper.Compile(source);
        var driver = CompilationHelper.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var edited = Replace(compilation, "=> count;", "=> count * 2 + 1;");
        Assert.Empty(edited.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error));

        var rerun = driver.RunGenerators(edited).GetRunResult();
        AssertReasons(rerun, TrackedSteps, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
    }

    /// <summary>Container members, typed layers inside them and selections are in the models: a changed pattern modifies the model, nothing else does.</summary>
    [Fact]
    public void Changing_a_container_selection_modifies_only_that_model()
    {
        var compilation = CompilationHelper.Compile(GeneratorSnapshotTests.TreeModelsSource);
        var driver = CompilationHelper.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var edited = Replace(compilation, "Exclude = [\"heads.1\"]", "Exclude = [\"heads.0\"]");

        var rerun = driver.RunGenerators(edited).GetRunResult();
        var models = rerun.Results[0].TrackedSteps[TrackingNames.Models].SelectMany(step => step.Outputs).ToList();
        Assert.Single(models, output => output.Reason == IncrementalStepRunReason.Modified);
        Assert.All(models.Where(output => output.Reason != IncrementalStepRunReason.Modified), output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
        Assert.Contains("Exclude = new string[] { \"heads.0\" }", CompilationHelper.PruningTrees(rerun).Single(tree => tree.FilePath.EndsWith("ContainerNet.Prune.g.cs", StringComparison.Ordinal)).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Edit_inside_forward_leaves_the_pruning_model_unchanged()
    {
        // forward is what Compact() is planned from: the plan may change, the pruning model and its output may not.
        var compilation = CompilationHelper.Compile(TestSources.SmallCnn);
        var driver = CompilationHelper.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var edited = Replace(compilation, "=> fc2.forward(", "=> 0 + 0 == 0 ? fc2.forward(");
        edited = Replace(edited, ".flatten(1)));", ".flatten(1))) : input;");
        Assert.Empty(edited.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error));

        var rerun = driver.RunGenerators(edited).GetRunResult();
        AssertReasons(rerun, [TrackingNames.Models], IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
    }

    [Fact]
    public void Changing_an_attribute_argument_modifies_the_model()
    {
        var compilation = CompilationHelper.Compile(TestSources.SmallCnn);
        var driver = CompilationHelper.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var edited = Replace(compilation, "[Prune(Granularity.Kernel, 0.5)]", "[Prune(Granularity.Kernel, 0.6)]");

        var rerun = driver.RunGenerators(edited).GetRunResult();
        var models = rerun.Results[0].TrackedSteps[TrackingNames.Models].SelectMany(step => step.Outputs).ToList();
        Assert.Contains(models, output => output.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("0.6", Assert.Single(CompilationHelper.PruningTrees(rerun)).ToString());
    }

    [Fact]
    public void Edit_inside_a_method_that_is_not_a_constructor_leaves_constructor_assigned_models_unchanged()
    {
        var compilation = CompilationHelper.Compile(TestSources.ConstructorAssigned, TestSources.AllLayerKinds);
        var driver = CompilationHelper.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var edited = Replace(compilation, "=> Head.forward(input);", "=> 0 + 0 == 0 ? Head.forward(input) : input;");
        edited = Replace(edited, "public void Rebuild(int size) => rebuilt = Linear(size, size);", "public void Rebuild(int size) => rebuilt = Linear(size + 1, size);");
        Assert.Empty(edited.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error));

        var rerun = driver.RunGenerators(edited).GetRunResult();
        AssertReasons(rerun, [TrackingNames.Models], IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
    }

    [Fact]
    public void Constructor_edit_that_keeps_the_shapes_leaves_the_model_unchanged()
    {
        var compilation = CompilationHelper.Compile(TestSources.ConstructorAssigned);
        var driver = CompilationHelper.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var edited = Replace(compilation, "Head = Linear(Hidden * 2, 10);", "Head = Linear(64, 5 + 5);");

        var rerun = driver.RunGenerators(edited).GetRunResult();
        AssertReasons(rerun, TrackedSteps, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
    }

    [Fact]
    public void Constructor_edit_that_makes_constructors_disagree_modifies_the_model()
    {
        var compilation = CompilationHelper.Compile(TestSources.ConstructorAssigned);
        var driver = CompilationHelper.CreateDriver(trackSteps: true).RunGenerators(compilation);
        Assert.Contains("new long[] { 32, 3, 3, 5 }", Assert.Single(CompilationHelper.PruningTrees(driver.GetRunResult())).ToString());
        var edited = Replace(compilation, "stem = Conv2d(3, Hidden, kernel_size: (3, 5));", "stem = Conv2d(3, Hidden, kernel_size: (3, 3));");

        var rerun = driver.RunGenerators(edited).GetRunResult();
        var models = rerun.Results[0].TrackedSteps[TrackingNames.Models].SelectMany(step => step.Outputs).ToList();
        Assert.Contains(models, output => output.Reason == IncrementalStepRunReason.Modified);
        var generated = Assert.Single(CompilationHelper.PruningTrees(rerun)).ToString();
        Assert.DoesNotContain("new long[] { 32, 3, 3, 5 }", generated);
        Assert.Contains("The pruning of <see cref=\"stem\"/>: Conv2d, shape known at run time", generated);
    }

    [Fact]
    public void A_class_is_parsed_once_however_many_members_carry_the_attribute()
    {
        // SmallCnn has a class-level [Prune] and two attributed members; RuntimeSized and Built have only attributed
        // members (2 and 8): the class target parses SmallCnn, the first attributed member parses each of the others.
        var compilation = CompilationHelper.Compile(TestSources.SmallCnn, TestSources.UnknownShapes, TestSources.ConstructorAssigned);
        var result = CompilationHelper.CreateDriver(trackSteps: true).RunGenerators(compilation).GetRunResult().Results[0];
        var fromClasses = result.TrackedSteps[TrackingNames.ClassTargets].SelectMany(step => step.Outputs).Select(output => output.Value).Where(value => value is not null).ToList();
        var fromMembers = result.TrackedSteps[TrackingNames.MemberTargets].SelectMany(step => step.Outputs).ToList();

        Assert.Single(fromClasses);
        Assert.Equal(12, fromMembers.Count);
        Assert.Equal(2, fromMembers.Count(output => output.Value is not null));
        Assert.Equal(3, result.GeneratedSources.Count(source => source.HintName.EndsWith(".Prune.g.cs", StringComparison.Ordinal)));
        Assert.Equal(3, result.GeneratedSources.Count(source => source.HintName.EndsWith(".Compact.g.cs", StringComparison.Ordinal)));
    }

    [Fact]
    public void Pipeline_outputs_hold_no_symbols_syntax_or_compilations()
    {
        var compilation = CompilationHelper.Compile(
            TestSources.SmallCnn, TestSources.UnknownShapes, TestSources.Nested, TestSources.AllLayerKinds, TestSources.ConstructorAssigned,
            TestSources.GlobalScope, TestSources.NOfMAndCustom, TestSources.CriteriaAndSchedules,
            GeneratorSnapshotTests.TreeModelsSource, GeneratorSnapshotTests.DeclaredModelsSource);
        var result = CompilationHelper.CreateDriver(trackSteps: true).RunGenerators(compilation).GetRunResult();
        var visited = 0;
        foreach (var name in TrackedSteps)
        {
            foreach (var step in result.Results[0].TrackedSteps[name])
            {
                foreach (var (value, _) in step.Outputs)
                {
                    PipelineOutputs.AssertNoRoslynObjects(value, $"{name} output");
                    visited++;
                }
            }
        }

        Assert.True(visited >= 8, $"only {visited} outputs were walked");
    }

    private static void AssertReasons(GeneratorDriverRunResult result, string[] stepNames, params IncrementalStepRunReason[] allowed)
    {
        var steps = stepNames.SelectMany(name => result.Results[0].TrackedSteps.TryGetValue(name, out var runs) ? runs : []).ToList();
        Assert.NotEmpty(steps);
        foreach (var output in steps.SelectMany(step => step.Outputs))
        {
            Assert.Contains(output.Reason, allowed);
        }
    }

    private static CSharpCompilation Replace(CSharpCompilation compilation, string oldText, string newText)
    {
        var tree = compilation.SyntaxTrees.First(candidate => candidate.ToString().Contains(oldText, StringComparison.Ordinal));
        var replaced = tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(tree.ToString().Replace(oldText, newText, StringComparison.Ordinal)));
        return compilation.ReplaceSyntaxTree(tree, replaced);
    }
}
