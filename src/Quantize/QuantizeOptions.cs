using Edge.Core;
using Edge.Quantize.Calibration;

namespace Edge.Quantize;

/// <summary>Everything that decides how a model is quantized. Defaults: static QOperator, U8 activations, S8 per-channel weights, MinMax.</summary>
public sealed record QuantizeOptions
{
    public QuantizationMode Mode { get; init; } = QuantizationMode.StaticQOperator;

    public QuantType ActivationType { get; init; } = QuantType.UInt8;

    public QuantType WeightType { get; init; } = QuantType.Int8;

    /// <summary>One scale per output channel of Conv/Gemm/MatMul weights instead of one per tensor.</summary>
    public bool PerChannel { get; init; } = true;

    /// <summary>Activations centred on zero (zero point 0 for Int8, 128 for UInt8) instead of using their calibrated [min, max].</summary>
    public bool SymmetricActivations { get; init; }

    /// <summary>
    /// Node names or op types to leave in float (e.g. "Softmax", "/blocks.0/attn/MatMul"). A name that matches
    /// neither a node nor an op type of the model is an error, so typos do not pass silently.
    /// </summary>
    public IReadOnlyList<string> KeepInFloat { get; init; } = [];

    /// <summary>Op types to quantize; null means every op type the registry knows.</summary>
    public IReadOnlyList<string>? OpTypes { get; init; }

    /// <summary>Also quantize MatMul whose both inputs are activations (attention scores); off by default for accuracy.</summary>
    public bool QuantizeActivationMatMul { get; init; }

    /// <summary>In dynamic mode, also quantize Conv (ConvInteger); ONNX Runtime's ConvInteger is rarely faster than float Conv.</summary>
    public bool DynamicConv { get; init; }

    /// <summary>Drop a ReLU (or Clip at 0) that follows a quantized op: a zero point at the bottom of the range clamps exactly like it.</summary>
    public bool FoldActivations { get; init; } = true;

    /// <summary>
    /// Replace plain-op multi-head attention (MatMul/Split/Reshape/Transpose/Softmax...) by one com.microsoft
    /// Attention / MultiHeadAttention node before quantizing (see <see cref="Passes.AttentionFusion"/>): on a small
    /// vision transformer the per-node overhead of the unfused form costs more than int8 saves at batch 1.
    /// Null leaves attention as it is.
    /// </summary>
    public Passes.AttentionForm? FuseAttention { get; init; }

    /// <summary>
    /// Float graph rewrites (names from <see cref="Passes.GraphPassRegistry"/>) run in this order after attention
    /// fusion and before quantizing, e.g. "pointwise-conv-matmul" so 1x1 convs become int8 MatMuls.
    /// </summary>
    public IReadOnlyList<string> GraphPasses { get; init; } = [];

    /// <summary>
    /// Linear layers (MatMul with a constant weight whose result goes on in float) as com.microsoft QLinearConv 1x1
    /// on a channels-last view, with calibrated input and output ranges (<see cref="Ops.LinearAsQLinearConv"/>):
    /// ONNX Runtime runs a batch-1 token GEMM of that kernel on one thread, where its int8 GEMM kernels split even a
    /// 1-row product across threads at several µs per node. Calibrates in every mode; a layer without a calibrated
    /// range, or whose input rank is unknown, keeps the mode's own kernel. Not in QDQ form.
    /// </summary>
    public bool LinearsAsQLinearConv { get; init; }

    /// <summary>
    /// With <see cref="LinearsAsQLinearConv"/>: only layers whose batch-1 input has at most this many rows (tokens)
    /// take the QLinearConv form. ONNX Runtime keeps up to about 4 rows on one thread (measured: 16 rows split);
    /// beyond that the form only adds its quantize/dequantize/reshape nodes.
    /// </summary>
    public int QLinearConvMaxRows { get; init; } = 4;

    public CalibrationOptions Calibration { get; init; } = new();

    public bool IsStatic => Mode != QuantizationMode.Dynamic;

    /// <summary>Whether quantizing needs calibrated activation ranges: static modes, and dynamic with <see cref="LinearsAsQLinearConv"/>.</summary>
    public bool NeedsCalibration => IsStatic || LinearsAsQLinearConv;

    /// <summary>What needs the calibration, for error messages: the static mode, or the QLinearConv Linear form in dynamic mode.</summary>
    public string CalibratedForm => IsStatic ? Mode.ToString() : "Linear-as-QLinearConv";

    public void Validate()
    {
        if (!Enum.IsDefined(Mode)) throw new EdgeException($"unknown quantization mode {Mode}");
        if (!Enum.IsDefined(ActivationType) || !Enum.IsDefined(WeightType)) throw new EdgeException("unknown quantization type");
        Calibration.Validate();
        if (QLinearConvMaxRows < 1) throw new EdgeException($"QLinearConvMaxRows must be at least 1, got {QLinearConvMaxRows}");
        if (LinearsAsQLinearConv && Mode == QuantizationMode.StaticQdq)
            throw new EdgeException("Linear layers as QLinearConv is a QOperator/dynamic form; QDQ leaves kernel choice to ONNX Runtime");
        var passes = Passes.GraphPassRegistry.CreateDefault();
        foreach (string name in GraphPasses) passes.Get(name);
    }
}
