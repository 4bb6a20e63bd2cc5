using System;
using System.Runtime.CompilerServices;

namespace PruneSharp;

/// <summary>
/// Walks the runs of a plan's innermost segment in memory order and keeps the flat group index of the current run,
/// adding strides and carrying like an odometer instead of dividing the run number.
/// </summary>
internal ref struct RunOdometer
{
    private readonly ReadOnlySpan<int> _sizes;
    private readonly ReadOnlySpan<int> _strides;
    private readonly Span<int> _counters;

    public RunOdometer(ReadOnlySpan<int> outerSizes, ReadOnlySpan<int> outerStrides, Span<int> counters)
    {
        _sizes = outerSizes;
        _strides = outerStrides;
        _counters = counters;
        _counters.Clear();
        Group = 0;
    }

    /// <summary>The flat group index of the current run's first element.</summary>
    public int Group { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance()
    {
        for (var segment = _counters.Length - 1; segment >= 0; segment--)
        {
            Group += _strides[segment];
            if (++_counters[segment] < _sizes[segment]) return;
            Group -= _strides[segment] * _sizes[segment];
            _counters[segment] = 0;
        }
    }
}
