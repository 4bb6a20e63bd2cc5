using PruneSharp.Tests.Models;
using PruneSharp.Training;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>The training-loop hook: masks follow the schedules, pruned weights stay zero, rewinding keeps masks.</summary>
public sealed class SparsifierTests
{
    [Fact]
    public void Masks_reapplied_after_each_optimizer_step_keep_pruned_weights_exactly_zero()
    {
        using var model = new TrainingNet();
        using var sparsifier = new Sparsifier(model, _ => SparsitySchedule.Create(Schedule.OneShot, 0.5));
        // Momentum and weight decay move every weight, pruned ones included, at every step.
        using var optimizer = optim.SGD(model.parameters(), 0.1, momentum: 0.9, weight_decay: 0.01);
        using var input = randn(8, 1, 6, 6);
        using var target = randint(0, 3, [8]);
        const int steps = 6;
        for (var step = 0; step < steps; step++)
        {
            TrainStep(model, optimizer, input, target);
            if (step > 0)
            {
                // The optimizer brought pruned weights back: without the hook they would not be zero.
                Assert.All(model.PrunedLayers, layer => Assert.True(PrunedValues(layer).abs().max().item<float>() > 0));
            }

            var before = model.PrunedLayers.Select(layer => layer.Weight.detach().clone()).ToArray();
            sparsifier.Step(step, steps);
            for (var index = 0; index < before.Length; index++)
            {
                var layer = model.PrunedLayers[index];
                using var pruned = PrunedValues(layer);
                Assert.Equal(0L, pruned.count_nonzero().item<long>());
                using var keep = layer.Mask!.eq(1);
                Assert.True(TensorAssert.Same(before[index].masked_select(keep), layer.Weight.detach().masked_select(keep)), "kept weights must not change");
                Assert.Equal(Math.Round(0.5 * layer.Weight.numel(), MidpointRounding.ToEven), pruned.numel());
                before[index].Dispose();
            }
        }
    }

    [Fact]
    public void Masks_are_recomputed_only_at_the_steps_where_the_scheduled_sparsity_changes()
    {
        using var model = new TrainingNet();
        using var sparsifier = new Sparsifier(model, _ => SparsitySchedule.Create(Schedule.Iterative, 0.6, steps: 3));
        var updatedAt = new List<(int Step, long Updates)>();
        for (var step = 0; step < 30; step++)
        {
            var before = sparsifier.MaskUpdates;
            sparsifier.Step(step, 30);
            if (sparsifier.MaskUpdates != before) updatedAt.Add((step, sparsifier.MaskUpdates - before));
        }

        // Progress (step + 1) / 30 crosses 1/3, 2/3 and 1 after steps 9, 19 and 29; each time both layers update.
        Assert.Equal([(9, 2L), (19, 2L), (29, 2L)], updatedAt);
        Assert.Equal(0.6, sparsifier.ScheduledSparsity(0), 12);
        Assert.All(model.GetSparsityReport().Layers, layer => Assert.Equal((long)Math.Round(0.6 * layer.Groups, MidpointRounding.ToEven), layer.PrunedGroups));
    }

    [Fact]
    public void Update_every_k_steps_reads_a_smooth_schedule_only_at_multiples_of_k()
    {
        using var model = new TrainingNet();
        using var sparsifier = new Sparsifier(model, _ => SparsitySchedule.Create(Schedule.Agp, 0.5)) { UpdateEvery = 10 };
        var updatedAt = new List<int>();
        for (var step = 0; step < 25; step++)
        {
            var before = sparsifier.MaskUpdates;
            sparsifier.Step(step, 25);
            if (sparsifier.MaskUpdates != before) updatedAt.Add(step);
        }

        // Read at 10/25 and 20/25 of training, and at the last step (25/25), where AGP reaches the target.
        Assert.Equal([9, 19, 24], updatedAt);
        Assert.Equal(0.5, sparsifier.ScheduledSparsity(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sparsifier(model) { UpdateEvery = 0 });
    }

    [Fact]
    public void A_mask_is_kept_while_the_scheduled_sparsity_is_unchanged_even_when_the_weights_change()
    {
        using var model = new TrainingNet();
        using var sparsifier = new Sparsifier(model, _ => SparsitySchedule.Create(Schedule.OneShot, 0.5));
        sparsifier.Step(0, 10);
        var layer = model.PrunedLayers[1];
        using var mask = layer.Mask!.clone();

        // Make the pruned weights the largest: a recomputed mask would be the opposite one.
        using (no_grad())
        {
            layer.Weight.copy_(where(mask.eq(0), full_like(layer.Weight, 10f), full_like(layer.Weight, 0.001f)));
        }

        using (var recomputed = TorchMaskEngine.ComputeMask(layer.Weight, layer.ReducedDims, 0.5, layer.Name))
        {
            Assert.False(TensorAssert.Same(mask, recomputed));   // what a recompute would give now
        }

        sparsifier.Step(1, 10);
        Assert.Equal(2L, sparsifier.MaskUpdates);   // the first step's two, none since
        Assert.True(TensorAssert.Same(mask, layer.Mask!));
        Assert.Equal(0L, PrunedValues(layer).count_nonzero().item<long>());
    }

    [Fact]
    public void Layers_scheduled_at_zero_get_no_mask_and_are_left_alone()
    {
        using var model = new TrainingNet();
        using var sparsifier = new Sparsifier(model, _ => SparsitySchedule.Create(Schedule.Linear, 0.5, start: 0.5));
        using var weight = model.PrunedLayers[0].Weight.detach().clone();
        for (var step = 0; step < 4; step++) sparsifier.Step(step, 10);   // progress up to 0.4
        Assert.Equal(0L, sparsifier.MaskUpdates);
        Assert.All(model.PrunedLayers, layer => Assert.Null(layer.Mask));
        Assert.True(TensorAssert.Same(weight, model.PrunedLayers[0].Weight));
        sparsifier.Step(5, 10);                                            // 0.6: 0.5 · 0.2 = 0.1
        Assert.Equal(0.1, sparsifier.ScheduledSparsity(0), 12);
        Assert.Equal(2L, sparsifier.MaskUpdates);
    }

    [Fact]
    public void Dense_sparse_dense_prunes_inside_its_window_and_releases_the_masks_at_its_end()
    {
        using var model = new TrainingNet();
        using var sparsifier = new Sparsifier(model, _ => SparsitySchedule.Create(Schedule.DenseSparseDense, 0.5, start: 0.2, end: 0.6));
        using var optimizer = optim.SGD(model.parameters(), 0.1, momentum: 0.9);
        using var input = randn(8, 1, 6, 6);
        using var target = randint(0, 3, [8]);
        var fc = model.PrunedLayers[1];
        Tensor? prunedInWindow = null;
        for (var step = 0; step < 10; step++)
        {
            TrainStep(model, optimizer, input, target);
            sparsifier.Step(step, 10);
            var progress = (step + 1) / 10.0;
            if (progress is >= 0.2 and < 0.6)
            {
                Assert.Equal(0.5, fc.Report().MeasuredSparsity, 2);
                prunedInWindow ??= fc.Mask!.eq(0);
                Assert.Equal(0L, fc.Weight.detach().masked_select(prunedInWindow).count_nonzero().item<long>());
            }
            else if (progress >= 0.6)
            {
                Assert.Equal(0.0, fc.Report().MeasuredSparsity);
            }
        }

        // After the release, training moved the once-pruned weights again.
        Assert.NotNull(prunedInWindow);
        Assert.True(fc.Weight.detach().masked_select(prunedInWindow).count_nonzero().item<long>() > 0);
        prunedInWindow.Dispose();
    }

    [Fact]
    public void Rewinding_restores_the_captured_weights_except_pruned_ones_which_stay_zero()
    {
        using var model = new TrainingNet();
        using var sparsifier = new Sparsifier(model, _ => SparsitySchedule.Create(Schedule.Agp, 0.5, end: 0.5));
        var captured = model.named_parameters().ToDictionary(entry => entry.name, entry => entry.parameter.detach().clone());
        sparsifier.CaptureRewindPoint();
        Assert.True(sparsifier.HasRewindPoint);

        using var optimizer = optim.Adam(model.parameters(), 0.01);
        using var input = randn(8, 1, 6, 6);
        using var target = randint(0, 3, [8]);
        for (var step = 0; step < 10; step++)
        {
            TrainStep(model, optimizer, input, target);
            sparsifier.Step(step, 10);
        }

        var masks = model.PrunedLayers.Select(layer => layer.Mask!.clone()).ToArray();
        Assert.False(TensorAssert.Same(captured["fc.bias"], model.named_parameters().First(entry => entry.name == "fc.bias").parameter));

        sparsifier.Rewind();

        foreach (var (name, parameter) in model.named_parameters())
        {
            var layer = model.PrunedLayers.FirstOrDefault(layer => name == layer.Name + ".weight");
            if (layer is null)
            {
                Assert.True(TensorAssert.Same(captured[name], parameter), $"{name} is rewound");
                continue;
            }

            using var keep = layer.Mask!.eq(1);
            using var drop = layer.Mask!.eq(0);
            Assert.True(TensorAssert.Same(captured[name].masked_select(keep), parameter.masked_select(keep)), $"{name}: kept weights are rewound");
            Assert.Equal(0L, parameter.masked_select(drop).count_nonzero().item<long>());
            Assert.True(captured[name].masked_select(drop).count_nonzero().item<long>() > 0, "the captured weights were not zero there");
        }

        Assert.All(model.PrunedLayers.Zip(masks), pair => Assert.True(TensorAssert.Same(pair.Second, pair.First.Mask!)));
        foreach (var tensor in captured.Values.Concat(masks)) tensor.Dispose();
    }

    [Fact]
    public void Rewinding_without_a_rewind_point_is_an_error()
    {
        using var model = new TrainingNet();
        using var sparsifier = new Sparsifier(model);
        Assert.False(sparsifier.HasRewindPoint);
        Assert.Contains("CaptureRewindPoint", Assert.Throws<InvalidOperationException>(sparsifier.Rewind).Message);
    }

    [Fact]
    public void Masks_made_inside_a_dispose_scope_outlive_it()
    {
        // The usual training loop opens a dispose scope per batch; masks must not be freed with the batch.
        using var model = new TrainingNet();
        using var sparsifier = new Sparsifier(model, _ => SparsitySchedule.Create(Schedule.Linear, 0.5));
        for (var step = 0; step < 4; step++)
        {
            using var scope = NewDisposeScope();
            sparsifier.Step(step, 4);
        }

        Assert.All(model.PrunedLayers, layer => Assert.False(layer.Mask!.IsInvalid));
        model.ApplyMasks();
        Assert.Equal(0.5, model.GetSparsityReport().OverallSparsity, 2);
    }

    [Fact]
    public void By_default_each_layer_follows_the_schedule_its_settings_declare()
    {
        using var model = new HandPrunedModel(
            new PruneSettings(Granularity.Weight, 0.5) { Schedule = Schedule.Linear },
            new PruneSettings(Granularity.Row, 0.5) { Schedule = Schedule.OneShot, ScheduleStart = 0.5 });
        using var sparsifier = new Sparsifier(model);
        Assert.Equal([Schedule.Linear, Schedule.OneShot], sparsifier.Schedules.Select(schedule => schedule.Kind!.Value));

        sparsifier.Update(0.4);
        Assert.Equal(0.2, sparsifier.ScheduledSparsity(0), 12);
        Assert.Equal(0.0, sparsifier.ScheduledSparsity(1));
        Assert.Null(model.PrunedLayers[1].Mask);

        sparsifier.Update(0.5);
        Assert.Equal(0.5, sparsifier.ScheduledSparsity(1));
        Assert.Equal(2, model.GetSparsityReport().Layers[1].PrunedGroups);   // round-half-to-even(0.5 × 4 rows)
    }

    [Theory]
    [InlineData(-1, 10)]
    [InlineData(10, 10)]
    [InlineData(0, 0)]
    public void Step_out_of_range_is_an_error(long step, long totalSteps)
    {
        using var model = new TrainingNet();
        using var sparsifier = new Sparsifier(model);
        Assert.Throws<ArgumentOutOfRangeException>(() => sparsifier.Step(step, totalSteps));
    }

    private static void TrainStep(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Tensor input, Tensor target)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(model.forward(input), target);
        loss.backward();
        optimizer.step();
    }

    /// <summary>The layer's weights where its mask is 0.</summary>
    private static Tensor PrunedValues(PrunedLayer layer)
    {
        using var drop = layer.Mask!.eq(0);
        return layer.Weight.detach().masked_select(drop);
    }
}
