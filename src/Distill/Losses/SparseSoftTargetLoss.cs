using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// TinyViT's fast-pretraining target: only the teacher's top-k probabilities are kept (as in its logit cache);
/// the other C − k classes share the remaining mass equally, (1 − Σ top-k) / (C − k). The loss is the soft
/// cross-entropy −Σ q·log p_student, averaged over the batch.
/// </summary>
public sealed class SparseSoftTargetLoss(int topK = 5) : IDistillLoss
{
    public string Name => "sparse-kd";
    public bool NeedsTeacher => true;

    public Tensor Compute(DistillOutputs student, DistillOutputs? teacher, Tensor labels)
    {
        var t = LossChecks.Teacher(teacher, Name);
        var target = Densify(nn.functional.softmax(t.Logits, 1), topK);
        var logP = nn.functional.log_softmax(student.Logits, 1);
        return -(target * logP).sum(1).mean();
    }

    /// <summary>Keeps the top-k of each row of <paramref name="probs"/> and spreads the rest uniformly.</summary>
    public static Tensor Densify(Tensor probs, int k)
    {
        long c = probs.shape[1];
        if (k >= c) return probs;
        var (values, indices) = probs.topk(k, dim: 1);
        var rest = ((1 - values.sum(1, keepdim: true)) / (c - k)).clamp_min(0);
        var dense = rest.expand(probs.shape[0], c).clone();
        return dense.scatter_(1, indices, values);
    }

    /// <summary>The same target rebuilt from a cache record (class ids and probabilities of the top k).</summary>
    public static Tensor Densify(Tensor ids, Tensor values, long classes)
    {
        long k = ids.shape[1];
        var rest = ((1 - values.sum(1, keepdim: true)) / Math.Max(1, classes - k)).clamp_min(0);
        var dense = rest.expand(ids.shape[0], classes).clone();
        return dense.scatter_(1, ids, values);
    }
}
