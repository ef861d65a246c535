using Edge.Core.Manifest;
using Edge.Serve.Protocol.Triton;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Xunit;
using static Edge.Serve.Tests.TritonRequests;

namespace Edge.Serve.Tests.Services;

/// <summary>
/// Triton's extensions over gRPC, one case each: model configuration, statistics, repository index/load/unload,
/// streaming, classification, health per service name, and the settings Edge answers UNIMPLEMENTED.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class TritonExtensionsTests(ServerFixture fx)
{
    private GRPCInferenceService.GRPCInferenceServiceClient T => fx.Triton;

    [Fact]
    public async Task Model_configuration_describes_the_onnx_model_and_the_server_policy()
    {
        var simple = (await T.ModelConfigAsync(new ModelConfigRequest { Name = "simple" })).Config;
        Assert.Equal("simple", simple.Name);
        Assert.Equal("onnxruntime_onnx", simple.Platform);
        Assert.Equal(8, simple.MaxBatchSize); // the fixture's --max-batch
        Assert.Equal(["INPUT0", "INPUT1"], simple.Input.Select(i => i.Name));
        Assert.All(simple.Input, i => Assert.Equal(DataType.TypeInt32, i.DataType));
        Assert.All(simple.Input, i => Assert.Equal([16L], i.Dims));
        Assert.Equal(["OUTPUT0", "OUTPUT1"], simple.Output.Select(o => o.Name));
        Assert.Equal(2000UL, simple.DynamicBatching.MaxQueueDelayMicroseconds);
        var group = Assert.Single(simple.InstanceGroup);
        Assert.Equal((ModelInstanceGroup.Types.Kind.Cpu, 1), (group.Kind, group.Count));
        Assert.Equal(1U, simple.VersionPolicy.Latest.NumVersions);

        var fixedModel = (await T.ModelConfigAsync(new ModelConfigRequest { Name = "fixed_double" })).Config;
        Assert.Equal(0, fixedModel.MaxBatchSize);
        Assert.Null(fixedModel.DynamicBatching);
        Assert.Equal([2L, 3], fixedModel.Input[0].Dims);

        var fmnist = (await T.ModelConfigAsync(new ModelConfigRequest { Name = "fmnist", Version = "1" })).Config;
        Assert.Equal(ModelInput.Types.Format.Nchw, fmnist.Input[0].Format);
        Assert.Equal([1L, 32, 32], fmnist.Input[0].Dims);
        Assert.Equal([10L], fmnist.Output[0].Dims);
        var e = await Assert.ThrowsAsync<RpcException>(() => T.ModelConfigAsync(new ModelConfigRequest { Name = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task Statistics_count_successes_failures_samples_and_batches()
    {
        var before = (await T.ModelStatisticsAsync(new ModelStatisticsRequest { Name = "simple", Version = "1" })).ModelStats.Single();
        int[] x = [.. Enumerable.Range(0, 32)];
        for (int i = 0; i < 3; i++)
            await T.ModelInferAsync(Simple(x, x, batch: 2));
        var bad = Simple(x, x, batch: 2);
        bad.Inputs[0].Datatype = "FP32";
        await Assert.ThrowsAsync<RpcException>(() => T.ModelInferAsync(bad).ResponseAsync);
        var after = (await T.ModelStatisticsAsync(new ModelStatisticsRequest { Name = "simple" })).ModelStats.Single();

        Assert.Equal(("simple", "1"), (after.Name, after.Version));
        Assert.Equal(before.InferenceStats.Success.Count + 3, after.InferenceStats.Success.Count);
        Assert.Equal(before.InferenceStats.Fail.Count + 1, after.InferenceStats.Fail.Count);
        Assert.Equal(before.InferenceCount + 6, after.InferenceCount);
        Assert.Equal(before.ExecutionCount + 3, after.ExecutionCount); // one at a time: no two requests shared a run
        Assert.True(after.InferenceStats.ComputeInfer.Ns > before.InferenceStats.ComputeInfer.Ns);
        Assert.True(after.InferenceStats.Queue.Count >= before.InferenceStats.Queue.Count + 3);
        Assert.True(after.LastInference >= (ulong)DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds());
        var two = after.BatchStats.Single(b => b.BatchSize == 2);
        Assert.True(two.ComputeInfer.Count >= 3);

        var all = await T.ModelStatisticsAsync(new ModelStatisticsRequest());
        Assert.Contains(all.ModelStats, s => s.Name == "fmnist");
        Assert.Contains(all.ModelStats, s => s.Name == "all_types");
    }

    [Fact]
    public async Task Repository_index_load_with_an_override_and_unload_control_a_model()
    {
        var index = await T.RepositoryIndexAsync(new RepositoryIndexRequest());
        Assert.Equal(["all_types", "fixed_double", "fmnist", "fp16_add_sub", "half_types", "simple"], index.Models.Select(m => m.Name));
        Assert.All(index.Models, m => Assert.Equal(("1", "READY"), (m.Version, m.State)));
        try
        {
            await T.RepositoryModelUnloadAsync(new RepositoryModelUnloadRequest { ModelName = "fp16_add_sub" });
            Assert.False((await T.ModelReadyAsync(new ModelReadyRequest { Name = "fp16_add_sub" })).Ready);
            var entry = (await T.RepositoryIndexAsync(new RepositoryIndexRequest())).Models.Single(m => m.Name == "fp16_add_sub");
            Assert.Equal(("UNAVAILABLE", "unloaded"), (entry.State, entry.Reason));
            Assert.DoesNotContain((await T.RepositoryIndexAsync(new RepositoryIndexRequest { Ready = true })).Models, m => m.Name == "fp16_add_sub");

            var load = new RepositoryModelLoadRequest { ModelName = "fp16_add_sub" };
            load.Parameters["config"] = new ModelRepositoryParameter { StringParam = "{\"max_batch_size\": \"3\", \"dynamic_batching\": {\"max_queue_delay_microseconds\": 500}}" };
            await T.RepositoryModelLoadAsync(load);
            var config = (await T.ModelConfigAsync(new ModelConfigRequest { Name = "fp16_add_sub" })).Config;
            Assert.Equal((3, 500UL), (config.MaxBatchSize, config.DynamicBatching.MaxQueueDelayMicroseconds));

            var broken = new RepositoryModelLoadRequest { ModelName = "fp16_add_sub" };
            broken.Parameters["config"] = new ModelRepositoryParameter { StringParam = "\"parameters\": {\"config\": {{" };
            var e = await Assert.ThrowsAsync<RpcException>(() => T.RepositoryModelLoadAsync(broken).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.Contains("failed to load 'fp16_add_sub'", e.Status.Detail);
            Assert.True((await T.ModelReadyAsync(new ModelReadyRequest { Name = "fp16_add_sub" })).Ready); // still served

            var unbatchable = new RepositoryModelLoadRequest { ModelName = "fixed_double" };
            unbatchable.Parameters["config"] = new ModelRepositoryParameter { StringParam = "{\"max_batch_size\": 4}" };
            e = await Assert.ThrowsAsync<RpcException>(() => T.RepositoryModelLoadAsync(unbatchable).ResponseAsync);
            Assert.Contains("max_batch_size 4 needs every input and output to have a dynamic first dimension", e.Status.Detail);

            e = await Assert.ThrowsAsync<RpcException>(() => T.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = "wrong_model_name" }).ResponseAsync);
            Assert.Equal(StatusCode.NotFound, e.StatusCode);
            Assert.Contains("failed to load 'wrong_model_name'", e.Status.Detail);
        }
        finally
        {
            await T.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = "fp16_add_sub" });
        }
        Assert.Equal(8, (await T.ModelConfigAsync(new ModelConfigRequest { Name = "fp16_add_sub" })).Config.MaxBatchSize);
    }

    [Fact]
    public async Task A_stream_answers_every_request_in_order_and_carries_errors_in_error_message()
    {
        using var call = T.ModelStreamInfer();
        var reading = Task.Run(async () =>
        {
            var got = new List<ModelStreamInferResponse>();
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
                got.Add(call.ResponseStream.Current);
            return got;
        });
        for (int k = 0; k < 6; k++)
        {
            int[] x = [.. Enumerable.Repeat(k, 16)];
            var r = Simple(x, x);
            r.Id = $"r{k}";
            if (k == 3)
                r.Inputs[1].Datatype = "INT64";
            await call.RequestStream.WriteAsync(r);
        }
        await call.RequestStream.CompleteAsync();
        var answers = await reading;
        Assert.Equal(["r0", "r1", "r2", "r3", "r4", "r5"], answers.Select(a => a.InferResponse.Id));
        for (int k = 0; k < 6; k++)
        {
            if (k == 3)
            {
                Assert.Contains("needs 128 bytes of INT64 data", answers[k].ErrorMessage);
                continue;
            }
            Assert.Equal("", answers[k].ErrorMessage);
            Assert.Equal(Enumerable.Repeat(2 * k, 16), Output<int>(answers[k].InferResponse, "OUTPUT0"));
        }
    }

    [Fact]
    public async Task Classification_answers_score_index_label_for_the_top_classes()
    {
        int[] a = [5, 1, 9, 3, 7, 0, 2, 8, 6, 4, 10, 11, 12, 13, 14, 15];
        var request = Simple(a, new int[16]);
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "OUTPUT0", Parameters = { ["classification"] = new InferParameter { Int64Param = 3 } } });
        var response = await T.ModelInferAsync(request);
        Assert.Equal("BYTES", response.Outputs[0].Datatype);
        Assert.Equal([1L, 3], response.Outputs[0].Shape);
        Assert.Equal(["15:15", "14:14", "13:13"], TritonRequests.Strings(response, "OUTPUT0"));

        // An Edge classifier: probabilities (softmax of the in-process logits) and the manifest's labels.
        var images = ServeTestKit.FashionImages.Take(2).ToArray();
        float[] input = images.SelectMany(i => fx.Preprocessor.Run(i.Image)).ToArray();
        float[] logits = fx.Reference.Run(input, 2);
        var classify = new ModelInferRequest { ModelName = "fmnist" };
        classify.Inputs.Add(Input("input", "FP32", 2, 1, 32, 32));
        classify.RawInputContents.Add(Raw<float>(input));
        classify.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "logits", Parameters = { ["classification"] = new InferParameter { Int64Param = 2 } } });
        var top = TritonRequests.Strings(await T.ModelInferAsync(classify), "logits");
        Assert.Equal(4, top.Length);
        for (int s = 0; s < 2; s++)
        {
            var row = logits.AsSpan(s * 10, 10).ToArray();
            var p = Softmax(row);
            var order = Enumerable.Range(0, 10).OrderByDescending(i => p[i]).Take(2).ToArray();
            for (int j = 0; j < 2; j++)
            {
                var parts = top[s * 2 + j].Split(':');
                Assert.Equal(order[j], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(p[order[j]], double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), 4);
                Assert.Equal(ServeTestKit.Manifest().Labels[order[j]], parts[2]);
            }
        }
    }

    internal static double[] Softmax(float[] row)
    {
        double max = row.Max();
        var e = row.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    [Fact]
    public async Task Health_answers_per_service_name_and_NOT_FOUND_for_unknown_ones()
    {
        using var channel = GrpcChannel.ForAddress(fx.Server.GrpcAddress);
        var health = new Health.HealthClient(channel);
        foreach (var service in new[] { "", "inference.GRPCInferenceService", "edge.serve.v1.ImageClassifier" })
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = service })).Status);
        var e = await Assert.ThrowsAsync<RpcException>(() => health.CheckAsync(new HealthCheckRequest { Service = "no.such.Service" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task Trace_and_log_settings_are_UNIMPLEMENTED_with_the_reason()
    {
        var trace = await Assert.ThrowsAsync<RpcException>(() => T.TraceSettingAsync(new TraceSettingRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, trace.StatusCode);
        Assert.Contains("use ModelStatistics and /metrics", trace.Status.Detail);
        var log = await Assert.ThrowsAsync<RpcException>(() => T.LogSettingsAsync(new LogSettingsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, log.StatusCode);
        var meta = await T.ServerMetadataAsync(new ServerMetadataRequest());
        Assert.Equal(["classification", "model_repository", "model_configuration", "binary_tensor_data", "statistics", "edge_image_classify"], meta.Extensions);
    }
}

/// <summary>The classification extension and shadow mode for each output kind a manifest can declare.</summary>
public sealed class OutputKindTests
{
    [Theory]
    [InlineData(OutputKind.Logits)]
    [InlineData(OutputKind.Probabilities)]
    [InlineData(OutputKind.LogProbabilities)]
    public async Task Classification_scores_are_the_probabilities_the_kind_means(OutputKind kind)
    {
        using var dir = new Edge.Testing.TempDir();
        string version = Path.Combine(dir.Path, "k", "1");
        Directory.CreateDirectory(version);
        // An identity "classifier" over 3 classes: its output is its [1, 3, 1, 1] input.
        TensorModels.WriteFlatten(Path.Combine(version, "model.onnx"), 3);
        Edge.Core.IO.JsonFiles.Write(Path.Combine(version, ModelPackage.ManifestFileName), new ModelManifest
        {
            Name = "k",
            Labels = ["a", "b", "c"],
            Input = new TensorSpec("input", [-1, 3, 1, 1]),
            Output = new OutputSpec("logits", [-1, 3], Kind: kind),
            Preprocess = Edge.Core.Preprocessing.PreprocessSpec.FashionMnist32 with { Channels = 3, Height = 1, Width = 1, Mean = [0, 0, 0], Std = [1, 1, 1] },
        });
        await using var server = await ServeTestKit.StartAsync(ServeTestKit.Options(dir.Path));
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        float[] raw = kind switch
        {
            OutputKind.Probabilities => [0.1f, 0.7f, 0.2f],
            OutputKind.LogProbabilities => [MathF.Log(0.1f), MathF.Log(0.7f), MathF.Log(0.2f)],
            _ => [1f, 3f, 2f],
        };
        double[] expected = kind == OutputKind.Logits ? TritonExtensionsTests.Softmax(raw) : [0.1, 0.7, 0.2];
        var request = new ModelInferRequest { ModelName = "k" };
        request.Inputs.Add(Input("input", "FP32", 1, 3, 1, 1));
        request.RawInputContents.Add(Raw<float>(raw));
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "logits", Parameters = { ["classification"] = new InferParameter { Int64Param = 2 } } });
        var top = TritonRequests.Strings(await client.ModelInferAsync(request), "logits").Select(t => t.Split(':')).ToArray();
        Assert.Equal(["1", "2"], top.Select(t => t[1]));
        Assert.Equal(["b", "c"], top.Select(t => t[2]));
        Assert.Equal(expected[1], double.Parse(top[0][0], System.Globalization.CultureInfo.InvariantCulture), 5);
        Assert.Equal(expected[2], double.Parse(top[1][0], System.Globalization.CultureInfo.InvariantCulture), 5);

        // ModelInfer itself answers the raw output unchanged, whatever the kind.
        var plain = new ModelInferRequest { ModelName = "k" };
        plain.Inputs.Add(Input("input", "FP32", 1, 3, 1, 1));
        plain.RawInputContents.Add(Raw<float>(raw));
        Assert.Equal(raw, Output<float>(await client.ModelInferAsync(plain), "logits"));
    }
}
