"""Reference quantiles for experiments/src/conjecture/decide.rs, from mpmath at 30 digits.

Run: python3 make_reference.py. Student t: F(t) = 1 - I_{nu/(nu+t^2)}(nu/2, 1/2)/2 for t > 0; Clopper-Pearson
limits are beta quantiles; the binomial tail is summed exactly.
"""
from mpmath import mp, mpf, betainc, findroot, binomial

mp.dps = 30


def t_cdf(t, nu):
    x = nu / (nu + t * t)
    tail = betainc(nu / 2, mpf(1) / 2, 0, x, regularized=True) / 2
    return 1 - tail if t > 0 else tail


def t_ppf(p, nu):
    return findroot(lambda t: t_cdf(t, mpf(nu)) - p, 1.5)


def beta_ppf(p, a, b):
    return findroot(lambda x: betainc(a, b, 0, x, regularized=True) - p, (mpf("1e-6"), 1 - mpf("1e-6")), solver="bisect")


def binom_tail(k, n, p):
    return sum(binomial(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))


print("t(0.975, 15) =", t_ppf(mpf("0.975"), 15))
print("t(0.95, 3)   =", t_ppf(mpf("0.95"), 3))
print("t(0.8, 7)    =", t_ppf(mpf("0.8"), 7))
print("CP lower(3, 20, 0.05) =", beta_ppf(mpf("0.05"), 3, 18))
print("CP upper(3, 20, 0.05) =", beta_ppf(mpf("0.95"), 4, 17))
print("P(Bin(20, 0.05) >= 3) =", binom_tail(3, 20, mpf("0.05")))
