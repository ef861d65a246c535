using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Core;
using Edge.Distill.Models;

namespace Edge.Bench.TrainSpeed;

/// <summary>
/// The PyTorch eager side: one long-lived <c>train_speed.py</c> process (its TinyViT written layer for layer like
/// Edge's), driven one JSON command per line, so its rounds interleave with Edge's without re-importing torch.
/// </summary>
public sealed class PyTorchSide : IDisposable
{
    private readonly Process _process;

    private PyTorchSide(Process process) => _process = process;

    /// <summary>Null, with the reason, when the interpreter does not start or has no torch.</summary>
    public static (PyTorchSide? Side, string? Why) Start(string python, IReadOnlyDictionary<string, string> environment)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "train_speed.py");
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        try
        {
            var p = Process.Start(start);
            return p is null ? (null, $"{python} did not start") : (new PyTorchSide(p), null);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (null, $"{python} is not runnable: {e.Message}");
        }
    }

    /// <summary>Builds the model, optimizer and batch pool; returns the parameter count and torch's version, or the
    /// reason PyTorch cannot run.</summary>
    public JsonObject Build(TinyVitConfig config, int batch, int threads, string device, string precision) =>
        Send(new JsonObject
        {
            ["cmd"] = "build", ["config"] = JsonNode.Parse(config.ToJson()), ["batch"] = batch, ["threads"] = threads,
            ["device"] = device, ["precision"] = precision, ["seed"] = 0,
        });

    public (double ImagesPerSecond, double Seconds, double Loss) Round(int steps, int warmup)
    {
        var r = Send(new JsonObject { ["cmd"] = "run", ["steps"] = steps, ["warmup"] = warmup });
        LastPhases = r["phases"] is JsonArray a ? [.. a.Select(v => v!.GetValue<double>())] : null;
        return (r["images_per_second"]!.GetValue<double>(), r["seconds"]!.GetValue<double>(), r["loss"]!.GetValue<double>());
    }

    /// <summary>The last round's seconds per phase (forward + loss, backward, clipping, step), summed over its steps.</summary>
    public double[]? LastPhases { get; private set; }

    private JsonObject Send(JsonObject command)
    {
        _process.StandardInput.WriteLine(command.ToJsonString());
        _process.StandardInput.Flush();
        string? line = _process.StandardOutput.ReadLine()
            ?? throw new EdgeException($"train_speed.py exited (code {(_process.HasExited ? _process.ExitCode : -1)}) without answering '{command["cmd"]}'; its error is above");
        var reply = JsonNode.Parse(line)!.AsObject();
        if (reply["error"] is { } error) throw new EdgeException($"train_speed.py: {error}");
        return reply;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("{\"cmd\": \"quit\"}");
                _process.StandardInput.Flush();
                if (!_process.WaitForExit(10_000)) _process.Kill();
            }
        }
        catch (IOException)
        {
            // The process is gone already.
        }
        _process.Dispose();
    }
}
