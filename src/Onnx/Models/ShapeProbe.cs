using Edge.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Edge.Onnx;

/// <summary>
/// Shapes of every float intermediate tensor at batch 1, by running the model once on zeros with each tensor
/// exposed as a graph output. Why: exported graphs carry no value_info, and a pass that must know, e.g., that a
/// conv map is 1x1 should not guess it from Reshape constants. Only batch-independent facts (channel and spatial
/// sizes) may be read from the result.
/// </summary>
public static class ShapeProbe
{
    /// <summary>
    /// The shapes, or null when the input's sample dimensions are not fixed (e.g. a symbolic image size): then no
    /// intermediate size is a property of the model, and passes that need one must leave those sites alone.
    /// </summary>
    public static IReadOnlyDictionary<string, long[]>? TryRun(ModelProto model)
    {
        var input = ModelInputs.SingleFloatInput(model);
        var dims = input.Type.TensorType.Shape?.Dim;
        if (dims is null || dims.Count == 0) return null;
        var shape = new long[dims.Count];
        shape[0] = 1;
        for (int i = 1; i < dims.Count; i++)
        {
            if (!dims[i].HasDimValue || dims[i].DimValue <= 0) return null;
            shape[i] = dims[i].DimValue;
        }

        var probe = model.Clone();
        var existing = new HashSet<string>(probe.Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var node in probe.Graph.Node)
            foreach (string o in node.Output)
                if (o.Length > 0 && existing.Add(o)) probe.Graph.Output.Add(new ValueInfoProto { Name = o });
        // Errors only: a graph mid-rewrite may hold initializers nothing reads yet, which ORT would warn about.
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(probe.ToByteArray(), options);
        string[] names = session.OutputMetadata.Where(kv => kv.Value.IsTensor).Select(kv => kv.Key).ToArray();
        var zeros = new float[shape.Aggregate(1L, (a, b) => a * b)];
        using var value = OrtValue.CreateTensorValueFromMemory(zeros, shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [input.Name], [value], names);
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal) { [input.Name] = shape };
        for (int i = 0; i < names.Length; i++)
            shapes[names[i]] = results[i].GetTensorTypeAndShape().Shape;
        return shapes;
    }
}
