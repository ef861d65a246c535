using Edge.Core;
using Edge.Core.Preprocessing;

namespace Edge.Distill.Teachers;

/// <summary>
/// Several teachers averaged in probability space: the returned logits are log(mean softmax), so any loss that
/// applies a softmax (at T = 1) sees the averaged soft targets. Members must agree on the class count.
/// </summary>
public sealed class EnsembleTeacher : ITeacher
{
    private readonly IReadOnlyList<ITeacher> _members;

    public EnsembleTeacher(IReadOnlyList<ITeacher> members)
    {
        if (members.Count == 0) throw new EdgeException("an ensemble needs at least one teacher");
        int classes = members[0].NumClasses;
        var odd = members.FirstOrDefault(m => m.NumClasses != classes);
        if (odd is not null)
            throw new EdgeException($"ensemble teachers disagree on the class count: {members[0].Description} has {classes}, {odd.Description} has {odd.NumClasses}");
        _members = members;
    }

    public string Description => "ensemble(" + string.Join(", ", _members.Select(m => m.Description)) + ")";
    public int NumClasses => _members[0].NumClasses;
    public IReadOnlyList<string> FeatureNames => [];

    public void CheckInput(PreprocessSpec spec, string what)
    {
        foreach (var m in _members) m.CheckInput(spec, what);
    }

    public TeacherOutputs Run(float[] input, int batch)
    {
        int c = NumClasses;
        var mean = new double[batch * c];
        var row = new double[c];
        foreach (var member in _members)
        {
            var logits = member.Run(input, batch).Logits;
            for (int b = 0; b < batch; b++)
            {
                double max = double.NegativeInfinity, sum = 0;
                for (int k = 0; k < c; k++) max = Math.Max(max, logits[b * c + k]);
                for (int k = 0; k < c; k++) sum += row[k] = Math.Exp(logits[b * c + k] - max);
                for (int k = 0; k < c; k++) mean[b * c + k] += row[k] / sum / _members.Count;
            }
        }
        var result = new float[batch * c];
        for (int i = 0; i < result.Length; i++) result[i] = (float)Math.Log(Math.Max(mean[i], 1e-30));
        return new TeacherOutputs(result, batch, c);
    }

    public void Dispose()
    {
        foreach (var m in _members) m.Dispose();
    }
}
