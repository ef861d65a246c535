using System.Collections.Concurrent;
using Edge.Core.Data;
using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Testing;
using Microsoft.Extensions.Logging;
using SkiaSharp;

namespace Edge.Serve.Tests;

/// <summary>Test repositories built from the real teacher, real Fashion-MNIST images as PNG, and servers on loopback.</summary>
public static class ServeTestKit
{
    public const string Model = "fmnist";

    public static string Teacher { get; } = File.Exists(TestPaths.Teacher) ? TestPaths.Teacher : "/work/shared/teachers/fmnist-resnet18.onnx";

    public static ModelManifest Manifest(string name = Model) => new()
    {
        Name = name,
        Labels = BuiltInDatasets.FashionMnist.Labels,
        Input = new TensorSpec("input", [-1, 1, 32, 32]),
        Output = new OutputSpec("logits", [-1, 10]),
        Preprocess = PreprocessSpec.FashionMnist32,
    };

    /// <summary>Writes <c>root/model/version/</c> with a link to the teacher as model.onnx and its manifest.</summary>
    public static string AddVersion(string root, string model, long version)
    {
        string dir = Path.Combine(root, model, version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        string staging = Path.Combine(root, $".staging-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        File.CreateSymbolicLink(Path.Combine(staging, "model.onnx"), Teacher);
        JsonFiles.Write(Path.Combine(staging, ModelPackage.ManifestFileName), Manifest(model));
        Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
        Directory.Move(staging, dir); // appears complete, as a deployment tool would publish it
        return dir;
    }

    /// <summary>The shipped simple model (models/repository/simple, built by scripts/make_test_models.py).</summary>
    public static string Simple => Path.Combine(TestPaths.RepoRoot, "models", "repository", "simple", "1", "model.onnx");

    /// <summary>
    /// Adds the tensor models (no manifest), each version 1: simple, all_types (an identity per datatype with a typed
    /// contents field), half_types (FP16 and BF16 identities), fp16_add_sub, fixed_double.
    /// </summary>
    public static void AddTensorModels(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "simple", "1"));
        File.CreateSymbolicLink(Path.Combine(root, "simple", "1", "model.onnx"), Simple);
        TensorModels.WriteIdentities(Path.Combine(root, "all_types", "1", "model.onnx"), TensorModels.TypedTypes);
        TensorModels.WriteIdentities(Path.Combine(root, "half_types", "1", "model.onnx"), TensorModels.HalfTypes);
        TensorModels.WriteFp16AddSub(Path.Combine(root, "fp16_add_sub", "1", "model.onnx"));
        TensorModels.WriteFixedDouble(Path.Combine(root, "fixed_double", "1", "model.onnx"));
    }

    public static ServeOptions Options(string repository) => new()
    {
        Repository = repository,
        GrpcPort = 0,
        HttpPort = 0,
        Threads = 1,
        Batching = new BatchingOptions { MaxBatchSize = 8, MaxQueueDelay = TimeSpan.FromMilliseconds(2) },
        PollInterval = TimeSpan.Zero,
        ShutdownTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>Starts a server whose error logs are collected (a test can assert there were none).</summary>
    public static Task<RunningServer> StartAsync(ServeOptions options, LogSink? sink = null) =>
        EdgeServer.StartAsync(options, logging =>
        {
            logging.SetMinimumLevel(LogLevel.Warning);
            if (sink is not null)
                logging.AddProvider(sink);
        });

    private static readonly Lazy<IReadOnlyList<(byte[] Png, int Label, Edge.Core.Imaging.RawImage Image)>> Images = new(LoadImages);

    /// <summary>The first 64 Fashion-MNIST test images, PNG-encoded, with labels and decoded pixels.</summary>
    public static IReadOnlyList<(byte[] Png, int Label, Edge.Core.Imaging.RawImage Image)> FashionImages => Images.Value;

    private static IReadOnlyList<(byte[] Png, int Label, Edge.Core.Imaging.RawImage Image)> LoadImages()
    {
        using var data = DatasetFactory.Open("fashion-mnist", "test");
        var list = new List<(byte[], int, Edge.Core.Imaging.RawImage)>();
        for (int i = 0; i < 64; i++)
        {
            var image = data.GetImage(i);
            list.Add((EncodePng(image), data.GetLabel(i), image));
        }
        return list;
    }

    public static byte[] EncodePng(Edge.Core.Imaging.RawImage image)
    {
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Gray8, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        System.Runtime.InteropServices.Marshal.Copy(image.Pixels, 0, bitmap.GetPixels(), image.Pixels.Length);
        using var encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return encoded.ToArray();
    }
}

/// <summary>Collects warnings and errors logged by a server under test.</summary>
public sealed class LogSink : ILoggerProvider
{
    public ConcurrentQueue<string> Errors { get; } = new();
    public ConcurrentQueue<string> Warnings { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // The health check service logs an unhealthy check (a model still loading) as an error: an expected state here.
        public bool IsEnabled(LogLevel logLevel) =>
            logLevel >= LogLevel.Warning && !category.StartsWith("Microsoft.Extensions.Diagnostics.HealthChecks", StringComparison.Ordinal);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            string line = $"{category}: {formatter(state, exception)} {exception}";
            if (logLevel >= LogLevel.Error)
                sink.Errors.Enqueue(line);
            else if (logLevel == LogLevel.Warning)
                sink.Warnings.Enqueue(line);
        }
    }
}
