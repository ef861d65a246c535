using Edge.Core;

namespace Edge.Quantize.Fp16;

/// <summary>What <see cref="Fp16Converter"/> did.</summary>
public sealed record Fp16Report(int InitializersConverted, int ConstantsConverted, IReadOnlyList<string> KeptFloat32, long InputBytes, long OutputBytes);

/// <summary>
/// Converts a float32 model to float16 for GPUs, keeping its float32 interface: a Cast after each float input
/// and before each float output, so callers feed and read float32 exactly as before. Inputs that ONNX
/// requires in float32 (Resize scales, ...) stay float32.
/// </summary>
public static class Fp16Converter
{
    private const int Float = (int)TensorProto.Types.DataType.Float;
    private const int Float16 = (int)TensorProto.Types.DataType.Float16;

    /// <summary>(op type, input index) pairs that must stay float32.</summary>
    private static readonly HashSet<(string, int)> Float32Inputs = [("Resize", 2), ("Upsample", 1), ("Range", 0), ("Range", 1), ("Range", 2)];

    public static Fp16Report Convert(string inputPath, string outputPath)
    {
        ModelFile.CheckDistinct(inputPath, outputPath);
        var source = ModelFile.Load(inputPath);
        var (model, report) = Convert(source);
        ModelFile.Save(model, outputPath);
        return report with { InputBytes = new FileInfo(inputPath).Length, OutputBytes = new FileInfo(outputPath).Length };
    }

    public static (ModelProto Model, Fp16Report Report) Convert(ModelProto source)
    {
        var floatInputs = ModelInputs.Feeds(source).Where(ModelInputs.IsFloat).ToArray();
        if (floatInputs.Length == 0)
            throw new EdgeException("the model has no float32 input: only float models can be converted to float16");
        var model = source.Clone();
        var graph = model.Graph;

        var keep32 = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            for (int i = 0; i < node.Input.Count; i++)
                if (Float32Inputs.Contains((node.OpType, i))) keep32.Add(node.Input[i]);

        int inits = 0, constants = 0;
        foreach (var t in graph.Initializer)
            if (t.DataType == Float && !keep32.Contains(t.Name)) { ToHalf(t); inits++; }
        foreach (var node in graph.Node)
        {
            if (node.OpType == "Constant" && node.Output.Count == 1 && !keep32.Contains(node.Output[0]))
                foreach (var a in node.Attribute)
                    if (a.Name == "value" && a.T is { } t && t.DataType == Float) { ToHalf(t); constants++; }
            if (node.OpType == "Cast")
                foreach (var a in node.Attribute)
                    if (a.Name == "to" && a.I == Float) a.I = Float16;
        }
        foreach (var v in graph.ValueInfo)
            if (v.Type?.TensorType is { } tt && tt.ElemType == Float && !keep32.Contains(v.Name)) tt.ElemType = Float16;

        // Boundaries: float32 in → Cast → float16 graph → Cast → float32 out, under the original names.
        var names = new HashSet<string>(graph.Node.SelectMany(n => n.Output).Concat(graph.Initializer.Select(i => i.Name)).Concat(graph.Input.Select(i => i.Name)), StringComparer.Ordinal);
        string Unique(string b) { string n = b; for (int i = 1; !names.Add(n); i++) n = $"{b}_{i}"; return n; }
        var newNodes = new List<NodeProto>();
        foreach (var input in floatInputs)
        {
            string half = Unique(input.Name + "_fp16");
            foreach (var node in graph.Node)
                for (int i = 0; i < node.Input.Count; i++)
                    if (node.Input[i] == input.Name) node.Input[i] = half;
            newNodes.Add(Cast(Unique(input.Name + "_to_fp16"), input.Name, half, Float16));
        }
        newNodes.AddRange(graph.Node);
        foreach (var output in graph.Output.Where(o => o.Type?.TensorType?.ElemType == Float))
        {
            string half = Unique(output.Name + "_fp16");
            foreach (var node in newNodes)
            {
                for (int i = 0; i < node.Output.Count; i++) if (node.Output[i] == output.Name) node.Output[i] = half;
                for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == output.Name) node.Input[i] = half;
            }
            newNodes.Add(Cast(Unique(output.Name + "_to_fp32"), half, output.Name, Float));
        }
        graph.Node.Clear();
        graph.Node.AddRange(newNodes);
        return (model, new Fp16Report(inits, constants, keep32.Order().ToArray(), 0, 0));
    }

    private static NodeProto Cast(string name, string input, string output, int to)
    {
        var n = new NodeProto { OpType = "Cast", Name = name };
        n.Input.Add(input);
        n.Output.Add(output);
        n.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = to });
        return n;
    }

    private static void ToHalf(TensorProto t)
    {
        float[] v = Tensors.ToFloats(t);
        var h = new Half[v.Length];
        for (int i = 0; i < v.Length; i++) h[i] = (Half)v[i];
        var converted = Tensors.Half(t.Name, t.Dims, h);
        t.ClearRawData();
        t.FloatData.Clear();
        t.DataType = Float16;
        t.RawData = converted.RawData;
    }
}
