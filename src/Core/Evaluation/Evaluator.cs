using System.Diagnostics;
using Edge.Core.Data;
using Edge.Core.Metrics;
using Edge.Core.Preprocessing;
using Edge.Core.Progress;

namespace Edge.Core.Evaluation;

/// <summary>
/// Runs several models over one evaluation set. Each model sees tensors made with its own preprocessing; models
/// that share a preprocessing share the tensors (each distinct spec is preprocessed once, in parallel with
/// inference by <see cref="BatchLoader"/>'s prefetch). Logits are returned in the evaluation set's class order.
/// </summary>
public static class Evaluator
{
    /// <param name="classes">The class order results are reported in (the evaluation set's, or the teacher's for an unlabeled set).</param>
    public static IReadOnlyList<ModelEvaluation> Run(EvaluationSet set, IReadOnlyList<IModelRunner> models, IReadOnlyList<string> classes,
        EvaluatorOptions options, IProgressHost progress, CancellationToken cancel = default)
    {
        if (options.BatchSize < 1) throw new EdgeException($"batch size must be at least 1, got {options.BatchSize}");
        var mappings = new int[models.Count][];
        for (int m = 0; m < models.Count; m++)
        {
            var model = models[m];
            model.CheckInput(model.Preprocess, $"the preprocessing of {model.Name} ({model.Preprocess})");
            mappings[m] = ClassMapping.Build(model.Labels, model.NumClasses, classes, model.Name, set.Description);
        }

        // Models whose logits are known: cached from an earlier evaluation, or the same file with the same
        // preprocessing as an earlier model of this one (a candidate identical to the teacher costs nothing).
        int n = set.Count;
        var logits = new float[models.Count][];
        // Only in-process ONNX files are keyed: a remote model's hash is what its manifest claims, not what the server runs.
        var keys = models.Select(x => x.Kind == "onnx" && x.Sha256 is { } sha ? LogitCache.Key(sha, x.Preprocess, set.DatasetSha256, x.OutputKind) : null).ToArray();
        var sameAs = new int[models.Count];
        for (int m = 0; m < models.Count; m++)
        {
            sameAs[m] = keys[m] is null ? -1 : Array.FindIndex(keys, 0, m, k => k == keys[m]);
            if (sameAs[m] < 0 && keys[m] is { } key && options.Cache?.TryGet(key, set.BaseIndices, models[m].NumClasses) is { } cached)
                logits[m] = cached;
        }

        // One loader per distinct preprocessing among the models still to run; each model points at its group.
        var groups = new List<(PreprocessSpec Spec, List<int> Models)>();
        for (int m = 0; m < models.Count; m++)
        {
            if (logits[m] is not null || sameAs[m] >= 0) continue;
            int g = groups.FindIndex(x => x.Spec.SameAs(models[m].Preprocess));
            if (g < 0) groups.Add((models[m].Preprocess, [m]));
            else groups[g].Models.Add(m);
        }

        foreach (var g in groups)
            foreach (int m in g.Models)
                logits[m] = new float[n * models[m].NumClasses];
        var busy = new double[models.Count];
        var latencyInput = new float[groups.Count][];
        var enumerators = groups.Select(g => new BatchLoader(set.Dataset, new Preprocessor(g.Spec)).Batches(options.BatchSize, cancel: cancel).GetEnumerator()).ToArray();
        try
        {
            int running = groups.Sum(g => g.Models.Count);
            using var step = progress.Begin($"evaluate {running} model(s)", n, "img");
            int done = 0;
            while (done < n && groups.Count > 0)
            {
                cancel.ThrowIfCancellationRequested();
                int count = 0;
                for (int g = 0; g < groups.Count; g++)
                {
                    if (!enumerators[g].MoveNext()) throw new InvalidOperationException("batch loader ended early");
                    var batch = enumerators[g].Current;
                    count = batch.Count;
                    latencyInput[g] ??= batch.Data[..batch.SampleLength];
                    foreach (int m in groups[g].Models)
                        RunChunked(models[m], batch, logits[m], done, ref busy[m]);
                }
                done += count;
                step.Report(done, n);
            }
        }
        finally
        {
            foreach (var e in enumerators) e.Dispose();
        }

        for (int m = 0; m < models.Count; m++)
        {
            if (sameAs[m] >= 0) logits[m] = logits[sameAs[m]];
            else if (keys[m] is { } key && groups.Any(g => g.Models.Contains(m)))
                options.Cache?.Put(key, set.BaseCount, set.BaseIndices, models[m].NumClasses, logits[m]);
        }

        var results = new ModelEvaluation[models.Count];
        var sampleFor = new Dictionary<string, float[]>();
        for (int m = 0; m < models.Count; m++)
        {
            var model = models[m];
            string specKey = model.Preprocess.ToString();
            if (!sampleFor.TryGetValue(specKey, out var sample))
            {
                int g = groups.FindIndex(x => x.Spec.SameAs(model.Preprocess));
                sample = g >= 0 ? latencyInput[g] : new BatchLoader(set.Dataset, new Preprocessor(model.Preprocess)).Tensor(0);
                sampleFor[specKey] = sample;
            }
            var latency = MeasureLatency(model, sample, options);
            var ordered = ClassMapping.Apply(logits[m], n, mappings[m]);
            results[m] = new ModelEvaluation(model.Name, model.Kind, model.Location, model.Sha256, model.Precision, model.Preprocess,
                new Predictions(ordered, n, classes.Count), latency, busy[m] > 0 ? n / busy[m] : sameAs[m] >= 0 && busy[sameAs[m]] > 0 ? n / busy[sameAs[m]] : double.NaN, model.Notes);
        }
        return results;
    }

    private static void RunChunked(IModelRunner model, TensorBatch batch, float[] into, int offset, ref double busySeconds)
    {
        int k = model.NumClasses, len = batch.SampleLength;
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < batch.Count; start += model.MaxBatch)
        {
            int count = Math.Min(model.MaxBatch, batch.Count - start);
            float[] input = start == 0 ? batch.Data : batch.Data[(start * len)..((start + count) * len)];
            float[] output = model.Run(input, count);
            if (output.Length < count * k)
                throw new EdgeException($"{model.Name} returned {output.Length} values for {count} images x {k} classes");
            Array.Copy(output, 0, into, (offset + start) * k, count * k);
        }
        busySeconds += clock.Elapsed.TotalSeconds;
    }

    private static LatencyStats MeasureLatency(IModelRunner model, float[] sample, EvaluatorOptions options)
    {
        if (options.LatencySamples <= 0) return LatencyStats.From([]);
        for (int i = 0; i < options.LatencyWarmup; i++) model.Run(sample, 1);
        var times = new double[options.LatencySamples];
        for (int i = 0; i < times.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            model.Run(sample, 1);
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        return LatencyStats.From(times);
    }
}
