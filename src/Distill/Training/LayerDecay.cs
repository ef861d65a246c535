using Edge.Core;
using Edge.Distill.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Training;

/// <summary>AdamW parameter groups with the learning-rate scale of each (the trainer multiplies the schedule's rate by it).</summary>
public sealed record OptimizerGroups(IReadOnlyList<AdamW.ParamGroup> Groups, IReadOnlyList<double> Scales, IReadOnlyList<string> Names);

/// <summary>
/// Layer-wise learning-rate decay for fine-tuning (BEiT; timm's <c>param_groups_layer_decay</c>): the layers
/// near the input, which hold general features, move less than those near the head. Layers are the student's own
/// (timm's <c>group_matcher</c> of its family, see <see cref="StudentModel.ParameterDepths"/>): the stem is layer 0,
/// every block of every stage one layer in order, and the head the last layer L (loss parameters such as a FitNet
/// projector train at its rate); layer i gets <c>decay^(L − i)</c>. Each layer keeps timm's split of weight decay: none on
/// norms, biases and attention biases.
/// </summary>
public static class LayerDecay
{
    /// <summary>Layer id of every named parameter, and the number of layers (head = count − 1): the student's own
    /// grouping by depth (<see cref="StudentModel.ParameterDepths"/>).</summary>
    public static (IReadOnlyDictionary<string, int> Layers, int Count) LayerIds(nn.Module model) =>
        model is StudentModel student
            ? student.ParameterDepths()
            : throw new EdgeException($"--layer-decay needs a registered student (a {model.GetType().Name} does not say how its layers are ordered)");

    public static double Scale(int layer, int count, double decay) => Math.Pow(decay, count - 1 - layer);

    /// <summary>
    /// The optimizer's groups: without <paramref name="layerDecay"/> the two groups of the plain recipe (decay,
    /// no decay), each at scale 1; with it, those two per layer, scaled by depth. <paramref name="extra"/> (loss
    /// parameters) train with decay at the head's rate.
    /// </summary>
    public static OptimizerGroups Build(nn.Module model, IEnumerable<Parameter> extra, double lr, double weightDecay, double? layerDecay,
        Func<string, Parameter, Parameter>? optimized = null)
    {
        if (layerDecay is { } d && !(d > 0 && d <= 1))
            throw new EdgeException($"--layer-decay must be in (0, 1], got {d}");
        // `optimized` maps a model parameter to the tensor the optimizer steps (mixed precision: its float32 master).
        var named = model.named_parameters().Select(p => (p.name, parameter: optimized?.Invoke(p.name, p.parameter) ?? p.parameter)).ToArray();
        static bool Decays((string name, Parameter parameter) p) => p.parameter.dim() >= 2 && !p.name.Contains("attention_biases");
        var extras = extra.ToArray();
        var groups = new List<AdamW.ParamGroup>();
        var scales = new List<double>();
        var names = new List<string>();
        if (layerDecay is null)
        {
            // The plain recipe, group for group, so checkpoints of runs without layer decay stay loadable.
            groups.Add(new AdamW.ParamGroup([.. named.Where(Decays).Select(p => p.parameter), .. extras], lr: lr, weight_decay: weightDecay));
            scales.Add(1);
            names.Add("decay");
            var noDecay = named.Where(p => !Decays(p)).Select(p => p.parameter).ToArray();
            if (noDecay.Length > 0)
            {
                groups.Add(new AdamW.ParamGroup(noDecay, lr: lr, weight_decay: 0));
                scales.Add(1);
                names.Add("no-decay");
            }
            return new OptimizerGroups(groups, scales, names);
        }
        var (layers, count) = LayerIds(model);
        for (int layer = 0; layer < count; layer++)
        {
            double scale = Scale(layer, count, layerDecay.Value);
            var inLayer = named.Where(p => layers[p.name] == layer).ToArray();
            var decay = inLayer.Where(Decays).Select(p => p.parameter).Concat(layer == count - 1 ? extras : []).ToArray();
            var noDecay = inLayer.Where(p => !Decays(p)).Select(p => p.parameter).ToArray();
            if (decay.Length > 0)
            {
                groups.Add(new AdamW.ParamGroup(decay, lr: lr * scale, weight_decay: weightDecay));
                scales.Add(scale);
                names.Add($"layer{layer}-decay");
            }
            if (noDecay.Length > 0)
            {
                groups.Add(new AdamW.ParamGroup(noDecay, lr: lr * scale, weight_decay: 0));
                scales.Add(scale);
                names.Add($"layer{layer}-no-decay");
            }
        }
        return new OptimizerGroups(groups, scales, names);
    }
}
