using Edge.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Distill.Training;

/// <summary>
/// Collects named intermediate outputs of a module (torchdistill's forward-hook manager). Hooks fire only through
/// <c>module.call(x)</c>, and a Sequential disposes intermediates, so each hook keeps an alias of the output.
/// Names are module paths as in <c>named_modules()</c> (e.g. <c>stages.2</c>); unknown names fail up front.
/// </summary>
public sealed class FeatureHooks : IDisposable
{
    private readonly Dictionary<string, Tensor> _captured = [];
    private readonly List<Action> _removers = [];

    public FeatureHooks(nn.Module model, IReadOnlyList<string> names)
    {
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        foreach (var name in names)
        {
            if (!modules.TryGetValue(name, out var module))
                throw new EdgeException($"the student has no module '{name}'; some that exist: {string.Join(", ", modules.Keys.Where(k => k.Length > 0 && k.Count(c => c == '.') <= 1).Take(16))}");
            if (module is not nn.Module<Tensor, Tensor> typed)
                throw new EdgeException($"student module '{name}' ({module.GetType().Name}) does not map one tensor to one tensor; pick another");
            string key = name;
            var remover = typed.register_forward_hook((_, _, output) =>
            {
                _captured[key] = output.alias();
                return output;
            });
            _removers.Add(remover.remove);
        }
    }

    /// <summary>The features captured by the last forward; they belong to its dispose scope.</summary>
    public IReadOnlyDictionary<string, Tensor> Take()
    {
        var copy = new Dictionary<string, Tensor>(_captured);
        _captured.Clear();
        return copy;
    }

    public void Dispose()
    {
        foreach (var remove in _removers) remove();
        _removers.Clear();
    }
}
