using Microsoft.CodeAnalysis;
using PruneSharp.Compaction;

namespace PruneSharp.Generator.Compaction;

/// <summary>
/// Generates <c>Compact()</c> and <c>ZeroPrunedChannels()</c> for every model class <see cref="PruneGenerator"/>
/// generates pruning members for, from the dependency graph of the class's <c>forward</c>. Its information
/// diagnostics (PRUNE030–PRUNE034) come from <see cref="PruneAnalyzer"/>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class CompactionGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // The plan reads forward's body: an edit there parses again, an edit in any other method body reuses the plan.
        var specs = ModelClassPipeline.Create(
            context,
            static (type, compilation, cancellationToken) => CompactionParser.Parse(type, compilation, null, cancellationToken),
            static spec => spec.HintName,
            new ModelClassPipeline.StepNames(CompactionTrackingNames.ClassTargets, CompactionTrackingNames.MemberTargets, CompactionTrackingNames.Specs),
            "forward");

        context.RegisterSourceOutput(specs, static (output, spec) => output.AddSource(spec.HintName, CompactionEmitter.Emit(spec)));
    }
}

/// <summary>Names of the compaction pipeline's steps, for incrementality tests.</summary>
internal static class CompactionTrackingNames
{
    public const string ClassTargets = "CompactionClassTargets";
    public const string MemberTargets = "CompactionMemberTargets";
    public const string Specs = "CompactionSpecs";
}
