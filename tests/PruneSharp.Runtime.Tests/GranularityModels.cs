// One model per granularity, each with layers of several shapes (among them the shapes of the shared test
// vectors), all pruned through the code PruneSharp's generator emits for them.
using System;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace PruneSharp.Tests.Models;

[Prune(Granularity.Weight, 0.25)]
public sealed partial class Conv2dWeightModel : Module<Tensor, Tensor>
{
    public readonly Conv2d a = Conv2d(3, 4, 3);                // [4, 3, 3, 3]
    public readonly Conv2d b = Conv2d(2, 5, (2, 3));           // [5, 2, 2, 3]
    public readonly Conv2d c = Conv2d(4, 3, 1);                // [3, 4, 1, 1]
    public readonly Conv2d d = Conv2d(6, 8, (3, 2), groups: 2); // [8, 3, 3, 2]

    public Conv2dWeightModel() : base(nameof(Conv2dWeightModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

[Prune(Granularity.SharedWeight, 0.25)]
public sealed partial class Conv2dSharedWeightModel : Module<Tensor, Tensor>
{
    public readonly Conv2d a = Conv2d(3, 4, 3);                // [4, 3, 3, 3]
    public readonly Conv2d b = Conv2d(2, 5, (2, 3));           // [5, 2, 2, 3]
    public readonly Conv2d c = Conv2d(4, 3, 1);                // [3, 4, 1, 1]
    public readonly Conv2d d = Conv2d(6, 8, (3, 2), groups: 2); // [8, 3, 3, 2]

    public Conv2dSharedWeightModel() : base(nameof(Conv2dSharedWeightModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

[Prune(Granularity.Channel, 0.25)]
public sealed partial class Conv2dChannelModel : Module<Tensor, Tensor>
{
    public readonly Conv2d a = Conv2d(3, 4, 3);                // [4, 3, 3, 3]
    public readonly Conv2d b = Conv2d(2, 5, (2, 3));           // [5, 2, 2, 3]
    public readonly Conv2d c = Conv2d(4, 3, 1);                // [3, 4, 1, 1]
    public readonly Conv2d d = Conv2d(6, 8, (3, 2), groups: 2); // [8, 3, 3, 2]

    public Conv2dChannelModel() : base(nameof(Conv2dChannelModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

[Prune(Granularity.Column, 0.25)]
public sealed partial class Conv2dColumnModel : Module<Tensor, Tensor>
{
    public readonly Conv2d a = Conv2d(3, 4, 3);                // [4, 3, 3, 3]
    public readonly Conv2d b = Conv2d(2, 5, (2, 3));           // [5, 2, 2, 3]
    public readonly Conv2d c = Conv2d(4, 3, 1);                // [3, 4, 1, 1]
    public readonly Conv2d d = Conv2d(6, 8, (3, 2), groups: 2); // [8, 3, 3, 2]

    public Conv2dColumnModel() : base(nameof(Conv2dColumnModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

[Prune(Granularity.Row, 0.25)]
public sealed partial class Conv2dRowModel : Module<Tensor, Tensor>
{
    public readonly Conv2d a = Conv2d(3, 4, 3);                // [4, 3, 3, 3]
    public readonly Conv2d b = Conv2d(2, 5, (2, 3));           // [5, 2, 2, 3]
    public readonly Conv2d c = Conv2d(4, 3, 1);                // [3, 4, 1, 1]
    public readonly Conv2d d = Conv2d(6, 8, (3, 2), groups: 2); // [8, 3, 3, 2]

    public Conv2dRowModel() : base(nameof(Conv2dRowModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

[Prune(Granularity.SharedChannel, 0.25)]
public sealed partial class Conv2dSharedChannelModel : Module<Tensor, Tensor>
{
    public readonly Conv2d a = Conv2d(3, 4, 3);                // [4, 3, 3, 3]
    public readonly Conv2d b = Conv2d(2, 5, (2, 3));           // [5, 2, 2, 3]
    public readonly Conv2d c = Conv2d(4, 3, 1);                // [3, 4, 1, 1]
    public readonly Conv2d d = Conv2d(6, 8, (3, 2), groups: 2); // [8, 3, 3, 2]

    public Conv2dSharedChannelModel() : base(nameof(Conv2dSharedChannelModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

[Prune(Granularity.SharedColumn, 0.25)]
public sealed partial class Conv2dSharedColumnModel : Module<Tensor, Tensor>
{
    public readonly Conv2d a = Conv2d(3, 4, 3);                // [4, 3, 3, 3]
    public readonly Conv2d b = Conv2d(2, 5, (2, 3));           // [5, 2, 2, 3]
    public readonly Conv2d c = Conv2d(4, 3, 1);                // [3, 4, 1, 1]
    public readonly Conv2d d = Conv2d(6, 8, (3, 2), groups: 2); // [8, 3, 3, 2]

    public Conv2dSharedColumnModel() : base(nameof(Conv2dSharedColumnModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

[Prune(Granularity.SharedRow, 0.25)]
public sealed partial class Conv2dSharedRowModel : Module<Tensor, Tensor>
{
    public readonly Conv2d a = Conv2d(3, 4, 3);                // [4, 3, 3, 3]
    public readonly Conv2d b = Conv2d(2, 5, (2, 3));           // [5, 2, 2, 3]
    public readonly Conv2d c = Conv2d(4, 3, 1);                // [3, 4, 1, 1]
    public readonly Conv2d d = Conv2d(6, 8, (3, 2), groups: 2); // [8, 3, 3, 2]

    public Conv2dSharedRowModel() : base(nameof(Conv2dSharedRowModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

[Prune(Granularity.VerticalSlice, 0.25)]
public sealed partial class Conv2dVerticalSliceModel : Module<Tensor, Tensor>
{
    public readonly Conv2d a = Conv2d(3, 4, 3);                // [4, 3, 3, 3]
    public readonly Conv2d b = Conv2d(2, 5, (2, 3));           // [5, 2, 2, 3]
    public readonly Conv2d c = Conv2d(4, 3, 1);                // [3, 4, 1, 1]
    public readonly Conv2d d = Conv2d(6, 8, (3, 2), groups: 2); // [8, 3, 3, 2]

    public Conv2dVerticalSliceModel() : base(nameof(Conv2dVerticalSliceModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

[Prune(Granularity.HorizontalSlice, 0.25)]
public sealed partial class Conv2dHorizontalSliceModel : Module<Tensor, Tensor>
{
    public readonly Conv2d a = Conv2d(3, 4, 3);                // [4, 3, 3, 3]
    public readonly Conv2d b = Conv2d(2, 5, (2, 3));           // [5, 2, 2, 3]
    public readonly Conv2d c = Conv2d(4, 3, 1);                // [3, 4, 1, 1]
    public readonly Conv2d d = Conv2d(6, 8, (3, 2), groups: 2); // [8, 3, 3, 2]

    public Conv2dHorizontalSliceModel() : base(nameof(Conv2dHorizontalSliceModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

[Prune(Granularity.Kernel, 0.25)]
public sealed partial class Conv2dKernelModel : Module<Tensor, Tensor>
{
    public readonly Conv2d a = Conv2d(3, 4, 3);                // [4, 3, 3, 3]
    public readonly Conv2d b = Conv2d(2, 5, (2, 3));           // [5, 2, 2, 3]
    public readonly Conv2d c = Conv2d(4, 3, 1);                // [3, 4, 1, 1]
    public readonly Conv2d d = Conv2d(6, 8, (3, 2), groups: 2); // [8, 3, 3, 2]

    public Conv2dKernelModel() : base(nameof(Conv2dKernelModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

[Prune(Granularity.SharedVerticalSlice, 0.25)]
public sealed partial class Conv2dSharedVerticalSliceModel : Module<Tensor, Tensor>
{
    public readonly Conv2d a = Conv2d(3, 4, 3);                // [4, 3, 3, 3]
    public readonly Conv2d b = Conv2d(2, 5, (2, 3));           // [5, 2, 2, 3]
    public readonly Conv2d c = Conv2d(4, 3, 1);                // [3, 4, 1, 1]
    public readonly Conv2d d = Conv2d(6, 8, (3, 2), groups: 2); // [8, 3, 3, 2]

    public Conv2dSharedVerticalSliceModel() : base(nameof(Conv2dSharedVerticalSliceModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

[Prune(Granularity.SharedHorizontalSlice, 0.25)]
public sealed partial class Conv2dSharedHorizontalSliceModel : Module<Tensor, Tensor>
{
    public readonly Conv2d a = Conv2d(3, 4, 3);                // [4, 3, 3, 3]
    public readonly Conv2d b = Conv2d(2, 5, (2, 3));           // [5, 2, 2, 3]
    public readonly Conv2d c = Conv2d(4, 3, 1);                // [3, 4, 1, 1]
    public readonly Conv2d d = Conv2d(6, 8, (3, 2), groups: 2); // [8, 3, 3, 2]

    public Conv2dSharedHorizontalSliceModel() : base(nameof(Conv2dSharedHorizontalSliceModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

[Prune(Granularity.SharedKernel, 0.25)]
public sealed partial class Conv2dSharedKernelModel : Module<Tensor, Tensor>
{
    public readonly Conv2d a = Conv2d(3, 4, 3);                // [4, 3, 3, 3]
    public readonly Conv2d b = Conv2d(2, 5, (2, 3));           // [5, 2, 2, 3]
    public readonly Conv2d c = Conv2d(4, 3, 1);                // [3, 4, 1, 1]
    public readonly Conv2d d = Conv2d(6, 8, (3, 2), groups: 2); // [8, 3, 3, 2]

    public Conv2dSharedKernelModel() : base(nameof(Conv2dSharedKernelModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

[Prune(Granularity.Filter, 0.25)]
public sealed partial class Conv2dFilterModel : Module<Tensor, Tensor>
{
    public readonly Conv2d a = Conv2d(3, 4, 3);                // [4, 3, 3, 3]
    public readonly Conv2d b = Conv2d(2, 5, (2, 3));           // [5, 2, 2, 3]
    public readonly Conv2d c = Conv2d(4, 3, 1);                // [3, 4, 1, 1]
    public readonly Conv2d d = Conv2d(6, 8, (3, 2), groups: 2); // [8, 3, 3, 2]

    public Conv2dFilterModel() : base(nameof(Conv2dFilterModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

public sealed partial class LinearWeightModel : Module<Tensor, Tensor>
{
    [Prune(Granularity.Weight, 0.25)] public readonly Linear a = Linear(4, 5);   // [5, 4]
    [Prune(Granularity.Weight, 0.25)] public readonly Linear b = Linear(7, 3);   // [3, 7]
    [Prune(Granularity.Weight, 0.25)] public readonly Linear c = Linear(16, 9);  // [9, 16]

    public LinearWeightModel() : base(nameof(LinearWeightModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

public sealed partial class LinearColumnModel : Module<Tensor, Tensor>
{
    [Prune(Granularity.Column, 0.25)] public readonly Linear a = Linear(4, 5);   // [5, 4]
    [Prune(Granularity.Column, 0.25)] public readonly Linear b = Linear(7, 3);   // [3, 7]
    [Prune(Granularity.Column, 0.25)] public readonly Linear c = Linear(16, 9);  // [9, 16]

    public LinearColumnModel() : base(nameof(LinearColumnModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}

public sealed partial class LinearRowModel : Module<Tensor, Tensor>
{
    [Prune(Granularity.Row, 0.25)] public readonly Linear a = Linear(4, 5);   // [5, 4]
    [Prune(Granularity.Row, 0.25)] public readonly Linear b = Linear(7, 3);   // [3, 7]
    [Prune(Granularity.Row, 0.25)] public readonly Linear c = Linear(16, 9);  // [9, 16]

    public LinearRowModel() : base(nameof(LinearRowModel)) => RegisterComponents();

    public override Tensor forward(Tensor input) => throw new NotSupportedException("Only the masks are tested.");
}
