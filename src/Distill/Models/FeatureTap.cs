namespace Edge.Distill.Models;

/// <summary>
/// A module path whose output is a feature map worth distilling (timm's <c>feature_info</c>): the output of a stage,
/// [N, <see cref="Channels"/>, H / <see cref="Reduction"/>, W / <see cref="Reduction"/>]. Feature losses name it on the
/// student side of a pair (<c>--feature blocks.3=layer3</c>).
/// </summary>
public sealed record FeatureTap(string Path, int Channels, int Reduction);
