using PruneSharp.Compaction;
using TorchSharp;
using PruneSharp.Tests.Compaction;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// The generated Compact() and ZeroPrunedChannels() on real models: compacted in place, the model computes what the
/// masked model computed (max |difference| ≤ 1e-5 on random inputs), with exactly the parameters the removed channels leave.
/// </summary>
public sealed class CompactionTests
{
    private const double Tolerance = 1e-5;

    /// <summary>
    /// conv1 keeps 32 − r(32 s) filters, conv2 64 − r(64 s), fc1 128 − r(128 s) neurons (r = round-half-to-even);
    /// fc1 reads 25 (5 × 5) features per conv2 channel. At 0.5: 16, 32, 64 →
    /// (16·9 + 16) + (32·16·9 + 32) + (64·32·25 + 64) + (10·64 + 10) = 160 + 4640 + 51264 + 650.
    /// At 0.7: 10, 19, 38 → (10·9 + 10) + (19·10·9 + 19) + (38·19·25 + 38) + (10·38 + 10) = 100 + 1729 + 18088 + 390.
    /// </summary>
    [Theory]
    [InlineData(0.5, 16, 32, 64, 56714)]
    [InlineData(0.7, 10, 19, 38, 20307)]
    public void Sample_cnn_compacts_to_the_masked_model_outputs(double sparsity, long conv1Filters, long conv2Filters, long fc1Neurons, long expectedParameters)
    {
        manual_seed(1);
        using var model = new SampleCnn();
        Assert.Equal(225034, ParameterCount(model));
        PruneAndSilence(model, sparsity);

        var report = CompactKeepingOutputs(model, randn(8, 1, 28, 28), model.Compact);
        Assert.Equal(new[] { conv1Filters, 1L, 3, 3 }, model.conv1.weight.shape);
        Assert.Equal(new[] { conv2Filters, conv1Filters, 3, 3 }, model.conv2.weight.shape);
        Assert.Equal(new[] { fc1Neurons, conv2Filters * 25 }, model.fc1.weight.shape);
        Assert.Equal(new[] { 10L, fc1Neurons }, model.fc2.weight.shape);
        Assert.Equal((conv2Filters, conv1Filters), (model.conv2.out_channels, model.conv2.in_channels));
        Assert.Equal((fc1Neurons, conv2Filters * 25), (model.fc1.out_features, model.fc1.in_features));
        Assert.Equal(expectedParameters, ParameterCount(model));
        Assert.Equal((225034L, expectedParameters), (report.ParametersBefore, report.ParametersAfter));
        Assert.Empty(report.Notes);
    }

    /// <summary>
    /// As the sample CNN, plus BatchNorm2d(kept) after each conv (γ and β: 2 per channel), a padded conv2 (13 × 13
    /// stays 13 × 13, pooled to 6 × 6, so fc1 reads 36 features per channel) and BatchNorm1d after fc1.
    /// At 0.5: 160 + 32 + 4640 + 64 + (64·32·36 + 64) + 128 + 650.
    /// At 0.7: 100 + 20 + 1729 + 38 + (38·19·36 + 38) + 76 + 390.
    /// </summary>
    [Theory]
    [InlineData(0.5, 79466)]
    [InlineData(0.7, 28383)]
    public void Batch_norm_cnn_compacts_to_the_masked_model_outputs(double sparsity, long expectedParameters)
    {
        manual_seed(2);
        using var model = new BatchNormCnn();
        RandomizeBatchNorms(model);
        PruneAndSilence(model, sparsity);

        CompactKeepingOutputs(model, randn(8, 1, 28, 28), model.Compact);
        Assert.Equal(expectedParameters, ParameterCount(model));
        Assert.Equal(model.conv1.out_channels, model.bn1.num_features);
        Assert.Equal(model.conv1.out_channels, model.bn1.running_mean!.shape[0]);
        Assert.Equal(model.conv2.out_channels, model.bn2.running_var!.shape[0]);
        Assert.Equal(model.fc1.out_features, model.bn3.num_features);
    }

    /// <summary>
    /// The residual connection couples stem and blockConv2; their filters are given the same ranking, so both masks
    /// remove the same channels and the coupled group loses them all. 16 − r(16 s) channels stay in each 16-channel
    /// space, 32 − r(32 s) in head's. At 0.5 (8, 8, 16): (8·3·9 + 8) + 16 + (8·8·9 + 8) + 16 + (8·8·9 + 8) + 16 +
    /// (16·8·9 + 16) + (10·16 + 10) = 224 + 16 + 584 + 16 + 584 + 16 + 1168 + 170. At 0.7 (5, 5, 10):
    /// 140 + 10 + 230 + 10 + 230 + 10 + 460 + 110.
    /// </summary>
    [Theory]
    [InlineData(0.5, 8, 16, 2778)]
    [InlineData(0.7, 5, 10, 1200)]
    public void Residual_block_compacts_a_coupled_group_as_one(double sparsity, long blockChannels, long headFilters, long expectedParameters)
    {
        manual_seed(3);
        using var model = new ResidualNet();
        RandomizeBatchNorms(model);
        var ranking = randperm(16);
        RankFilters(model.stem, ranking);
        RankFilters(model.blockConv2, ranking);
        PruneAndSilence(model, sparsity);

        CompactKeepingOutputs(model, randn(4, 3, 16, 16), model.Compact);
        Assert.Equal(blockChannels, model.stem.out_channels);
        Assert.Equal(blockChannels, model.blockConv2.out_channels);
        Assert.Equal(blockChannels, model.blockConv1.out_channels);
        Assert.Equal(blockChannels, model.head.in_channels);
        Assert.Equal(headFilters, model.fc.in_features);
        Assert.Equal(expectedParameters, ParameterCount(model));
    }

    [Fact]
    public void Residual_group_keeps_a_channel_that_only_one_branch_removes()
    {
        manual_seed(4);
        using var model = new ResidualNet();
        RandomizeBatchNorms(model);
        PruneAndSilence(model, 0.5);
        var stemRemoved = RemovedFilters(model.stem);
        var branchRemoved = RemovedFilters(model.blockConv2);
        var removedByBoth = stemRemoved.Intersect(branchRemoved).Count();
        Assert.True(removedByBoth < 8, "the two masks should differ for this test to mean anything");

        var report = CompactKeepingOutputs(model, randn(4, 3, 16, 16), model.Compact);
        Assert.Equal(16 - removedByBoth, model.stem.out_channels);
        Assert.Equal(16 - removedByBoth, model.blockConv2.out_channels);
        Assert.Equal(16 - removedByBoth, model.stemBn.num_features);

        // The report says, for each of the two, how many of its pruned filters stay and why.
        const string Coupled = "(a residual addition, a depthwise convolution or a layer called twice), and a coupled channel goes only where every one of their masks removes it too";
        Assert.Contains($"'stem' keeps {stemRemoved.Count - removedByBoth} of its {stemRemoved.Count} pruned output channels: forward couples them with the output channels of 'blockConv2' {Coupled}", report.Notes);
        Assert.Contains($"'blockConv2' keeps {branchRemoved.Count - removedByBoth} of its {branchRemoved.Count} pruned output channels: forward couples them with the output channels of 'stem' {Coupled}", report.Notes);
        Assert.Contains(report.Notes, note => note.StartsWith("'stem' keeps", StringComparison.Ordinal) && report.ToString().Contains(note, StringComparison.Ordinal));
    }

    [Fact]
    public void Residual_group_with_an_unmasked_branch_keeps_every_channel_and_the_report_names_the_unmasked_layer()
    {
        manual_seed(6);
        using var model = new ResidualNet();
        RandomizeBatchNorms(model);
        model.eval();
        var branch = model.PrunedLayers.Single(layer => layer.Name == "blockConv2");
        branch.UpdateMask(0.5);
        branch.ApplyMask();
        model.ZeroPrunedChannels();

        var report = CompactKeepingOutputs(model, randn(4, 3, 16, 16), model.Compact);
        Assert.Equal(16, model.stem.out_channels);
        Assert.Equal(16, model.blockConv2.out_channels);
        Assert.Contains("'blockConv2' keeps 8 of its 8 pruned output channels: forward couples them with the output channels of 'stem', and 'stem' has no mask, so none of these channels goes", report.Notes);
    }

    /// <summary>classifier's mask removes 16 of its 32 input neurons; hidden, unpruned, loses the 16 outputs nothing reads: (16·20 + 16) + (10·16 + 10).</summary>
    [Fact]
    public void Column_pruning_shrinks_the_producer_of_the_inputs_nothing_reads()
    {
        manual_seed(5);
        using var model = new ColumnPrunedMlp();
        model.eval();
        model.ComputeMasks();
        model.ApplyMasks();

        CompactKeepingOutputs(model, randn(8, 20), model.Compact);
        Assert.Equal(new[] { 16L, 20 }, model.hidden.weight.shape);
        Assert.Equal(new[] { 10L, 16 }, model.classifier.weight.shape);
        Assert.Equal(506, ParameterCount(model));
    }

    [Fact]
    public void Compaction_keeps_the_modules_their_names_and_the_masks_sliced()
    {
        manual_seed(6);
        using var model = new BatchNormCnn();
        PruneAndSilence(model, 0.5);
        var conv1 = model.conv1;
        var mask = model.Conv1Pruning.Mask!;
        var keys = model.state_dict().Keys.ToList();
        var removed = RemovedFilters(model.conv1);

        model.Compact();
        Assert.Same(conv1, model.named_children().Single(child => child.name == "conv1").module);
        var state = model.state_dict();
        Assert.Equal(keys, state.Keys);
        Assert.Equal(model.conv2.weight.shape, state["conv2.weight"].shape);
        Assert.Equal(model.conv2.weight.shape, state["conv2.weight_mask"].shape);
        Assert.Equal(model.bn2.running_mean!.shape, state["bn2.running_mean"].shape);
        Assert.All(model.parameters(), parameter => Assert.True(parameter.requires_grad));

        // The mask buffer is the same tensor object (PrunedLayer holds it), now the kept filters' rows: all ones here.
        Assert.Same(mask, model.Conv1Pruning.Mask);
        Assert.Equal(new[] { 32L - removed.Count, 1, 3, 3 }, mask.shape);
        Assert.Equal(mask.numel(), mask.sum().item<float>());
        model.ApplyMasks();
    }

    [Fact]
    public void Compacting_again_changes_nothing_and_the_compacted_model_trains()
    {
        manual_seed(7);
        using var model = new BatchNormCnn();
        RandomizeBatchNorms(model);
        PruneAndSilence(model, 0.5);
        var input = randn(4, 1, 28, 28);
        var first = model.Compact();
        var second = CompactKeepingOutputs(model, input, model.Compact);
        Assert.Equal(first.ParametersAfter, second.ParametersBefore);
        Assert.Equal(second.ParametersBefore, second.ParametersAfter);
        Assert.DoesNotContain(second.Layers, layer => layer.Shrunk);

        model.train();
        using var optimizer = optim.SGD(model.parameters(), 0.01);
        using var loss = model.forward(input).square().mean();
        loss.backward();
        optimizer.step();
        Assert.All(model.parameters(), parameter => Assert.Equal(parameter.shape, parameter.grad!.shape));
    }

    [Fact]
    public void Zero_pruned_channels_silences_removed_filters_through_their_bias_and_batch_norm()
    {
        BatchNormCnn Pruned()
        {
            manual_seed(8);
            var model = new BatchNormCnn();
            RandomizeBatchNorms(model);
            model.eval();
            foreach (var layer in model.PrunedLayers) layer.UpdateMask(0.5);
            model.ApplyMasks();
            return model;
        }

        using var input = randn(4, 1, 28, 28);

        // Without zeroing, a removed filter still feeds conv2 a constant: compaction changes the outputs.
        using (var unsilenced = Pruned())
        using (var expected = Outputs(unsilenced, input))
        {
            var removed = RemovedFilters(unsilenced.conv1);
            Assert.Equal(16, removed.Count);
            Assert.All(removed, channel => Assert.NotEqual(0f, unsilenced.bn1.bias!.data<float>()[channel]));
            unsilenced.Compact();
            using var actual = Outputs(unsilenced, input);
            Assert.True((expected - actual).abs().max().item<float>() > 1e-3f);
        }

        using var model = Pruned();
        var removedFilters = RemovedFilters(model.conv1);
        var keptBn1Weights = Kept(model.bn1.weight, removedFilters);
        model.ZeroPrunedChannels();
        Assert.All(removedFilters, channel =>
        {
            Assert.Equal(0f, model.conv1.bias!.data<float>()[channel]);
            Assert.Equal(0f, model.bn1.weight.data<float>()[channel]);
            Assert.Equal(0f, model.bn1.bias!.data<float>()[channel]);
        });
        Assert.Equal(keptBn1Weights, Kept(model.bn1.weight, removedFilters));
        Assert.All(RemovedFilters(model.fc1), neuron => Assert.Equal(0f, model.bn3.weight.data<float>()[neuron]));
        CompactKeepingOutputs(model, input, model.Compact);
    }

    [Fact]
    public void A_compacted_layer_whose_code_declares_its_shape_cannot_be_pruned_again()
    {
        using var model = new SampleCnn();
        PruneAndSilence(model, 0.5);
        model.Compact();
        var error = Assert.Throws<PruningException>(() => model.ComputeMasks());
        Assert.Equal("conv1", error.LayerName);
        Assert.Contains("the weight has shape [16, 1, 3, 3], but its code declares [32, 1, 3, 3]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_compacted_conv_keeps_stride_padding_dilation_padding_mode_and_bias(bool samePadding)
    {
        manual_seed(9);
        using var producer = nn.Conv2d(3, 6, 1);
        using var source = samePadding
            ? nn.Conv2d(6, 5, (3, 3), Padding.Same, dilation: (2, 1), padding_mode: PaddingModes.Reflect, bias: false)
            : nn.Conv2d(6, 5, (3, 2), stride: (2, 1), padding: (1, 2), dilation: (1, 2), padding_mode: PaddingModes.Circular);
        producer.register_buffer(PrunedLayer.MaskBufferName, RowMask(6, 3, removed: [1, 4]).reshape(6, 3, 1, 1));
        source.register_buffer(PrunedLayer.MaskBufferName, ones(5, 6, source.kernel_size[0], source.kernel_size[1]).index_fill_(0, tensor(new long[] { 2 }), 0));
        var inputs = new ChannelGroup("producer").AddProducer("producer", producer).AddConsumer("source", source);
        var outputs = new ChannelGroup("source").AddProducer("source", source);
        var (stride, dilation, paddingMode, paddingType, hasBias) = (source.stride, source.dilation, source.padding_mode, source.padding_type, source.bias is not null);

        // The input's removed channels are zero, as a pruned producer's are: the kept outputs must not change.
        using var input = randn(2, 6, 9, 9).index_fill_(1, tensor(new long[] { 1, 4 }), 0);
        using var expected = MaskedForward(source, input);
        LayerCompaction.Prepare("source", source, outputs, inputs).Commit();
        Assert.Equal(new long[] { 0, 2, 3, 5 }, inputs.KeptChannels);
        Assert.Equal(new long[] { 0, 1, 3, 4 }, outputs.KeptChannels);
        Assert.Equal((4L, 4L), (source.in_channels, source.out_channels));
        Assert.Equal(stride, source.stride);
        Assert.Equal(dilation, source.dilation);
        Assert.Equal(paddingMode, source.padding_mode);
        Assert.Equal(paddingType, source.padding_type);
        Assert.Equal(hasBias, source.bias is not null);

        using var actual = source.forward(input.index_select(1, tensor(new long[] { 0, 2, 3, 5 })));
        Assert.True((expected.index_select(1, tensor(new long[] { 0, 1, 3, 4 })) - actual).abs().max().item<float>() <= Tolerance);
    }

    /// <summary>The source conv's output with its mask applied, through its own forward (it pads as its padding mode says).</summary>
    private static Tensor MaskedForward(Conv2d source, Tensor input)
    {
        using var noGrad = no_grad();
        using var original = source.weight.clone();
        source.weight.mul_(source.get_buffer(PrunedLayer.MaskBufferName)!);
        var output = source.forward(input);
        source.weight.copy_(original);
        return output;
    }

    [Fact]
    public void A_channel_group_rejects_layers_whose_sizes_disagree()
    {
        using var producer = nn.Conv2d(3, 8, 3);
        using var consumer = nn.Conv2d(6, 4, 3);
        var group = new ChannelGroup("producer").AddProducer("producer", producer).AddConsumer("consumer", consumer);
        var error = Assert.Throws<PruningException>(() => group.KeptChannels);
        Assert.Equal("consumer", error.LayerName);
        Assert.Contains("6 input channels, but the layers that feed it produce 8", error.Message, StringComparison.Ordinal);

        using var grouped = nn.Conv2d(8, 8, 3, groups: 2);
        var groupedError = Assert.Throws<PruningException>(() => new ChannelGroup("producer").AddProducer("grouped", grouped));
        Assert.Equal("grouped", groupedError.LayerName);

        using var flattened = nn.Linear(20, 4);
        var blockError = Assert.Throws<PruningException>(() => new ChannelGroup("producer").AddProducer("producer", producer).AddConsumer("flattened", flattened).KeptChannels);
        Assert.Contains("20 input features are not a whole number of blocks of the 8 channels", blockError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_channel_group_whose_every_channel_is_removed_keeps_the_first()
    {
        using var producer = nn.Linear(4, 3);
        using var consumer = nn.Linear(3, 2);
        producer.register_buffer(PrunedLayer.MaskBufferName, zeros(3, 4));
        var group = new ChannelGroup("producer").AddProducer("producer", producer).AddConsumer("consumer", consumer);
        Assert.Equal(new long[] { 0 }, group.KeptChannels);
        Assert.Equal(3, group.Channels);
    }

    [Fact]
    public void A_channel_group_decides_on_masks_of_producers_and_consumers_together()
    {
        using var first = nn.Linear(4, 5);
        using var second = nn.Linear(4, 5);
        using var consumer = nn.Linear(5, 2);
        first.register_buffer(PrunedLayer.MaskBufferName, RowMask(5, 4, removed: [0, 1, 2]));
        second.register_buffer(PrunedLayer.MaskBufferName, RowMask(5, 4, removed: [1, 2, 3]));
        consumer.register_buffer(PrunedLayer.MaskBufferName, ones(2, 5).index_fill_(1, tensor(new long[] { 4 }), 0));
        var group = new ChannelGroup("first + second").AddProducer("first", first).AddProducer("second", second).AddConsumer("consumer", consumer);

        // 1 and 2: both producers remove them; 4: no consumer reads it; 0 and 3: one producer still writes them.
        Assert.Equal(new long[] { 0, 3 }, group.KeptChannels);
    }

    private static Tensor RowMask(int rows, int columns, long[] removed) => ones(rows, columns).index_fill_(0, tensor(removed), 0);

    private static void PruneAndSilence(IPrunableModule model, double sparsity)
    {
        ((nn.Module)model).eval();
        foreach (var layer in model.PrunedLayers) layer.UpdateMask(sparsity);
        model.ApplyMasks();
        switch (model)
        {
            case SampleCnn cnn: cnn.ZeroPrunedChannels(); break;
            case BatchNormCnn cnn: cnn.ZeroPrunedChannels(); break;
            case ResidualNet net: net.ZeroPrunedChannels(); break;
            default: throw new ArgumentException($"no ZeroPrunedChannels for {model.GetType().Name}", nameof(model));
        }
    }

    private static Tensor Outputs(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        model.eval();
        using var noGrad = no_grad();
        return model.forward(input);
    }

    /// <summary>Compacts the model in place and checks that it computes what the masked model computed (max |difference| ≤ 1e-5).</summary>
    internal static CompactionReport CompactKeepingOutputs(nn.Module<Tensor, Tensor> model, Tensor input, Func<CompactionReport> compact, double tolerance = Tolerance)
    {
        using var expected = Outputs(model, input);
        var report = compact();
        using var actual = Outputs(model, input);
        Assert.Equal(expected.shape, actual.shape);
        var difference = (expected - actual).abs().max().to_type(ScalarType.Float64).item<double>();
        Assert.True(difference <= tolerance, $"max |masked − compacted| = {difference}");
        Assert.True(expected.abs().max().to_type(ScalarType.Float64).item<double>() > 1e-2, "the outputs are all near zero, so the comparison proves little");
        return report;
    }

    internal static long ParameterCount(nn.Module module) => module.parameters().Sum(parameter => parameter.numel());

    internal static void RandomizeBatchNorms(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var batchNorm in model.modules().OfType<BatchNorm>())
        {
            var features = batchNorm.num_features;
            batchNorm.running_mean!.copy_(randn(features) * 0.5);
            batchNorm.running_var!.copy_(rand(features) + 0.5);
            batchNorm.weight.copy_(randn(features));
            batchNorm.bias!.copy_(randn(features));
        }
    }

    /// <summary>Gives filter c of the conv mean magnitude (1 + ranking[c]) / 100, so masks rank the filters in that order.</summary>
    private static void RankFilters(Conv2d conv, Tensor ranking)
    {
        using var noGrad = no_grad();
        var scale = ((ranking.to_type(ScalarType.Float32) + 1) / 100).reshape(-1, 1, 1, 1);
        conv.weight.copy_(conv.weight.sign() * scale);
    }

    internal static List<int> RemovedFilters(nn.Module layer)
    {
        var mask = layer.get_buffer(PrunedLayer.MaskBufferName)!;
        var live = mask.reshape(mask.shape[0], -1).amax(1).data<float>().ToArray();
        return Enumerable.Range(0, live.Length).Where(unit => live[unit] == 0).ToList();
    }

    private static float[] Kept(Tensor values, List<int> removed)
    {
        var all = values.data<float>().ToArray();
        return Enumerable.Range(0, all.Length).Where(index => !removed.Contains(index)).Select(index => all[index]).ToArray();
    }
}
