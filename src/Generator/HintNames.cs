using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;

namespace PruneSharp.Generator;

/// <summary>
/// The generated files' hint names: <c>Namespace.Outer.Model.Prune.g.cs</c> and <c>….Compact.g.cs</c>. Roslyn compares
/// hint names ignoring case, accepts only some characters (no <c>@</c>) and a file system limits a name's length, while C#
/// tells <c>Net</c> from <c>NET</c> and allows any Unicode letter: the names are made from the raw names (no <c>@</c>),
/// characters other than letters, digits, <c>_</c> and <c>.</c> become <c>_</c>, a long stem is cut, and classes whose
/// names would still meet get a hash of their full name, so every name is unique and the same on every build.
/// </summary>
internal static class HintNames
{
    public const string PruningSuffix = ".Prune.g.cs";
    public const string CompactionSuffix = ".Compact.g.cs";

    /// <summary>UTF-8 bytes a stem may take: with a hash and the suffix, the file name stays far below the usual 255.</summary>
    private const int MaxStemBytes = 150;

    /// <summary>The stem for a class: its namespace, the types it is nested in and its name (raw, without <c>@</c>), joined with dots.</summary>
    public static string Stem(IEnumerable<string> nameParts)
    {
        var stem = new StringBuilder();
        var bytes = 0;
        foreach (var part in nameParts.Where(part => part.Length > 0))
        {
            var separator = stem.Length > 0 ? "." : string.Empty;
            foreach (var character in separator + part)
            {
                var kept = char.IsLetterOrDigit(character) || character is '_' or '.' ? character : '_';
                bytes += Encoding.UTF8.GetByteCount(new[] { kept });
                if (bytes > MaxStemBytes) return stem.ToString();
                stem.Append(kept);
            }
        }

        return stem.ToString();
    }

    /// <summary>
    /// The classes with hint names no two of which are equal ignoring case: where names meet, each of those classes gets
    /// the hash of its full name before the suffix (<c>Models.Net.1f0c2a9b.Prune.g.cs</c>), for both of its files.
    /// </summary>
    public static ImmutableArray<ModelClass> Unique(IReadOnlyList<ModelClass> classes)
    {
        var result = classes.ToArray();
        var groups = Enumerable.Range(0, result.Length).GroupBy(index => result[index].Pruning.HintName, StringComparer.OrdinalIgnoreCase);
        foreach (var group in groups.Where(group => group.Count() > 1))
        {
            foreach (var index in group) result[index] = WithStem(result[index], $"{StemOf(result[index])}.{Hash(result[index].Pruning.FullName)}");
        }

        // A hash that meets another name (a 1 in 4 billion chance per pair): number the rest, in order of their full names.
        foreach (var group in Enumerable.Range(0, result.Length).GroupBy(index => result[index].Pruning.HintName, StringComparer.OrdinalIgnoreCase).Where(group => group.Count() > 1))
        {
            var ordered = group.OrderBy(index => result[index].Pruning.FullName, StringComparer.Ordinal).ToList();
            for (var position = 1; position < ordered.Count; position++)
            {
                result[ordered[position]] = WithStem(result[ordered[position]], $"{StemOf(result[ordered[position]])}.{position + 1}");
            }
        }

        return result.ToImmutableArray();
    }

    private static string StemOf(ModelClass modelClass) =>
        modelClass.Pruning.HintName.Substring(0, modelClass.Pruning.HintName.Length - PruningSuffix.Length);

    private static ModelClass WithStem(ModelClass modelClass, string stem) => new(
        modelClass.Pruning with { HintName = stem + PruningSuffix },
        modelClass.Compaction is null ? null : modelClass.Compaction with { HintName = stem + CompactionSuffix });

    /// <summary>FNV-1a over the name's UTF-16 code units: stable across processes and platforms, unlike string.GetHashCode.</summary>
    private static string Hash(string fullName)
    {
        var hash = 2166136261u;
        foreach (var character in fullName)
        {
            hash = unchecked((hash ^ character) * 16777619u);
        }

        return hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
    }
}
