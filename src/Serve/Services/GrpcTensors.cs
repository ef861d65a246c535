using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Edge.Serve.Inference;
using Edge.Serve.Protocol.Triton;
using Edge.Serve.Tensors;
using Google.Protobuf;

namespace Edge.Serve.Services;

/// <summary>
/// ModelInferRequest/Response (gRPC) to and from the engine's tensors, every v2 datatype typed and raw. Raw input
/// contents are used in place (no copy); typed contents are packed into pooled buffers. Answers always carry
/// raw_output_contents, as Triton's do: its client reads numeric outputs only from there.
/// </summary>
public static class GrpcTensors
{
    public const string ClassificationParameter = "classification";

    public static InferRequest ReadRequest(ModelInferRequest request)
    {
        bool raw = request.RawInputContents.Count > 0;
        if (raw && request.RawInputContents.Count != request.Inputs.Count)
            throw ServeException.Invalid($"raw_input_contents has {request.RawInputContents.Count} entries for {request.Inputs.Count} input(s); give one per input");
        var inputs = new List<HostTensor>(request.Inputs.Count);
        try
        {
            for (int i = 0; i < request.Inputs.Count; i++)
                inputs.Add(ReadInput(request.Inputs[i], raw ? request.RawInputContents[i] : null));
        }
        catch
        {
            foreach (var t in inputs)
                t.Dispose();
            throw;
        }
        var outputs = request.Outputs.Select(o => new RequestedOutput(o.Name,
            o.Parameters.TryGetValue(ClassificationParameter, out var p) ? ClassCount(p, o.Name) : 0)).ToArray();
        return new InferRequest(request.ModelName, request.ModelVersion, inputs, outputs);
    }

    private static int ClassCount(InferParameter p, string output) => p.ParameterChoiceCase switch
    {
        InferParameter.ParameterChoiceOneofCase.Int64Param when p.Int64Param is > 0 and <= int.MaxValue => (int)p.Int64Param,
        InferParameter.ParameterChoiceOneofCase.Uint64Param when p.Uint64Param is > 0 and <= int.MaxValue => (int)p.Uint64Param,
        _ => throw ServeException.Invalid($"output '{Text.Clip(output)}': parameter 'classification' must be a positive int64 class count"),
    };

    private static HostTensor ReadInput(ModelInferRequest.Types.InferInputTensor tensor, ByteString? raw)
    {
        string what = $"input '{Text.Clip(tensor.Name)}'";
        var type = TensorDataTypes.Parse(tensor.Datatype, what);
        long[] shape = [.. tensor.Shape];
        long count = HostTensor.ElementCountOf(shape);
        if (raw is not null)
        {
            if (tensor.Contents is { } c && Typed(c) > 0)
                throw ServeException.Invalid($"{what} sets both contents and raw_input_contents; use one");
            return type.IsBytes ? HostTensor.Strings(tensor.Name, shape, RawBytes.Split(raw.Memory, what)) : HostTensor.Fixed(tensor.Name, type, shape, raw.Memory);
        }
        var contents = tensor.Contents ?? new InferTensorContents();
        return type.Name switch
        {
            "BOOL" => Pack(tensor, type, shape, count, contents.BoolContents, static (bool v) => (byte)(v ? 1 : 0)),
            "UINT8" => Pack(tensor, type, shape, count, contents.UintContents, static (uint v) => checked((byte)v)),
            "UINT16" => Pack(tensor, type, shape, count, contents.UintContents, static (uint v) => checked((ushort)v)),
            "UINT32" => Pack(tensor, type, shape, count, contents.UintContents, static (uint v) => v),
            "UINT64" => Pack(tensor, type, shape, count, contents.Uint64Contents, static (ulong v) => v),
            "INT8" => Pack(tensor, type, shape, count, contents.IntContents, static (int v) => checked((sbyte)v)),
            "INT16" => Pack(tensor, type, shape, count, contents.IntContents, static (int v) => checked((short)v)),
            "INT32" => Pack(tensor, type, shape, count, contents.IntContents, static (int v) => v),
            "INT64" => Pack(tensor, type, shape, count, contents.Int64Contents, static (long v) => v),
            "FP32" => Pack(tensor, type, shape, count, contents.Fp32Contents, static (float v) => v),
            "FP64" => Pack(tensor, type, shape, count, contents.Fp64Contents, static (double v) => v),
            "BYTES" => TypedBytes(tensor.Name, shape, count, contents, what),
            _ => throw ServeException.Invalid($"{what} is {type.Name}, which has no typed contents field in the v2 protocol; send it in raw_input_contents"),
        };
    }

    private static HostTensor Pack<TWire, TElement>(ModelInferRequest.Types.InferInputTensor tensor, TensorDataType type, long[] shape, long count,
        IReadOnlyList<TWire> values, Func<TWire, TElement> convert) where TElement : unmanaged
    {
        string what = $"input '{Text.Clip(tensor.Name)}'";
        CheckCount(what, count, values.Count, FieldName(type), tensor.Contents);
        var buffer = PooledBuffer.Rent(count * type.ElementSize);
        try
        {
            var span = MemoryMarshal.Cast<byte, TElement>(buffer.Span);
            for (int i = 0; i < values.Count; i++)
                span[i] = convert(values[i]);
            return HostTensor.Fixed(tensor.Name, type, shape, buffer.Memory, buffer);
        }
        catch (OverflowException)
        {
            buffer.Dispose();
            throw ServeException.Invalid($"{what} holds a value outside the range of {type.Name}");
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static HostTensor TypedBytes(string name, long[] shape, long count, InferTensorContents contents, string what)
    {
        CheckCount(what, count, contents.BytesContents.Count, "bytes_contents", contents);
        return HostTensor.Strings(name, shape, contents.BytesContents.Select(b => b.Memory).ToArray());
    }

    private static void CheckCount(string what, long count, int given, string field, InferTensorContents? contents)
    {
        if (given == count)
            return;
        string hint = given == 0 && contents is not null && Typed(contents) > 0 ? " (the contents set are of another type)" : "";
        throw ServeException.Invalid($"{what} has shape of {count} element(s) but contents.{field} holds {given}{hint}; set contents.{field} or raw_input_contents");
    }

    private static string FieldName(TensorDataType type) => type.Name switch
    {
        "BOOL" => "bool_contents",
        "UINT8" or "UINT16" or "UINT32" => "uint_contents",
        "UINT64" => "uint64_contents",
        "INT8" or "INT16" or "INT32" => "int_contents",
        "INT64" => "int64_contents",
        "FP32" => "fp32_contents",
        "FP64" => "fp64_contents",
        _ => "bytes_contents",
    };

    private static int Typed(InferTensorContents c) =>
        c.BoolContents.Count + c.IntContents.Count + c.Int64Contents.Count + c.UintContents.Count + c.Uint64Contents.Count
        + c.Fp32Contents.Count + c.Fp64Contents.Count + c.BytesContents.Count;

    public static ModelInferResponse WriteResponse(InferResult result, string id)
    {
        var response = new ModelInferResponse { ModelName = result.Model, ModelVersion = result.Version, Id = id };
        foreach (var t in result.Outputs)
        {
            var tensor = new ModelInferResponse.Types.InferOutputTensor { Name = t.Name, Datatype = t.DataType.Name };
            tensor.Shape.AddRange(t.Shape);
            response.Outputs.Add(tensor);
            response.RawOutputContents.Add(t.DataType.IsBytes ? UnsafeByteOperations.UnsafeWrap(RawBytes.Join(t.Elements!)) : ByteString.CopyFrom(t.Data.Span));
        }
        return response;
    }
}

/// <summary>The raw form of a BYTES tensor: each element a 4-byte little-endian length, then its bytes.</summary>
public static class RawBytes
{
    public static ReadOnlyMemory<byte>[] Split(ReadOnlyMemory<byte> all, string what)
    {
        var elements = new List<ReadOnlyMemory<byte>>();
        int at = 0;
        var span = all.Span;
        while (at < all.Length)
        {
            if (all.Length - at < 4)
                throw ServeException.Invalid($"raw BYTES {what} ends inside an element's 4-byte length");
            int n = BinaryPrimitives.ReadInt32LittleEndian(span.Slice(at, 4));
            if (n < 0 || n > all.Length - at - 4)
                throw ServeException.Invalid($"raw BYTES {what} has element {elements.Count} of {n} bytes, past the end of the data");
            elements.Add(all.Slice(at + 4, n));
            at += 4 + n;
        }
        return [.. elements];
    }

    public static byte[] Join(IReadOnlyList<ReadOnlyMemory<byte>> elements)
    {
        var bytes = new byte[elements.Sum(e => 4L + e.Length)];
        int at = 0;
        foreach (var e in elements)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at, 4), e.Length);
            e.Span.CopyTo(bytes.AsSpan(at + 4));
            at += 4 + e.Length;
        }
        return bytes;
    }
}
