using System.Globalization;
using System.Reflection;
using System.Text;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// The property tests on the generated path: random layer cases (kinds, shapes, convolution groups, granularities
/// from the table, Custom and N:M, criteria, reducers, RoundTo, seeds; <see cref="PropertyTests.LayerCase"/>) written as
/// <c>[Prune]</c> fields of models, run through PruneSharp's generator, compiled and loaded; each generated layer then
/// goes through the case's three updates (growing, then falling back) against the reference. Where the code gives the
/// shape, the layer holds the generated mask geometry, which the runtime uses.
/// </summary>
public sealed class GeneratedPropertyTests
{
    private const int Cases = 240;
    private const int LayersPerModel = 40;

    [Fact]
    public void Generated_layers_of_random_shapes_and_settings_give_the_reference_masks()
    {
        var random = new Random(2026_12_01);
        var cases = Enumerable.Range(0, Cases).Select(_ => PropertyTests.LayerCase.Create(
            Enum.GetValues<LayerKind>()[random.Next(7)], Enum.GetValues<Criterion>()[random.Next(16)], (Reducer)random.Next(2),
            random.Next(100), random.Next(21) / 20.0, new[] { 0, 0, 0, 0, 2, 3 }[random.Next(6)], random.Next())).ToList();
        var assembly = CompileAndLoad(Source(cases));

        var tally = new PropertyTests.Tally();
        var withGeometry = 0;
        for (var first = 0; first < cases.Count; first += LayersPerModel)
        {
            using var module = (nn.Module)Activator.CreateInstance(assembly.GetType($"Generated.Random{first / LayersPerModel}")!)!;
            var layers = ((IPrunableModule)module).PrunedLayers;
            for (var index = 0; index < layers.Count; index++)
            {
                var testCase = cases[first + index];
                var layer = layers[index];
                Assert.Equal($"l{first + index}", layer.Name);
                AssertSameSettings(testCase.Settings, layer.Settings);
                if (layer.MaskGeometry is not null) withGeometry++;
                testCase.Check(ScalarType.Float32, tally, layer);
            }
        }

        Assert.True(tally.Compared >= Cases, $"only {tally.Compared} masks compared in {Cases} cases");
        Assert.True(tally.WithPrunedWeights >= Cases / 2, $"only {tally.WithPrunedWeights} compared masks pruned anything");

        // Only transposed convolutions with groups (a grouped view) and N:M inputs the runtime rejects keep the runtime plan.
        Assert.True(withGeometry >= Cases * 3 / 4, $"only {withGeometry} of {Cases} generated layers hold a mask geometry");
    }

    /// <summary>One model class per <see cref="LayersPerModel"/> cases; field <c>l{i}</c> is case i, declared at sparsity 0.25 (the updates give their own).</summary>
    private static string Source(IReadOnlyList<PropertyTests.LayerCase> cases)
    {
        var source = new StringBuilder("using PruneSharp;\nusing TorchSharp.Modules;\nusing static TorchSharp.torch;\nusing static TorchSharp.torch.nn;\n\nnamespace Generated;\n");
        for (var first = 0; first < cases.Count; first += LayersPerModel)
        {
            var name = $"Random{first / LayersPerModel}";
            source.AppendLine($"public sealed partial class {name} : Module<Tensor, Tensor>\n{{");
            for (var index = first; index < Math.Min(first + LayersPerModel, cases.Count); index++)
            {
                var testCase = cases[index];
                source.AppendLine($"    {Attribute(testCase.Settings)} public readonly {testCase.Kind} l{index} = {Factory(testCase)};");
            }

            source.AppendLine($"    public {name}() : base(nameof({name})) => RegisterComponents();");
            source.AppendLine("    public override Tensor forward(Tensor input) => throw new System.NotSupportedException();\n}");
        }

        return source.ToString();
    }

    private static string Attribute(PruneSettings settings)
    {
        var named = $"Criterion = Criterion.{settings.Criterion}, Seed = {settings.Seed.ToString(CultureInfo.InvariantCulture)}";
        if (settings.Granularity == Granularity.NOfM) return $"[Prune({settings.N}, {settings.M}, {named})]";
        named += $", Reducer = Reducer.{settings.Reducer}, RoundTo = {settings.RoundTo}";
        if (settings.Dims is { } dims) named += $", Dims = new[] {{ {string.Join(", ", dims)} }}";
        return $"[Prune(Granularity.{settings.Granularity}, 0.25, {named})]";
    }

    private static string Factory(PropertyTests.LayerCase testCase)
    {
        var (outputs, inputs, k1, k2, k3) = (testCase.Sizes[0], testCase.Sizes[1], testCase.Sizes[2], testCase.Sizes[3], testCase.Sizes[4]);
        var kernel = testCase.Kind switch
        {
            LayerKind.Conv1d or LayerKind.ConvTranspose1d => $"{k1}",
            LayerKind.Conv2d or LayerKind.ConvTranspose2d => $"({k1}, {k2})",
            _ => $"({k1}, {k2}, {k3})",
        };
        return testCase.Kind == LayerKind.Linear ? $"Linear({inputs}, {outputs})" : $"{testCase.Kind}({inputs}, {outputs}, {kernel}, groups: {testCase.Groups})";
    }

    private static Assembly CompileAndLoad(string source)
    {
        var compilation = CompilationHelper.Compile(source);
        CompilationHelper.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics.Where(diagnostic => diagnostic.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(diagnostic => diagnostic.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)));
        return Assembly.Load(image.ToArray());
    }

    private static void AssertSameSettings(PruneSettings expected, PruneSettings actual)
    {
        Assert.Equal(
            (expected.Granularity, expected.Criterion, expected.Reducer, expected.RoundTo, expected.Seed, expected.N, expected.M),
            (actual.Granularity, actual.Criterion, actual.Reducer, actual.RoundTo, actual.Seed, actual.N, actual.M));
        Assert.Equal(expected.Dims?.ToArray(), actual.Dims?.ToArray());
        if (expected.Granularity != Granularity.NOfM) Assert.Equal(0.25, actual.Sparsity);
    }
}
