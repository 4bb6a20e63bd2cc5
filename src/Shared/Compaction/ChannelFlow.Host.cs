// Compiled into both PruneSharp.Generator and PruneSharp.Runtime (see FlowProgram.cs).
using System.Collections.Generic;

namespace PruneSharp.Compaction;

/// <summary>What a module is to the channel flow.</summary>
internal enum FlowModuleKind
{
    /// <summary>A 2-D convolution: consumes input channels, produces output channels (see <see cref="ConvGrouping"/>).</summary>
    Conv2d,

    /// <summary>A linear layer: consumes input features (channels, or flattened channel-major blocks), produces output features.</summary>
    Linear,

    /// <summary>Normalizes each feature of an [N, C] tensor on its own.</summary>
    BatchNorm1d,

    /// <summary>Normalizes each channel of an [N, C, H, W] tensor on its own.</summary>
    BatchNorm2d,

    /// <summary>Maps each channel on its own and keeps a zero channel zero: activations, pooling, dropout, identity.</summary>
    PassThrough,

    /// <summary>A <c>Flatten</c> from dim 1 to the last.</summary>
    Flatten,

    /// <summary>A <c>Sequential</c>: its children, in order.</summary>
    Sequential,

    /// <summary>A module class whose forward program is known.</summary>
    Block,

    /// <summary>A module whose forward the flow does not follow: its input, output and layers keep their channels.</summary>
    Opaque,

    /// <summary>Only at compile time: a module that only run time knows (built by code the generator does not read).</summary>
    Unknown,
}

/// <summary>How a convolution's channels are grouped.</summary>
internal enum ConvGrouping
{
    /// <summary><c>groups = 1</c>.</summary>
    Dense,

    /// <summary><c>groups = in_channels = out_channels</c>: channel c of the output reads only channel c of the input.</summary>
    Depthwise,

    /// <summary>Any other <c>groups</c>: channels are coupled in blocks, which compaction does not follow.</summary>
    Grouped,
}

/// <summary>What a module's member holds.</summary>
internal enum FlowMember
{
    /// <summary>A module.</summary>
    Module,

    /// <summary>Null.</summary>
    Absent,

    /// <summary>Only run time knows (compile time only).</summary>
    Unknown,

    /// <summary>Something that is not a module, or no such member.</summary>
    NotAModule,
}

/// <summary>
/// The module tree <see cref="ChannelFlow{TNode}"/> walks: at run time the model's real modules, at compile time the
/// modules the generator can see being built.
/// </summary>
internal interface IFlowHost<TNode>
    where TNode : class
{
    FlowModuleKind Kind(TNode node);

    /// <summary>For a Conv2d: its grouping.</summary>
    ConvGrouping Grouping(TNode node);

    /// <summary>For a Conv2d: its <c>groups</c>, where known.</summary>
    long? Groups(TNode node);

    /// <summary>For a Sequential or a ModuleList: the modules it holds, in order; null where only run time knows them.</summary>
    IReadOnlyList<TNode>? Children(TNode node);

    /// <summary>For a Block: its class's forward program.</summary>
    FlowClass Program(TNode node);

    /// <summary>What the member <paramref name="member"/> of <paramref name="owner"/> holds.</summary>
    FlowMember Member(TNode owner, string member, out TNode? value);

    /// <summary>The value of the bool field or property <paramref name="member"/> of <paramref name="owner"/>, or null where not known.</summary>
    bool? Flag(TNode owner, string member);

    /// <summary>The module's dotted name in the model (<c>layer1.0.conv1</c>).</summary>
    string Name(TNode node);

    /// <summary>The module's type name, for messages.</summary>
    string TypeName(TNode node);

    /// <summary>The Conv2d, Linear and BatchNorm modules inside <paramref name="node"/> (itself excluded).</summary>
    IEnumerable<TNode> LayersInside(TNode node);

    /// <summary>A Conv2d's input channels or a Linear's input features, where known.</summary>
    long? InputSize(TNode node);

    /// <summary>A Conv2d's output channels or a Linear's output features, where known.</summary>
    long? OutputSize(TNode node);
}
