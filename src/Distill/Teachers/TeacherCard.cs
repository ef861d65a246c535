using Edge.Core.Manifest;
using Edge.Core.Preprocessing;

namespace Edge.Distill.Teachers;

/// <summary>
/// What one teacher model is, as a run records it and a cache checks it: where it lives, a hash of what it computes
/// (the model file's SHA-256; for a served model the one its manifest claims, else null), its own preprocessing,
/// what its output holds and its class labels. An ensemble has one card per member.
/// </summary>
public sealed record TeacherCard(string Location, string Description, string? Sha256, PreprocessSpec Preprocess, OutputKind OutputKind,
    IReadOnlyList<string> Labels)
{
    /// <summary>Changes when the teacher's answers may change: the model hash (or location), spec and output kind.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public string Identity => $"{Sha256 ?? Location}|{Preprocess}|{OutputKinds.Name(OutputKind)}";
}

/// <summary>
/// Turns a teacher's raw outputs into the targets every loss reads: logits-form (probabilities become log p, see
/// <see cref="OutputKinds.ToLogits(OutputKind, Span{float})"/>), then each row centred on its mean. Softmax-based
/// losses are indifferent to the centring; the others (RCKA's logit CKA) would see a per-row shift between a
/// model's logits and its log-probabilities, and with it the targets are the same whichever kind a teacher outputs.
/// </summary>
public static class TeacherTargets
{
    public static float[] FromOutputs(OutputKind kind, float[] raw, int batch, int classes)
    {
        OutputKinds.ToLogits(kind, raw.AsSpan(0, batch * classes));
        for (int b = 0; b < batch; b++)
        {
            var row = raw.AsSpan(b * classes, classes);
            double mean = 0;
            foreach (float v in row) mean += v;
            float m = (float)(mean / classes);
            for (int k = 0; k < classes; k++) row[k] -= m;
        }
        return raw;
    }
}
