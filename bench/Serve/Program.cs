using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Inference;
using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Core.Metrics;
using Edge.Core.Preprocessing;
using Edge.Serve;
using Edge.Serve.Client;
using Edge.Serve.Protocol.Classify;
using Google.Protobuf;
using Grpc.Core;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using SkiaSharp;

namespace Edge.Bench.Serve;

/// <summary>
/// edge-bench-serve: loopback load against an in-process Edge server. Scenarios (comma list, default all):
///   baseline  in-process ONNX Runtime on the same model, batches of --max-batch (and batch 1)
///   infer     ModelInfer (raw FP32, one image per request), dynamic batching on
///   classify  Classify (PNG bytes), dynamic batching on
///   batch1    ModelInfer with batching off (max batch 1): the dynamic batching speed-up reference
///   mixed     Classify + ModelInfer with 10% malformed requests: valid answers checked, RSS before/after
///   reload    16 clients while version 2 is added mid-run: failed requests counted
///   interleaved  in-process ORT, ModelInfer with batching and with batching off in alternating rounds (--rounds),
///             so the bars' ratios are taken under the same machine load
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var a = Args.Parse(args);
        int clients = a.Int("clients", 64), maxBatch = a.Int("max-batch", 32), threads = a.Int("threads", 0);
        long requests = a.Int("requests", 3000);
        double seconds = a.Num("seconds", 60), delayMs = a.Num("delay-ms", 2);
        string model = a.Str("model", Path.Combine(FindRoot(), "models", "fmnist-resnet18.onnx"));
        var scenarios = a.Str("scenario", "baseline,infer,classify,batch1,mixed,reload").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        string? jsonOut = a.StrOrNull("json");
        // The server's own default unless given: what a user of the server gets.
        bool spin = a.OnOff("spin", new ServeOptions { Repository = "" }.OrtSpinning);
        // In-process ORT runs nothing else, so ORT's own default (spinning) is its best case.
        bool baselineSpin = a.OnOff("baseline-spin", true);
        int channels = a.Int("channels", 1);
        long warmup = a.Int("warmup", (int)Math.Max(200, requests / 10));

        var package = ModelPackage.Load(model);
        string repo = Path.Combine(Path.GetTempPath(), "edge-bench-serve-" + Guid.NewGuid().ToString("N")[..8]);
        string name = package.Manifest.Name;
        AddVersion(repo, package, 1);
        Console.WriteLine($"model {package.ModelPath} ({name}), {Environment.ProcessorCount} cores, clients {clients} over {channels} channel(s), requests {requests} (≤ {seconds} s each, after {warmup} warm-up), max batch {maxBatch}, delay {delayMs} ms, threads {threads}, server ORT spinning {(spin ? "on" : "off")}, baseline spinning {(baselineSpin ? "on" : "off")}");

        var data = Workload.Load(package, 256, threads);
        var results = new List<LoadResult>();
        var notes = new Dictionary<string, object>();
        try
        {
            var batching = new BatchingOptions { MaxBatchSize = maxBatch, MaxQueueDelay = TimeSpan.FromMilliseconds(delayMs), MaxQueueSize = Math.Max(4096, clients * 4) };
            // --server-threads: the server's ORT threads when they should differ from in-process ORT's (--threads).
            var options = new ServeOptions { Repository = repo, GrpcPort = 0, HttpPort = 0, Threads = a.Int("server-threads", threads), Batching = batching, PollInterval = TimeSpan.Zero, OrtSpinning = spin };

            if (scenarios.Contains("baseline"))
            {
                results.Add(Baseline(package.ModelPath, data, maxBatch, threads, baselineSpin, requests, seconds));
                results.Add(Baseline(package.ModelPath, data, 1, threads, baselineSpin, Math.Min(requests, 1000), seconds));
                Print(results[^2]);
                Print(results[^1]);
            }
            if (scenarios.Overlaps(["infer", "classify", "mixed"]))
            {
                await using var server = await Start(options);
                using var pool = new ClientPool(server.GrpcAddress, channels);
                var client = pool[0];
                await Warm(client, name, data);
                if (scenarios.Contains("infer"))
                {
                    await WarmUntilSteady(n => Infer("warm-up", pool, name, data, clients, n, seconds), warmup);
                    var batches = BatchStats.Start(server, name);
                    Print(Add(results, await Infer($"ModelInfer (batching ≤ {maxBatch})", pool, name, data, clients, requests, seconds)));
                    batches.Print();
                }
                if (scenarios.Contains("classify"))
                {
                    await WarmUntilSteady(n => Classify("warm-up", pool, name, data, clients, n, seconds), warmup);
                    var batches = BatchStats.Start(server, name);
                    Print(Add(results, await Classify($"Classify PNG (batching ≤ {maxBatch})", pool, name, data, clients, requests, seconds)));
                    batches.Print();
                }
                if (scenarios.Contains("mixed"))
                {
                    var (result, wrong, rssWarm, rssEnd) = await Mixed(client, name, data, clients, a.Int("mixed-requests", (int)requests), a.Num("mixed-seconds", seconds * 4));
                    Print(Add(results, result));
                    double growth = (double)(rssEnd - rssWarm) / rssWarm;
                    Console.WriteLine($"  mixed: wrong answers {wrong}; RSS after warm-up {rssWarm / 1e6:F1} MB, after run {rssEnd / 1e6:F1} MB ({growth:+0.0%;-0.0%})");
                    notes["mixed_wrong_answers"] = wrong;
                    notes["mixed_rss_warm_mb"] = rssWarm / 1e6;
                    notes["mixed_rss_end_mb"] = rssEnd / 1e6;
                }
            }
            if (scenarios.Contains("batch1"))
            {
                await using var server = await Start(options with { Batching = BatchingOptions.Disabled with { MaxQueueSize = Math.Max(4096, clients * 4) } });
                using var pool = new ClientPool(server.GrpcAddress, channels);
                await Warm(pool[0], name, data);
                await WarmUntilSteady(n => Infer("warm-up", pool, name, data, clients, n, seconds), Math.Min(warmup, 500));
                Print(Add(results, await Infer("ModelInfer (batching off)", pool, name, data, clients, Math.Min(requests, 1500), seconds)));
            }
            if (scenarios.Contains("interleaved"))
                results.AddRange(await Interleaved(options, package.ModelPath, data, name, maxBatch, threads, baselineSpin, clients, channels, requests, warmup, seconds, a.Int("rounds", 6)));
            if (scenarios.Contains("reload"))
            {
                var (result, versions) = await Reload(options with { PollInterval = TimeSpan.FromMilliseconds(250) }, repo, package, name, data, Math.Min(clients, 16), requests, seconds);
                Print(Add(results, result));
                Console.WriteLine($"  reload: versions answered {string.Join(", ", versions)}");
                notes["reload_versions"] = versions;
            }

            Summarize(results, maxBatch);
            if (jsonOut is not null)
                JsonFiles.Write(jsonOut, new { results, notes, clients, requests, maxBatch, delayMs, threads, model = package.ModelPath, cores = Environment.ProcessorCount });
            return results.Any(r => r.Errors > 0) ? 1 : 0;
        }
        finally
        {
            try { Directory.Delete(repo, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// The bars' three figures taken in alternating rounds (in-process ORT at --max-batch, ModelInfer with batching,
    /// ModelInfer with batching off, then again), so all three see the same share of a machine whose other tenants
    /// come and go: run one after the other, a minute apart, their ratio measured the neighbours as much as the server.
    /// </summary>
    private static async Task<List<LoadResult>> Interleaved(ServeOptions options, string modelPath, Workload data, string name, int maxBatch,
        int threads, bool baselineSpin, int clients, int channels, long requests, long warmup, double seconds, int rounds)
    {
        await using var batching = await Start(options);
        await using var single = await Start(options with { Batching = BatchingOptions.Disabled with { MaxQueueSize = Math.Max(4096, clients * 4) } });
        using var batchingPool = new ClientPool(batching.GrpcAddress, channels);
        using var singlePool = new ClientPool(single.GrpcAddress, channels);
        using var session = new OnnxClassifier(modelPath, new OnnxRunOptions { IntraOpThreads = threads, AllowSpinning = baselineSpin });
        await WarmUntilSteady(n => Infer("warm-up", batchingPool, name, data, clients, n, seconds), warmup);
        await WarmUntilSteady(n => Infer("warm-up", singlePool, name, data, clients, n, seconds), Math.Min(warmup, 500));
        Baseline(session, data, maxBatch, maxBatch * 4, seconds);
        long perRound = Math.Max(maxBatch, requests / rounds);
        var kinds = new[] { $"interleaved: in-process ORT batch {maxBatch}", $"interleaved: ModelInfer (batching ≤ {maxBatch})", "interleaved: ModelInfer (batching off)" };
        var parts = kinds.Select(_ => new List<LoadResult>()).ToArray();
        var latencies = kinds.Select(_ => new List<double>()).ToArray();
        for (int r = 0; r < rounds; r++)
        {
            parts[0].Add(Baseline(session, data, maxBatch, perRound, seconds / rounds, latencies[0]));
            parts[1].Add(await Infer(kinds[1], batchingPool, name, data, clients, perRound, seconds / rounds, latencies[1]));
            parts[2].Add(await Infer(kinds[2], singlePool, name, data, clients, perRound, seconds / rounds, latencies[2]));
            Console.WriteLine($"  round {r + 1}/{rounds}: {string.Join("  ", parts.Select(p => $"{p[^1].SamplesPerSecond,8:F1} img/s"))}   load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        }
        var merged = new List<LoadResult>();
        for (int k = 0; k < kinds.Length; k++)
        {
            var sorted = latencies[k].Order().ToArray();
            var p = parts[k];
            merged.Add(new LoadResult(kinds[k], p[0].Clients, p.Sum(x => x.Requests), p.Sum(x => x.Samples), p.Sum(x => x.Errors), p.Sum(x => x.Seconds),
                LoadRunner.Percentile(sorted, 0.5), LoadRunner.Percentile(sorted, 0.9), LoadRunner.Percentile(sorted, 0.99), p.Sum(x => x.CpuSeconds)));
            Print(merged[^1]);
        }
        Console.WriteLine($"interleaved ModelInfer / in-process ORT: {merged[1].SamplesPerSecond / merged[0].SamplesPerSecond:P1} (bar ≥ 85%); by CPU per image (in-process ÷ server) {merged[0].CpuMicrosPerSample / merged[1].CpuMicrosPerSample:P1}");
        Console.WriteLine($"interleaved dynamic batching speed-up: {merged[1].SamplesPerSecond / merged[2].SamplesPerSecond:F2}x (bar ≥ 2x)");
        return merged;
    }

    private static LoadResult Add(List<LoadResult> list, LoadResult r)
    {
        list.Add(r);
        return r;
    }

    private static void Print(LoadResult r) => Console.WriteLine(r);

    private static void Summarize(List<LoadResult> results, int maxBatch)
    {
        var baseline = results.FirstOrDefault(r => r.Name.StartsWith($"in-process ORT batch {maxBatch}", StringComparison.Ordinal));
        var infer = results.FirstOrDefault(r => r.Name.StartsWith("ModelInfer (batching ≤", StringComparison.Ordinal));
        var classify = results.FirstOrDefault(r => r.Name.StartsWith("Classify", StringComparison.Ordinal));
        var batch1 = results.FirstOrDefault(r => r.Name.StartsWith("ModelInfer (batching off)", StringComparison.Ordinal));
        if (baseline is not null && infer is not null)
            Console.WriteLine($"ModelInfer / in-process ORT: {infer.SamplesPerSecond / baseline.SamplesPerSecond:P1} (bar ≥ 85%)");
        if (baseline is not null && classify is not null)
            Console.WriteLine($"Classify / in-process ORT: {classify.SamplesPerSecond / baseline.SamplesPerSecond:P1}");
        if (batch1 is not null && infer is not null)
            Console.WriteLine($"dynamic batching speed-up: {infer.SamplesPerSecond / batch1.SamplesPerSecond:F2}x (bar ≥ 2x)");
    }

    private static Task<RunningServer> Start(ServeOptions options) =>
        EdgeServer.StartAsync(options, logging => logging.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(o => o.SingleLine = true));

    /// <summary>
    /// Runs chunks of <paramref name="chunk"/> requests until the JIT goes quiet (fewer than 20 methods compiled in a
    /// chunk, at most 20 chunks). Tiered compilation first runs the whole gRPC stack unoptimized and promotes hot
    /// methods in the background; on a loaded 2-core machine that takes many seconds, and a measurement taken
    /// before it ends reads the JIT's warm-up (up to twice the CPU per request), not the server's steady state.
    /// </summary>
    private static async Task WarmUntilSteady(Func<long, Task<LoadResult>> run, long chunk)
    {
        long before = System.Runtime.JitInfo.GetCompiledMethodCount(), total = 0;
        for (int i = 0; i < 20; i++)
        {
            var r = await run(chunk);
            total += r.Requests;
            long now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now - before < 20)
                break;
            before = now;
        }
        Console.WriteLine($"  warm-up: {total} requests until the JIT went quiet");
    }

    private static async Task Warm(EdgeClient client, string name, Workload data)
    {
        for (int i = 0; i < 16; i++)
            await client.InferAsync(name, data.Tensors[i], data.Shape);
    }

    private static LoadResult Baseline(string modelPath, Workload data, int batch, int threads, bool spin, long requests, double seconds)
    {
        using var session = new OnnxClassifier(modelPath, new OnnxRunOptions { IntraOpThreads = threads, AllowSpinning = spin });
        return Baseline(session, data, batch, requests, seconds);
    }

    private static LoadResult Baseline(OnnxClassifier session, Workload data, int batch, long requests, double seconds, List<double>? latencies = null)
    {
        int len = session.SampleLength;
        var input = new float[batch * len];
        for (int i = 0; i < batch; i++)
            data.Tensors[i % data.Tensors.Length].CopyTo(input, i * len);
        session.Run(input, batch); // warm-up
        var lat = new List<double>();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        long samples = 0;
        while (samples < requests && sw.Elapsed.TotalSeconds < seconds)
        {
            long t0 = Stopwatch.GetTimestamp();
            session.Run(input, batch);
            lat.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            samples += batch;
        }
        double elapsed = sw.Elapsed.TotalSeconds, cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        latencies?.AddRange(lat);
        var sorted = lat.Order().ToArray();
        return new LoadResult($"in-process ORT batch {batch}", 1, lat.Count, samples, 0, elapsed,
            LoadRunner.Percentile(sorted, 0.5), LoadRunner.Percentile(sorted, 0.9), LoadRunner.Percentile(sorted, 0.99), cpu);
    }

    /// <summary>
    /// Requests are built once (a protobuf message is only read while it is sent, so concurrent calls share it):
    /// the load generator shares the cores with the server, and building a request per call is its cost, not the
    /// server's. Call i goes over channel i mod channels.
    /// </summary>
    private static Task<LoadResult> Infer(string title, ClientPool pool, string name, Workload data, int clients, long requests, double seconds, List<double>? latencies = null)
    {
        var prebuilt = data.Tensors.Select(t => EdgeClient.CreateInferRequest(name, t, data.Shape)).ToArray();
        return LoadRunner.RunAsync(title, clients, requests, seconds, async i =>
        {
            int k = (int)(i % prebuilt.Length);
            var response = await pool.For(i).Inference.ModelInferAsync(prebuilt[k]);
            if (Predictions.ArgMax(MemoryMarshal.Cast<byte, float>(response.RawOutputContents[0].Span)) != data.Expected[k])
                throw new InvalidOperationException($"wrong answer for image {k}");
            return 1;
        }, latencies);
    }

    private static Task<LoadResult> Classify(string title, ClientPool pool, string name, Workload data, int clients, long requests, double seconds)
    {
        var prebuilt = data.Pngs.Select(p => new ClassifyRequest { ModelName = name, Image = ByteString.CopyFrom(p), TopK = 1 }).ToArray();
        return LoadRunner.RunAsync(title, clients, requests, seconds, async i =>
        {
            int k = (int)(i % prebuilt.Length);
            var r = await pool.For(i).Classifier.ClassifyAsync(prebuilt[k]);
            if (r.Predictions[0].Index != data.Expected[k])
                throw new InvalidOperationException($"wrong answer for image {k}");
            return 1;
        });
    }

    /// <summary>Every 10th request is malformed (corrupt, truncated, wrong shape, wrong datatype); it must fail with INVALID_ARGUMENT.</summary>
    private static async Task<(LoadResult Result, long Wrong, long RssWarm, long RssEnd)> Mixed(EdgeClient client, string name, Workload data, int clients, long requests, double seconds)
    {
        // Warm up every path (errors included) before the RSS reference is taken, long enough for the dynamic
        // batcher to have formed every batch size and ORT's arena, the thread pool and Kestrel's buffer pools to
        // have grown to their working size: 5% of the run, at least 2,000 requests (200 left the arena cold).
        await MixedCall(client, name, data, 0, requests: Math.Max(2000, requests / 20), clients);
        GC.Collect();
        long rssWarm = Rss();
        long wrong = 0;
        var result = await LoadRunner.RunAsync("mixed 10% malformed", clients, requests, seconds, async i =>
        {
            try
            {
                return await MixedOne(client, name, data, i);
            }
            catch (InvalidDataException)
            {
                Interlocked.Increment(ref wrong);
                throw;
            }
        });
        GC.Collect();
        long rssEnd = Rss();
        return (result, wrong, rssWarm, rssEnd);
    }

    private static async Task MixedCall(EdgeClient client, string name, Workload data, long start, long requests, int clients) =>
        await LoadRunner.RunAsync("warm", clients, requests, 60, i => MixedOne(client, name, data, start + i));

    private static async Task<int> MixedOne(EdgeClient client, string name, Workload data, long i)
    {
        int k = (int)(i % data.Pngs.Length);
        if (i % 10 == 9)
        {
            try
            {
                switch (i / 10 % 4)
                {
                    case 0:
                        await client.ClassifyAsync(name, data.Corrupt);
                        break;
                    case 1:
                        await client.ClassifyAsync(name, data.Pngs[k].AsMemory(0, data.Pngs[k].Length / 2));
                        break;
                    case 2:
                        await client.InferAsync(name, data.Tensors[k], [1, data.Shape[1], data.Shape[2] / 2, data.Shape[3] * 2]);
                        break;
                    default:
                        var req = EdgeClient.CreateInferRequest(name, data.Tensors[k], data.Shape);
                        req.Inputs[0].Datatype = "INT64";
                        await client.Inference.ModelInferAsync(req);
                        break;
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
            {
                return 0;
            }
            throw new InvalidDataException($"malformed request {i} was accepted");
        }
        int top1 = i % 2 == 0 ? (await client.ClassifyAsync(name, data.Pngs[k], topK: 1)).Top[0].Index : Predictions.ArgMax(await client.InferAsync(name, data.Tensors[k], data.Shape));
        if (top1 != data.Expected[k])
            throw new InvalidDataException($"wrong answer for image {k}");
        return 1;
    }

    private static async Task<(LoadResult, IReadOnlyList<string>)> Reload(ServeOptions options, string repo, ModelPackage package, string name, Workload data, int clients, long requests, double seconds)
    {
        await using var server = await Start(options);
        using var client = EdgeClient.Connect(server.GrpcAddress);
        var versions = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        long added = requests / 3;
        var result = await LoadRunner.RunAsync("hot reload (v2 added mid-run)", clients, requests, seconds, async i =>
        {
            if (i == added)
                _ = Task.Run(() => AddVersion(repo, package, 2));
            int k = (int)(i % data.Pngs.Length);
            var r = await client.ClassifyAsync(name, data.Pngs[k], topK: 1);
            versions.AddOrUpdate(r.Version, 1, (_, n) => n + 1);
            if (r.Top[0].Index != data.Expected[k])
                throw new InvalidOperationException($"wrong answer for image {k}");
            return 1;
        });
        return (result, versions.OrderBy(v => v.Key).Select(v => $"v{v.Key}: {v.Value}").ToArray());
    }

    private static void AddVersion(string repo, ModelPackage package, int version)
    {
        string staging = Path.Combine(repo, $".staging-{version}");
        Directory.CreateDirectory(staging);
        File.CreateSymbolicLink(Path.Combine(staging, "model.onnx"), package.ModelPath);
        JsonFiles.Write(Path.Combine(staging, ModelPackage.ManifestFileName), package.Manifest with { ModelFile = "model.onnx" });
        string dir = Path.Combine(repo, package.Manifest.Name, version.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
        Directory.Move(staging, dir);
    }

    private static long Rss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        return Environment.WorkingSet;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Edge.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }
}

/// <summary>Fashion-MNIST test images as PNG bytes and as preprocessed tensors, with the model's own top-1 for each.</summary>
public sealed record Workload(byte[][] Pngs, float[][] Tensors, int[] Expected, long[] Shape, byte[] Corrupt)
{
    public static Workload Load(ModelPackage package, int count, int threads)
    {
        var manifest = package.Manifest;
        if (manifest.Preprocess.Channels != 1)
            throw new EdgeException("the serve benchmark sends gray Fashion-MNIST images; use a 1-channel model");
        using var data = DatasetFactory.Open("fashion-mnist", "test");
        var pre = new Preprocessor(manifest.Preprocess);
        using var session = new OnnxClassifier(package.ModelPath, new OnnxRunOptions { IntraOpThreads = threads });
        var pngs = new byte[count][];
        var tensors = new float[count][];
        var expected = new int[count];
        for (int i = 0; i < count; i++)
        {
            var image = data.GetImage(i);
            tensors[i] = pre.Run(image);
            expected[i] = Predictions.ArgMax(session.Run(tensors[i], 1));
            using var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Gray8, SKAlphaType.Opaque));
            System.Runtime.InteropServices.Marshal.Copy(image.Pixels, 0, bitmap.GetPixels(), image.Pixels.Length);
            using var encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            pngs[i] = encoded.ToArray();
        }
        long[] shape = [1, manifest.Preprocess.Channels, manifest.Preprocess.Height, manifest.Preprocess.Width];
        return new Workload(pngs, tensors, expected, shape, "not an image at all"u8.ToArray());
    }
}

/// <summary>Clients on <c>channels</c> separate HTTP/2 connections; call i uses connection i mod channels.</summary>
public sealed class ClientPool : IDisposable
{
    private readonly EdgeClient[] _clients;

    public ClientPool(string address, int channels)
    {
        if (channels < 1)
            throw new EdgeException($"--channels must be at least 1, got {channels}");
        _clients = [.. Enumerable.Range(0, channels).Select(_ => EdgeClient.Connect(address))];
    }

    public EdgeClient this[int index] => _clients[index];

    public EdgeClient For(long call) => _clients[call % _clients.Length];

    public void Dispose()
    {
        foreach (var c in _clients)
            c.Dispose();
    }
}

/// <summary>The server's batch-size histogram over one scenario: how well dynamic batching merged requests.</summary>
public sealed class BatchStats(Prometheus.Histogram.Child histogram, double count, double sum)
{
    public static BatchStats Start(RunningServer server, string model)
    {
        var h = server.Metrics.BatchSize.WithLabels(model);
        return new BatchStats(h, h.Count, h.Sum);
    }

    public void Print()
    {
        double calls = histogram.Count - count, samples = histogram.Sum - sum;
        Console.WriteLine($"  {calls:F0} model calls, mean batch {samples / Math.Max(1, calls):F1}");
    }
}
