using PruneSharp.Tests.Models;
using PruneSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>Group lasso: its gradient against autograd of the penalty written out per granularity, pruned groups, the strength's schedule.</summary>
public sealed class GroupLassoTests
{
    [Fact]
    public void The_added_gradient_is_autograds_gradient_of_the_sum_of_group_norms()
    {
        // conv at Filter (a group is a filter [2, 3, 3]), fc at Row (a group is an output neuron's row).
        using var model = new FilterNet();
        const double strength = 0.05;
        var lasso = new GroupLasso(model.PrunedLayers, strength);
        ZeroGradients(model);

        lasso.AddGradients(strength);

        // The penalty written out for these granularities, differentiated by autograd.
        using var scope = NewDisposeScope();
        using var scale = strength.ToScalar();
        var conv = model.conv.weight!.detach().clone().requires_grad_(true);
        var fc = model.fc.weight!.detach().clone().requires_grad_(true);
        conv.flatten(1).norm(1, false, 2).sum().add(fc.norm(1, false, 2).sum()).mul(scale).backward();

        Assert.True(model.conv.weight!.grad!.allclose(conv.grad!, rtol: 1e-5, atol: 1e-7));
        Assert.True(model.fc.weight!.grad!.allclose(fc.grad!, rtol: 1e-5, atol: 1e-7));
        Assert.Equal(SumOfNorms(conv.detach().flatten(1)) + SumOfNorms(fc.detach()), lasso.Penalty(), 4);
    }

    [Fact]
    public void At_weight_granularity_it_is_the_l1_gradient_and_it_adds_to_the_existing_gradient()
    {
        using var model = new TrainingNet();
        var lasso = new GroupLasso(model.PrunedLayers, 1.0);
        ZeroGradients(model);
        using var scope = NewDisposeScope();
        using var half = 0.5.ToScalar();
        using var tenth = 0.1.ToScalar();
        using (no_grad())
        {
            model.fc.weight!.grad!.fill_(half);
        }

        lasso.AddGradients(0.1);

        Assert.True(model.conv.weight!.grad!.allclose(model.conv.weight!.detach().sign().mul(tenth), atol: 1e-7));
        Assert.True(model.fc.weight!.grad!.allclose(model.fc.weight!.detach().sign().mul(tenth).add(half), atol: 1e-7));
    }

    [Fact]
    public void A_pruned_group_gets_no_gradient_and_no_nan()
    {
        using var model = new FilterNet();
        var conv = model.PrunedLayers[0];
        conv.UpdateMask(0.5);
        conv.ApplyMask();
        ZeroGradients(model);

        new GroupLasso(model.PrunedLayers, 1.0).AddGradients(1.0);

        using var scope = NewDisposeScope();
        using var zero = 0f.ToScalar();
        var gradient = model.conv.weight!.grad!;
        Assert.False(gradient.isnan().any().item<bool>());
        var removed = conv.Mask!.eq(zero).flatten(1).all(1);
        Assert.Equal(0L, gradient.flatten(1).index_select(0, removed.nonzero().flatten()).count_nonzero().item<long>());
        Assert.Equal(3L, removed.sum().item<long>());
    }

    [Fact]
    public void The_strength_follows_its_schedule_and_the_step_counts_as_the_sparsifier_counts_it()
    {
        using var model = new TrainingNet();
        var lasso = new GroupLasso(model.PrunedLayers, 0.02, Schedule.Linear, start: 0.2, end: 0.6);
        Assert.Equal(0.0, lasso.StrengthAt(0.0));
        Assert.Equal(0.0, lasso.StrengthAt(0.2));
        Assert.Equal(0.01, lasso.StrengthAt(0.4), 15);
        Assert.Equal(0.02, lasso.StrengthAt(0.6), 15);
        Assert.Equal(0.02, lasso.StrengthAt(1.0), 15);

        ZeroGradients(model);
        Assert.Equal(0.02 * ((4.0 / 10) - 0.2) / 0.4, lasso.AddGradients(3, 10), 15);   // progress (3 + 1) / 10
        Assert.Equal(0.0, lasso.AddGradients(0, 10));
    }

    [Fact]
    public void Missing_gradients_bad_strengths_and_unsupported_layers_are_errors_naming_them()
    {
        using var model = new FilterNet();
        var lasso = new GroupLasso(model.PrunedLayers, 0.1);
        Assert.Contains("'conv'", Assert.Throws<InvalidOperationException>(() => lasso.AddGradients(0.1)).Message);
        Assert.Contains("-1", Assert.Throws<ArgumentOutOfRangeException>(() => new GroupLasso(model.PrunedLayers, -1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => lasso.AddGradients(5, 5));

        using var linear = nn.Linear(8, 2);
        var error = Assert.Throws<ArgumentException>(() => new GroupLasso([new HandPrunedLinear("head.fc", linear, PruneSettings.NOfM(2, 4))], 0.1));
        Assert.Contains("'head.fc'", error.Message);
    }

    private static void ZeroGradients(nn.Module model)
    {
        // backward() of a loss that does not depend on the weights' values creates zero gradients.
        using var scope = NewDisposeScope();
        using var zero = 0f.ToScalar();
        model.parameters().Select(parameter => parameter.mul(zero).sum()).Aggregate((a, b) => a.add(b)).backward();
    }

    private static double SumOfNorms(Tensor rows)
    {
        using var scope = NewDisposeScope();
        return rows.norm(1, false, 2).sum().item<float>();
    }
}
