using System.Diagnostics;
using Edge.Distill.Models;
using Edge.Export.Onnx;
using Microsoft.ML.OnnxRuntime;
using Xunit;
using Xunit.Abstractions;

namespace Edge.Export.Tests.Onnx;

/// <summary>
/// ONNX Runtime CPU latency/throughput of exported students, opset 17 (erf GELU) vs 20 (Gelu op).
/// Opt-in with EDGE_BENCH=1; numbers quoted in <see cref="OnnxExportOptions.Opset"/>.
/// </summary>
public class OnnxRuntimeSpeedBench(ITestOutputHelper output)
{
    [Theory]
    [InlineData("tinyvit-quick-32")]
    [InlineData("tinyvit-5m-32")]
    public void InferenceSpeedByOpset(string name)
    {
        if (Environment.GetEnvironmentVariable("EDGE_BENCH") != "1") return;
        using var model = StudentRegistry.Create(name);
        foreach (int opset in new[] { 17, 20, 17, 20 })
        {
            string path = OnnxTestKit.TempPath($"{name}-{opset}");
            try
            {
                OnnxExporter.Export(model, new OnnxExportOptions { Opset = opset }, path);
                using var options = new SessionOptions { IntraOpNumThreads = 2 };
                using var session = new InferenceSession(path, options);
                foreach (int batch in new[] { 1, 64 })
                {
                    var data = new float[batch * 1024];
                    new Random(0).NextBytes(new byte[1]);
                    using var input = OrtValue.CreateTensorValueFromMemory(data, [batch, 1, 32, 32]);
                    using var run = new RunOptions();
                    for (int i = 0; i < 5; i++) session.Run(run, ["input"], [input], ["logits"]).Dispose();
                    int iters = batch == 1 ? 300 : 20;
                    var sw = Stopwatch.StartNew();
                    for (int i = 0; i < iters; i++) session.Run(run, ["input"], [input], ["logits"]).Dispose();
                    double ms = sw.Elapsed.TotalMilliseconds / iters;
                    output.WriteLine($"{name} opset {opset} batch {batch}: {ms:F3} ms/run, {batch * 1000 / ms:F0} img/s");
                }
            }
            finally
            {
                File.Delete(path);
            }
        }
    }
}
