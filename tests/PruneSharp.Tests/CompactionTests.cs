using PruneSharp.Compaction;
using TorchSharp;
using PruneSharp.Tests.Compaction;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>
/// The generated Compact() and ZeroPrunedChannels() on real models: the compacted model computes what the masked
/// model computes (max |difference| ≤ 1e-5 on random inputs), with exactly the parameters the removed channels leave.
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

        using var compact = model.Compact();
        Assert.Equal(new[] { conv1Filters, 1L, 3, 3 }, compact.conv1.weight.shape);
        Assert.Equal(new[] { conv2Filters, conv1Filters, 3, 3 }, compact.conv2.weight.shape);
        Assert.Equal(new[] { fc1Neurons, conv2Filters * 25 }, compact.fc1.weight.shape);
        Assert.Equal(new[] { 10L, fc1Neurons }, compact.fc2.weight.shape);
        Assert.Equal(expectedParameters, ParameterCount(compact));
        AssertSameOutputs(model, compact, randn(8, 1, 28, 28));
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

        using var compact = model.Compact();
        Assert.Equal(expectedParameters, ParameterCount(compact));
        Assert.Equal(compact.conv1.out_channels, compact.bn1.num_features);
        Assert.Equal(compact.conv1.out_channels, compact.bn1.running_mean!.shape[0]);
        Assert.Equal(compact.conv2.out_channels, compact.bn2.running_var!.shape[0]);
        Assert.Equal(compact.fc1.out_features, compact.bn3.num_features);
        AssertSameOutputs(model, compact, randn(8, 1, 28, 28));
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

        using var compact = model.Compact();
        Assert.Equal(blockChannels, compact.stem.out_channels);
        Assert.Equal(blockChannels, compact.blockConv2.out_channels);
        Assert.Equal(blockChannels, compact.blockConv1.out_channels);
        Assert.Equal(blockChannels, compact.head.in_channels);
        Assert.Equal(headFilters, compact.fc.in_features);
        Assert.Equal(expectedParameters, ParameterCount(compact));
        AssertSameOutputs(model, compact, randn(4, 3, 16, 16));
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

        using var compact = model.Compact();
        Assert.Equal(16 - removedByBoth, compact.stem.out_channels);
        Assert.Equal(16 - removedByBoth, compact.blockConv2.out_channels);
        Assert.Equal(16 - removedByBoth, compact.stemBn.num_features);
        AssertSameOutputs(model, compact, randn(4, 3, 16, 16));
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

        using var compact = model.Compact();
        Assert.Equal(new[] { 16L, 20 }, compact.hidden.weight.shape);
        Assert.Equal(new[] { 10L, 16 }, compact.classifier.weight.shape);
        Assert.Equal(506, ParameterCount(compact));
        AssertSameOutputs(model, compact, randn(8, 20));
    }

    [Fact]
    public void Compacted_model_registers_its_new_layers_in_the_same_order_without_masks()
    {
        manual_seed(6);
        using var model = new BatchNormCnn();
        PruneAndSilence(model, 0.5);
        using var compact = model.Compact();

        Assert.Equal(model.named_children().Select(child => child.name), compact.named_children().Select(child => child.name));
        Assert.Same(compact.conv1, compact.named_children().Single(child => child.name == "conv1").module);
        var sourceState = model.state_dict().Keys.Where(key => !key.EndsWith(PrunedLayer.MaskBufferName, StringComparison.Ordinal)).ToList();
        var compactState = compact.state_dict();
        Assert.Equal(sourceState, compactState.Keys);
        Assert.Equal(compact.conv2.weight.shape, compactState["conv2.weight"].shape);
        Assert.Equal(compact.bn2.running_mean!.shape, compactState["bn2.running_mean"].shape);
        Assert.All(compact.parameters(), parameter => Assert.True(parameter.requires_grad));
        Assert.Equal(compact.parameters().Sum(parameter => parameter.numel()), compactState.Where(pair => !pair.Key.Contains("running", StringComparison.Ordinal) && !pair.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Sum(pair => pair.Value.numel()));
    }

    [Fact]
    public void Compact_leaves_the_source_model_as_it_was()
    {
        manual_seed(7);
        using var model = new BatchNormCnn();
        RandomizeBatchNorms(model);
        PruneAndSilence(model, 0.5);
        var input = randn(2, 1, 28, 28);
        using var before = model.forward(input);
        var masks = model.PrunedLayers.Select(layer => layer.Mask!.clone()).ToList();

        using var compact = model.Compact();
        using var after = model.forward(input);
        Assert.Equal(0.0, (before - after).abs().max().item<float>());
        Assert.Equal(new[] { 32L, 1, 3, 3 }, model.conv1.weight.shape);
        Assert.All(model.PrunedLayers.Zip(masks), pair => Assert.Equal(pair.Second.data<float>().ToArray(), pair.First.Mask!.data<float>().ToArray()));
    }

    [Fact]
    public void Compact_keeps_the_training_mode()
    {
        using var model = new SampleCnn();
        PruneAndSilence(model, 0.5);
        model.train();
        using var training = model.Compact();
        Assert.True(training.training);
        Assert.All(training.children(), child => Assert.True(child.training));
        model.eval();
        using var evaluating = model.Compact();
        Assert.False(evaluating.training);
        Assert.All(evaluating.children(), child => Assert.False(child.training));
    }

    [Fact]
    public void Zero_pruned_channels_silences_removed_filters_through_their_bias_and_batch_norm()
    {
        manual_seed(8);
        using var model = new BatchNormCnn();
        RandomizeBatchNorms(model);
        model.eval();
        foreach (var layer in model.PrunedLayers) layer.UpdateMask(0.5);
        model.ApplyMasks();
        var removed = RemovedFilters(model.conv1);
        Assert.Equal(16, removed.Count);
        Assert.All(removed, channel => Assert.NotEqual(0f, model.bn1.bias!.data<float>()[channel]));

        // Without zeroing, a removed filter still feeds conv2 a constant: compaction changes the outputs.
        using (var unsilenced = model.Compact())
        using (var input = randn(4, 1, 28, 28))
        using (var expected = model.forward(input))
        using (var actual = unsilenced.forward(input))
        {
            Assert.True((expected - actual).abs().max().item<float>() > 1e-3f);
        }

        var keptBn1Weights = Kept(model.bn1.weight, removed);
        model.ZeroPrunedChannels();
        Assert.All(removed, channel =>
        {
            Assert.Equal(0f, model.conv1.bias!.data<float>()[channel]);
            Assert.Equal(0f, model.bn1.weight.data<float>()[channel]);
            Assert.Equal(0f, model.bn1.bias!.data<float>()[channel]);
        });
        Assert.Equal(keptBn1Weights, Kept(model.bn1.weight, removed));
        Assert.All(RemovedFilters(model.fc1), neuron => Assert.Equal(0f, model.bn3.weight.data<float>()[neuron]));

        using var compact = model.Compact();
        AssertSameOutputs(model, compact, randn(4, 1, 28, 28));
    }

    [Fact]
    public void A_compacted_model_cannot_be_compacted_again()
    {
        using var model = new SampleCnn();
        PruneAndSilence(model, 0.5);
        using var compact = model.Compact();
        var error = Assert.Throws<InvalidOperationException>(() => compact.Compact());
        Assert.Contains("'conv1.weight' has shape [16, 1, 3, 3] in the model and [32, 1, 3, 3] in the new one", error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be compacted again", error.Message, StringComparison.Ordinal);
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

        using var compacted = LayerCompaction.Conv2d("source", source, outputs, inputs);
        Assert.Equal(new long[] { 0, 2, 3, 5 }, inputs.KeptChannels);
        Assert.Equal(new long[] { 0, 1, 3, 4 }, outputs.KeptChannels);
        Assert.Equal(source.stride, compacted.stride);
        Assert.Equal(source.dilation, compacted.dilation);
        Assert.Equal(source.padding_mode, compacted.padding_mode);
        Assert.Equal(source.padding_type, compacted.padding_type);
        Assert.Equal(source.bias is null, compacted.bias is null);

        // The input's removed channels are zero, as a pruned producer's are: the kept outputs must not change.
        using var input = randn(2, 6, 9, 9).index_fill_(1, tensor(new long[] { 1, 4 }), 0);
        using var expected = MaskedForward(source, input);
        using var actual = compacted.forward(input.index_select(1, tensor(new long[] { 0, 2, 3, 5 })));
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

    private static void AssertSameOutputs(nn.Module<Tensor, Tensor> masked, nn.Module<Tensor, Tensor> compact, Tensor input)
    {
        using var scope = NewDisposeScope();
        masked.eval();
        compact.eval();
        using var noGrad = no_grad();
        var expected = masked.forward(input);
        var actual = compact.forward(input);
        Assert.Equal(expected.shape, actual.shape);
        var difference = (expected - actual).abs().max().item<float>();
        Assert.True(difference <= Tolerance, $"max |masked − compacted| = {difference}");
        Assert.True(expected.abs().max().item<float>() > 1e-2f, "the outputs are all near zero, so the comparison proves little");
    }

    private static long ParameterCount(nn.Module module) => module.parameters().Sum(parameter => parameter.numel());

    private static void RandomizeBatchNorms(nn.Module model)
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

    private static List<int> RemovedFilters(nn.Module layer)
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
