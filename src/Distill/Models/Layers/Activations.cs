using Edge.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>
/// Name → activation module, as configs spell them (timm's <c>create_act_layer</c> names). Activations go between
/// layers; gates (bounded to [0, 1]) scale channels in squeeze-excitation. Every module here has an ONNX exporter.
/// </summary>
public static class Activations
{
    private static readonly IReadOnlyDictionary<string, Func<nn.Module<Tensor, Tensor>>> ActivationEntries =
        new Dictionary<string, Func<nn.Module<Tensor, Tensor>>>(StringComparer.OrdinalIgnoreCase)
        {
            ["relu"] = () => nn.ReLU(),
            ["silu"] = () => nn.SiLU(),
            ["hardswish"] = () => nn.Hardswish(),
            ["gelu"] = () => nn.GELU(),
        };

    private static readonly IReadOnlyDictionary<string, Func<nn.Module<Tensor, Tensor>>> GateEntries =
        new Dictionary<string, Func<nn.Module<Tensor, Tensor>>>(StringComparer.OrdinalIgnoreCase)
        {
            ["sigmoid"] = () => nn.Sigmoid(),
            ["hardsigmoid"] = () => nn.Hardsigmoid(),
        };

    public static IReadOnlyList<string> ActivationNames => [.. ActivationEntries.Keys];
    public static IReadOnlyList<string> GateNames => [.. GateEntries.Keys];

    public static bool IsActivation(string name) => ActivationEntries.ContainsKey(name);
    public static bool IsGate(string name) => GateEntries.ContainsKey(name);

    public static nn.Module<Tensor, Tensor> Create(string name) =>
        ActivationEntries.TryGetValue(name, out var make) ? make()
            : throw new EdgeException($"unknown activation '{name}'; known: {string.Join(", ", ActivationNames)}");

    public static nn.Module<Tensor, Tensor> CreateGate(string name) =>
        GateEntries.TryGetValue(name, out var make) ? make()
            : throw new EdgeException($"unknown squeeze-excitation gate '{name}'; known: {string.Join(", ", GateNames)}");
}
