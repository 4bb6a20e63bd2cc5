using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace PruneSharp.Samples;

/// <summary>One split of Fashion-MNIST: 28×28 grey images as bytes (row-major, image after image) and their labels.</summary>
/// <param name="Images">Count × Rows × Columns pixel bytes, 0 (black) to 255.</param>
/// <param name="Labels">One class index (0–9) per image.</param>
/// <param name="Rows">Pixel rows per image.</param>
/// <param name="Columns">Pixel columns per image.</param>
public sealed record ImageSet(byte[] Images, byte[] Labels, int Rows, int Columns)
{
    /// <summary>The number of images.</summary>
    public int Count => Labels.Length;
}

/// <summary>A data-set file that is missing, unreadable or not what its name says; the message names the file.</summary>
public sealed class DatasetException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public DatasetException(string path, string message, Exception? inner = null)
        : base($"{path}: {message}", inner)
    {
        FilePath = path;
    }

    /// <summary>The file the problem is in.</summary>
    public string FilePath { get; }
}

/// <summary>
/// Reads Fashion-MNIST (Zalando's 70,000 28×28 grey clothing images in ten classes) from the IDX files that the
/// Debian package <c>dataset-fashion-mnist</c> installs in <see cref="DefaultDirectory"/> (gzipped; plain IDX files
/// with the same names without <c>.gz</c> are read too).
/// </summary>
public static class FashionMnistReader
{
    /// <summary>Where the Debian package <c>dataset-fashion-mnist</c> puts the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The ten classes, by label.</summary>
    public static readonly string[] ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private const int ImagesMagic = 0x00000803;   // unsigned bytes, 3 dims
    private const int LabelsMagic = 0x00000801;   // unsigned bytes, 1 dim

    /// <summary>Reads the training split (60,000 images) or the test split (10,000 images) from <paramref name="directory"/>.</summary>
    /// <exception cref="DatasetException">A file is missing or corrupt; the message names it.</exception>
    public static ImageSet Load(string directory, bool train)
    {
        var prefix = train ? "train" : "t10k";
        var imagesPath = Find(directory, $"{prefix}-images-idx3-ubyte");
        var labelsPath = Find(directory, $"{prefix}-labels-idx1-ubyte");
        var (images, rows, columns, imageCount) = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (labels.Length != imageCount)
        {
            throw new DatasetException(labelsPath, $"has {labels.Length} labels, but {imagesPath} has {imageCount} images.");
        }

        return new ImageSet(images, labels, rows, columns);
    }

    /// <summary>Reads an IDX image file (magic 0x00000803): the pixels, the image size and the image count.</summary>
    /// <exception cref="DatasetException">The file is missing, truncated, or not an IDX image file.</exception>
    public static (byte[] Pixels, int Rows, int Columns, int Count) ReadImages(string path)
    {
        var data = ReadAll(path);
        var magic = Header(path, data, 0);
        if (magic != ImagesMagic)
        {
            throw new DatasetException(path, $"is not an IDX image file: its magic number is 0x{magic:X8}, expected 0x{ImagesMagic:X8}.");
        }

        var count = Header(path, data, 1);
        var rows = Header(path, data, 2);
        var columns = Header(path, data, 3);
        if (count <= 0 || rows <= 0 || columns <= 0)
        {
            throw new DatasetException(path, $"declares {count} images of {rows}×{columns} pixels; every size must be positive.");
        }

        var expected = 16L + (long)count * rows * columns;
        if (data.Length != expected)
        {
            throw new DatasetException(path, $"declares {count} images of {rows}×{columns} pixels ({expected:N0} bytes with the header), but holds {data.Length:N0} bytes: it is truncated or corrupt.");
        }

        return (data.AsSpan(16).ToArray(), rows, columns, count);
    }

    /// <summary>Reads an IDX label file (magic 0x00000801) of Fashion-MNIST labels (0–9).</summary>
    /// <exception cref="DatasetException">The file is missing, truncated, not an IDX label file, or has a label above 9.</exception>
    public static byte[] ReadLabels(string path)
    {
        var data = ReadAll(path);
        var magic = Header(path, data, 0);
        if (magic != LabelsMagic)
        {
            throw new DatasetException(path, $"is not an IDX label file: its magic number is 0x{magic:X8}, expected 0x{LabelsMagic:X8}.");
        }

        var count = Header(path, data, 1);
        if (count <= 0 || data.Length != 8L + count)
        {
            throw new DatasetException(path, $"declares {count} labels ({8L + count:N0} bytes with the header), but holds {data.Length:N0} bytes: it is truncated or corrupt.");
        }

        var labels = data.AsSpan(8).ToArray();
        for (var index = 0; index < labels.Length; index++)
        {
            if (labels[index] >= ClassNames.Length)
            {
                throw new DatasetException(path, $"label {index} is {labels[index]}; Fashion-MNIST labels are 0 to {ClassNames.Length - 1}.");
            }
        }

        return labels;
    }

    private static string Find(string directory, string name)
    {
        var gzipped = Path.Combine(directory, name + ".gz");
        if (File.Exists(gzipped)) return gzipped;
        var plain = Path.Combine(directory, name);
        if (File.Exists(plain)) return plain;
        throw new DatasetException(gzipped, $"not found (nor {plain}). Install Fashion-MNIST with 'bash eng/setup.sh' (Debian package dataset-fashion-mnist) or pass the directory that holds the IDX files.");
    }

    private static byte[] ReadAll(string path)
    {
        if (!File.Exists(path))
        {
            throw new DatasetException(path, "not found. Install Fashion-MNIST with 'bash eng/setup.sh' (Debian package dataset-fashion-mnist).");
        }

        try
        {
            using var file = File.OpenRead(path);
            var isGzip = file.Length >= 2 && file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
            file.Position = 0;
            using var stream = isGzip ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return buffer.ToArray();
        }
        catch (Exception exception) when (exception is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new DatasetException(path, $"cannot be read: {exception.Message}", exception);
        }
    }

    private static int Header(string path, byte[] data, int field)
    {
        var offset = field * 4;
        if (data.Length < offset + 4)
        {
            throw new DatasetException(path, $"is {data.Length} bytes long, too short for an IDX header: it is truncated or not an IDX file.");
        }

        return BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(offset, 4));
    }
}
