using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Onnx.Proto;
using Google.Protobuf;

namespace Edge.Core.Tests.Gate;

/// <summary>
/// Builds the deliberately broken candidates the gate must reject, from the real teacher: a package whose manifest
/// has wrong normalization constants, one whose weights carry seeded noise, one whose labels are shifted by one
/// class (in the manifest, or in the graph by rolling the final Gemm's rows). Also linked into bench/Gate.
/// </summary>
public static class BrokenCandidates
{
    public static ModelManifest TeacherManifest(string teacherOnnx)
    {
        var package = ModelPackage.Load(teacherOnnx);
        return package.Manifest;
    }

    /// <summary>The teacher itself as a package (the identical candidate).</summary>
    public static string Identical(string teacherOnnx, string folder) =>
        Write(folder, "identical", teacherOnnx, TeacherManifest(teacherOnnx) with { Name = "identical" });

    /// <summary>Same weights, but the manifest normalizes with mean 0.5 / std 0.25 instead of 0.2860 / 0.3530.</summary>
    public static string WrongNormalization(string teacherOnnx, string folder)
    {
        var manifest = TeacherManifest(teacherOnnx);
        return Write(folder, "wrong-norm", teacherOnnx, manifest with
        {
            Name = "wrong-norm",
            Preprocess = manifest.Preprocess with { Mean = [0.5f], Std = [0.25f] },
        });
    }

    /// <summary>The same model with a Softmax or LogSoftmax appended to its graph, its manifest saying so: a teacher of
    /// another output kind whose answers are the teacher's own.</summary>
    public static string WithOutputKind(string teacherOnnx, string folder, OutputKind kind)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(teacherOnnx));
        var graph = model.Graph;
        string logits = graph.Output[0].Name, head = kind == OutputKind.Probabilities ? "prob" : "log_prob";
        foreach (var node in graph.Node)
            for (int i = 0; i < node.Output.Count; i++)
                if (node.Output[i] == logits) node.Output[i] = "z";
        graph.Node.Add(new NodeProto
        {
            OpType = kind == OutputKind.Probabilities ? "Softmax" : "LogSoftmax", Name = "head", Input = { "z" }, Output = { head },
            Attribute = { new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 } },
        });
        graph.Output[0].Name = head;
        var manifest = TeacherManifest(teacherOnnx);
        string name = $"teacher-{OutputKinds.Name(kind)}";
        return WriteModel(folder, name, model, manifest with { Name = name, Output = manifest.Output with { Name = head, Kind = kind } });
    }

    /// <summary>Same model, labels rotated by one in the manifest (output i is declared to be class i + 1).</summary>
    public static string ShiftedLabelsInManifest(string teacherOnnx, string folder)
    {
        var manifest = TeacherManifest(teacherOnnx);
        var labels = manifest.Labels;
        return Write(folder, "shifted-labels", teacherOnnx, manifest with
        {
            Name = "shifted-labels",
            Labels = labels.Select((_, i) => labels[(i + labels.Count - 1) % labels.Count]).ToArray(),
        });
    }

    /// <summary>The graph itself predicts class c + 1 for class c: the rows of the final Gemm (weights and bias) are rolled by one.</summary>
    public static string ShiftedLabelsInGraph(string teacherOnnx, string folder)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(teacherOnnx));
        var gemm = model.Graph.Node.Last(n => n.OpType == "Gemm");
        int classes = 0;
        foreach (var name in gemm.Input.Skip(1))
        {
            var tensor = model.Graph.Initializer.Single(t => t.Name == name);
            float[] values = Floats(tensor);
            int rows = (int)tensor.Dims[0], cols = values.Length / rows;
            classes = rows;
            var rolled = new float[values.Length];
            for (int r = 0; r < rows; r++)
                Array.Copy(values, r * cols, rolled, ((r + 1) % rows) * cols, cols);
            SetFloats(tensor, rolled);
        }
        if (classes == 0) throw new InvalidOperationException("no Gemm initializers found");
        return WriteModel(folder, "shifted-graph", model, TeacherManifest(teacherOnnx) with { Name = "shifted-graph" });
    }

    /// <summary>Adds seeded Gaussian noise of <paramref name="relative"/> × each weight tensor's RMS to every conv/Gemm weight.</summary>
    public static string Perturbed(string teacherOnnx, string folder, double relative, int seed = 7)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(teacherOnnx));
        var random = new Random(seed);
        foreach (var tensor in model.Graph.Initializer.Where(t => t.DataType == (int)TensorProto.Types.DataType.Float && t.Dims.Count >= 2))
        {
            float[] values = Floats(tensor);
            double rms = Math.Sqrt(values.Average(v => (double)v * v));
            for (int i = 0; i < values.Length; i++)
            {
                double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
                double gaussian = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                values[i] += (float)(relative * rms * gaussian);
            }
            SetFloats(tensor, values);
        }
        string name = $"perturbed-{relative:0.###}";
        return WriteModel(folder, name, model, TeacherManifest(teacherOnnx) with { Name = name });
    }

    private static float[] Floats(TensorProto tensor)
    {
        if (tensor.RawData.Length > 0)
        {
            var values = new float[tensor.RawData.Length / 4];
            Buffer.BlockCopy(tensor.RawData.ToByteArray(), 0, values, 0, tensor.RawData.Length);
            return values;
        }
        return tensor.FloatData.ToArray();
    }

    private static void SetFloats(TensorProto tensor, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        tensor.FloatData.Clear();
        tensor.RawData = ByteString.CopyFrom(bytes);
    }

    private static string WriteModel(string folder, string name, ModelProto model, ModelManifest manifest)
    {
        string onnx = Path.Combine(folder, name + ".tmp.onnx");
        AtomicFile.WriteAllBytes(onnx, model.ToByteArray());
        string package = Write(folder, name, onnx, manifest);
        File.Delete(onnx);
        return package;
    }

    private static string Write(string folder, string name, string onnx, ModelManifest manifest)
    {
        string target = Path.Combine(folder, name);
        ModelPackage.Write(target, onnx, manifest with { ModelFile = "model.onnx", ModelSha256 = null, CreatedUtc = null, Producer = null });
        return target;
    }
}
