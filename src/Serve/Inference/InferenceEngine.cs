using Edge.Core;
using Edge.Core.Imaging;
using Edge.Core.Manifest;
using Edge.Serve.Repository;
using Edge.Serve.Shadow;

namespace Edge.Serve.Inference;

/// <summary>One class (index, label, probability) of a classification.</summary>
public sealed record LabelScore(int Index, string Label, float Probability);

public sealed record ClassifyResult(string Model, string Version, IReadOnlyList<LabelScore> Top);

/// <summary>An FP32 tensor [batch, C, H, W] already preprocessed, or encoded images (BYTES) to preprocess here.</summary>
public sealed record InferInput(string Name, long[] Shape, float[]? Floats, IReadOnlyList<ReadOnlyMemory<byte>>? Images);

public sealed record InferOutput(string Model, string Version, string Name, long[] Shape, float[] Logits);

/// <summary>
/// What the gRPC and REST services delegate to: model lookup with a lease, decode + preprocess (the one shared
/// <see cref="Edge.Core.Preprocessing.Preprocessor"/>), the model's batcher, softmax/top-k, and shadow sampling.
/// Problems with the request throw <see cref="ServeException"/> or <see cref="EdgeException"/>.
/// </summary>
public sealed class InferenceEngine(ModelRepository repository, ShadowScorer shadow)
{
    public const int DefaultTopK = 5;

    public ModelRepository Repository => repository;

    public async Task<ClassifyResult> ClassifyAsync(string model, string? version, ReadOnlyMemory<byte> image, int topK, CancellationToken cancellationToken)
    {
        if (topK < 0)
            throw ServeException.Invalid($"top_k must be 0 (default {DefaultTopK}) or more, got {topK}");
        using var lease = repository.Acquire(model, version);
        var m = lease.Model;
        var raw = ImageDecoder.Decode(image.Span, "image");
        var input = m.Preprocessor.Run(raw);
        var logits = await m.Batcher.InferAsync(input, 1, cancellationToken).ConfigureAwait(false);
        shadow.Offer(m, input, 1, logits, raw);
        return new ClassifyResult(m.Name, m.VersionText, TopK(logits, m.Manifest.Output.Kind, m.Manifest.Labels, topK == 0 ? DefaultTopK : topK));
    }

    public async Task<InferOutput> InferAsync(string model, string? version, InferInput input, CancellationToken cancellationToken)
    {
        using var lease = repository.Acquire(model, version);
        var m = lease.Model;
        string expectedName = m.Manifest.Input.Name;
        if (input.Name != expectedName)
            throw ServeException.Invalid($"model {m.Name} has one input named '{expectedName}', not '{Clip(input.Name)}'");
        var spec = m.Preprocessor.Spec;
        int len = m.SampleLength;
        float[] tensor;
        int batch;
        if (input.Images is { } images)
        {
            if (input.Shape.Length is not (1 or 2) || (input.Shape.Length == 2 && input.Shape[1] != 1) || input.Shape[0] != images.Count)
                throw ServeException.Invalid($"BYTES input '{expectedName}' takes shape [batch] or [batch, 1] with one encoded image per element; got shape {Shape(input.Shape)} with {images.Count} element(s)");
            batch = images.Count;
            if (batch == 0)
                throw ServeException.Invalid($"input '{expectedName}' holds no images");
            tensor = new float[batch * len];
            for (int i = 0; i < batch; i++)
            {
                var raw = ImageDecoder.Decode(images[i].Span, $"image {i}");
                m.Preprocessor.Run(raw, tensor.AsSpan(i * len, len));
            }
        }
        else
        {
            long[] want = [-1, spec.Channels, spec.Height, spec.Width];
            var s = input.Shape;
            if (s.Length != 4 || s[0] < 1 || s[1] != want[1] || s[2] != want[2] || s[3] != want[3])
                throw ServeException.Invalid($"input '{expectedName}' of model {m.Name} takes FP32 shape {Shape(want)} (batch ≥ 1), got {Shape(s)}");
            if (s[0] > 65536)
                throw ServeException.Exhausted($"batch {s[0]} is larger than the server accepts (65536)");
            batch = (int)s[0];
            var floats = input.Floats!;
            if (floats.Length != (long)batch * len)
                throw ServeException.Invalid($"input '{expectedName}' has shape {Shape(s)} ({batch * len} elements) but carries {floats.Length}");
            tensor = floats;
        }
        var logits = await m.Batcher.InferAsync(tensor, batch, cancellationToken).ConfigureAwait(false);
        shadow.Offer(m, tensor, batch, logits, null);
        return new InferOutput(m.Name, m.VersionText, m.Manifest.Output.Name, [batch, m.NumClasses], logits);
    }

    /// <summary>One sample's class probabilities as the model means them (<see cref="OutputKinds.ToProbabilities"/>:
    /// softmax of logits or log-probabilities, a probability output as is), highest first.</summary>
    public static IReadOnlyList<LabelScore> TopK(ReadOnlySpan<float> output, OutputKind kind, IReadOnlyList<string> labels, int k)
    {
        var probs = new double[output.Length];
        OutputKinds.ToProbabilities(kind, output, probs);
        var order = Enumerable.Range(0, probs.Length).OrderByDescending(i => probs[i]).ThenBy(i => i).Take(Math.Min(k, probs.Length));
        return order.Select(i => new LabelScore(i, i < labels.Count ? labels[i] : i.ToString(System.Globalization.CultureInfo.InvariantCulture), (float)probs[i])).ToArray();
    }

    private static string Shape(long[] shape) => $"[{string.Join(", ", shape)}]";

    private static string Clip(string s) => s.Length > 100 ? s[..100] + "…" : s;
}
