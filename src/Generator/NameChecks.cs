using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace PruneSharp.Generator;

/// <summary>
/// The names the generated code declares on a model class (<see cref="GeneratedNames"/>) against each other and
/// against the class's own and inherited members: PRUNE027 where two layers would get the same members, PRUNE028
/// where a member the user wrote has a generated name. Each meeting leaves out the least it can: the later layer,
/// the layer whose name is taken, the compaction code, or (for a name of <c>IPrunableModule</c>) the class's code.
/// </summary>
internal static class NameChecks
{
    public static (IReadOnlyList<AcceptedLayer> Layers, bool ModelNamesFree, bool CompactionNamesFree) Check(ValidationContext context, IReadOnlyList<AcceptedLayer> layers)
    {
        var type = context.Model.Type;
        var token = context.CancellationToken;

        // PRUNE027: conv, _conv, m_conv and Conv would all get ConvPruning; the first in declaration order keeps it.
        // A layer inside a container whose names meet another's only loses its typed member (the tree still prunes
        // it, untyped): the layer members' names are checked first, and no diagnostic is about the container's layers.
        var distinct = new List<AcceptedLayer>();
        var byPascalName = new Dictionary<string, AcceptedLayer>(StringComparer.Ordinal);
        foreach (var layer in layers.Where(layer => layer.PathInMember.Length == 0).Concat(layers.Where(layer => layer.PathInMember.Length > 0)))
        {
            var pascalName = layer.PascalName;
            if (layer.PathInMember.Length > 0)
            {
                if (byPascalName.ContainsKey(pascalName)) continue;
                byPascalName.Add(pascalName, layer);
                distinct.Add(layer);
                continue;
            }

            if (byPascalName.TryGetValue(pascalName, out var first))
            {
                var firstLocation = first.Member.Symbol.Locations.FirstOrDefault();
                context.Diagnostics?.Add(Diagnostic.Create(
                    DiagnosticDescriptors.GeneratedNamesMeet,
                    layer.Member.Symbol.Locations.FirstOrDefault(),
                    firstLocation is null ? null : new[] { firstLocation },
                    first.Member.Name,
                    layer.Member.Name,
                    GeneratedNames.LayerProperty(pascalName),
                    GeneratedNames.LayerClass(pascalName)));
                continue;
            }

            byPascalName.Add(pascalName, layer);
            distinct.Add(layer);
        }

        var existing = new ExistingMembers(context);
        var modelNamesFree = true;
        foreach (var name in GeneratedNames.ModelMembers)
        {
            modelNamesFree &= existing.Report(name, $"for '{type.Name}' (IPrunableModule and its state)", $"no pruning code is generated for '{type.Name}'");
        }

        var kept = new List<AcceptedLayer>();
        foreach (var layer in distinct)
        {
            var free = true;
            foreach (var name in GeneratedNames.LayerMembers(layer.PascalName))
            {
                free &= layer.PathInMember.Length > 0
                    ? !existing.Meets(name)
                    : existing.Report(name, $"for layer '{layer.Member.Name}'", $"'{layer.Member.Name}' is not pruned");
            }

            if (free) kept.Add(layer);
        }

        // Kept in tree order, as the caller gave them.
        kept = layers.Where(kept.Contains).ToList();

        var compactionNamesFree = true;
        foreach (var name in GeneratedNames.CompactionMembers)
        {
            compactionNamesFree &= existing.Report(name, $"for '{type.Name}' (compaction)", "Compact() and ZeroPrunedChannels() are not generated");
        }

        return (kept, modelNamesFree, compactionNamesFree);
    }

    /// <summary>
    /// The members a generated one can meet, by name: those the class declares in code people write, the accessible
    /// ones it inherits (a generated member would hide them), and the class's own name (no member may have it).
    /// </summary>
    private sealed class ExistingMembers
    {
        private readonly ValidationContext _context;
        private readonly Dictionary<string, List<(ISymbol Member, INamedTypeSymbol? InheritedFrom)>> _byName = new(StringComparer.Ordinal);

        public ExistingMembers(ValidationContext context)
        {
            _context = context;
            var type = context.Model.Type;
            var compilation = context.Model.Compilation;
            var token = context.CancellationToken;
            Add(type, null);
            foreach (var member in type.GetMembers())
            {
                if (IsNamedMember(member) && !GeneratedCode.IsDeclaredOnlyInGeneratedCode(member, token)) Add(member, null);
            }

            for (var ancestor = type.BaseType; ancestor is not null; ancestor = ancestor.BaseType)
            {
                foreach (var member in ancestor.GetMembers())
                {
                    if (IsNamedMember(member) && compilation.IsSymbolAccessibleWithin(member, type) && !GeneratedCode.IsDeclaredOnlyInGeneratedCode(member, token))
                    {
                        Add(member, ancestor);
                    }
                }
            }
        }

        /// <summary>Whether a member meets <paramref name="generated"/> (no diagnostic).</summary>
        public bool Meets(GeneratedName generated) =>
            _byName.TryGetValue(generated.Name, out var candidates) && candidates.Any(candidate => ExistingMembers.Meets(generated, candidate.Member, _context.Model.Type));

        /// <summary>PRUNE028 for each member that meets <paramref name="generated"/>; false where one does.</summary>
        public bool Report(GeneratedName generated, string generatedFor, string consequence)
        {
            if (!_byName.TryGetValue(generated.Name, out var candidates)) return true;
            var free = true;
            var type = _context.Model.Type;
            foreach (var (member, inheritedFrom) in candidates)
            {
                // The class's own members come first; an inherited one they already meet (one it overrides or hides) adds nothing.
                if (!Meets(generated, member, type) || (inheritedFrom is not null && !free)) continue;
                free = false;
                var ownDeclaration = inheritedFrom is null && !SymbolEqualityComparer.Default.Equals(member, type);
                var location = ownDeclaration ? member.Locations.FirstOrDefault() : ModelParser.IdentifierLocation(type, _context.CancellationToken);
                var where = inheritedFrom is not null ? $" (inherited from '{inheritedFrom.Name}')" : ownDeclaration ? string.Empty : " (the model class's own name)";
                _context.Report(DiagnosticDescriptors.MemberHasGeneratedName, location, member.Name, where, generated.Name, generatedFor, consequence);
            }

            return free;
        }

        private void Add(ISymbol member, INamedTypeSymbol? inheritedFrom)
        {
            if (!_byName.TryGetValue(member.Name, out var list)) _byName[member.Name] = list = new List<(ISymbol, INamedTypeSymbol?)>();
            list.Add((member, inheritedFrom));
        }

        /// <summary>
        /// A generated method (no parameters) meets a method only of the same signature, which it would duplicate or
        /// hide; any other member of the name meets it (CS0102, or it hides it: CS0108). The class's name meets every member (CS0542).
        /// </summary>
        private static bool Meets(GeneratedName generated, ISymbol member, INamedTypeSymbol type)
        {
            if (SymbolEqualityComparer.Default.Equals(member, type)) return true;
            if (generated.IsMethod && member is IMethodSymbol method) return method.Parameters.IsEmpty && method.TypeParameters.IsEmpty;
            return true;
        }

        private static bool IsNamedMember(ISymbol member) =>
            !member.IsImplicitlyDeclared &&
            member is IFieldSymbol or IPropertySymbol { IsIndexer: false } or IEventSymbol or INamedTypeSymbol or IMethodSymbol { MethodKind: MethodKind.Ordinary };
    }
}
