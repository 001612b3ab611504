#!/usr/bin/env python3
"""What the curvature estimators cost on the CPU as the network grows from 10^3 to 2x10^7 parameters: time of the
top-k eigenvalues (thick-restart Lanczos), the Hutch++ trace and the SLQ density, seconds per Hessian-vector
product, and peak resident memory, for the TorchScript exports of `scripts/export_torchvision.py`.

Usage (after `scripts/setup-torch.sh --torchvision` and a `landscape` binary built with `--features torch`):

    eval "$(scripts/setup-torch.sh --torchvision)"
    python scripts/export_torchvision.py                      # out/torchvision/*.pt and digits32.npz
    python benches/cost_vs_size.py [--landscape target/release/landscape] [--samples 8] [--threads 1]
        [--models resnet18,vgg11_bn] [--quick] [--json docs/figures/cost_vs_size.json]

What runs: `landscape empirical hessian --model M.pt --data digits32.npz --samples N --dtype f32` (float32
products, the estimators in float64) four times per model, with the same seed:

* base: (after one warm-up run that is not counted) every estimator at its smallest budget (top-1 with a cap of 1 Lanczos product, SLQ with 1 probe of
  1 step, Hutch++ with 6 products): loading the module and the data, the forward pass, the gradient graph;
* top-k: --top-k K to the default tolerance (in float32 raised to 3e-5 relative to the largest eigenvalue; the
  JSON's lanczos.top says how many pairs converged), capped at --lanczos-steps products; the rest as in base;
* SLQ: --probes P --steps S; the rest as in base;
* trace: Hutch++ with --trace-matvecs T products; the rest as in base.

Models whose warm-up takes under 10 s run each kind --repeats times and keep the smallest wall and CPU times (the
largest RSS). The time of an estimator is its run's wall time minus the base run's (so it includes its products and its own
linear algebra: reorthogonalisation against the Lanczos basis, Hutch++'s QR), and the products are the run's
n_matvecs minus the base's. Seconds per product = the trace run's extra time over its extra products (Hutch++
does the least work besides its products). CPU seconds (user + system, from /usr/bin/time) are recorded beside
the wall times: on a machine shared with other work the wall time includes waiting, the CPU time does not, and
with one thread the two agree on an idle machine. The fitted slopes are least squares of log time on log
parameters. Peak memory is the largest resident set (/usr/bin/time's maximum RSS) of the four runs; the
estimators keep float64 vectors of P numbers: the Lanczos basis (at most 2K + 20), the SLQ basis (S), Hutch++'s
sketch (T/3), so it grows as P times the largest of those.

Threads: --threads sets OMP_NUM_THREADS, which libtorch's intra-op pool follows (`landscape doctor` prints it).
Markdown table, then all figures as JSON on the last line (and in --json).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["vgg_mini_w4", "vgg_mini_w8", "vgg_mini_w16", "vgg_mini_w32", "vgg_mini_w64", "vgg_mini_w128",
          "vit_tiny", "vgg11_bn", "resnet18", "vgg16_bn", "resnet34"]


def timed_run(cmd, env):
    """(JSON result, wall seconds, CPU seconds, peak RSS in bytes) of one landscape run under /usr/bin/time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", stats.name] + cmd, cwd=ROOT,
                              capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
        user, system, rss_kb = stats.read().split()[-3:]
    return json.loads(proc.stdout), wall, float(user) + float(system), int(rss_kb) * 1024


def slope(points):
    """Least-squares slope of log y on log x."""
    lx = [math.log(x) for x, _ in points]
    ly = [math.log(y) for _, y in points]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--landscape", default=os.environ.get("LANDSCAPE_BIN",
                                                              os.path.join(ROOT, "target", "release", "landscape")))
    parser.add_argument("--exports", default=os.path.join(ROOT, "out", "torchvision"))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--lanczos-steps", type=int, default=60)
    parser.add_argument("--probes", type=int, default=2)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--trace-matvecs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each kind for models whose start takes under 10 s; the smallest times count")
    parser.add_argument("--quick", action="store_true", help="vgg_mini_w4 and vgg_mini_w16 only: a smoke run")
    parser.add_argument("--json", default="", help="also write the JSON here")
    parser.add_argument("--keep", default="",
                        help="an earlier JSON of this script with the same settings: its rows for models not in "
                             "--models are kept (to rerun some models only)")
    args = parser.parse_args()
    names = ["vgg_mini_w4", "vgg_mini_w16"] if args.quick else [n for n in args.models.split(",") if n]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    data = os.path.join(args.exports, "digits32.npz")
    minimal = {"top": ["--top-k", "1", "--lanczos-steps", "1"], "slq": ["--probes", "1", "--steps", "1"],
               "trace": ["--trace-matvecs", "6"]}
    full = {"top": ["--top-k", str(args.top_k), "--lanczos-steps", str(args.lanczos_steps)],
            "slq": ["--probes", str(args.probes), "--steps", str(args.steps)],
            "trace": ["--trace-matvecs", str(args.trace_matvecs)]}
    settings = {"samples": args.samples, "threads": args.threads, "dtype": "f32", "seed": args.seed,
                "top_k": args.top_k, "lanczos_steps": args.lanczos_steps, "probes": args.probes,
                "steps": args.steps, "trace_matvecs": args.trace_matvecs}
    rows = []
    if args.keep:
        with open(args.keep) as f:
            earlier = json.load(f)
        differ = [k for k, v in settings.items() if earlier.get(k) != v]
        if differ:
            sys.exit(f"{args.keep} was measured with other settings ({', '.join(differ)})")
        rows = [r for r in earlier["rows"] if r["model"] not in names]
    for name in names:
        model = os.path.join(args.exports, name + ".pt")
        if not os.path.exists(model):
            sys.exit(f"{model} is missing: run scripts/export_torchvision.py first")
        runs, repeats = {}, 1
        for phase in ["warm-up", "base", "top", "slq", "trace"]:
            flags = [f for part in ["top", "slq", "trace"] for f in (full if part == phase else minimal)[part]]
            cmd = [args.landscape, "empirical", "hessian", "--model", model, "--data", data, "--samples",
                   str(args.samples), "--dtype", "f32", "--seed", str(args.seed)] + flags
            tries = [timed_run(cmd, env) for _ in range(1 if phase == "warm-up" else repeats)]
            runs[phase] = (tries[0][0], min(t[1] for t in tries), min(t[2] for t in tries), max(t[3] for t in tries))
            if phase == "warm-up":
                # The first start of a model pages in its file and libtorch; short runs are repeated and their
                # smallest times kept, so that an estimator's few milliseconds are not lost in start-up noise.
                repeats = args.repeats if runs[phase][1] < 10 else 1
                del runs[phase]
                continue
            print(f"{name} {phase}: {runs[phase][1]:.1f} s wall, {runs[phase][2]:.1f} s CPU, "
                  f"{runs[phase][0]['n_matvecs']} products", file=sys.stderr, flush=True)
        base = runs["base"]
        row = {"model": name, "n_params": base[0]["n_params"], "n_samples": base[0]["n_samples"],
               "base_s": base[1], "base_cpu_s": base[2], "base_products": base[0]["n_matvecs"]}
        for phase in ["top", "slq", "trace"]:
            out, wall, cpu, _ = runs[phase]
            row[phase + "_products"] = out["n_matvecs"] - base[0]["n_matvecs"]
            row[phase + "_s"] = wall - base[1]
            row[phase + "_cpu_s"] = cpu - base[2]
        row["s_per_product"] = row["trace_s"] / row["trace_products"]
        row["cpu_s_per_product"] = row["trace_cpu_s"] / row["trace_products"]
        top = runs["top"][0]["lanczos"]["top"]
        row["top_converged"] = sum(top["converged"])
        row["top_tol"] = top["tol"]
        row["top_eigenvalues"] = runs["top"][0]["top_eigenvalues"]
        row["trace_estimate"] = runs["trace"][0]["trace"]["estimate"]
        row["peak_rss_bytes"] = max(r[3] for r in runs.values())
        row["peak_rss_phase"] = max(runs, key=lambda p: runs[p][3])
        rows.append(row)
        if args.json:  # after every model, so that a run that stops part way keeps what it measured
            with open(args.json, "w") as f:
                json.dump(dict(settings, rows=rows, slopes={}), f, indent=1)
                f.write("\n")

    fits = {}
    if len(rows) >= 2:
        for key in ["top_cpu_s", "slq_cpu_s", "trace_cpu_s", "cpu_s_per_product", "peak_rss_bytes"]:
            points = [(r["n_params"], r[key]) for r in rows if r[key] > 0]
            big = [(p, y) for p, y in points if p >= 1e5]
            fits[key] = {"all": slope(points) if len(points) >= 2 else None,
                         "P>=1e5": slope(big) if len(big) >= 2 else None}

    print(f"{args.samples} samples, float32 products, {args.threads} thread(s); seconds are CPU (user + system) "
          "over the base run, wall in parentheses")
    print()
    print("| model | P | products top-k / SLQ / trace | s/product | top-k s | SLQ s | trace s | peak RSS (MiB) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['n_params']:,} | {r['top_products']} ({r['top_converged']}/{args.top_k}) / "
              f"{r['slq_products']} / {r['trace_products']} | {r['cpu_s_per_product']:.3g} | "
              f"{r['top_cpu_s']:.3g} ({r['top_s']:.3g}) | {r['slq_cpu_s']:.3g} ({r['slq_s']:.3g}) | "
              f"{r['trace_cpu_s']:.3g} ({r['trace_s']:.3g}) | {r['peak_rss_bytes'] / 2**20:,.0f} |")
    print()
    for key, fit in fits.items():
        print(f"slope of log {key} on log P: " + ", ".join(f"{which} {value:.2f}" for which, value in fit.items()
                                                           if value is not None))
    rows.sort(key=lambda r: r["n_params"])
    result = dict(settings, rows=rows, slopes=fits)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
