using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace Edge.Bench.Quantize;

/// <summary>
/// Where the time goes: runs a model under ONNX Runtime's profiler and sums kernel time per op type (and the
/// slowest nodes), and saves ONNX Runtime's optimized graph so its fusions can be read with `edge inspect`.
/// </summary>
internal static class Profiler
{
    public static void Profile(string variant, string path, int threads, float[] data, long[] sample, int batch, int runs, string outDir)
    {
        // "file:a/b.onnx" variants name files too: keep only characters a file name can carry.
        string safe = string.Concat(variant.Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' ? c : '_'));
        string prefix = Path.Combine(outDir, $"profile-{safe}-b{batch}");
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            OptimizedModelFilePath = Path.Combine(outDir, $"optimized-{safe}.onnx"),
            // The prefix must be set first: setting EnableProfiling starts profiling with the prefix it has then.
            ProfileOutputPathPrefix = prefix,
            EnableProfiling = true,
        };
        using var session = new InferenceSession(path, options);
        string input = session.InputMetadata.Keys.First(), output = session.OutputMetadata.Keys.First();
        int len = (int)sample.Aggregate(1L, (a, b) => a * b);
        var x = data.AsSpan(0, batch * len).ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(x, [batch, .. sample]);
        using var runOptions = new RunOptions();
        for (int i = 0; i < runs; i++)
        {
            using var r = session.Run(runOptions, [input], [value], [output]);
        }
        string file = session.EndProfiling();
        Summarize(variant, batch, runs, file);
    }

    private static void Summarize(string variant, int batch, int runs, string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var byOp = new Dictionary<string, (double Us, int Count)>();
        var byNode = new Dictionary<string, (string Op, double Us)>();
        double total = 0, modelRun = 0;
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            string cat = e.GetProperty("cat").GetString() ?? "";
            string name = e.GetProperty("name").GetString() ?? "";
            double dur = e.TryGetProperty("dur", out var d) ? d.GetDouble() : 0;
            if (cat == "Session" && name == "model_run") modelRun += dur;
            if (cat != "Node" || !name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
            string op = e.GetProperty("args").GetProperty("op_name").GetString() ?? "?";
            string node = name[..^"_kernel_time".Length];
            byOp[op] = (byOp.GetValueOrDefault(op).Us + dur, byOp.GetValueOrDefault(op).Count + 1);
            byNode[node] = (op, byNode.GetValueOrDefault(node).Us + dur);
            total += dur;
        }
        Console.WriteLine($"## {variant}, batch {batch}: {modelRun / runs:F1} µs per run (model_run), kernels {total / runs:F1} µs, {byNode.Count} nodes");
        foreach (var (op, (us, count)) in byOp.OrderByDescending(kv => kv.Value.Us))
            Console.WriteLine($"  {op,-28} {us / runs,8:F1} µs  {count / runs,4} nodes  {100 * us / total,5:F1}%");
        Console.WriteLine("  slowest nodes:");
        foreach (var (node, (op, us)) in byNode.OrderByDescending(kv => kv.Value.Us).Take(12))
            Console.WriteLine($"    {us / runs,8:F1} µs  {op,-24} {node}");
    }
}

/// <summary>Prints a model's nodes in order (op, name, inputs → outputs): to see where Q/DQ pairs and fusions sit.</summary>
internal static class GraphDump
{
    public static void Dump(string path)
    {
        using var stream = File.OpenRead(path);
        var model = Edge.Onnx.Proto.ModelProto.Parser.ParseFrom(stream);
        Console.WriteLine($"# {path}: {model.Graph.Node.Count} nodes");
        foreach (var n in model.Graph.Node)
            Console.WriteLine($"{n.OpType,-24} {n.Name}  ({string.Join(", ", n.Input)}) -> ({string.Join(", ", n.Output)})");
        // Where the bytes are: which initializers keep the file above a size target.
        var bytes = model.Graph.Initializer.Select(t => (t.Name, Type: (Edge.Onnx.Proto.TensorProto.Types.DataType)t.DataType, Dims: string.Join("x", t.Dims), Bytes: t.RawData.Length + 4L * t.FloatData.Count))
            .OrderByDescending(t => t.Bytes).ToArray();
        Console.WriteLine($"# initializers: {bytes.Sum(t => t.Bytes)} bytes; by type: {string.Join(", ", bytes.GroupBy(t => t.Type).Select(g => $"{g.Key} {g.Sum(t => t.Bytes)}"))}");
        foreach (var t in bytes.Where(t => t.Bytes >= 1024))
            Console.WriteLine($"{t.Bytes,9} {t.Type,-8} {t.Dims,-14} {t.Name}");
        foreach (var t in model.Graph.Initializer.Where(t => t.DataType == (int)Edge.Onnx.Proto.TensorProto.Types.DataType.Int64))
            Console.WriteLine($"  {t.Name} = [{string.Join(", ", Edge.Onnx.Graph.Tensors.ToInt64s(t))}]");
    }
}

/// <summary>`--optimized FILE...`: the op histogram of the graph ONNX Runtime actually runs (ORT_ENABLE_ALL, written to FILE.ort-opt.onnx).</summary>
internal static class OptimizedGraph
{
    public static void Dump(string path)
    {
        string optimized = Path.ChangeExtension(path, ".ort-opt.onnx");
        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = optimized })
        using (new InferenceSession(path, options)) { }
        var model = Edge.Onnx.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized));
        Console.WriteLine($"# {path} as ONNX Runtime runs it: {model.Graph.Node.Count} nodes");
        foreach (var g in model.Graph.Node.GroupBy(n => (n.Domain, n.OpType)).OrderByDescending(g => g.Count()))
            Console.WriteLine($"  {g.Count(),4} {(g.Key.Domain.Length > 0 ? g.Key.Domain + "." : "")}{g.Key.OpType}");
    }
}

