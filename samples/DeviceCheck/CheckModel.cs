using System.Collections.Generic;
using PruneSharp;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.DeviceCheck;

/// <summary>
/// One layer of every kind, pruned as a user would declare it. The generator handles Conv2d and Linear on this
/// branch, so those two carry <c>[Prune]</c> and get generated code (<see cref="IPrunableModule"/>, typed members).
/// The other five kinds get hand-written layers shaped like the generated ones (the same member and class names, the
/// same constructor call, the declared shape): once the generator handles a kind, put <c>[Prune]</c> with the same
/// arguments on its field, delete its hand-written property and class, and drop it from <see cref="AllLayers"/>.
/// </summary>
/// <remarks>The shapes are those of <see cref="LayerSpec.OfEveryKind"/>: grouped, with non-square kernels.</remarks>
internal sealed partial class CheckModel : nn.Module
{
    [Prune(Granularity.Kernel, 0.5)] private readonly Conv2d conv2d;
    [Prune(Granularity.Row, 0.4)] private readonly Linear linear;
    private readonly Conv1d conv1d;
    private readonly Conv3d conv3d;
    private readonly ConvTranspose1d convTranspose1d;
    private readonly ConvTranspose2d convTranspose2d;
    private readonly ConvTranspose3d convTranspose3d;

    private Conv1dPrunedLayer? _conv1dPruning;
    private Conv3dPrunedLayer? _conv3dPruning;
    private ConvTranspose1dPrunedLayer? _convTranspose1dPruning;
    private ConvTranspose2dPrunedLayer? _convTranspose2dPruning;
    private ConvTranspose3dPrunedLayer? _convTranspose3dPruning;

    public CheckModel(Device device, ScalarType dtype) : base(nameof(CheckModel))
    {
        conv2d = nn.Conv2d(8, 12, (3, 2), groups: 2, device: device, dtype: dtype);
        linear = nn.Linear(16, 12, device: device, dtype: dtype);
        conv1d = nn.Conv1d(8, 12, 3, groups: 2, device: device, dtype: dtype);
        conv3d = nn.Conv3d(8, 6, (3, 2, 2), groups: 2, device: device, dtype: dtype);
        convTranspose1d = nn.ConvTranspose1d(8, 12, 3, groups: 2, device: device, dtype: dtype);
        convTranspose2d = nn.ConvTranspose2d(8, 12, (3, 2), groups: 2, device: device, dtype: dtype);
        convTranspose3d = nn.ConvTranspose3d(8, 6, (3, 2, 2), groups: 2, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>Every pruned layer: the generated ones, then the hand-written ones.</summary>
    public IReadOnlyList<PrunedLayer> AllLayers =>
        [.. PrunedLayers, Conv1dPruning, Conv3dPruning, ConvTranspose1dPruning, ConvTranspose2dPruning, ConvTranspose3dPruning];

    /// <summary>Whether a layer's code was generated from <c>[Prune]</c> (the others are hand-written stand-ins).</summary>
    public bool IsGenerated(PrunedLayer layer) => layer.Kind is LayerKind.Conv2d or LayerKind.Linear;

    /// <summary>Computes every layer's mask: the generated <c>ComputeMasks()</c>, then the hand-written layers.</summary>
    public void ComputeAllMasks()
    {
        ComputeMasks();
        Conv1dPruning.UpdateMask();
        Conv3dPruning.UpdateMask();
        ConvTranspose1dPruning.UpdateMask();
        ConvTranspose2dPruning.UpdateMask();
        ConvTranspose3dPruning.UpdateMask();
    }

    // Hand-written stand-ins for [Prune(Granularity.Filter, 0.5)] on conv1d, [Prune(Granularity.SharedKernel, 0.5)] on
    // conv3d, [Prune(Granularity.Filter, 0.3)] on convTranspose1d, [Prune(Granularity.Channel, 0.5)] on
    // convTranspose2d and [Prune(Granularity.Kernel, 0.6)] on convTranspose3d.
    public Conv1dPrunedLayer Conv1dPruning => _conv1dPruning ??= new Conv1dPrunedLayer(this);

    public Conv3dPrunedLayer Conv3dPruning => _conv3dPruning ??= new Conv3dPrunedLayer(this);

    public ConvTranspose1dPrunedLayer ConvTranspose1dPruning => _convTranspose1dPruning ??= new ConvTranspose1dPrunedLayer(this);

    public ConvTranspose2dPrunedLayer ConvTranspose2dPruning => _convTranspose2dPruning ??= new ConvTranspose2dPrunedLayer(this);

    public ConvTranspose3dPrunedLayer ConvTranspose3dPruning => _convTranspose3dPruning ??= new ConvTranspose3dPrunedLayer(this);

    public sealed class Conv1dPrunedLayer(CheckModel model) : PrunedLayer("conv1d", LayerKind.Conv1d, Granularity.Filter, 0.5)
    {
        private static readonly long[] s_declaredShape = [12, 4, 3];

        public override nn.Module Layer => model.conv1d;

        public override Parameter Weight => model.conv1d.weight!;

        public override System.ReadOnlySpan<long> DeclaredShape => s_declaredShape;
    }

    public sealed class Conv3dPrunedLayer(CheckModel model) : PrunedLayer("conv3d", LayerKind.Conv3d, Granularity.SharedKernel, 0.5)
    {
        private static readonly long[] s_declaredShape = [6, 4, 3, 2, 2];

        public override nn.Module Layer => model.conv3d;

        public override Parameter Weight => model.conv3d.weight!;

        public override System.ReadOnlySpan<long> DeclaredShape => s_declaredShape;
    }

    public sealed class ConvTranspose1dPrunedLayer(CheckModel model) : PrunedLayer("convTranspose1d", LayerKind.ConvTranspose1d, Granularity.Filter, 0.3)
    {
        private static readonly long[] s_declaredShape = [8, 6, 3];

        public override nn.Module Layer => model.convTranspose1d;

        public override Parameter Weight => model.convTranspose1d.weight!;

        public override System.ReadOnlySpan<long> DeclaredShape => s_declaredShape;
    }

    public sealed class ConvTranspose2dPrunedLayer(CheckModel model) : PrunedLayer("convTranspose2d", LayerKind.ConvTranspose2d, Granularity.Channel, 0.5)
    {
        private static readonly long[] s_declaredShape = [8, 6, 3, 2];

        public override nn.Module Layer => model.convTranspose2d;

        public override Parameter Weight => model.convTranspose2d.weight!;

        public override System.ReadOnlySpan<long> DeclaredShape => s_declaredShape;
    }

    public sealed class ConvTranspose3dPrunedLayer(CheckModel model) : PrunedLayer("convTranspose3d", LayerKind.ConvTranspose3d, Granularity.Kernel, 0.6)
    {
        private static readonly long[] s_declaredShape = [8, 3, 3, 2, 2];

        public override nn.Module Layer => model.convTranspose3d;

        public override Parameter Weight => model.convTranspose3d.weight!;

        public override System.ReadOnlySpan<long> DeclaredShape => s_declaredShape;
    }
}
