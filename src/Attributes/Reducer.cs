namespace PruneSharp;

/// <summary>How element scores are combined into one score per group.</summary>
public enum Reducer
{
    /// <summary>The mean over the group's elements, in float64. The default.</summary>
    Mean,

    /// <summary>The sum over the group's elements, in float64.</summary>
    Sum,
}
