using Edge.Serve.Client;
using Edge.Protocol.V2;
using Google.Protobuf;
using Grpc.Core;
using Xunit;

namespace Edge.Serve.Tests.Services;

[Collection(ServerCollection.Name)]
public sealed class InferenceServiceTests(ServerFixture fx)
{
    private GRPCInferenceService.GRPCInferenceServiceClient V2 => fx.Client.Inference;

    [Fact]
    public async Task Health_and_metadata_follow_the_v2_protocol()
    {
        Assert.True((await V2.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.True((await V2.ServerReadyAsync(new ServerReadyRequest())).Ready);
        Assert.True((await V2.ModelReadyAsync(new ModelReadyRequest { Name = "fmnist" })).Ready);
        Assert.True((await V2.ModelReadyAsync(new ModelReadyRequest { Name = "fmnist", Version = "1" })).Ready);
        Assert.False((await V2.ModelReadyAsync(new ModelReadyRequest { Name = "fmnist", Version = "7" })).Ready);
        Assert.False((await V2.ModelReadyAsync(new ModelReadyRequest { Name = "nope" })).Ready);

        var server = await V2.ServerMetadataAsync(new ServerMetadataRequest());
        Assert.Equal("edge", server.Name);

        var meta = await V2.ModelMetadataAsync(new ModelMetadataRequest { Name = "fmnist" });
        Assert.Equal("fmnist", meta.Name);
        Assert.Equal(["1"], meta.Versions);
        Assert.Equal("onnxruntime_onnx", meta.Platform);
        Assert.Equal("input", meta.Inputs[0].Name);
        Assert.Equal("FP32", meta.Inputs[0].Datatype);
        Assert.Equal([-1L, 1, 32, 32], meta.Inputs[0].Shape);
        Assert.Equal("logits", meta.Outputs[0].Name);
        Assert.Equal([-1L, 10], meta.Outputs[0].Shape);
    }

    [Fact]
    public async Task ModelInfer_raw_and_typed_match_in_process_onnx_runtime()
    {
        var images = ServeTestKit.FashionImages.Take(4).ToArray();
        float[] input = images.SelectMany(i => fx.Preprocessor.Run(i.Image)).ToArray();
        float[] expected = fx.Reference.Run(input, 4);

        float[] raw = await fx.Client.InferAsync("fmnist", input, [4, 1, 32, 32]);
        AssertClose(expected, raw);

        var typed = new ModelInferRequest { ModelName = "fmnist", ModelVersion = "1", Id = "req-7" };
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Contents = new InferTensorContents() };
        tensor.Shape.AddRange([4, 1, 32, 32]);
        tensor.Contents.Fp32Contents.AddRange(input);
        typed.Inputs.Add(tensor);
        typed.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "logits" });
        var response = await V2.ModelInferAsync(typed);
        Assert.Equal("req-7", response.Id);
        Assert.Equal("1", response.ModelVersion);
        // Answers are raw, typed request or not, as Triton's are (its client reads numeric outputs only from there).
        Assert.Single(response.RawOutputContents);
        Assert.Equal([4L, 10], response.Outputs[0].Shape);
        AssertClose(expected, EdgeClient.ReadLogits(response));
    }

    [Fact]
    public async Task ModelInfer_takes_encoded_images_as_BYTES()
    {
        var images = ServeTestKit.FashionImages.Skip(4).Take(3).ToArray();
        var request = new ModelInferRequest { ModelName = "fmnist" };
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "BYTES", Contents = new InferTensorContents() };
        tensor.Shape.Add(3);
        tensor.Contents.BytesContents.AddRange(images.Select(i => ByteString.CopyFrom(i.Png)));
        request.Inputs.Add(tensor);
        var logits = EdgeClient.ReadLogits(await V2.ModelInferAsync(request));
        for (int i = 0; i < 3; i++)
            AssertClose(fx.ReferenceLogits(images[i].Image), logits.AsSpan(i * 10, 10).ToArray());
    }

    [Theory]
    [InlineData("FP64", new long[] { 1, 1, 16, 32 }, "input 'input' of model fmnist is FP32 (preprocessed) or BYTES (encoded images), not FP64")]
    [InlineData("FP32", new long[] { 1, 4, 16, 16 }, "takes shape [-1, 1, 32, 32] (−1: any size), got [1, 4, 16, 16]")]
    [InlineData("FP32", new long[] { 1, 1, 16, 64 }, "got [1, 1, 16, 64]")]
    [InlineData("FP32", new long[] { 2, 1, 32, 32 }, "needs 8192 bytes of FP32 data (2048 elements), got 4096")]
    [InlineData("INT4", new long[] { 1, 1, 32, 32 }, "datatype 'INT4', which is not a v2 datatype")]
    public async Task Wrong_datatype_or_shape_is_INVALID_ARGUMENT_naming_the_problem(string datatype, long[] shape, string expected)
    {
        var request = EdgeClient.CreateInferRequest("fmnist", new float[1024], shape);
        request.Inputs[0].Datatype = datatype;
        var e = await Assert.ThrowsAsync<RpcException>(() => V2.ModelInferAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(expected, e.Status.Detail);
    }

    [Fact]
    public async Task Unknown_model_or_version_is_NOT_FOUND_and_names_cannot_escape_the_repository()
    {
        foreach (var (model, version) in new[] { ("nope", ""), ("fmnist", "9"), ("fmnist", "x"), ("../fmnist", ""), ("fmnist/../../etc", ""), ("/etc/passwd", "") })
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => fx.Client.InferAsync(model, new float[1024], [1, 1, 32, 32], version));
            Assert.Equal(StatusCode.NotFound, e.StatusCode);
        }
        var meta = await Assert.ThrowsAsync<RpcException>(() => V2.ModelMetadataAsync(new ModelMetadataRequest { Name = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, meta.StatusCode);
        Assert.Contains("serving: all_types, fixed_double, fmnist, fp16_add_sub, half_types, simple", meta.Status.Detail);
    }

    [Fact]
    public async Task Oversized_message_is_RESOURCE_EXHAUSTED_and_the_server_keeps_serving()
    {
        var big = new float[300 * 1024]; // 1.2 MB, over the fixture's 1 MiB limit
        var e = await Assert.ThrowsAsync<RpcException>(() => fx.Client.InferAsync("fmnist", big, [300, 1, 32, 32]));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Equal(10, (await fx.Client.InferAsync("fmnist", new float[1024], [1, 1, 32, 32])).Length);
    }

    [Fact]
    public async Task An_expired_deadline_is_DEADLINE_EXCEEDED()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => fx.Client.InferAsync("fmnist", new float[1024 * 8], [8, 1, 32, 32], timeout: TimeSpan.FromMilliseconds(1)));
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.Equal(10, (await fx.Client.InferAsync("fmnist", new float[1024], [1, 1, 32, 32])).Length);
    }

    internal static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-3f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"element {i}: {expected[i]} vs {actual[i]}");
    }
}
