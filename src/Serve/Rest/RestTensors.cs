using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Edge.Serve.Inference;
using Edge.Serve.Services;
using Edge.Serve.Tensors;

namespace Edge.Serve.Rest;

/// <summary>A decoded REST inference request: what the engine runs, plus how the answer is to be written.</summary>
public sealed record RestInferRequest(InferRequest Request, string? Id, bool BinaryOutputByDefault, IReadOnlyDictionary<string, bool> BinaryOutputs);

/// <summary>
/// The KServe v2 REST inference JSON with Triton's binary tensor data extension, both ways. A request body is a JSON
/// header, optionally followed (its length in <c>Inference-Header-Content-Length</c>) by the raw data of every input
/// whose <c>parameters.binary_data_size</c> is set, in input order. <c>data</c> may be flat or nested to the shape.
/// An answer carries outputs as JSON <c>data</c>, or as binary after the JSON for outputs asked with
/// <c>parameters.binary_data</c> (or all of them with the request's <c>binary_data_output</c>).
/// </summary>
public static class RestTensors
{
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";

    public static RestInferRequest Read(string model, string? version, ReadOnlyMemory<byte> body, int? headerLength)
    {
        if (headerLength is { } h && (h < 0 || h > body.Length))
            throw ServeException.Invalid($"{HeaderLengthHeader} is {h}, but the body has {body.Length} bytes");
        var header = body[..(headerLength ?? body.Length)];
        var binary = body[(headerLength ?? body.Length)..];
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw ServeException.Invalid($"the inference request is not valid JSON{(headerLength is null && LooksBinary(header.Span) ? $" (binary tensor data needs the {HeaderLengthHeader} header)" : "")}: {Text.Clip(e.Message, 160)}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw ServeException.Invalid("the inference request must be a JSON object with \"inputs\"");
            string? id = root.TryGetProperty("id", out var idElement) ? idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : throw ServeException.Invalid("\"id\" must be a string") : null;
            bool binaryDefault = root.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object
                && parameters.TryGetProperty("binary_data_output", out var bdo) && Bool(bdo, "parameters.binary_data_output");
            if (!root.TryGetProperty("inputs", out var inputsElement) || inputsElement.ValueKind != JsonValueKind.Array)
                throw ServeException.Invalid("the inference request needs \"inputs\": an array of {name, shape, datatype, data}");

            var inputs = new List<HostTensor>();
            int at = 0;
            try
            {
                foreach (var input in inputsElement.EnumerateArray())
                    inputs.Add(ReadInput(input, binary, ref at));
                if (at != binary.Length)
                    throw ServeException.Invalid($"the body has {binary.Length - at} byte(s) of binary data that no input's binary_data_size accounts for");
            }
            catch
            {
                foreach (var t in inputs)
                    t.Dispose();
                throw;
            }

            var outputs = new List<RequestedOutput>();
            var binaryOutputs = new Dictionary<string, bool>(StringComparer.Ordinal);
            if (root.TryGetProperty("outputs", out var outputsElement))
            {
                if (outputsElement.ValueKind != JsonValueKind.Array)
                    throw ServeException.Invalid("\"outputs\" must be an array of {name, parameters}");
                foreach (var o in outputsElement.EnumerateArray())
                {
                    string name = String(o, "name", "output");
                    int classes = 0;
                    if (o.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object)
                    {
                        if (p.TryGetProperty("classification", out var c))
                            classes = c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out int k) && k > 0 ? k
                                : throw ServeException.Invalid($"output '{Text.Clip(name)}': parameters.classification must be a positive integer");
                        if (p.TryGetProperty("binary_data", out var b))
                            binaryOutputs[name] = Bool(b, $"output '{Text.Clip(name)}' parameters.binary_data");
                    }
                    outputs.Add(new RequestedOutput(name, classes));
                }
            }
            return new RestInferRequest(new InferRequest(model, version, inputs, outputs), id, binaryDefault, binaryOutputs);
        }
    }

    private static bool LooksBinary(ReadOnlySpan<byte> bytes) => bytes.IndexOfAnyInRange((byte)0, (byte)8) >= 0;

    private static HostTensor ReadInput(JsonElement input, ReadOnlyMemory<byte> binary, ref int at)
    {
        if (input.ValueKind != JsonValueKind.Object)
            throw ServeException.Invalid("each input must be an object {name, shape, datatype, data}");
        string name = String(input, "name", "input");
        string what = $"input '{Text.Clip(name)}'";
        var type = TensorDataTypes.Parse(String(input, "datatype", what), what);
        if (!input.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw ServeException.Invalid($"{what} needs \"shape\": an array of dimensions");
        long[] shape = shapeElement.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out long v) ? v
            : throw ServeException.Invalid($"{what}: shape holds '{Text.Clip(d.GetRawText())}', not an integer")).ToArray();
        long count = HostTensor.ElementCountOf(shape);

        if (input.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("binary_data_size", out var size))
        {
            if (size.ValueKind != JsonValueKind.Number || !size.TryGetInt64(out long n) || n < 0)
                throw ServeException.Invalid($"{what}: parameters.binary_data_size must be a byte count");
            if (input.TryGetProperty("data", out _))
                throw ServeException.Invalid($"{what} has both \"data\" and binary_data_size; use one");
            if (n > binary.Length - at)
                throw ServeException.Invalid($"{what} has binary_data_size {n}, but only {binary.Length - at} byte(s) of binary data are left after the JSON header");
            var bytes = binary.Slice(at, (int)n);
            at += (int)n;
            return type.IsBytes ? HostTensor.Strings(name, shape, RawBytes.Split(bytes, what)) : HostTensor.Fixed(name, type, shape, bytes);
        }
        if (!input.TryGetProperty("data", out var data))
            throw ServeException.Invalid($"{what} has no \"data\" (or binary data with parameters.binary_data_size)");
        var values = new List<JsonElement>((int)Math.Min(count, 4096));
        Flatten(data, values, what, 0);
        if (values.Count != count)
            throw ServeException.Invalid($"{what} has shape {Text.Shape(shape)} ({count} elements) but \"data\" holds {values.Count}");
        if (type.IsBytes)
            return HostTensor.Strings(name, shape, values.Select(v => v.ValueKind == JsonValueKind.String ? (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(v.GetString()!)
                : throw ServeException.Invalid($"{what} is BYTES: its data are strings, got {Text.Clip(v.GetRawText())}")).ToArray());
        var buffer = PooledBuffer.Rent(count * type.ElementSize);
        try
        {
            var span = buffer.Span;
            for (int i = 0; i < values.Count; i++)
                WriteElement(type, values[i], span, i, what);
            return HostTensor.Fixed(name, type, shape, buffer.Memory, buffer);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static void Flatten(JsonElement e, List<JsonElement> into, string what, int depth)
    {
        if (e.ValueKind != JsonValueKind.Array)
        {
            into.Add(e);
            return;
        }
        if (depth > 32)
            throw ServeException.Invalid($"{what}: data nests deeper than 32 levels");
        foreach (var item in e.EnumerateArray())
            Flatten(item, into, what, depth + 1);
    }

    private static void WriteElement(TensorDataType type, JsonElement v, Span<byte> span, int i, string what)
    {
        bool ok = type.Name switch
        {
            "BOOL" => v.ValueKind is JsonValueKind.True or JsonValueKind.False && Put(span, i, (byte)(v.GetBoolean() ? 1 : 0)),
            "UINT8" => v.TryGetByte(out byte u8) && Put(span, i, u8),
            "UINT16" => v.TryGetUInt16(out ushort u16) && Put(span, i, u16),
            "UINT32" => v.TryGetUInt32(out uint u32) && Put(span, i, u32),
            "UINT64" => v.TryGetUInt64(out ulong u64) && Put(span, i, u64),
            "INT8" => v.TryGetSByte(out sbyte i8) && Put(span, i, i8),
            "INT16" => v.TryGetInt16(out short i16) && Put(span, i, i16),
            "INT32" => v.TryGetInt32(out int i32) && Put(span, i, i32),
            "INT64" => v.TryGetInt64(out long i64) && Put(span, i, i64),
            "FP16" => TryDouble(v, out double h) && Put(span, i, (Half)h),
            "BF16" => TryDouble(v, out double b) && Put(span, i, BFloat16.FromSingle((float)b)),
            "FP32" => TryDouble(v, out double f) && Put(span, i, (float)f),
            "FP64" => TryDouble(v, out double d) && Put(span, i, d),
            _ => false,
        };
        if (!ok)
            throw ServeException.Invalid($"{what} is {type.Name}, but element {i} is {Text.Clip(v.GetRawText())}");
    }

    private static bool TryDouble(JsonElement v, out double d)
    {
        if (v.ValueKind == JsonValueKind.Number)
            return v.TryGetDouble(out d);
        // Non-finite values have no JSON number form; accept the strings Triton and numpy write for them.
        d = v.ValueKind == JsonValueKind.String ? v.GetString() switch { "NaN" or "nan" => double.NaN, "Infinity" or "inf" => double.PositiveInfinity, "-Infinity" or "-inf" => double.NegativeInfinity, _ => 0 } : 0;
        return v.ValueKind == JsonValueKind.String && (double.IsNaN(d) || double.IsInfinity(d));
    }

    private static bool Put<T>(Span<byte> span, int i, T value) where T : unmanaged
    {
        MemoryMarshal.Cast<byte, T>(span)[i] = value;
        return true;
    }

    private static string String(JsonElement e, string property, string what) =>
        e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
        : throw ServeException.Invalid($"{what} needs \"{property}\" as a string");

    private static bool Bool(JsonElement e, string what) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw ServeException.Invalid($"{what} must be true or false"),
    };

    /// <summary>Writes the answer; returns the JSON header's length when binary data follows it (else null).</summary>
    public static int? Write(IBufferWriter<byte> body, InferResult result, RestInferRequest request)
    {
        var binary = result.Outputs.Select(o => request.BinaryOutputs.TryGetValue(o.Name, out bool b) ? b : request.BinaryOutputByDefault).ToArray();
        var counting = new CountingWriter(body);
        using (var w = new Utf8JsonWriter(counting, RestResults.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("model_name", result.Model);
            w.WriteString("model_version", result.Version);
            if (request.Id is { } id)
                w.WriteString("id", id);
            w.WriteStartArray("outputs");
            for (int i = 0; i < result.Outputs.Count; i++)
            {
                var t = result.Outputs[i];
                w.WriteStartObject();
                w.WriteString("name", t.Name);
                w.WriteString("datatype", t.DataType.Name);
                w.WriteStartArray("shape");
                foreach (long d in t.Shape)
                    w.WriteNumberValue(d);
                w.WriteEndArray();
                if (binary[i])
                {
                    w.WriteStartObject("parameters");
                    w.WriteNumber("binary_data_size", t.RawByteSize);
                    w.WriteEndObject();
                }
                else
                {
                    w.WritePropertyName("data");
                    WriteData(w, t);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        if (!binary.Any(b => b))
            return null;
        int headerLength = counting.Written;
        for (int i = 0; i < result.Outputs.Count; i++)
        {
            if (!binary[i])
                continue;
            var t = result.Outputs[i];
            if (t.Elements is { } e)
                body.Write(RawBytes.Join(e));
            else
                body.Write(t.Data.Span);
        }
        return headerLength;
    }

    private static void WriteData(Utf8JsonWriter w, HostTensor t)
    {
        w.WriteStartArray();
        var d = t.DataType;
        if (t.Elements is { } elements)
            foreach (var e in elements)
                w.WriteStringValue(Encoding.UTF8.GetString(e.Span));
        else if (d == TensorDataTypes.Bool)
            foreach (byte b in t.As<byte>()) w.WriteBooleanValue(b != 0);
        else if (d == TensorDataTypes.Fp32)
            foreach (float f in t.As<float>()) Number(w, f);
        else if (d == TensorDataTypes.Fp64)
            foreach (double x in t.As<double>()) Number(w, x);
        else if (d == TensorDataTypes.Fp16)
            foreach (Half h in t.As<Half>()) Number(w, (float)h);
        else if (d == TensorDataTypes.Bf16)
            foreach (ushort b in t.As<ushort>()) Number(w, BFloat16.ToSingle(b));
        else if (d == TensorDataTypes.UInt64)
            foreach (ulong u in t.As<ulong>()) w.WriteNumberValue(u);
        else if (d == TensorDataTypes.Int64)
            foreach (long l in t.As<long>()) w.WriteNumberValue(l);
        else
            foreach (double x in TensorValues.ToDoubles(t)) w.WriteNumberValue((long)x);
        w.WriteEndArray();
    }

    private static void Number(Utf8JsonWriter w, float f)
    {
        if (float.IsFinite(f)) w.WriteNumberValue(f);
        else w.WriteStringValue(float.IsNaN(f) ? "NaN" : f > 0 ? "Infinity" : "-Infinity");
    }

    private static void Number(Utf8JsonWriter w, double x)
    {
        if (double.IsFinite(x)) w.WriteNumberValue(x);
        else w.WriteStringValue(double.IsNaN(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity");
    }

    /// <summary>Counts what the JSON writer produced, to know where the binary data starts.</summary>
    private sealed class CountingWriter(IBufferWriter<byte> inner) : IBufferWriter<byte>
    {
        public int Written { get; private set; }

        public void Advance(int count)
        {
            Written += count;
            inner.Advance(count);
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
    }
}
