using Edge.Core;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Edge.Quantize.Calibration;

/// <summary>
/// Runs the float model over the calibration set with every intermediate tensor exposed as an extra graph
/// output, and turns what it sees into a range per float tensor.
/// </summary>
public static class RangeCollector
{
    public static TensorRangeSet Collect(ModelProto model, ICalibrationSource source, CalibrationOptions options)
    {
        options.Validate();
        var probe = model.Clone();
        var graph = probe.Graph;
        var existing = new HashSet<string>(graph.Output.Select(o => o.Name));
        foreach (var node in graph.Node)
            foreach (string output in node.Output)
                if (output.Length > 0 && existing.Add(output))
                    graph.Output.Add(new ValueInfoProto { Name = output });

        string inputName = source.InputName ?? ModelInputs.SingleFloatInput(model).Name;
        if (!ModelInputs.Feeds(model).Any(i => i.Name == inputName))
            throw new EdgeException($"calibration input '{inputName}' is not an input of the model (inputs: {string.Join(", ", ModelInputs.Feeds(model).Select(i => i.Name))})");

        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.Threads,
            InterOpNumThreads = 1,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC,
        };
        using var session = new InferenceSession(probe.ToByteArray(), sessionOptions);
        string[] floatOutputs = session.OutputMetadata
            .Where(kv => kv.Value.IsTensor && kv.Value.ElementDataType == TensorElementType.Float)
            .Select(kv => kv.Key).ToArray();
        bool histogram = options.Method != CalibrationMethod.MinMax;
        var estimators = floatOutputs.ToDictionary(n => n, _ => new RangeEstimator(options.HistogramBins, histogram));
        var inputEstimator = new RangeEstimator(options.HistogramBins, histogram);

        long sampleLength = source.SampleShape.Aggregate(1L, (a, b) => a * b);
        int samples = 0;
        using var runOptions = new RunOptions();
        foreach (float[] batch in source.Batches())
        {
            if (batch.Length == 0 || batch.Length % sampleLength != 0)
                throw new EdgeException($"calibration batch of {batch.Length} floats is not a whole number of samples of shape [{string.Join(", ", source.SampleShape)}]");
            long n = batch.Length / sampleLength;
            long[] shape = [n, .. source.SampleShape];
            using var input = OrtValue.CreateTensorValueFromMemory(batch, shape);
            using var results = session.Run(runOptions, [inputName], [input], floatOutputs);
            for (int i = 0; i < floatOutputs.Length; i++)
                estimators[floatOutputs[i]].Add(results[i].GetTensorDataAsSpan<float>());
            inputEstimator.Add(batch);
            samples += (int)n;
        }
        if (samples == 0)
            throw new EdgeException("the calibration set is empty: static quantization needs at least one batch of representative inputs");

        var ranges = estimators.ToDictionary(kv => kv.Key, kv => kv.Value.Estimate(options));
        ranges[inputName] = inputEstimator.Estimate(options);
        return new TensorRangeSet(ranges, options.Method, samples);
    }
}
