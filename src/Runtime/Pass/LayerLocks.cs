using System;
using System.Threading;

namespace PruneSharp;

/// <summary>
/// The locks of the layers of one mask pass, held from its check to its commit. They are taken in the layers' creation
/// order (<see cref="LayerState.Sequence"/>), the same for every pass, so passes over overlapping sets of layers (a model
/// and a block inside it, two models sharing a layer) wait for each other but never deadlock; passes over disjoint
/// sets (different models) never touch each other's locks.
/// </summary>
internal ref struct LayerLocks
{
    private Lock? _single;
    private PrunedLayer[]? _ordered;

    /// <summary>Takes the locks of <paramref name="layers"/>; one layer takes one lock and allocates nothing.</summary>
    /// <exception cref="ArgumentException">A layer appears twice.</exception>
    public static LayerLocks Enter(ReadOnlySpan<PrunedLayer> layers)
    {
        var locks = default(LayerLocks);
        if (layers.Length == 1)
        {
            locks._single = layers[0].State.Lock;
            locks._single.Enter();
            return locks;
        }

        var ordered = layers.ToArray();
        Array.Sort(ordered, static (a, b) => a.State.Sequence.CompareTo(b.State.Sequence));
        for (var index = 1; index < ordered.Length; index++)
        {
            if (ReferenceEquals(ordered[index], ordered[index - 1]))
            {
                throw new ArgumentException($"Layer '{ordered[index].Name}' appears twice in one mask pass; each layer's mask is computed once per pass.", nameof(layers));
            }
        }

        for (var index = 0; index < ordered.Length; index++)
        {
            try
            {
                ordered[index].State.Lock.Enter();
            }
            catch
            {
                for (var taken = index - 1; taken >= 0; taken--) ordered[taken].State.Lock.Exit();
                throw;
            }
        }

        locks._ordered = ordered;
        return locks;
    }

    /// <summary>Releases the locks, in the reverse order.</summary>
    public void Dispose()
    {
        _single?.Exit();
        _single = null;
        if (_ordered is null) return;
        for (var index = _ordered.Length - 1; index >= 0; index--) _ordered[index].State.Lock.Exit();
        _ordered = null;
    }
}
