using System.Text;
using Edge.Serve.Protocol.Triton;
using Google.Protobuf;
using Grpc.Core;
using Xunit;
using static Edge.Serve.Tests.TritonRequests;

namespace Edge.Serve.Tests.Services;

/// <summary>
/// Plain tensor models (folders without an Edge manifest) over gRPC: every v2 datatype typed and raw, several inputs
/// and outputs, FP16 end to end, models without a batch dimension, and the errors a Triton client expects.
/// Expected values are computed here by hand (identity, sums, Half arithmetic), never read from the server.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class TensorModelTests(ServerFixture fx)
{
    private GRPCInferenceService.GRPCInferenceServiceClient T => fx.Triton;

    /// <summary>Six little-endian elements [2, 3] of each datatype, chosen to hit each type's range ends.</summary>
    private static byte[] Sample(string type) => type switch
    {
        "BOOL" => [1, 0, 1, 1, 0, 0],
        "UINT8" => [0, 1, 2, 127, 128, 255],
        "UINT16" => Bytes<ushort>([0, 1, 300, 32768, 65534, 65535]),
        "UINT32" => Bytes<uint>([0, 1, 70000, 2147483648, 4294967294, uint.MaxValue]),
        "UINT64" => Bytes<ulong>([0, 1, 1UL << 40, 1UL << 63, ulong.MaxValue - 1, ulong.MaxValue]),
        "INT8" => Bytes<sbyte>([-128, -1, 0, 1, 100, 127]),
        "INT16" => Bytes<short>([short.MinValue, -300, 0, 1, 300, short.MaxValue]),
        "INT32" => Bytes<int>([int.MinValue, -70000, 0, 1, 70000, int.MaxValue]),
        "INT64" => Bytes<long>([long.MinValue, -(1L << 40), 0, 1, 1L << 40, long.MaxValue]),
        "FP16" => Bytes<Half>([(Half)(-65504f), (Half)(-0.5f), Half.Epsilon, (Half)0.333f, (Half)1024.5f, Half.PositiveInfinity]),
        "BF16" => Bytes<ushort>([0x3F80, 0xBF80, 0x4049, 0x0001, 0x7F7F, 0xC2F7]),
        "FP32" => Bytes<float>([float.MinValue, -1.5f, 0f, 1e-30f, 3.25f, float.MaxValue]),
        "FP64" => Bytes<double>([double.MinValue, -1.5, 0, 1e-300, Math.PI, double.MaxValue]),
        _ => throw new ArgumentException(type),
    };

    private static readonly byte[][] Strings6 = [Encoding.UTF8.GetBytes("a"), [], Encoding.UTF8.GetBytes("ünïcode"), [0, 1, 2], Encoding.UTF8.GetBytes("0"), Encoding.UTF8.GetBytes(new string('x', 300))];

    private static byte[] Bytes<TValue>(TValue[] v) where TValue : unmanaged => System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()).ToArray();

    [Fact]
    public async Task Every_datatype_round_trips_raw_bit_for_bit()
    {
        foreach (var (model, types) in new[] { ("all_types", TensorModels.TypedTypes), ("half_types", TensorModels.HalfTypes) })
        {
            var request = new ModelInferRequest { ModelName = model };
            foreach (var (v2, _) in types)
            {
                request.Inputs.Add(Input($"IN_{v2}", v2, 2, 3));
                // Text only: ONNX Runtime's .NET API carries strings as UTF-8 text.
                request.RawInputContents.Add(v2 == "BYTES" ? RawStrings(Strings6.Where((_, i) => i != 3).Append(Encoding.UTF8.GetBytes("x\ty"))) : ByteString.CopyFrom(Sample(v2)));
            }
            var response = await T.ModelInferAsync(request);
            Assert.Equal(types.Length, response.Outputs.Count);
            for (int i = 0; i < types.Length; i++)
            {
                string v2 = types[i].V2;
                var output = response.Outputs.Single(o => o.Name == $"OUT_{v2}");
                Assert.Equal(v2, output.Datatype);
                Assert.Equal([2L, 3], output.Shape);
                int index = response.Outputs.IndexOf(output);
                Assert.True(request.RawInputContents[i].Span.SequenceEqual(response.RawOutputContents[index].Span), $"{v2} changed on its way through the server");
            }
        }
    }

    [Fact]
    public async Task Every_datatype_with_a_typed_field_round_trips_typed()
    {
        var request = new ModelInferRequest { ModelName = "all_types" };
        foreach (var (v2, _) in TensorModels.TypedTypes)
        {
            var t = Input($"IN_{v2}", v2, 2, 3);
            t.Contents = new InferTensorContents();
            var raw = v2 == "BYTES" ? null : Sample(v2);
            switch (v2)
            {
                case "BOOL": t.Contents.BoolContents.AddRange(raw!.Select(b => b != 0)); break;
                case "UINT8": t.Contents.UintContents.AddRange(raw!.Select(b => (uint)b)); break;
                case "UINT16": t.Contents.UintContents.AddRange(Cast<ushort>(raw!).Select(x => (uint)x)); break;
                case "UINT32": t.Contents.UintContents.AddRange(Cast<uint>(raw!)); break;
                case "UINT64": t.Contents.Uint64Contents.AddRange(Cast<ulong>(raw!)); break;
                case "INT8": t.Contents.IntContents.AddRange(Cast<sbyte>(raw!).Select(x => (int)x)); break;
                case "INT16": t.Contents.IntContents.AddRange(Cast<short>(raw!).Select(x => (int)x)); break;
                case "INT32": t.Contents.IntContents.AddRange(Cast<int>(raw!)); break;
                case "INT64": t.Contents.Int64Contents.AddRange(Cast<long>(raw!)); break;
                case "FP32": t.Contents.Fp32Contents.AddRange(Cast<float>(raw!)); break;
                case "FP64": t.Contents.Fp64Contents.AddRange(Cast<double>(raw!)); break;
                case "BYTES": t.Contents.BytesContents.AddRange(Strings6.Where((_, i) => i != 3).Append([0x41]).Select(ByteString.CopyFrom)); break;
            }
            request.Inputs.Add(t);
        }
        var response = await T.ModelInferAsync(request);
        foreach (var (v2, _) in TensorModels.TypedTypes)
        {
            if (v2 == "BYTES")
                Assert.Equal(["a", "", "ünïcode", "0", new string('x', 300), "A"], TritonRequests.Strings(response, "OUT_BYTES"));
            else
                Assert.True(Sample(v2).AsSpan().SequenceEqual(Output<byte>(response, $"OUT_{v2}")), $"{v2} typed contents did not come back as sent");
        }
    }

    private static TValue[] Cast<TValue>(byte[] raw) where TValue : unmanaged => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, TValue>(raw).ToArray();

    [Fact]
    public async Task Several_inputs_and_outputs_answer_sum_and_difference_and_only_the_outputs_asked_for()
    {
        int[] a = [.. Enumerable.Range(0, 32)];
        int[] b = [.. Enumerable.Range(0, 32).Select(i => 100 - 7 * i)];
        var both = await T.ModelInferAsync(Simple(a, b, batch: 2));
        Assert.Equal(a.Zip(b, (x, y) => x + y), Output<int>(both, "OUTPUT0"));
        Assert.Equal(a.Zip(b, (x, y) => x - y), Output<int>(both, "OUTPUT1"));
        Assert.Equal([2L, 16], both.Outputs[0].Shape);

        var request = Simple(a, b, batch: 2);
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "OUTPUT1" });
        var one = await T.ModelInferAsync(request);
        Assert.Equal("OUTPUT1", Assert.Single(one.Outputs).Name);
        Assert.Equal(a.Zip(b, (x, y) => x - y), Output<int>(one, "OUTPUT1"));
    }

    [Fact]
    public async Task An_FP16_model_takes_and_answers_FP16_computed_in_half_precision()
    {
        Half[] a = [(Half)0.1f, (Half)1000f, (Half)(-2.5f), (Half)65000f];
        Half[] b = [(Half)0.2f, (Half)0.4f, (Half)2.5f, (Half)1000f];
        var request = new ModelInferRequest { ModelName = "fp16_add_sub" };
        request.Inputs.Add(Input("INPUT0", "FP16", 1, 4));
        request.Inputs.Add(Input("INPUT1", "FP16", 1, 4));
        request.RawInputContents.Add(Raw<Half>(a));
        request.RawInputContents.Add(Raw<Half>(b));
        var response = await T.ModelInferAsync(request);
        Assert.Equal("FP16", response.Outputs[0].Datatype);
        // IEEE half addition: the exact sum rounded to half (65000 + 1000 overflows to +inf).
        Assert.Equal(a.Zip(b, (x, y) => (Half)((float)x + (float)y)), Output<Half>(response, "OUTPUT0"));
        Assert.Equal(a.Zip(b, (x, y) => (Half)((float)x - (float)y)), Output<Half>(response, "OUTPUT1"));
        Assert.True(Half.IsPositiveInfinity(Output<Half>(response, "OUTPUT0")[3]));

        // FP32 data for an FP16 model is the client's error, not a silent conversion.
        var wrong = new ModelInferRequest { ModelName = "fp16_add_sub" };
        wrong.Inputs.Add(Input("INPUT0", "FP32", 1, 4));
        wrong.Inputs.Add(Input("INPUT1", "FP32", 1, 4));
        wrong.RawInputContents.Add(Raw<float>([1f, 2f, 3f, 4f]));
        wrong.RawInputContents.Add(Raw<float>([1f, 2f, 3f, 4f]));
        var e = await Assert.ThrowsAsync<RpcException>(() => T.ModelInferAsync(wrong).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("input 'INPUT0' of model fp16_add_sub is FP16", e.Status.Detail);

        var typed = new ModelInferRequest { ModelName = "fp16_add_sub" };
        typed.Inputs.Add(Input("INPUT0", "FP16", 1, 4));
        typed.Inputs[0].Contents = new InferTensorContents { Fp32Contents = { 1f, 2f, 3f, 4f } };
        e = await Assert.ThrowsAsync<RpcException>(() => T.ModelInferAsync(typed).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("FP16, which has no typed contents field", e.Status.Detail);
    }

    [Fact]
    public async Task A_model_without_a_batch_dimension_takes_exactly_its_declared_shape()
    {
        var request = new ModelInferRequest { ModelName = "fixed_double" };
        request.Inputs.Add(Input("X", "FP32", 2, 3));
        request.RawInputContents.Add(Raw<float>([1, 2, 3, 4, 5, 6]));
        var response = await T.ModelInferAsync(request);
        Assert.Equal([2f, 4, 6, 8, 10, 12], Output<float>(response, "Y"));

        var wrong = new ModelInferRequest { ModelName = "fixed_double" };
        wrong.Inputs.Add(Input("X", "FP32", 1, 6));
        wrong.RawInputContents.Add(Raw<float>([1, 2, 3, 4, 5, 6]));
        var e = await Assert.ThrowsAsync<RpcException>(() => T.ModelInferAsync(wrong).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("takes shape [2, 3]", e.Status.Detail);
    }

    [Theory]
    [InlineData("missing", "needs input(s) INPUT1")]
    [InlineData("unknown", "has no input 'INPUT9'")]
    [InlineData("batch", "inputs disagree on the batch size")]
    [InlineData("bytes", "needs 64 bytes of INT32 data (16 elements), got 60")]
    [InlineData("range", "holds a value outside the range of INT8")]
    [InlineData("overflow", "more elements than a tensor can hold")]
    [InlineData("negative", "has a negative dimension")]
    [InlineData("mixed", "sets both contents and raw_input_contents")]
    [InlineData("raw count", "raw_input_contents has 1 entries for 2 input(s)")]
    [InlineData("output", "has no output 'OUTPUT7'")]
    public async Task Bad_tensor_requests_are_INVALID_ARGUMENT_naming_the_problem(string fault, string expected)
    {
        int[] x = [.. Enumerable.Range(0, 16)];
        var r = Simple(x, x);
        switch (fault)
        {
            case "missing":
                r.Inputs.RemoveAt(1);
                r.RawInputContents.RemoveAt(1);
                break;
            case "unknown":
                r.Inputs[1].Name = "INPUT9";
                break;
            case "batch":
                r = Simple(x, [.. x, .. x], batch: 1);
                r.Inputs[1].Shape[0] = 2;
                r.Inputs[1].Shape[1] = 16;
                break;
            case "bytes":
                r.RawInputContents[0] = ByteString.CopyFrom(r.RawInputContents[0].Span[..60]);
                break;
            case "range":
                r = new ModelInferRequest { ModelName = "all_types" };
                r.Inputs.Add(Input("IN_INT8", "INT8", 1, 3));
                r.Inputs[0].Contents = new InferTensorContents { IntContents = { 1, 2, 300 } };
                break;
            case "overflow":
                r.Inputs[0].Shape[0] = long.MaxValue / 2;
                r.Inputs[0].Shape[1] = 16;
                break;
            case "negative":
                r.Inputs[0].Shape[0] = -1;
                break;
            case "mixed":
                r.Inputs[0].Contents = new InferTensorContents { IntContents = { x } };
                break;
            case "raw count":
                r.RawInputContents.RemoveAt(1);
                break;
            case "output":
                r.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "OUTPUT7" });
                break;
        }
        var e = await Assert.ThrowsAsync<RpcException>(() => T.ModelInferAsync(r).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(expected, e.Status.Detail);
    }
}
