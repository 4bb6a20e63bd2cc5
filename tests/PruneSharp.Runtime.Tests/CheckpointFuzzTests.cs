using PruneSharp.Tests.Models;
using PruneSharp.Training;

namespace PruneSharp.Tests;

/// <summary>
/// Damaged files: every truncation point of a small checkpoint and seeded random bit flips. Each load either throws a
/// <see cref="CheckpointException"/> naming the file (and the tensor, where the damage is inside one) and leaves the
/// model bit-identical, or loads exactly what was saved.
/// </summary>
public sealed class CheckpointFuzzTests : IDisposable
{
    private const int Flips = 1200;

    private readonly string _directory = Directory.CreateTempSubdirectory("prunesharp-fuzz-").FullName;
    private string? _original;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Every_truncation_of_a_checkpoint_is_refused_and_leaves_the_model_unchanged()
    {
        using var source = SavedModel();
        var (bytes, layout) = CheckpointFormat.Write(CheckpointFormat.StateOf(source));
        using var target = TargetModel();
        var before = ModelState.Of(target);
        var path = Path.Combine(_directory, "truncated.bin");
        File.WriteAllBytes(path, bytes);

        for (var length = bytes.Length - 1; length >= 0; length--)
        {
            Truncate(path, length);
            var error = Assert.Throws<CheckpointException>(() => PruningCheckpoint.Load(target, path));
            AssertClear(error, path);

            // Cut inside a tensor's data or checksum: the error names that tensor.
            var inside = layout.Where(entry => length >= entry.DataStart && length < entry.DataEnd + 32).Select(entry => entry.Name).SingleOrDefault();
            if (inside is not null) Assert.True(inside == error.TensorName, $"cut at {length}: {error.Message}");
            Assert.Null(before.Difference(ModelState.Of(target)));
        }

        File.WriteAllBytes(path, bytes);
        PruningCheckpoint.Load(target, path);
        ModelState.Of(source).AssertSame(target);
    }

    [Fact]
    public void Random_bit_flips_in_a_checkpoint_are_all_detected_and_leave_the_model_unchanged()
    {
        using var source = SavedModel();
        var (bytes, layout) = CheckpointFormat.Write(CheckpointFormat.StateOf(source));
        var saved = ModelState.Of(source);
        using var target = TargetModel();
        var before = ModelState.Of(target);
        var path = Path.Combine(_directory, "flipped.bin");
        File.WriteAllBytes(path, bytes);
        var random = new Random(14_2026);
        var inData = 0;

        for (var flip = 0; flip < Flips; flip++)
        {
            var position = random.Next(bytes.Length);
            Patch(path, position, (byte)(bytes[position] ^ (1 << random.Next(8))));
            var outcome = Load(target, path, saved, before);
            Patch(path, position, bytes[position]);
            Assert.True(outcome is not null, $"flip at byte {position} was not detected");

            var inside = layout.Where(entry => position >= entry.DataStart && position < entry.DataEnd + 32).Select(entry => entry.Name).SingleOrDefault();
            if (inside is null) continue;
            inData++;
            Assert.Equal(inside, outcome!.TensorName);
            Assert.Contains("SHA-256", outcome.Message);
        }

        Assert.True(inData > Flips / 2, $"only {inData} of {Flips} flips hit tensor data");
    }

    [Fact]
    public void Every_truncation_of_a_safetensors_file_and_flips_in_its_header_are_refused_or_load_exactly_what_was_saved()
    {
        // The format has no checksum, so a flipped data byte loads another value; its header, though, is checked whole.
        using var source = SavedModel();
        var path = Path.Combine(_directory, "model.safetensors");
        PruningCheckpoint.ExportSafetensors(source, path);
        var bytes = File.ReadAllBytes(path);
        var dataOffset = (int)SafeTensorsFile.ReadHeader(path).DataOffset;
        var saved = ModelState.Of(source);
        using var target = TargetModel();
        var before = ModelState.Of(target);
        var damagedPath = Path.Combine(_directory, "damaged.safetensors");
        File.WriteAllBytes(damagedPath, bytes);

        for (var length = bytes.Length - 1; length >= 0; length--)
        {
            Truncate(damagedPath, length);
            AssertClear(Assert.Throws<CheckpointException>(() => PruningCheckpoint.ImportSafetensors(target, damagedPath)), damagedPath);
            Assert.Null(before.Difference(ModelState.Of(target)));
        }

        var random = new Random(14_2027);
        var refused = 0;
        File.WriteAllBytes(damagedPath, bytes);
        for (var position = 0; position < dataOffset; position++)
        {
            Patch(damagedPath, position, (byte)(bytes[position] ^ (1 << random.Next(8))));
            if (Load(target, damagedPath, saved, before, safetensors: true) is not null) refused++;
            Patch(damagedPath, position, bytes[position]);
        }

        Assert.True(refused > dataOffset * 9 / 10, $"{refused} of {dataOffset} header flips refused");
    }

    /// <summary>Loads; on success the model must hold exactly the saved state (and is then put back), else the error is checked.</summary>
    private CheckpointException? Load(FilterNet target, string path, ModelState saved, ModelState before, bool safetensors = false)
    {
        try
        {
            if (safetensors) PruningCheckpoint.ImportSafetensors(target, path);
            else PruningCheckpoint.Load(target, path);
        }
        catch (CheckpointException error)
        {
            AssertClear(error, path);
            Assert.Null(before.Difference(ModelState.Of(target)));
            return error;
        }

        Assert.Null(saved.Difference(ModelState.Of(target)));
        PruningCheckpoint.Load(target, _original!);
        Assert.Null(before.Difference(ModelState.Of(target)));
        return null;
    }

    // Damage made in place: rewriting the whole file for each case costs far more than the load it tests.
    private static void Truncate(string path, int length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.SetLength(length);
    }

    private static void Patch(string path, int position, byte value)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.Position = position;
        stream.WriteByte(value);
    }

    private static void AssertClear(CheckpointException error, string path)
    {
        Assert.Equal(path, error.FilePath);
        Assert.StartsWith($"'{path}'", error.Message);
        Assert.EndsWith("the model is unchanged.", error.Message);
        Assert.DoesNotContain("Exception", error.Problem);
    }

    private static FilterNet SavedModel()
    {
        var model = new FilterNet();
        model.ComputeMasks();
        model.ApplyMasks();
        return model;
    }

    /// <summary>
    /// Other weights and other masks than <see cref="SavedModel"/>, so a partial load would show; saved, so that a load
    /// that succeeds can be undone.
    /// </summary>
    private FilterNet TargetModel()
    {
        var model = new FilterNet();
        model.ComputeMasks();
        _original = Path.Combine(_directory, "original.bin");
        PruningCheckpoint.Save(model, _original);
        return model;
    }
}
