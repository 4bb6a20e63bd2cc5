using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace PruneSharp.Generator;

/// <summary>
/// A model class as its source declares it, read once per parse by <see cref="ModelParser.Read"/>: the class-level
/// <c>[Prune]</c> and the class's fields and properties, with their symbols and attributes. It lives for one parse and
/// never enters the pipeline: <see cref="ModelValidator"/> checks it, <see cref="ModelParser"/> builds the
/// <see cref="ModelSpec"/> from what the checks accept.
/// </summary>
internal sealed class ModelDeclaration(
    INamedTypeSymbol type,
    ClassBinding binding,
    AttributeData? classAttribute,
    PruneDeclaration? classDeclaration,
    IReadOnlyList<MemberDeclaration> members,
    CancellationToken cancellationToken)
{
    public INamedTypeSymbol Type { get; } = type;

    public ClassBinding Binding { get; } = binding;

    public Compilation Compilation => Binding.SemanticModels.Compilation;

    /// <summary>The class's own <c>[Prune]</c>, or null.</summary>
    public AttributeData? ClassAttribute { get; } = classAttribute;

    /// <summary>The class's <c>[Prune]</c> as read, not yet checked; null without one or where its arguments do not bind.</summary>
    public PruneDeclaration? ClassDeclaration { get; } = classDeclaration;

    /// <summary>
    /// The fields and properties the class declares in code people write (not generated code: <see cref="GeneratedCode"/>),
    /// in file and then source order: layers, containers and blocks, collections of modules, and the rest.
    /// </summary>
    public IReadOnlyList<MemberDeclaration> Members { get; } = members;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>The class's module tree as its code shows it, read on first use (only classes whose declarations reach into it need it).</summary>
    public StaticTree Tree => _tree ??= StaticTree.Read(this, Compilation.GetTypeByMetadataName(KnownTypeNames.PruneAttribute)!);

    private StaticTree? _tree;

    /// <summary>The class-level attribute's scope; local without one.</summary>
    public PruningScope Scope => ClassDeclaration?.Scope == PruningScope.Global ? PruningScope.Global : PruningScope.Local;
}

/// <summary>One field or property of a model class, as declared.</summary>
internal sealed class MemberDeclaration(ISymbol symbol, ITypeSymbol type, LayerKind? layerKind, MemberRole role, LayerKind? elementKind, AttributeData? attribute, MemberForm form, ClassBinding binding, CancellationToken cancellationToken)
{
    private LayerShape? _shape;
    private bool _shapeRead;

    public ISymbol Symbol { get; } = symbol;

    public string Name => Symbol.Name;

    public ITypeSymbol Type { get; } = type;

    /// <summary>The TorchSharp layer type the member holds, or null where it is not one PruneSharp prunes.</summary>
    public LayerKind? LayerKind { get; } = layerKind;

    /// <summary>What the member holds: a layer, another module (a container, a block), a plain collection of modules, or none of these.</summary>
    public MemberRole Role { get; } = role;

    /// <summary>For a container or collection whose type names its layers' type (<c>ModuleList&lt;Conv2d&gt;</c>, <c>Linear[]</c>): that kind.</summary>
    public LayerKind? ElementKind { get; } = elementKind;

    /// <summary>The name TorchSharp registers the member's module under (<see cref="RegisteredNames"/>); for a collection, its name.</summary>
    public string RegisteredName { get; } = role == MemberRole.Collection ? symbol.Name : RegisteredNames.Of(symbol);

    /// <summary>Whether <c>RegisterComponents()</c> registers what the member holds: an instance field or auto-property of a module type.</summary>
    public bool IsRegisteredModule => Role is MemberRole.Layer or MemberRole.Module && Form is MemberForm.Field or MemberForm.AutoProperty;

    /// <summary>The member's own <c>[Prune]</c>, or null.</summary>
    public AttributeData? Attribute { get; } = attribute;

    public MemberForm Form { get; } = form;

    /// <summary>Whether the member's type is a nullable reference type (<c>Linear?</c>).</summary>
    public bool MayBeNull => Type.NullableAnnotation == NullableAnnotation.Annotated;

    /// <summary>Whether the member holds a layer the generated code can read and the runtime names: an instance field or auto-property of a layer type.</summary>
    public bool HoldsLayer => LayerKind is not null && Form is MemberForm.Field or MemberForm.AutoProperty;

    /// <summary>The weight shape from the member's initializer or constructor assignments; inferred on first use (it binds the factory calls).</summary>
    public LayerShape? Shape
    {
        get
        {
            if (!_shapeRead && LayerKind is { } kind)
            {
                _shape = ShapeInference.TryInferWeightShape(Symbol, kind, binding.Writes, binding.SemanticModels, cancellationToken);
                _shapeRead = true;
            }

            return _shape;
        }
    }
}

/// <summary>What a field or property holds, as far as pruning cares.</summary>
internal enum MemberRole
{
    /// <summary>None of the others: a number, a tensor, a parameter, ...</summary>
    Other,

    /// <summary>A layer PruneSharp prunes (<c>Conv2d</c>, <c>Linear</c>, ...).</summary>
    Layer,

    /// <summary>Any other module: a <c>Sequential</c>, <c>ModuleList</c>, <c>ModuleDict</c>, a block class, a <c>Module&lt;…&gt;</c>.</summary>
    Module,

    /// <summary>A plain array or collection of modules (<c>Conv2d[]</c>, <c>List&lt;Block&gt;</c>), which TorchSharp does not register.</summary>
    Collection,
}

/// <summary>How a field or property holds its value, as far as pruning cares.</summary>
internal enum MemberForm
{
    Field,

    /// <summary>A property whose accessors have no bodies: it is its backing field.</summary>
    AutoProperty,

    StaticMember,

    /// <summary><c>Linear Fc =&gt; _fc;</c></summary>
    ExpressionBodiedProperty,

    /// <summary><c>Linear Fc { get { return _fc; } }</c>, a partial property's implementation, <c>field</c>-backed accessors.</summary>
    PropertyWithAccessorBodies,

    AbstractProperty,

    Indexer,
}
