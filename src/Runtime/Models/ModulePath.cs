using System;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// The module registered at a dotted path under a holder module (<c>"0"</c>, <c>"conv1"</c>, <c>"2.conv.0"</c> under a
/// <c>Sequential</c>): how generated code reaches a layer inside a container whose path and shape its code shows, to
/// give it a typed pruning member (<c>Features0Pruning</c>). The path follows <c>named_children()</c>, so it goes
/// through <c>Sequential</c>s, <c>ModuleList</c>s, <c>ModuleDict</c>s and block classes alike.
/// </summary>
/// <remarks>
/// The module found is kept while the holder stays the same object, so reading it again costs nothing; a holder that
/// was replaced is searched again. <c>Compact()</c> shrinks layers in place, which keeps them.
/// </remarks>
/// <typeparam name="TModule">The module's type (<c>Conv2d</c>, <c>Linear</c>, …).</typeparam>
public sealed class ModulePath<TModule>
    where TModule : nn.Module
{
    private readonly string[] _segments;
    private nn.Module? _holder;
    private TModule? _module;

    /// <summary>The module at <paramref name="path"/> under a holder; <paramref name="layerName"/> names it in errors.</summary>
    /// <param name="path">The registered names from the holder down, joined with dots.</param>
    /// <param name="layerName">The layer's dotted name in its model class (<c>features.0</c>).</param>
    public ModulePath(string path, string layerName)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(layerName);
        Path = path;
        LayerName = layerName;
        _segments = path.Split('.');
    }

    /// <summary>The path under the holder.</summary>
    public string Path { get; }

    /// <summary>The layer's dotted name in its model class.</summary>
    public string LayerName { get; }

    /// <summary>The module at the path under <paramref name="holder"/>.</summary>
    /// <exception cref="InvalidOperationException">The holder is null, holds no module at the path, or the module there is not a <typeparamref name="TModule"/>:
    /// the model is not built the way its code was read at compile time (or it does not register its modules).</exception>
    public TModule Resolve(nn.Module? holder)
    {
        if (holder is not null && ReferenceEquals(holder, _holder)) return _module!;
        var found = Find(holder);
        _module = found;
        _holder = holder;
        return found;
    }

    private TModule Find(nn.Module? holder)
    {
        var holderName = LayerName.Length > Path.Length && LayerName.EndsWith("." + Path, StringComparison.Ordinal) ? LayerName[..^(Path.Length + 1)] : "its holder";
        if (holder is null)
        {
            throw new InvalidOperationException($"Layer '{LayerName}' cannot be found: '{holderName}' is null.");
        }

        var current = holder;
        for (var index = 0; index < _segments.Length; index++)
        {
            nn.Module? child = null;
            foreach (var (name, module) in current.named_children())
            {
                if (name == _segments[index])
                {
                    child = module;
                    break;
                }
            }

            if (child is null)
            {
                var parent = index == 0 ? holderName : holderName + "." + string.Join(".", _segments, 0, index);
                throw new InvalidOperationException($"Layer '{LayerName}' is not where the code that builds it puts it: '{parent}' has no registered module '{_segments[index]}' (is RegisterComponents() called?).");
            }

            current = child;
        }

        return current as TModule
            ?? throw new InvalidOperationException($"Layer '{LayerName}' is a {current.GetType().Name}, not the {typeof(TModule).Name} the code that builds it makes.");
    }
}
