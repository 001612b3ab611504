"""Reference values for simulate/src/network/activation.rs (erf_and_gelu_match_mpmath_values)."""
import mpmath as m

m.mp.dps = 30
for x in ["0.5", "-1.7", "3.0"]:
    print("erf", x, m.erf(m.mpf(x)))
for x in ["1.0", "-0.5"]:
    print("gelu", x, m.mpf(x) * m.ncdf(m.mpf(x)))
