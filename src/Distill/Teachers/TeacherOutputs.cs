namespace Edge.Distill.Teachers;

/// <summary>
/// What a teacher returns for one batch: targets in logits form [batch, classes] row-major (see
/// <see cref="TeacherTargets"/>), plus any named intermediate tensors (white-box teachers), each flattened row-major
/// with its shape.
/// </summary>
public sealed record TeacherOutputs(float[] Logits, int Batch, int NumClasses)
{
    public IReadOnlyDictionary<string, TeacherFeature> Features { get; init; } = new Dictionary<string, TeacherFeature>();
}

/// <summary>One intermediate tensor of a batch: data row-major, shape including the batch dimension.</summary>
public sealed record TeacherFeature(float[] Data, long[] Shape);
