using System.Diagnostics;
using Edge.Quantize;
using Edge.Onnx;
using Edge.Onnx.Graph;
using Edge.Quantize.Passes;
using Edge.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Edge.Bench.Quantize;

/// <summary>
/// Diagnostic (`--op-threads`): per-node batch-1 cost of single op types at 1 and 2 intra-op threads, from chains
/// of 32 identical nodes on TinyViT-5M stage-2 sized tensors ([1, 4, 160], hidden 640). Shows which kernels hand
/// work to ONNX Runtime's second thread on inputs this small (docs/BENCHMARKS.md, quantizer round 4).
/// </summary>
internal static class OpThreadBench
{
    private const int Chain = 32;

    public static void Run()
    {
        var cases = new (string Name, Func<ModelProto> Build, bool Quantize)[]
        {
            ("MatMul fp32 160x640/640x160", () => Mlp(4), false),
            ("DynamicQuantizeMatMul 160x640/640x160", () => Mlp(4), true),
            ("MatMul fp32, 1 row", () => Mlp(1), false),
            ("DynamicQuantizeMatMul, 1 row", () => Mlp(1), true),
            ("QuantizeLinear + MatMulIntegerToFloat (per link)", () => StaticMlp(4), false),
            ("QuantizeLinear + MatMulIntegerToFloat, 1 row", () => StaticMlp(1), false),
            ("QLinearConv NHWC chain (u8 in/out)", () => QConvMlp(4, QConvLinks.Chained), false),
            ("QuantizeLinear + QLinearConv NHWC + DequantizeLinear", () => QConvMlp(4, QConvLinks.StaticQdq), false),
            ("DynamicQuantizeLinear + QLinearConv NHWC + DequantizeLinear", () => QConvMlp(4, QConvLinks.DynamicInput), false),
            ("QuantizeLinear + QLinearConv NHWC + DequantizeLinear, 1 row", () => QConvMlp(1, QConvLinks.StaticQdq), false),
            ("QLinearConv NHWC chain, 16 rows", () => QConvMlp(16, QConvLinks.Chained), false),
            ("Q + Unsqueeze + QLinearConv + DQ + Squeeze + Gelu", () => QConvMlp(4, QConvLinks.Realistic), false),
            ("same, 1 row", () => QConvMlp(1, QConvLinks.Realistic), false),
            ("same, 16 rows", () => QConvMlp(16, QConvLinks.Realistic), false),
            ("DynamicQuantizeMatMul + Gelu", () => Mlp(4, gelu: true), true),
            ("DynamicQuantizeMatMul + Gelu, 16 rows", () => Mlp(16, gelu: true), true),
            ("MatMul fp32 + Gelu", () => Mlp(4, gelu: true), false),
            ("MatMul fp32, 16 rows", () => Mlp(16), false),
            ("DynamicQuantizeMatMul, 16 rows", () => Mlp(16), true),
            ("MatMulNBits 8-bit, block 32, acc 0", () => NBitsMlp(4, 0), false),
            ("MatMulNBits 8-bit, block 32, acc 4", () => NBitsMlp(4, 4), false),
            ("MatMulNBits 8-bit, acc 4, 1 row", () => NBitsMlp(1, 4), false),
            ("LayerNormalization [1,4,160]", () => Unary("LayerNormalization", 4), false),
            ("LayerNormalization [1,1,160]", () => Unary("LayerNormalization", 1), false),
            ("Gelu [1,4,160]", () => Unary("Gelu", 4), false),
            ("Add [1,4,160]", () => Unary("Add", 4), false),
            ("QuantizeLinear + DequantizeLinear [1,4,160] (per pair)", () => Unary("QDQ", 4), false),
            ("Reshape [1,4,160] ↔ [1,4,1,160] (per pair)", () => Unary("ReshapePair", 4), false),
        };
        Console.WriteLine("| op (32 chained nodes) | µs per node, 1 thread | µs per node, 2 threads | extra per node |");
        Console.WriteLine("| --- | --- | --- | --- |");
        foreach (var (name, build, quantize) in cases)
        {
            var model = build();
            if (quantize) model = OnnxQuantizer.QuantizeModel(model, new QuantizeOptions { Mode = QuantizationMode.Dynamic }, null).Model;
            var bytes = model.ToByteArray();
            long rows = model.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue;
            double t1 = Time(bytes, rows, 1), t2 = Time(bytes, rows, 2);
            Console.WriteLine($"| {name} | {t1 / Chain:F2} | {t2 / Chain:F2} | {(t2 - t1) / Chain:+0.00;-0.00} |");
        }
    }

    /// <summary>Median µs of 1,500 back-to-back runs after 200 warm-ups.</summary>
    private static double Time(byte[] model, long rows, int threads)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "1");
        using var session = new InferenceSession(model, options);
        var x = new float[rows * 160];
        for (int i = 0; i < x.Length; i++) x[i] = MathF.Sin(i) * 0.5f;
        using var value = OrtValue.CreateTensorValueFromMemory(x, [1, rows, 160]);
        using var runOptions = new RunOptions();
        string input = session.InputMetadata.Keys.First(), output = session.OutputMetadata.Keys.First();
        var times = new double[1500];
        for (int i = -200; i < times.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            using var r = session.Run(runOptions, [input], [value], [output]);
            if (i >= 0) times[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
        Array.Sort(times);
        return times[times.Length / 2];
    }

    private static ModelProto Mlp(long rows, bool gelu = false)
    {
        var g = NewGraph(rows, out string x);
        var rng = new Random(3);
        for (int i = 0; i < Chain; i++)
        {
            bool up = i % 2 == 0;
            long k = up ? 160 : 640, n = up ? 640 : 160;
            var w = new float[k * n];
            for (int j = 0; j < w.Length; j++) w[j] = (float)(rng.NextDouble() - 0.5) * 0.1f;
            g.Initializer.Add(Tensors.Float($"w{i}", [k, n], w));
            string y = i == Chain - 1 ? "y" : $"t{i}";
            if (gelu)
            {
                g.Node.Add(Node("MatMul", $"mm{i}", [x, $"w{i}"], [$"m{i}"]));
                g.Node.Add(Node("Gelu", $"gelu{i}", [$"m{i}"], [y]));
            }
            else g.Node.Add(Node("MatMul", $"mm{i}", [x, $"w{i}"], [y]));
            x = y;
        }
        return Wrap(g);
    }

    /// <summary>The static int8 form of <see cref="Mlp"/>: QuantizeLinear (fixed scale) → com.microsoft MatMulIntegerToFloat.</summary>
    private static ModelProto StaticMlp(long rows)
    {
        var g = NewGraph(rows, out string x);
        var rng = new Random(3);
        g.Initializer.Add(Tensors.Float("a_scale", [], [0.02f]));
        g.Initializer.Add(new TensorProto { Name = "a_zp", DataType = (int)TensorProto.Types.DataType.Uint8, RawData = ByteString.CopyFrom(128) });
        for (int i = 0; i < Chain; i++)
        {
            bool up = i % 2 == 0;
            long k = up ? 160 : 640, n = up ? 640 : 160;
            AddInt8Weight(g, i, [k, n], n, rng);
            string q = $"q{i}", y = i == Chain - 1 ? "y" : $"t{i}";
            g.Node.Add(Node("QuantizeLinear", $"ql{i}", [x, "a_scale", "a_zp"], [q]));
            var mm = Node("MatMulIntegerToFloat", $"mitf{i}", [q, $"w{i}", "a_scale", $"ws{i}", "a_zp", $"wz{i}"], [y]);
            mm.Domain = "com.microsoft";
            g.Node.Add(mm);
            x = y;
        }
        var m = Wrap(g);
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        return m;
    }

    /// <summary>Random int8 weight w{i} of <paramref name="dims"/>, per-channel scales ws{i} and zero points wz{i} over <paramref name="channels"/>.</summary>
    private static void AddInt8Weight(GraphProto g, int i, long[] dims, long channels, Random rng)
    {
        var w = new byte[dims.Aggregate(1L, (a, b) => a * b)];
        for (int j = 0; j < w.Length; j++) w[j] = unchecked((byte)(sbyte)rng.Next(-100, 100));
        g.Initializer.Add(Tensors.Bytes($"w{i}", QuantType.Int8.ToOnnx(), dims, w));
        g.Initializer.Add(Tensors.Float($"ws{i}", [channels], Enumerable.Repeat(0.001f, (int)channels).ToArray()));
        g.Initializer.Add(Tensors.Bytes($"wz{i}", QuantType.Int8.ToOnnx(), [channels], new byte[channels]));
    }

    private enum QConvLinks { Chained, StaticQdq, DynamicInput, Realistic }

    /// <summary>
    /// The Linear layers as com.microsoft QLinearConv 1x1 on channels-last [1, rows, 1, C]: that kernel splits its work
    /// by output pixels in chunks of at least 64K multiply-adds, so a few rows stay on one thread.
    /// </summary>
    private static ModelProto QConvMlp(long rows, QConvLinks links)
    {
        var g = NewGraph(rows, out string x);
        var rng = new Random(3);
        g.Initializer.Add(Tensors.Float("a_scale", [], [0.02f]));
        g.Initializer.Add(new TensorProto { Name = "a_zp", DataType = (int)TensorProto.Types.DataType.Uint8, RawData = ByteString.CopyFrom(128) });
        g.Initializer.Add(Tensors.Int64("nhwc", [4], [1, rows, 1, -1]));
        g.Initializer.Add(Tensors.Int64("ntc", [3], [1, rows, -1]));
        g.Initializer.Add(Tensors.Int64("axis2", [1], [2]));
        if (links != QConvLinks.Realistic) { g.Node.Add(Node("Reshape", "to4d", [x, "nhwc"], ["x4"])); x = "x4"; }
        if (links == QConvLinks.Chained) { g.Node.Add(Node("QuantizeLinear", "q_in", [x, "a_scale", "a_zp"], ["xq"])); x = "xq"; }
        for (int i = 0; i < Chain; i++)
        {
            bool up = i % 2 == 0;
            long k = up ? 160 : 640, n = up ? 640 : 160;
            AddInt8Weight(g, i, [n, k, 1, 1], n, rng);
            string xq = x, xs = "a_scale", xz = "a_zp";
            if (links == QConvLinks.StaticQdq) { xq = $"q{i}"; g.Node.Add(Node("QuantizeLinear", $"ql{i}", [x, "a_scale", "a_zp"], [xq])); }
            if (links == QConvLinks.Realistic)
            {
                g.Node.Add(Node("QuantizeLinear", $"ql{i}", [x, "a_scale", "a_zp"], [$"q3_{i}"]));
                xq = $"q{i}";
                g.Node.Add(Node("Unsqueeze", $"unsq{i}", [$"q3_{i}", "axis2"], [xq]));
            }
            if (links == QConvLinks.DynamicInput)
            {
                xq = $"q{i}"; xs = $"qs{i}"; xz = $"qz{i}";
                g.Node.Add(Node("DynamicQuantizeLinear", $"dql{i}", [x], [xq, xs, xz]));
            }
            string yq = links == QConvLinks.Chained ? $"t{i}" : $"yq{i}";
            var conv = Node("QLinearConv", $"qconv{i}", [xq, xs, xz, $"w{i}", $"ws{i}", $"wz{i}", "a_scale", "a_zp"], [yq]);
            conv.Domain = "com.microsoft";
            conv.Attribute.Add(new AttributeProto { Name = "channels_last", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            g.Node.Add(conv);
            x = yq;
            if (links == QConvLinks.Realistic)
            {
                g.Node.Add(Node("DequantizeLinear", $"dq{i}", [yq, "a_scale", "a_zp"], [$"d{i}"]));
                g.Node.Add(Node("Squeeze", $"sq{i}", [$"d{i}", "axis2"], [$"s{i}"]));
                string o = i == Chain - 1 ? "y" : $"t{i}";
                g.Node.Add(Node("Gelu", $"gelu{i}", [$"s{i}"], [o]));
                x = o;
            }
            else if (links != QConvLinks.Chained) { g.Node.Add(Node("DequantizeLinear", $"dq{i}", [yq, "a_scale", "a_zp"], [$"t{i}"])); x = $"t{i}"; }
        }
        if (links == QConvLinks.Realistic)
        {
            var mr = Wrap(g);
            mr.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
            return mr;
        }
        if (links == QConvLinks.Chained) { g.Node.Add(Node("DequantizeLinear", "dq_out", [x, "a_scale", "a_zp"], ["yf"])); x = "yf"; }
        g.Node.Add(Node("Reshape", "to3d", [x, "ntc"], ["y"]));
        var m = Wrap(g);
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        return m;
    }

    /// <summary>com.microsoft MatMulNBits with 8-bit blockwise weights (float activations; accuracy level 4 computes in int8).</summary>
    private static ModelProto NBitsMlp(long rows, long accuracy)
    {
        const long block = 32;
        var g = NewGraph(rows, out string x);
        var rng = new Random(3);
        for (int i = 0; i < Chain; i++)
        {
            bool up = i % 2 == 0;
            long k = up ? 160 : 640, n = up ? 640 : 160, blocks = k / block;
            var w = new byte[n * blocks * block];
            for (int j = 0; j < w.Length; j++) w[j] = (byte)rng.Next(28, 228);
            var wt = new TensorProto { Name = $"w{i}", DataType = (int)TensorProto.Types.DataType.Uint8, RawData = ByteString.CopyFrom(w) };
            wt.Dims.AddRange([n, blocks, block]);
            g.Initializer.Add(wt);
            g.Initializer.Add(Tensors.Float($"ws{i}", [n * blocks], Enumerable.Repeat(0.001f, (int)(n * blocks)).ToArray()));
            string y = i == Chain - 1 ? "y" : $"t{i}";
            var mm = Node("MatMulNBits", $"mnb{i}", [x, $"w{i}", $"ws{i}"], [y]);
            mm.Domain = "com.microsoft";
            foreach (var (name, v) in new[] { ("K", k), ("N", n), ("bits", 8L), ("block_size", block), ("accuracy_level", accuracy) })
                mm.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v });
            g.Node.Add(mm);
            x = y;
        }
        var m = Wrap(g);
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        return m;
    }

    private static ModelProto Unary(string op, long rows)
    {
        var g = NewGraph(rows, out string x);
        g.Initializer.Add(Tensors.Float("gamma", [160], Enumerable.Repeat(1f, 160).ToArray()));
        g.Initializer.Add(Tensors.Float("beta", [160], new float[160]));
        g.Initializer.Add(Tensors.Float("q_scale", [], [0.02f]));
        g.Initializer.Add(new TensorProto { Name = "q_zp", DataType = (int)TensorProto.Types.DataType.Uint8, RawData = ByteString.CopyFrom(128) });
        g.Initializer.Add(Tensors.Int64("to4", [4], [1, -1, 1, 160]));
        g.Initializer.Add(Tensors.Int64("to3", [3], [-1, rows, 160]));
        for (int i = 0; i < Chain; i++)
        {
            string y = i == Chain - 1 ? "y" : $"t{i}";
            if (op is "QDQ" or "ReshapePair")
            {
                // A pair per link with a float Add between, so ONNX Runtime cannot cancel the pair away.
                var (first, second) = op == "QDQ" ? ("QuantizeLinear", "DequantizeLinear") : ("Reshape", "Reshape");
                string[] in1 = op == "QDQ" ? [x, "q_scale", "q_zp"] : [x, "to4"];
                g.Node.Add(Node(first, $"a{i}", in1, [$"p{i}"]));
                string[] in2 = op == "QDQ" ? [$"p{i}", "q_scale", "q_zp"] : [$"p{i}", "to3"];
                g.Node.Add(Node(second, $"b{i}", in2, [$"r{i}"]));
                g.Node.Add(Node("Add", $"n{i}", [$"r{i}", "beta"], [y]));
            }
            else
            {
                string[] inputs = op switch { "LayerNormalization" => [x, "gamma", "beta"], "Add" => [x, "beta"], _ => [x] };
                g.Node.Add(Node(op, $"n{i}", inputs, [y]));
            }
            x = y;
        }
        return Wrap(g);
    }

    private static GraphProto NewGraph(long rows, out string input)
    {
        var g = new GraphProto { Name = "op-threads" };
        var shape = new TensorShapeProto();
        foreach (long d in new long[] { 1, rows, 160 }) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        g.Input.Add(new ValueInfoProto { Name = "x", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } });
        g.Output.Add(new ValueInfoProto { Name = "y", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        input = "x";
        return g;
    }

    private static NodeProto Node(string op, string name, string[] inputs, string[] outputs)
    {
        var n = new NodeProto { OpType = op, Name = name };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        return n;
    }

    private static ModelProto Wrap(GraphProto g)
    {
        var m = new ModelProto { IrVersion = 8, ProducerName = "edge-bench", Graph = g };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 20 });
        return m;
    }
}
