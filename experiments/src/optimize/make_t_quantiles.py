"""Reference values for src/optimize/stats.rs: the 0.975 quantile of Student's t for several degrees of freedom.

Run: python3 src/optimize/make_t_quantiles.py  (needs mpmath). Independent of the Rust code: mpmath inverts the
regularized incomplete beta function numerically with 30 digits.
"""
import mpmath as mp

mp.mp.dps = 30


def t_cdf(t, nu):
    x = nu / (nu + t * t)
    tail = mp.betainc(nu / 2, mp.mpf(1) / 2, 0, x, regularized=True) / 2
    return 1 - tail if t > 0 else tail


for nu in [1, 2, 3, 4, 5, 9, 19, 29, 60]:
    q = mp.findroot(lambda t: t_cdf(t, nu) - mp.mpf("0.975"), 2)
    print(f"({nu}, {mp.nstr(q, 17)}),")
