using System.Diagnostics;
using Edge.Core.Imaging;
using Edge.Serve.Repository;
using Edge.Serve.Shadow;
using Edge.Serve.Tensors;

namespace Edge.Serve.Inference;

/// <summary>
/// What the gRPC and REST services delegate to: model lookup with a lease, checking a request against the model's
/// inputs (names, datatypes, shapes, one batch size), decoding and preprocessing encoded images for an Edge
/// classifier (the one shared <see cref="Edge.Core.Preprocessing.Preprocessor"/>), the model's scheduler, the
/// requested outputs and the classification extension, per-version statistics, and shadow sampling. ModelInfer
/// answers the model's outputs unchanged. Problems with the request throw <see cref="ServeException"/> or
/// <see cref="Edge.Core.EdgeException"/>.
/// </summary>
public sealed class InferenceEngine(ModelRepository repository, ShadowScorer shadow)
{
    public const int DefaultTopK = 5;

    public ModelRepository Repository => repository;

    public async Task<InferResult> InferAsync(InferRequest request, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        HostTensor[]? inputs = null;
        long bytes = request.Inputs.Sum(t => t.RawByteSize);
        try
        {
            using var lease = repository.Acquire(request.Model, request.Version);
            var m = lease.Model;
            try
            {
                inputs = Bind(m, request.Inputs);
                var outputs = await m.Batcher.InferAsync(inputs, cancellationToken).ConfigureAwait(false);
                var result = Select(m, outputs, request.Outputs);
                if (m.Classifier is { } c)
                    OfferShadow(m, c, inputs, outputs);
                foreach (var o in outputs.Except(result.Outputs))
                    o.Dispose();
                m.Statistics.Succeeded(Stopwatch.GetTimestamp() - start);
                return result;
            }
            catch
            {
                m.Statistics.Failed(Stopwatch.GetTimestamp() - start);
                throw;
            }
        }
        finally
        {
            foreach (var t in request.Inputs)
                t.Dispose();
            if (inputs is not null)
                foreach (var t in inputs.Except(request.Inputs))
                    t.Dispose();
            LargeRequestMemory.Answered(bytes);
        }
    }

    public async Task<ClassifyResult> ClassifyAsync(string model, string? version, ReadOnlyMemory<byte> image, int topK, CancellationToken cancellationToken)
    {
        if (topK < 0)
            throw ServeException.Invalid($"top_k must be 0 (default {DefaultTopK}) or more, got {topK}");
        long start = Stopwatch.GetTimestamp();
        using var lease = repository.Acquire(model, version);
        var m = lease.Model;
        try
        {
            var c = m.Classifier ?? throw ServeException.Invalid($"model {m.Name} is a tensor model (its folder has no Edge manifest), not an image classifier; use ModelInfer");
            var raw = ImageDecoder.Decode(image.Span, "image");
            int[] dims = ImageDims(c);
            using var input = HostTensor.FromSpan(c.Input.Name, TensorDataTypes.Fp32, [1, dims[0], dims[1], dims[2]], c.Preprocessor.Run(raw).AsSpan());
            var outputs = await m.Batcher.InferAsync([input], cancellationToken).ConfigureAwait(false);
            try
            {
                var logits = outputs[OutputIndex(m, c.Output.Name)];
                shadow.Offer(m, input.As<float>(), 1, logits.As<float>(), raw);
                var top = Classification.TopK(logits.As<float>(), c.OutputKind, c.Labels, topK == 0 ? DefaultTopK : topK);
                m.Statistics.Succeeded(Stopwatch.GetTimestamp() - start);
                return new ClassifyResult(m.Name, m.VersionText, top);
            }
            finally
            {
                foreach (var o in outputs)
                    o.Dispose();
            }
        }
        catch
        {
            m.Statistics.Failed(Stopwatch.GetTimestamp() - start);
            throw;
        }
    }

    /// <summary>The request's inputs in the session's order, checked against the model; encoded images become the classifier's FP32 input.</summary>
    private static HostTensor[] Bind(ModelVersion m, IReadOnlyList<HostTensor> given)
    {
        var session = m.Session;
        var bound = new HostTensor?[session.Inputs.Count];
        foreach (var t in given)
        {
            int i = session.Inputs.ToList().FindIndex(x => x.Name == t.Name);
            if (i < 0)
                throw ServeException.Invalid($"model {m.Name} has no input '{Text.Clip(t.Name)}'; its inputs: {string.Join(", ", session.Inputs.Select(x => $"{x.Name} ({x.DataType} {Text.Shape(x.Shape)})"))}");
            if (bound[i] is not null)
                throw ServeException.Invalid($"input '{t.Name}' is given twice");
            bound[i] = t;
        }
        var missing = session.Inputs.Where((x, i) => bound[i] is null).Select(x => x.Name).ToArray();
        if (missing.Length > 0)
            throw ServeException.Invalid($"model {m.Name} needs input(s) {string.Join(", ", missing)}; the request gave {(given.Count == 0 ? "none" : string.Join(", ", given.Select(g => Text.Clip(g.Name))))}");

        var result = new HostTensor[bound.Length];
        for (int i = 0; i < bound.Length; i++)
        {
            var info = session.Inputs[i];
            var t = bound[i]!;
            if (m.Classifier is { } c && info.Name == c.Input.Name && t.DataType.IsBytes)
                t = DecodeImages(m, c, t);
            else if (t.DataType != info.DataType)
                throw ServeException.Invalid($"input '{info.Name}' of model {m.Name} is {info.DataType}{(m.Classifier is not null && info.Name == m.Classifier.Input.Name ? " (preprocessed) or BYTES (encoded images)" : "")}, not {t.DataType}");
            CheckShape(m, info, t);
            result[i] = t;
        }
        if (m.Config.MaxBatchSize > 0)
        {
            long batch = result[0].Shape[0];
            if (batch < 1)
                throw ServeException.Invalid($"input '{result[0].Name}' has batch size 0; send at least one sample");
            var other = result.FirstOrDefault(t => t.Shape[0] != batch);
            if (other is not null)
                throw ServeException.Invalid($"inputs disagree on the batch size: '{result[0].Name}' has {batch}, '{other.Name}' has {other.Shape[0]}");
        }
        return result;
    }

    private static void CheckShape(ModelVersion m, TensorInfo info, HostTensor t)
    {
        var want = info.Shape;
        bool ok = t.Shape.Length == want.Length && !want.Where((d, i) => d >= 0 && d != t.Shape[i]).Any();
        if (!ok)
            throw ServeException.Invalid($"input '{info.Name}' of model {m.Name} takes shape {Text.Shape(want)} (−1: any size), got {Text.Shape(t.Shape)}");
    }

    private static HostTensor DecodeImages(ModelVersion m, ClassifierInfo c, HostTensor t)
    {
        var images = t.Elements!;
        if (t.Shape.Length is not (1 or 2) || (t.Shape.Length == 2 && t.Shape[1] != 1))
            throw ServeException.Invalid($"BYTES input '{t.Name}' takes shape [batch] or [batch, 1] with one encoded image per element; got shape {Text.Shape(t.Shape)}");
        if (images.Count == 0)
            throw ServeException.Invalid($"input '{t.Name}' holds no images");
        int len = c.SampleLength;
        var buffer = PooledBuffer.Rent((long)images.Count * len * sizeof(float));
        try
        {
            var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(buffer.Span);
            for (int i = 0; i < images.Count; i++)
            {
                var raw = ImageDecoder.Decode(images[i].Span, $"image {i}");
                c.Preprocessor.Run(raw, floats.Slice(i * len, len));
            }
            int[] dims = ImageDims(c);
            return HostTensor.Fixed(t.Name, TensorDataTypes.Fp32, [images.Count, dims[0], dims[1], dims[2]], buffer.Memory, buffer);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static int[] ImageDims(ClassifierInfo c) => [c.Manifest.Preprocess.Channels, c.Manifest.Preprocess.Height, c.Manifest.Preprocess.Width];

    /// <summary>The outputs a request asked for (all, when it named none), classification applied where asked.</summary>
    private static InferResult Select(ModelVersion m, HostTensor[] outputs, IReadOnlyList<RequestedOutput> requested)
    {
        if (requested.Count == 0)
            return new InferResult(m.Name, m.VersionText, outputs);
        var chosen = new List<HostTensor>();
        try
        {
            foreach (var r in requested)
            {
                int i = OutputIndex(m, r.Name);
                if (requested.Count(x => x.Name == r.Name) > 1)
                    throw ServeException.Invalid($"output '{r.Name}' is requested twice");
                if (r.ClassCount < 0)
                    throw ServeException.Invalid($"class_count for output '{r.Name}' must be positive, got {r.ClassCount}");
                chosen.Add(r.ClassCount > 0 ? Classification.Classify(outputs[i], r.ClassCount, m.Config.MaxBatchSize > 0, m.Classifier) : outputs[i]);
            }
        }
        catch
        {
            foreach (var t in chosen.Except(outputs))
                t.Dispose();
            foreach (var o in outputs)
                o.Dispose();
            throw;
        }
        // A classified output leaves its raw tensor to the caller's cleanup in InferAsync.
        return new InferResult(m.Name, m.VersionText, chosen);
    }

    private static int OutputIndex(ModelVersion m, string name)
    {
        for (int i = 0; i < m.Session.Outputs.Count; i++)
            if (m.Session.Outputs[i].Name == name)
                return i;
        throw ServeException.Invalid($"model {m.Name} has no output '{Text.Clip(name)}'; its outputs: {string.Join(", ", m.Session.Outputs.Select(o => o.Name))}");
    }

    private void OfferShadow(ModelVersion m, ClassifierInfo c, HostTensor[] inputs, HostTensor[] outputs)
    {
        var input = inputs[m.Session.Inputs.ToList().FindIndex(x => x.Name == c.Input.Name)];
        var logits = outputs[OutputIndex(m, c.Output.Name)];
        shadow.Offer(m, input.As<float>(), (int)input.Shape[0], logits.As<float>(), null);
    }
}
