using PruneSharp.Training;

namespace PruneSharp.Tests;

/// <summary>Every schedule's value at the points its definition fixes (docs/training.md), and bad arguments.</summary>
public sealed class ScheduleTests
{
    public static TheoryData<Schedule> AllSchedules() => new(Enum.GetValues<Schedule>());

    [Theory]
    [MemberData(nameof(AllSchedules))]
    public void Sparsity_is_zero_before_the_start(Schedule kind)
    {
        var schedule = SparsitySchedule.Create(kind, 0.8, start: 0.2, end: 0.6, steps: 4);
        Assert.Equal(0.0, schedule.SparsityAt(0.0));
        Assert.Equal(0.0, schedule.SparsityAt(0.19999));
    }

    [Theory]
    [MemberData(nameof(AllSchedules))]
    public void Sparsity_is_the_target_from_the_end_on_and_zero_for_dense_sparse_dense(Schedule kind)
    {
        var schedule = SparsitySchedule.Create(kind, 0.8, start: 0.2, end: 0.6, steps: 4);
        var expected = kind == Schedule.DenseSparseDense ? 0.0 : 0.8;
        Assert.Equal(expected, schedule.SparsityAt(0.6));
        Assert.Equal(expected, schedule.SparsityAt(0.75));
        Assert.Equal(expected, schedule.SparsityAt(1.0));
    }

    [Theory]
    [InlineData(Schedule.OneShot, 0.8)]
    [InlineData(Schedule.DenseSparseDense, 0.8)]
    [InlineData(Schedule.Iterative, 0.0)]
    [InlineData(Schedule.Agp, 0.0)]
    [InlineData(Schedule.OneCycle, 0.0)]
    [InlineData(Schedule.Cosine, 0.0)]
    [InlineData(Schedule.Linear, 0.0)]
    public void Sparsity_at_the_start(Schedule kind, double expected)
    {
        var schedule = SparsitySchedule.Create(kind, 0.8, start: 0.2, end: 0.6);
        Assert.Equal(expected, schedule.SparsityAt(0.2));
    }

    // Window [0.2, 0.6], target 0.8: t = 0.4 is the window's midpoint (p = 0.5), t = 0.3 its first quarter (p = 0.25).
    [Theory]
    [InlineData(Schedule.OneShot, 0.4, 0.8)]
    [InlineData(Schedule.DenseSparseDense, 0.4, 0.8)]
    [InlineData(Schedule.Linear, 0.4, 0.4)]
    [InlineData(Schedule.Linear, 0.3, 0.2)]
    [InlineData(Schedule.Agp, 0.4, 0.7)]                        // 0.8 · (1 − 0.5³)
    [InlineData(Schedule.Agp, 0.3, 0.4625)]                     // 0.8 · (1 − 0.75³)
    [InlineData(Schedule.Cosine, 0.4, 0.4)]                     // 0.8 · (1 − cos(π/2)) / 2
    [InlineData(Schedule.Cosine, 0.3, 0.11715728752538097)]     // 0.8 · (1 − cos(π/4)) / 2
    [InlineData(Schedule.OneCycle, 0.4, 0.5845100529935441)]    // 0.8 · (σ(1) − σ(−6)) / (σ(8) − σ(−6)), computed apart in Python
    public void Sparsity_inside_the_window_follows_the_formula(Schedule kind, double progress, double expected)
    {
        var schedule = SparsitySchedule.Create(kind, 0.8, start: 0.2, end: 0.6);
        Assert.Equal(expected, schedule.SparsityAt(progress), 12);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.2499, 0.0)]
    [InlineData(0.25, 0.15)]
    [InlineData(0.4999, 0.15)]
    [InlineData(0.5, 0.3)]
    [InlineData(0.75, 0.45)]
    [InlineData(0.9999, 0.45)]
    [InlineData(1.0, 0.6)]
    public void Iterative_steps_up_by_equal_steps_and_reaches_the_target_at_the_end(double progress, double expected)
    {
        var schedule = SparsitySchedule.Create(Schedule.Iterative, 0.6, start: 0.0, end: 1.0, steps: 4);
        Assert.Equal(expected, schedule.SparsityAt(progress), 12);
    }

    [Fact]
    public void Iterative_step_boundaries_computed_from_step_counts_land_on_the_step()
    {
        // 1/3 and 2/3 are not exact in binary: 10 / 30.0 must still count as the first step done.
        var schedule = SparsitySchedule.Create(Schedule.Iterative, 0.9, steps: 3);
        Assert.Equal(0.3, schedule.SparsityAt(10 / 30.0), 12);
        Assert.Equal(0.6, schedule.SparsityAt(20 / 30.0), 12);
        Assert.Equal(0.3, schedule.SparsityAt(19 / 30.0 + 0.01), 12);
    }

    [Theory]
    [InlineData(Schedule.OneShot)]
    [InlineData(Schedule.Iterative)]
    [InlineData(Schedule.Agp)]
    [InlineData(Schedule.OneCycle)]
    [InlineData(Schedule.Cosine)]
    [InlineData(Schedule.Linear)]
    public void Growing_schedules_never_decrease_and_stay_within_zero_and_the_target(Schedule kind)
    {
        var schedule = SparsitySchedule.Create(kind, 0.7, start: 0.1, end: 0.9, steps: 5);
        var previous = 0.0;
        for (var step = 0; step <= 1000; step++)
        {
            var sparsity = schedule.SparsityAt(step / 1000.0);
            Assert.InRange(sparsity, previous, 0.7);
            previous = sparsity;
        }
    }

    [Fact]
    public void Start_equal_to_end_is_a_step_at_that_point()
    {
        var schedule = SparsitySchedule.Create(Schedule.Agp, 0.5, start: 0.3, end: 0.3);
        Assert.Equal(0.0, schedule.SparsityAt(0.29));
        Assert.Equal(0.5, schedule.SparsityAt(0.3));
    }

    [Fact]
    public void Custom_ramp_scales_the_target_inside_the_window()
    {
        var schedule = SparsitySchedule.Custom(0.8, p => p * p, start: 0.2, end: 0.6);
        Assert.Null(schedule.Kind);
        Assert.Equal(0.0, schedule.SparsityAt(0.1));
        Assert.Equal(0.2, schedule.SparsityAt(0.4), 12);   // 0.8 · 0.5²
        Assert.Equal(0.8, schedule.SparsityAt(0.9), 12);   // ramp(1) from the end on
    }

    [Fact]
    public void Custom_ramp_outside_zero_to_one_is_an_error_with_the_value()
    {
        var schedule = SparsitySchedule.Custom(0.5, p => 1.5);
        var error = Assert.Throws<InvalidOperationException>(() => schedule.SparsityAt(0.5));
        Assert.Contains("returned 1.5", error.Message);
    }

    [Fact]
    public void From_settings_reads_schedule_target_window_and_steps()
    {
        var settings = new PruneSettings(Granularity.Kernel, 0.6) { Schedule = Schedule.Iterative, ScheduleStart = 0.2, ScheduleEnd = 0.8, ScheduleSteps = 2 };
        var schedule = SparsitySchedule.FromSettings(settings);
        Assert.Equal((Schedule.Iterative, 0.6, 0.2, 0.8, 2), (schedule.Kind!.Value, schedule.Target, schedule.Start, schedule.End, schedule.Steps));
        Assert.Equal(0.0, schedule.SparsityAt(0.49));
        Assert.Equal(0.3, schedule.SparsityAt(0.5), 12);
        Assert.Equal(0.6, schedule.SparsityAt(0.8), 12);
    }

    [Fact]
    public void Bad_arguments_are_errors_naming_the_value()
    {
        Assert.Contains("1.5", Assert.Throws<ArgumentOutOfRangeException>(() => SparsitySchedule.Create(Schedule.Agp, 1.5)).Message);
        Assert.Contains("-0.1", Assert.Throws<ArgumentOutOfRangeException>(() => SparsitySchedule.Create(Schedule.Agp, 0.5, start: -0.1)).Message);
        Assert.Contains("[0.5, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => SparsitySchedule.Create(Schedule.Agp, 0.5, start: 0.5, end: 0.4)).Message);
        Assert.Contains("at least 1 step", Assert.Throws<ArgumentOutOfRangeException>(() => SparsitySchedule.Create(Schedule.Iterative, 0.5, steps: 0)).Message);
        Assert.Contains("not a schedule", Assert.Throws<ArgumentOutOfRangeException>(() => SparsitySchedule.Create((Schedule)99, 0.5)).Message);
        var schedule = SparsitySchedule.Create(Schedule.Linear, 0.5);
        Assert.Contains("1.1", Assert.Throws<ArgumentOutOfRangeException>(() => schedule.SparsityAt(1.1)).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentOutOfRangeException>(() => schedule.SparsityAt(double.NaN)).Message);
    }
}
