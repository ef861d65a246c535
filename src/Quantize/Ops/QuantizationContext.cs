using Edge.Quantize.Calibration;

namespace Edge.Quantize.Ops;

/// <summary>
/// The graph being rewritten, shared by all op quantizers: the source graph (read through the toolkit's
/// <see cref="GraphIndex"/>: initializers, producers, consumers, fresh names), calibrated ranges, the int8 form of
/// each tensor produced so far, and the nodes emitted. Quantized tensors are reused, so a chain of int8 ops shares one
/// QuantizeLinear at its start and one DequantizeLinear at its end.
/// </summary>
public sealed class QuantizationContext
{
    private readonly GraphIndex _index;
    private readonly Dictionary<string, QuantizedTensor> _quantized = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, int), QuantizedWeight> _weights = new();
    private readonly HashSet<NodeProto> _folded = GraphIndex.NodeSet();
    private readonly Func<NodeProto, bool> _keepFloat;
    private readonly Dictionary<string, TensorProto> _initializers;

    internal QuantizationContext(GraphProto graph, QuantizeOptions options, TensorRangeSet? ranges, bool perAxisDq, Func<NodeProto, bool> keepFloat)
    {
        Options = options;
        Ranges = ranges;
        PerAxisDequantize = perAxisDq;
        _keepFloat = keepFloat;
        _index = new GraphIndex(graph);
        // New constants (a transposed weight) are registered here too, so quantizers look them up like the originals.
        _initializers = _index.Initializers;
        OriginalInitializerNames.UnionWith(_initializers.Keys);
    }

    public QuantizeOptions Options { get; }

    /// <summary>The model's default-domain opset (MaxPool runs on int8 from 12 on).</summary>
    public long OnnxOpset { get; init; }
    public QuantizationMode Mode => Options.Mode;
    public bool IsQdq => Mode == QuantizationMode.StaticQdq;
    public TensorRangeSet? Ranges { get; }

    /// <summary>Batch-1 shapes of the graph's float tensors (<see cref="ShapeProbe"/>), when a quantizer needs ranks; else null.</summary>
    public IReadOnlyDictionary<string, long[]>? Shapes { get; init; }

    /// <summary>DequantizeLinear with an axis needs opset 13; older models get per-tensor weights in QDQ form.</summary>
    public bool PerAxisDequantize { get; }

    public List<NodeProto> Emitted { get; } = [];
    public List<TensorProto> NewInitializers { get; } = [];
    public List<float> ActivationScales { get; } = [];
    public List<float> WeightScales { get; } = [];
    internal IReadOnlyCollection<NodeProto> Folded => _folded;
    internal HashSet<string> OriginalInitializerNames { get; } = new(StringComparer.Ordinal);
    internal IReadOnlyDictionary<string, QuantizedTensor> QuantizedTensors => _quantized;

    public bool IsFolded(NodeProto node) => _folded.Contains(node);

    public string Unique(string baseName) => _index.Unique(baseName);

    public void Emit(NodeProto node) => Emitted.Add(node);

    public NodeProto Node(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, string domain = "")
    {
        var n = Nodes.Create(opType, Unique(name), inputs, outputs, domain);
        Emit(n);
        return n;
    }

    public TensorProto? Initializer(string name) => _initializers.TryGetValue(name, out var t) ? t : null;

    public bool IsFloatConstant(string name) => _index.IsFloatConstant(name);

    public IReadOnlyList<NodeProto> Consumers(string tensor) => _index.Consumers(tensor);

    public NodeProto? Producer(string tensor) => _index.Producer(tensor);

    public bool IsGraphOutput(string tensor) => _index.IsGraphOutput(tensor);

    public bool IsQuantized(string tensor) => _quantized.ContainsKey(tensor);

    public QuantizedTensor? Quantized(string tensor) => _quantized.GetValueOrDefault(tensor);

    public bool HasRange(string tensor) => Ranges is not null && Ranges.TryGet(tensor, out _);

    /// <summary>True if <paramref name="tensor"/> already has, or can get, an int8 form.</summary>
    public bool CanQuantizeActivation(string tensor) =>
        IsQuantized(tensor) || IsFloatConstant(tensor) || HasRange(tensor);

    public bool KeepsFloat(NodeProto node) => _keepFloat(node);

    public QuantParams ActivationParams(float min, float max) =>
        QuantParams.FromRange(min, max, Options.ActivationType, Options.SymmetricActivations);

    /// <summary>The int8 form of an activation (or a float constant used like one), adding a QuantizeLinear if needed.</summary>
    public QuantizedTensor QuantizeActivation(string tensor)
    {
        if (_quantized.TryGetValue(tensor, out var existing)) return existing;
        QuantizedTensor qt;
        if (IsFloatConstant(tensor))
        {
            float[] values = Tensors.ToFloats(_initializers[tensor]);
            float min = values.Length == 0 ? 0 : values.Min(), max = values.Length == 0 ? 0 : values.Max();
            var p = QuantParams.FromRange(min, max, Options.ActivationType, symmetric: false);
            var (scale, zp) = AddParams(tensor, p);
            var bytes = new byte[values.Length];
            for (int i = 0; i < values.Length; i++) bytes[i] = unchecked((byte)p.Quantize(values[i]));
            string qName = Unique(tensor + "_quantized");
            NewInitializers.Add(Tensors.Bytes(qName, p.Type.ToOnnx(), _initializers[tensor].Dims, bytes));
            qt = new QuantizedTensor(tensor, qName, scale, zp, p, IsQdq ? Unique(tensor + "_dequantized") : tensor);
        }
        else
        {
            if (Ranges is null || !Ranges.TryGet(tensor, out var range))
                throw new InvalidOperationException($"no calibrated range for '{tensor}' (an op quantizer skipped its precondition check)");
            var p = ActivationParams(range.Min, range.Max);
            var (scale, zp) = AddParams(tensor, p);
            string qName = Unique(tensor + "_quantized");
            Node("QuantizeLinear", tensor + "_QuantizeLinear", [tensor, scale, zp], [qName]);
            ActivationScales.Add(p.Scale);
            qt = new QuantizedTensor(tensor, qName, scale, zp, p, IsQdq ? Unique(tensor + "_dequantized") : tensor);
        }
        _quantized[tensor] = qt;
        return qt;
    }

    /// <summary>
    /// Decides the int8 form of a quantized op's output: if its only consumer is a ReLU (or Clip at 0) that may
    /// be folded, the op takes over the ReLU's output name and range. Null when no range is known.
    /// </summary>
    public OutputPlan? PlanOutput(string output)
    {
        if (Options.FoldActivations && !IsGraphOutput(output) && Consumers(output) is [var next]
            && IsFoldableActivation(next) && next.Output.Count == 1 && Ranges is not null
            && Ranges.TryGet(next.Output[0], out var foldedRange))
        {
            var p = ActivationParams(foldedRange.Min, foldedRange.Max);
            if (p.ClampsAtZero) return new OutputPlan(next.Output[0], p, next);
        }
        if (Ranges is null || !Ranges.TryGet(output, out var range)) return null;
        return new OutputPlan(output, ActivationParams(range.Min, range.Max), null);
    }

    /// <summary>
    /// The constant bias of an Add that is the only consumer of <paramref name="output"/> and adds N values along
    /// the last axis (a Linear layer exported as MatMul + Add); the Add is then folded into the producer.
    /// </summary>
    public (string Bias, NodeProto Add)? TakeBiasAdd(string output, long n)
    {
        var found = PeekBiasAdd(output, n);
        if (found is { } f) _folded.Add(f.Add);
        return found;
    }

    /// <summary>As <see cref="TakeBiasAdd"/>, without folding the Add.</summary>
    public (string Bias, NodeProto Add)? PeekBiasAdd(string output, long n)
    {
        if (IsGraphOutput(output) || Consumers(output) is not [var add] || add.OpType != "Add" || KeepsFloat(add) || add.Output.Count != 1)
            return null;
        string other = add.Input[0] == output ? add.Input[1] : add.Input[0];
        if (add.Input[0] == add.Input[1] || !IsFloatConstant(other)) return null;
        var t = _initializers[other];
        if (Tensors.ElementCount(t) != n || t.Dims.Count == 0 || t.Dims[^1] != n) return null;
        return (other, add);
    }

    private static readonly HashSet<string> Int8Compute = ["Conv", "MatMul", "Gemm", "Add", "Mul", "GlobalAveragePool", "AveragePool", "Sigmoid", "HardSigmoid", "HardSwish", "Concat"];
    private static readonly HashSet<string> Int8Movement = ["MaxPool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Relu", "Clip"];
    /// <summary>Ops whose output is int8 whenever their input is (static modes): an Add/Mul reading one of them pays off in int8.</summary>
    private static readonly HashSet<string> Int8Producers = ["Conv", "Relu", "MaxPool", "Sigmoid", "HardSigmoid", "HardSwish", "Clip", "GlobalAveragePool"];

    /// <summary>
    /// Whether some consumer of <paramref name="tensor"/> (looking through reshapes and pools) would run in int8,
    /// so an int8 output pays off; if all consumers are float, an op is better off writing float directly.
    /// </summary>
    public bool FeedsInt8(string tensor, int depth = 0)
    {
        if (depth > 6) return false;
        foreach (var c in Consumers(tensor))
        {
            if (KeepsFloat(c) || (Options.OpTypes is { } ops && !ops.Contains(c.OpType))) continue;
            if (c.OpType is "Add" or "Mul")
            {
                // An elementwise op pays off in int8 only when its other operand is int8 too (a CNN residual);
                // a transformer residual comes from float LayerNorm / attention and stays float.
                string other = c.Input[0] == tensor ? c.Input[1] : c.Input[0];
                // With a constant (a bias, GELU's 0.5) it is int8 only if its own result goes on in int8.
                if (IsFloatConstant(other)) { if (c.Output.Count == 1 && FeedsInt8(c.Output[0], depth + 1)) return true; continue; }
                if (IsQuantized(other) || (Producer(other) is { } p && Int8Producers.Contains(p.OpType))) return true;
                continue;
            }
            if (Int8Compute.Contains(c.OpType)) return true;
            if (Int8Movement.Contains(c.OpType) && c.Input[0] == tensor && c.Output.Count == 1 && FeedsInt8(c.Output[0], depth + 1)) return true;
        }
        return false;
    }

    private bool IsFoldableActivation(NodeProto node)
    {
        if (KeepsFloat(node)) return false;
        if (node.OpType == "Relu") return true;
        if (node.OpType != "Clip") return false;
        // Clip(min = 0, max): the calibrated range of its output already ends at max.
        float? min = node.Attribute.FirstOrDefault(a => a.Name == "min")?.F;
        if (node.Input.Count > 1 && node.Input[1].Length > 0)
            min = IsFloatConstant(node.Input[1]) ? Tensors.ToFloats(_initializers[node.Input[1]]).Single() : null;
        return min == 0f;
    }

    /// <summary>
    /// Registers an op's int8 output and returns the tensor name the op must write: the int8 tensor in
    /// QOperator form, a float tensor followed by QuantizeLinear → DequantizeLinear in QDQ form.
    /// </summary>
    public string CommitOutput(OutputPlan plan)
    {
        if (plan.Folded is not null) _folded.Add(plan.Folded);
        var (scale, zp) = AddParams(plan.FloatName, plan.Params);
        ActivationScales.Add(plan.Params.Scale);
        string qName = Unique(plan.FloatName + "_quantized");
        _quantized[plan.FloatName] = new QuantizedTensor(plan.FloatName, qName, scale, zp, plan.Params, plan.FloatName);
        if (!IsQdq) return qName;
        string pre = Unique(plan.FloatName + "_prequant");
        Node("QuantizeLinear", plan.FloatName + "_QuantizeLinear", [pre, scale, zp], [qName]);
        return pre;
    }

    /// <summary>
    /// An int8 tensor with fixed parameters that no graph tensor stands for (a HardSwish's inner HardSigmoid, always in
    /// [0, 1]): registered under a fresh name, returned with the name the op must write (as <see cref="CommitOutput"/>).
    /// </summary>
    public (QuantizedTensor Tensor, string Write) CommitIntermediate(string baseName, QuantParams p)
    {
        string name = Unique(baseName);
        string write = CommitOutput(new OutputPlan(name, p, null));
        return (_quantized[name], write);
    }

    /// <summary>
    /// A scale tensor for <paramref name="x"/>'s integers read as <paramref name="factor"/> times its value: an op fed
    /// (integers, this scale, the same zero point) sees factor · x for free (HardSigmoid's slope inside QLinearAdd).
    /// </summary>
    public string ScaledScale(QuantizedTensor x, float factor)
    {
        if (!(factor > 0) || !float.IsFinite(factor)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "a scale factor must be positive and finite");
        string name = Unique(x.FloatName + "_scale_x" + factor.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture));
        NewInitializers.Add(Tensors.Float(name, [], [x.Params.Scale * factor]));
        return name;
    }

    /// <summary>A new float scalar constant (a HardSwish's 0.5), which <see cref="QuantizeActivation"/> then takes like any constant.</summary>
    public string ScalarConstant(string baseName, float value)
    {
        string name = Unique(baseName);
        var t = Tensors.Float(name, [], [value]);
        _initializers[name] = t;
        NewInitializers.Add(t);
        return name;
    }

    /// <summary>
    /// Makes <paramref name="output"/> an int8 tensor with the same parameters as <paramref name="source"/>
    /// (MaxPool, Reshape, Transpose, ...), returning the name the op must write (as <see cref="CommitOutput"/>).
    /// </summary>
    public string CommitAlias(string output, QuantizedTensor source)
    {
        string qName = Unique(output + "_quantized");
        _quantized[output] = new QuantizedTensor(output, qName, source.ScaleName, source.ZeroPointName, source.Params, output);
        if (!IsQdq) return qName;
        string pre = Unique(output + "_prequant");
        Node("QuantizeLinear", output + "_QuantizeLinear", [pre, source.ScaleName, source.ZeroPointName], [qName]);
        return pre;
    }

    /// <summary>Makes <paramref name="output"/> the very same int8 tensor as <paramref name="source"/> (a no-op such as a ReLU the zero point already applies).</summary>
    public void Alias(string output, QuantizedTensor source) =>
        _quantized[output] = source with { FloatName = output, DequantName = output };

    /// <summary>Int8 weight, symmetric, per-channel along <paramref name="axis"/> when enabled (axis -1: per-tensor).</summary>
    public QuantizedWeight QuantizeWeight(string name, int axis)
    {
        if (!Options.PerChannel || (IsQdq && !PerAxisDequantize)) axis = -1;
        return QuantizeWeightCore(name, axis, Options.WeightType);
    }

    /// <summary>Per-tensor weight of a given type (ConvInteger needs uint8).</summary>
    public QuantizedWeight QuantizeWeightAs(string name, QuantType type) => QuantizeWeightCore(name, -1, type);

    /// <summary>A float constant of a weight's bias shaped [1, M, 1, ...] to broadcast over an NC... output.</summary>
    public string ReshapedBias(string bias, int rank)
    {
        var t = _initializers[bias];
        float[] values = Tensors.ToFloats(t);
        var dims = new long[rank];
        Array.Fill(dims, 1L);
        dims[1] = values.Length;
        string name = Unique(bias + "_reshaped");
        NewInitializers.Add(Tensors.Float(name, dims, values));
        return name;
    }

    /// <summary>A new float constant holding the transpose of a 2-D constant.</summary>
    public string TransposedConstant(string name)
    {
        var t = _initializers[name];
        float[] v = Tensors.ToFloats(t);
        int rows = (int)t.Dims[0], cols = (int)t.Dims[1];
        var r = new float[v.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                r[j * rows + i] = v[i * cols + j];
        string outName = Unique(name + "_transposed");
        var tt = Tensors.Float(outName, [cols, rows], r);
        _initializers[outName] = tt;
        NewInitializers.Add(tt);
        return outName;
    }

    /// <summary>A new 1-D float constant of <paramref name="length"/> values: <paramref name="name"/> (broadcast) times <paramref name="factor"/>.</summary>
    public string ScaledConstant(string name, float factor, int length)
    {
        float[] v = Tensors.ToFloats(_initializers[name]);
        var r = new float[length];
        for (int i = 0; i < length; i++) r[i] = v[v.Length == 1 ? 0 : i] * factor;
        string outName = Unique(name + "_scaled");
        NewInitializers.Add(Tensors.Float(outName, [length], r));
        return outName;
    }

    private QuantizedWeight QuantizeWeightCore(string name, int axis, QuantType type)
    {
        if (_weights.TryGetValue((name + "|" + type, axis), out var cached)) return cached;
        var tensor = _initializers[name];
        float[] w = Tensors.ToFloats(tensor);
        long[] dims = tensor.Dims.ToArray();
        int channels = axis < 0 ? 1 : (int)dims[axis];
        long inner = 1;
        if (axis >= 0) for (int d = axis + 1; d < dims.Length; d++) inner *= dims[d];
        var scales = new float[channels];
        var zeroPoints = new int[channels];
        var bytes = new byte[w.Length];
        var mins = new float[channels];
        var maxs = new float[channels];
        Array.Fill(mins, float.PositiveInfinity);
        Array.Fill(maxs, float.NegativeInfinity);
        int Channel(long i) => axis < 0 ? 0 : (int)(i / inner % channels);
        for (long i = 0; i < w.Length; i++)
        {
            int c = Channel(i);
            mins[c] = Math.Min(mins[c], w[i]);
            maxs[c] = Math.Max(maxs[c], w[i]);
        }
        var ps = new QuantParams[channels];
        for (int c = 0; c < channels; c++)
        {
            // Int8 weights are symmetric (zero point 0), which ORT's u8s8 kernels need; UInt8 weights use their range.
            ps[c] = QuantParams.FromRange(float.IsInfinity(mins[c]) ? 0 : mins[c], float.IsInfinity(maxs[c]) ? 0 : maxs[c], type, symmetric: type == QuantType.Int8);
            scales[c] = ps[c].Scale;
            zeroPoints[c] = ps[c].ZeroPoint;
        }
        for (long i = 0; i < w.Length; i++) bytes[i] = unchecked((byte)ps[Channel(i)].Quantize(w[i]));
        string qName = Unique(name + "_quantized");
        string sName = Unique(name + "_scale");
        string zName = Unique(name + "_zero_point");
        NewInitializers.Add(Tensors.Bytes(qName, type.ToOnnx(), dims, bytes));
        long[] pdims = axis < 0 ? [] : [channels];
        NewInitializers.Add(Tensors.Float(sName, pdims, scales));
        NewInitializers.Add(Tensors.Bytes(zName, type.ToOnnx(), pdims, zeroPoints.Select(z => unchecked((byte)z)).ToArray()));
        WeightScales.AddRange(scales);
        var qw = new QuantizedWeight(name, qName, sName, zName, scales, axis, type, dims);
        _weights[(name + "|" + type, axis)] = qw;
        return qw;
    }

    /// <summary>
    /// A quantized 2-D MatMul weight [K, N] (scales per column) as a 1x1 conv weight [N, K, 1, 1] (scales per output
    /// channel): the same bytes transposed, sharing the scale and zero-point tensors.
    /// </summary>
    public string TransposedWeightAsConv(QuantizedWeight w)
    {
        var source = NewInitializers.First(t => t.Name == w.QuantName);
        byte[] q = source.RawData.ToByteArray();
        int k = (int)w.Dims[0], n = (int)w.Dims[1];
        var t = new byte[q.Length];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < n; j++)
                t[j * k + i] = q[i * n + j];
        string name = Unique(w.SourceName + "_conv_quantized");
        NewInitializers.Add(Tensors.Bytes(name, w.Type.ToOnnx(), [n, k, 1, 1], t));
        return name;
    }

    /// <summary>Reshape of <paramref name="input"/> to a constant <paramref name="shape"/> (-1 for the one batch-dependent size).</summary>
    public string ReshapeTo(string name, string input, long[] shape, string? output = null)
    {
        output ??= Unique(input + "_reshaped");
        string shapeName = Unique(name + "_shape");
        NewInitializers.Add(Tensors.Int64(shapeName, [shape.Length], shape));
        Node("Reshape", name, [input, shapeName], [output]);
        return output;
    }

    /// <summary>A float tensor read through DequantizeLinear from an int8 weight (QDQ form).</summary>
    public string DequantizeWeight(QuantizedWeight w)
    {
        string output = Unique(w.SourceName + "_dequantized");
        var dq = Node("DequantizeLinear", w.SourceName + "_DequantizeLinear", [w.QuantName, w.ScaleName, w.ZeroPointName], [output]);
        if (w.Axis >= 0) dq.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = w.Axis });
        return output;
    }

    /// <summary>
    /// Int32 bias with scale inputScale × weightScale[c] and zero point 0, as QLinearConv and QGemm expect;
    /// <paramref name="multiplier"/> folds Gemm's beta. In QDQ form returns the dequantized float tensor.
    /// </summary>
    public string QuantizeBias(string bias, float inputScale, QuantizedWeight w, int channels, float multiplier = 1f)
    {
        float[] b = Tensors.ToFloats(_initializers[bias]);
        if (b.Length == 1 && channels > 1) b = Enumerable.Repeat(b[0], channels).ToArray();
        var scales = new float[b.Length];
        var q = new int[b.Length];
        for (int c = 0; c < b.Length; c++)
        {
            float s = inputScale * w.Scales[w.Scales.Length == 1 ? 0 : c];
            scales[c] = s;
            double v = Math.Round(b[c] * multiplier / s, MidpointRounding.ToEven);
            q[c] = (int)Math.Clamp(v, int.MinValue, int.MaxValue);
        }
        string qName = Unique(bias + "_quantized");
        NewInitializers.Add(Tensors.Int32(qName, [b.Length], q));
        if (!IsQdq) return qName;
        bool perAxis = w.Axis >= 0 && PerAxisDequantize;
        string sName = Unique(bias + "_scale"), zName = Unique(bias + "_zero_point");
        NewInitializers.Add(Tensors.Float(sName, perAxis ? [b.Length] : [], perAxis ? scales : [scales[0]]));
        NewInitializers.Add(Tensors.Int32(zName, perAxis ? [b.Length] : [], new int[perAxis ? b.Length : 1]));
        string output = Unique(bias + "_dequantized");
        var dq = Node("DequantizeLinear", bias + "_DequantizeLinear", [qName, sName, zName], [output]);
        if (perAxis) dq.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        return output;
    }

    /// <summary>The input name an op reads: the int8 tensor in QOperator form, its dequantized float in QDQ form.</summary>
    public string Read(QuantizedTensor qt) => IsQdq ? qt.DequantName : qt.QuantName;

    public (string Scale, string ZeroPoint) AddParams(string tensor, QuantParams p)
    {
        string s = Unique(tensor + "_scale"), z = Unique(tensor + "_zero_point");
        NewInitializers.Add(Tensors.Float(s, [], [p.Scale]));
        NewInitializers.Add(Tensors.Bytes(z, p.Type.ToOnnx(), [], [unchecked((byte)p.ZeroPoint)]));
        return (s, z);
    }

}
