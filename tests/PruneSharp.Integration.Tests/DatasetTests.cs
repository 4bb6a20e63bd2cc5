using System.Buffers.Binary;
using System.IO.Compression;
using PruneSharp.Samples;

namespace PruneSharp.Tests;

/// <summary>The Fashion-MNIST reader: IDX files gzipped or plain, and a clear error naming the file when one is missing or corrupt.</summary>
public sealed class DatasetTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("prunesharp-idx-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Reads_images_and_labels_from_gzipped_or_plain_idx_files(bool gzip)
    {
        byte[] pixels = [.. Enumerable.Range(0, 3 * 2 * 4).Select(value => (byte)(value * 10))];
        Write("t10k-images-idx3-ubyte", Idx(0x803, [3, 2, 4], pixels), gzip);
        Write("t10k-labels-idx1-ubyte", Idx(0x801, [3], [9, 0, 4]), gzip);

        var set = FashionMnistReader.Load(_directory, train: false);

        Assert.Equal((3, 2, 4), (set.Count, set.Rows, set.Columns));
        Assert.Equal(pixels, set.Images);
        Assert.Equal([9, 0, 4], set.Labels);
    }

    [Fact]
    public void Tensors_are_the_first_images_normalized_and_their_labels()
    {
        var set = new ImageSet([0, 255, 51, 102, 0, 0, 0, 0, 255, 255, 255, 255], [7, 2, 5], 2, 2);

        using var images = FashionMnistTensors.Images(set, 2);
        using var labels = FashionMnistTensors.Labels(set, 5);   // more than the set has: all of them

        Assert.Equal([2L, 1, 2, 2], images.shape);
        float Normalized(byte pixel) => (pixel / 255f - FashionMnistTensors.Mean) / FashionMnistTensors.Std;
        Assert.Equal(new[] { Normalized(0), Normalized(255), Normalized(51), Normalized(102), Normalized(0), Normalized(0), Normalized(0), Normalized(0) }, images.data<float>().ToArray());
        Assert.Equal([7L, 2, 5], labels.data<long>().ToArray());
    }

    [Fact]
    public void A_missing_file_is_an_error_naming_its_path_and_the_package()
    {
        Write("train-labels-idx1-ubyte", Idx(0x801, [1], [1]), gzip: true);
        var error = Assert.Throws<DatasetException>(() => FashionMnistReader.Load(_directory, train: true));
        var expected = Path.Combine(_directory, "train-images-idx3-ubyte.gz");
        Assert.Equal(expected, error.FilePath);
        Assert.StartsWith(expected + ": not found", error.Message);
        Assert.Contains("dataset-fashion-mnist", error.Message);
    }

    [Fact]
    public void A_file_with_the_wrong_magic_number_is_an_error_naming_it()
    {
        var path = Write("t10k-images-idx3-ubyte", Idx(0x801, [2], [1, 2]), gzip: false);
        Write("t10k-labels-idx1-ubyte", Idx(0x801, [2], [1, 2]), gzip: false);
        var error = Assert.Throws<DatasetException>(() => FashionMnistReader.Load(_directory, train: false));
        Assert.Equal(path, error.FilePath);
        Assert.Contains("magic number is 0x00000801, expected 0x00000803", error.Message);
    }

    [Fact]
    public void A_truncated_image_file_is_an_error_naming_it()
    {
        var bytes = Idx(0x803, [2, 28, 28], new byte[2 * 28 * 28]);
        var path = Write("t10k-images-idx3-ubyte", bytes[..^100], gzip: true);
        var error = Assert.Throws<DatasetException>(() => FashionMnistReader.ReadImages(path));
        Assert.StartsWith(path + ":", error.Message);
        Assert.Contains("truncated or corrupt", error.Message);
    }

    [Fact]
    public void A_file_too_short_for_a_header_is_an_error_naming_it()
    {
        var path = Write("t10k-labels-idx1-ubyte", [0, 0, 8], gzip: false);
        var error = Assert.Throws<DatasetException>(() => FashionMnistReader.ReadLabels(path));
        Assert.StartsWith(path + ": is 3 bytes long", error.Message);
    }

    [Fact]
    public void A_corrupt_gzip_stream_is_an_error_naming_the_file()
    {
        var good = Idx(0x801, [4], [1, 2, 3, 4]);
        using var buffer = new MemoryStream();
        using (var zip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) zip.Write(good);
        var bytes = buffer.ToArray();
        for (var index = 10; index < bytes.Length - 8; index++) bytes[index] ^= 0x5A;   // keep the gzip header, break the data
        var path = Path.Combine(_directory, "t10k-labels-idx1-ubyte.gz");
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<DatasetException>(() => FashionMnistReader.ReadLabels(path));
        Assert.Equal(path, error.FilePath);
    }

    [Fact]
    public void Label_counts_that_do_not_match_and_labels_above_nine_are_errors_naming_the_file()
    {
        Write("t10k-images-idx3-ubyte", Idx(0x803, [2, 1, 1], [5, 6]), gzip: false);
        var labels = Write("t10k-labels-idx1-ubyte", Idx(0x801, [3], [1, 2, 3]), gzip: false);
        var mismatch = Assert.Throws<DatasetException>(() => FashionMnistReader.Load(_directory, train: false));
        Assert.StartsWith(labels + ": has 3 labels, but", mismatch.Message);

        Write("t10k-labels-idx1-ubyte", Idx(0x801, [2], [1, 12]), gzip: false);
        var outOfRange = Assert.Throws<DatasetException>(() => FashionMnistReader.Load(_directory, train: false));
        Assert.StartsWith(labels + ": label 1 is 12", outOfRange.Message);
    }

    [Fact]
    public void The_installed_data_set_has_the_known_sizes_and_first_labels()
    {
        // Installed by eng/setup.sh (Debian package dataset-fashion-mnist); the sample reads the same files.
        var train = FashionMnistReader.Load(FashionMnistReader.DefaultDirectory, train: true);
        var test = FashionMnistReader.Load(FashionMnistReader.DefaultDirectory, train: false);
        Assert.Equal((60_000, 28, 28), (train.Count, train.Rows, train.Columns));
        Assert.Equal(10_000, test.Count);
        Assert.Equal([9, 0, 0, 3, 0], train.Labels[..5]);
        Assert.Equal([9, 2, 1, 1, 6], test.Labels[..5]);
        Assert.Equal(Enumerable.Repeat(6000, 10), train.Labels.CountBy(label => label).OrderBy(pair => pair.Key).Select(pair => pair.Value));
    }

    private static byte[] Idx(int magic, int[] sizes, byte[] data)
    {
        var bytes = new byte[4 + 4 * sizes.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (var index = 0; index < sizes.Length; index++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * index), sizes[index]);
        data.CopyTo(bytes, 4 + 4 * sizes.Length);
        return bytes;
    }

    private string Write(string name, byte[] bytes, bool gzip)
    {
        var path = Path.Combine(_directory, gzip ? name + ".gz" : name);
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return path;
        }

        using var file = File.Create(path);
        using var zip = new GZipStream(file, CompressionLevel.Optimal);
        zip.Write(bytes);
        return path;
    }
}
