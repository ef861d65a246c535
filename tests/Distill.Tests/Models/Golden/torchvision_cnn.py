#!/usr/bin/python3
"""Writes torchvision_cnn.json: the independent reference for Edge's EfficientNet and MobileNetV3 students.

torchvision's efficientnet_b0, mobilenet_v3_large and mobilenet_v3_small (Debian's python3-torchvision) get
deterministic weights from a formula both sides compute, and the file records their parameter count, the shape of
every Conv2d / Linear / BatchNorm2d tensor in module order, and their logits on a deterministic 224x224x3 image.
TorchvisionParityTests fills Edge's models with the same formula, in the same module order, and compares.

The formula, for the k-th tensor (counting weight, bias[, running_mean, running_var] of each Conv2d / Linear /
BatchNorm2d in named_modules() order) and its i-th element in row-major order, with v = sin(0.37 i + 1.7 k + 0.1)
in float64: conv / linear weight v * sqrt(4 / fan_in) (fan_in = numel / out); conv / linear bias 0.1 v;
BatchNorm weight 1 + 0.1 v, bias 0.1 v, running_mean 0.1 v, running_var 1 + 0.25 (v + 1). Input pixel i:
sin(0.013 i). BatchNorm eps is set to 1e-5 (timm's; torchvision's MobileNetV3 uses 1e-3).

Regenerate only with this script: /usr/bin/python3 tests/Distill.Tests/Models/Golden/torchvision_cnn.py
"""
import json
import math
import os
import re

import torch
import torchvision
from torchvision.models import efficientnet_b0, mobilenet_v3_large, mobilenet_v3_small

MODELS = [("efficientnet-b0", "efficientnet_b0", efficientnet_b0),
          ("mobilenetv3-large", "mobilenet_v3_large", mobilenet_v3_large),
          ("mobilenetv3-small", "mobilenet_v3_small", mobilenet_v3_small)]
SIZE = 224


def values(n, k):
    return torch.tensor([math.sin(0.37 * i + 1.7 * k + 0.1) for i in range(n)], dtype=torch.float64)


def fill(model):
    k = 0
    shapes = []
    with torch.no_grad():
        for _, m in model.named_modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                tensors = [("weight", m.weight), ("bias", m.bias)]
            elif isinstance(m, torch.nn.BatchNorm2d):
                m.eps = 1e-5
                tensors = [("bn_weight", m.weight), ("bn_bias", m.bias), ("running_mean", m.running_mean), ("running_var", m.running_var)]
            else:
                continue
            for role, t in tensors:
                if t is None:
                    continue
                v = values(t.numel(), k).reshape(t.shape)
                if role == "weight":
                    v = v * math.sqrt(4.0 / (t.numel() / t.shape[0]))
                elif role in ("bias", "bn_bias", "running_mean"):
                    v = 0.1 * v
                elif role == "bn_weight":
                    v = 1 + 0.1 * v
                else:
                    v = 1 + 0.25 * (v + 1)
                t.copy_(v.to(torch.float32))
                shapes.append([role] + list(t.shape))
                k += 1
    return shapes


def main():
    torch.set_num_threads(1)
    n = 3 * SIZE * SIZE
    x = torch.tensor([math.sin(0.013 * i) for i in range(n)], dtype=torch.float64).to(torch.float32).reshape(1, 3, SIZE, SIZE)
    out = {"torch": torch.__version__, "torchvision": torchvision.__version__, "image_size": SIZE, "models": []}
    for edge_name, tv_name, make in MODELS:
        model = make()
        model.eval()
        shapes = fill(model)
        with torch.no_grad():
            logits = model(x)[0]
        out["models"].append({
            "student": edge_name,
            "torchvision": tv_name,
            "parameters": sum(p.numel() for p in model.parameters()),
            "tensors": shapes,
            "logits": [float(v) for v in logits],
        })
        print(f"{tv_name}: {out['models'][-1]['parameters']} parameters, {len(shapes)} tensors, "
              f"logits mean {logits.mean():.4f} std {logits.std():.4f} max |.| {logits.abs().max():.4f}")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torchvision_cnn.json")
    # One line per tensor (and one for the logits), so a regenerated file diffs readably.
    text = re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", json.dumps(out, indent=1))
    with open(path + ".tmp", "w") as f:
        f.write(text + "\n")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
