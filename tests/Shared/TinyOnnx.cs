using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Onnx.Proto;
using Google.Protobuf;

namespace Edge.Testing;

/// <summary>
/// Tiny ONNX classifiers built in code: a fixed linear map of the flattened input ([batch, c, h, w] → [batch, classes]),
/// optionally followed by Softmax or LogSoftmax, so tests can have the same model as logits, probabilities and
/// log-probabilities, and compute its answers by hand.
/// </summary>
public static class TinyOnnx
{
    /// <summary>The weights: w[k, i] = sin(0.37·(k·features + i) + seed), small and distinct.</summary>
    public static float[] Weights(int features, int classes, int seed = 0) =>
        [.. Enumerable.Range(0, features * classes).Select(j => (float)(Math.Sin(0.37 * j + seed) * 0.5))];

    /// <summary>Logits the linear model computes for one flattened sample, in double.</summary>
    public static double[] Logits(ReadOnlySpan<float> sample, int classes, int seed = 0)
    {
        int features = sample.Length;
        var w = Weights(features, classes, seed);
        var z = new double[classes];
        for (int k = 0; k < classes; k++)
            for (int i = 0; i < features; i++) z[k] += (double)w[k * features + i] * sample[i];
        return z;
    }

    public static void WriteLinear(string path, int c, int h, int w, int classes, OutputKind kind = OutputKind.Logits, int seed = 0,
        string inputName = "input", string outputName = "logits")
    {
        int features = c * h * w;
        var graph = new GraphProto { Name = "tiny-linear" };
        graph.Input.Add(Value(inputName, "batch", c, h, w));
        graph.Output.Add(Value(outputName, "batch", classes));
        graph.Initializer.Add(new TensorProto { Name = "shape", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 2 }, Int64Data = { -1, features } });
        var weights = new TensorProto { Name = "W", DataType = (int)TensorProto.Types.DataType.Float, Dims = { classes, features } };
        weights.FloatData.AddRange(Weights(features, classes, seed));
        graph.Initializer.Add(weights);
        graph.Node.Add(new NodeProto { OpType = "Reshape", Name = "flatten", Input = { inputName, "shape" }, Output = { "flat" } });
        string gemmOut = kind == OutputKind.Logits ? outputName : "z";
        graph.Node.Add(new NodeProto
        {
            OpType = "Gemm", Name = "fc", Input = { "flat", "W" }, Output = { gemmOut },
            Attribute = { new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 } },
        });
        if (kind != OutputKind.Logits)
            graph.Node.Add(new NodeProto
            {
                OpType = kind == OutputKind.Probabilities ? "Softmax" : "LogSoftmax", Name = "head", Input = { "z" }, Output = { outputName },
                Attribute = { new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 } },
            });
        var model = new ModelProto { IrVersion = 8, ProducerName = "edge-tests", Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 17 } } };
        File.WriteAllBytes(path, model.ToByteArray());
    }

    /// <summary>A package folder: the linear model and its manifest.</summary>
    public static ModelPackage Package(string folder, PreprocessSpec spec, int classes, OutputKind kind = OutputKind.Logits, int seed = 0,
        IReadOnlyList<string>? labels = null)
    {
        Directory.CreateDirectory(folder);
        string tmp = Path.Combine(Path.GetTempPath(), $"edge-tiny-{Guid.NewGuid():N}.onnx");
        string output = kind == OutputKind.Probabilities ? "prob" : "logits";
        WriteLinear(tmp, spec.Channels, spec.Height, spec.Width, classes, kind, seed, outputName: output);
        try
        {
            return ModelPackage.Write(folder, tmp, new ModelManifest
            {
                Name = Path.GetFileName(folder),
                Labels = labels ?? [.. Enumerable.Range(0, classes).Select(i => $"c{i}")],
                Input = new TensorSpec("input", [-1, spec.Channels, spec.Height, spec.Width]),
                Output = new OutputSpec(output, [-1, classes], Kind: kind),
                Preprocess = spec,
            });
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    private static ValueInfoProto Value(string name, string batch, params int[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batch });
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }
}
