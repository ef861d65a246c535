#!/usr/bin/python3
"""PyTorch eager side of bench/TrainSpeed.

A TinyViT written layer for layer like Edge's (src/Distill/Models/TinyVit.cs and Models/Layers/*.cs: the same modules,
shapes and ops in the same order; timm's initialisation is not reproduced), trained with the objective and step of
Edge's trainer: KD (T = 4) against fixed teacher logits + 0.5 * CE, AdamW (lr 2e-3, weight decay 0.05 on weights of
rank >= 2 except attention biases, none on norms/biases), gradient clipping at global norm 5, the learning rate set
on every group each step. Synthetic inputs resident in memory, as on the Edge side.

Attention: torch 1.13 has no scaled_dot_product_attention, so softmax(q k^T * scale + bias) v is written out, as timm
does on torch < 2.0; Edge calls libtorch 2.10's SDPA with the bias as an additive mask (the same function).

Protocol (the .NET harness runs one process and interleaves its rounds with Edge's): one JSON command per stdin line,
one JSON reply per stdout line.
  {"cmd": "build", "config": {...TinyVitConfig...}, "threads": 2, "seed": 0, "pool": 4, "batch": 128}
  {"cmd": "run", "steps": 20, "warmup": 2}   -> {"images_per_second": ..., "seconds": ..., "loss": ...}
  {"cmd": "quit"}
Without torch it replies {"skipped": reason} to every command.
"""
import json
import math
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    IMPORT_ERROR = None
except Exception as e:  # noqa: BLE001 - any import failure means "no PyTorch here"
    IMPORT_ERROR = f"PyTorch is not importable by {sys.executable} ({type(e).__name__}: {e})"


if IMPORT_ERROR is None:
    class Conv2dBN(nn.Module):
        def __init__(self, cin, cout, k=1, stride=1, pad=0, groups=1, bn_weight=1.0):
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, k, stride, pad, groups=groups, bias=False)
            self.bn = nn.BatchNorm2d(cout)
            nn.init.constant_(self.bn.weight, bn_weight)
            nn.init.zeros_(self.bn.bias)

        def forward(self, x):
            return self.bn(self.conv(x))

    class PatchEmbed(nn.Module):
        def __init__(self, cin, dim, stride):
            super().__init__()
            self.conv1 = Conv2dBN(cin, dim // 2, 3, 2, 1)
            self.act = nn.GELU()
            self.conv2 = Conv2dBN(dim // 2, dim, 3, stride // 2, 1)

        def forward(self, x):
            return self.conv2(self.act(self.conv1(x)))

    class MBConv(nn.Module):
        def __init__(self, c, expand):
            super().__init__()
            hidden = int(c * expand)
            self.conv1 = Conv2dBN(c, hidden, 1)
            self.act1 = nn.GELU()
            self.conv2 = Conv2dBN(hidden, hidden, 3, 1, 1, groups=hidden)
            self.act2 = nn.GELU()
            self.conv3 = Conv2dBN(hidden, c, 1, bn_weight=0.0)
            self.act3 = nn.GELU()

        def forward(self, x):
            h = self.act1(self.conv1(x))
            h = self.act2(self.conv2(h))
            h = self.conv3(h)  # drop path 0: identity
            return self.act3(h + x)

    class ConvLayer(nn.Module):
        def __init__(self, dim, depth, expand):
            super().__init__()
            self.blocks = nn.Sequential(*[MBConv(dim, expand) for _ in range(depth)])

        def forward(self, x):
            return self.blocks(x)

    class PatchMerging(nn.Module):
        def __init__(self, dim, out):
            super().__init__()
            self.conv1 = Conv2dBN(dim, out, 1)
            self.act = nn.GELU()
            self.conv2 = Conv2dBN(out, out, 3, 2, 1, groups=out)
            self.conv3 = Conv2dBN(out, out, 1)

        def forward(self, x):
            h = self.act(self.conv1(x))
            h = self.act(self.conv2(h))
            return self.conv3(h)

    def bias_index(ws):
        points = [(y, x) for y in range(ws) for x in range(ws)]
        offsets, idxs = {}, []
        for p1 in points:
            for p2 in points:
                off = (abs(p1[0] - p2[0]), abs(p1[1] - p2[1]))
                if off not in offsets:
                    offsets[off] = len(offsets)
                idxs.append(offsets[off])
        return len(offsets), torch.tensor(idxs, dtype=torch.long).view(ws * ws, ws * ws)

    class Attention(nn.Module):
        def __init__(self, dim, key_dim, heads, ws):
            super().__init__()
            self.heads, self.key_dim, self.scale = heads, key_dim, key_dim ** -0.5
            self.norm = nn.LayerNorm(dim)
            self.qkv = nn.Linear(dim, 3 * key_dim * heads)
            self.proj = nn.Linear(key_dim * heads, dim)
            count, idx = bias_index(ws)
            self.attention_biases = nn.Parameter(torch.zeros(heads, count))
            self.register_buffer("attention_bias_idxs", idx, persistent=False)

        def forward(self, x):
            b, n, _ = x.shape
            h = self.qkv(self.norm(x))
            q, k, v = h.view(b, n, self.heads, 3 * self.key_dim).split([self.key_dim] * 3, dim=3)
            q, k, v = q.permute(0, 2, 1, 3), k.permute(0, 2, 1, 3), v.permute(0, 2, 1, 3)
            bias = self.attention_biases[:, self.attention_bias_idxs]  # [heads, n, n]
            attn = (q @ k.transpose(-2, -1)) * self.scale + bias
            o = attn.softmax(-1) @ v
            return self.proj(o.transpose(1, 2).reshape(b, n, self.heads * self.key_dim))

    class Mlp(nn.Module):
        def __init__(self, dim, hidden):
            super().__init__()
            self.norm = nn.LayerNorm(dim)
            self.fc1 = nn.Linear(dim, hidden)
            self.act = nn.GELU()
            self.fc2 = nn.Linear(hidden, dim)

        def forward(self, x):
            return self.fc2(self.act(self.fc1(self.norm(x))))

    class TinyVitBlock(nn.Module):
        def __init__(self, dim, heads, ws, mlp_ratio, local_conv):
            super().__init__()
            self.ws = ws
            self.attn = Attention(dim, dim // heads, heads, ws)
            self.local_conv = Conv2dBN(dim, dim, local_conv, 1, local_conv // 2, groups=dim)
            self.mlp = Mlp(dim, int(dim * mlp_ratio))

        def forward(self, x):  # NHWC
            b, h, w, c = x.shape
            ws, l = self.ws, h * w
            if h == ws and w == ws:
                a = self.attn(x.reshape(b, l, c)).view(b, h, w, c)
            else:
                pad_b, pad_r = (ws - h % ws) % ws, (ws - w % ws) % ws
                xp = F.pad(x, (0, 0, 0, pad_r, 0, pad_b)) if pad_b or pad_r else x
                ph, pw = h + pad_b, w + pad_r
                nh, nw = ph // ws, pw // ws
                win = xp.reshape(b, nh, ws, nw, ws, c).transpose(2, 3).reshape(b * nh * nw, ws * ws, c)
                a = self.attn(win).view(b, nh, nw, ws, ws, c).transpose(2, 3).reshape(b, ph, pw, c)
                if pad_b or pad_r:
                    a = a[:, :h, :w, :]
            x = x + a
            conv = self.local_conv(x.permute(0, 3, 1, 2))
            t = conv.reshape(b, c, l).transpose(1, 2)
            t = t + self.mlp(t)
            return t.reshape(b, h, w, c)

    class TinyVitStage(nn.Module):
        def __init__(self, cin, cout, depth, heads, ws, mlp_ratio, local_conv):
            super().__init__()
            self.downsample = PatchMerging(cin, cout)
            self.blocks = nn.Sequential(*[TinyVitBlock(cout, heads, ws, mlp_ratio, local_conv) for _ in range(depth)])

        def forward(self, x):
            return self.blocks(self.downsample(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

    class ClassifierHead(nn.Module):
        def __init__(self, dim, classes):
            super().__init__()
            self.norm = nn.LayerNorm(dim, eps=1e-5)
            self.fc = nn.Linear(dim, classes)

        def forward(self, x):
            return self.fc(self.norm(x.mean((2, 3))))

    class TinyVit(nn.Module):
        def __init__(self, c):
            super().__init__()
            dims, depths = c["embedDims"], c["depths"]
            self.patch_embed = PatchEmbed(c["inChannels"], dims[0], c["stemStride"])
            stages = [ConvLayer(dims[0], depths[0], c["mbconvExpandRatio"])]
            for s in range(1, len(depths)):
                stages.append(TinyVitStage(dims[s - 1], dims[s], depths[s], c["numHeads"][s], c["windowSizes"][s],
                                           c["mlpRatio"], c["localConvSize"]))
            self.stages = nn.Sequential(*stages)
            self.head = ClassifierHead(dims[-1], c["numClasses"])

        def forward(self, x):
            return self.head(self.stages(self.patch_embed(x)))


class Trainer:
    """The model, its optimizer and a pool of synthetic batches, built once; run() times steps."""

    def __init__(self, cmd):
        torch.set_num_threads(int(cmd.get("threads", 1)))
        torch.manual_seed(int(cmd.get("seed", 0)))
        c = cmd["config"]
        self.batch, pool = int(cmd["batch"]), int(cmd.get("pool", 4))
        self.device = torch.device(cmd.get("device", "cpu"))
        self.dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[cmd.get("precision", "fp32")]
        self.scaler = torch.cuda.amp.GradScaler(enabled=self.dtype == torch.float16)
        self.model = TinyVit(c).to(self.device).train()
        decay = [p for n, p in self.model.named_parameters() if p.dim() >= 2 and "attention_biases" not in n]
        no_decay = [p for n, p in self.model.named_parameters() if not (p.dim() >= 2 and "attention_biases" not in n)]
        self.lr = float(cmd.get("lr", 2e-3))
        self.opt = torch.optim.AdamW([{"params": decay, "weight_decay": float(cmd.get("weight_decay", 0.05))},
                                      {"params": no_decay, "weight_decay": 0.0}], lr=self.lr)
        self.params = list(self.model.parameters())
        n = pool * self.batch
        size, classes = c["imageSize"], c["numClasses"]
        self.images = torch.randn(n, c["inChannels"], size, size, device=self.device)
        self.labels = torch.randint(0, classes, (n,), device=self.device)
        self.teacher = torch.randn(n, classes, device=self.device) * 3
        self.pool, self.step_no = pool, 0
        self.parameters = sum(p.numel() for p in self.params)

    def step(self, loss_sum, phases=None):
        s = self.step_no % self.pool * self.batch
        self.step_no += 1
        x, y, t = self.images[s:s + self.batch], self.labels[s:s + self.batch], self.teacher[s:s + self.batch]
        for g in self.opt.param_groups:
            g["lr"] = self.lr * 0.5 * (1 + math.cos(math.pi * (self.step_no % 1000) / 1000))
        t0 = time.perf_counter()
        self.opt.zero_grad(set_to_none=False)
        with torch.autocast(self.device.type, dtype=self.dtype or torch.bfloat16, enabled=self.dtype is not None):
            logits = self.model(x)
        logits = logits.float()
        T = 4.0
        kd = F.kl_div(F.log_softmax(logits / T, 1), F.log_softmax(t / T, 1), reduction="batchmean", log_target=True) * T * T
        loss = 1.0 * kd + 0.5 * F.cross_entropy(logits, y)
        if self.dtype == torch.float16:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.opt)
            torch.nn.utils.clip_grad_norm_(self.params, 5.0)
            self.scaler.step(self.opt)
            self.scaler.update()
        else:
            t1 = time.perf_counter()
            loss.backward()
            t2 = time.perf_counter()
            torch.nn.utils.clip_grad_norm_(self.params, 5.0)
            t3 = time.perf_counter()
            self.opt.step()
            if phases is not None:
                t4 = time.perf_counter()
                for i, d in enumerate((t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                    phases[i] += d
        loss_sum += loss.detach()

    def run(self, steps, warmup):
        loss_sum = torch.zeros((), dtype=torch.float64, device=self.device)
        for _ in range(warmup):
            self.step(loss_sum)
        float(loss_sum)  # waits for the device, like Edge's read of its loss sum
        loss_sum.zero_()
        phases = [0.0, 0.0, 0.0, 0.0]
        start = time.perf_counter()
        for _ in range(steps):
            self.step(loss_sum, phases)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        seconds = time.perf_counter() - start
        loss = float(loss_sum) / steps
        return {"images_per_second": steps * self.batch / seconds, "seconds": seconds, "loss": loss, "phases": phases}


def main():
    trainer = None
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            break
        if IMPORT_ERROR is not None:
            reply = {"skipped": IMPORT_ERROR}
        elif cmd["cmd"] == "build":
            trainer = Trainer(cmd)
            reply = {"parameters": trainer.parameters, "threads": torch.get_num_threads(), "versions": f"torch {torch.__version__}"}
        elif cmd["cmd"] == "run":
            reply = trainer.run(int(cmd["steps"]), int(cmd.get("warmup", 0)))
        else:
            reply = {"error": f"unknown command {cmd['cmd']}"}
        print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
