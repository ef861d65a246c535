using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>
/// timm's <c>_init_weight_goog</c> (the TF EfficientNet / MobileNetV3 initialisation, used by both families):
/// conv weights normal(0, √(2 / fan_out)) with fan_out = k·k·out / groups, conv biases 0; BatchNorm weight 1, bias 0;
/// Linear weights uniform(±1/√out), biases 0.
/// </summary>
public static class GoogInit
{
    public static void Apply(nn.Module model)
    {
        using var _ = no_grad();
        foreach (var (_, m) in model.named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    long fanOut = conv.kernel_size[0] * conv.kernel_size[1] * conv.out_channels / conv.groups;
                    conv.weight.normal_(0, Math.Sqrt(2.0 / fanOut));
                    conv.bias?.zero_();
                    break;
                case BatchNorm2d bn:
                    bn.weight.fill_(1.0);
                    bn.bias!.zero_();
                    break;
                case Linear linear:
                    double range = 1.0 / Math.Sqrt(linear.out_features);
                    linear.weight.uniform_(-range, range);
                    linear.bias?.zero_();
                    break;
            }
        }
    }
}
