extern alias generator;

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using GeneratorLayerKind = generator::PruneSharp.LayerKind;
using MemberWrites = generator::PruneSharp.Generator.MemberWrites;
using SemanticModels = generator::PruneSharp.Generator.SemanticModels;
using ShapeInference = generator::PruneSharp.Generator.ShapeInference;

namespace PruneSharp.Tests;

/// <summary>
/// The weight shape the generator reads from a factory call equals the shape TorchSharp gives the layer it builds,
/// for every factory and overload form; calls it cannot pin down give no shape.
/// </summary>
public sealed class ShapeInferenceTests
{
    private const int Hidden = 128;

    /// <summary>(layer kind, factory call as source, the same call run, expected convolution groups).</summary>
    private static readonly (string Kind, string Call, Func<Module<Tensor, Tensor>> Build, long Groups)[] Cases =
    [
        ("Linear", "Linear(64 * 5 * 5, Hidden)", () => Linear(64 * 5 * 5, Hidden), 1),
        ("Linear", "Linear(inputSize: 7, outputSize: 3, hasBias: false)", () => Linear(inputSize: 7, outputSize: 3, hasBias: false), 1),
        ("Conv1d", "Conv1d(4, 8, 3)", () => Conv1d(4, 8, 3), 1),
        ("Conv1d", "Conv1d(in_channels: 6, out_channels: 9, kernel_size: 5, groups: 3)", () => Conv1d(in_channels: 6, out_channels: 9, kernel_size: 5, groups: 3), 3),
        ("Conv1d", "Conv1d(4, 8, 3, TorchSharp.Padding.Same)", () => Conv1d(4, 8, 3, TorchSharp.Padding.Same), 1),
        ("Conv2d", "Conv2d(32, 64, (3, 5), groups: 2)", () => Conv2d(32, 64, (3, 5), groups: 2), 2),
        ("Conv2d", "Conv2d(3, 8, 3, TorchSharp.Padding.Same, stride: 1)", () => Conv2d(3, 8, 3, TorchSharp.Padding.Same, stride: 1), 1),
        ("Conv2d", "Conv2d(kernel_size: (1, 7), out_channels: Hidden / 2, in_channels: 2)", () => Conv2d(kernel_size: (1, 7), out_channels: Hidden / 2, in_channels: 2), 1),
        ("Conv3d", "Conv3d(4, 16, (3, 1, 5), groups: 2)", () => Conv3d(4, 16, (3, 1, 5), groups: 2), 2),
        ("Conv3d", "Conv3d(2, 4, 3)", () => Conv3d(2, 4, 3), 1),
        ("ConvTranspose1d", "ConvTranspose1d(8, 4, 2, stride: 2)", () => ConvTranspose1d(8, 4, 2, stride: 2), 1),
        ("ConvTranspose1d", "ConvTranspose1d(6, 9, 3, groups: 3)", () => ConvTranspose1d(6, 9, 3, groups: 3), 3),
        ("ConvTranspose2d", "ConvTranspose2d(6, 4, (2, 3), groups: 2)", () => ConvTranspose2d(6, 4, (2, 3), groups: 2), 2),
        ("ConvTranspose2d", "ConvTranspose2d(in_channels: 4, out_channels: 6, kernel_size: 3, groups: 2)", () => ConvTranspose2d(in_channels: 4, out_channels: 6, kernel_size: 3, groups: 2), 2),
        ("ConvTranspose3d", "ConvTranspose3d(2, 3, 2)", () => ConvTranspose3d(2, 3, 2), 1),
        ("ConvTranspose3d", "ConvTranspose3d(4, 8, (1, 2, 3), groups: 4)", () => ConvTranspose3d(4, 8, (1, 2, 3), groups: 4), 4),
    ];

    [Fact]
    public void Inferred_shapes_equal_the_shapes_TorchSharp_builds()
    {
        var fields = string.Join("\n", Cases.Select((entry, index) => $"    private readonly {entry.Kind} layer{index} = {entry.Call};"));
        var (compilation, type, writes) = Compile(fields);

        for (var index = 0; index < Cases.Length; index++)
        {
            var (kind, call, build, groups) = Cases[index];
            var shape = ShapeInference.TryInferWeightShape(type.GetMembers($"layer{index}").Single(), Enum.Parse<GeneratorLayerKind>(kind), writes, new SemanticModels(compilation), default);
            Assert.True(shape is not null, $"no shape inferred for {call}");

            using var layer = build();
            var weight = layer switch
            {
                Linear linear => linear.weight!,
                Convolution convolution => convolution.weight!,
                _ => throw new InvalidOperationException(call),
            };
            Assert.Equal(weight.shape, shape.Weight);
            Assert.Equal(groups, shape.Groups);
        }
    }

    [Theory]
    [InlineData("Conv2d", "Conv2d(channels, 8, 3)", true)]                 // a run-time size
    [InlineData("Conv2d", "Conv2d(3, 8, 3, groups: 2)", true)]             // 3 channels do not split into 2 groups: TorchSharp throws
    [InlineData("Conv3d", "Conv3d(3, 8, (3, 3))", false)]                  // not a Conv3d kernel: no overload binds
    [InlineData("Linear", "Linear(new Parameter(zeros(3, 4)))", true)]     // the weight overload
    [InlineData("Conv2d", "Conv2d(3, 0, 3)", true)]                        // no channels
    [InlineData("Conv2d", "Build()", true)]                                // not a TorchSharp factory
    public void Calls_that_do_not_pin_the_shape_down_give_none(string kind, string call, bool binds)
    {
        var (compilation, type, writes) = Compile($"    private readonly {kind} layer;\n    public Shapes(int channels) : base(\"s\") {{ layer = {call}; }}\n    private static Conv2d Build() => Conv2d(3, 8, 3);", mustCompile: binds);
        Assert.Null(ShapeInference.TryInferWeightShape(type.GetMembers("layer").Single(), Enum.Parse<GeneratorLayerKind>(kind), writes, new SemanticModels(compilation), default));
    }

    [Theory]
    [InlineData("public Shapes() : base(\"s\") { layer = Linear(4, 3); }", new long[] { 3, 4 })]
    [InlineData("public Shapes() : base(\"s\") => this.layer = Linear(4, 3);", new long[] { 3, 4 })]
    [InlineData("public Shapes() : base(\"s\") { layer = Linear(4, 3); } public Shapes(int _) : this() { }", new long[] { 3, 4 })]
    [InlineData("public Shapes() : base(\"s\") { layer = Linear(4, 3); } public Shapes(int _) : base(\"s\") { layer = Linear(2 * 2, 3); }", new long[] { 3, 4 })]
    [InlineData("public Shapes() : base(\"s\") { layer = Linear(4, 3); } public Shapes(int _) : base(\"s\") { layer = Linear(5, 3); }", null)]
    [InlineData("public Shapes() : base(\"s\") { layer = Linear(4, 3); layer = Linear(4, 3); }", null)]
    [InlineData("public Shapes() : base(\"s\") { layer = Linear(4, 3); } void Reset() => layer = Linear(4, 3);", null)]
    [InlineData("public Shapes() : base(\"s\") { Action reset = () => layer = Linear(4, 3); reset(); }", null)]
    [InlineData("public Shapes() : base(\"s\") { (layer, other) = (Linear(4, 3), Linear(1, 1)); }", null)]
    [InlineData("public Shapes() : base(\"s\") { Make(out layer); } static void Make(out Linear made) => made = Linear(4, 3);", null)]
    [InlineData("public Shapes() : base(\"s\") { layer ??= Linear(4, 3); }", null)]
    [InlineData("public Shapes() : base(\"s\") { var layer = Linear(9, 9); this.layer = Linear(4, 3); }", new long[] { 3, 4 })]
    public void Constructor_assignments_give_the_shape_when_every_constructor_assigns_it_once_alike(string constructors, long[]? expected)
    {
        var (compilation, type, writes) = Compile($"    private Linear layer;\n    private Linear other = Linear(1, 1);\n{constructors}", withConstructor: false);
        var shape = ShapeInference.TryInferWeightShape(type.GetMembers("layer").Single(), GeneratorLayerKind.Linear, writes, new SemanticModels(compilation), default);
        Assert.Equal(expected, shape?.Weight);
    }

    [Fact]
    public void An_initializer_and_a_constructor_assignment_are_two_assignments()
    {
        var (compilation, type, writes) = Compile("    private readonly Linear layer = Linear(4, 3);\n    public Shapes(int _) : base(\"s\") { layer = Linear(4, 3); }");
        Assert.Null(ShapeInference.TryInferWeightShape(type.GetMembers("layer").Single(), GeneratorLayerKind.Linear, writes, new SemanticModels(compilation), default));
    }

    private static (Microsoft.CodeAnalysis.Compilation Compilation, Microsoft.CodeAnalysis.INamedTypeSymbol Type, MemberWrites Writes) Compile(string members, bool withConstructor = true, bool mustCompile = true)
    {
        var source = TestSources.Usings + $$"""
            public sealed partial class Shapes : Module<Tensor, Tensor>
            {
                private const int Hidden = {{Hidden}};
            {{members}}
            {{(withConstructor ? "    public Shapes() : base(\"s\") { }" : string.Empty)}}
                public override Tensor forward(Tensor input) => input;
            }
            """;
        var compilation = CompilationHelper.Compile(source);
        if (mustCompile) Assert.Empty(compilation.GetDiagnostics().Where(diagnostic => diagnostic.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        var type = compilation.GetTypeByMetadataName("Shapes")!;
        return (compilation, type, MemberWrites.Collect(type, default));
    }
}
