using PruneSharp.Training;
using static TorchSharp.torch;

namespace PruneSharp.Tests;

/// <summary>Knowledge distillation: the loss against a hand computation, the teacher without gradients, and bad input.</summary>
public sealed class DistillationTests
{
    private static readonly double[][] StudentLogits = [[1.0, 2.0, 0.0], [0.5, -1.0, 2.0]];
    private static readonly double[][] TeacherLogits = [[0.0, 1.0, 3.0], [2.0, 0.0, -1.0]];
    private static readonly long[] Labels = [1, 2];

    [Theory]
    [InlineData(2.0, 0.3)]
    [InlineData(1.0, 1.0)]
    [InlineData(4.0, 0.0)]
    public void Loss_is_alpha_T_squared_KL_of_soft_targets_plus_one_minus_alpha_cross_entropy(double temperature, double alpha)
    {
        using var student = Logits(StudentLogits);
        using var teacher = Logits(TeacherLogits);
        using var labels = tensor(Labels);

        using var loss = KnowledgeDistillation.Compute(student, teacher, labels, temperature, alpha);

        Assert.Equal(HandComputed(temperature, alpha), loss.item<float>(), 5);
    }

    [Fact]
    public void When_student_and_teacher_agree_only_the_hard_term_is_left()
    {
        using var logits = Logits(StudentLogits);
        using var labels = tensor(Labels);
        using var loss = KnowledgeDistillation.Compute(logits, logits, labels, temperature: 3.0, softTargetWeight: 0.25);
        // The cross-entropy of the labels under the student: mean of −log softmax(s)[y].
        var crossEntropy = (-LogSoftmax(StudentLogits[0], 1)[1] - LogSoftmax(StudentLogits[1], 1)[2]) / 2;
        Assert.Equal(0.75 * crossEntropy, loss.item<float>(), 5);
    }

    [Fact]
    public void The_teacher_runs_in_evaluation_mode_without_gradients_and_only_the_student_learns()
    {
        using var teacher = nn.Linear(3, 3);
        using var student = nn.Linear(3, 3);
        teacher.train();
        var distillation = new KnowledgeDistillation(teacher, temperature: 2.0, softTargetWeight: 0.5);
        using var input = randn(4, 3);
        using var labels = tensor(new long[] { 0, 1, 2, 1 });

        using var loss = distillation.Loss(input, student.forward(input), labels);
        loss.backward();

        Assert.False(teacher.training);
        Assert.All(teacher.parameters(), parameter => Assert.Null(parameter.grad));
        Assert.All(student.parameters(), parameter => Assert.True(parameter.grad!.abs().sum().item<float>() > 0));
        using var expected = KnowledgeDistillation.Compute(student.forward(input), teacher.forward(input), labels, 2.0, 0.5);
        Assert.Equal(expected.item<float>(), loss.item<float>(), 6);
    }

    [Fact]
    public void Bad_settings_and_shapes_are_errors_that_name_the_value()
    {
        using var teacher = nn.Linear(3, 3);
        Assert.Contains("0", Assert.Throws<ArgumentOutOfRangeException>(() => new KnowledgeDistillation(teacher, temperature: 0.0)).Message);
        Assert.Contains("1.5", Assert.Throws<ArgumentOutOfRangeException>(() => new KnowledgeDistillation(teacher, softTargetWeight: 1.5)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new KnowledgeDistillation(teacher, temperature: double.NaN));

        using var student = Logits(StudentLogits);
        using var labels = tensor(Labels);
        using var wrongTeacher = zeros(2, 4);
        Assert.Contains("[2, 4]", Assert.Throws<ArgumentException>(() => KnowledgeDistillation.Compute(student, wrongTeacher, labels, 2, 0.5)).Message);
        using var wrongLabels = tensor(new long[] { 1, 2, 0 });
        Assert.Contains("[3]", Assert.Throws<ArgumentException>(() => KnowledgeDistillation.Compute(student, student, wrongLabels, 2, 0.5)).Message);
        using var flat = zeros(3);
        Assert.Throws<ArgumentException>(() => KnowledgeDistillation.Compute(flat, flat, labels, 2, 0.5));
    }

    /// <summary>The loss written out in float64: α · T² · mean_i KL(p_t,i ‖ p_s,i) + (1 − α) · mean_i (−log softmax(s_i)[y_i]).</summary>
    private static double HandComputed(double temperature, double alpha)
    {
        double kl = 0, crossEntropy = 0;
        for (var row = 0; row < StudentLogits.Length; row++)
        {
            var logStudent = LogSoftmax(StudentLogits[row], temperature);
            var logTeacher = LogSoftmax(TeacherLogits[row], temperature);
            for (var column = 0; column < logTeacher.Length; column++)
            {
                kl += Math.Exp(logTeacher[column]) * (logTeacher[column] - logStudent[column]);
            }

            crossEntropy -= LogSoftmax(StudentLogits[row], 1)[Labels[row]];
        }

        var rows = StudentLogits.Length;
        return (alpha * temperature * temperature * kl / rows) + ((1 - alpha) * crossEntropy / rows);
    }

    private static double[] LogSoftmax(double[] logits, double temperature)
    {
        var scaled = logits.Select(value => value / temperature).ToArray();
        var logSum = Math.Log(scaled.Sum(Math.Exp));
        return scaled.Select(value => value - logSum).ToArray();
    }

    private static Tensor Logits(double[][] rows) =>
        tensor(rows.SelectMany(row => row.Select(value => (float)value)).ToArray(), [rows.Length, rows[0].Length]);
}
