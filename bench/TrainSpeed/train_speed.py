#!/usr/bin/env python3
"""PyTorch eager side of bench/TrainSpeed: trains timm's TinyViT with the dims/depths/heads/windows Edge uses, on
synthetic data resident on the device, with the same objective (KD against fixed teacher logits, T=4, + 0.5*CE),
AdamW(lr 1e-3, wd 0.05), gradient clipping at 5, and the same precision (bf16/fp16 through autocast, fp16 with
GradScaler). Prints one JSON line; when torch or timm cannot be imported it prints {"skipped": reason} and exits 0,
so the .NET harness reports Edge alone with that note."""
import argparse
import inspect
import json
import sys
import time


def ints(text):
    return [int(v) for v in text.split(",")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"])
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--dims", type=ints, default=[64, 128, 160, 320])
    ap.add_argument("--depths", type=ints, default=[2, 2, 6, 2])
    ap.add_argument("--heads", type=ints, default=[2, 4, 5, 10])
    ap.add_argument("--windows", type=ints, default=[8, 4, 2, 1])
    ap.add_argument("--in-chans", type=int, default=1)
    ap.add_argument("--classes", type=int, default=10)
    a = ap.parse_args()

    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001 - any import failure means "no PyTorch here"
        print(json.dumps({"skipped": f"PyTorch is not importable by {sys.executable} ({type(e).__name__}: {e}); pip install torch timm to compare"}))
        return 0
    try:
        from timm.models.tiny_vit import TinyVit
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"skipped": f"timm is not importable by {sys.executable} ({type(e).__name__}: {e}); pip install timm to compare"}))
        return 0

    device = torch.device(a.device)
    torch.manual_seed(0)
    kwargs = dict(in_chans=a.in_chans, num_classes=a.classes, embed_dims=a.dims, depths=a.depths, num_heads=a.heads,
                  window_sizes=a.windows, drop_path_rate=0.0)
    if "img_size" in inspect.signature(TinyVit.__init__).parameters:  # older timm sizes attention biases from it
        kwargs["img_size"] = a.size
    model = TinyVit(**kwargs).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[a.precision]
    scaler = torch.amp.GradScaler(device.type, enabled=a.precision == "fp16")

    pool = 4
    images = torch.randn(pool * a.batch, a.in_chans, a.size, a.size, device=device)
    labels = torch.randint(0, a.classes, (pool * a.batch,), device=device)
    teacher = torch.randn(pool * a.batch, a.classes, device=device) * 3
    loss_sum = torch.zeros((), device=device, dtype=torch.float64)
    T = 4.0

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    start = None
    for step in range(a.warmup + a.steps):
        if step == a.warmup:
            sync()
            loss_sum.zero_()
            start = time.perf_counter()
        s = step % pool * a.batch
        x, y, t = images[s:s + a.batch], labels[s:s + a.batch], teacher[s:s + a.batch]
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            logits = model(x)
        logits = logits.float()
        kd = F.kl_div(F.log_softmax(logits / T, 1), F.log_softmax(t / T, 1), reduction="batchmean", log_target=True) * T * T
        loss = kd + 0.5 * F.cross_entropy(logits, y)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        scaler.step(opt)
        scaler.update()
        loss_sum += loss.detach()
    sync()
    elapsed = time.perf_counter() - start
    import timm
    print(json.dumps({
        "images_per_second": a.steps * a.batch / elapsed,
        "final_loss": float(loss_sum) / a.steps,
        "versions": f"torch {torch.__version__}, timm {timm.__version__}",
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
