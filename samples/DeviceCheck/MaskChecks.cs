using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using PruneSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.DeviceCheck;

/// <summary>
/// Compares masks computed on the checked device with the CPU fast path's masks of the same weights, and keeps a
/// description of every difference.
/// </summary>
internal sealed class MaskChecker(Device device, bool injectMismatch)
{
    private bool _injected;

    /// <summary>The device whose torch path is checked.</summary>
    public Device Device => device;

    /// <summary>
    /// The dtype of the checked layers: float32 on an accelerator, as users run there. On the CPU, float64: the runtime
    /// sends it through <see cref="TorchMaskEngine"/>, while a float32 CPU weight would take the fast path, the very
    /// path it is compared with.
    /// </summary>
    public ScalarType DType => device.type == DeviceType.CPU ? ScalarType.Float64 : ScalarType.Float32;

    public List<string> Mismatches { get; } = [];

    /// <summary>Whether <paramref name="checkedMask"/> equals <paramref name="referenceMask"/> element for element.</summary>
    public bool Compare(string what, Tensor checkedMask, Tensor referenceMask, out double prunedFraction)
    {
        // Compared with torch ops on the CPU copies rather than as managed arrays: ResNet-50's masks would otherwise
        // churn gigabytes through the managed heap, and fewer collections mean fewer chances for TorchSharp 0.107's
        // Scalar lifetime race (docs/device-check.md). The scope holds every intermediate for the same reason.
        using var scope = NewDisposeScope();
        var actual = checkedMask.to(ScalarType.Float32).cpu().flatten();
        var expected = referenceMask.to(ScalarType.Float32).cpu().flatten();
        if (injectMismatch && !_injected && actual.numel() > 0)
        {
            // Only for testing the check itself: it must see a difference and fail.
            actual = actual.clone();
            var values = actual.data<float>();
            values[0] = 1 - values[0];
            _injected = true;
        }

        var count = expected.numel();
        prunedFraction = count == 0 ? 0 : expected.logical_not().sum().item<long>() / (double)count;
        if (actual.numel() != count)
        {
            Mismatches.Add($"{what}: the checked mask has {actual.numel()} elements, the CPU fast path's {count}.");
            return false;
        }

        var differs = actual.ne(expected);
        var differing = differs.sum().item<long>();
        if (differing == 0) return true;
        var first = differs.nonzero()[0, 0].item<long>();
        Mismatches.Add(string.Create(CultureInfo.InvariantCulture, $"{what}: {differing} of {count} mask elements differ; the first at flat index {first} ({device}: {actual[first].item<float>()}, CPU fast path: {expected[first].item<float>()})."));
        return false;
    }

    /// <summary>
    /// Runs <paramref name="update"/> on both layers and compares the masks, or the errors when both refuse; returns the
    /// fraction of weights the CPU fast path's mask prunes (0 after an error).
    /// </summary>
    public double CompareUpdate(string what, PrunedLayer onDevice, PrunedLayer reference, Action<PrunedLayer> update, RowTally tally)
    {
        var referenceError = Try(() => update(reference));
        var deviceError = Try(() => update(onDevice));
        if (referenceError is null && deviceError is null)
        {
            var identical = Compare(what, onDevice.Mask!, reference.Mask!, out var pruned);
            tally.Add(identical, pruned);
            return pruned;
        }

        if (referenceError is not null && deviceError is not null && referenceError.Message == deviceError.Message)
        {
            tally.Add(identical: true, prunedFraction: 0);
            return 0;
        }

        var failed = referenceError is null ? $"only {device} failed: {deviceError!.Message}" : deviceError is null ? $"only the CPU fast path failed: {referenceError.Message}" : $"different errors: {deviceError.Message} / {referenceError.Message}";
        Mismatches.Add($"{what}: {failed}");
        tally.Add(identical: false, prunedFraction: 0);
        return 0;
    }

    private static PruningException? Try(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (PruningException error)
        {
            return error;
        }
    }
}

/// <summary>The three comparisons of the check: every kind × granularity × criterion, the [Prune] model, a shape set.</summary>
internal static class MaskChecks
{
    /// <summary>The sparsities of a layer's two updates (the second sees the first's mask and the changed weights).</summary>
    private const double FirstSparsity = 0.3;
    private const double SecondSparsity = 0.6;

    /// <summary>
    /// Every layer kind, every granularity it has (its table, <see cref="Granularity.Layer"/>, a custom tuple and N:M
    /// 2:4), every <see cref="Criterion"/>: two updates each, on the checked device and on the CPU fast path.
    /// </summary>
    public static CheckTable EveryKind(MaskChecker checker)
    {
        var rows = new List<CheckRow>();
        var criteria = Enum.GetValues<Criterion>();
        var seed = 0;
        foreach (var spec in LayerSpec.OfEveryKind)
        {
            foreach (var granularity in GranularitiesOf(spec.Kind))
            {
                var tally = new RowTally();
                PruneSettings? settings = null;
                foreach (var criterion in criteria)
                {
                    settings = SettingsFor(spec.Kind, granularity, criterion, seed);
                    CompareLayerPair(checker, spec, settings, seed++, tally);
                }

                rows.Add(new CheckRow(
                    [spec.Kind.ToString(), Describe(settings!), DimsOf(spec.Kind, settings!), FormatShape(spec.WeightShape), criteria.Length.ToString(CultureInfo.InvariantCulture), tally.Identical, Percent(tally.MeanPrunedFraction)],
                    tally.Compared,
                    tally.Mismatched));
            }
        }

        return new CheckTable(
            $"Every layer kind × granularity × criterion: two mask updates each, torch path on {checker.Device} ({checker.DType}) vs CPU fast path",
            ["kind", "granularity", "dims", "weight", "criteria", "masks identical", "pruned (mean)"],
            rows);
    }

    /// <summary>The [Prune] model: its generated <c>ComputeMasks()</c> on both sides, twice.</summary>
    public static CheckTable Model(MaskChecker checker)
    {
        using var reference = new CheckModel(CPU, ScalarType.Float32);
        using var onDevice = new CheckModel(checker.Device, checker.DType);
        var referenceLayers = reference.PrunedLayers;
        var deviceLayers = onDevice.PrunedLayers;
        var tallies = referenceLayers.Select(_ => new RowTally()).ToArray();
        var random = new Random(2024);
        for (var round = 0; round < 2; round++)
        {
            for (var index = 0; index < referenceLayers.Count; index++)
            {
                Weights.Set(Weights.CoarseGrid(random, referenceLayers[index].Weight.numel()), referenceLayers[index], deviceLayers[index]);
            }

            reference.ComputeMasks();
            onDevice.ComputeMasks();
            for (var index = 0; index < referenceLayers.Count; index++)
            {
                var layer = referenceLayers[index];
                var identical = checker.Compare($"model {layer.Name} (round {round + 1})", deviceLayers[index].Mask!, layer.Mask!, out var pruned);
                tallies[index].Add(identical, pruned);
            }
        }

        var rows = referenceLayers.Select((layer, index) => new CheckRow(
            [layer.Name, layer.Kind.ToString(), layer.MaskGeometry is { } geometry ? $"generated, {geometry.Kernel}" : "generated, runtime plan", $"{layer.Granularity} {Percent(layer.TargetSparsity)}", FormatShape(layer.Weight.shape), tallies[index].Identical, Percent(tallies[index].MeanPrunedFraction)],
            tallies[index].Compared,
            tallies[index].Mismatched)).ToArray();
        return new CheckTable(
            $"The [Prune] model (CheckModel): ComputeMasks() twice on {checker.Device} ({checker.DType}) vs CPU fast path",
            ["layer", "kind", "code", "declared", "weight", "masks identical", "pruned (mean)"],
            rows);
    }

    /// <summary>
    /// A network's shape set at every Conv2d granularity (the linear layer at its analogue), sparsity 0.5: each layer's
    /// <see cref="PrunedLayer.UpdateMask()"/> on the device, the model-level pass (a model's <c>ComputeMasks()</c>),
    /// that pass with its batched selection forced to each method, and global scope's one ranking, plain and with
    /// LAMP's normalization, against the CPU fast path.
    /// </summary>
    public static CheckTable ShapeSet(MaskChecker checker, ShapeSetModules modules, string setName)
    {
        var rows = new List<CheckRow>();
        foreach (var granularity in ShapeSetModules.Conv2dGranularities)
        {
            var reference = modules.ReferenceLayers(granularity);
            var onDevice = modules.DeviceLayers(granularity);
            var layerPath = new RowTally();
            var prunedWeights = 0.0;
            for (var index = 0; index < reference.Length; index++)
            {
                var pruned = checker.CompareUpdate($"{setName} {granularity} {reference[index].Name} (UpdateMask)", onDevice[index], reference[index], layer => layer.UpdateMask(), layerPath);
                prunedWeights += pruned * modules.Shapes[index].Elements;
            }

            // The model-level pass over fresh layers (masks reset to all ones), as a [Prune] model's ComputeMasks() runs it.
            var passLayers = modules.DeviceLayers(granularity);
            new ShapeSetModel(passLayers).ComputeMasks();
            var modelPass = new RowTally();
            for (var index = 0; index < reference.Length; index++)
            {
                modelPass.Add(checker.Compare($"{setName} {granularity} {reference[index].Name} (model pass)", passLayers[index].Mask!, reference[index].Mask!, out var pruned), pruned);
            }

            var forced = new List<string>();
            var compared = layerPath.Compared + modelPass.Compared;
            var mismatched = layerPath.Mismatched + modelPass.Mismatched;
            foreach (var selection in new[] { BatchSelection.Sort, BatchSelection.Threshold })
            {
                // The same pass over fresh layers, with its batched selection forced to each method in turn.
                var tally = new RowTally();
                var selected = modules.DeviceLayers(granularity);
                MaskPass.ComputeMasks(selected, selected.Select(layer => layer.TargetSparsity).ToArray(), selection);
                for (var index = 0; index < selected.Length; index++)
                {
                    tally.Add(checker.Compare($"{setName} {granularity} {reference[index].Name} (one pass, {selection})", selected[index].Mask!, reference[index].Mask!, out var pruned), pruned);
                }

                forced.Add(tally.Identical);
                compared += tally.Compared;
                mismatched += tally.Mismatched;
            }

            // Every layer keeps its best group under global scope: where a granularity makes few groups per layer, the
            // ranking prunes all the others rather than half of them.
            var groups = reference.Select((layer, index) => GroupCount(modules.Shapes[index].Shape, layer.ReducedDims)).Sum();
            var globalSparsity = Math.Min(ShapeSetModules.Sparsity, (groups - reference.Length) / (double)groups);
            foreach (var normalization in new[] { GlobalScoreNormalization.None, GlobalScoreNormalization.Lamp })
            {
                // Global scope: one ranking of every layer's groups (plain, then LAMP-normalized), on the device and on the
                // CPU fast path, each over fresh layers.
                var tally = new RowTally();
                var globalReference = modules.ReferenceLayers(granularity);
                var globalDevice = modules.DeviceLayers(granularity);
                MaskPass.ComputeGlobalMasks(globalReference, globalSparsity, normalization);
                MaskPass.ComputeGlobalMasks(globalDevice, globalSparsity, normalization);
                for (var index = 0; index < globalReference.Length; index++)
                {
                    tally.Add(checker.Compare($"{setName} {granularity} {globalReference[index].Name} (global, {normalization})", globalDevice[index].Mask!, globalReference[index].Mask!, out var pruned), pruned);
                }

                forced.Add(tally.Identical);
                compared += tally.Compared;
                mismatched += tally.Mismatched;
            }

            rows.Add(new CheckRow(
                [granularity.ToString(), reference[0].ReducedDims.ToString(), reference[^1].Granularity.ToString(), groups.ToString("N0", CultureInfo.InvariantCulture), Percent(prunedWeights / modules.TotalWeights), layerPath.Identical, modelPass.Identical, forced[0], forced[1], forced[2], forced[3]],
                compared,
                mismatched));
        }

        return new CheckTable(
            $"{setName}: {modules.Shapes.Count} layers, {modules.TotalWeights:N0} weights, sparsity 0.5, on {checker.Device} ({checker.DType}) vs CPU fast path",
            ["granularity", "conv dims", "fc as", "groups", "weights pruned", "UpdateMask, layer by layer", "ComputeMasks(), one pass", "one pass, sort", "one pass, kthvalue", "global scope (sparsity 0.5 or every group but each layer's best)", "global, LAMP"],
            rows);
    }

    /// <summary>A kind's granularities: its table (with Layer, which prunes nothing below sparsity 0.5 locally), Custom, N:M.</summary>
    public static IEnumerable<Granularity> GranularitiesOf(LayerKind kind) =>
        Enum.GetValues<Granularity>().Where(granularity => Granularities.TryGetReducedDims(kind, granularity, out _)).Append(Granularity.Custom).Append(Granularity.NOfM);

    /// <summary>A custom tuple per kind: one the table lacks where there is one, otherwise one with the dummy dim.</summary>
    public static int[] CustomDims(LayerKind kind) => kind switch
    {
        LayerKind.Linear => [0, 2],
        LayerKind.Conv1d or LayerKind.ConvTranspose1d => [0, 1, 3],
        LayerKind.Conv2d or LayerKind.ConvTranspose2d => [0, 2, 4],
        _ => [4, 5],
    };

    private static PruneSettings SettingsFor(LayerKind kind, Granularity granularity, Criterion criterion, int seed) => granularity switch
    {
        Granularity.NOfM => PruneSettings.NOfM(2, 4) with { Criterion = criterion, Seed = seed },
        Granularity.Custom => new PruneSettings(granularity, SecondSparsity) { Dims = CustomDims(kind), Criterion = criterion, Seed = seed },
        _ => new PruneSettings(granularity, SecondSparsity) { Criterion = criterion, Seed = seed },
    };

    private static void CompareLayerPair(MaskChecker checker, LayerSpec spec, PruneSettings settings, int seed, RowTally tally)
    {
        using var referenceModule = spec.Create(CPU, ScalarType.Float32);
        using var deviceModule = spec.Create(checker.Device, checker.DType);
        var reference = new ModuleLayer("layer", spec.Kind, settings, referenceModule);
        var onDevice = new ModuleLayer("layer", spec.Kind, settings, deviceModule);
        var random = new Random(seed);
        var count = reference.Weight.numel();

        Weights.Set(Weights.CoarseGrid(random, count), reference, onDevice);
        reference.CaptureInitialWeights();
        onDevice.CaptureInitialWeights();
        if (settings.Criterion == Criterion.Wanda)
        {
            for (var batch = 0; batch < 2; batch++)
            {
                // Each tensor held by `using` (TorchSharp 0.107 does not keep one alive while its handle is in a native
                // call), not by a dispose scope: RecordActivations keeps its sums in whatever scope is current.
                var shape = spec.InputShape(2);
                using var values = tensor(Weights.CoarseGrid(random, shape.Aggregate(1L, (a, b) => a * b)));
                using var input = values.reshape(shape);
                using var deviceInput = input.to(checker.DType, checker.Device);
                reference.RecordActivations(input);
                onDevice.RecordActivations(deviceInput);
            }
        }

        Weights.Set(Weights.CoarseGrid(random, count), reference, onDevice);
        if (settings.Criterion == Criterion.Taylor) Weights.SetGradient(Weights.CoarseGrid(random, count), reference, onDevice);

        // One group (Layer) is never pruned locally below sparsity 0.5, and 0.6 would take it: both would refuse.
        var second = settings.Granularity == Granularity.Layer ? 0.4 : SecondSparsity;
        var what = $"{spec.Kind} {Describe(settings)} {settings.Criterion}";
        checker.CompareUpdate($"{what} (update 1)", onDevice, reference, layer => layer.UpdateMask(FirstSparsity), tally);
        Weights.Set(Weights.CoarseGrid(random, count), reference, onDevice);
        checker.CompareUpdate($"{what} (update 2)", onDevice, reference, layer => layer.UpdateMask(second), tally);
    }

    /// <summary>The product of the sizes of the dims <paramref name="dims"/> keeps (dim d of the weight is dims' d + 1).</summary>
    private static long GroupCount(long[] shape, ReducedDims dims)
    {
        var groups = 1L;
        for (var axis = 0; axis < shape.Length; axis++)
        {
            if (!dims.Contains(axis + 1)) groups *= shape[axis];
        }

        return groups;
    }

    private static string Describe(PruneSettings settings) => settings.Granularity == Granularity.NOfM ? $"N:M {settings.N}:{settings.M}" : settings.Granularity.ToString();

    private static string DimsOf(LayerKind kind, PruneSettings settings) => settings.Granularity switch
    {
        Granularity.NOfM => $"runs of {settings.M} on axis {Granularities.InputAxis(kind)}",
        Granularity.Custom => ReducedDims.Of([.. settings.Dims!]).ToString(),
        _ => Granularities.TryGetReducedDims(kind, settings.Granularity, out var dims) ? dims.ToString() : "?",
    };

    public static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";

    public static string Percent(double fraction) => fraction.ToString("P1", CultureInfo.InvariantCulture);
}
