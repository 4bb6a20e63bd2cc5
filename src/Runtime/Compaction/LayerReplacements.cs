using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace PruneSharp.Compaction;

/// <summary>
/// Swaps layers of a model for their compacted versions so that the model's registered submodules, and with them
/// <c>parameters()</c>, <c>state_dict()</c> and <c>to(...)</c>, see the new layers. The code PruneSharp generates for
/// <c>Compact()</c> assigns each new layer to its field and records the swap here, then calls <see cref="Register"/>.
/// </summary>
/// <remarks>
/// TorchSharp registers a module's layers once (in <c>RegisterComponents()</c> or <c>register_module</c>), by
/// reference, so assigning a field does not change what is registered. <see cref="Register"/> re-registers the
/// model's children in their order, each replaced one by its new layer, and disposes the replaced layers.
/// </remarks>
public sealed class LayerReplacements
{
    private readonly nn.Module _model;
    private readonly List<(nn.Module Original, nn.Module Replacement)> _replacements = [];

    /// <summary>Starts recording the replacements of <paramref name="model"/>'s layers.</summary>
    public LayerReplacements(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
    }

    /// <summary>Records that <paramref name="replacement"/> takes the place of <paramref name="original"/>.</summary>
    /// <returns><paramref name="replacement"/>, for assigning to the layer's field.</returns>
    public T Replace<T>(T original, T replacement)
        where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(replacement);
        _replacements.Add((original, replacement));
        return replacement;
    }

    /// <summary>
    /// Re-registers the model's children in their order, each replaced layer by its replacement, and disposes the
    /// replaced layers. A replaced layer the model had not registered stays unregistered, as it was.
    /// </summary>
    public void Register()
    {
        var children = _model.named_children().ToList();
        foreach (var (name, _) in children) _model.register_module(name, null!);
        foreach (var (name, child) in children)
        {
            var replaced = _replacements.FindIndex(pair => ReferenceEquals(pair.Original, child));
            _model.register_module(name, replaced >= 0 ? _replacements[replaced].Replacement : child);
        }

        foreach (var (original, _) in _replacements) original.Dispose();
        _replacements.Clear();
    }
}
