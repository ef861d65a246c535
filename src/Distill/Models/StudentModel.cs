using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Distill.Models;

/// <summary>
/// What every student offers the trainer, exporter and CLI: a <c>Module&lt;Tensor, Tensor&gt;</c> mapping
/// float32 images [N, InChannels, ImageSize, ImageSize] to logits [N, NumClasses], plus the config it was
/// built from. One base class rather than an interface so callers get the module and its metadata in one
/// reference. Subclasses must hold no Module or Tensor fields here: RegisterComponents walks base classes.
/// </summary>
public abstract class StudentModel : nn.Module<Tensor, Tensor>
{
    protected StudentModel(string name, string registryName, TinyVitConfig config) : base(name)
    {
        RegistryName = registryName;
        Config = config;
    }

    /// <summary>Name the model was created under in <see cref="StudentRegistry"/> (e.g. "tinyvit-quick-32").</summary>
    public string RegistryName { get; }
    public TinyVitConfig Config { get; }

    public long[] InputShape => [Config.InChannels, Config.ImageSize, Config.ImageSize];

    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>
    /// Saves the state dict (TorchSharp format) through a temporary file renamed into place, so an
    /// interrupted save never leaves a truncated checkpoint.
    /// </summary>
    public void SaveWeights(string path)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            save(tmp);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Loads weights saved by <see cref="SaveWeights"/>; shapes must match this config exactly.</summary>
    public void LoadWeights(string path)
    {
        if (!File.Exists(path)) throw new Edge.Core.EdgeException($"Weights file '{path}' does not exist.");
        load(path, strict: true);
    }
}
