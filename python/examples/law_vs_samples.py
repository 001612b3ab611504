"""A law from the expression language against the eigenvalues of the random matrix whose limit it is.

Draws one n × n matrix from the seeded ensemble of the law (`Law.sample_eigenvalues`), plots its eigenvalue
histogram over the law's density, and prints the Kolmogorov–Smirnov and Wasserstein-1 distances.

    python python/examples/law_vs_samples.py ["free_sum(mp(ratio=0.5), semicircle(variance=0.5))"] [n] [out.png]
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import landscape  # noqa: E402


def main() -> None:
    text = sys.argv[1] if len(sys.argv) > 1 else "free_sum(mp(ratio=0.5), semicircle(variance=0.5))"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    out = sys.argv[3] if len(sys.argv) > 3 else "law_vs_samples.png"
    law = landscape.law(text)
    eigenvalues = law.sample_eigenvalues(n, seed=1)
    d = landscape.distance(eigenvalues, law)
    ends = [e for interval in law.support for e in interval]
    lo, hi = min(ends + [eigenvalues.min()]), max(ends + [eigenvalues.max()])
    x = np.linspace(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo), 800)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(eigenvalues, bins=60, density=True, color="0.8", label=f"eigenvalues, n = {n}")
    ax.plot(x, law.pdf(x), color="C0", label="limit density")
    for location, mass in law.atoms:
        ax.axvline(location, color="C1", linestyle="--", label=f"atom, mass {mass:.3g}")
    ax.set_title(f"{law.expression}\nKS = {d.ks:.4f}, W1 = {d.w1:.4f}", fontsize=9)
    ax.set_xlabel("eigenvalue")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"{law.expression}: n = {n}, KS = {d.ks:.5f}, W1 = {d.w1:.5f}; figure in {out}")


if __name__ == "__main__":
    main()
