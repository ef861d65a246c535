#!/usr/bin/python3
"""Mobile-CNN test models for the quantizer: torchvision's EfficientNet-B0 and MobileNetV3-Small adapted to
1x32x32 Fashion-MNIST (one input channel, stride-1 stem), trained briefly on the CPU with Debian's python3-torch,
exported with torch.onnx and given an Edge manifest. They carry the op patterns of mobile CNNs (SiLU as Sigmoid*Mul,
HardSwish, HardSigmoid, squeeze-excitation, depthwise convs, residual Adds) as other exporters write them; they are
test models for `edge quantize`, not Edge's own CNN students (src/Distill/Models).

Usage: nice -n 5 /usr/bin/python3 scripts/zoo/make_cnn_students.py --arch efficientnet_b0 --out runs/zoo/effnet-b0
       [--epochs 2] [--train-samples 60000] [--threads 1] [--opset 17] [--width 1.0] [--stem-stride 1] [--dropout 0.2] [--drop-path 0.1] [--seed 0]
Writes OUT/model.onnx, OUT/manifest.json, OUT/train.json (what was run, accuracy, seconds).
"""
import argparse, gzip, json, math, os, struct, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import efficientnet, mobilenetv3

DATA = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
MEAN, STD = 0.2860, 0.3530


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        magic, = struct.unpack(">I", f.read(4))
        dims = struct.unpack(">" + "I" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def load(split):
    prefix = "train" if split == "train" else "t10k"
    x = torch.from_numpy(read_idx(f"{prefix}-images-idx3-ubyte.gz").copy()).float().div_(255).unsqueeze(1)
    y = torch.from_numpy(read_idx(f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64))
    # The manifest's preprocessing: bilinear 28 -> 32, then (x - mean) / std.
    x = F.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)
    return (x - MEAN) / STD, y


def build(arch, width, stem_stride, dropout=0.2, drop_path=0.1):
    if arch == "efficientnet_b0":
        setting, last = efficientnet._efficientnet_conf("efficientnet_b0", width_mult=width, depth_mult=1.0)
        model = efficientnet.EfficientNet(setting, dropout=dropout, stochastic_depth_prob=drop_path, num_classes=10, last_channel=last)
        stem = model.features[0][0]
    elif arch == "mobilenet_v3_small":
        setting, last = mobilenetv3._mobilenet_v3_conf("mobilenet_v3_small", width_mult=width)
        model = mobilenetv3.MobileNetV3(setting, last, num_classes=10, dropout=dropout)
        stem = model.features[0][0]
    else:
        raise SystemExit(f"unknown --arch {arch}: efficientnet_b0 or mobilenet_v3_small")
    # 1x32x32 input: one channel; a stride-1 stem keeps a 2x2 map in the last stage, stride 2 (the original) a 1x1 one.
    model.features[0][0] = nn.Conv2d(1, stem.out_channels, stem.kernel_size, stride=stem_stride, padding=stem.padding, bias=False)
    return model


def augment(x, gen):
    flip = torch.rand(x.shape[0], generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    dx, dy = (int(v) for v in torch.randint(-3, 4, (2,), generator=gen))
    pad = F.pad(x, (3, 3, 3, 3), value=-MEAN / STD)
    return pad[:, :, 3 + dy:35 + dy, 3 + dx:35 + dx]


def recalibrate_batchnorm(model, x, samples=4096):
    """Running BN statistics as plain averages over un-augmented training images: torchvision's MobileNetV3 uses
    momentum 0.01, whose running statistics a few hundred steps leave near their initial values."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    model.eval()  # dropout and stochastic depth off: only the BN layers collect statistics
    for bn in bns:
        bn.train()
    with torch.no_grad():
        for i in range(0, min(samples, len(x)), 256):
            model(x[i:i + 256].contiguous(memory_format=torch.channels_last))


def evaluate(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 500):
            correct += (model(x[i:i + 500]).argmax(1) == y[i:i + 500]).sum().item()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--train-samples", type=int, default=60000)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    # One thread: on a shared 2-core machine a second PyTorch thread mostly waits for the first.
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--stem-stride", type=int, default=1)
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--drop-path", type=float, default=0.1, help="EfficientNet's stochastic depth")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    xtr, ytr = load("train")
    xte, yte = load("test")
    if a.train_samples < len(xtr):
        keep = torch.randperm(len(xtr), generator=gen)[:a.train_samples]
        xtr, ytr = xtr[keep], ytr[keep]
    # Channels-last runs PyTorch's CPU depthwise convs on oneDNN: about 1.5x faster to train here.
    model = build(a.arch, a.width, a.stem_stride, a.dropout, a.drop_path).to(memory_format=torch.channels_last)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.05)
    steps = a.epochs * math.ceil(len(xtr) / a.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=steps, pct_start=0.15)
    t0 = time.time()
    for epoch in range(a.epochs):
        model.train()
        order = torch.randperm(len(xtr), generator=gen)
        for i in range(0, len(xtr), a.batch_size):
            idx = order[i:i + a.batch_size]
            batch = augment(xtr[idx], gen).contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(model(batch), ytr[idx], label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if (i // a.batch_size) % 20 == 0:
                print(f"epoch {epoch + 1}/{a.epochs} {i}/{len(xtr)} loss {loss.item():.3f} {time.time() - t0:.0f}s", flush=True)
    recalibrate_batchnorm(model, xtr)
    top1 = evaluate(model, xte, yte)
    print(f"{a.arch}: {params} params, test top-1 {100 * top1:.2f}% after {time.time() - t0:.0f}s", flush=True)

    model.eval()
    model = model.to(memory_format=torch.contiguous_format)
    onnx_path = os.path.join(a.out, "model.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 32, 32), onnx_path, opset_version=a.opset, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True)
    manifest = {
        "format": "edge-model/1", "name": f"fmnist-{a.arch.replace('_', '-')}", "model_file": "model.onnx", "precision": "fp32",
        "labels": LABELS,
        "input": {"name": "input", "shape": [-1, 1, 32, 32], "dtype": "float32"},
        "output": {"name": "logits", "shape": [-1, 10], "dtype": "float32", "kind": "logits"},
        "preprocess": {"channels": 1, "height": 32, "width": 32, "resize": "bilinear", "crop_fraction": 1.0, "mean": [MEAN], "std": [STD]},
        "producer": f"torch {torch.__version__} torch.onnx.export opset {a.opset} (scripts/zoo/make_cnn_students.py, not Edge)",
    }
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    with open(os.path.join(a.out, "train.json"), "w") as f:
        json.dump({**vars(a), "params": params, "test_top1_torch": top1, "seconds": time.time() - t0}, f, indent=2)


if __name__ == "__main__":
    main()
