using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Training;

/// <summary>
/// A stand-in for one pruned layer during a sensitivity scan: it has the layer's name, kind, settings (with the
/// scan's criterion) and weight, so its <see cref="PrunedLayer.UpdateMask(double)"/> computes the mask the layer's
/// own rule would, but it keeps that mask, and every other piece of pruning state, to itself. The scanned layer's
/// mask buffer, criterion history and reported sparsity are never touched.
/// </summary>
internal sealed class ScanStandIn : PrunedLayer, IDisposable
{
    private readonly PrunedLayer _original;
    private readonly nn.Module _holder;

    public ScanStandIn(PrunedLayer original, Criterion criterion)
        : base(original.Name, original.Kind, original.Settings with { Criterion = criterion })
    {
        _original = original;
        // The mask buffer lives on the holder. The mask rule reads a convolution's groups from the layer module only
        // for grouped transposed convolutions, which the scan rejects, and for Wanda, which it does not run.
        _holder = new Holder();
    }

    public override nn.Module Layer => _holder;

    public override Parameter Weight => _original.Weight;

    public override ReadOnlySpan<long> DeclaredShape => _original.DeclaredShape;

    /// <summary>Makes the stand-in's mask a copy of <paramref name="mask"/> (all ones when <see langword="null"/>), so masks grow from the layer's own.</summary>
    public void ResetMask(Tensor? mask)
    {
        EnsureMaskBuffer();
        using (no_grad())
        {
            if (mask is not null)
            {
                Mask!.copy_(mask);
                return;
            }

            using var one = 1.0f.ToScalar();   // held: TorchSharp does not keep a Scalar alive during the call
            Mask!.fill_(one);
        }
    }

    public void Dispose()
    {
        Mask?.Dispose();
        _holder.Dispose();
    }

    private sealed class Holder() : nn.Module("ScanStandIn");
}
