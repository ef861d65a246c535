using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>Pre-norm MLP of a TinyViT block: LayerNorm, fc1, GELU, fc2 on the last (channel) axis.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm;
    private readonly Linear fc1;
    private readonly GELU act;
    private readonly Linear fc2;

    public Mlp(int dim, int hidden) : base(nameof(Mlp))
    {
        norm = nn.LayerNorm(dim);
        fc1 = nn.Linear(dim, hidden);
        act = nn.GELU();
        fc2 = nn.Linear(hidden, dim);
        TimmInit.Linear(fc1);
        TimmInit.Linear(fc2);
        RegisterComponents();
    }

    public LayerNorm Norm => norm;
    public Linear Fc1 => fc1;
    public Linear Fc2 => fc2;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return fc2.call(act.call(fc1.call(norm.call(x)))).MoveToOuterDisposeScope();
    }
}
