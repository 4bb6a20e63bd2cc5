namespace PruneSharp.Tests.ModelTree;

/// <summary>The glob over dotted layer names that rules select and except layers with.</summary>
public sealed class LayerNamePatternTests
{
    [Theory]
    [InlineData("fc", "fc", true)]
    [InlineData("fc", "fc2", false)]
    [InlineData("layer1", "layer1.0.conv1", true)]          // a module's path covers every layer under it
    [InlineData("layer1", "layer10.0.conv1", false)]        // whole segments only
    [InlineData("layer1.0", "layer1.0.downsample.0", true)]
    [InlineData("layer*", "layer4.1.conv2", true)]
    [InlineData("layer?.*.conv1", "layer3.1.conv1", true)]
    [InlineData("layer?.*.conv1", "layer3.1.conv2", false)]
    [InlineData("*.conv1", "conv1", false)]                 // * is one segment, not none
    [InlineData("**.conv1", "conv1", true)]                 // ** is any number of segments, none included
    [InlineData("**.conv1", "layer2.0.conv1", true)]
    [InlineData("**.downsample", "layer2.0.downsample.0", true)]
    [InlineData("**.downsample.*", "layer2.0.downsample", false)]
    [InlineData("features.conv*_1", "features.conv3_1", true)]
    [InlineData("features.conv*_1", "features.conv3_2", false)]
    [InlineData("conv*a*b", "conv_a_x_b", true)]
    [InlineData("conv*a*b", "conv_a_x_c", false)]
    [InlineData("**", "anything.at.all", true)]
    [InlineData("<Second>*", "<Second>k__BackingField", true)]
    [InlineData("Layer1", "layer1", false)]                 // case-sensitive, like state-dict names
    public void Matches_whole_segments_with_star_question_mark_and_double_star(string pattern, string name, bool matches)
    {
        Assert.Equal(matches, LayerNamePattern.Parse(pattern, nameof(pattern)).Matches(name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("layer1..conv1")]
    [InlineData(".fc")]
    [InlineData("layer**")]
    public void Malformed_patterns_are_rejected_with_the_pattern_in_the_message(string pattern)
    {
        var error = Assert.Throws<ArgumentException>(() => LayerNamePattern.Parse(pattern, nameof(pattern)));
        Assert.Contains($"'{pattern}'", error.Message, StringComparison.Ordinal);
    }
}
