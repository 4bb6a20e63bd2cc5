using System.Diagnostics.CodeAnalysis;
using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Compaction;

/// <summary>
/// A model's real module tree, as <see cref="ChannelFlow{TNode}"/> walks it at run time: a block's submodules are
/// read from the fields and properties its forward program names, a Sequential's from its children, and each module
/// is named by its dotted path in the model's <c>named_modules()</c> (a module the model does not register, by the
/// path of members that reached it).
/// </summary>
internal sealed class ModuleTreeHost : IFlowHost<nn.Module>
{
    private const BindingFlags InstanceMembers = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    private readonly CompactionPlan _plan;
    private readonly Dictionary<nn.Module, string> _names = new(ReferenceEqualityComparer<nn.Module>.Instance);

    public ModuleTreeHost(nn.Module model, CompactionPlan plan)
    {
        _plan = plan;
        _names[model] = string.Empty;
        foreach (var (name, module) in model.named_modules())
        {
            if (!_names.ContainsKey(module)) _names[module] = name;
        }
    }

    public FlowModuleKind Kind(nn.Module node) => node switch
    {
        Conv2d => FlowModuleKind.Conv2d,
        Linear => FlowModuleKind.Linear,
        BatchNorm1d => FlowModuleKind.BatchNorm1d,
        BatchNorm2d => FlowModuleKind.BatchNorm2d,
        ReLU or ReLU6 or LeakyReLU or GELU or SiLU or Tanh or ELU or SELU or Hardswish or Mish or MaxPool2d or AvgPool2d
            or AdaptiveAvgPool2d or AdaptiveMaxPool2d or Dropout or Dropout2d or Identity => FlowModuleKind.PassThrough,
        TorchSharp.Modules.Flatten { start_dim: 1, end_dim: -1 } => FlowModuleKind.Flatten,
        Sequential => FlowModuleKind.Sequential,
        _ when _plan.ProgramOf(node.GetType()) is not null => FlowModuleKind.Block,
        _ => FlowModuleKind.Opaque,
    };

    public ConvGrouping Grouping(nn.Module node) =>
        node is Conv2d conv && conv.groups != 1 ? ChannelGroup.IsDepthwise(conv) ? ConvGrouping.Depthwise : ConvGrouping.Grouped : ConvGrouping.Dense;

    public long? Groups(nn.Module node) => (node as Conv2d)?.groups;

    public IReadOnlyList<nn.Module>? Children(nn.Module node)
    {
        // A ModuleList's forward loop enumerates its list, which may hold modules added after registration.
        if (node is not Sequential && node is System.Collections.IEnumerable list)
        {
            var items = list.OfType<nn.Module>().ToList();
            for (var index = 0; index < items.Count; index++) Remember(items[index], Join(Name(node), index.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return items;
        }

        var children = node.named_children().ToList();
        foreach (var (name, child) in children) Remember(child, Join(Name(node), name));
        return children.Select(child => child.module).ToList();
    }

    public FlowClass Program(nn.Module node) =>
        _plan.ProgramOf(node.GetType()) ?? throw new InvalidOperationException($"No forward program is for '{node.GetType().FullName}'.");

    // Reads the members a block's forward uses by name on the user's module types. TorchSharp itself finds every
    // module field by reflection (RegisterComponents), so an app that can run the model keeps them; PruneSharp reads
    // the same members.
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Module members are read by reflection as TorchSharp's RegisterComponents reads them.")]
    public FlowMember Member(nn.Module owner, string member, out nn.Module? value)
    {
        value = null;
        for (var type = owner.GetType(); type is not null && type != typeof(nn.Module); type = type.BaseType)
        {
            object? held;
            if (type.GetField(member, InstanceMembers) is { } field)
            {
                held = field.GetValue(owner);
            }
            else if (type.GetProperty(member, InstanceMembers) is { GetMethod: not null } property && property.GetIndexParameters().Length == 0)
            {
                held = property.GetValue(owner);
            }
            else
            {
                continue;
            }

            if (held is null) return FlowMember.Absent;
            if (held is not nn.Module module) return FlowMember.NotAModule;
            Remember(module, Join(Name(owner), member));
            value = module;
            return FlowMember.Module;
        }

        return FlowMember.NotAModule;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Module members are read by reflection as TorchSharp's RegisterComponents reads them.")]
    public bool? Flag(nn.Module owner, string member)
    {
        for (var type = owner.GetType(); type is not null && type != typeof(nn.Module); type = type.BaseType)
        {
            if (type.GetField(member, InstanceMembers) is { FieldType: var fieldType } field && fieldType == typeof(bool)) return (bool)field.GetValue(owner)!;
            if (type.GetProperty(member, InstanceMembers) is { PropertyType: var propertyType, GetMethod: not null } property && propertyType == typeof(bool)) return (bool)property.GetValue(owner)!;
        }

        return null;
    }

    public string Name(nn.Module node) => _names.TryGetValue(node, out var name) ? name : node.GetType().Name;

    public string TypeName(nn.Module node) => node.GetType().Name;

    public IEnumerable<nn.Module> LayersInside(nn.Module node)
    {
        foreach (var (name, module) in node.named_modules())
        {
            if (ReferenceEquals(module, node) || module is not (Conv2d or Linear or BatchNorm)) continue;
            Remember(module, Join(Name(node), name));
            yield return module;
        }
    }

    public long? InputSize(nn.Module node) => node switch
    {
        Conv2d conv => conv.in_channels,
        Linear linear => linear.in_features,
        _ => null,
    };

    public long? OutputSize(nn.Module node) => node switch
    {
        Conv2d conv => conv.out_channels,
        Linear linear => linear.out_features,
        _ => null,
    };

    private static string Join(string owner, string member) => owner.Length == 0 ? member : owner + "." + member;

    private void Remember(nn.Module module, string name) => _names.TryAdd(module, name);
}
