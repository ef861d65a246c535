using System.Buffers;
using Edge.Core;
using Edge.Core.Inference;
using Edge.Serve.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Edge.Serve.Inference;

/// <summary>
/// An ONNX model in ONNX Runtime with every input and output typed as the file declares it (any v2 datatype, any
/// number of inputs and outputs). Fixed-size inputs go to ONNX Runtime zero-copy from their bytes; outputs are copied
/// once into pooled buffers. One session per model version; <see cref="Run"/> is safe from many threads at once.
/// </summary>
public sealed class TensorSession : IDisposable
{
    /// <summary>
    /// A run whose inputs are larger than this returns the memory its activations took to the system afterwards
    /// (ONNX Runtime's arena otherwise keeps its high-water mark for the life of the session).
    /// </summary>
    public const long ShrinkArenaAboveBytes = 8 << 20;

    private readonly InferenceSession _session;

    public TensorSession(string modelPath, OnnxRunOptions options)
    {
        if (!File.Exists(modelPath))
            throw new EdgeException($"model not found: {modelPath}");
        ModelPath = modelPath;
        using var sessionOptions = OnnxClassifier.CreateSessionOptions(options, out string? fallback);
        FallbackNote = fallback;
        Providers = options.Device == InferenceDevice.Cuda && fallback is null ? ["CUDAExecutionProvider", "CPUExecutionProvider"] : ["CPUExecutionProvider"];
        try
        {
            _session = new InferenceSession(modelPath, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new EdgeException($"{modelPath} is not a model ONNX Runtime can load: {e.Message.Split('\n')[0].Trim()}");
        }
        try
        {
            Inputs = Describe(_session.InputMetadata, "input");
            Outputs = Describe(_session.OutputMetadata, "output");
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    public string ModelPath { get; }
    public IReadOnlyList<TensorInfo> Inputs { get; }
    public IReadOnlyList<TensorInfo> Outputs { get; }

    /// <summary>The execution providers this session runs on, in priority order.</summary>
    public IReadOnlyList<string> Providers { get; }

    /// <summary>Set when the requested device was unavailable and the session fell back to CPU.</summary>
    public string? FallbackNote { get; }

    /// <summary>Every provider this ONNX Runtime build has (the GPU build lists CUDA).</summary>
    public static IReadOnlyList<string> AvailableProviders => OrtEnv.Instance().GetAvailableProviders();

    /// <summary>
    /// Runs the model on <paramref name="inputs"/> (one per model input, any order) and returns every output, in the
    /// order of <see cref="Outputs"/>. The caller disposes the outputs.
    /// </summary>
    public HostTensor[] Run(IReadOnlyList<HostTensor> inputs)
    {
        var names = new string[inputs.Count];
        var values = new OrtValue[inputs.Count];
        var pins = new MemoryHandle[inputs.Count];
        long bytes = 0;
        try
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                names[i] = inputs[i].Name;
                (values[i], pins[i]) = ToOrt(inputs[i]);
                bytes += inputs[i].RawByteSize;
            }
            // Held in a variable for the whole call: an inline RunOptions can be finalized while the native run uses it.
            using var runOptions = new RunOptions();
            if (bytes > ShrinkArenaAboveBytes)
                runOptions.AddRunConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
            string[] outputNames = [.. Outputs.Select(o => o.Name)];
            using var results = _session.Run(runOptions, names, values, outputNames);
            var outputs = new HostTensor[results.Count];
            try
            {
                for (int i = 0; i < results.Count; i++)
                    outputs[i] = FromOrt(Outputs[i], results[i]);
            }
            catch
            {
                foreach (var o in outputs)
                    o?.Dispose();
                throw;
            }
            return outputs;
        }
        finally
        {
            foreach (var v in values)
                v?.Dispose();
            foreach (var p in pins)
                p.Dispose();
        }
    }

    private static unsafe (OrtValue Value, MemoryHandle Pin) ToOrt(HostTensor t)
    {
        if (t.Elements is { } elements)
        {
            var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, t.Shape);
            try
            {
                var chars = ArrayPool<char>.Shared.Rent(256);
                try
                {
                    for (int i = 0; i < elements.Count; i++)
                    {
                        var e = elements[i].Span;
                        if (chars.Length < e.Length)
                        {
                            ArrayPool<char>.Shared.Return(chars);
                            chars = ArrayPool<char>.Shared.Rent(e.Length);
                        }
                        int n = System.Text.Encoding.UTF8.GetChars(e, chars);
                        value.StringTensorSetElementAt(chars.AsSpan(0, n), i);
                    }
                }
                finally
                {
                    ArrayPool<char>.Shared.Return(chars);
                }
                return (value, default);
            }
            catch
            {
                value.Dispose();
                throw;
            }
        }
        var pin = t.Data.Pin();
        try
        {
            var value = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, t.DataType.Onnx, t.Shape, (IntPtr)pin.Pointer, t.Data.Length);
            return (value, pin);
        }
        catch
        {
            pin.Dispose();
            throw;
        }
    }

    private static HostTensor FromOrt(TensorInfo info, OrtValue value)
    {
        var typeAndShape = value.GetTensorTypeAndShape();
        long[] shape = typeAndShape.Shape;
        if (info.DataType.IsBytes)
        {
            long count = HostTensor.ElementCountOf(shape);
            var elements = new ReadOnlyMemory<byte>[count];
            for (int i = 0; i < count; i++)
                elements[i] = System.Text.Encoding.UTF8.GetBytes(value.GetStringElement(i));
            return HostTensor.Strings(info.Name, shape, elements);
        }
        var raw = value.GetTensorMutableRawData();
        var buffer = PooledBuffer.Rent(raw.Length);
        raw.CopyTo(buffer.Span);
        return HostTensor.Fixed(info.Name, info.DataType, shape, buffer.Memory, buffer);
    }

    private IReadOnlyList<TensorInfo> Describe(IReadOnlyDictionary<string, NodeMetadata> metadata, string what)
    {
        var list = new List<TensorInfo>();
        foreach (var (name, node) in metadata)
        {
            if (!node.IsTensor)
                throw new EdgeException($"{ModelPath}: {what} '{name}' is a {node.OnnxValueType}, not a tensor; the v2 protocol carries tensors only");
            var type = TensorDataTypes.FromOnnx(node.ElementDataType)
                       ?? throw new EdgeException($"{ModelPath}: {what} '{name}' has ONNX element type {node.ElementDataType}, which has no v2 datatype");
            list.Add(new TensorInfo(name, type, [.. node.Dimensions.Select(d => d < 0 ? -1L : d)]));
        }
        return list;
    }

    public void Dispose() => _session.Dispose();
}
