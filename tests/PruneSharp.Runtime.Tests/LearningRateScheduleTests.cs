using PruneSharp.Training;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>Recovery learning-rate schedules: values at their ends and at their turning points, rewinding, and the optimizer hook.</summary>
public sealed class LearningRateScheduleTests
{
    [Fact]
    public void One_cycle_starts_at_max_over_div_peaks_after_the_warmup_and_ends_at_start_over_final_div()
    {
        var schedule = LearningRateSchedule.OneCycle(0.01, warmup: 0.3, divFactor: 20, finalDivFactor: 100);
        Assert.Equal(0.01 / 20, schedule.At(0.0), 15);
        Assert.Equal(0.01, schedule.At(0.3), 15);
        Assert.Equal(0.01 / 20 / 100, schedule.At(1.0), 15);
        // Half-way through the warm-up and through the annealing: the cosine's midpoints.
        Assert.Equal((0.01 + (0.01 / 20)) / 2, schedule.At(0.15), 12);
        Assert.Equal((0.01 + (0.01 / 2000)) / 2, schedule.At(0.65), 12);
        // It rises, then falls.
        var values = Enumerable.Range(0, 101).Select(step => schedule.At(step / 100.0)).ToArray();
        Assert.True(values.Take(31).Zip(values.Skip(1).Take(30)).All(pair => pair.First < pair.Second));
        Assert.True(values.Skip(30).Zip(values.Skip(31)).All(pair => pair.First > pair.Second));
    }

    [Fact]
    public void Cosine_and_constant_schedules_at_their_ends()
    {
        var cosine = LearningRateSchedule.Cosine(0.1, 0.001);
        Assert.Equal(0.1, cosine.At(0), 15);
        Assert.Equal(0.0505, cosine.At(0.5), 12);
        Assert.Equal(0.001, cosine.At(1), 15);
        Assert.Equal(0.02, LearningRateSchedule.Constant(0.02).At(0.7));
        Assert.Equal(0.0, LearningRateSchedule.Cosine(0.1).At(1), 15);
    }

    [Fact]
    public void Rewinding_replays_the_original_schedule_from_the_rewind_point_to_its_end()
    {
        var original = LearningRateSchedule.Cosine(0.1, 0.0);
        var rewound = original.RewoundTo(0.4);
        Assert.Equal(original.At(0.4), rewound.At(0.0), 15);
        Assert.Equal(original.At(0.7), rewound.At(0.5), 15);
        Assert.Equal(original.At(1.0), rewound.At(1.0), 15);
        // Rewinding to 0 is the whole schedule again; to 1, the final rate all along.
        Assert.Equal(original.At(0.25), original.RewoundTo(0).At(0.25), 15);
        Assert.Equal(original.At(1.0), original.RewoundTo(1).At(0.3), 15);
    }

    [Fact]
    public void Apply_sets_every_parameter_group_to_the_rate_of_the_step()
    {
        using var layer = nn.Linear(2, 2);
        using var optimizer = optim.SGD(layer.parameters(), 1.0);
        var schedule = LearningRateSchedule.OneCycle(0.1);
        Assert.Equal(schedule.At(0), schedule.Apply(optimizer, 0, 10));
        Assert.All(optimizer.ParamGroups, group => Assert.Equal(schedule.At(0), group.LearningRate));
        schedule.Apply(optimizer, 9, 10);
        Assert.All(optimizer.ParamGroups, group => Assert.Equal(schedule.At(0.9), group.LearningRate));
    }

    [Fact]
    public void Out_of_range_values_are_errors_that_name_them()
    {
        Assert.Contains("-0.1", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant(-0.1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.OneCycle(0.1, warmup: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.OneCycle(0.1, divFactor: 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(0.1, double.NaN));
        Assert.Contains("1.5", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant(0.1).RewoundTo(1.5)).Message);
        Assert.Contains("1.2", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant(0.1).At(1.2)).Message);
        Assert.Contains("[0, 10)", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant(0.1).AtStep(10, 10)).Message);
        Assert.Contains("-1", Assert.Throws<InvalidOperationException>(() => LearningRateSchedule.Custom(_ => -1).At(0.5)).Message);
    }
}
