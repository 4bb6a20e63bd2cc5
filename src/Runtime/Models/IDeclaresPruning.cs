namespace PruneSharp;

/// <summary>
/// A module class that declares how the layers of its module tree are pruned: its layer members, its container
/// fields, its plain arrays of layers and its class-level rule. <see cref="PruningTree.Build"/> reads the
/// declarations of every such module in a model and resolves them into one list of pruned layers.
/// </summary>
/// <remarks>
/// This is the contract between PruneSharp's generator and its run time for models that keep layers in containers
/// and block classes (<c>docs/existing-models.md</c> shows a class written as the generator emits it). A class
/// implements it explicitly and declares everything in one call; it must not compute masks or change the model
/// there, as a tree may read the declarations more than once.
/// </remarks>
public interface IDeclaresPruning
{
    /// <summary>Declares this module's pruning into <paramref name="declarations"/>; names are relative to this module.</summary>
    void DeclarePruning(PruningDeclarations declarations);
}
