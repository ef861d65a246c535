using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Edge.Core;
using Edge.Core.IO;
using Edge.Distill.Device;
using Edge.Distill.Training;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;

namespace Edge.Cli.Commands;

/// <summary>
/// <c>edge doctor</c>: what this machine offers Edge — .NET, CPU features, TorchSharp and the libtorch it runs on
/// (found how, which version, CUDA or not), GPUs, ONNX Runtime and its providers — and whether a tiny training
/// step really runs on each available device and precision. Exit 0 when every step ran, 1 when one failed.
/// </summary>
public sealed class DoctorCommand : ICliCommand
{
    public sealed record Report(string Dotnet, string Os, int Cores, string Cpu, IReadOnlyList<string> CpuFeatures,
        string TorchSharp, string TorchSharpBuiltFor, string? LibTorchFolder, string? LibTorchVersion, string LibTorchSource,
        bool LibTorchHasCuda, IReadOnlyList<string> LibTorchMappedFrom, string? LibTorchError, bool CudaAvailable, int CudaDevices, string? CudaDriver, IReadOnlyList<GpuInfo> Gpus,
        string OnnxRuntime, IReadOnlyList<string> OnnxProviders, IReadOnlyList<StepCheck> Steps);

    /// <summary>The CPU flags that decide CPU training speed and whether bf16 runs natively.</summary>
    private static readonly string[] Features = ["avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_tile"];

    public Command Build()
    {
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var noSteps = new Option<bool>("--no-steps") { Description = "Skip the tiny training steps" };
        var command = new Command("doctor", "Check .NET, TorchSharp/libtorch, CUDA/GPUs, ONNX Runtime and run a tiny training step per device") { json, noSteps };
        command.SetAction(parse =>
        {
            var report = Collect(!parse.GetValue(noSteps));
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) output.WriteLine(JsonFiles.Serialize(report));
            else Print(report, output);
            return report.LibTorchError is null && report.Steps.All(s => s.Ok) ? 0 : 1;
        });
        return command;
    }

    public static Report Collect(bool runSteps)
    {
        var (cpu, flags) = CpuInfo();
        string? error = null;
        string source = "bundled libtorch-cpu NuGet package";
        try
        {
            // Like --device cuda: prefer a CUDA libtorch when one can still be loaded, so the report shows what a GPU run would use.
            // (A build that carries the CPU libtorch cannot switch: see LibTorchLoader; it reports its own.)
            if (LibTorchLoader.Active is null && LibTorchLoader.MappedLibTorchFolder() is null && !LibTorchLoader.HasBundledLibTorch
                && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(LibTorchLocator.Variable))
                && LibTorchLocator.Find(LibTorchProbe.Machine, needCuda: true) is { } cudaLib)
                LibTorchLoader.Activate(cudaLib);
            TorchDevices.EnsureLibTorch(LibTorchProbe.Machine, needCuda: false, "edge doctor");
            using (torch.zeros(1)) { } // maps libtorch now, so the report can say from where
        }
        catch (EdgeException e) { error = e.Message; }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException) { error = e.Message.Split('\n')[0]; }

        var active = LibTorchLoader.Active;
        string? folder = active?.Folder ?? LibTorchLoader.MappedLibTorchFolder();
        // Touching torch.* runs TorchSharp's type initializer, which loads libtorch: only when one was found.
        string builtFor = error is null ? torch.__version__ : "?";
        string? version = active is not null ? active.Version : error is null ? torch.__version__ : null;
        if (active is not null) source = active.Source;
        bool hasCuda = active?.HasCuda ?? false;
        bool cudaOk = false;
        int cudaCount = 0;
        if (error is null && hasCuda)
        {
            try { cudaOk = torch.cuda.is_available(); cudaCount = cudaOk ? torch.cuda.device_count() : 0; }
            catch (Exception e) when (e is not OutOfMemoryException) { error = $"CUDA did not initialise: {e.Message.Split('\n')[0]}"; }
        }
        var steps = new List<StepCheck>();
        if (runSteps && error is null)
        {
            var precisions = new List<TrainingPrecision> { TrainingPrecision.Fp32, TrainingPrecision.Bf16 };
            foreach (var p in precisions) steps.Add(TorchDiagnostics.TrainingStep(torch.CPU, p));
            for (int i = 0; i < cudaCount; i++)
                foreach (var p in new[] { TrainingPrecision.Fp32, TrainingPrecision.Bf16, TrainingPrecision.Fp16 })
                    steps.Add(TorchDiagnostics.TrainingStep(new torch.Device(DeviceType.CUDA, i), p));
        }
        // After the steps, which exercise TorchSharp's lazy loading: exactly one libtorch may be mapped.
        var mappedFrom = LibTorchLoader.MappedLibTorchFolders();
        if (error is null && mappedFrom.Count > 1)
            error = $"two libtorch copies are loaded in this process ({string.Join(", ", mappedFrom)}); report this with the output of edge doctor";
        string ortVersion;
        IReadOnlyList<string> providers;
        try { ortVersion = OrtEnv.Instance().GetVersionString(); providers = OrtEnv.Instance().GetAvailableProviders(); }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or OnnxRuntimeException) { ortVersion = $"not loadable: {e.Message.Split('\n')[0]}"; providers = []; }

        return new Report(RuntimeInformation.FrameworkDescription, $"{RuntimeInformation.OSDescription} ({RuntimeInformation.RuntimeIdentifier})",
            Environment.ProcessorCount, cpu, [.. Features.Where(flags.Contains)], LibTorchLoader.TorchSharpVersion, builtFor,
            folder, version, source, hasCuda, mappedFrom, error, cudaOk, cudaCount, CudaDriver.DriverVersion(), hasCuda ? CudaDriver.Gpus() : [],
            ortVersion, providers, steps);
    }

    private static void Print(Report r, TextWriter w)
    {
        var inv = CultureInfo.InvariantCulture;
        void Line(string k, string v) => w.WriteLine($"{k,-16} {v}");
        Line(".NET", $"{r.Dotnet} on {r.Os}");
        Line("CPU", $"{r.Cpu}, {r.Cores} cores; {string.Join(" ", Features.Select(f => r.CpuFeatures.Contains(f) ? f : "-" + f))}");
        Line("TorchSharp", $"{r.TorchSharp} (built for libtorch {r.TorchSharpBuiltFor})");
        if (r.LibTorchError is not null) Line("libtorch", $"PROBLEM: {r.LibTorchError}");
        else Line("libtorch", $"{r.LibTorchVersion ?? "version unknown"} from {r.LibTorchFolder ?? "?"} ({r.LibTorchSource}); {(r.LibTorchHasCuda ? "CUDA build" : "CPU-only build")}");
        Line("CUDA", r.CudaAvailable ? $"available: {r.CudaDevices} GPU(s), driver CUDA {r.CudaDriver ?? "?"}"
            : r.LibTorchHasCuda ? $"not available (driver CUDA {r.CudaDriver ?? "missing"})"
            : $"not available: this libtorch has no CUDA; set {LibTorchLocator.Variable} to a PyTorch CUDA install's torch/lib (driver CUDA {r.CudaDriver ?? "missing"})");
        foreach (var g in r.Gpus) Line($"GPU {g.Index}", string.Create(inv, $"{g.Name}, {g.TotalBytes / (double)(1L << 30):F1} GiB"));
        Line("ONNX Runtime", $"{r.OnnxRuntime}; providers: {string.Join(", ", r.OnnxProviders)}");
        foreach (var s in r.Steps)
            Line($"step {s.Device} {s.Precision}", s.Ok ? string.Create(inv, $"ok, {s.MillisecondsPerStep:F1} ms/step ({s.Detail})") : $"FAILED: {s.Detail}");
    }

    private static (string Model, HashSet<string> Flags) CpuInfo()
    {
        const string path = "/proc/cpuinfo";
        if (!File.Exists(path)) return (RuntimeInformation.ProcessArchitecture.ToString(), []);
        string model = RuntimeInformation.ProcessArchitecture.ToString();
        var flags = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            if (key == "model name") model = value;
            else if (key == "flags") { flags.UnionWith(value.Split(' ', StringSplitOptions.RemoveEmptyEntries)); break; }
        }
        return (model, flags);
    }
}
