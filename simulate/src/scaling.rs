//! Finite-size scaling: how fast an error (a KS distance, an edge error) decays with the size `n`.
//!
//! Given, at sizes `n_i`, the mean error `ē_i` over `r_i` seeds and its standard deviation `s_i` across seeds,
//! fit `log ē = a − b log n` by weighted least squares. By the delta method the standard error of `log ē_i` is
//! `σ_i = s_i / (ē_i √r_i)`, and the weights are `1/σ_i²`. The fitted exponent `b` has the standard error
//! `√((XᵀWX)⁻¹)_bb`, inflated by `√(χ²/dof)` when the fit is worse than the stated errors allow (`χ²/dof > 1`,
//! the Birge ratio), so that unmodelled corrections to scaling widen the error bar instead of hiding.

use crate::SimulateError;

/// One size in a finite-size scaling study.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalingPoint {
    /// The size `n` (> 0).
    pub n: f64,
    /// The mean error over seeds (> 0).
    pub mean_error: f64,
    /// The standard deviation of the error across seeds (> 0).
    pub sd: f64,
    /// The number of seeds (≥ 1).
    pub n_seeds: usize,
}

/// A fitted power law `error ≈ exp(a) · n^{−b}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalingFit {
    /// The decay exponent `b`.
    pub exponent: f64,
    /// The standard error of `b`.
    pub exponent_std_error: f64,
    /// The intercept `a` (log of the prefactor).
    pub log_prefactor: f64,
    /// The standard error of `a`.
    pub log_prefactor_std_error: f64,
    /// Covariance of `(a, b)` before inflation (needed for prediction errors).
    covariance_ab: f64,
    /// The weighted residual sum of squares `χ²`.
    pub chi_squared: f64,
    /// Degrees of freedom `#points − 2`.
    pub dof: usize,
    /// The inflation factor `max(1, √(χ²/dof))` applied to the standard errors (1 when `dof = 0`).
    pub inflation: f64,
}

impl ScalingFit {
    /// The predicted error `exp(a − b log n)` at size `n`.
    pub fn predict(&self, n: f64) -> f64 {
        (self.log_prefactor - self.exponent * n.ln()).exp()
    }

    /// The standard error of `log` of the prediction at `n`: `√(Var a + ln²n Var b − 2 ln n Cov(a,b))`.
    pub fn predict_log_std_error(&self, n: f64) -> f64 {
        let l = n.ln();
        let var = self.log_prefactor_std_error.powi(2) + l * l * self.exponent_std_error.powi(2)
            - 2.0 * l * self.covariance_ab * self.inflation.powi(2);
        var.max(0.0).sqrt()
    }
}

/// Weighted least-squares fit of `log ē = a − b log n` (module docs).
///
/// # Errors
/// [`SimulateError::InvalidArgument`] for fewer than two points, fewer than two distinct sizes, or a point with a
/// non-positive or non-finite `n`, `mean_error` or `sd`, or zero seeds.
pub fn fit_power_law(points: &[ScalingPoint]) -> Result<ScalingFit, SimulateError> {
    if points.len() < 2 {
        return Err(SimulateError::invalid(
            "points",
            points.len(),
            "at least 2 sizes",
        ));
    }
    let mut rows = Vec::with_capacity(points.len());
    for p in points {
        let ok = [p.n, p.mean_error, p.sd]
            .iter()
            .all(|v| v.is_finite() && *v > 0.0)
            && p.n_seeds >= 1;
        if !ok {
            return Err(SimulateError::invalid(
                "scaling point",
                format!("{p:?}"),
                "positive finite n, mean_error and sd, and n_seeds >= 1",
            ));
        }
        let sigma = p.sd / (p.mean_error * (p.n_seeds as f64).sqrt());
        rows.push((p.n.ln(), p.mean_error.ln(), 1.0 / (sigma * sigma)));
    }
    // Normal equations for y = a + c x with weights w; b = −c.
    let (mut sw, mut swx, mut swxx, mut swy, mut swxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(x, y, w) in &rows {
        sw += w;
        swx += w * x;
        swxx += w * x * x;
        swy += w * y;
        swxy += w * x * y;
    }
    let det = sw * swxx - swx * swx;
    let x_mean = swx / sw;
    let spread: f64 = rows.iter().map(|(x, _, w)| w * (x - x_mean).powi(2)).sum();
    if spread <= 1e-12 * sw * x_mean.abs().max(1.0).powi(2) || det <= 0.0 {
        return Err(SimulateError::invalid(
            "sizes",
            "all equal",
            "at least two distinct sizes",
        ));
    }
    let c = (sw * swxy - swx * swy) / det;
    let a = (swxx * swy - swx * swxy) / det;
    let var_a = swxx / det;
    let var_c = sw / det;
    let cov_ac = -swx / det;
    let chi_squared: f64 = rows
        .iter()
        .map(|(x, y, w)| w * (y - a - c * x).powi(2))
        .sum();
    let dof = rows.len() - 2;
    let inflation = if dof > 0 {
        (chi_squared / dof as f64).sqrt().max(1.0)
    } else {
        1.0
    };
    Ok(ScalingFit {
        exponent: -c,
        exponent_std_error: var_c.sqrt() * inflation,
        log_prefactor: a,
        log_prefactor_std_error: var_a.sqrt() * inflation,
        // Cov(a, b) = −Cov(a, c).
        covariance_ab: -cov_ac,
        chi_squared,
        dof,
        inflation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn exact_power_law_is_recovered_exactly() {
        let points: Vec<ScalingPoint> = [100.0, 200.0, 400.0, 800.0]
            .iter()
            .map(|&n: &f64| ScalingPoint {
                n,
                mean_error: 3.0 * n.powf(-0.5),
                sd: 0.01,
                n_seeds: 10,
            })
            .collect();
        let fit = fit_power_law(&points).unwrap();
        assert!((fit.exponent - 0.5).abs() < 1e-12, "{fit:?}");
        assert!((fit.log_prefactor - 3.0_f64.ln()).abs() < 1e-11);
        assert!((fit.predict(1600.0) - 3.0 / 40.0).abs() < 1e-12);
        assert!(fit.chi_squared < 1e-20);
    }

    #[test]
    fn scaling_fit_recovers_known_exponent_with_calibrated_error() {
        // Synthetic studies: error_i,seed = 2 n^{−2/3} (1 + 0.1 ξ), ξ ~ N(0,1), 20 seeds at 5 sizes. Over 400
        // studies the fitted b must lie within 2 standard errors of 2/3 in about 95 % of them (the delta method is
        // accurate at 10 % noise); the binomial sd of the coverage is 1.1 %, so [0.90, 0.99] is a > 4σ band.
        // It also checks the mean of b (unbiased to within 4 standard errors of the mean).
        let (b_true, seeds, studies) = (2.0 / 3.0, 20, 400);
        let sizes = [250.0, 500.0, 1000.0, 2000.0, 4000.0];
        let mut covered = 0;
        let mut b_sum = 0.0;
        let mut se_sum = 0.0;
        for study in 0..studies {
            let mut r = rng::task_rng(77, study);
            let points: Vec<ScalingPoint> = sizes
                .iter()
                .map(|&n: &f64| {
                    let truth = 2.0 * n.powf(-b_true);
                    let errs: Vec<f64> = (0..seeds)
                        .map(|_| {
                            let xi: f64 = StandardNormal.sample(&mut r);
                            truth * (1.0 + 0.1 * xi)
                        })
                        .collect();
                    let mean = errs.iter().sum::<f64>() / seeds as f64;
                    let sd = (errs.iter().map(|e| (e - mean).powi(2)).sum::<f64>()
                        / (seeds - 1) as f64)
                        .sqrt();
                    ScalingPoint {
                        n,
                        mean_error: mean,
                        sd,
                        n_seeds: seeds,
                    }
                })
                .collect();
            let fit = fit_power_law(&points).unwrap();
            if (fit.exponent - b_true).abs() <= 2.0 * fit.exponent_std_error {
                covered += 1;
            }
            b_sum += fit.exponent;
            se_sum += fit.exponent_std_error;
        }
        let coverage = covered as f64 / studies as f64;
        assert!((0.90..=0.99).contains(&coverage), "coverage {coverage}");
        let b_mean = b_sum / studies as f64;
        let se_of_mean = se_sum / studies as f64 / (studies as f64).sqrt();
        assert!(
            (b_mean - b_true).abs() < 4.0 * se_of_mean,
            "mean b {b_mean} vs {b_true} (se {se_of_mean})"
        );
    }

    #[test]
    fn invalid_scaling_inputs_are_rejected() {
        let p = ScalingPoint {
            n: 100.0,
            mean_error: 0.1,
            sd: 0.01,
            n_seeds: 5,
        };
        assert!(fit_power_law(&[p]).is_err());
        assert!(fit_power_law(&[p, p]).is_err(), "equal sizes");
        assert!(
            fit_power_law(&[
                p,
                ScalingPoint {
                    sd: 0.0,
                    n: 200.0,
                    ..p
                }
            ])
            .is_err()
        );
        assert!(
            fit_power_law(&[
                p,
                ScalingPoint {
                    mean_error: f64::NAN,
                    n: 200.0,
                    ..p
                }
            ])
            .is_err()
        );
    }
}
