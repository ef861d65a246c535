using Edge.Core;
using Edge.Quantize.Calibration;
using Edge.Quantize.Ops;
using Edge.Quantize.Passes;

namespace Edge.Quantize;

/// <summary>
/// Quantizes any float ONNX model to int8. The input file is never modified; the output is written atomically.
/// Nodes are visited in graph order and handed to the op quantizer registered for their type; a node with no
/// quantizer, on the keep-in-float list, or whose quantizer declines stays float, reading int8 tensors
/// through a DequantizeLinear added only where a float consumer needs one.
/// </summary>
public static class OnnxQuantizer
{
    /// <summary>Quantizes <paramref name="inputPath"/> into <paramref name="outputPath"/>; static modes calibrate on <paramref name="calibration"/>.</summary>
    public static QuantizeReport Quantize(string inputPath, string outputPath, QuantizeOptions options, ICalibrationSource? calibration = null)
    {
        options.Validate();
        ModelFile.CheckDistinct(inputPath, outputPath);
        var model = ModelFile.Load(inputPath);
        ModelInputs.SingleFloatInput(model);
        TensorRangeSet? ranges = null;
        if (options.NeedsCalibration)
        {
            if (calibration is null)
                throw new EdgeException($"{options.CalibratedForm} quantization needs a calibration set; pass one, or use Dynamic mode");
            ranges = Calibrate(model, options, calibration);
        }
        return Quantize(model, inputPath, outputPath, options, ranges);
    }

    /// <summary>Quantizes with ranges calibrated earlier (see <see cref="RangeCollector"/>), e.g. for many trials of a sensitivity search.</summary>
    public static QuantizeReport Quantize(string inputPath, string outputPath, QuantizeOptions options, TensorRangeSet? ranges)
    {
        options.Validate();
        ModelFile.CheckDistinct(inputPath, outputPath);
        var model = ModelFile.Load(inputPath);
        ModelInputs.SingleFloatInput(model);
        if (options.NeedsCalibration && ranges is null)
            throw new EdgeException($"{options.CalibratedForm} quantization needs calibrated ranges");
        return Quantize(model, inputPath, outputPath, options, ranges);
    }

    /// <summary>Rewrites <paramref name="model"/> in memory (a copy is taken) and returns it with the report.</summary>
    public static (ModelProto Model, QuantizeReport Report) QuantizeModel(ModelProto source, QuantizeOptions options, TensorRangeSet? ranges, OpQuantizerRegistry? registry = null)
    {
        options.Validate();
        if (options.Mode == QuantizationMode.Auto)
            throw new EdgeException("Auto mode is resolved by measuring (Speed.AutoQuantizer); pick Dynamic, StaticQdq or StaticQOperator here");
        registry ??= OpQuantizerRegistry.CreateDefault();
        var (model, fusedAttention, rewrites) = Rewrite(source, options);
        var graph = model.Graph;

        var keep = KeepMatcher(graph, options);
        long opset = ModelFile.DefaultOpset(model);
        var ctx = new QuantizationContext(graph, options, ranges, perAxisDq: opset >= 13, keep)
        {
            OnnxOpset = opset,
            Shapes = options.LinearsAsQLinearConv ? ShapeProbe.TryRun(model) : null,
        };
        var quantized = new List<QuantizedNode>();
        var kept = new List<FloatNode>();
        var opTypes = options.OpTypes is null ? null : new HashSet<string>(options.OpTypes, StringComparer.Ordinal);

        foreach (var node in graph.Node)
        {
            if (ctx.IsFolded(node))
            {
                quantized.Add(new QuantizedNode(node.Name, node.OpType, "fused into producer"));
                continue;
            }
            string? reason = null;
            if (keep(node)) reason = "on the keep-in-float list";
            else if (node.Domain is { Length: > 0 } d && d != "ai.onnx") reason = $"op domain {d}";
            else if (opTypes is not null && !opTypes.Contains(node.OpType)) reason = "op type not selected";
            else if (!registry.TryGet(node.OpType, out var quantizer)) reason = "no quantizer for this op type";
            else
            {
                var result = quantizer.Quantize(node, ctx);
                if (result.Quantized)
                {
                    quantized.Add(new QuantizedNode(node.Name, node.OpType, result.Detail));
                    continue;
                }
                reason = result.Detail;
            }
            ctx.Emit(node);
            kept.Add(new FloatNode(node.Name, node.OpType, reason));
        }

        Finish(model, ctx);
        var report = new QuantizeReport
        {
            Mode = options.Mode,
            ActivationType = options.ActivationType,
            WeightType = options.WeightType,
            PerChannel = options.PerChannel,
            CalibrationMethod = ranges?.Method.ToString(),
            CalibrationSamples = ranges?.Samples ?? 0,
            FusedAttention = fusedAttention,
            GraphPasses = rewrites,
            Quantized = quantized,
            KeptInFloat = kept,
            ActivationScales = ScaleSummary.Of(ctx.ActivationScales),
            // Weights and constants read as activations have no float tensor to compare with; the rest do.
            Activations = [.. ctx.QuantizedTensors.Values.Where(q => !ctx.IsFloatConstant(q.FloatName))
                .Select(q => new QuantizedActivation(q.FloatName, q.QuantName, q.Params.Scale, q.Params.ZeroPoint, q.Params.Type))],
            WeightScales = ScaleSummary.Of(ctx.WeightScales),
        };
        return (model, report);
    }

    /// <summary>
    /// The float graph the op quantizers see: a copy of <paramref name="source"/> with attention fused and the graph
    /// passes applied (all exact), every node named. Deterministic, so tensor names match between calls.
    /// </summary>
    public static (ModelProto Model, int FusedAttention, Dictionary<string, int> Rewrites) Rewrite(ModelProto source, QuantizeOptions options)
    {
        var model = source.Clone();
        int fusedAttention = options.FuseAttention is { } form ? new AttentionFusion(form).Apply(model) : 0;
        var passes = GraphPassRegistry.CreateDefault();
        var rewrites = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string name in options.GraphPasses)
            rewrites[name] = rewrites.GetValueOrDefault(name) + passes.Get(name).Apply(model);
        // Rewrites leave the weights they replaced behind; calibration and shape probing would carry (and warn about) them.
        if (fusedAttention > 0 || rewrites.Values.Any(v => v > 0)) new DeadNodeRemovalPass().Apply(model);
        var graph = model.Graph;
        for (int i = 0; i < graph.Node.Count; i++)
            if (string.IsNullOrEmpty(graph.Node[i].Name)) graph.Node[i].Name = $"{graph.Node[i].OpType}_{i}";
        return (model, fusedAttention, rewrites);
    }

    /// <summary>
    /// Activation ranges for quantizing <paramref name="source"/> with <paramref name="options"/>, collected on the
    /// rewritten graph (<see cref="Rewrite"/>), so tensors the passes create (a 1x1 conv turned MatMul) have ranges too.
    /// </summary>
    public static TensorRangeSet Calibrate(ModelProto source, QuantizeOptions options, ICalibrationSource calibration) =>
        RangeCollector.Collect(Rewrite(source, options).Model, calibration, options.Calibration);

    private static QuantizeReport Quantize(ModelProto model, string inputPath, string outputPath, QuantizeOptions options, TensorRangeSet? ranges)
    {
        var (quantized, report) = QuantizeModel(model, options, ranges);
        ModelFile.Save(quantized, outputPath);
        return report with
        {
            InputBytes = new FileInfo(inputPath).Length,
            OutputBytes = new FileInfo(outputPath).Length,
            OutputPath = Path.GetFullPath(outputPath),
        };
    }

    /// <summary>Node names or op types; an entry matching neither is an error rather than a silent no-op.</summary>
    private static Func<NodeProto, bool> KeepMatcher(GraphProto graph, QuantizeOptions options)
    {
        var set = new HashSet<string>(options.KeepInFloat, StringComparer.Ordinal);
        var unknown = set.Where(s => !graph.Node.Any(n => n.Name == s || n.OpType == s)).ToArray();
        if (unknown.Length > 0)
            throw new EdgeException($"keep-in-float entries match no node name or op type in the model: {string.Join(", ", unknown)}");
        return n => set.Contains(n.Name) || set.Contains(n.OpType);
    }

    /// <summary>Adds the DequantizeLinears float consumers need, sorts, and drops what nothing reads any more.</summary>
    private static void Finish(ModelProto model, QuantizationContext ctx)
    {
        var graph = model.Graph;
        var nodes = ctx.Emitted;
        var produced = new HashSet<string>(nodes.SelectMany(n => n.Output), StringComparer.Ordinal);
        produced.UnionWith(graph.Input.Select(i => i.Name));
        produced.UnionWith(graph.Initializer.Select(i => i.Name));
        var referenced = new HashSet<string>(nodes.SelectMany(n => n.Input), StringComparer.Ordinal);
        referenced.UnionWith(graph.Output.Select(o => o.Name));
        foreach (var qt in ctx.QuantizedTensors.Values.ToArray())
        {
            string target = ctx.IsQdq ? qt.DequantName : qt.FloatName;
            if (referenced.Contains(target) && produced.Add(target))
                ctx.Node("DequantizeLinear", target + "_DequantizeLinear", [qt.QuantName, qt.ScaleName, qt.ZeroPointName], [target]);
        }

        var available = graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(i => i.Name)).Concat(ctx.NewInitializers.Select(i => i.Name));
        var sorted = GraphSort.Topological(nodes, available);
        graph.Node.Clear();
        graph.Node.AddRange(sorted);

        var used = new HashSet<string>(sorted.SelectMany(n => n.Input), StringComparer.Ordinal);
        used.UnionWith(graph.Output.Select(o => o.Name));
        var initializers = graph.Initializer.Concat(ctx.NewInitializers).Where(t => used.Contains(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(initializers);
        var initNames = new HashSet<string>(initializers.Select(i => i.Name), StringComparer.Ordinal);
        var oldInits = ctx.OriginalInitializerNames;
        var inputs = graph.Input.Where(i => !oldInits.Contains(i.Name) || initNames.Contains(i.Name)).ToList();
        graph.Input.Clear();
        graph.Input.AddRange(inputs);

        GraphIndex.PruneValueInfo(graph);

        Nodes.ImportMsDomainIfUsed(model);
    }
}
