using System.Security.Cryptography;

namespace Edge.Core.IO;

public static class FileHash
{
    /// <summary>Lower-case hex SHA-256 of a file's bytes: how manifests and gate reports identify models.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
