using System.Collections.Generic;
using PruneSharp;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.DeviceCheck;

/// <summary>
/// One layer of every kind, pruned as a user would declare it: each field carries <c>[Prune]</c>, so every layer's
/// pruning code is generated (typed members, the declared shape and its mask geometry as constants).
/// </summary>
/// <remarks>The shapes are those of <see cref="LayerSpec.OfEveryKind"/>: grouped, with non-square kernels.</remarks>
internal sealed partial class CheckModel : nn.Module
{
    [Prune(Granularity.Kernel, 0.5)] private readonly Conv2d conv2d;
    [Prune(Granularity.Row, 0.4)] private readonly Linear linear;
    [Prune(Granularity.Filter, 0.5)] private readonly Conv1d conv1d;
    [Prune(Granularity.SharedKernel, 0.5)] private readonly Conv3d conv3d;
    [Prune(Granularity.Filter, 0.3)] private readonly ConvTranspose1d convTranspose1d;
    [Prune(Granularity.Channel, 0.5)] private readonly ConvTranspose2d convTranspose2d;
    [Prune(Granularity.Kernel, 0.6)] private readonly ConvTranspose3d convTranspose3d;

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
}
