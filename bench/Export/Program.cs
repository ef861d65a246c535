using System.Diagnostics;
using System.Globalization;
using Edge.Core;
using Edge.Distill.Models;
using Edge.Export.Onnx;
using Microsoft.ML.OnnxRuntime;

// ONNX Runtime CPU latency (batch 1) and throughput (batch 64) of untrained students exported at each opset, the
// opsets alternating (17, 20, 17, 20, ...) so a shared machine's load falls on both (what
// tests/Export.Tests/Onnx/OnnxRuntimeSpeedBench measured behind EDGE_BENCH=1).
//   edge-bench-export [--students tinyvit-quick-32,tinyvit-5m-32] [--opsets 17,20] [--repeats 2] [--threads 2]
try
{
    var o = new Dictionary<string, string>();
    for (int i = 0; i + 1 < args.Length; i += 2) o[args[i]] = args[i + 1];
    string[] known = ["--students", "--opsets", "--repeats", "--threads"];
    if (args.Length % 2 != 0 || o.Keys.Any(k => !known.Contains(k)))
        throw new EdgeException($"usage: edge-bench-export {string.Join(" ", known.Select(k => k + " VALUE"))}");
    string[] students = o.GetValueOrDefault("--students", "tinyvit-quick-32,tinyvit-5m-32").Split(',');
    int[] opsets = [.. o.GetValueOrDefault("--opsets", "17,20").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
    int repeats = int.Parse(o.GetValueOrDefault("--repeats", "2"), CultureInfo.InvariantCulture);
    int threads = int.Parse(o.GetValueOrDefault("--threads", "2"), CultureInfo.InvariantCulture);
    Console.WriteLine($"ORT {OrtEnv.Instance().GetVersionString()}, {threads} intra-op threads; load {Load()}");
    foreach (var name in students)
    {
        using var model = StudentRegistry.Create(name);
        long[] shape = model.InputShape;
        for (int r = 0; r < repeats; r++)
            foreach (int opset in opsets)
            {
                string path = Path.Combine(Path.GetTempPath(), $"edge-bench-export-{name}-{opset}-{Guid.NewGuid():N}.onnx");
                try
                {
                    OnnxExporter.Export(model, new OnnxExportOptions { Opset = opset }, path);
                    using var options = new SessionOptions { IntraOpNumThreads = threads };
                    using var session = new InferenceSession(path, options);
                    foreach (int batch in new[] { 1, 64 })
                    {
                        var data = new float[batch * shape.Aggregate(1L, (a, b) => a * b)];
                        using var input = OrtValue.CreateTensorValueFromMemory(data, [batch, .. shape]);
                        using var run = new RunOptions();
                        for (int i = 0; i < 5; i++) session.Run(run, ["input"], [input], ["logits"]).Dispose();
                        int iters = batch == 1 ? 300 : 20;
                        var sw = Stopwatch.StartNew();
                        for (int i = 0; i < iters; i++) session.Run(run, ["input"], [input], ["logits"]).Dispose();
                        double ms = sw.Elapsed.TotalMilliseconds / iters;
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} opset {opset} batch {batch}: {ms:F3} ms/run, {batch * 1000 / ms:F0} img/s"));
                    }
                }
                finally
                {
                    File.Delete(path);
                }
            }
    }
    Console.WriteLine($"load {Load()}");
    return 0;
}
catch (EdgeException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

static string Load() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
