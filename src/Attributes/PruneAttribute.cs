using System;

namespace PruneSharp;

/// <summary>
/// Declares how a TorchSharp layer is pruned. PruneSharp's source generator reads it at compile time,
/// validates it against the layer it is on, and emits typed code that computes, applies and reports the masks.
/// </summary>
/// <remarks>
/// <para>
/// On a <c>partial</c> class deriving from a TorchSharp <c>Module</c>, the attribute is the default for every layer
/// field or property of that class whose layer type supports the granularity (a class-level
/// <see cref="Granularity.Filter"/> applies to the <c>Conv2d</c> layers and not to <c>Linear</c> ones).
/// On a field or property holding a layer, it overrides the class default for that layer.
/// </para>
/// <para>
/// The mask is computed with the magnitude criterion: each group's score is the mean of <c>|w|</c> over the
/// granularity's dims; <c>round-half-to-even(sparsity × groups)</c> groups with the lowest scores are pruned,
/// and ties prune the group with the lower flat index first.
/// </para>
/// </remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class PruneAttribute : Attribute
{
    /// <summary>Declares the granularity and target sparsity of the pruning.</summary>
    /// <param name="granularity">The blocks of the weight that are scored and removed together.</param>
    /// <param name="sparsity">
    /// The fraction of the granularity's groups to remove, in [0, 1]. A value that would remove every group
    /// is rejected (at compile time where the layer's shape is known, otherwise when the mask is computed).
    /// </param>
    public PruneAttribute(Granularity granularity, double sparsity)
    {
        Granularity = granularity;
        Sparsity = sparsity;
    }

    /// <summary>The blocks of the weight that are scored and removed together.</summary>
    public Granularity Granularity { get; }

    /// <summary>The fraction of the granularity's groups to remove, in [0, 1].</summary>
    public double Sparsity { get; }
}
