using System;
using System.Text;

namespace PruneSharp;

/// <summary>
/// The set of dims a granularity reduces scores over, counted on the weight with a leading dummy dim (dim 0).
/// </summary>
/// <remarks>Stored as a bit set: bit <c>d</c> is set when dim <c>d</c> is reduced.</remarks>
public readonly struct ReducedDims : IEquatable<ReducedDims>
{
    /// <summary>The largest number of dims (the dummy dim included) a set can name.</summary>
    public const int MaxDims = 16;

    private ReducedDims(int bits) => Bits = bits;

    /// <summary>The bit set: bit <c>d</c> is set when dim <c>d</c> (dummy dim = 0) is reduced.</summary>
    public int Bits { get; }

    /// <summary>Whether the set names no dim.</summary>
    public bool IsEmpty => Bits == 0;

    /// <summary>Makes a set from explicit dims.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dim is negative or not below <see cref="MaxDims"/>.</exception>
    public static ReducedDims Of(params int[] dims)
    {
        if (dims is null) throw new ArgumentNullException(nameof(dims));
        var bits = 0;
        foreach (var dim in dims)
        {
            if (dim < 0 || dim >= MaxDims)
            {
                throw new ArgumentOutOfRangeException(nameof(dims), dim, $"A reduced dim must be in [0, {MaxDims - 1}].");
            }

            bits |= 1 << dim;
        }

        return new ReducedDims(bits);
    }

    /// <summary>Makes a set from its bit set.</summary>
    public static ReducedDims FromBits(int bits) => new(bits);

    /// <summary>Whether dim <paramref name="dim"/> (dummy dim = 0) is reduced.</summary>
    public bool Contains(int dim) => dim >= 0 && dim < MaxDims && (Bits & (1 << dim)) != 0;

    /// <summary>The highest dim in the set, or -1 for an empty set.</summary>
    public int MaxDim
    {
        get
        {
            for (var dim = MaxDims - 1; dim >= 0; dim--)
            {
                if (Contains(dim)) return dim;
            }

            return -1;
        }
    }

    /// <summary>The dims as a tuple, as fasterai writes them: <c>(0)</c>, <c>(2, 3, 4)</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder("(");
        for (var dim = 0; dim < MaxDims; dim++)
        {
            if (!Contains(dim)) continue;
            if (text.Length > 1) text.Append(", ");
            text.Append(dim);
        }

        return text.Append(')').ToString();
    }

    /// <inheritdoc/>
    public bool Equals(ReducedDims other) => Bits == other.Bits;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ReducedDims other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Bits;

    /// <summary>Whether two sets name the same dims.</summary>
    public static bool operator ==(ReducedDims left, ReducedDims right) => left.Equals(right);

    /// <summary>Whether two sets name different dims.</summary>
    public static bool operator !=(ReducedDims left, ReducedDims right) => !left.Equals(right);
}
