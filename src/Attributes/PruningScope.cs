namespace PruneSharp;

/// <summary>Where groups compete for survival.</summary>
public enum PruningScope
{
    /// <summary>Each layer is ranked on its own and pruned to its own sparsity. The default.</summary>
    Local,

    /// <summary>
    /// All pruned layers of the model are ranked together and the model-wide sparsity is reached over their union;
    /// every layer keeps at least its best group. Set on the class-level attribute; per-layer sparsities do not apply.
    /// </summary>
    Global,
}
