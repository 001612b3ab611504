#!/usr/bin/env python3
"""TorchScript exports of real architectures for CIFAR-shaped inputs (3x32x32, 10 classes), and the digits as a
CIFAR-shaped .npz to measure them on.

Usage (after `scripts/setup-torch.sh --torchvision`, with the venv's python):

    python scripts/export_torchvision.py [--out out/torchvision] [--models resnet18,vit_tiny] [--train-steps 0] [--quick]

then, for example, `landscape empirical hessian --model out/torchvision/resnet18.pt --data out/torchvision/digits32.npz
--samples 16 --dtype f32 --top-k 5`. `benches/cost_vs_size.py` runs the curvature estimators on all of them.

Models (torchvision 0.28, the release that goes with torch 2.13; every one seeded with torch.manual_seed(--seed)
before it is built, so an export is the same file content for the same seed):

* resnet18, resnet34: `torchvision.models.resnet18/34(num_classes=10)` with the stem that CIFAR ResNets use: the
  7x7 stride-2 convolution becomes a 3x3 stride-1 one and the max pool is dropped, so the four stages run at 32, 16,
  8 and 4 pixels instead of 8, 4, 2 and 1 (the parameter count changes by 7,680 of 11.2 / 21.3 million; the
  compute is 16 times that of the ImageNet stem).
* vgg11_bn, vgg16_bn: `torchvision.models.vgg11_bn/vgg16_bn` feature stacks (batch norm after every convolution);
  five max pools take 32x32 to 1x1, and the ImageNet classifier (Linear 25088-4096-4096-1000 with dropout, 1.2e8
  parameters, more than the whole rest of the network ten times over) is replaced by the usual CIFAR head, a global
  average pool and Linear(512, 10).
* vit_tiny: `torchvision.models.VisionTransformer(image_size=32, patch_size=4, num_layers=12, num_heads=3,
  hidden_dim=192, mlp_dim=768, num_classes=10)`: DeiT-tiny's width and depth on 8x8 patches of 4x4 pixels. Its
  classification head, which torchvision initialises to zero (all outputs 0), gets nn.Linear's default init, and
  its attention is traced as matmul, softmax, matmul: libtorch's fused CPU attention kernel has no second
  derivative, so Hessian-vector products through it fail.
* vgg_mini_w{4,8,16,32,64,128}: three conv3x3-BatchNorm-ReLU-MaxPool blocks of w, 2w, 4w channels, a global average
  pool and Linear(4w, 10) — a family that fills the parameter axis from 10^3 to 10^6 below the torchvision models.

Every model is put in eval mode (batch norm uses running statistics; dropout, where there is any, is off) and
traced with `torch.jit.trace` on two samples. Before tracing, an untrained model's batch-norm running statistics
are set by one forward pass in train mode over the first 256 samples (with momentum 1: the statistics of that batch),
so that eval mode normalises the data it sees rather than using the initial mean 0 and variance 1. With
--train-steps N > 0 the model is first trained ("pretrained-like", not to convergence): N steps of Adam (learning
rate 1e-3, batches of 64 drawn with a seeded generator from all 1,797 digits, cross-entropy, train mode), and its
running statistics are those training left. Each saved file is reloaded and its outputs on 64 samples compared with
the eager module's (the script stops above 1e-4 relative to the largest output: the trace runs the same float32
kernels, measured differences are at the float32 rounding level).

Data: `data/digits.csv.gz` (1,797 UCI handwritten digits, 8x8 pixels with values 0..16, label in the last column)
scaled to [0, 1], upsampled to 32x32 by bilinear interpolation (`torch.nn.functional.interpolate`,
align_corners=False), copied to three channels and standardised with the mean and standard deviation of all pixels;
saved as `digits32.npz` with x [1797, 3, 32, 32] float32 and y [1797] int64, in the file's order.

A trained model is saved as NAME_tN.pt (N the steps). Prints one JSON line per model: name, file, n_params, train steps, final training loss and the reload check.
"""
import argparse
import contextlib
import gzip
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TORCHVISION_VERSION = "0.28.0"
MINI_WIDTHS = (4, 8, 16, 32, 64, 128)


def digits32():
    """The digits as CIFAR-shaped float32 images and int64 labels (see the module docs for the resize)."""
    with gzip.open(os.path.join(ROOT, "data", "digits.csv.gz"), "rt") as f:
        raw = np.loadtxt(f, delimiter=",", dtype=np.float64)
    pixels = torch.tensor(raw[:, :64] / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
    x = F.interpolate(pixels, size=(32, 32), mode="bilinear", align_corners=False).repeat(1, 3, 1, 1)
    x = (x - x.mean()) / x.std()
    y = torch.tensor(raw[:, 64], dtype=torch.int64)
    return x, y


def vgg_mini(width):
    layers, c_prev = [], 3
    for c in (width, 2 * width, 4 * width):
        layers += [nn.Conv2d(c_prev, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(), nn.MaxPool2d(2)]
        c_prev = c
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_prev, 10))


def cifar_resnet(build):
    model = build(num_classes=10)
    model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model


def cifar_vgg(build):
    model = build(num_classes=10)
    model.avgpool = nn.AdaptiveAvgPool2d(1)
    model.classifier = nn.Linear(512, 10)
    return model


def vit_tiny():
    from torchvision import models

    model = models.VisionTransformer(image_size=32, patch_size=4, num_layers=12, num_heads=3, hidden_dim=192,
                                     mlp_dim=768, num_classes=10)
    # torchvision initialises the classification head to zero: every output is then exactly 0 and the loss
    # log(10) whatever the input. The head gets nn.Linear's default initialisation instead.
    model.heads.head.reset_parameters()
    return model


def builders():
    import torchvision
    from torchvision import models

    if torchvision.__version__.split("+")[0] != TORCHVISION_VERSION:
        print(f"warning: torchvision {torchvision.__version__}, the exports are documented for "
              f"{TORCHVISION_VERSION}", file=sys.stderr)
    out = {f"vgg_mini_w{w}": (lambda w=w: vgg_mini(w)) for w in MINI_WIDTHS}
    out.update({
        "vit_tiny": vit_tiny,
        "vgg11_bn": lambda: cifar_vgg(models.vgg11_bn),
        "vgg16_bn": lambda: cifar_vgg(models.vgg16_bn),
        "resnet18": lambda: cifar_resnet(models.resnet18),
        "resnet34": lambda: cifar_resnet(models.resnet34),
    })
    return out


def attention_by_matmul(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                        enable_gqa=False):
    """softmax(q kᵀ / √d) v in plain operations (no mask, causality or dropout: ViT's encoder uses none)."""
    if attn_mask is not None or is_causal or dropout_p > 0.0 or enable_gqa:
        raise NotImplementedError("only unmasked attention without dropout is written out")
    scale = query.shape[-1] ** -0.5 if scale is None else scale
    return torch.softmax(query @ key.transpose(-2, -1) * scale, dim=-1) @ value


@contextlib.contextmanager
def explicit_attention():
    """Traces attention as matmul-softmax-matmul instead of one scaled_dot_product_attention call.

    On the CPU libtorch runs that call with its flash-attention kernel, whose backward has no derivative, so a
    Hessian-vector product (a backward through the backward) fails. nn.MultiheadAttention looks the function up
    in torch.nn.functional when it runs, so replacing it there while tracing records the plain operations.
    """
    saved = F.scaled_dot_product_attention
    F.scaled_dot_product_attention = attention_by_matmul
    try:
        yield
    finally:
        F.scaled_dot_product_attention = saved


def calibrate_batch_norm(model, x):
    """Running statistics of one batch (momentum 1), as a model that has seen the data would have."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.momentum = 1.0
    model.train()
    with torch.no_grad():
        model(x)
    for m, momentum in zip(norms, saved):
        m.momentum = momentum


def train(model, x, y, steps, seed):
    """Adam, learning rate 1e-3, seeded batches of 64; returns the mean loss of the last 10 steps (nan if none)."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    losses = []
    for _ in range(steps):
        idx = torch.randint(0, len(y), (64,), generator=gen)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return float(np.mean(losses[-10:])) if losses else float("nan")


def export(name, build, x, y, out_dir, train_steps, seed):
    torch.manual_seed(seed)
    model = build()
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if train_steps > 0:
        loss = train(model, x, y, train_steps, seed)
    else:
        calibrate_batch_norm(model, x[:256])
        loss = float("nan")
    model.eval()
    # "_t200", not "_trained200": landscape's reader refused the archive of "vgg_mini_w16_trained200.pt" (and
    # w64) as "not a PyTorch archive" while torch.jit.load read it; the same module saved under a shorter name
    # loads (the archive's member names carry the file's stem).
    suffix = f"_t{train_steps}" if train_steps > 0 else ""
    path = os.path.join(out_dir, f"{name}{suffix}.pt")
    # Traced with gradients enabled: under no_grad, nn.MultiheadAttention takes its inference-only fused path,
    # which has no derivative.
    with explicit_attention():
        traced = torch.jit.trace(model, x[:2], check_trace=False)
    traced.save(path)
    reloaded = torch.jit.load(path)
    reloaded.eval()
    with torch.no_grad():
        eager, scripted = model(x[:64]), reloaded(x[:64])
    rel = ((eager - scripted).abs().max() / eager.abs().max().clamp_min(1e-30)).item()
    if not rel <= 1e-4:
        sys.exit(f"{name}: the reloaded TorchScript module differs from the eager one by {rel:.1e} (relative)")
    return {"model": name + suffix, "file": path, "n_params": n_params,
            "train_steps": train_steps, "train_loss_last10": loss, "reload_max_rel_diff": rel}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "out", "torchvision"), help="folder for the .pt and .npz files")
    parser.add_argument("--models", default="", help="comma-separated names (default: all); see the module docs")
    parser.add_argument("--train-steps", type=int, default=0, help="Adam steps on the digits before export (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: vgg_mini_w4 and resnet18 unless --models is given, at most 5 train steps")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    x, y = digits32()
    np.savez(os.path.join(args.out, "digits32.npz"), x=x.numpy(), y=y.numpy())
    table = builders()
    names = [n for n in args.models.split(",") if n] or (["vgg_mini_w4", "resnet18"] if args.quick else list(table))
    unknown = [n for n in names if n not in table]
    if unknown:
        sys.exit(f"unknown model(s) {', '.join(unknown)}; expected some of {', '.join(table)}")
    steps = min(args.train_steps, 5) if args.quick else args.train_steps
    for name in names:
        print(json.dumps(export(name, table[name], x, y, args.out, steps, args.seed)), flush=True)


if __name__ == "__main__":
    main()
