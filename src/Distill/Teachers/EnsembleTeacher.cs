using Edge.Core;
using Edge.Core.Evaluation;
using Edge.Distill.Data;

namespace Edge.Distill.Teachers;

/// <summary>
/// Several teachers averaged in probability space: the returned targets are log(mean softmax) (centred), so any loss
/// that applies a softmax (at T = 1) sees the averaged soft targets. Each member reads its own view of the batch
/// (members may differ in size, colour and normalisation) and its classes are matched to the first member's by label,
/// never by index, so members whose manifests list the same classes in another order average correctly.
/// </summary>
public sealed class EnsembleTeacher : ITeacher
{
    private readonly IReadOnlyList<ITeacher> _members;
    /// <summary>Per member: for each of its output indices, the ensemble's class index.</summary>
    private readonly int[][] _toEnsemble;

    public EnsembleTeacher(IReadOnlyList<ITeacher> members)
    {
        if (members.Count == 0) throw new EdgeException("an ensemble needs at least one teacher");
        _members = members;
        var labels = members[0].Labels;
        _toEnsemble = [.. members.Select(m => ClassMapping.Build(m.Labels, m.NumClasses, labels, $"ensemble member {m.Description}", $"ensemble member {members[0].Description}"))];
    }

    public string Description => "ensemble(" + string.Join(", ", _members.Select(m => m.Description)) + ")";
    public int NumClasses => _members[0].NumClasses;
    public IReadOnlyList<string> Labels => _members[0].Labels;
    public IReadOnlyList<string> FeatureNames => [];
    public IReadOnlyList<TeacherCard> Cards => [.. _members.SelectMany(m => m.Cards)];

    public TeacherOutputs Run(ViewBatch views)
    {
        int c = NumClasses, batch = views.Count;
        var mean = new double[batch * c];
        var row = new double[c];
        for (int m = 0; m < _members.Count; m++)
        {
            var logits = _members[m].Run(views).Logits;
            var map = _toEnsemble[m];
            for (int b = 0; b < batch; b++)
            {
                double max = double.NegativeInfinity, sum = 0;
                for (int k = 0; k < c; k++) max = Math.Max(max, logits[b * c + k]);
                for (int k = 0; k < c; k++) sum += row[k] = Math.Exp(logits[b * c + k] - max);
                for (int k = 0; k < c; k++) mean[b * c + map[k]] += row[k] / sum / _members.Count;
            }
        }
        var result = new float[batch * c];
        for (int i = 0; i < result.Length; i++) result[i] = (float)Math.Log(Math.Max(mean[i], 1e-30));
        return new TeacherOutputs(TeacherTargets.FromOutputs(Edge.Core.Manifest.OutputKind.LogProbabilities, result, batch, c), batch, c);
    }

    public void Dispose()
    {
        foreach (var m in _members) m.Dispose();
    }
}
