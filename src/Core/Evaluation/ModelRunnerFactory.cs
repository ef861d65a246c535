using Edge.Core.Evaluation.Remote;
using Edge.Core.Inference;
using Edge.Core.Preprocessing;

namespace Edge.Core.Evaluation;

/// <summary>Opens a <see cref="ModelSource"/>: a KServe v2 address becomes a remote runner, a location whose scheme is
/// in <paramref name="schemes"/> (e.g. <c>torch:RUN</c>) that kind's runner, anything else an ONNX runner.</summary>
public static class ModelRunnerFactory
{
    public static IModelRunner Open(ModelSource source, PreprocessSpec? fallbackPreprocess, IReadOnlyList<string>? fallbackLabels,
        OnnxRunOptions onnx, TimeSpan remoteTimeout, IReadOnlyDictionary<string, Func<ModelSource, IModelRunner>>? schemes = null)
    {
        if (source.IsRemote) return KServeModelRunner.Connect(source, fallbackPreprocess, fallbackLabels, remoteTimeout);
        int colon = source.Location.IndexOf(':');
        if (colon > 1 && schemes is not null && schemes.TryGetValue(source.Location[..colon], out var open))
            return open(source with { Location = source.Location[(colon + 1)..] });
        return new OnnxModelRunner(source, fallbackPreprocess, onnx);
    }
}
