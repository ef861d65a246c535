using Edge.Core.Data;
using Edge.Core.Imaging;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Distill.Data;
using Edge.Serve;
using Edge.Serve.Client;
using Edge.Protocol.V2;
using Edge.Testing;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Edge.Cli.Tests;

/// <summary>
/// The design promise: one preprocessing implementation, so a tensor is bit-identical in distill evaluation,
/// export parity and the gate (dataset → BatchLoader / InMemorySplit) and in the server (encoded image bytes →
/// decode → preprocess). The server side is checked for real: an identity model is served and its ModelInfer
/// output is the tensor the server built from PNG bytes.
/// </summary>
public class PreprocessingIsIdenticalAcrossStagesTests
{
    [Fact]
    public async Task DistillGateExportAndServeBuildBitIdenticalTensors()
    {
        TestPaths.RequireFashionMnist();
        var spec = PreprocessSpec.FashionMnist32;
        var pre = new Preprocessor(spec);
        using var test = DatasetFactory.Open("fashion-mnist", "test");
        int[] indices = [0, 1, 42, 999, 4321, 9999];
        int len = spec.TensorLength;

        // Distill: the trainer's view of un-augmented samples, from decoded images held in memory and streamed.
        var held = SampleStore.Open(test, indices, DataMemory.Memory, 0, 2, Edge.Core.Progress.IProgressHost.None, "");
        var streamed = SampleStore.Open(test, indices, DataMemory.Stream, 0, 2, Edge.Core.Progress.IProgressHost.None, "");
        var rows = Enumerable.Range(0, indices.Length).ToArray();
        var distill = ViewBatch.Plain(held, rows).View(spec);
        Assert.Equal(distill, ViewBatch.Plain(streamed, rows).View(spec));
        // Gate and export parity: the batch loader.
        var batch = new BatchLoader(test, pre).Batches(indices.Length, indices).Single();
        Assert.Equal(distill, batch.Data);

        // Server: PNG bytes of the same images through a live server's ModelInfer (BYTES input).
        using var dir = new TempDir();
        string version = Path.Combine(dir.Path, "repo", "identity", "1");
        Directory.CreateDirectory(version);
        TinyModels.WriteIdentity(Path.Combine(version, "model.onnx"), 1, 32, 32);
        ModelPackage.Write(version, Path.Combine(version, "model.onnx"), TinyModels.Manifest("identity", "model.onnx", spec, len));
        await using var server = await EdgeServer.StartAsync(new ServeOptions { Repository = Path.Combine(dir.Path, "repo"), GrpcPort = 0, HttpPort = 0 },
            logging => logging.SetMinimumLevel(LogLevel.Warning));
        using var client = EdgeClient.Connect(server.GrpcAddress);
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "BYTES", Shape = { indices.Length }, Contents = new InferTensorContents() };
        foreach (int i in indices)
            input.Contents.BytesContents.Add(ByteString.CopyFrom(ImageEncoder.Png(test.GetImage(i))));
        var request = new ModelInferRequest { ModelName = "identity", Inputs = { input } };
        float[] served = EdgeClient.ReadLogits(await client.Inference.ModelInferAsync(request));

        Assert.Equal(indices.Length * len, served.Length);
        for (int k = 0; k < indices.Length; k++)
        {
            var expected = distill.AsSpan(k * len, len).ToArray();
            var actual = served.AsSpan(k * len, len).ToArray();
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"image {indices[k]}: server tensor differs from the distill/gate tensor");
            // And the serve path in-process (decode + preprocess) gives the same bits.
            var decoded = ImageDecoder.Decode(ImageEncoder.Png(test.GetImage(indices[k])));
            Assert.Equal(expected, pre.Run(decoded));
        }
    }
}
