#!/usr/bin/env python3
"""Hessian-vector products on the same models and data: landscape (tch) beside PyTorch, PyHessian and curvlinops,
in float64 and float32; and what float32 costs in accuracy (top-5 eigenvalues and trace against float64).

Usage (after `scripts/setup-torch.sh --peers`, with the venv's python; builds the release `bench_hvp` example and
the `landscape` binary with the torch feature on the first run):

    eval "$(scripts/setup-torch.sh --peers)"; python benches/torch_peers.py [--repeats 10] [--rounds 3] [--threads 1]
        [--cases vgg] [--dtypes f32] [--no-accuracy] [--quick]

Models (float32 modules as PyTorch users save them; landscape loads their TorchScript traces, the peers the modules
themselves): a tanh MLP 64-128-128-10 on 512 samples; a VGG-style CNN (three conv3x3-BatchNorm-ReLU-MaxPool blocks
16-32-64, eval mode) and a ResNet (conv stem, two basic blocks with batch norm, average pooling) on 64 CIFAR-shaped
3x32x32 samples. Mean cross-entropy. For each model and dtype, the median seconds per Hessian-vector product over
--repeats products after 3 warm-up ones, in --rounds rounds that alternate landscape and the peers (the median of
the round medians; the minimum over all in parentheses: on a shared machine the steadier figure), of:

* PyTorch, recomputed: forward, `autograd.grad(create_graph=True)`, then the product's backward — what a library
  that keeps nothing between products pays (curvlinops does this per product);
* PyHessian 0.1: its `hessian` class keeps the `create_graph` gradient of one batch; a product is
  `hessian_vector_product(gradsH, params, v)`, one backward;
* curvlinops 3.0: `HessianLinearOperator(...) @ v` on one batch;
* landscape: `TorchHessian::apply_tensors` (one backward through the kept graph, parameter-shaped tensors) and the
  flat f64 `SymmetricOperator` every estimator uses (adds the host copies of v and Hv).

Before timing, every library's Hv for v_i = sin(0.1 i) is compared with landscape's (relative difference printed;
the script stops above 1e-9 in float64 and 1e-4 in float32). Then `landscape empirical hessian --top-k 5` runs on
each model in both dtypes (same seed: the same Lanczos start and Hutch++ probes), and the relative error of each
top-5 eigenvalue and of the trace estimate in float32 against float64 is printed. Markdown tables, then all figures
as JSON on the last line.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.conv1 = nn.Conv2d(width, width, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(width)

    def forward(self, h):
        return torch.relu(h + self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(h))))))


class ResNet(nn.Module):
    def __init__(self, width=16, depth=2, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3, padding=1)
        self.bn = nn.BatchNorm2d(width)
        self.blocks = nn.Sequential(*[Block(width) for _ in range(depth)])
        self.fc = nn.Linear(width, classes)

    def forward(self, x):
        h = self.blocks(torch.relu(self.bn(self.stem(x))))
        return self.fc(h.mean(dim=(2, 3)))


def vgg(channels=(16, 32, 64), classes=10):
    layers, c_prev, side = [], 3, 32
    for c in channels:
        layers += [nn.Conv2d(c_prev, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(), nn.MaxPool2d(2)]
        c_prev, side = c, side // 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c_prev * side * side, classes))


def mlp():
    return nn.Sequential(nn.Linear(64, 128), nn.Tanh(), nn.Linear(128, 128), nn.Tanh(), nn.Linear(128, 10))


def cases(quick):
    """(name, module, inputs, labels), modules in eval mode with batch-norm statistics that are not trivial."""
    gen = torch.Generator().manual_seed(0)
    out = []
    for name, build, shape, n in [
        ("mlp 64-128-128-10", mlp, (64,), 512),
        ("vgg-bn 16-32-64", vgg, (3, 32, 32), 64),
        ("resnet-bn w16 d2", ResNet, (3, 32, 32), 64),
    ]:
        if quick:
            n = min(n, 32)
        torch.manual_seed(1)
        model = build()
        x = torch.randn((n,) + shape, generator=gen)
        y = torch.randint(0, 10, (n,), generator=gen)
        model.train()
        with torch.no_grad():  # running statistics of the data, as a trained model would have
            model(x)
        model.eval()
        out.append((name, model, x, y))
    return out


def timed(repeats, fn):
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times)


def flat(tensors):
    return torch.cat([t.reshape(-1) for t in tensors])


def direction(params):
    n = sum(p.numel() for p in params)
    v = torch.sin(0.1 * torch.arange(n, dtype=torch.float64))
    out, at = [], 0
    for p in params:
        out.append(v[at:at + p.numel()].reshape(p.shape).to(p.dtype))
        at += p.numel()
    return out


def peers(model, x, y, repeats):
    """Per-product times and the Hv of each peer, in the model's dtype."""
    from curvlinops import HessianLinearOperator
    from pyhessian import hessian

    params = [p for p in model.parameters() if p.requires_grad]
    loss_fn = nn.CrossEntropyLoss()
    v = direction(params)
    results = {}

    def recomputed():
        loss = loss_fn(model(x), y)
        g = torch.autograd.grad(loss, params, create_graph=True)
        return torch.autograd.grad(g, params, grad_outputs=v)

    results["pytorch_recomputed"] = (timed(repeats, recomputed), flat(recomputed()))

    h = hessian(model, loss_fn, data=(x, y), cuda=False)
    from pyhessian.utils import hessian_vector_product

    def pyhessian_product():
        return hessian_vector_product(h.gradsH, h.params, v)

    results["pyhessian"] = (timed(repeats, pyhessian_product), flat(pyhessian_product()))
    for p in model.parameters():
        p.grad = None

    op = HessianLinearOperator(model, loss_fn, params, [(x, y)], check_deterministic=False)
    v_flat = flat(v)

    def curvlinops_product():
        return op @ v_flat

    results["curvlinops"] = (timed(repeats, curvlinops_product), curvlinops_product().reshape(-1))
    return results


def run(cmd, env=None):
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return proc.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternate landscape and the peers this many times; report the median of the rounds")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="32 samples, 5 repeats: a smoke run")
    parser.add_argument("--cases", default="", help="only the cases whose name contains this (mlp, vgg, resnet)")
    parser.add_argument("--dtypes", default="f64,f32", help="comma-separated subset of f64,f32")
    parser.add_argument("--no-accuracy", action="store_true", help="time the products only")
    args = parser.parse_args()
    repeats = 5 if args.quick else args.repeats
    torch.set_num_threads(args.threads)
    env = dict(os.environ, LIBTORCH_USE_PYTORCH="1")
    run(["cargo", "build", "--release", "--features", "torch"], env)
    run(["cargo", "build", "--release", "--features", "torch", "-p", "landscape-empirical", "--example",
         "bench_hvp"], env)
    bench = os.path.join(ROOT, "target", "release", "examples", "bench_hvp")
    landscape = os.path.join(ROOT, "target", "release", "landscape")
    tmp = tempfile.mkdtemp(prefix="landscape-peers-")
    rows, accuracy = [], []
    dtypes = [(d, {"f64": torch.float64, "f32": torch.float32}[d]) for d in args.dtypes.split(",")]
    for name, model, x, y in cases(args.quick):
        if args.cases not in name:
            continue
        stem = os.path.join(tmp, name.split()[0])
        torch.jit.trace(model, x[:2]).save(stem + ".pt")
        np.savez(stem + ".npz", x=x.numpy(), y=y.numpy())
        for dtype, torch_dtype in dtypes:
            m = model.to(torch_dtype)
            xs = x.to(torch_dtype)
            # Alternating rounds, so a busy spell of the machine does not fall on one library only.
            ours_rounds, their_rounds = [], []
            for _ in range(1 if args.quick else args.rounds):
                ours_rounds.append(json.loads(run(
                    [bench, "--model", stem + ".pt", "--data", stem + ".npz", "--dtype", dtype, "--threads",
                     str(args.threads), "--repeats", str(repeats)], env)))
                their_rounds.append(peers(m, xs, y, repeats))
            ours = ours_rounds[0]
            theirs = {peer: ((statistics.median(r[peer][0][0] for r in their_rounds),
                              min(r[peer][0][1] for r in their_rounds)), their_rounds[0][peer][1])
                      for peer in their_rounds[0]}
            # Different summation orders of the same product: f64 rounding is ~1e-15 per operation (measured
            # ≤ 2.4e-15), so 1e-9 can only fail for a different product; f32 measured up to 1.0e-6 (curvlinops,
            # ResNet), 1e-4 leaves two orders while still rejecting a wrong scale or sign.
            tolerance = 1e-9 if dtype == "f64" else 1e-4
            row = {"case": name, "P": ours["n_params"], "n": len(y), "dtype": ours["dtype"],
                   "rounds": len(ours_rounds),
                   "landscape_tensors_s": statistics.median(o["tch_tensors_s"] for o in ours_rounds),
                   "landscape_tensors_min_s": min(o["tch_tensors_min_s"] for o in ours_rounds),
                   "landscape_operator_s": statistics.median(o["tch_operator_s"] for o in ours_rounds)}
            for peer, ((median, minimum), hv) in theirs.items():
                hv = hv.double()
                rel_norm = abs(hv.norm().item() - ours["hv_norm"]) / ours["hv_norm"]
                rel_head = max(abs(a - b) for a, b in zip(hv[:4].tolist(), ours["hv_head"])) / ours["hv_norm"]
                if max(rel_norm, rel_head) > tolerance:
                    sys.exit(f"{name} {dtype}: {peer}'s Hv differs from landscape's by {max(rel_norm, rel_head):.1e}")
                row[peer + "_s"] = median
                row[peer + "_min_s"] = minimum
                row[peer + "_agreement"] = max(rel_norm, rel_head)
            rows.append(row)
            print(f"{name} {dtype}: done", file=sys.stderr)
        model.float()
        if args.no_accuracy:
            continue
        runs = {}
        for dtype in ["f64", "f32"]:
            runs[dtype] = json.loads(run([landscape, "empirical", "hessian", "--model", stem + ".pt", "--data",
                                          stem + ".npz", "--dtype", dtype, "--top-k", "5", "--probes", "2",
                                          "--steps", "20", "--trace-matvecs", "30", "--seed", "3"], env))
        top64, top32 = runs["f64"]["top_eigenvalues"], runs["f32"]["top_eigenvalues"]
        tr64, tr32 = runs["f64"]["trace"]["estimate"], runs["f32"]["trace"]["estimate"]
        accuracy.append({
            "case": name,
            "top5_f64": top64,
            "top5_rel_err_f32": [abs(a - b) / abs(a) for a, b in zip(top32, top64)],
            "trace_f64": tr64,
            "trace_rel_err_f32": abs(tr32 - tr64) / abs(tr64),
            "converged_f32": runs["f32"]["lanczos"]["top"]["converged"],
            "tol_f32": runs["f32"]["lanczos"]["top"]["tol"],
        })

    print("| case | P | dtype | PyTorch recomputed | PyHessian | curvlinops | landscape (tensors) | landscape (f64 "
          "operator) | landscape / PyHessian |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        ms = lambda key: f"{1e3 * r[key + '_s']:.2f} ({1e3 * r[key + '_min_s']:.2f})"
        print(f"| {r['case']} | {r['P']} | {r['dtype']} | {ms('pytorch_recomputed')} | {ms('pyhessian')} | "
              f"{ms('curvlinops')} | {ms('landscape_tensors')} | {1e3 * r['landscape_operator_s']:.2f} | "
              f"{r['landscape_tensors_s'] / r['pyhessian_s']:.2f} |")
    print()
    print("| case | top-5 (f64) | max rel. error of top-5 in f32 | rel. error of trace in f32 | f32 converged (tol) |")
    print("|---|---|---:|---:|---|")
    for a in accuracy:
        print(f"| {a['case']} | {', '.join(f'{v:.6g}' for v in a['top5_f64'])} | "
              f"{max(a['top5_rel_err_f32']):.1e} | {a['trace_rel_err_f32']:.1e} | "
              f"{sum(a['converged_f32'])}/5 ({a['tol_f32']:g}) |")
    print(json.dumps({"threads": args.threads, "repeats": repeats, "torch": torch.__version__,
                      "products": rows, "accuracy": accuracy}))


if __name__ == "__main__":
    main()
