using Microsoft.CodeAnalysis;
using PruneSharp.Generator.Compaction;

namespace PruneSharp.Generator;

/// <summary>
/// Generates, for every <c>partial</c> TorchSharp module class that uses <c>[Prune]</c> on the class or on its layer
/// fields and properties, the pruning members (<c>Model.Prune.g.cs</c>) and <c>Compact()</c> and
/// <c>ZeroPrunedChannels()</c> (<c>Model.Compact.g.cs</c>): two outputs of one provider, so each class is parsed once.
/// Diagnostics come from <see cref="PruneAnalyzer"/>; this generator emits only what that analyzer accepts.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class PruneGenerator : IIncrementalGenerator
{
    private readonly bool _reuseParses;

    /// <summary>The generator as the compiler and the IDE create it.</summary>
    public PruneGenerator()
        : this(reuseParses: true)
    {
    }

    /// <summary>For the benchmark that measures what reusing parses saves (<see cref="ClassParseCache{T}"/>).</summary>
    internal PruneGenerator(bool reuseParses) => _reuseParses = reuseParses;

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var classes = ModelClassPipeline.Create(context, _reuseParses);

        // A forward edit changes the plan only: the pruning output's input is then unchanged, and it is not emitted again.
        var models = classes.Select(static (modelClass, _) => modelClass.Pruning).WithTrackingName(TrackingNames.Models);
        var plans = classes.Where(static modelClass => modelClass.Compaction is not null).Select(static (modelClass, _) => modelClass.Compaction!).WithTrackingName(TrackingNames.CompactionSpecs);

        context.RegisterSourceOutput(models, static (output, model) => output.AddSource(model.HintName, Emitter.Emit(model)));
        context.RegisterSourceOutput(plans, static (output, plan) => output.AddSource(plan.HintName, CompactionEmitter.Emit(plan)));
    }
}
