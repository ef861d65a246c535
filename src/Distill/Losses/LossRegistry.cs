using Edge.Core;

namespace Edge.Distill.Losses;

/// <summary>
/// Name → loss, listed explicitly here (no registration by side effect). Unknown names fail with the list of
/// known ones.
/// </summary>
public static class LossRegistry
{
    private sealed record Entry(Func<LossOptions, IDistillLoss> Create, string Description);

    private static readonly IReadOnlyDictionary<string, Entry> Entries = new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase)
    {
        ["ce"] = new(o => new CrossEntropyLoss(o.LabelSmoothing), "cross-entropy with the labels (label smoothing)"),
        ["kd"] = new(o => new HintonKdLoss(o.Temperature), "Hinton KD: KL of softened distributions × T²"),
        ["ls-kd"] = new(o => new LogitStandardizedKdLoss(o.LsKdTemperature), "logit-standardised KD (Sun et al. 2024): KD on z-scored logits"),
        ["hard-kd"] = new(_ => new HardLabelKdLoss(), "cross-entropy with the teacher's argmax"),
        ["sparse-kd"] = new(o => new SparseSoftTargetLoss(o.TopK), "TinyViT sparse soft targets (top-k, rest uniform)"),
        ["rcka"] = new(o => new RckaLoss(o.RckaScale, o.RckaInterClass), "RCKA on logits: scale·(1 − CKA)"),
        ["dkd"] = new(o => new DkdLoss(o.DkdAlpha, o.DkdBeta, o.Temperature), "decoupled KD: α·TCKD + β·NCKD"),
        ["fitnet"] = new(o => new FitNetLoss(o.FeaturePairs), "FitNet: MSE through a learned 1x1 projector"),
        ["cka"] = new(o => new FeatureCkaLoss(o.FeaturePairs), "1 − linear CKA between feature maps"),
        ["pcka"] = new(o => new PatchCkaLoss(o.FeaturePairs, o.PatchSize), "patch-wise CKA over patch × patch tiles"),
        ["attention"] = new(o => new AttentionTransferLoss(o.FeaturePairs), "attention-map transfer (Zagoruyko & Komodakis)"),
    };

    public static IReadOnlyList<string> Names => [.. Entries.Keys.Order(StringComparer.Ordinal)];

    public static string Describe(string name) => Get(name).Description;

    public static IDistillLoss Create(string name, LossOptions? options = null) => Get(name).Create(options ?? new LossOptions());

    /// <summary>Builds the weighted objective from (name, weight) pairs.</summary>
    public static WeightedLoss Compose(IEnumerable<LossWeight> weights, LossOptions? options = null) =>
        new([.. weights.Select(w => new LossTerm(w.Weight, Create(w.Name, options)))]);

    private static Entry Get(string name) =>
        Entries.TryGetValue(name, out var e)
            ? e
            : throw new EdgeException($"unknown loss '{name}'; known losses: {string.Join(", ", Names)}");
}

/// <summary>One term of the objective as configured: a registered loss name and its weight.</summary>
public sealed record LossWeight(string Name, double Weight)
{
    /// <summary>Parses <c>kd=1,ce=0.5</c> (a bare name means weight 1).</summary>
    public static IReadOnlyList<LossWeight> ParseList(string text)
    {
        var result = new List<LossWeight>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            double w = 1;
            if (kv.Length == 2 && !double.TryParse(kv[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out w))
                throw new EdgeException($"loss weight '{kv[1]}' for '{kv[0]}' is not a number; write e.g. kd=1,ce=0.5");
            result.Add(new LossWeight(kv[0], w));
        }
        if (result.Count == 0) throw new EdgeException($"no loss terms in '{text}'; write e.g. kd=1,ce=0.5");
        return result;
    }
}
