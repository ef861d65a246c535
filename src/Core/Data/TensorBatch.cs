namespace Edge.Core.Data;

/// <summary>
/// Preprocessed inputs for one batch: <see cref="Data"/> is [Count, C, H, W] float32 (row-major, may be longer
/// than needed when the buffer is reused), <see cref="Labels"/> the class index of each, <see cref="Indices"/>
/// the dataset index of each.
/// </summary>
public sealed record TensorBatch(float[] Data, int[] Labels, int[] Indices, int Count, int[] Shape)
{
    public int SampleLength => Shape[1] * Shape[2] * Shape[3];
}
