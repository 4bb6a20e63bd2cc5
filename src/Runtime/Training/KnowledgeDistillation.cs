using System;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Training;

/// <summary>
/// Knowledge distillation (Hinton et al., 2015) for pruning: the model being pruned (the student) learns from the
/// dense model's softened outputs (the teacher) as well as from the labels, which recovers accuracy that the labels
/// alone do not give back.
/// </summary>
/// <remarks>
/// <para>
/// The loss is <c>α · T² · KL(softmax(t / T) ‖ softmax(s / T)) + (1 − α) · CE(s, y)</c> for student logits <c>s</c>,
/// teacher logits <c>t</c>, labels <c>y</c>, temperature <c>T</c> and soft-target weight <c>α</c>. The KL divergence
/// is averaged over the batch (PyTorch's <c>reduction='batchmean'</c>) and the cross-entropy is its mean, so both
/// terms are per-sample; <c>T²</c> keeps the soft term's gradient at the same scale whatever the temperature, as in
/// fasterai's <c>KnowledgeDistillationCallback</c> (<c>SoftTarget</c>).
/// </para>
/// <para>
/// One line in a training loop: <c>var loss = distillation.Loss(input, model.forward(input), labels);</c>. The
/// teacher runs in evaluation mode under <c>no_grad</c>, so it builds no autograd graph and its weights never
/// change.
/// </para>
/// </remarks>
public sealed class KnowledgeDistillation
{
    private readonly nn.Module<Tensor, Tensor> _teacher;

    /// <summary>Distils from <paramref name="teacher"/> at <paramref name="temperature"/>, weighting the soft targets by <paramref name="softTargetWeight"/>.</summary>
    /// <param name="teacher">The teacher (usually the dense model before pruning). It is put in evaluation mode.</param>
    /// <param name="temperature">The softmax temperature <c>T</c>, finite and positive (2–8 is usual; 1 is the plain softmax).</param>
    /// <param name="softTargetWeight">The weight <c>α</c> of the soft-target term, in [0, 1]; the labels' cross-entropy gets <c>1 − α</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The temperature or the weight is out of range.</exception>
    public KnowledgeDistillation(nn.Module<Tensor, Tensor> teacher, double temperature = 4.0, double softTargetWeight = 0.5)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        CheckSettings(temperature, softTargetWeight);
        _teacher = teacher;
        Temperature = temperature;
        SoftTargetWeight = softTargetWeight;
        _teacher.eval();
    }

    /// <summary>The teacher.</summary>
    public nn.Module<Tensor, Tensor> Teacher => _teacher;

    /// <summary>The softmax temperature <c>T</c>.</summary>
    public double Temperature { get; }

    /// <summary>The weight <c>α</c> of the soft-target term; the hard (label) term gets <c>1 − α</c>.</summary>
    public double SoftTargetWeight { get; }

    /// <summary>
    /// The distillation loss of <paramref name="studentLogits"/> (the model's output for <paramref name="input"/>)
    /// against the teacher's output for the same <paramref name="input"/> and <paramref name="labels"/>. The teacher
    /// runs in evaluation mode without gradients; the result has the student's graph, ready for <c>backward()</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The logits are not [batch, classes], the teacher's output has another shape, or the labels are not [batch] class indices.</exception>
    public Tensor Loss(Tensor input, Tensor studentLogits, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (_teacher.training) _teacher.eval();   // someone called train() on the whole graph of modules
        using var scope = NewDisposeScope();
        Tensor teacherLogits;
        using (no_grad())
        {
            teacherLogits = _teacher.forward(input);
        }

        return Compute(studentLogits, teacherLogits, labels, Temperature, SoftTargetWeight).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The distillation loss <c>α · T² · KL(softmax(t / T) ‖ softmax(s / T)) + (1 − α) · CE(s, y)</c>, with the KL
    /// divergence averaged over the batch and the cross-entropy's mean. Gradients flow to <paramref name="studentLogits"/>
    /// only (the teacher's logits are detached).
    /// </summary>
    /// <param name="studentLogits">The student's logits, [batch, classes].</param>
    /// <param name="teacherLogits">The teacher's logits for the same inputs, of the same shape.</param>
    /// <param name="labels">The class indices, [batch], int64.</param>
    /// <param name="temperature">The temperature <c>T</c>, finite and positive.</param>
    /// <param name="softTargetWeight">The soft-target weight <c>α</c>, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">The temperature or the weight is out of range.</exception>
    /// <exception cref="ArgumentException">The shapes do not fit (see <see cref="Loss"/>).</exception>
    public static Tensor Compute(Tensor studentLogits, Tensor teacherLogits, Tensor labels, double temperature, double softTargetWeight)
    {
        ArgumentNullException.ThrowIfNull(studentLogits);
        ArgumentNullException.ThrowIfNull(teacherLogits);
        ArgumentNullException.ThrowIfNull(labels);
        CheckSettings(temperature, softTargetWeight);
        if (studentLogits.dim() != 2 || studentLogits.size(0) == 0)
        {
            throw new ArgumentException($"The student's logits must be [batch, classes] with a non-empty batch; their shape is {MaskPlan.FormatShape(studentLogits.shape)}.", nameof(studentLogits));
        }

        if (!teacherLogits.shape.AsSpan().SequenceEqual(studentLogits.shape))
        {
            throw new ArgumentException($"The teacher's logits have shape {MaskPlan.FormatShape(teacherLogits.shape)}; the student's have {MaskPlan.FormatShape(studentLogits.shape)}.", nameof(teacherLogits));
        }

        if (labels.dim() != 1 || labels.size(0) != studentLogits.size(0) || labels.dtype != ScalarType.Int64)
        {
            throw new ArgumentException($"The labels must be [batch] = [{studentLogits.size(0)}] int64 class indices; they are {MaskPlan.FormatShape(labels.shape)} {labels.dtype}.", nameof(labels));
        }

        using var scope = NewDisposeScope();
        // Scalars are held in locals: TorchSharp does not keep them alive during the native call.
        using var inverseTemperature = (1.0 / temperature).ToScalar();
        using var softScale = (softTargetWeight * temperature * temperature / studentLogits.size(0)).ToScalar();
        using var hardScale = (1.0 - softTargetWeight).ToScalar();
        var studentLog = nn.functional.log_softmax(studentLogits.mul(inverseTemperature), 1);
        var teacherLog = nn.functional.log_softmax(teacherLogits.detach().mul(inverseTemperature), 1);
        // kl_div(input, target) = Σ exp(target) · (target − input): the teacher's distribution is the target.
        var soft = nn.functional.kl_div(studentLog, teacherLog, log_target: true, reduction: nn.Reduction.Sum).mul(softScale);
        var hard = nn.functional.cross_entropy(studentLogits, labels).mul(hardScale);
        return soft.add(hard).MoveToOuterDisposeScope();
    }

    private static void CheckSettings(double temperature, double softTargetWeight)
    {
        if (!(temperature > 0.0 && double.IsFinite(temperature)))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $"The distillation temperature must be finite and positive; it is {temperature}.");
        }

        if (!(softTargetWeight >= 0.0 && softTargetWeight <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(softTargetWeight), softTargetWeight, $"The soft-target weight must be in [0, 1]; it is {softTargetWeight}.");
        }
    }
}
