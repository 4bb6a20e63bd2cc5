using System;
using PruneSharp.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Samples.FashionMnist;

/// <summary>What one training phase adds to plain supervised steps; every part is optional.</summary>
/// <param name="Rate">The learning rate of each step.</param>
/// <param name="Sparsifier">Runs after every optimizer step: masks on schedule, pruned weights back to zero.</param>
/// <param name="Distillation">Replaces the labels' cross-entropy with the distillation loss.</param>
/// <param name="Lasso">Adds the group-lasso gradient after <c>backward()</c>.</param>
internal sealed record Phase(LearningRateSchedule Rate, Sparsifier? Sparsifier = null, KnowledgeDistillation? Distillation = null, GroupLasso? Lasso = null);

/// <summary>The training loop and the evaluation.</summary>
internal static class Training
{
    /// <summary>Trains with Adam for <paramref name="epochs"/>, as <paramref name="phase"/> says.</summary>
    public static void Train(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels, int epochs, Phase phase, string label)
    {
        var count = images.shape[0];
        var batches = (count + RunOptions.BatchSize - 1) / RunOptions.BatchSize;
        var totalSteps = epochs * batches;
        using var optimizer = optim.Adam(model.parameters(), phase.Rate.At(0));
        model.train();
        var clock = System.Diagnostics.Stopwatch.StartNew();
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
                        phase.Rate.Apply(optimizer, step, totalSteps);                 // the recovery schedule (rewound, one-cycle, ...)
                        optimizer.zero_grad();
                        var output = model.forward(input);
                        var loss = phase.Distillation is { } distillation
                            ? distillation.Loss(input, output, target)                    // soft targets from the dense teacher + labels
                            : nn.functional.cross_entropy(output, target);
                        loss.backward();
                        phase.Lasso?.AddGradients(step, totalSteps);                      // group lasso: shrink whole groups
                        optimizer.step();
                        phase.Sparsifier?.Step(step, totalSteps);                         // masks on schedule, pruned weights back to zero
                        if (batch % 50 == 0) lastLoss = loss.item<float>();
                        task.Increment(1);
                    }
                }
            });
        AnsiConsole.MarkupLine(System.Globalization.CultureInfo.InvariantCulture, "{0}: {1} steps in {2:F1} s, last sampled loss {3:F3}.", Markup.Escape(label), totalSteps, clock.Elapsed.TotalSeconds, lastLoss);
    }

    /// <summary>The fraction of <paramref name="images"/> the model classifies correctly.</summary>
    public static double Accuracy(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        var wasTraining = model.training;
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

        if (wasTraining) model.train();
        return correct / (double)count;
    }
}
