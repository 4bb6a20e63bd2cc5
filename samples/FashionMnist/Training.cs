using System;
using PruneSharp.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Samples.FashionMnist;

/// <summary>The training loop and the evaluation.</summary>
internal static class Training
{
    /// <summary>Trains with Adam for <paramref name="epochs"/>; a sparsifier, when given, runs after every optimizer step.</summary>
    public static void Train(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels, int epochs, double learningRate, Sparsifier? sparsifier, string label)
    {
        var count = images.shape[0];
        var batches = (count + RunOptions.BatchSize - 1) / RunOptions.BatchSize;
        var totalSteps = epochs * batches;
        using var optimizer = optim.Adam(model.parameters(), learningRate);
        model.train();
        double lastLoss = double.NaN;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(label), maxValue: totalSteps);
                long step = 0;
                for (var epoch = 0; epoch < epochs; epoch++)
                {
                    using var order = randperm(count);
                    for (var batch = 0; batch < batches; batch++, step++)
                    {
                        using var scope = NewDisposeScope();
                        var indices = order.narrow(0, batch * RunOptions.BatchSize, Math.Min(RunOptions.BatchSize, count - batch * RunOptions.BatchSize));
                        var input = images.index_select(0, indices);
                        var target = labels.index_select(0, indices);
                        optimizer.zero_grad();
                        var loss = nn.functional.cross_entropy(model.forward(input), target);
                        loss.backward();
                        optimizer.step();
                        sparsifier?.Step(step, totalSteps);   // recompute masks on schedule, keep pruned weights at zero
                        if (batch % 50 == 0) lastLoss = loss.item<float>();
                        task.Increment(1);
                    }
                }
            });
        AnsiConsole.MarkupLine(System.Globalization.CultureInfo.InvariantCulture, "{0}: {1} steps, last sampled loss {2:F3}.", Markup.Escape(label), totalSteps, lastLoss);
    }

    /// <summary>The fraction of <paramref name="images"/> the model classifies correctly.</summary>
    public static double Accuracy(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        model.eval();
        using var noGrad = no_grad();
        long correct = 0;
        var count = images.shape[0];
        for (long start = 0; start < count; start += 1000)
        {
            using var scope = NewDisposeScope();
            var length = Math.Min(1000, count - start);
            var predicted = model.forward(images.narrow(0, start, length)).argmax(1);
            correct += predicted.eq(labels.narrow(0, start, length)).sum().item<long>();
        }

        model.train();
        return correct / (double)count;
    }
}
