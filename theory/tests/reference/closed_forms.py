#!/usr/bin/env python3
"""Reference values for the closed-form laws (Marchenko–Pastur, semicircle, Fuss–Catalan), by mpmath at 40 digits.

Independence from the Rust code: the densities are the textbook definitions; every CDF, moment and Cauchy value is
obtained by *quadrature of that density* (tanh–sinh in mpmath), never from the closed forms the Rust code uses.
Fuss–Catalan is integrated in the parameter φ with dx/dφ from mpmath's numerical differentiation (the Rust code
uses an analytic derivative), and its moments come from exact binomials.

Output: one line per value, whitespace separated, printed with 30 significant digits:

    law p1 p2 kind arg_re arg_im value_re value_im

law ∈ {mp, semicircle, fuss_catalan}; (p1, p2) = (ratio, variance), (variance, 0), (depth, 0); kind ∈ {pdf, cdf,
moment, cauchy}; arg is x, k or z. Arguments are printed as the shortest round-trip repr of an f64, so the Rust test
evaluates the law at exactly the point mpmath used.

Run: python3 closed_forms.py > closed_forms.txt
"""
import mpmath as mp

mp.mp.dps = 40
DIGITS = 30

FRACTIONS = [0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99]
# z = centre + half_width * (a + ib): on C+, C-, the real axis outside the hull, and close above the support.
OFFSETS = [(0.0, 1.0), (0.3, 0.05), (1.2, 0.0), (-1.3, 0.0), (0.5, -0.5), (-0.4, 0.01)]
MOMENTS = range(1, 7)


def fmt(v):
    return mp.nstr(v, DIGITS, min_fixed=1, max_fixed=0)


def emit(law, p1, p2, kind, arg, value):
    a = complex(arg)
    v = mp.mpc(value)
    print(law, repr(p1), repr(p2), kind, repr(a.real), repr(a.imag), fmt(v.real), fmt(v.imag))


def measure_lines(law, p1, p2, lo, hi, atoms, pdf, breakpoints=()):
    """pdf on a grid, cdf = atoms + ∫pdf, moments and Cauchy transform by quadrature of pdf."""
    lo_f, hi_f = float(lo), float(hi)
    for f in FRACTIONS:
        x = lo_f + f * (hi_f - lo_f)
        xm = mp.mpf(x)
        emit(law, p1, p2, "pdf", x, pdf(xm))
        below = sum((m for (a, m) in atoms if a <= xm), mp.mpf(0))
        emit(law, p1, p2, "cdf", x, below + mp.quad(pdf, [lo, xm]))
    for k in MOMENTS:
        value = sum((m * a**k for (a, m) in atoms), mp.mpf(0)) + mp.quad(lambda t: t**k * pdf(t), [lo, *breakpoints, hi])
        emit(law, p1, p2, "moment", k, value)
    hull_lo = min([lo] + [a for (a, _) in atoms])
    centre = (hull_lo + hi) / 2
    half = (hi - hull_lo) / 2
    for (a, b) in OFFSETS:
        z = complex(float(centre + half * a), float(half * b))
        zm = mp.mpc(z)
        inner = [p for p in [mp.mpf(z.real)] if lo < p < hi]
        value = sum((m / (zm - at) for (at, m) in atoms), mp.mpc(0))
        value += mp.quad(lambda t: pdf(t) / (zm - t), sorted([lo, *breakpoints, *inner, hi]))
        emit(law, p1, p2, "cauchy", z, value)


def marchenko_pastur(ratio, variance):
    lam, v = mp.mpf(ratio), mp.mpf(variance)
    lo = v * (1 - mp.sqrt(lam)) ** 2
    hi = v * (1 + mp.sqrt(lam)) ** 2

    def pdf(x):
        if x <= lo or x >= hi:
            return mp.mpf(0)
        return mp.sqrt((hi - x) * (x - lo)) / (2 * mp.pi * v * lam * x)

    atoms = [(mp.mpf(0), 1 - 1 / lam)] if lam > 1 else []
    measure_lines("mp", ratio, variance, lo, hi, atoms, pdf)


def semicircle(variance):
    v = mp.mpf(variance)
    r = 2 * mp.sqrt(v)

    def pdf(x):
        if abs(x) >= r:
            return mp.mpf(0)
        return mp.sqrt(r * r - x * x) / (2 * mp.pi * v)

    measure_lines("semicircle", variance, 0.0, -r, r, [], pdf, breakpoints=(mp.mpf(0),))


def fuss_catalan(depth):
    L = mp.mpf(depth)
    phi_max = mp.pi / (L + 1)
    top = (L + 1) ** (L + 1) / L**L

    def x_of(phi):
        return mp.sin((L + 1) * phi) ** (L + 1) / (mp.sin(phi) * mp.sin(L * phi) ** L)

    def rho_of(phi):
        return mp.sin(phi) ** 2 * mp.sin(L * phi) ** (L - 1) / (mp.pi * mp.sin((L + 1) * phi) ** L)

    def weight(phi):  # rho(x(phi)) |dx/dphi|, with the derivative taken numerically
        return rho_of(phi) * -mp.diff(x_of, phi)

    def phi_of(x):
        # x(phi) is decreasing: bisection to 1e-38, then polish with the secant-free Anderson solver.
        a, b = mp.mpf(0), phi_max
        for _ in range(140):
            m = (a + b) / 2
            if x_of(m) > x:
                a = m
            else:
                b = m
        return mp.findroot(lambda p: x_of(p) - x, ((a + b) / 2 - 1e-35, (a + b) / 2 + 1e-35), solver="anderson")

    p1 = depth
    for f in FRACTIONS:
        x = f * float(top)
        phi = phi_of(mp.mpf(x))
        emit("fuss_catalan", p1, 0.0, "pdf", x, rho_of(phi))
        emit("fuss_catalan", p1, 0.0, "cdf", x, mp.quad(weight, [phi, phi_max]))
    for k in MOMENTS:
        emit("fuss_catalan", p1, 0.0, "moment", k, mp.binomial((depth + 1) * k, k) / (depth * k + 1))
    half = top / 2
    for (a, b) in OFFSETS:
        if abs(b) < 0.04 and abs(a) < 1:
            continue  # too close to the support for quadrature in phi without a breakpoint; done below
        z = complex(float(half + half * a), float(half * b))
        zm = mp.mpc(z)
        value = mp.quad(lambda p: weight(p) / (zm - x_of(p)), [0, phi_max / 2, phi_max])
        emit("fuss_catalan", p1, 0.0, "cauchy", z, value)
    # Close to the support: break the phi-integral at the phi where x(phi) = Re z.
    for (a, b) in [(0.3, 0.05), (-0.4, 0.01)]:
        z = complex(float(half + half * a), float(half * b))
        zm = mp.mpc(z)
        split = phi_of(mp.mpf(z.real))
        value = mp.quad(lambda p: weight(p) / (zm - x_of(p)), [0, split, phi_max])
        emit("fuss_catalan", p1, 0.0, "cauchy", z, value)


if __name__ == "__main__":
    for ratio, variance in [(0.25, 1.0), (0.5, 2.0), (1.0, 1.0), (2.0, 1.0), (4.0, 0.5), (0.001, 1.0), (1000.0, 0.001)]:
        marchenko_pastur(ratio, variance)
    for variance in [1.0, 2.5, 1e-4]:
        semicircle(variance)
    for depth in [1, 2, 3, 5, 16, 64]:
        fuss_catalan(depth)
