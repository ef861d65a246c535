namespace Edge.Core.Gate;

/// <summary>Packs per-sample 0/1 outcomes into a base64 bitmask indexed by base-dataset index, and back.</summary>
public static class SampleMask
{
    public static string Encode(int baseCount, IReadOnlyList<int> baseIndices, IReadOnlyList<byte>? flags = null)
    {
        var bits = new byte[(baseCount + 7) / 8];
        for (int i = 0; i < baseIndices.Count; i++)
            if (flags is null || flags[i] != 0)
                bits[baseIndices[i] >> 3] |= (byte)(1 << (baseIndices[i] & 7));
        return Convert.ToBase64String(bits);
    }

    /// <summary>The flags at <paramref name="baseIndices"/>; null when the mask is malformed or too short.</summary>
    public static byte[]? Decode(string? mask, int baseCount, IReadOnlyList<int> baseIndices)
    {
        if (mask is null) return null;
        byte[] bits;
        try { bits = Convert.FromBase64String(mask); }
        catch (FormatException) { return null; }
        if (bits.Length != (baseCount + 7) / 8) return null;
        var result = new byte[baseIndices.Count];
        for (int i = 0; i < result.Length; i++)
            result[i] = (byte)((bits[baseIndices[i] >> 3] >> (baseIndices[i] & 7)) & 1);
        return result;
    }
}
