using TorchSharp;
using TorchSharp.Modules;

namespace Edge.Distill.Models.Layers;

/// <summary>Conv helpers shared by the mobile blocks.</summary>
public static class MobileConv
{
    /// <summary>timm's symmetric "same-ish" padding for <c>padding=''</c>: ((stride − 1) + (kernel − 1)) / 2.</summary>
    public static long Padding(long kernel, long stride) => (stride - 1 + (kernel - 1)) / 2;

    /// <summary>Bias-free conv as every block uses before its BatchNorm.</summary>
    public static Conv2d Create(long inChannels, long outChannels, long kernel, long stride = 1, long groups = 1) =>
        torch.nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: Padding(kernel, stride), groups: groups, bias: false);
}
