#!/usr/bin/env python3
"""Marchenko–Pastur cdf, pdf and Cauchy values at extreme ratios λ (1e-12 … 1e12), by mpmath at 50 digits.

The closed-form cdf cancels to an error of ~ε/λ as λ → 0, so these rows pin the regime the 1e-3 … 1e3 rows of
closed_forms.py cannot see. Independence: every cdf value is `atom + mp.quad(pdf)` of the textbook density
ρ(x) = √((λ₊ − x)(x − λ₋)) / (2π σ² λ x), integrated in the angle x = σ²(1 + λ − 2√λ cos θ) so that the
quadrature resolves a support of width 4√λ σ² at any λ; the Cauchy values are quadratures of the same density.
The Rust code sums a Chebyshev series instead.

Output format as closed_forms.txt (law p1 p2 kind arg_re arg_im value_re value_im), 30 significant digits.
Arguments are doubles printed by repr, so Rust evaluates exactly where mpmath did.

Run: .venv/bin/python theory/tests/reference/mp_extreme_ratios.py > theory/tests/reference/mp_extreme_ratios.txt
"""
import mpmath as mp

mp.mp.dps = 50
DIGITS = 30
FRACTIONS = [1e-6, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999999]


def fmt(v):
    return mp.nstr(v, DIGITS, min_fixed=1, max_fixed=0)


def emit(ratio, variance, kind, arg, value):
    a = complex(arg)
    v = mp.mpc(value)
    print("mp", repr(ratio), repr(variance), kind, repr(a.real), repr(a.imag), fmt(v.real), fmt(v.imag))


def marchenko_pastur(ratio, variance, extra_points=()):
    lam, var = mp.mpf(ratio), mp.mpf(variance)
    root = mp.sqrt(lam)
    lo = var * (1 - root) ** 2
    hi = var * (1 + root) ** 2
    atom = 1 - 1 / lam if lam > 1 else mp.mpf(0)

    def x_of(theta):
        return var * (1 + lam - 2 * root * mp.cos(theta))

    def pdf(x):
        if x <= lo or x >= hi:
            return mp.mpf(0)
        return mp.sqrt((hi - x) * (x - lo)) / (2 * mp.pi * var * lam * x)

    def weight(theta):  # ρ(x(θ)) dx/dθ
        return pdf(x_of(theta)) * var * 2 * root * mp.sin(theta)

    def theta_of(x):
        return mp.acos((var * (1 + lam) - x) / (2 * root * var))

    lo_f, hi_f = float(lo), float(hi)
    points = [lo_f + f * (hi_f - lo_f) for f in FRACTIONS] + list(extra_points)
    for x in points:
        xm = mp.mpf(x)
        emit(ratio, variance, "pdf", x, pdf(xm))
        if xm <= lo:
            value = atom
        elif xm >= hi:
            value = mp.mpf(1)
        else:
            value = atom + mp.quad(weight, [0, theta_of(xm)])
        emit(ratio, variance, "cdf", x, value)
    centre, half = (lo + hi) / 2, (hi - lo) / 2
    for (a, b) in [(0.0, 1.0), (0.3, 0.05), (1.2, 0.0), (-1.3, 0.0), (0.5, -0.5)]:
        z = complex(float(centre + half * a), float(half * b))
        zm = mp.mpc(z)
        inner = [theta_of(mp.mpf(z.real))] if lo < z.real < hi else []
        value = atom / zm + mp.quad(lambda t: weight(t) / (zm - x_of(t)), [0, *inner, mp.pi])
        emit(ratio, variance, "cauchy", z, value)


if __name__ == "__main__":
    # The first three points of λ = 1e-12 are the command-line reproduction of the cancellation.
    marchenko_pastur(1e-12, 1.0, extra_points=[0.9999992, 1.0, 1.0000008])
    marchenko_pastur(1e-10, 1.0)
    marchenko_pastur(1e-8, 2.5)
    marchenko_pastur(1e-4, 1.0)
    marchenko_pastur(0.2, 1.0)
    marchenko_pastur(5.0, 0.3)
    marchenko_pastur(1e8, 1e-8)
    marchenko_pastur(1e12, 1.0)
