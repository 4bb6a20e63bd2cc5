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
    /// in file and then source order. A container member (<c>Sequential</c>, <c>ModuleList</c>) would be read here too,
    /// as one more kind of <see cref="MemberDeclaration"/>.
    /// </summary>
    public IReadOnlyList<MemberDeclaration> Members { get; } = members;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>The class-level attribute's scope; local without one.</summary>
    public PruningScope Scope => ClassDeclaration?.Scope == PruningScope.Global ? PruningScope.Global : PruningScope.Local;
}

/// <summary>One field or property of a model class, as declared.</summary>
internal sealed class MemberDeclaration(ISymbol symbol, ITypeSymbol type, LayerKind? layerKind, AttributeData? attribute, MemberForm form, ClassBinding binding, CancellationToken cancellationToken)
{
    private LayerShape? _shape;
    private bool _shapeRead;

    public ISymbol Symbol { get; } = symbol;

    public string Name => Symbol.Name;

    public ITypeSymbol Type { get; } = type;

    /// <summary>The TorchSharp layer type the member holds, or null where it is not one PruneSharp prunes.</summary>
    public LayerKind? LayerKind { get; } = layerKind;

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
