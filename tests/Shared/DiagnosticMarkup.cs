using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.Text;

namespace PruneSharp.Tests;

/// <summary>
/// Source with expected diagnostics marked as <c>{|PRUNE001:text|}</c>, as in Roslyn's analyzer tests:
/// the markers are removed and each marked span is remembered with its ID.
/// </summary>
internal static partial class DiagnosticMarkup
{
    public static (string Source, IReadOnlyList<(string Id, TextSpan Span)> Expected) Parse(string markup)
    {
        var source = new StringBuilder();
        var expected = new List<(string, TextSpan)>();
        var position = 0;
        foreach (Match match in Marker().Matches(markup))
        {
            source.Append(markup, position, match.Index - position);
            var start = source.Length;
            source.Append(match.Groups["text"].Value);
            expected.Add((match.Groups["id"].Value, TextSpan.FromBounds(start, source.Length)));
            position = match.Index + match.Length;
        }

        source.Append(markup, position, markup.Length - position);
        return (source.ToString(), expected);
    }

    [GeneratedRegex(@"\{\|(?<id>PRUNE\d{3}):(?<text>.*?)\|\}", RegexOptions.Singleline)]
    private static partial Regex Marker();
}
