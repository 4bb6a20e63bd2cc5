using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace PruneSharp.Tests;

/// <summary>Checks on the values that flow through a generator's incremental pipeline.</summary>
internal static class PipelineOutputs
{
    /// <summary>
    /// Fails if <paramref name="value"/>, or anything it holds (fields, items, at any depth), is a symbol, syntax, a
    /// compilation, a semantic model, a syntax tree or a location: such values would keep compilations alive and
    /// defeat the pipeline's caching.
    /// </summary>
    public static void AssertNoRoslynObjects(object? value, string path) =>
        AssertNoRoslynObjects(value, path, new HashSet<object>(ReferenceEqualityComparer.Instance));

    private static void AssertNoRoslynObjects(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        Assert.False(value is ISymbol or SyntaxNode or Compilation or SemanticModel or SyntaxTree or Location, $"{path} holds a {value.GetType().Name}");
        if (!value.GetType().IsValueType && !seen.Add(value)) return;

        if (value is IEnumerable items)
        {
            var index = 0;
            foreach (var item in items) AssertNoRoslynObjects(item, $"{path}[{index++}]", seen);
        }

        foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertNoRoslynObjects(field.GetValue(value), $"{path}.{field.Name}", seen);
        }
    }
}
