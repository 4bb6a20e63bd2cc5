using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp;

/// <summary>
/// The model-level mask pass: what a model's <c>ComputeMasks()</c>, the <see cref="Training.Sparsifier"/>, global scope
/// and <see cref="PrunedLayer.UpdateMask(double)"/> (the pass over one layer) all run.
/// </summary>
/// <remarks>
/// <para>
/// A pass takes the layers' locks (in one global order, so concurrent passes over overlapping layers never deadlock),
/// then runs in three phases. <b>Check</b> every layer: weight, mask, criterion inputs, counts; an error here names the
/// layer, and nothing has been written. <b>Score and select</b>: on the CPU fast path (contiguous float32 CPU weights)
/// per layer into the layer's own buffers; on the torch path (other devices and dtypes) per layer, then one NaN check
/// and one batched selection per device; under global scope one ranking of every layer's groups. A NaN found here also
/// leaves everything as it was. <b>Commit</b>: write every mask (creating the buffer at a layer's first update), the
/// criterion's weight copies and the update counts. Nothing in the commit can fail.
/// </para>
/// <para>The rule the phases follow is in <c>docs/masks.md</c>; <c>docs/architecture.md</c> lists the parts.</para>
/// </remarks>
public static class MaskPass
{
    /// <summary>
    /// Computes the mask of every pruned layer of <paramref name="model"/> as its declaration says: each layer at its own
    /// declared sparsity (<see cref="PruningScope.Local"/>), or all layers ranked together towards the model's
    /// <see cref="IPrunableModule.GlobalSettings"/> sparsity (<see cref="PruningScope.Global"/>). The generated
    /// <c>ComputeMasks()</c> calls this.
    /// </summary>
    /// <exception cref="PruningException">A layer cannot be masked (the exception names it); no mask was changed.</exception>
    /// <exception cref="InvalidOperationException">The model uses global scope but gives no <see cref="IPrunableModule.GlobalSettings"/>.</exception>
    public static void ComputeMasks(IPrunableModule model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = model.PrunedLayers;
        if (model.PruningScope == PruningScope.Global)
        {
            var settings = model.GlobalSettings ?? throw new InvalidOperationException($"{model.GetType().Name} uses global scope but its GlobalSettings are null: give the class-level declaration (its sparsity and schedule) there.");
            ComputeGlobalMasks(layers, settings.Sparsity, settings.Normalization);
            return;
        }

        var sparsities = new double[layers.Count];
        for (var index = 0; index < sparsities.Length; index++) sparsities[index] = (layers[index] ?? throw NullLayer(index)).TargetSparsity;
        ComputeMasks(layers, sparsities);
    }

    /// <summary>Computes the mask of each of <paramref name="layers"/> at its own sparsity (local scope), all or none.</summary>
    /// <exception cref="ArgumentException">The lists differ in length, or a layer is null or appears twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A sparsity is not in [0, 1].</exception>
    /// <exception cref="PruningException">A layer cannot be masked (the exception names it); no mask was changed.</exception>
    public static void ComputeMasks(IReadOnlyList<PrunedLayer> layers, IReadOnlyList<double> sparsities)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(sparsities);
        if (layers.Count != sparsities.Count) throw new ArgumentException($"There are {layers.Count} layers but {sparsities.Count} sparsities.", nameof(sparsities));
        var layerArray = ToArray(layers);
        var sparsityArray = new double[sparsities.Count];
        for (var index = 0; index < sparsityArray.Length; index++) sparsityArray[index] = sparsities[index];
        Local(layerArray, sparsityArray);
    }

    /// <summary>
    /// As <see cref="ComputeMasks(IReadOnlyList{PrunedLayer}, IReadOnlyList{double})"/>, with the torch path's batched
    /// selection forced to <paramref name="selection"/> instead of the device's default
    /// (<see cref="TorchMaskEngine.ResolveSelection"/>): every method gives the same masks, so the tests and the device
    /// check run each to compare them. The CPU fast path has one selection and ignores it.
    /// </summary>
    internal static void ComputeMasks(IReadOnlyList<PrunedLayer> layers, IReadOnlyList<double> sparsities, BatchSelection selection)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(sparsities);
        if (layers.Count != sparsities.Count) throw new ArgumentException($"There are {layers.Count} layers but {sparsities.Count} sparsities.", nameof(sparsities));
        var sparsityArray = new double[sparsities.Count];
        for (var index = 0; index < sparsityArray.Length; index++) sparsityArray[index] = sparsities[index];
        Local(ToArray(layers), sparsityArray, selection);
    }

    /// <summary>
    /// Computes the masks of <paramref name="layers"/> with one ranking over all their groups (global scope): the
    /// <c>round-half-to-even(sparsity × all groups)</c> lowest-scoring groups are pruned, every layer keeping at least
    /// its best group. Ties prune the earlier layer, then the lower flat index, first.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1].</exception>
    /// <exception cref="ArgumentException">A layer is null, appears twice, or uses N:M, which has no groups to rank across layers.</exception>
    /// <exception cref="PruningException">The sparsity would take a layer's last group, or a layer cannot be masked; no mask was changed.</exception>
    public static void ComputeGlobalMasks(IReadOnlyList<PrunedLayer> layers, double sparsity) =>
        ComputeGlobalMasks(layers, sparsity, GlobalScoreNormalization.None);

    /// <summary>
    /// As <see cref="ComputeGlobalMasks(IReadOnlyList{PrunedLayer}, double)"/>, with each layer's group scores
    /// normalized as <paramref name="normalization"/> says before the one ranking (<see cref="GlobalScoreNormalization.Lamp"/>:
    /// LAMP, so that small layers are not emptied first).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is not in [0, 1], or <paramref name="normalization"/> is not a member of its enum.</exception>
    /// <exception cref="ArgumentException">A layer is null, appears twice, or uses N:M, which has no groups to rank across layers.</exception>
    /// <exception cref="PruningException">A layer's criterion can score below zero, which LAMP does not normalize (PRUNE046); a
    /// group's score is negative or infinite; the sparsity would take a layer's last group; or a layer cannot be masked.
    /// No mask was changed.</exception>
    public static void ComputeGlobalMasks(IReadOnlyList<PrunedLayer> layers, double sparsity, GlobalScoreNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var normalizer = GlobalScoreNormalizers.For(normalization);
        var array = ToArray(layers);
        TreeChecks.CheckNormalization(array.Select(layer => (layer.Name, layer)), normalization, "global scope");
        Global(array, sparsity, normalizer);
    }

    /// <summary>The pass over one layer: what <see cref="PrunedLayer.UpdateMask(double)"/> runs. Allocation-free on a warm CPU fast path.</summary>
    internal static void UpdateLayer(PrunedLayer layer, double sparsity) =>
        Local(new ReadOnlySpan<PrunedLayer>(in layer), new ReadOnlySpan<double>(in sparsity));

    /// <summary>The local pass: each layer at its own sparsity.</summary>
    internal static void Local(ReadOnlySpan<PrunedLayer> layers, ReadOnlySpan<double> sparsities, BatchSelection selection = BatchSelection.Auto)
    {
        if (layers.Length == 0) return;
        using var locks = LayerLocks.Enter(layers);
        LayerWork single = default;
        var work = layers.Length == 1 ? new Span<LayerWork>(ref single) : new LayerWork[layers.Length];
        var onTorch = 0;
        for (var index = 0; index < work.Length; index++)
        {
            work[index] = LayerCheck.Check(layers[index], sparsities[index], global: false);
            if (!work[index].OnCpu) onTorch++;
        }

        if (onTorch == 0)
        {
            // The CPU fast path alone: no dispose scope, nothing allocated once warm.
            for (var index = 0; index < work.Length; index++) CpuLayerPass.ScoreAndSelect(ref work[index], global: false);
            for (var index = 0; index < work.Length; index++) CpuLayerPass.Commit(ref work[index]);
            return;
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var byDevice = new Dictionary<(DeviceType, int), List<int>>();
        for (var index = 0; index < work.Length; index++)
        {
            if (work[index].OnCpu)
            {
                CpuLayerPass.ScoreAndSelect(ref work[index], global: false);
                continue;
            }

            TorchLayerPass.Score(ref work[index]);
            var weight = work[index].Weight;
            var key = (weight.device_type, weight.device_index);
            if (!byDevice.TryGetValue(key, out var members)) byDevice[key] = members = [];
            members.Add(index);
        }

        foreach (var members in byDevice.Values)
        {
            var device = work[members[0]].Weight.device;
            TorchLayerPass.ThrowIfAnyNaN(work, members, device);
        }

        foreach (var members in byDevice.Values) TorchLayerPass.SelectLocal(work, members, work[members[0]].Weight.device, selection);
        Commit(work);
    }

    /// <summary>The global pass: one ranking of every layer's groups, each layer keeping its best; <paramref name="normalizer"/> transforms each layer's scores first.</summary>
    internal static void Global(PrunedLayer[] layers, double sparsity, IGlobalScoreNormalizer? normalizer)
    {
        if (!(sparsity >= 0.0 && sparsity <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, $"Global sparsity must be in [0, 1]; it is {sparsity}.");
        }

        foreach (var layer in layers)
        {
            if (layer.Granularity == Granularity.NOfM)
            {
                throw new ArgumentException($"Layer '{layer.Name}' uses N:M sparsity, which keeps N of every M weights within the layer and cannot be ranked globally.", nameof(layers));
            }
        }

        if (layers.Length == 0) return;
        using var locks = LayerLocks.Enter(layers);
        var work = new LayerWork[layers.Length];
        long total = 0;
        var allOnCpu = true;
        for (var index = 0; index < work.Length; index++)
        {
            work[index] = LayerCheck.Check(layers[index], sparsity, global: true);
            total += work[index].Groups;
            allOnCpu &= work[index].OnCpu;
        }

        if (GroupCounts.GlobalTakesLastGroups(sparsity, total, layers.Length))
        {
            var pruned = GroupCounts.Pruned(sparsity, total);
            throw new PruningException("(global)", $"global sparsity {sparsity} would prune {pruned} of {total} groups, but every one of the {layers.Length} layers keeps at least one; at most {GroupCounts.GloballyPrunable(total, layers.Length) / (double)total:0.####} is possible.");
        }

        var toPrune = GroupCounts.Pruned(sparsity, total);
        if (allOnCpu)
        {
            for (var index = 0; index < work.Length; index++) CpuLayerPass.ScoreAndSelect(ref work[index], global: true);
            SelectGlobalOnCpu(work, checked((int)total), (int)toPrune, normalizer);
            for (var index = 0; index < work.Length; index++) CpuLayerPass.Commit(ref work[index]);
            return;
        }

        // One ranking needs every score in one place: every layer takes the torch path, on the first layer's device.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = work[0].Weight.device;
        var all = new List<int>(work.Length);
        for (var index = 0; index < work.Length; index++)
        {
            work[index].OnCpu = false;
            TorchLayerPass.Score(ref work[index]);
            all.Add(index);
        }

        TorchLayerPass.ThrowIfAnyNaN(work, all, device);
        TorchLayerPass.SelectGlobal(work, toPrune, device, normalizer);
        Commit(work);
    }

    private static void SelectGlobalOnCpu(LayerWork[] work, int total, int pruned, IGlobalScoreNormalizer? normalizer)
    {
        var scores = new double[total];
        var starts = new int[work.Length + 1];
        for (var index = 0; index < work.Length; index++)
        {
            var layerScores = scores.AsSpan(starts[index], work[index].Plan!.GroupCount);
            work[index].Plan!.GroupScores.CopyTo(layerScores);
            normalizer?.Normalize(work[index].Layer, layerScores);
            starts[index + 1] = starts[index] + layerScores.Length;
        }

        var keep = new float[total];
        SpanSelection.SelectGlobal(scores, starts, pruned, keep);
        for (var index = 0; index < work.Length; index++)
        {
            var layerKeep = keep.AsSpan(starts[index], starts[index + 1] - starts[index]);
            layerKeep.CopyTo(work[index].Plan!.KeptGroups);
            work[index].Pruned = layerKeep.Length - (int)KeptCount(layerKeep);
            work[index].Sparsity = work[index].Pruned / (double)layerKeep.Length;
        }
    }

    private static long KeptCount(ReadOnlySpan<float> keep)
    {
        long kept = 0;
        foreach (var value in keep) kept += (long)value;
        return kept;
    }

    private static void Commit(Span<LayerWork> work)
    {
        for (var index = 0; index < work.Length; index++)
        {
            if (work[index].OnCpu) CpuLayerPass.Commit(ref work[index]);
            else TorchLayerPass.Commit(ref work[index]);
        }
    }

    private static PrunedLayer[] ToArray(IReadOnlyList<PrunedLayer> layers)
    {
        var array = new PrunedLayer[layers.Count];
        for (var index = 0; index < array.Length; index++) array[index] = layers[index] ?? throw NullLayer(index);
        return array;
    }

    private static ArgumentException NullLayer(int index) => new($"Layer {index} of the list is null.", "layers");
}
