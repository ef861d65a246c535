using Edge.Core;
using Edge.Distill.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Distill.Training;

/// <summary>
/// Collects named intermediate outputs of a module (torchdistill's forward-hook manager). Hooks fire only through
/// <c>module.call(x)</c>, and a Sequential disposes intermediates, so each hook keeps an alias of the output.
/// Names are module paths as in <c>named_modules()</c> (e.g. <c>stages.2</c>); unknown names fail up front.
/// A path to a TinyViT <see cref="Attention"/> module with the suffix <see cref="AttentionSuffix"/>
/// (e.g. <c>stages.1.blocks.0.attn:attn</c>) yields its attention probabilities instead of its output, as
/// [batch, windows × heads, N, N] so batch-major losses can use them.
/// </summary>
public sealed class FeatureHooks : IDisposable
{
    public const string AttentionSuffix = ":attn";

    private readonly Dictionary<string, Tensor> _captured = [];
    private readonly HashSet<string> _attention = [];
    private readonly List<Action> _removers = [];

    /// <param name="side">Who owns the model ("student", "teacher"), for error messages.</param>
    public FeatureHooks(nn.Module model, IReadOnlyList<string> names, string side = "student")
    {
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        foreach (var name in names)
        {
            bool attention = name.EndsWith(AttentionSuffix, StringComparison.Ordinal);
            string path = attention ? name[..^AttentionSuffix.Length] : name;
            if (!modules.TryGetValue(path, out var module))
                throw new EdgeException($"the {side} has no module '{path}'; some that exist: {string.Join(", ", modules.Keys.Where(k => k.Length > 0 && k.Count(c => c == '.') <= 1).Take(16))}");
            string key = name;
            if (attention)
            {
                if (module is not Attention attn)
                    throw new EdgeException($"{side} module '{path}' is a {module.GetType().Name}, not an attention module; '{AttentionSuffix}' needs a path like stages.1.blocks.0.attn");
                _attention.Add(key);
                var remover = attn.register_forward_hook((_, input, output) =>
                {
                    Keep(key, Probabilities(attn, input));
                    return output;
                });
                _removers.Add(remover.remove);
            }
            else
            {
                if (module is not nn.Module<Tensor, Tensor> typed)
                    throw new EdgeException($"{side} module '{name}' ({module.GetType().Name}) does not map one tensor to one tensor; pick another");
                var remover = typed.register_forward_hook((_, _, output) =>
                {
                    Keep(key, output.alias());
                    return output;
                });
                _removers.Add(remover.remove);
            }
        }
        // Windowed attention runs on [batch × windows, N, C]; the root's hook fires last and knows the batch (from
        // its output: a model may dispose its input on the way), so it folds the windows into the channel axis.
        if (_attention.Count > 0 && model is nn.Module<Tensor, Tensor> root)
        {
            var remover = root.register_forward_hook((_, _, output) =>
            {
                long batch = output.shape[0];
                foreach (var key in _attention)
                    if (_captured.TryGetValue(key, out var a) && a.shape[0] != batch)
                        Keep(key, a.reshape(batch, -1, a.shape[^2], a.shape[^1]));
                return output;
            });
            _removers.Add(remover.remove);
        }
    }

    /// <summary>softmax(q kᵀ / √d + bias) of a TinyViT attention for its input [B', N, C]: [B', heads, N, N].</summary>
    public static Tensor Probabilities(Attention attn, Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1];
        var h = attn.Qkv.call(attn.Norm.call(x)).view(b, n, attn.NumHeads, 3 * attn.KeyDim);
        var parts = h.split([attn.KeyDim, attn.KeyDim, attn.KeyDim], dim: 3);
        var q = parts[0].permute(0, 2, 1, 3);
        var k = parts[1].permute(0, 2, 1, 3);
        var logits = q.matmul(k.transpose(-2, -1)) * Math.Pow(attn.KeyDim, -0.5) + attn.BiasMatrix();
        return logits.softmax(-1).MoveToOuterDisposeScope();
    }

    // A hook may fire inside a module's own dispose scope (a TinyViT block inside its stage), which would free the
    // captured tensor when that module returns: hold it outside any scope until Take hands it to the caller's.
    private void Keep(string key, Tensor t)
    {
        t.DetachFromDisposeScope();
        if (_captured.Remove(key, out var old) && !ReferenceEquals(old, t)) old.Dispose();
        _captured[key] = t;
    }

    /// <summary>The features captured by the last forward, attached to the caller's current dispose scope (the
    /// caller owns them when there is none).</summary>
    public IReadOnlyDictionary<string, Tensor> Take()
    {
        var copy = new Dictionary<string, Tensor>(_captured);
        _captured.Clear();
        torch.CurrentDisposeScope?.Attach(copy.Values);
        return copy;
    }

    public void Dispose()
    {
        foreach (var remove in _removers) remove();
        _removers.Clear();
        foreach (var t in _captured.Values) t.Dispose();
        _captured.Clear();
    }
}
