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
            if (model.Preprocess.Channels != set.Dataset.Channels)
                throw new EdgeException($"{set.Description} has {set.Dataset.Channels}-channel images but {model.Name} expects {model.Preprocess.Channels} (its preprocessing: {model.Preprocess})");
            model.CheckInput(model.Preprocess, $"the preprocessing of {model.Name} ({model.Preprocess})");
            mappings[m] = ClassMapping.Build(model.Labels, model.NumClasses, classes, model.Name, set.Description);
        }

        // One loader per distinct preprocessing; each model points at its group.
        var groups = new List<(PreprocessSpec Spec, List<int> Models)>();
        for (int m = 0; m < models.Count; m++)
        {
            int g = groups.FindIndex(x => x.Spec.SameAs(models[m].Preprocess));
            if (g < 0) groups.Add((models[m].Preprocess, [m]));
            else groups[g].Models.Add(m);
        }

        int n = set.Count;
        var logits = models.Select(x => new float[n * x.NumClasses]).ToArray();
        var busy = new double[models.Count];
        var latencyInput = new float[groups.Count][];
        var enumerators = groups.Select(g => new BatchLoader(set.Dataset, new Preprocessor(g.Spec)).Batches(options.BatchSize, cancel: cancel).GetEnumerator()).ToArray();
        try
        {
            using var step = progress.Begin($"evaluate {models.Count} model(s)", n, "img");
            int done = 0;
            while (done < n)
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

        var results = new ModelEvaluation[models.Count];
        for (int m = 0; m < models.Count; m++)
        {
            var model = models[m];
            int g = groups.FindIndex(x => x.Models.Contains(m));
            var latency = MeasureLatency(model, latencyInput[g], options);
            var ordered = ClassMapping.Apply(logits[m], n, mappings[m]);
            results[m] = new ModelEvaluation(model.Name, model.Kind, model.Location, model.Sha256, model.Precision, model.Preprocess,
                new Predictions(ordered, n, classes.Count), latency, busy[m] > 0 ? n / busy[m] : double.NaN, model.Notes);
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
