using Edge.Onnx.Graph;
using Edge.Onnx.Proto;
using Edge.Quantize;
using Edge.Quantize.Calibration;
using Google.Protobuf;

namespace Edge.Bench.Quantize;

/// <summary>
/// `--op-forms`: which int8 form of the mobile-CNN op patterns ONNX Runtime runs fastest. A stem conv and six MBConv blocks
/// (EfficientNet's: SiLU and a Sigmoid squeeze-excitation; MobileNetV3's: HardSwish and a HardSigmoid one; 8x8 maps,
/// 40 channels expanded to 240) are quantized in each form and timed against fp32 at batch 1 and 64, interleaved
/// (docs/BENCHMARKS.md, "Quantizer round 6").
/// </summary>
internal static class OpFormBench
{
    private const int Blocks = 6, Channels = 40, Expanded = 240, Side = 8;

    public static void Run(int threads, int rounds, int latencyRuns, int throughputRuns, string outDir)
    {
        Directory.CreateDirectory(outDir);
        long[] sample = [Channels, Side, Side];
        var rng = new Random(11);
        var data = new float[64 * Channels * Side * Side];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        var calibration = new CalibrationSource(sample, Enumerable.Range(0, 4).Select(b => data.AsSpan(b * 16 * Channels * Side * Side, 16 * Channels * Side * Side).ToArray()).ToList());
        foreach (var (family, build) in new (string, Func<ModelProto>)[] { ("EfficientNet MBConv (SiLU, Sigmoid SE)", () => Chain(hard: false)), ("MobileNetV3 block (HardSwish, HardSigmoid SE)", () => Chain(hard: true)) })
        {
            var model = build();
            string fp32 = Path.Combine(outDir, $"{(family.StartsWith("Eff") ? "mbconv" : "mnv3")}.onnx");
            File.WriteAllBytes(fp32, model.ToByteArray());
            var forms = new List<(string Name, string Path)> { ("fp32", fp32) };
            foreach (var (name, options) in Forms(model))
            {
                string path = Path.ChangeExtension(fp32, $".{name}.onnx");
                var report = OnnxQuantizer.Quantize(fp32, path, options, calibration);
                forms.Add((name, path));
                Console.WriteLine($"  {family} {name}: {report.Quantized.Count} quantized, {report.KeptInFloat.Count} float");
            }
            if (!family.StartsWith("Mob"))
            {
                string lookup = Path.ChangeExtension(fp32, ".int8-silu-lookup.onnx");
                int tables = SiluAsLookup(forms.First(f => f.Name == "int8").Path, lookup);
                forms.Add(("int8-silu-lookup", lookup));
                Console.WriteLine($"  {family} int8-silu-lookup: {tables} SiLUs as one Gather on a 256-entry table");
            }
            Time(family, forms, data, sample, threads, rounds, latencyRuns, throughputRuns);
        }
    }

    /// <summary>The forms compared: every op int8; the activations (and gates) float between int8 convs; the squeeze-excitation float; QDQ.</summary>
    private static IEnumerable<(string Name, QuantizeOptions Options)> Forms(ModelProto model)
    {
        var qop = new QuantizeOptions { Mode = QuantizationMode.StaticQOperator };
        string[] activations = ["Sigmoid", "Mul", "HardSwish", "HardSigmoid"];
        string[] se = model.Graph.Node.Where(n => n.Name.Contains("/se/")).Select(n => n.Name).ToArray();
        yield return ("int8", qop);
        yield return ("int8-activations-float", qop with { KeepInFloat = activations.Where(a => model.Graph.Node.Any(n => n.OpType == a)).ToArray() });
        yield return ("int8-se-float", qop with { KeepInFloat = se });
        yield return ("qdq", new QuantizeOptions { Mode = QuantizationMode.StaticQdq });
    }

    private static void Time(string family, List<(string Name, string Path)> forms, float[] data, long[] sample, int threads, int rounds, int latencyRuns, int throughputRuns)
    {
        var sessions = forms.Select(f => ModelMeasure.Open(f.Path, threads)).ToArray();
        var b1 = forms.Select(_ => new List<double>()).ToArray();
        var b64 = forms.Select(_ => new List<double>()).ToArray();
        for (int r = 0; r < rounds; r++)
        {
            // Batch-1 phase for every form, then batch-64 (see Program: a batch-64 burst leaves ORT's second thread awake).
            for (int v = 0; v < forms.Count; v++) b1[v].Add(Median(ModelMeasure.Batch1Times(sessions[v], data, sample, latencyRuns)));
            for (int v = 0; v < forms.Count; v++) b64[v].Add(ModelMeasure.Batch64Rates(sessions[v], data, sample, throughputRuns).Max());
        }
        Console.WriteLine();
        Console.WriteLine($"{family}, {Blocks} blocks, {threads} threads, {rounds} interleaved rounds (medians):");
        Console.WriteLine("| form | batch-1 ms | speed-up vs fp32 | batch-64 img/s | speed-up vs fp32 |");
        Console.WriteLine("| --- | --- | --- | --- | --- |");
        for (int v = 0; v < forms.Count; v++)
        {
            var up1 = b1[0].Zip(b1[v], (f, q) => f / q).ToList();
            var up64 = b64[v].Zip(b64[0], (q, f) => q / f).ToList();
            Console.WriteLine($"| {forms[v].Name} | {Median(b1[v]):F3} | {Median(up1):F2}x | {Median(b64[v]):F0} | {Median(up64):F2}x |");
        }
        foreach (var s in sessions) s.Dispose();
    }

    private static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        return s[s.Length / 2];
    }

    /// <summary>
    /// Replaces each QLinearSigmoid → QLinearMul(x, sigmoid) pair of an int8 model by one table lookup,
    /// Gather(table[256], Cast(x, int32)), the table holding quantize(x · sigmoid(x)) for every integer x.
    /// </summary>
    private static int SiluAsLookup(string int8Path, string outPath)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(int8Path));
        var graph = model.Graph;
        var index = new GraphIndex(graph);
        float Scalar(string name) => Tensors.ToFloats(index.Initializers[name])[0];
        int Zero(string name) => index.Initializers[name].RawData[0];
        var replace = GraphIndex.ReplacementMap();
        var remove = GraphIndex.NodeSet();
        foreach (var mul in graph.Node.Where(n => n.OpType == "QLinearMul").ToArray())
        {
            if (index.Producer(mul.Input[3]) is not { OpType: "QLinearSigmoid" } sig || sig.Input[0] != mul.Input[0] || index.Consumers(sig.Output[0]).Count != 1) continue;
            float sx = Scalar(mul.Input[1]), sy = Scalar(mul.Input[6]);
            int zx = Zero(mul.Input[2]), zy = Zero(mul.Input[7]);
            var table = new byte[256];
            for (int q = 0; q < 256; q++)
            {
                double x = sx * (q - zx), y = x / (1 + Math.Exp(-x));
                table[q] = (byte)Math.Clamp(Math.Round(y / sy, MidpointRounding.ToEven) + zy, 0, 255);
            }
            string tableName = index.Add(Tensors.Bytes(index.Unique(mul.Name + "/silu_table"), TensorProto.Types.DataType.Uint8, [256], table));
            string idx = index.Unique(mul.Input[0] + "_index");
            replace[mul] = [
                Nodes.Create("Cast", index.Unique(mul.Name + "/index"), [mul.Input[0]], [idx], "", Attr.Int("to", (int)TensorProto.Types.DataType.Int32)),
                Nodes.Create("Gather", index.Unique(mul.Name + "/lookup"), [tableName, idx], [mul.Output[0]]),
            ];
            remove.Add(sig);
        }
        GraphIndex.Splice(graph, replace, remove);
        File.WriteAllBytes(outPath, model.ToByteArray());
        return replace.Count;
    }

    /// <summary>Six blocks on [N, 40, 8, 8]; node names carry "/se/" inside the squeeze-excitation.</summary>
    private static ModelProto Chain(bool hard)
    {
        var g = new GraphProto { Name = hard ? "mnv3-blocks" : "mbconv-blocks" };
        var rng = new Random(5);
        int id = 0;
        string W(long[] dims, float std)
        {
            long n = dims.Aggregate(1L, (a, b) => a * b);
            var v = new float[n];
            for (long i = 0; i < n; i++) v[i] = (float)((rng.NextDouble() * 2 - 1) * std * 1.7);
            string name = $"w{id++}";
            g.Initializer.Add(Tensors.Float(name, dims, v));
            return name;
        }
        string Op(string scope, string op, string[] inputs, params AttributeProto[] attrs)
        {
            var node = Nodes.Create(op, $"{scope}/{op}_{id++}", inputs, [$"t{id++}"], "", attrs);
            g.Node.Add(node);
            return node.Output[0];
        }
        string Conv(string scope, string x, long cin, long cout, long k, long group = 1) =>
            Op(scope, "Conv", [x, W([cout, cin / group, k, k], 1f / MathF.Sqrt(cin / group * k * k)), W([cout], 0.05f)],
                Attr.Ints("kernel_shape", k, k), Attr.Ints("pads", k / 2, k / 2, k / 2, k / 2), Attr.Int("group", group));
        string Act(string scope, string x) => hard ? Op(scope, "HardSwish", [x]) : Op(scope, "Mul", [x, Op(scope, "Sigmoid", [x])]);

        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (long d in new long[] { Channels, Side, Side }) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        g.Input.Add(new ValueInfoProto { Name = "x", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } });
        // A stem conv first, as in the real networks: the first residual then reads a conv output, not the graph input
        // (an Add on the quantized graph input keeps ONNX Runtime's layout optimizer from moving the skip path to NHWC).
        string h = Act("stem", Conv("stem", "x", Channels, Channels, 3));
        for (int b = 0; b < Blocks; b++)
        {
            string s = $"block{b}";
            string e = Act(s, Conv(s, h, Channels, Expanded, 1));
            string d = Act(s, Conv(s, e, Expanded, Expanded, hard ? 5 : 3, Expanded));
            string se = s + "/se";
            long squeeze = hard ? 64 : 10;
            string pooled = Op(se, "GlobalAveragePool", [d]);
            string reduced = Conv(se, pooled, Expanded, squeeze, 1);
            reduced = hard ? Op(se, "Relu", [reduced]) : Op(se, "Mul", [reduced, Op(se, "Sigmoid", [reduced])]);
            string gate = Conv(se, reduced, squeeze, Expanded, 1);
            gate = hard ? Op(se, "HardSigmoid", [gate], Attr.Float("alpha", 1f / 6), Attr.Float("beta", 0.5f)) : Op(se, "Sigmoid", [gate]);
            string scaled = Op(se, "Mul", [d, gate]);
            h = Op(s, "Add", [h, Conv(s, scaled, Expanded, Channels, 1)]);
        }
        g.Output.Add(new ValueInfoProto { Name = h, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        var model = new ModelProto { IrVersion = 8, ProducerName = "edge-bench", Graph = g };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }
}
