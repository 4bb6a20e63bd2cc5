namespace PruneSharp.Training;

/// <summary>
/// What a load may accept beyond an exact match of the model's state dict. The defaults accept nothing else: every
/// tensor of the model must be in the file, in its dtype and shape, with finite values.
/// </summary>
public sealed class CheckpointLoadOptions
{
    /// <summary>The defaults: an exact, finite match.</summary>
    public static CheckpointLoadOptions Default { get; } = new();

    /// <summary>
    /// Whether parameters and buffers that the file lacks keep their values (default <see langword="false"/>: a missing
    /// tensor is an error). A layer whose mask the file lacks keeps its mask, or stays without one.
    /// </summary>
    public bool AllowMissing { get; init; }

    /// <summary>
    /// Whether floating-point parameters and buffers may hold NaN or infinity (default <see langword="false"/>). Masks
    /// must hold exactly 0 or 1 regardless.
    /// </summary>
    public bool AllowNonFinite { get; init; }

    /// <summary>
    /// Whether a floating-point tensor stored in another floating-point type (float16, bfloat16, float32, float64) is
    /// converted to the model's type (default <see langword="false"/>: a dtype that differs is an error). Values that a
    /// narrower type cannot hold become infinite and are rejected unless <see cref="AllowNonFinite"/>. No other
    /// conversion is made: integer, boolean and complex tensors must match exactly.
    /// </summary>
    public bool ConvertFloatingPoint { get; init; }
}
