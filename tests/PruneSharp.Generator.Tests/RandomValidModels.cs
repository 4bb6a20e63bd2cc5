using System.Text;

namespace PruneSharp.Tests;

/// <summary>
/// Random model classes that are valid C# by construction, built from the names and shapes that trip generators:
/// keywords, contextual keywords, Unicode, leading underscores and <c>m_</c>, names that differ only in case, very long
/// names, names of generated members, nullable layers, fields and auto-properties, classes split over files and nested
/// in records, structs, interfaces and static classes, in namespaces that differ only in case.
/// </summary>
internal static class RandomValidModels
{
    private static readonly string[] LayerNames =
    [
        "conv", "Conv", "_conv", "m_conv", "__conv", "fc", "Fc", "@fixed", "@class", "value", "@var", "@record", "слой", "层", "_1", "_",
        "naïve", "head", "Head", "m_", "x" + new string('y', 200), "ComputeMasks", "PrunedLayers", "FcPruning", "ConvPrunedLayer",
        "__pruneSharpHead", "ZeroPrunedChannels", "Compact", "PruningScope",
    ];

    private static readonly string[] ClassNames = ["Net", "NET", "net2", "@checked", "Сеть", "Model", "ConvPrunedLayer", "Compact", "M" + new string('o', 200)];

    private static readonly string[] Namespaces = ["", "Models", "models", "@unsafe.@checked", "Модели", "N" + new string('s', 150), "Models.Net"];

    private static readonly string[] Containers = ["partial class {0}", "static partial class {0}", "partial record {0}", "partial struct {0}", "partial interface {0}", "readonly partial record struct {0}"];

    private static readonly string[] ContainerNames = ["Outer", "OUTER", "@object", "Хранилище"];

    /// <summary>The sources of one compilation: one to three model classes, each in one or two files.</summary>
    public static string[] Create(Random random)
    {
        var files = new List<string>();
        var usedPlaces = new HashSet<string>(StringComparer.Ordinal);
        var models = random.Next(1, 4);
        for (var model = 0; model < models; model++)
        {
            var ns = Namespaces[random.Next(Namespaces.Length)];
            var containers = Enumerable.Range(0, random.Next(3)).Select(depth => (Keyword: Containers[random.Next(Containers.Length)], Name: ContainerNames[random.Next(ContainerNames.Length)] + depth)).ToList();
            var className = ClassNames[random.Next(ClassNames.Length)];
            var place = $"{ns}|{string.Join("|", containers.Select(container => container.Name))}|{className}";

            // A type is declared once in a scope; the same container name at the same place must keep one keyword.
            if (!usedPlaces.Add(place) || containers.Any(container => !usedPlaces.Add($"{ns}|{container.Name}|{container.Keyword}") && usedPlaces.Any(other => other.StartsWith($"{ns}|{container.Name}|", StringComparison.Ordinal) && other != $"{ns}|{container.Name}|{container.Keyword}")))
            {
                continue;
            }

            var layers = LayerNames.Where(name => Raw(name) != Raw(className)).OrderBy(_ => random.Next()).Take(random.Next(1, 6)).ToList();
            var classDefault = random.Next(3) == 0 ? null : random.Next(2) == 0 ? "[Prune(Granularity.Filter, 0.5)]" : "[Prune(Granularity.Row, 0.5)]";
            var members = layers.Select(name => Layer(name, random, classDefault is null)).ToList();
            var split = random.Next(2) == 0 ? members.Count : random.Next(members.Count + 1);

            files.Add(File(ns, containers, $$"""
                {{classDefault}}
                public sealed partial class {{className}} : Module<Tensor, Tensor>
                {
                {{string.Join("\n", members.Take(split))}}
                    public {{className}}() : base("m") => RegisterComponents();
                    public override Tensor forward(Tensor input) => input;
                }
                """));
            if (split < members.Count)
            {
                files.Add(File(ns, containers, $$"""
                    partial class {{className}}
                    {
                    {{string.Join("\n", members.Skip(split))}}
                    }
                    """));
            }
        }

        return files.Count > 0 ? files.ToArray() : Create(random);
    }

    private static string Layer(string name, Random random, bool needsAttribute)
    {
        var conv = random.Next(2) == 0;
        var type = (conv ? "Conv2d" : "Linear") + (random.Next(4) == 0 ? "?" : string.Empty);
        var factory = conv ? "Conv2d(4, 8, 3)" : "Linear(8, 8)";
        var attribute = needsAttribute || random.Next(3) == 0 ? (conv ? "[Prune(Granularity.Kernel, 0.5)] " : "[Prune(Granularity.Column, 0.5)] ") : string.Empty;
        return random.Next(3) == 0
            ? $"    {attribute}public {type} {name} {{ get; }} = {factory};"
            : $"    {attribute}public readonly {type} {name} = {factory};";
    }

    private static string File(string ns, List<(string Keyword, string Name)> containers, string model)
    {
        var text = new StringBuilder("#pragma warning disable CS1591\n").Append(TestSources.Usings);
        if (ns.Length > 0) text.Append("namespace ").Append(ns).Append("\n{\n");
        foreach (var (keyword, name) in containers) text.Append(string.Format(System.Globalization.CultureInfo.InvariantCulture, keyword, name)).Append("\n{\n");
        text.Append(model).Append('\n');
        foreach (var _ in containers) text.Append("}\n");
        if (ns.Length > 0) text.Append("}\n");
        return text.ToString();
    }

    private static string Raw(string name) => name.TrimStart('@');
}
