using System;
using Microsoft.CodeAnalysis.CSharp;

namespace PruneSharp.Generator;

/// <summary>How the generators write names as C# code.</summary>
internal static class CSharpNames
{
    /// <summary>
    /// <paramref name="name"/> as an identifier in code: with <c>@</c> where it is a keyword, reserved (<c>@fixed</c>)
    /// or contextual (<c>@record</c>, <c>@var</c>; escaping those is always legal and never changes what they mean).
    /// </summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None
            ? "@" + name
            : name;

    /// <summary>
    /// The member name in PascalCase, for the names of the members generated for it: leading underscores and an
    /// <c>m_</c> prefix are dropped and the first letter is upper-cased (<c>_conv</c>, <c>m_conv</c>, <c>conv</c> and
    /// <c>Conv</c> all give <c>Conv</c>; PRUNE027 reports two layers that meet). A name that would then not start like
    /// an identifier (<c>_1</c>, <c>_</c>) is kept as it is.
    /// </summary>
    public static string PascalCase(string name)
    {
        var trimmed = name.TrimStart('_');
        if (trimmed.StartsWith("m_", StringComparison.Ordinal)) trimmed = trimmed.Substring(2);
        if (trimmed.Length == 0 || !SyntaxFacts.IsIdentifierStartCharacter(trimmed[0])) return name;
        return char.ToUpperInvariant(trimmed[0]) + trimmed.Substring(1);
    }
}
