//! The decision rules of a conjecture: equivalence (TOST), bounds (Clopper–Pearson), limits (a fitted
//! finite-size correction, then TOST on the extrapolation), and Holm's correction across grid points.
//!
//! Every rule works on the **deviation** `measured − predicted` and a tolerance `τ`. With `α` the level:
//! - supported when the `(1 − 2α)` interval of the deviation lies inside `[−τ, τ]` (two one-sided tests at level α,
//!   Schuirmann 1987);
//! - refuted when the `(1 − α)` interval lies entirely outside `[−τ, τ]`; its p-value is
//!   `min(1, 2·P(T_ν > (|d̄| − τ)/se))`, so `p < α` exactly when the point is refuted;
//! - inconclusive otherwise.
//!
//! The Student-t, beta and chi-square quantiles come from `statrs`; `docs/conjectures.md` states the rules with
//! their references.

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};
use statrs::function::beta::{beta_reg, inv_beta_reg};

/// The power at which the smallest detectable deviation is reported (the usual 0.8 of Cohen 1988).
pub const POWER: f64 = 0.8;

/// The largest seed count [`seeds_to_decide`] looks at; a claim needing more is reported as not decidable by
/// seeds alone (`seeds_needed = null`).
pub const MAX_SEEDS: u64 = 1 << 32;

/// A verdict on a claim or a grid point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The data agree with the claim within the tolerance, at the stated level.
    Supported,
    /// The data contradict the claim beyond the tolerance, at the stated level.
    Refuted,
    /// Neither: more seeds (or larger sizes) are needed.
    Inconclusive,
}

impl Verdict {
    /// `supported`, `refuted` or `inconclusive`, as written in conjecture files.
    pub fn name(self) -> &'static str {
        match self {
            Self::Supported => "supported",
            Self::Refuted => "refuted",
            Self::Inconclusive => "inconclusive",
        }
    }
}

/// The statistics of one decision, in deviation units (`measured − predicted`; for bounds, the violation rate).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The verdict of this point alone (before Holm's correction across points).
    pub verdict: Verdict,
    /// The estimated deviation (or violation rate).
    pub estimate: f64,
    /// Its standard error.
    pub stderr: f64,
    /// The `(1 − 2α)` interval of the deviation (for bounds: the one-sided `1 − α` Clopper–Pearson limits).
    pub interval: [f64; 2],
    /// The p-value of refutation (the null hypothesis is the claim).
    pub p_value: f64,
    /// The smallest deviation (beyond the tolerance side it starts from) that this run refutes with probability
    /// [`POWER`]; `None` when no outcome of this run could refute.
    pub detectable: Option<f64>,
    /// When inconclusive: the seeds that would decide it if the observed mean and spread persisted.
    pub seeds_needed: Option<u64>,
}

/// `t_{p, ν}`, the `p` quantile of Student's t with `nu` degrees of freedom (`nu ≥ 1`).
///
/// # Panics
/// If `nu` is not positive or `p` is outside (0, 1); callers pass counts ≥ 2 and levels in (0, 0.5).
#[track_caller]
pub fn t_quantile(p: f64, nu: f64) -> f64 {
    // Beyond 1e6 degrees of freedom t is normal to 1e-6; the cap keeps statrs' inversion fast for the huge seed
    // counts `seeds_to_decide` tries.
    StudentsT::new(0.0, 1.0, nu.min(1e6))
        .expect("degrees of freedom are positive")
        .inverse_cdf(p)
}

/// `P(T_ν > t)`.
fn t_sf(t: f64, nu: f64) -> f64 {
    StudentsT::new(0.0, 1.0, nu)
        .expect("degrees of freedom are positive")
        .sf(t)
}

/// The smallest count `s > from` for which `decides(s)` holds, assuming it stays true once true (doubling, then
/// bisection); `None` beyond [`MAX_SEEDS`].
pub fn seeds_to_decide(from: u64, decides: impl Fn(u64) -> bool) -> Option<u64> {
    let mut hi = from.max(1) * 2;
    while !decides(hi) {
        if hi >= MAX_SEEDS {
            return None;
        }
        hi *= 2;
    }
    let mut lo = from;
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if decides(mid) { hi = mid } else { lo = mid }
    }
    Some(hi)
}

/// Mean and sample standard deviation.
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

/// The TOST verdict on an estimate `d` with standard error `se` and `nu` degrees of freedom.
fn tost_verdict(d: f64, se: f64, nu: f64, tolerance: f64, alpha: f64) -> (Verdict, f64, [f64; 2]) {
    if se == 0.0 {
        // A deterministic statistic: the interval is the point itself.
        let inside = d.abs() <= tolerance;
        let verdict = if inside {
            Verdict::Supported
        } else {
            Verdict::Refuted
        };
        return (verdict, if inside { 1.0 } else { 0.0 }, [d, d]);
    }
    let t1 = t_quantile(1.0 - alpha, nu);
    let t2 = t_quantile(1.0 - alpha / 2.0, nu);
    let interval = [d - t1 * se, d + t1 * se];
    let verdict = if interval[0] >= -tolerance && interval[1] <= tolerance {
        Verdict::Supported
    } else if d - t2 * se > tolerance || d + t2 * se < -tolerance {
        Verdict::Refuted
    } else {
        Verdict::Inconclusive
    };
    let p_value = (2.0 * t_sf((d.abs() - tolerance) / se, nu)).min(1.0);
    (verdict, p_value, interval)
}

/// The equivalence test of `deviations` (one per seed, at least two) against `[−tolerance, tolerance]`.
///
/// # Panics
/// With fewer than two deviations (the file reader requires `seeds ≥ 2`).
#[track_caller]
pub fn equivalence(deviations: &[f64], tolerance: f64, alpha: f64) -> Decision {
    assert!(deviations.len() >= 2, "an equivalence test needs two seeds");
    let count = deviations.len() as u64;
    let (d, sd) = mean_sd(deviations);
    let nu = (count - 1) as f64;
    let se = sd / (count as f64).sqrt();
    let (verdict, p_value, interval) = tost_verdict(d, se, nu, tolerance, alpha);
    let detectable =
        Some(tolerance + (t_quantile(1.0 - alpha / 2.0, nu) + t_quantile(POWER, nu)) * se);
    let seeds_needed = (verdict == Verdict::Inconclusive)
        .then(|| {
            let gap = tolerance - d.abs();
            seeds_to_decide(count, |s| {
                let (nu, h) = ((s - 1) as f64, sd / (s as f64).sqrt());
                if gap > 0.0 {
                    t_quantile(1.0 - alpha, nu) * h <= gap
                } else {
                    t_quantile(1.0 - alpha / 2.0, nu) * h < -gap
                }
            })
        })
        .flatten();
    Decision {
        verdict,
        estimate: d,
        stderr: se,
        interval,
        p_value,
        detectable,
        seeds_needed,
    }
}

/// One-sided `1 − alpha` Clopper–Pearson limits `[lower, upper]` for `k` successes in `n` trials (Clopper &
/// Pearson 1934): `lower = B⁻¹(α; k, n − k + 1)`, `upper = B⁻¹(1 − α; k + 1, n − k)`.
pub fn clopper_pearson(k: u64, n: u64, alpha: f64) -> [f64; 2] {
    let (kf, nf) = (k as f64, n as f64);
    let lower = if k == 0 {
        0.0
    } else {
        inv_beta_reg(kf, nf - kf + 1.0, alpha)
    };
    let upper = if k == n {
        1.0
    } else {
        inv_beta_reg(kf + 1.0, nf - kf, 1.0 - alpha)
    };
    [lower, upper]
}

/// `P(X ≥ k)` for `X ~ Binomial(n, p)`, as the regularised incomplete beta `I_p(k, n − k + 1)`.
pub fn binomial_upper_tail(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    beta_reg(k as f64, (n - k + 1) as f64, p)
}

/// The bound test: `violations` of `trials` samples broke the bound. The claim (the bound holds for every
/// sample) is operationalised as a violation probability below `alpha`: supported when the upper Clopper–Pearson
/// limit is below alpha, refuted when the lower limit is above it (`P(Binomial(n, α) ≥ k) < α`, the p-value).
pub fn bound(violations: u64, trials: u64, alpha: f64) -> Decision {
    let [lower, upper] = clopper_pearson(violations, trials, alpha);
    let rate = violations as f64 / trials as f64;
    let verdict = if upper < alpha {
        Verdict::Supported
    } else if lower > alpha {
        Verdict::Refuted
    } else {
        Verdict::Inconclusive
    };
    let p_value = binomial_upper_tail(violations, trials, alpha);
    // The fewest violations that refute, then the violation rate reaching them with probability POWER.
    let critical = (0..=trials).find(|&k| binomial_upper_tail(k, trials, alpha) < alpha);
    let detectable = critical.map(|k| {
        let (mut lo, mut hi) = (alpha, 1.0);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if binomial_upper_tail(k, trials, mid) >= POWER {
                hi = mid
            } else {
                lo = mid
            }
        }
        hi
    });
    let seeds_needed = (verdict == Verdict::Inconclusive)
        .then(|| {
            seeds_to_decide(trials, |s| {
                let k = (rate * s as f64).round() as u64;
                let [lo, up] = clopper_pearson(k, s, alpha);
                up < alpha || lo > alpha
            })
        })
        .flatten();
    Decision {
        verdict,
        estimate: rate,
        stderr: (rate * (1.0 - rate) / trials as f64).sqrt(),
        interval: [lower, upper],
        p_value,
        detectable,
        seeds_needed,
    }
}

/// How the finite-size correction `c·n^(−a)` of a `limit` test is modelled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rate {
    /// The exponent is known from theory (e.g. `a = 2/3` at a soft edge).
    Known {
        /// The exponent `a`.
        exponent: f64,
    },
    /// The exponent is fitted within `[lo, hi]`.
    Bounded {
        /// The smallest exponent allowed.
        lo: f64,
        /// The largest exponent allowed.
        hi: f64,
    },
}

/// The mean deviation at one size, with the spread of its seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SizeMean {
    /// The size n.
    pub n: f64,
    /// The mean deviation over seeds.
    pub mean: f64,
    /// Its standard error (sample sd / √seeds).
    pub stderr: f64,
    /// The number of seeds.
    pub seeds: u64,
}

/// The fit `deviation(n) = b + c·n^(−a)` behind a limit decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitFit {
    /// The means the fit was made to.
    pub sizes: Vec<SizeMean>,
    /// The best exponent `a`.
    pub exponent: f64,
    /// The exponents compatible with the data (a profile-likelihood set at level α; one value when known).
    pub exponent_range: [f64; 2],
    /// The extrapolated deviation `b` at the best exponent.
    pub limit: f64,
    /// The coefficient `c` at the best exponent.
    pub coefficient: f64,
    /// The standard error of `b` at the best exponent (inflated by the reduced chi-square when above one).
    pub limit_stderr: f64,
    /// The reduced chi-square of the best fit (`None` with no residual degree of freedom).
    pub reduced_chi2: Option<f64>,
}

/// A weighted least-squares fit of `b + c·n^(−a)` at fixed `a`: `(b, c, var_b, chi²)`.
fn wls(sizes: &[SizeMean], a: f64) -> (f64, f64, f64, f64) {
    let floor = sizes.iter().map(|s| s.mean.abs()).fold(1.0, f64::max) * 1e-12;
    let (mut s0, mut s1, mut s2, mut r0, mut r1) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for s in sizes {
        let w = 1.0 / s.stderr.max(floor).powi(2);
        let x = s.n.powf(-a);
        s0 += w;
        s1 += w * x;
        s2 += w * x * x;
        r0 += w * s.mean;
        r1 += w * x * s.mean;
    }
    let det = s0 * s2 - s1 * s1;
    let b = (s2 * r0 - s1 * r1) / det;
    let c = (s0 * r1 - s1 * r0) / det;
    let chi2 = sizes
        .iter()
        .map(|s| ((s.mean - b - c * s.n.powf(-a)) / s.stderr.max(floor)).powi(2))
        .sum();
    (b, c, s2 / det, chi2)
}

/// The number of exponents tried between the bounds of [`Rate::Bounded`] (uniform in `a`; the set of compatible
/// exponents is reported to this resolution).
const EXPONENT_GRID: usize = 121;

/// The limit test: fits `b + c·n^(−a)` to the mean deviations at each size and decides on `b` by the TOST rule.
///
/// With a bounded exponent, every `a` whose chi-square is within the `1 − α` chi-square(1) quantile of the best
/// is kept, and the intervals of `b` are united over them: an exponent the data cannot pin down widens the
/// interval instead of making it over-confident. The reported p-value is the largest over the kept exponents.
///
/// # Panics
/// With fewer than two sizes, or fewer than three for a fitted exponent (the file reader enforces both).
#[track_caller]
pub fn limit(sizes: &[SizeMean], rate: Rate, tolerance: f64, alpha: f64) -> (Decision, LimitFit) {
    let exponents: Vec<f64> = match rate {
        Rate::Known { exponent } => vec![exponent],
        Rate::Bounded { lo, hi } => (0..EXPONENT_GRID)
            .map(|i| lo + (hi - lo) * i as f64 / (EXPONENT_GRID - 1) as f64)
            .collect(),
    };
    let params = if exponents.len() == 1 { 2 } else { 3 };
    assert!(
        sizes.len() >= params,
        "a limit fit needs more sizes than parameters"
    );
    let nu = sizes
        .iter()
        .map(|s| s.seeds)
        .min()
        .unwrap_or(2)
        .saturating_sub(1)
        .max(1) as f64;
    let fits: Vec<_> = exponents.iter().map(|&a| (a, wls(sizes, a))).collect();
    let (best_a, (best_b, best_c, best_var, best_chi2)) = fits
        .iter()
        .copied()
        .min_by(|x, y| x.1.3.total_cmp(&y.1.3))
        .expect("at least one exponent");
    let dof = sizes.len() - params;
    let reduced = (dof > 0).then(|| best_chi2 / dof as f64);
    let inflate = reduced.unwrap_or(1.0).max(1.0);
    let cut = if fits.len() == 1 {
        f64::INFINITY
    } else {
        ChiSquared::new(1.0)
            .expect("one degree of freedom")
            .inverse_cdf(1.0 - alpha)
    };
    let kept: Vec<_> = fits
        .iter()
        .filter(|(_, f)| (f.3 - best_chi2) / inflate <= cut)
        .collect();
    let t1 = t_quantile(1.0 - alpha, nu);
    let t2 = t_quantile(1.0 - alpha / 2.0, nu);
    let mut interval = [f64::INFINITY, f64::NEG_INFINITY];
    let mut wide = [f64::INFINITY, f64::NEG_INFINITY];
    let mut p_value: f64 = 0.0;
    for (_, (b, _, var, _)) in &kept {
        let se = (var * inflate).sqrt();
        interval = [interval[0].min(b - t1 * se), interval[1].max(b + t1 * se)];
        wide = [wide[0].min(b - t2 * se), wide[1].max(b + t2 * se)];
        p_value = p_value.max(tost_verdict(*b, se, nu, tolerance, alpha).1);
    }
    let verdict = if interval[0] >= -tolerance && interval[1] <= tolerance {
        Verdict::Supported
    } else if wide[0] > tolerance || wide[1] < -tolerance {
        Verdict::Refuted
    } else {
        Verdict::Inconclusive
    };
    // The interval's half-width in standard errors of b: what more seeds would shrink like 1/√seeds.
    let centre = 0.5 * (interval[0] + interval[1]);
    let half = 0.5 * (interval[1] - interval[0]) / t1;
    let detectable = Some(tolerance + (t2 + t_quantile(POWER, nu)) * half);
    let seeds = sizes.iter().map(|s| s.seeds).min().unwrap_or(2);
    let seeds_needed = (verdict == Verdict::Inconclusive)
        .then(|| {
            let gap = tolerance - centre.abs();
            seeds_to_decide(seeds, |s| {
                let h = half * (seeds as f64 / s as f64).sqrt();
                if gap > 0.0 {
                    t1 * h <= gap
                } else {
                    t2 * h < -gap
                }
            })
        })
        .flatten();
    let range = kept
        .iter()
        .fold([f64::INFINITY, f64::NEG_INFINITY], |r, (a, _)| {
            [r[0].min(*a), r[1].max(*a)]
        });
    let fit = LimitFit {
        sizes: sizes.to_vec(),
        exponent: best_a,
        exponent_range: range,
        limit: best_b,
        coefficient: best_c,
        limit_stderr: (best_var * inflate).sqrt(),
        reduced_chi2: reduced,
    };
    let decision = Decision {
        verdict,
        estimate: best_b,
        stderr: fit.limit_stderr,
        interval,
        p_value,
        detectable,
        seeds_needed,
    };
    (decision, fit)
}

/// Holm's step-down correction (Holm 1979): which of `p_values` are rejected at family-wise level `alpha`.
pub fn holm(p_values: &[f64], alpha: f64) -> Vec<bool> {
    let mut order: Vec<usize> = (0..p_values.len()).collect();
    order.sort_by(|&i, &j| p_values[i].total_cmp(&p_values[j]));
    let m = p_values.len();
    let mut rejected = vec![false; m];
    for (rank, &i) in order.iter().enumerate() {
        if p_values[i] < alpha / (m - rank) as f64 {
            rejected[i] = true;
        } else {
            break;
        }
    }
    rejected
}

#[cfg(test)]
mod tests {
    use super::*;
    use landscape_simulate::rng;
    use rand_distr::{Distribution, StandardNormal};

    /// statrs' quantiles are accurate to about 1e-9 relative against mpmath; the reference values below carry
    /// more digits than that.
    const QUANTILE_TOL: f64 = 1e-8;

    #[test]
    fn quantiles_match_scipy() {
        // Reference: make_reference.py beside this file (mpmath, 30 digits).
        assert!((t_quantile(0.975, 15.0) - 2.131_449_545_559_775_7).abs() < QUANTILE_TOL);
        assert!((t_quantile(0.95, 3.0) - 2.353_363_434_801_823_9).abs() < QUANTILE_TOL);
        assert!((t_quantile(0.8, 7.0) - 0.896_029_644_313_765).abs() < QUANTILE_TOL);
        let [lo, up] = clopper_pearson(3, 20, 0.05);
        assert!((lo - 0.042_169_407_885_778_59).abs() < QUANTILE_TOL, "{lo}");
        assert!((up - 0.343_663_804_314_281_8).abs() < QUANTILE_TOL, "{up}");
        assert!((binomial_upper_tail(3, 20, 0.05) - 0.075_483_673_788_496_34).abs() < QUANTILE_TOL);
    }

    #[test]
    fn zero_violations_need_fifty_nine_seeds_for_support_at_five_percent() {
        // (1 − 0.05)^59 < 0.05 < (1 − 0.05)^58: the rule of three's exact form.
        assert_eq!(bound(0, 58, 0.05).verdict, Verdict::Inconclusive);
        assert_eq!(bound(0, 59, 0.05).verdict, Verdict::Supported);
        assert_eq!(bound(0, 30, 0.05).seeds_needed, Some(59));
        assert_eq!(bound(10, 20, 0.05).verdict, Verdict::Refuted);
    }

    #[test]
    fn holm_steps_down_and_stops_at_the_first_acceptance() {
        assert_eq!(holm(&[0.01, 0.04, 0.03], 0.05), vec![true, false, false]);
        assert_eq!(holm(&[0.001, 0.02, 0.04], 0.05), vec![true, true, true]);
        assert_eq!(holm(&[0.2, 0.001], 0.05), vec![false, true]);
    }

    /// Independent replicates of the calibration experiments: a 0.05 rate is estimated to ±0.016 (one sd).
    const REPLICATES: u64 = 400;

    /// The slack over α allowed for a refutation rate estimated from [`REPLICATES`] runs: three binomial
    /// standard deviations of 0.05 (a false failure about once in 700 runs of this test, were the rate exactly α).
    fn rate_slack(alpha: f64) -> f64 {
        3.0 * (alpha * (1.0 - alpha) / REPLICATES as f64).sqrt()
    }

    #[test]
    fn equivalence_refutes_a_claim_at_the_tolerance_edge_at_most_alpha_of_the_time() {
        let (alpha, tol) = (0.05, 0.5);
        let mut refuted = 0;
        let mut wrong_refuted = 0;
        for r in 0..REPLICATES {
            let mut g = rng::task_rng(11, r);
            let z: Vec<f64> = (0..12).map(|_| StandardNormal.sample(&mut g)).collect();
            // The true deviation sits exactly on the tolerance: the hardest true claim.
            let on_edge: Vec<f64> = z.iter().map(|x| tol + x).collect();
            refuted += u64::from(equivalence(&on_edge, tol, alpha).verdict == Verdict::Refuted);
            // Wrong by five standard errors (sd 1, 12 seeds) beyond the tolerance.
            let wrong: Vec<f64> = z.iter().map(|x| tol + 5.0 / 12f64.sqrt() + x).collect();
            wrong_refuted += u64::from(equivalence(&wrong, tol, alpha).verdict == Verdict::Refuted);
        }
        let rate = refuted as f64 / REPLICATES as f64;
        assert!(
            rate <= alpha + rate_slack(alpha),
            "refutation rate {rate} of a true claim"
        );
        let power = wrong_refuted as f64 / REPLICATES as f64;
        assert!(
            power >= 0.9,
            "a claim wrong by 5 se refuted only {power} of the time"
        );
    }

    #[test]
    fn limit_fit_refutes_a_true_limit_at_most_alpha_of_the_time_and_sees_a_wrong_one() {
        let (alpha, tol) = (0.05, 0.002);
        let ns = [100.0_f64, 200.0, 400.0, 800.0, 1600.0];
        let seeds = 16;
        let sd = 0.05;
        let mut refuted = [0u64; 2];
        let mut wrong_refuted = 0;
        for r in 0..REPLICATES {
            let mut g = rng::task_rng(12, r);
            let mut draw = |b: f64| -> Vec<SizeMean> {
                ns.iter()
                    .map(|&n| {
                        let xs: Vec<f64> = (0..seeds)
                            .map(|_| {
                                let z: f64 = StandardNormal.sample(&mut g);
                                b + 1.5 * n.powf(-2.0 / 3.0) + sd * z
                            })
                            .collect();
                        let (mean, s) = mean_sd(&xs);
                        SizeMean {
                            n,
                            mean,
                            stderr: s / (seeds as f64).sqrt(),
                            seeds,
                        }
                    })
                    .collect()
            };
            // A true claim on the tolerance edge, decided with the exponent known and with it bounded.
            let data = draw(tol);
            let known = limit(
                &data,
                Rate::Known {
                    exponent: 2.0 / 3.0,
                },
                tol,
                alpha,
            )
            .0;
            let bounded = limit(&data, Rate::Bounded { lo: 0.25, hi: 1.5 }, tol, alpha).0;
            refuted[0] += u64::from(known.verdict == Verdict::Refuted);
            refuted[1] += u64::from(bounded.verdict == Verdict::Refuted);
            let wrong = limit(
                &draw(0.05),
                Rate::Known {
                    exponent: 2.0 / 3.0,
                },
                tol,
                alpha,
            )
            .0;
            wrong_refuted += u64::from(wrong.verdict == Verdict::Refuted);
        }
        for (what, count) in ["known", "bounded"].iter().zip(refuted) {
            let rate = count as f64 / REPLICATES as f64;
            assert!(
                rate <= alpha + rate_slack(alpha),
                "{what} exponent: refutation rate {rate}"
            );
        }
        let power = wrong_refuted as f64 / REPLICATES as f64;
        assert!(
            power >= 0.9,
            "a limit wrong by 0.05 refuted only {power} of the time"
        );
    }
}
