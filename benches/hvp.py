#!/usr/bin/env python3
"""Hessian-vector products: PyTorch from Python next to the same product through tch and the native backend.

Usage (after scripts/setup-torch.sh; run with the venv's python):

    LIBTORCH_USE_PYTORCH=1 python benches/hvp.py [--threads 1,2] [--repeats 30] [--quick]

For each case (MLPs of several sizes and the small CNN on 1x8x8 images, batch 256, float64, mean
cross-entropy) and each thread count, PyTorch computes Hv by double backward
(g = autograd.grad(loss, params, create_graph=True); Hv = autograd.grad(g.v, params)); the Rust side is
`cargo run --release -p landscape-empirical --features torch --example bench_hvp`, which times the same
double backward on parameter-shaped tensors (tch_tensors), the flat f64 operator the estimators use
(tch_operator: adds the host copies) and the native f64 MLP (native, always one thread). Every figure is
the median over --repeats products after 3 warm-up products (the ratio of the minima is printed too: on a
loaded machine it is the steadier comparison). When CUDA is available the cases are repeated on
cuda:0 (PyTorch and tch; the native backend is CPU-only). Prints a Markdown table and then all figures as JSON.
Targets (issue 4): tch_tensors <= 1.1 x PyTorch; native faster than tch for MLPs under 1e5 parameters.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "empirical", "tests", "reference"))
from make_torch_architectures import cnn  # noqa: E402  (the built-in CNN's PyTorch twin, checked by torch_architectures.rs)

CASES = [
    # name, kind, rust args, builder
    ("mlp 64-64-64-10", "mlp", ["--widths", "64,64,64,10"]),
    ("mlp 64-256-256-10", "mlp", ["--widths", "64,256,256,10"]),
    ("mlp 784-512-512-10", "mlp", ["--widths", "784,512,512,10"]),
    ("cnn[8,16] 1x8x8", "cnn", ["--channels", "8,16", "--image", "1,8,8", "--classes", "10"]),
]
BATCH = 256


def build(kind, rust_args):
    """The same architecture as the Rust side (tanh MLP; conv3x3+ReLU+AvgPool2d(2) blocks, Flatten, Linear)."""
    opts = dict(zip(rust_args[::2], rust_args[1::2]))
    if kind == "mlp":
        widths = [int(w) for w in opts["--widths"].split(",")]
        layers = []
        for i, (a, b) in enumerate(zip(widths, widths[1:])):
            layers.append(nn.Linear(a, b))
            if i + 2 < len(widths):
                layers.append(nn.Tanh())
        return nn.Sequential(*layers), (widths[0],), widths[-1]
    channels = [int(c) for c in opts["--channels"].split(",")]
    image = tuple(int(s) for s in opts["--image"].split(","))
    classes = int(opts["--classes"])
    return cnn(channels, image, classes), image, classes


def time_pytorch(kind, rust_args, threads, repeats, device):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model, shape, classes = build(kind, rust_args)
    model = model.double().to(device)
    params = list(model.parameters())
    x = torch.randn(BATCH, *shape, dtype=torch.float64, device=device)
    y = (torch.arange(BATCH) % classes).to(device)
    v = [torch.randn_like(p) for p in params]

    def hvp():
        loss = nn.functional.cross_entropy(model(x), y)
        g = torch.autograd.grad(loss, params, create_graph=True)
        gv = sum((gi * vi).sum() for gi, vi in zip(g, v))
        return torch.autograd.grad(gv, params)

    def sync():
        if device != "cpu":
            torch.cuda.synchronize()

    for _ in range(3):
        hvp()
    sync()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        hvp()
        sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times), sum(p.numel() for p in params)


def time_rust(kind, rust_args, threads, repeats, device):
    cmd = ["cargo", "run", "-q", "--release", "-p", "landscape-empirical", "--features", "torch",
           "--example", "bench_hvp", "--", "--model", kind, *rust_args, "--batch", str(BATCH),
           "--threads", str(threads), "--repeats", str(repeats), "--device", device]
    env = dict(os.environ, LIBTORCH_USE_PYTORCH="1")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="only the smallest MLP and the CNN")
    args = parser.parse_args()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    cases = [c for c in CASES if not args.quick or "784" not in c[0] and "256-256" not in c[0]]
    rows = []
    for device in devices:
        thread_counts = [int(t) for t in args.threads.split(",")] if device == "cpu" else [1]
        for name, kind, rust_args in cases:
            for threads in thread_counts:
                py, py_min, n_params = time_pytorch(kind, rust_args, threads, args.repeats, device)
                rust = time_rust(kind, rust_args, threads, args.repeats, device)
                assert rust["n_params"] == n_params, (rust, n_params)
                rows.append(dict(case=name, device=device, threads=threads, n_params=n_params,
                                 pytorch_s=py, pytorch_min_s=py_min,
                                 **{k: rust[k] for k in ("tch_tensors_s", "tch_tensors_min_s", "tch_operator_s",
                                                         "native_s")}))
                print(f"done {name} {device} {threads}", file=sys.stderr)
    print(f"torch {torch.__version__}, batch {BATCH}, float64, median of {args.repeats}; times in ms\n")
    print("| case | P | device | threads | PyTorch | tch (tensors) | tch/PyTorch | tch/PyTorch (min) "
          "| tch (f64 operator) | native | native/tch |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        native = "—" if r["native_s"] is None else f"{1e3 * r['native_s']:.3f}"
        native_ratio = "—" if r["native_s"] is None else f"{r['native_s'] / r['tch_tensors_s']:.2f}"
        print(f"| {r['case']} | {r['n_params']} | {r['device']} | {r['threads']} | {1e3 * r['pytorch_s']:.3f} "
              f"| {1e3 * r['tch_tensors_s']:.3f} | {r['tch_tensors_s'] / r['pytorch_s']:.2f} "
              f"| {r['tch_tensors_min_s'] / r['pytorch_min_s']:.2f} "
              f"| {1e3 * r['tch_operator_s']:.3f} | {native} | {native_ratio} |")
    print()
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
