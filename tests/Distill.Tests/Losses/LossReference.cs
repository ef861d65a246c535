using System.Text.Json;
using Edge.Distill.Losses;
using Edge.Testing;
using static TorchSharp.torch;

namespace Edge.Distill.Tests.Losses;

/// <summary>
/// The golden file of loss values written by <c>scripts/reference/loss_reference.py</c> (PyTorch, from each loss's
/// published definition): named float32 input tensors, and per case a loss name, its options, its inputs by name, the
/// reference value and, for logit losses, the gradient with respect to the student's logits. Read-only here.
/// </summary>
public sealed class LossReference
{
    public const string RelativePath = "tests/Distill.Tests/Losses/loss_reference.json";

    private static readonly Lazy<LossReference> Loaded = new(() => new LossReference(Path.Combine(TestPaths.RepoRoot, RelativePath)));
    private static readonly JsonSerializerOptions CamelCase = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly JsonElement _tensors;
    private readonly Dictionary<string, JsonElement> _cases;

    private LossReference(string path)
    {
        var root = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        _tensors = root.GetProperty("tensors");
        _cases = root.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
    }

    public static LossReference Instance => Loaded.Value;

    public IReadOnlyCollection<string> CaseNames => _cases.Keys;

    public Case Get(string name) => new(this, _cases[name]);

    /// <summary>A named input as a tensor (float32, or int64 for class ids), in the caller's dispose scope.</summary>
    public Tensor Tensor(string name)
    {
        var t = _tensors.GetProperty(name);
        long[] shape = [.. t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())];
        var data = t.GetProperty("data");
        return t.TryGetProperty("dtype", out var dtype) && dtype.GetString() == "int64"
            ? tensor(data.EnumerateArray().Select(v => v.GetInt64()).ToArray()).reshape(shape)
            : tensor(data.EnumerateArray().Select(v => v.GetSingle()).ToArray()).reshape(shape);
    }

    public sealed class Case(LossReference reference, JsonElement json)
    {
        public string Loss => json.GetProperty("loss").GetString()!;
        public double Expected => json.GetProperty("expected").GetDouble();

        public bool HasFeatures => json.TryGetProperty("features", out _);

        /// <summary>The case's options; feature cases pair the student's feature "s" with the teacher's "t".</summary>
        public LossOptions Options
        {
            get
            {
                var options = json.GetProperty("options").Deserialize<LossOptions>(CamelCase)!;
                return HasFeatures ? options with { FeaturePairs = [new FeaturePair("s", "t")] } : options;
            }
        }

        public Tensor StudentLogits => reference.Tensor(json.GetProperty("student").GetString()!);
        public Tensor? TeacherLogits => json.TryGetProperty("teacher", out var t) ? reference.Tensor(t.GetString()!) : null;
        public Tensor Labels => reference.Tensor(json.GetProperty("labels").GetString()!);

        public IReadOnlyDictionary<string, Tensor> Features(string side) =>
            json.TryGetProperty("features", out var f) && f.TryGetProperty(side, out var name)
                ? new Dictionary<string, Tensor> { [side] = reference.Tensor(name.GetString()!) }
                : new Dictionary<string, Tensor>();

        public Tensor? Weight(string name) =>
            json.TryGetProperty("weights", out var w) && w.TryGetProperty(name, out var t) ? reference.Tensor(t.GetString()!) : null;

        public float[]? StudentGrad =>
            json.TryGetProperty("studentGrad", out var g) ? [.. g.EnumerateArray().Select(v => v.GetSingle())] : null;
    }
}
