using System;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Samples.ResNetFashion;

/// <summary>The training loop and the evaluation.</summary>
internal static class Training
{
    /// <summary>The optimizer steps of <paramref name="epochs"/> epochs over <paramref name="images"/> in batches of <paramref name="batchSize"/>.</summary>
    public static long Steps(Tensor images, int epochs, int batchSize) => epochs * ((images.shape[0] + batchSize - 1) / batchSize);

    /// <summary>
    /// Trains with Adam and cross-entropy for <paramref name="epochs"/> epochs, the batches in a new random order each
    /// epoch. <paramref name="afterStep"/> runs after every optimizer step with the step's 0-based index (the sparsifier's
    /// place); <paramref name="advance"/> after it, for a progress bar.
    /// </summary>
    public static void Train(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels, int epochs, int batchSize, double learningRate, Action<long>? afterStep, Action? advance)
    {
        var count = images.shape[0];
        var batches = (count + batchSize - 1) / batchSize;
        using var optimizer = optim.Adam(model.parameters(), learningRate);
        model.train();
        long step = 0;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            using var order = randperm(count);
            for (var batch = 0; batch < batches; batch++, step++)
            {
                using var scope = NewDisposeScope();
                var indices = order.narrow(0, batch * batchSize, Math.Min(batchSize, count - (batch * batchSize)));
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(model.forward(images.index_select(0, indices)), labels.index_select(0, indices));
                loss.backward();
                optimizer.step();
                afterStep?.Invoke(step);
                advance?.Invoke();
            }
        }

        model.eval();
    }

    /// <summary>The test accuracy of <paramref name="model"/> (in eval mode) and its logits [images, classes], which the caller disposes.</summary>
    public static (double Accuracy, Tensor Logits) Evaluate(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        model.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var count = images.shape[0];
        var chunks = new System.Collections.Generic.List<Tensor>();
        for (long start = 0; start < count; start += 1000)
        {
            chunks.Add(model.forward(images.narrow(0, start, Math.Min(1000, count - start))));
        }

        var logits = cat(chunks, 0);
        var correct = logits.argmax(1).eq(labels).sum().item<long>();
        return (correct / (double)count, logits.MoveToOuterDisposeScope());
    }
}
