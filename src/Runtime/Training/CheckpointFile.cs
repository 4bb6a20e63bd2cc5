using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace PruneSharp.Training;

/// <summary>
/// PruneSharp's checkpoint format, version 2: a 16-byte header (the magic <c>89 'PSCKPT' 0A</c>, the version and the
/// number of tensors, both little-endian <c>uint32</c>), then one entry per tensor: TorchSharp's own encoding of a
/// state-dict entry (the name as <c>BinaryWriter.Write(string)</c> writes it, the element type, rank and sizes as
/// LEB128, the raw little-endian data) followed by the SHA-256 of the entry's bytes. A file without the magic is read
/// as version 1: what TorchSharp's <c>Module.save</c> writes (a LEB128 count, then the entries without checksums).
/// </summary>
internal static class CheckpointFile
{
    internal const uint Version = 2;
    internal const int HeaderLength = 16;
    internal const int DigestLength = 32;
    private const int MaxNameBytes = 1 << 16;
    private const int MaxRank = 64;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static ReadOnlySpan<byte> Magic => [0x89, (byte)'P', (byte)'S', (byte)'C', (byte)'K', (byte)'P', (byte)'T', 0x0A];

    /// <summary>Writes the model's tensors (those that exist) to <paramref name="stream"/>.</summary>
    public static void Write(StateDictTarget target, Stream stream)
    {
        var count = 0;
        foreach (var tensor in target.Tensors)
        {
            if (tensor.Existing is not null) count++;
        }

        Span<byte> header = stackalloc byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)count);
        stream.Write(header);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var meta = new MemoryStream();
        foreach (var tensor in target.Tensors)
        {
            if (tensor.Existing is not { } value) continue;
            meta.SetLength(0);
            var nameBytes = StrictUtf8.GetBytes(tensor.Name);
            WriteLeb128(meta, nameBytes.Length);
            meta.Write(nameBytes);
            WriteLeb128(meta, (long)value.dtype);
            WriteLeb128(meta, value.dim());
            foreach (var size in value.shape) WriteLeb128(meta, size);
            var metaBytes = meta.GetBuffer().AsSpan(0, (int)meta.Length);
            stream.Write(metaBytes);
            hash.AppendData(metaBytes);

            using (var scope = NewDisposeScope())
            {
                TensorBytes.Write(value.detach().cpu().contiguous(), stream, hash);
            }

            stream.Write(hash.GetHashAndReset());
        }
    }

    /// <summary>Reads every tensor of the file at <paramref name="path"/> into <paramref name="staged"/>.</summary>
    /// <exception cref="CheckpointException">The file is damaged, truncated, or does not fit the model.</exception>
    public static void Read(string path, StagedState staged)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        using var reader = new EntryReader(stream, staged);
        try
        {
            Span<byte> header = stackalloc byte[HeaderLength];
            var headerBytes = (int)Math.Min(HeaderLength, stream.Length);
            if (headerBytes == 0) throw staged.Error(null, "the file is empty.");
            stream.ReadExactly(header[..headerBytes]);
            var magicBytes = Math.Min(headerBytes, Magic.Length);
            if (header[..magicBytes].SequenceEqual(Magic[..magicBytes]))
            {
                if (headerBytes < HeaderLength) throw staged.Error(null, $"the file ends inside PruneSharp's {HeaderLength}-byte checkpoint header, after {headerBytes} bytes: it is truncated.");
                ReadVersion2(header, reader);
            }
            else if (magicBytes == Magic.Length && Differences(header[..magicBytes], Magic) <= 2)
            {
                throw staged.Error(null, "its PruneSharp checkpoint header is damaged (the magic bytes at its start are wrong).");
            }
            else
            {
                stream.Position = 0;
                reader.Legacy = true;
                ReadEntries(reader, reader.ReadLeb128(null, "the number of tensors"));
            }

            if (reader.Remaining != 0)
            {
                throw reader.Error(null, $"{reader.Remaining} bytes follow the last of its tensors: the file is damaged, or not a checkpoint.");
            }
        }
        catch (EndOfStreamException exception)
        {
            // Lengths are checked before they are read, so only a file that shrank while it was read gets here.
            throw staged.Error(null, "the file ended while it was read (did it change meanwhile?).", exception);
        }
    }

    private static void ReadVersion2(ReadOnlySpan<byte> header, EntryReader reader)
    {
        var version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version != Version)
        {
            throw reader.Error(null, $"it is a PruneSharp checkpoint of format version {version}; this PruneSharp reads version {Version} (and TorchSharp's Module.save files). It was written by another PruneSharp, or its header is damaged.");
        }

        ReadEntries(reader, BinaryPrimitives.ReadUInt32LittleEndian(header[12..]));
    }

    private static void ReadEntries(EntryReader reader, long count)
    {
        // No count is trusted for an allocation: each entry is read, and bounded by the bytes left, in turn.
        for (long index = 0; index < count; index++)
        {
            if (reader.Remaining == 0)
            {
                throw reader.Error(null, $"the file ends after {index} of the {count} tensors it announces: it is truncated.");
            }

            ReadEntry(reader, index, count);
        }
    }

    private static void ReadEntry(EntryReader reader, long index, long count)
    {
        var withDigests = !reader.Legacy;
        var entry = $"entry {index + 1} of {count}";
        reader.Hash = withDigests ? reader.EntryHash : null;
        var nameLength = reader.ReadLeb128(null, $"the name length of {entry}");
        if (nameLength > MaxNameBytes || nameLength > reader.Remaining)
        {
            throw reader.Error(null, $"{entry} has a name of {nameLength} bytes, {(nameLength > MaxNameBytes ? $"over the {MaxNameBytes}-byte limit" : "more than the file holds")}: the file is damaged or truncated.");
        }

        var nameBytes = new byte[nameLength];
        reader.Read(nameBytes);
        string name;
        try
        {
            name = StrictUtf8.GetString(nameBytes);
        }
        catch (DecoderFallbackException exception)
        {
            throw reader.Error(null, $"the name of {entry} is not valid UTF-8: the file is damaged.", exception);
        }

        var typeCode = reader.ReadLeb128(name, "its element type");
        var rank = reader.ReadLeb128(name, "its rank");
        if (rank > MaxRank) throw reader.Error(name, $"its rank is {rank}, over {MaxRank}: the file is damaged.");
        var shape = new long[rank];
        for (var axis = 0; axis < rank; axis++) shape[axis] = reader.ReadLeb128(name, $"size {axis} of its shape");

        var type = typeCode <= int.MaxValue && TensorBytes.ElementSize((ScalarType)typeCode) > 0 ? (ScalarType?)(ScalarType)typeCode : null;
        if (type is null)
        {
            throw reader.Error(name, $"its element type code {typeCode} is not a type a checkpoint holds: the file is damaged, or holds quantized tensors.");
        }

        if (!TensorBytes.TrySize(shape, TensorBytes.ElementSize(type.Value), out _, out var dataBytes))
        {
            throw reader.Error(name, $"its shape {MaskPlan.FormatShape(shape)} has more bytes than a 64-bit count holds: the file is damaged.");
        }

        // Compared without adding to dataBytes, which may be close to 2^63.
        var digestBytes = withDigests ? DigestLength : 0;
        if (dataBytes > reader.Remaining - digestBytes)
        {
            var needed = dataBytes > long.MaxValue - digestBytes ? "over 2^63" : (dataBytes + digestBytes).ToString(CultureInfo.InvariantCulture);
            throw reader.Error(name, $"{entry} needs {needed} more bytes for its {type} data of shape {MaskPlan.FormatShape(shape)}{(withDigests ? " and checksum" : "")}, but the file has {reader.Remaining} left: it is truncated or damaged.");
        }

        if (reader.Staged.TryMatch(name, type, type.Value.ToString(), shape, out var target) is { } mismatch)
        {
            if (withDigests)
            {
                // A damaged name, type or shape reads as a mismatch: the checksum says which it is.
                TensorBytes.Skip(reader.Stream, dataBytes, reader.EntryHash);
                reader.Hash = null;
                reader.VerifyDigest(name, entry);
            }

            throw mismatch;
        }

        var value = TensorBytes.AllocateStaging(shape, type.Value);
        try
        {
            TensorBytes.Fill(value, reader.Stream, reader.Hash);
            if (withDigests)
            {
                reader.Hash = null;
                reader.VerifyDigest(name, entry);
            }
        }
        catch
        {
            value.Dispose();
            throw;
        }

        reader.Staged.Accept(target!, value);
    }

    private static int Differences(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var differences = 0;
        for (var index = 0; index < left.Length; index++)
        {
            if (left[index] != right[index]) differences++;
        }

        return differences;
    }

    private static void WriteLeb128(Stream stream, long value)
    {
        var remaining = (ulong)value;
        while (remaining >= 0x80)
        {
            stream.WriteByte((byte)(remaining | 0x80));
            remaining >>= 7;
        }

        stream.WriteByte((byte)remaining);
    }

    /// <summary>Reads a checkpoint's bytes, never past the file's end, optionally hashing what it reads.</summary>
    private sealed class EntryReader(FileStream stream, StagedState staged) : IDisposable
    {
        public FileStream Stream { get; } = stream;

        public StagedState Staged { get; } = staged;

        public IncrementalHash EntryHash { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        /// <summary>The hash that reads go into, or <see langword="null"/>.</summary>
        public IncrementalHash? Hash { get; set; }

        /// <summary>Whether the file has no PruneSharp header (TorchSharp's <c>Module.save</c> format).</summary>
        public bool Legacy { get; set; }

        public long Remaining => Stream.Length - Stream.Position;

        public void Dispose() => EntryHash.Dispose();

        public CheckpointException Error(string? tensorName, string problem, Exception? inner = null) =>
            Staged.Error(tensorName, Legacy ? problem + " (The file has no PruneSharp checkpoint header, so it was read as a TorchSharp Module.save state dict.)" : problem, inner);

        public void Read(Span<byte> buffer)
        {
            Stream.ReadExactly(buffer);
            Hash?.AppendData(buffer);
        }

        /// <summary>An unsigned LEB128 number of at most 63 bits, as TorchSharp writes lengths, types and sizes.</summary>
        public long ReadLeb128(string? tensorName, string what)
        {
            ulong value = 0;
            Span<byte> one = stackalloc byte[1];
            for (var shift = 0; ; shift += 7)
            {
                if (Remaining == 0) throw Error(tensorName, $"the file ends inside {what}: it is truncated.");
                Read(one);
                var part = (ulong)(one[0] & 0x7F);
                var more = (one[0] & 0x80) != 0;
                if (shift > 56 && (part != 0 || more))
                {
                    throw Error(tensorName, $"{what} is over 2^63: the file is damaged.");
                }

                value |= part << shift;
                if (!more) return (long)value;
            }
        }

        public void VerifyDigest(string tensorName, string entry)
        {
            Span<byte> stored = stackalloc byte[DigestLength];
            Span<byte> actual = stackalloc byte[DigestLength];
            Stream.ReadExactly(stored);
            EntryHash.GetHashAndReset(actual);
            if (!stored.SequenceEqual(actual))
            {
                throw Error(tensorName, $"{entry} does not match the SHA-256 checksum saved with it: the file was damaged or changed after it was saved (the name shown may be damaged too).");
            }
        }
    }
}
