using Edge.Serve.Inference;
using Edge.Serve.Tensors;

namespace Edge.Serve.Batching;

/// <summary>Stacking, splitting and slicing tensors along their first (batch) dimension.</summary>
public static class TensorBatching
{
    /// <summary>What must agree for two requests to share a run: every input's dimensions after the first.</summary>
    public static string SampleSignature(IReadOnlyList<HostTensor> inputs) =>
        string.Join(';', inputs.Select(t => string.Join(',', t.Shape.Skip(1))));

    /// <summary>Samples [start, start + count) of every input, borrowing the inputs' data.</summary>
    public static HostTensor[] Slice(IReadOnlyList<HostTensor> inputs, long start, int count) =>
        inputs.Select(t =>
        {
            long rows = t.Shape[0];
            long[] shape = [count, .. t.Shape.Skip(1)];
            if (t.Elements is { } e)
            {
                int per = rows == 0 ? 0 : (int)(e.Count / rows);
                return HostTensor.Strings(t.Name, shape, e.Skip((int)(start * per)).Take(count * per).ToArray());
            }
            int bytes = rows == 0 ? 0 : (int)(t.Data.Length / rows);
            return HostTensor.Fixed(t.Name, t.DataType, shape, t.Data.Slice((int)(start * bytes), count * bytes));
        }).ToArray();

    /// <summary>Stacks several requests' inputs (same input order and sample shapes) into one batch of <paramref name="total"/> samples.</summary>
    public static HostTensor[] Stack(IReadOnlyList<IReadOnlyList<HostTensor>> requests, int total)
    {
        int inputs = requests[0].Count;
        var stacked = new HostTensor[inputs];
        try
        {
            for (int i = 0; i < inputs; i++)
                stacked[i] = Join(requests.Select(r => r[i]).ToArray(), total);
        }
        catch
        {
            foreach (var t in stacked)
                t?.Dispose();
            throw;
        }
        return stacked;
    }

    /// <summary>Splits each output of a run back into the requests it served, by their sample counts.</summary>
    public static HostTensor[][] Split(IReadOnlyList<HostTensor> outputs, IReadOnlyList<int> samples)
    {
        int total = samples.Sum();
        foreach (var o in outputs)
            if (o.Shape.Length == 0 || o.Shape[0] != total)
                throw ServeException.Internal($"output '{o.Name}' has shape {Text.Shape(o.Shape)}, whose first dimension is not the batch of {total}: the model cannot be batched (set max_batch_size 0 in its config)");
        var parts = new HostTensor[samples.Count][];
        long at = 0;
        for (int r = 0; r < samples.Count; r++)
        {
            parts[r] = outputs.Select(o => Copy(o, at, samples[r])).ToArray();
            at += samples[r];
        }
        return parts;
    }

    /// <summary>Joins the chunks of one split request back into whole outputs, in chunk order.</summary>
    public static HostTensor[] Concat(IReadOnlyList<HostTensor[]> chunks, IReadOnlyList<TensorInfo> outputs)
    {
        int total = chunks.Sum(c => (int)c[0].Shape[0]);
        return Enumerable.Range(0, outputs.Count).Select(i => Join(chunks.Select(c => c[i]).ToArray(), total)).ToArray();
    }

    private static HostTensor Join(IReadOnlyList<HostTensor> parts, int total)
    {
        var first = parts[0];
        long[] shape = [total, .. first.Shape.Skip(1)];
        if (first.DataType.IsBytes)
            return HostTensor.Strings(first.Name, shape, parts.SelectMany(p => p.Elements!).ToArray());
        var buffer = PooledBuffer.Rent(parts.Sum(p => (long)p.Data.Length));
        int at = 0;
        foreach (var p in parts)
        {
            p.Data.Span.CopyTo(buffer.Span[at..]);
            at += p.Data.Length;
        }
        return HostTensor.Fixed(first.Name, first.DataType, shape, buffer.Memory, buffer);
    }

    /// <summary>An owned copy of samples [start, start + count) of <paramref name="t"/>.</summary>
    private static HostTensor Copy(HostTensor t, long start, int count)
    {
        long rows = t.Shape[0];
        long[] shape = [count, .. t.Shape.Skip(1)];
        if (t.Elements is { } e)
        {
            int per = rows == 0 ? 0 : (int)(e.Count / rows);
            return HostTensor.Strings(t.Name, shape, e.Skip((int)(start * per)).Take(count * per).ToArray());
        }
        int bytes = rows == 0 ? 0 : (int)(t.Data.Length / rows);
        var buffer = PooledBuffer.Rent((long)count * bytes);
        t.Data.Span.Slice((int)(start * bytes), count * bytes).CopyTo(buffer.Span);
        return HostTensor.Fixed(t.Name, t.DataType, shape, buffer.Memory, buffer);
    }
}
