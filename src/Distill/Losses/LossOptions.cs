namespace Edge.Distill.Losses;

/// <summary>Hyper-parameters shared by the registered losses; each loss reads the ones it needs.</summary>
public sealed record LossOptions
{
    /// <summary>Softmax temperature of soft-target losses (kd, dkd); the loss is scaled by T².</summary>
    public double Temperature { get; init; } = 4.0;

    /// <summary>Base temperature of logit-standardised KD (ls-kd) on z-scored logits; the authors use 2 (and weight 9).</summary>
    public double LsKdTemperature { get; init; } = 2.0;

    /// <summary>Label smoothing of the cross-entropy loss.</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Classes kept per sample by the sparse soft-target loss (TinyViT's logit cache keeps 10 of 1k).</summary>
    public int TopK { get; init; } = 5;

    /// <summary>Scale of RCKA's 1 − CKA term (the paper uses 15).</summary>
    public double RckaScale { get; init; } = 15.0;

    /// <summary>Adds RCKA's inter-class term (CKA of the transposed logits, class × class).</summary>
    public bool RckaInterClass { get; init; }

    /// <summary>DKD: weight of the target-class term (TCKD).</summary>
    public double DkdAlpha { get; init; } = 1.0;

    /// <summary>DKD: weight of the non-target-class term (NCKD).</summary>
    public double DkdBeta { get; init; } = 8.0;

    /// <summary>Feature pairs for feature losses (fitnet, cka, pcka, attention): student name → teacher name.</summary>
    public IReadOnlyList<FeaturePair> FeaturePairs { get; init; } = [];

    /// <summary>PCKA patch side (the paper splits maps into 16x16 patches).</summary>
    public int PatchSize { get; init; } = 16;
}

/// <summary>A student feature distilled from a teacher feature.</summary>
public sealed record FeaturePair(string Student, string Teacher);
