using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Edge.Serve.Protocol.Triton;
using Google.Protobuf;

namespace Edge.Serve.Tests;

/// <summary>Building Triton-protocol requests and reading answers in tests, written from the v2 protocol's rules.</summary>
public static class TritonRequests
{
    public static ModelInferRequest.Types.InferInputTensor Input(string name, string datatype, params long[] shape)
    {
        var t = new ModelInferRequest.Types.InferInputTensor { Name = name, Datatype = datatype };
        t.Shape.AddRange(shape);
        return t;
    }

    /// <summary>simple's two INT32 inputs, raw.</summary>
    public static ModelInferRequest Simple(int[] a, int[] b, int batch = 1, string model = "simple")
    {
        var r = new ModelInferRequest { ModelName = model };
        r.Inputs.Add(Input("INPUT0", "INT32", batch, a.Length / batch));
        r.Inputs.Add(Input("INPUT1", "INT32", batch, b.Length / batch));
        r.RawInputContents.Add(Raw<int>(a));
        r.RawInputContents.Add(Raw<int>(b));
        return r;
    }

    public static ByteString Raw<T>(ReadOnlySpan<T> values) where T : unmanaged => ByteString.CopyFrom(MemoryMarshal.AsBytes(values));

    /// <summary>BYTES in raw form: a 4-byte little-endian length before each element.</summary>
    public static ByteString RawStrings(IEnumerable<byte[]> elements)
    {
        var list = elements.ToList();
        var bytes = new byte[list.Sum(e => 4 + e.Length)];
        int at = 0;
        foreach (var e in list)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), e.Length);
            e.CopyTo(bytes, at + 4);
            at += 4 + e.Length;
        }
        return ByteString.CopyFrom(bytes);
    }

    public static T[] Output<T>(ModelInferResponse r, string name) where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(r.RawOutputContents[Index(r, name)].Span).ToArray();

    public static string[] Strings(ModelInferResponse r, string name)
    {
        var span = r.RawOutputContents[Index(r, name)].Span;
        var list = new List<string>();
        for (int at = 0; at < span.Length;)
        {
            int n = BinaryPrimitives.ReadInt32LittleEndian(span[at..]);
            list.Add(System.Text.Encoding.UTF8.GetString(span.Slice(at + 4, n)));
            at += 4 + n;
        }
        return [.. list];
    }

    private static int Index(ModelInferResponse r, string name)
    {
        for (int i = 0; i < r.Outputs.Count; i++)
            if (r.Outputs[i].Name == name)
                return i;
        throw new KeyNotFoundException($"no output {name} in the answer ({string.Join(", ", r.Outputs.Select(o => o.Name))})");
    }
}
