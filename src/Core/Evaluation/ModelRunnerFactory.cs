using Edge.Core.Evaluation.Remote;
using Edge.Core.Inference;
using Edge.Core.Preprocessing;

namespace Edge.Core.Evaluation;

/// <summary>Opens a <see cref="ModelSource"/>: a KServe v2 address becomes a remote runner, anything else an ONNX runner.</summary>
public static class ModelRunnerFactory
{
    public static IModelRunner Open(ModelSource source, PreprocessSpec? fallbackPreprocess, IReadOnlyList<string>? fallbackLabels,
        OnnxRunOptions onnx, TimeSpan remoteTimeout) =>
        source.IsRemote
            ? KServeModelRunner.Connect(source, fallbackPreprocess, fallbackLabels, remoteTimeout)
            : new OnnxModelRunner(source, fallbackPreprocess, onnx);
}
