"""Reference values for the Clopper–Pearson interval and the Student-t quantile used by the Hutch++ coverage
check (experiments/src/checks/simulation.rs). Run: python3 scripts/reference/clopper_pearson.py (needs scipy)."""

from scipy.stats import beta, t

# 190 successes in 200 trials at level 95%: the interval used by `clopper_pearson_matches_reference_values`.
k, n, alpha = 190, 200, 0.05
print(f"CP({k}/{n}, {1 - alpha}): low {beta.ppf(alpha / 2, k, n - k + 1):.10f}, "
      f"high {beta.ppf(1 - alpha / 2, k + 1, n - k):.10f}")
# The 97.5% quantile of Student's t with 9 degrees of freedom (10 Hutchinson probes).
print(f"t_9(0.975) = {t.ppf(0.975, 9):.10f}")
