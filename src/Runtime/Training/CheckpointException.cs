using System;

namespace PruneSharp.Training;

/// <summary>
/// Thrown when a checkpoint or safetensors file cannot be read or does not fit the model: the message names the file,
/// the tensor where one is concerned, and the problem. A load that throws it has changed nothing in the model.
/// </summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception for <paramref name="filePath"/> and, where one is concerned, <paramref name="tensorName"/>.</summary>
    public CheckpointException(string filePath, string? tensorName, string problem)
        : this(filePath, tensorName, problem, null)
    {
    }

    /// <summary>Creates the exception with the exception that revealed the problem.</summary>
    public CheckpointException(string filePath, string? tensorName, string problem, Exception? innerException)
        : base(Format(filePath, tensorName, problem), innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
        Problem = problem;
    }

    /// <summary>The file that was read.</summary>
    public string FilePath { get; }

    /// <summary>The state-dict name of the tensor concerned (as the file spells it), or <see langword="null"/> when the problem is the file's.</summary>
    public string? TensorName { get; }

    /// <summary>What is wrong, without the file and tensor names.</summary>
    public string Problem { get; }

    private static string Format(string filePath, string? tensorName, string problem) =>
        tensorName is null ? $"'{filePath}': {problem}" : $"'{filePath}', tensor '{tensorName}': {problem}";
}
