namespace Edge.Serve.Tensors;

/// <summary>Request text echoed in error messages: bounded and printable.</summary>
public static class Text
{
    public static string Clip(string? s, int max = 100)
    {
        if (string.IsNullOrEmpty(s))
            return "";
        var clean = new string(s.Take(max).Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return s.Length > max ? clean + "…" : clean;
    }

    public static string Shape(IReadOnlyList<long> shape) => $"[{string.Join(", ", shape)}]";
}
