//! Means with Student-t confidence intervals over seeds.
//!
//! For `n` independent replicates `x_1..x_n` with sample mean `x̄` and sample standard deviation `s`, the
//! two-sided `1 − α` interval for the mean is `x̄ ± t_{1−α/2, n−1} s/√n` (exact for normal data, asymptotically
//! valid otherwise). The quantile is computed here, not looked up: the Student-t distribution function of integer
//! `ν` has the closed forms of Abramowitz & Stegun 26.7.3–26.7.4 in `θ = atan(t/√ν)`, inverted by bisection.
//! Reference quantiles (mpmath, 30 digits) come from `make_t_quantiles.py` beside this file.

use serde::Serialize;

/// `P(|T| ≤ t)` for Student's t with `nu ≥ 1` degrees of freedom (A&S 26.7.3–26.7.4), `t ≥ 0`.
pub fn t_two_sided_cdf(t: f64, nu: usize) -> f64 {
    let theta = (t / (nu as f64).sqrt()).atan();
    let (s, c) = theta.sin_cos();
    let c2 = c * c;
    if nu % 2 == 1 {
        // (2/π)[θ + sin θ (cos θ + (2/3) cos³θ + … + (2·4⋯(ν−3))/(1·3⋯(ν−2)) cos^{ν−2}θ)], the sum empty for ν = 1.
        let mut sum = 0.0;
        if nu > 1 {
            let mut term = c;
            sum = term;
            let mut k = 1;
            while 2 * k + 1 < nu {
                term *= c2 * (2 * k) as f64 / (2 * k + 1) as f64;
                sum += term;
                k += 1;
            }
        }
        2.0 / std::f64::consts::PI * (theta + s * sum)
    } else {
        // sin θ [1 + (1/2) cos²θ + (1·3)/(2·4) cos⁴θ + … + (1·3⋯(ν−3))/(2·4⋯(ν−2)) cos^{ν−2}θ].
        let mut term = 1.0;
        let mut sum = 1.0;
        let mut k = 1;
        while 2 * k < nu {
            term *= c2 * (2 * k - 1) as f64 / (2 * k) as f64;
            sum += term;
            k += 1;
        }
        s * sum
    }
}

/// The `0.975` quantile of Student's t with `nu ≥ 1` degrees of freedom (the half-width factor of a 95 %
/// interval), by bisection to 1e-13 relative.
///
/// # Panics
/// If `nu = 0`.
#[track_caller]
pub fn t_quantile_975(nu: usize) -> f64 {
    assert!(nu >= 1, "Student's t needs at least one degree of freedom");
    let (mut lo, mut hi) = (0.0_f64, 20.0_f64);
    while t_two_sided_cdf(hi, nu) < 0.95 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_two_sided_cdf(mid, nu) < 0.95 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-13 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The smallest difference of means that a two-sided Welch t-test at level 0.05 detects with probability 0.8,
/// given the two samples' variances: `(t_{0.975, ν} + t_{0.8, ν}) · √(s_a²/n_a + s_b²/n_b)` with the
/// Welch–Satterthwaite `ν` (the normal-approximation power formula with t quantiles). `None` with fewer than two
/// values on either side; `Some(0)` when both samples are constant.
pub fn detectable_difference(a: &[f64], b: &[f64]) -> Option<f64> {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let var_over_n = |x: &[f64]| {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0) / n
    };
    let (va, vb) = (var_over_n(a), var_over_n(b));
    let se2 = va + vb;
    if se2 == 0.0 {
        return Some(0.0);
    }
    let nu = se2 * se2 / (va * va / (a.len() as f64 - 1.0) + vb * vb / (b.len() as f64 - 1.0));
    let t = StudentsT::new(0.0, 1.0, nu).ok()?;
    Some((t.inverse_cdf(0.975) + t.inverse_cdf(0.8)) * se2.sqrt())
}

/// A mean over replicates with its 95 % Student-t interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanCi {
    /// `x̄`.
    pub mean: f64,
    /// The half-width `t_{0.975, n−1} s/√n` (`None` for fewer than two values).
    pub ci95: Option<f64>,
    /// The number of values `n`.
    pub n: usize,
}

impl MeanCi {
    /// The mean and interval of `values`; `None` when `values` is empty.
    pub fn of(values: &[f64]) -> Option<Self> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let ci95 = (n >= 2).then(|| {
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            t_quantile_975(n - 1) * (var / n as f64).sqrt()
        });
        Some(Self { mean, ci95, n })
    }

    /// `[mean − ci95, mean + ci95]` (the mean twice without an interval).
    pub fn interval(&self) -> (f64, f64) {
        let h = self.ci95.unwrap_or(0.0);
        (self.mean - h, self.mean + h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detectable_difference_uses_welch_degrees_of_freedom() {
        // a = b = [0, 1]: s²/n = 0.25 each, ν = 0.25²·4/(2·0.0625) = 2; t_{0.975,2} = 4.302652729911275 and
        // t_{0.8,2} = 0.6/√0.32 (the closed form of the ν = 2 quantile (2p − 1)/√(2p(1 − p))).
        let d = detectable_difference(&[0.0, 1.0], &[0.0, 1.0]).unwrap();
        let expected = (4.302_652_729_911_275 + 0.6 / 0.32_f64.sqrt()) * 0.5_f64.sqrt();
        assert!((d - expected).abs() < 1e-9, "{d} vs {expected}");
        assert_eq!(detectable_difference(&[1.0], &[0.0, 1.0]), None);
        assert_eq!(detectable_difference(&[1.0, 1.0], &[2.0, 2.0]), Some(0.0));
    }

    /// mpmath, 30 digits (`make_t_quantiles.py`).
    const REFERENCE: &[(usize, f64)] = &[
        (1, 12.706204736174705),
        (2, 4.302_652_729_749_464),
        (3, 3.1824463052837096),
        (4, 2.7764451051977944),
        (5, 2.5705818356363155),
        (9, 2.2621571627982055),
        (19, 2.0930240544083098),
        (29, 2.0452296421327043),
        (60, 2.0002978220142605),
    ];

    #[test]
    fn t_quantiles_match_mpmath() {
        for &(nu, q) in REFERENCE {
            let got = t_quantile_975(nu);
            // Bisection to 1e-13 relative plus round-off of the closed-form sums (≤ ν terms of size ≤ 1).
            assert!((got - q).abs() < 1e-11 * q, "ν = {nu}: {got} vs {q}");
        }
    }

    #[test]
    fn mean_ci_of_three_values_uses_t_with_two_degrees_of_freedom() {
        let m = MeanCi::of(&[1.0, 2.0, 3.0]).unwrap();
        assert!((m.mean - 2.0).abs() < 1e-15);
        // s = 1, n = 3: half-width t_{0.975,2}/√3.
        let expected = 4.302_652_729_749_464 / 3f64.sqrt();
        assert!((m.ci95.unwrap() - expected).abs() < 1e-11);
        assert!(MeanCi::of(&[]).is_none());
        assert_eq!(MeanCi::of(&[5.0]).unwrap().ci95, None);
    }
}
