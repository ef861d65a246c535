using Edge.Serve.Inference;
using Edge.Serve.Protocol.Classify;
using Google.Protobuf;
using Grpc.Core;
using Xunit;

namespace Edge.Serve.Tests.Services;

[Collection(ServerCollection.Name)]
public sealed class ImageClassifierServiceTests(ServerFixture fx)
{
    [Fact]
    public async Task Classify_returns_the_same_top_1_and_probabilities_as_in_process_inference()
    {
        int correct = 0;
        foreach (var (png, label, image) in ServeTestKit.FashionImages.Take(24))
        {
            var result = await fx.Client.ClassifyAsync("fmnist", png, topK: 3);
            var expected = Classification.TopK(fx.ReferenceLogits(image), Edge.Core.Manifest.OutputKind.Logits, Edge.Core.Data.BuiltInDatasets.FashionMnist.Labels, 3);
            Assert.Equal(3, result.Top.Count);
            Assert.Equal(expected.Select(e => e.Index), result.Top.Select(t => t.Index));
            Assert.Equal(expected[0].Label, result.Top[0].Label);
            Assert.InRange(result.Top[0].Probability - expected[0].Probability, -1e-4f, 1e-4f);
            if (result.Top[0].Index == label)
                correct++;
        }
        Assert.True(correct >= 20, $"{correct}/24 correct: the teacher is a 95% model");
    }

    [Fact]
    public async Task Corrupt_truncated_and_non_image_bytes_are_INVALID_ARGUMENT_and_the_server_keeps_serving()
    {
        byte[] png = ServeTestKit.FashionImages[0].Png;
        var cases = new (byte[] Bytes, string Expected)[]
        {
            ([], "empty"),
            ("this is not an image"u8.ToArray(), "not a decodable image"),
            (png[..(png.Length / 2)], "truncated or corrupt"),
            ([.. png[..16], .. new byte[200]], ""),
        };
        foreach (var (bytes, expected) in cases)
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => fx.Client.ClassifyAsync("fmnist", bytes));
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.Contains(expected, e.Status.Detail);
        }
        Assert.Equal(5, (await fx.Client.ClassifyAsync("fmnist", png)).Top.Count);
        Assert.True(fx.Log.Errors.IsEmpty, string.Join("\n", fx.Log.Errors));
    }

    [Fact]
    public async Task ClassifyStream_answers_in_order_and_names_the_bad_message()
    {
        using var call = fx.Client.Classifier.ClassifyStream();
        var images = ServeTestKit.FashionImages.Take(10).ToArray();
        for (int i = 0; i < images.Length; i++)
            await call.RequestStream.WriteAsync(new ClassifyRequest { ModelName = "fmnist", Image = ByteString.CopyFrom(images[i].Png), TopK = 1, Id = $"m{i}" });
        await call.RequestStream.CompleteAsync();
        var ids = new List<string>();
        await foreach (var r in call.ResponseStream.ReadAllAsync())
        {
            ids.Add(r.Id);
            Assert.Equal(Classification.TopK(fx.ReferenceLogits(images[ids.Count - 1].Image), Edge.Core.Manifest.OutputKind.Logits, [], 1)[0].Index, r.Predictions[0].Index);
        }
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"m{i}"), ids);

        using var bad = fx.Client.Classifier.ClassifyStream();
        await bad.RequestStream.WriteAsync(new ClassifyRequest { ModelName = "fmnist", Image = ByteString.CopyFrom(images[0].Png) });
        await bad.RequestStream.WriteAsync(new ClassifyRequest { ModelName = "fmnist", Image = ByteString.CopyFromUtf8("junk") });
        await bad.RequestStream.CompleteAsync();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in bad.ResponseStream.ReadAllAsync()) { }
        });
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("stream message 1", e.Status.Detail);
    }
}
