using Edge.Core;

namespace Edge.Onnx.Graph;

/// <summary>
/// Shape arithmetic. Static sizes are non-negative; a negative entry is the dynamic batch times a static factor (-1 is
/// "batch", -16 is "batch*16"), the convention of the exporter's graph builder. For all-static shapes this is plain NumPy
/// arithmetic (constant folding uses it).
/// </summary>
public static class ShapeMath
{
    public static string Describe(long dim) => dim switch
    {
        >= 0 => dim.ToString(),
        -1 => "batch",
        _ => $"batch*{-dim}",
    };

    /// <summary>(batch factor, static product): a shape's element count is batch^(factor>0) * factor * static.</summary>
    private static (long BatchFactor, long Static) Split(long[] shape)
    {
        long factor = 0, stat = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                if (factor != 0) throw new InvalidOperationException("a shape can carry the batch on one axis only");
                factor = -d;
            }
            else stat *= d;
        }
        return (factor, stat);
    }

    /// <summary>
    /// Output shape of a Reshape whose target has static sizes and exactly one -1, which must absorb the batch
    /// (the only axis ONNX Runtime has to infer).
    /// </summary>
    public static long[] Reshape(long[] input, long[] target)
    {
        var (inFactor, inStatic) = Split(input);
        int minus = Array.IndexOf(target, -1L);
        if (minus < 0 || target.Count(d => d == -1) != 1 || target.Any(d => d < -1 || d == 0))
            throw new EdgeException($"Reshape target [{string.Join(",", target)}] must have exactly one -1 (the batch axis) and no 0.");
        long targetStatic = target.Where(d => d > 0).Aggregate(1L, (a, b) => a * b);
        if (inFactor == 0)
        {
            if (inStatic % targetStatic != 0) throw new EdgeException("Reshape sizes do not divide.");
            var fixedShape = (long[])target.Clone();
            fixedShape[minus] = inStatic / targetStatic;
            return fixedShape;
        }
        long total = inFactor * inStatic;
        if (total % targetStatic != 0)
            throw new EdgeException($"Reshape of [{string.Join(",", input.Select(Describe))}] to [{string.Join(",", target)}]: sizes do not divide.");
        var result = (long[])target.Clone();
        result[minus] = -(total / targetStatic);
        return result;
    }

    /// <summary>NumPy broadcasting; a batch axis broadcasts with 1 or with the same batch multiple.</summary>
    public static long[] Broadcast(long[] a, long[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            long db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            result[i] = da == db ? da : da == 1 ? db : db == 1 ? da
                : throw new EdgeException($"Shapes [{string.Join(",", a.Select(Describe))}] and [{string.Join(",", b.Select(Describe))}] do not broadcast.");
        }
        return result;
    }

    public static long[] Permute(long[] shape, long[] perm) => perm.Select(p => shape[p]).ToArray();

    /// <summary>Output side of a conv/pool window along one axis.</summary>
    public static long Window(long size, long kernel, long stride, long padBegin, long padEnd, long dilation = 1, bool ceil = false)
    {
        double span = size + padBegin + padEnd - dilation * (kernel - 1) - 1;
        return (long)(ceil ? Math.Ceiling(span / stride) : Math.Floor(span / stride)) + 1;
    }
}
