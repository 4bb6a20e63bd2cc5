using Microsoft.CodeAnalysis;

namespace PruneSharp.Generator;

/// <summary>
/// Generates the pruning members of every <c>partial</c> TorchSharp module class that uses <c>[Prune]</c>, on the
/// class or on its layer fields and properties. Diagnostics come from <see cref="PruneAnalyzer"/>; this generator
/// emits only what that analyzer accepts.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class PruneGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var models = ModelClassPipeline.Create(
            context,
            static (type, compilation, cancellationToken) => ModelParser.Parse(type, compilation, null, cancellationToken),
            static model => model.HintName,
            new ModelClassPipeline.StepNames(TrackingNames.ClassTargets, TrackingNames.MemberTargets, TrackingNames.Models));

        context.RegisterSourceOutput(models, static (output, model) => output.AddSource(model.HintName, Emitter.Emit(model)));
    }
}
