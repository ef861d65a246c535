using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Distill.Models;

/// <summary>
/// What every student offers the trainer, exporter and CLI: a <c>Module&lt;Tensor, Tensor&gt;</c> mapping
/// float32 images [N, InChannels, ImageSize, ImageSize] to logits [N, NumClasses], plus the config it was
/// built from (its family's typed record), the feature maps it offers feature losses and its layers by depth for
/// layer-wise learning-rate decay. One base class rather than an interface so callers get the module and its
/// metadata in one reference. Subclasses must hold no Module or Tensor fields here: RegisterComponents walks base classes.
/// </summary>
public abstract class StudentModel : nn.Module<Tensor, Tensor>
{
    protected StudentModel(string name, string registryName, StudentConfig config) : base(name)
    {
        RegistryName = registryName;
        Config = config;
    }

    /// <summary>Name the model was created under in <see cref="StudentRegistry"/> (e.g. "tinyvit-quick-32").</summary>
    public string RegistryName { get; }
    public StudentConfig Config { get; }

    /// <summary>The stage outputs, in order from the input, with their widths and reductions (timm's feature_info).</summary>
    public abstract IReadOnlyList<FeatureTap> FeatureTaps { get; }

    /// <summary>
    /// Where a parameter sits from input to head, as timm's <c>group_matcher</c> orders it: a sortable key, the stem
    /// lowest, one key per block, and <c>(int.MaxValue, int.MaxValue)</c> for the head and anything unmatched.
    /// </summary>
    protected abstract (int Major, int Minor) DepthKey(string parameterName);

    /// <summary>Layer id of every named parameter (0 = stem, Count − 1 = head) and the number of layers.</summary>
    public (IReadOnlyDictionary<string, int> Layers, int Count) ParameterDepths()
    {
        var keys = named_parameters().ToDictionary(p => p.name, p => DepthKey(p.name));
        var ordinal = keys.Values.Distinct().Order().Select((k, i) => (k, i)).ToDictionary(p => p.k, p => p.i);
        return (keys.ToDictionary(kv => kv.Key, kv => ordinal[kv.Value]), ordinal.Count);
    }

    /// <summary>The head and anything not in the stem or a block.</summary>
    protected static readonly (int, int) HeadDepth = (int.MaxValue, int.MaxValue);

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
