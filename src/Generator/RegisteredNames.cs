using System.Linq;
using Microsoft.CodeAnalysis;

namespace PruneSharp.Generator;

/// <summary>
/// The name under which TorchSharp's <c>RegisterComponents()</c> registers a member's module, which is its name in
/// <c>named_modules()</c> and <c>state_dict()</c> (docs/architecture.md, rule 1): the field's
/// <c>[ComponentName(Name = …)]</c>, else the field's name; for an auto-property, its backing field's
/// (<c>&lt;Head&gt;k__BackingField</c>, or that field's <c>[field: ComponentName]</c>).
/// </summary>
internal static class RegisteredNames
{
    private const string ComponentNameAttribute = "TorchSharp.Utils.ComponentNameAttribute";

    public static string Of(ISymbol member)
    {
        var field = member switch
        {
            IFieldSymbol candidate => candidate,
            IPropertySymbol property => property.ContainingType.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(candidate => SymbolEqualityComparer.Default.Equals(candidate.AssociatedSymbol, property)),
            _ => null,
        };
        if (field is null) return member.Name;

        foreach (var attribute in field.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != ComponentNameAttribute) continue;
            foreach (var named in attribute.NamedArguments)
            {
                if (named.Key == "Name" && named.Value.Value is string name && name.Length > 0) return name;
            }
        }

        return field.Name;
    }
}
