// Compiled into both PruneSharp.Generator and PruneSharp.Runtime: the generator checks the patterns of [Prune] and
// matches them against the layers the code shows, the runtime matches them against the layers of the real model.
using System;

namespace PruneSharp;

/// <summary>
/// A glob over dotted layer names (<c>layer1.0.conv1</c>), as <c>LayerSelection.Include</c> and
/// <c>LayerSelection.Exclude</c>, <c>PruneAttribute.Include</c> and <c>PruneAttribute.Exclude</c> and the imperative
/// entry's <c>Matching</c> and <c>Except</c> take them.
/// </summary>
/// <remarks>
/// <para>
/// The pattern is split at dots like the name. In one segment <c>*</c> matches any run of characters (none included)
/// and <c>?</c> one character; a segment that is exactly <c>**</c> matches any number of whole segments, none included.
/// Everything else matches itself, case-sensitively (names are C# and state-dict names).
/// </para>
/// <para>
/// A pattern matches a layer when it matches the layer's name <em>or the path of a module that holds it</em>:
/// <c>layer4</c> matches every layer under <c>layer4</c>, <c>fc</c> matches the layer <c>fc</c>,
/// <c>layer*.*.downsample</c> every downsample convolution of a ResNet, <c>**.conv1</c> every <c>conv1</c> at any depth.
/// </para>
/// </remarks>
internal sealed class LayerNamePattern
{
    private const string AnySegments = "**";
    private readonly string[] _segments;

    private LayerNamePattern(string text, string[] segments)
    {
        Text = text;
        _segments = segments;
    }

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary>Parses <paramref name="pattern"/>.</summary>
    /// <exception cref="ArgumentException">The pattern is malformed (<see cref="Problem"/> says how).</exception>
    public static LayerNamePattern Parse(string pattern, string parameterName)
    {
        if (pattern is null) throw new ArgumentNullException(parameterName);
        if (Problem(pattern) is { } problem) throw new ArgumentException(problem + ".", parameterName);
        return new LayerNamePattern(pattern, pattern.Split('.'));
    }

    /// <summary>
    /// Why <paramref name="pattern"/> is not a pattern (empty, an empty segment as in <c>a..b</c>, or <c>**</c> inside a
    /// segment), as a sentence that names it; null when it is one. The generator reports the same sentence (PRUNE041).
    /// </summary>
    public static string? Problem(string pattern)
    {
        foreach (var segment in pattern.Split('.'))
        {
            if (segment.Length == 0)
            {
                return $"Layer name pattern '{pattern}' has an empty segment; segments are separated by single dots (layer1.0.conv1, layer*.**)";
            }

            if (segment != AnySegments && segment.Contains(AnySegments))
            {
                return $"Layer name pattern '{pattern}' uses ** inside the segment '{segment}'; ** stands for whole segments only (layer1.**), * for characters within one (layer*)";
            }
        }

        return null;
    }

    /// <summary>Whether the pattern matches <paramref name="name"/> or the path of a module that holds it.</summary>
    public bool Matches(string name)
    {
        if (name is null) throw new ArgumentNullException(nameof(name));
        return MatchFrom(0, name.Split('.'), 0);
    }

    /// <inheritdoc/>
    public override string ToString() => Text;

    private bool MatchFrom(int patternIndex, string[] name, int nameIndex)
    {
        // The pattern is used up: it matched the name or, with segments left, a module that holds the layer.
        if (patternIndex == _segments.Length) return true;
        var segment = _segments[patternIndex];
        if (segment == AnySegments)
        {
            for (var skip = nameIndex; skip <= name.Length; skip++)
            {
                if (MatchFrom(patternIndex + 1, name, skip)) return true;
            }

            return false;
        }

        return nameIndex < name.Length && SegmentMatches(segment, name[nameIndex]) && MatchFrom(patternIndex + 1, name, nameIndex + 1);
    }

    /// <summary>Glob match of one segment: <c>*</c> any run, <c>?</c> one character (iterative, with one backtrack point).</summary>
    private static bool SegmentMatches(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
