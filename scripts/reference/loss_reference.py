#!/usr/bin/python3
"""Reference values of Edge's distillation losses, computed with PyTorch (Debian's python3-torch 1.13) from each
loss's published definition, on fixed seeded tensors.

Writes tests/Distill.Tests/Losses/loss_reference.json: every case's inputs (float32, as Edge reads them), its options,
the loss value and, for the losses on logits, the gradient with respect to the student's logits. The tests in
tests/Distill.Tests/Losses/LossReferenceTests.cs compare Edge's TorchSharp losses with these values; they never
write the file. Regenerate only with this script:

    /usr/bin/python3 scripts/reference/loss_reference.py

Every reference is computed in float64 from the float32 inputs and written from its definition, not from Edge's
code: Gram matrices and the centring matrix H for CKA (Edge uses the feature-space form), renormalised non-target
probabilities for DKD's NCKD (Edge and mdistiller mask the target logit), explicit soft targets for label smoothing.

Sources of the definitions:
  kd       Hinton et al. 2015; mdistiller kd_loss: KL(p_t^T || p_s^T) summed over classes, mean over the batch, x T^2.
  ls-kd    Sun et al., CVPR 2024 (github sunshangquan/logit-standardization-KD, kd_loss with logit_stand): each row
           z-scored, (z - mean) / (1e-7 + std) with the unbiased std, then KD at the base temperature (2), x T^2.
  dkd      Zhao et al., CVPR 2022; mdistiller dkd_loss: alpha*TCKD + beta*NCKD, both x T^2, summed and / N. For Mixup/
           CutMix labels (two classes per row) the loss is the label-weighted mix of the DKD of each target class,
           as Mixup mixes a loss that is not linear in the label.
  ce       cross-entropy with label smoothing eps: targets (1 - eps) * y + eps / C, y one-hot or a mixed distribution.
  hard-kd  DeiT: cross-entropy with the teacher's argmax.
  sparse-kd TinyViT: the teacher's top-k probabilities, the other C - k classes sharing (1 - sum top-k) equally;
           soft cross-entropy.
  rcka     Zhou et al., IJCAI 2024: scale * (1 - CKA(S, T)) over the batch x batch Gram of the logits, plus, with
           inter_class, scale * (1 - CKA(S^T, T^T)) over the class x class Gram. CKA is the linear centred kernel
           alignment of Kornblith et al. 2019 (the paper's definition; the authors' code drops the centring).
  cka      1 - CKA of the flattened feature maps.
  pcka     both maps at the smaller spatial size (adaptive average pooling), cut into patch x patch tiles that cover
           the map (the last row/column of tiles shorter when the side is not a multiple), mean of 1 - CKA per tile.
  attention Zagoruyko & Komodakis 2017; mdistiller single_stage_at_loss with p = 2: the larger map average-pooled to
           the smaller one, maps F.normalize(mean_c(f^2)) per sample, mean squared difference. Also on attention
           probabilities [N, heads, L, L], where the "channels" are the heads.
  fitnet   Romero et al. 2015: MSE between the teacher's map and the student's through a 1x1 conv (a linear map for
           [N, D] features), pooled to the teacher's grid; the projector's weights are part of the case's inputs.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "Distill.Tests", "Losses", "loss_reference.json")
SEED = 20241214

gen = torch.Generator().manual_seed(SEED)


def randn(*shape, scale=1.0):
    return (torch.randn(*shape, generator=gen) * scale).float()


def randint(high, n):
    return torch.randint(0, high, (n,), generator=gen)


# ---- definitions (float64) -------------------------------------------------------------------------------------

def log_softmax(z):
    return z - torch.logsumexp(z, dim=1, keepdim=True)


def kd(s, t, T):
    p = torch.exp(log_softmax(t / T))
    return (p * (log_softmax(t / T) - log_softmax(s / T))).sum(1).mean() * T * T


def standardize(z):
    # torch.std is the unbiased (n - 1) estimate, as in the authors' normalize().
    return (z - z.mean(1, keepdim=True)) / (1e-7 + z.std(1, keepdim=True))


def ls_kd(s, t, T):
    return kd(standardize(s), standardize(t), T)


def dkd_per_sample(s, t, target, alpha, beta, T):
    """DKD of each sample for one target class per sample: [N]."""
    ps, pt = torch.softmax(s / T, 1), torch.softmax(t / T, 1)
    gt = F.one_hot(target, s.shape[1]).bool()
    ps_t, pt_t = ps[gt], pt[gt]
    ps_o = torch.where(gt, torch.zeros_like(ps), ps).sum(1)  # 1 - p_target, summed rather than subtracted
    pt_o = torch.where(gt, torch.zeros_like(pt), pt).sum(1)
    tckd = pt_t * (pt_t.log() - ps_t.log()) + pt_o * (pt_o.log() - ps_o.log())
    # NCKD: the distributions over the non-target classes, renormalised.
    qs, qt = ps / ps_o[:, None], pt / pt_o[:, None]
    terms = torch.where(gt, torch.zeros_like(qt), qt * (qt.log() - qs.log()))
    nckd = terms.sum(1)
    return (alpha * tckd + beta * nckd) * T * T


def dkd(s, t, target, alpha, beta, T):
    return dkd_per_sample(s, t, target, alpha, beta, T).mean()


def dkd_mixed(s, t, ya, yb, lam, alpha, beta, T):
    return (lam * dkd_per_sample(s, t, ya, alpha, beta, T) + (1 - lam) * dkd_per_sample(s, t, yb, alpha, beta, T)).mean()


def soft_ce(s, q):
    return -(q * log_softmax(s)).sum(1).mean()


def ce(s, y, eps):
    c = s.shape[1]
    q = F.one_hot(y, c).double() if y.dim() == 1 else y
    return soft_ce(s, (1 - eps) * q + eps / c)


def sparse_kd(s, t, k):
    p = torch.softmax(t, 1)
    c = p.shape[1]
    order = p.argsort(1, descending=True)
    keep = torch.zeros_like(p, dtype=torch.bool).scatter(1, order[:, :k], True)
    rest = (1 - torch.where(keep, p, torch.zeros_like(p)).sum(1, keepdim=True)) / (c - k)
    q = torch.where(keep, p, rest.expand_as(p))
    return soft_ce(s, q)


def cka(x, y):
    """Linear CKA from Gram matrices: HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)), HSIC(K, L) = tr(K H L H)."""
    n = x.shape[0]
    h = torch.eye(n, dtype=torch.float64) - torch.full((n, n), 1.0 / n, dtype=torch.float64)
    k, l = x @ x.t(), y @ y.t()

    def hsic(a, b):
        return torch.trace(a @ h @ b @ h)

    return hsic(k, l) / torch.sqrt(hsic(k, k) * hsic(l, l))


def rcka(s, t, scale, inter):
    loss = scale * (1 - cka(s, t))
    if inter:
        loss = loss + scale * (1 - cka(s.t(), t.t()))
    return loss


def flat(f):
    return f.reshape(f.shape[0], -1)


def pool_to(f, h, w):
    return f if f.shape[2] == h and f.shape[3] == w else F.adaptive_avg_pool2d(f, (h, w))


def pcka(s, t, patch):
    h, w = min(s.shape[2], t.shape[2]), min(s.shape[3], t.shape[3])
    s, t = pool_to(s, h, w), pool_to(t, h, w)
    terms = []
    for y0 in range(0, h, patch):
        for x0 in range(0, w, patch):
            terms.append(1 - cka(flat(s[:, :, y0:y0 + patch, x0:x0 + patch]), flat(t[:, :, y0:y0 + patch, x0:x0 + patch])))
    return torch.stack(terms).mean()


def attention_map(f):
    a = flat(f.pow(2).mean(1))
    return a / a.norm(dim=1, keepdim=True).clamp_min(1e-12)


def attention(s, t):
    h, w = min(s.shape[2], t.shape[2]), min(s.shape[3], t.shape[3])
    return (attention_map(pool_to(s, h, w)) - attention_map(pool_to(t, h, w))).pow(2).mean()


def fitnet_map(s, t, weight):
    return F.mse_loss(pool_to(F.conv2d(s, weight), t.shape[2], t.shape[3]), t)


def fitnet_flat(s, t, weight):
    return F.mse_loss(flat(s) @ weight.t(), flat(t))


# ---- cases -------------------------------------------------------------------------------------------------------

tensors = {}


def shortest(v):
    # The shortest decimal that reads back as the same float32 (what Edge's test parses).
    return float(str(np.float32(v)))


def put(name, x):
    """Stores a named input once (cases refer to it by name); returns its float32 value, as Edge sees it."""
    if x.is_floating_point():
        x = x.detach().float().contiguous()
        tensors[name] = {"shape": list(x.shape), "data": [shortest(v) for v in x.reshape(-1).tolist()]}
    else:
        tensors[name] = {"shape": list(x.shape), "dtype": "int64", "data": [int(v) for v in x.reshape(-1).tolist()]}
    return x


cases = []


def add(name, loss, options, fn, student, teacher=None, labels=None, features=None, weights=None, grad=True):
    """fn(student64, teacher64) is the reference value; the gradient is taken with respect to the student's logits.
    student/teacher/labels/features/weights name tensors stored with put()."""
    s64 = torch.tensor(tensors[student]["data"], dtype=torch.float64).reshape(tensors[student]["shape"]).requires_grad_(grad)
    t64 = None if teacher is None else torch.tensor(tensors[teacher]["data"], dtype=torch.float64).reshape(tensors[teacher]["shape"])
    value = fn(s64, t64)
    case = {"name": name, "loss": loss, "options": options, "student": student, "expected": float(value)}
    for key, v in (("teacher", teacher), ("labels", labels), ("features", features), ("weights", weights)):
        if v is not None:
            case[key] = v
    if grad:
        (g,) = torch.autograd.grad(value, s64)
        case["studentGrad"] = [float("%.10g" % v) for v in g.reshape(-1).tolist()]
    cases.append(case)


def f64(name):
    return torch.tensor(tensors[name]["data"], dtype=torch.float64).reshape(tensors[name]["shape"])


N, C = 16, 10
put("s", randn(N, C, scale=2.0))
put("t", randn(N, C, scale=3.0))
put("t_affine", f64("t") * 7 + 1.5)
y = put("y", randint(C, N))

add("kd T=4", "kd", {"temperature": 4.0}, lambda a, b: kd(a, b, 4.0), "s", "t", "y")
add("kd T=1", "kd", {"temperature": 1.0}, lambda a, b: kd(a, b, 1.0), "s", "t", "y")
add("ls-kd T=2", "ls-kd", {"lsKdTemperature": 2.0}, lambda a, b: ls_kd(a, b, 2.0), "s", "t", "y")
add("ls-kd T=1, teacher logits scaled and shifted", "ls-kd", {"lsKdTemperature": 1.0}, lambda a, b: ls_kd(a, b, 1.0),
    "s", "t_affine", "y")
add("dkd a=1 b=8 T=4", "dkd", {"dkdAlpha": 1.0, "dkdBeta": 8.0, "temperature": 4.0},
    lambda a, b: dkd(a, b, y, 1.0, 8.0, 4.0), "s", "t", "y")
add("dkd a=2 b=0.5 T=2", "dkd", {"dkdAlpha": 2.0, "dkdBeta": 0.5, "temperature": 2.0},
    lambda a, b: dkd(a, b, y, 2.0, 0.5, 2.0), "s", "t", "y")

# Mixup labels as Edge's BatchMixer makes them: row i mixes sample i (weight lam) with sample n - 1 - i.
lam = 0.7
y_flip = y.flip(0)
put("y_mixup", lam * F.one_hot(y, C).double() + (1 - lam) * F.one_hot(y_flip, C).double())
y_mixed = f64("y_mixup")
add("dkd mixup lam=0.7", "dkd", {"dkdAlpha": 1.0, "dkdBeta": 8.0, "temperature": 4.0},
    lambda a, b: dkd_mixed(a, b, y, y_flip, lam, 1.0, 8.0, 4.0), "s", "t", "y_mixup")
add("ce", "ce", {}, lambda a, b: ce(a, y, 0.0), "s", None, "y")
add("ce label smoothing 0.1", "ce", {"labelSmoothing": 0.1}, lambda a, b: ce(a, y, 0.1), "s", None, "y")
add("ce mixup + smoothing 0.1", "ce", {"labelSmoothing": 0.1}, lambda a, b: ce(a, y_mixed, 0.1), "s", None, "y_mixup")
add("hard-kd", "hard-kd", {}, lambda a, b: ce(a, b.argmax(1), 0.0), "s", "t", "y")
add("sparse-kd k=3", "sparse-kd", {"topK": 3}, lambda a, b: sparse_kd(a, b, 3), "s", "t", "y")
add("rcka scale=15", "rcka", {"rckaScale": 15.0}, lambda a, b: rcka(a, b, 15.0, False), "s", "t", "y")
add("rcka scale=15 inter-class", "rcka", {"rckaScale": 15.0, "rckaInterClass": True},
    lambda a, b: rcka(a, b, 15.0, True), "s", "t", "y")

# Feature losses: the student's feature is named "s", the teacher's "t"; their logits are not read.
Nf = 8
put("logits_f", randn(Nf, C))
put("y_f", randint(C, Nf))
put("f14", randn(Nf, 3, 14, 14))
put("g14", randn(Nf, 2, 14, 14) + 0.5 * f64("f14")[:, :2].float())  # related maps, so CKA is far from 0
put("f12", randn(Nf, 3, 12, 12))
put("g6", randn(Nf, 4, 6, 6) + 0.5 * F.avg_pool2d(f64("f12"), 2).float().repeat(1, 2, 1, 1)[:, :4])
put("f3", randn(Nf, 3, 3, 3))
put("g6b", randn(Nf, 4, 6, 6))
put("attn_s", torch.softmax(randn(Nf, 2, 9, 9, scale=2.0), -1))
put("attn_t", torch.softmax(randn(Nf, 1, 9, 9, scale=2.0), -1))
put("w_map", randn(4, 3, 1, 1, scale=0.3))
put("v12", randn(Nf, 12))
put("u7", randn(Nf, 7))
put("w_vec", randn(7, 12, scale=0.3))


def feature_case(name, loss, options, fn, fs, ft, weights=None):
    add(name, loss, options, lambda a, b: fn(f64(fs), f64(ft)), "logits_f", "logits_f", "y_f",
        features={"s": fs, "t": ft}, weights=weights, grad=False)


feature_case("cka", "cka", {}, lambda a, b: 1 - cka(flat(a), flat(b)), "f12", "g6")
feature_case("pcka 6 on 14x14 (partial tiles)", "pcka", {"patchSize": 6}, lambda a, b: pcka(a, b, 6), "f14", "g14")
feature_case("pcka 4 on 12x12 vs 6x6", "pcka", {"patchSize": 4}, lambda a, b: pcka(a, b, 4), "f12", "g6")
feature_case("pcka 16 on 12x12 vs 6x6 (one tile)", "pcka", {"patchSize": 16}, lambda a, b: pcka(a, b, 16), "f12", "g6")
feature_case("attention, student map larger", "attention", {}, attention, "f12", "g6")
feature_case("attention, student map smaller", "attention", {}, attention, "f3", "g6b")
feature_case("attention on attention probabilities", "attention", {}, attention, "attn_s", "attn_t")
feature_case("fitnet map 12x12 -> 6x6", "fitnet", {}, lambda a, b: fitnet_map(a, b, f64("w_map")), "f12", "g6",
             weights={"projector": "w_map"})
feature_case("fitnet flat", "fitnet", {}, lambda a, b: fitnet_flat(a, b, f64("w_vec")), "v12", "u7",
             weights={"projector": "w_vec"})

doc = {
    "about": "Reference values of Edge's losses. Written by scripts/reference/loss_reference.py; do not edit.",
    "torch": torch.__version__,
    "seed": SEED,
    "tensors": tensors,
    "cases": cases,
}
with open(OUT + ".tmp", "w") as f:
    json.dump(doc, f, separators=(",", ":"))
    f.write("\n")
os.replace(OUT + ".tmp", OUT)
print(f"{len(cases)} cases, {len(tensors)} tensors -> {os.path.relpath(OUT, ROOT)}", file=sys.stderr)
