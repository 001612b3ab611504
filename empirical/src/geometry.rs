//! Optimizer-design metrics from the landscape's geometry at one point, on any [`CurvatureModel`].
//!
//! * `λ_max`, `λ_min`: Lanczos with full reorthogonalisation ([`extreme_eigenpairs`]), each with its residual
//!   `‖A v − λ v‖₂` computed by an explicit product.
//! * `tr A`: Hutch++ with its standard error ([`hutch_plus_plus`]).
//! * Bulk edge and outlier count: the largest-ratio-gap split of the top eigenvalues ([`outlier_split`], a
//!   heuristic stated as such there).
//! * **Effective dimension** as the participation ratio
//!
//!   ```text
//!   d_eff = (tr A)² / tr(A²) = (Σ λ_i)² / Σ λ_i²   ∈ [1, rank A] for PSD A
//!   ```
//!
//!   estimated from `N` Rademacher probes `z_p` with one product each: `x_p = z_pᵀ A z_p` (mean `→ tr A`) and
//!   `y_p = ‖A z_p‖²` (mean `→ tr A²`), `d̂ = x̄² / ȳ`. Its standard error is the delta method with the
//!   covariance of the paired samples, `se(d̂)² ≈ d̂² (4 s_x²/x̄² + s_y²/ȳ² − 4 s_xy/(x̄ ȳ)) / N`; as a ratio of
//!   means it is biased by `O(1/N)`, below the standard error for `N ≥ 20`. For a diagonal `A` both samples are
//!   exact (`z_i² = 1`), so the estimate is exact.
//! * Gradient–top-subspace overlap `‖P_k g‖²/‖g‖²` with `k` = the number of outputs ([`subspace_fraction`]).
//! * **Preconditioned sharpness** for Adam: `λ_max(P^{−1/2} A P^{−1/2})` with `P = diag(√v̂) + ε`
//!   ([`Preconditioned`], [`adam_preconditioner`]); it equals `λ_max(P^{−1} A)`, the quantity whose stability
//!   threshold is `(2 + 2β₁)/((1 − β₁) η)` = `38/η` for `β₁ = 0.9` (Cohen et al. 2022, "Adaptive gradient methods
//!   at the edge of stability", §3). For gradient descent and heavy ball the thresholds on `λ_max` are `2/η` and
//!   `(2 + 2β)/η`; [`crate::train::Optimizer::stability_threshold`] gives each optimizer's threshold with the
//!   sharpness it bounds.
//! * **The quadratic model's one-step prediction**: for the update `θ' = θ − η d`,
//!
//!   ```text
//!   Δℒ ≈ −η gᵀd + ½ η² dᵀ H d,
//!   ```
//!
//!   against the realized `ℒ(θ') − ℒ(θ)` ([`one_step_prediction`]). Taylor's theorem bounds the difference by
//!   `η³ ‖d‖³ sup ‖∇³ℒ‖ / 6`: it vanishes on a quadratic and scales as `η³` on a smooth network.

use landscape_simulate::SymmetricOperator;
use landscape_simulate::operator::apply_checked;
use landscape_simulate::rng::task_rng;
use landscape_simulate::trace::{ProbeKind, hutch_plus_plus};

use crate::error::EmpiricalError;
use crate::experiments::eigenpairs::{End, extreme_eigenpairs};
use crate::experiments::overlap::subspace_fraction;
use crate::experiments::spectrum::{OutlierSplit, outlier_split};
use crate::model::{CurvatureKind, CurvatureModel, from_simulate};

/// Settings of [`geometry`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeometryConfig {
    /// Hessian or Gauss–Newton.
    pub operator: CurvatureKind,
    /// Top eigenvalues for the outlier split and the overlap (take at least `2C` for `C` classes).
    pub top_k: usize,
    /// Cap on the Lanczos products of each extreme-eigenvalue run (runs stop when the pairs have converged).
    pub lanczos_steps: usize,
    /// Hutch++ budget of products for the trace (at least 6).
    pub trace_matvecs: usize,
    /// Probes of the participation-ratio estimator (at least 2).
    pub ratio_probes: usize,
    /// Seed of every random start and probe.
    pub seed: u64,
}

impl GeometryConfig {
    /// Top 20, 40 Lanczos steps, 60 trace products, 30 ratio probes.
    pub fn new(operator: CurvatureKind, seed: u64) -> Self {
        Self {
            operator,
            top_k: 20,
            lanczos_steps: 40,
            trace_matvecs: 60,
            ratio_probes: 30,
            seed,
        }
    }
}

/// An eigenvalue with its residual `‖A v − λ v‖₂`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Eigenvalue {
    /// The Ritz value.
    pub value: f64,
    /// Its residual norm.
    pub residual: f64,
}

/// An estimate with one standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Its standard error (0 for an exact computation).
    pub stderr: f64,
}

/// The participation ratio and the two traces it is made of (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParticipationRatio {
    /// `(tr A)² / tr(A²)`.
    pub ratio: Estimate,
    /// Hutchinson's `tr A` from the same probes.
    pub trace: Estimate,
    /// Hutchinson's `tr(A²) = ‖A‖_F²` from the same probes.
    pub trace_of_square: Estimate,
}

/// The geometry of the landscape at one point.
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    /// `P`.
    pub n_params: usize,
    /// The operator measured.
    pub operator: CurvatureKind,
    /// The loss at the point (all samples).
    pub loss: f64,
    /// `‖g‖₂` of the full-data gradient.
    pub gradient_norm: f64,
    /// `λ_max`.
    pub lambda_max: Eigenvalue,
    /// `λ_min`.
    pub lambda_min: Eigenvalue,
    /// The top eigenvalues, descending.
    pub top: Vec<f64>,
    /// Hutch++ trace.
    pub trace: Estimate,
    /// The participation ratio `(tr A)²/tr(A²)` with its traces.
    pub effective_dimension: ParticipationRatio,
    /// The outlier split of `top`.
    pub outliers: Option<OutlierSplit>,
    /// The subspace dimension of the overlap (`min(C, top_k)`).
    pub overlap_k: usize,
    /// `‖P_k g‖²/‖g‖²`.
    pub top_overlap: f64,
    /// `k/P`, a random direction's expected overlap.
    pub random_overlap: f64,
    /// Products with the operator, in all.
    pub n_matvecs: usize,
}

/// Measures the [`Geometry`] of `model` on all samples of `data`.
///
/// # Errors
/// Invalid settings (`top_k = 0` or above the Lanczos steps, a trace budget below 6, fewer than 2 probes) and
/// model or estimator errors.
pub fn geometry<M: CurvatureModel>(
    model: &M,
    data: &M::Data,
    config: &GeometryConfig,
) -> Result<Geometry, EmpiricalError> {
    let (loss, gradient) = model.loss_and_gradient(data)?;
    let op = model.curvature_operator(data, config.operator)?;
    let n_params = model.n_params();
    let top_k = config.top_k.min(n_params);
    let top = extreme_eigenpairs(
        op.as_ref(),
        top_k,
        End::Top,
        config.lanczos_steps,
        None,
        config.seed,
    )?;
    let bottom = extreme_eigenpairs(
        op.as_ref(),
        1,
        End::Bottom,
        config.lanczos_steps,
        None,
        config.seed ^ 1,
    )?;
    let trace =
        hutch_plus_plus(op.as_ref(), config.trace_matvecs, config.seed).map_err(from_simulate)?;
    let effective_dimension =
        participation_ratio(op.as_ref(), config.ratio_probes, config.seed ^ 2)?;
    let overlap_k = model.n_outputs().min(top.vectors.len()).max(1);
    let top_overlap = subspace_fraction(&top.vectors[..overlap_k], &gradient);
    Ok(Geometry {
        n_params,
        operator: config.operator,
        loss,
        gradient_norm: norm(&gradient),
        lambda_max: Eigenvalue {
            value: top.values[0],
            residual: top.residuals[0],
        },
        lambda_min: Eigenvalue {
            value: bottom.values[0],
            residual: bottom.residuals[0],
        },
        outliers: outlier_split(&top.values, model.n_outputs()),
        top: top.values,
        trace: Estimate {
            value: trace.value,
            stderr: trace.std_error,
        },
        effective_dimension,
        overlap_k,
        top_overlap,
        random_overlap: overlap_k as f64 / n_params as f64,
        n_matvecs: top.n_matvecs + bottom.n_matvecs + trace.n_matvecs + config.ratio_probes.max(2),
    })
}

/// The participation ratio `(tr A)²/tr(A²)` from `n_probes` paired Rademacher samples, probe `p` from
/// `task_rng(seed, p)` (module docs: estimator, delta-method standard error, `O(1/N)` bias).
///
/// Cost: `n_probes` products.
///
/// # Errors
/// [`EmpiricalError::InvalidArgument`] for fewer than 2 probes or a zero `tr(A²)` estimate; operator errors.
pub fn participation_ratio(
    op: &dyn SymmetricOperator,
    n_probes: usize,
    seed: u64,
) -> Result<ParticipationRatio, EmpiricalError> {
    if n_probes < 2 {
        return Err(EmpiricalError::invalid(
            "ratio probes",
            n_probes,
            "at least 2",
        ));
    }
    let n = op.dim();
    let mut z = vec![0.0; n];
    let mut az = vec![0.0; n];
    let mut xs = Vec::with_capacity(n_probes);
    let mut ys = Vec::with_capacity(n_probes);
    for p in 0..n_probes {
        ProbeKind::Rademacher.fill(&mut task_rng(seed, p as u64), &mut z);
        apply_checked(op, &z, &mut az).map_err(from_simulate)?;
        xs.push(z.iter().zip(&az).map(|(a, b)| a * b).sum::<f64>());
        ys.push(az.iter().map(|v| v * v).sum::<f64>());
    }
    let count = n_probes as f64;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / count;
    let (mx, my) = (mean(&xs), mean(&ys));
    let cov = |a: &[f64], ma: f64, b: &[f64], mb: f64| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - ma) * (y - mb))
            .sum::<f64>()
            / (count - 1.0)
    };
    let (vx, vy, vxy) = (
        cov(&xs, mx, &xs, mx),
        cov(&ys, my, &ys, my),
        cov(&xs, mx, &ys, my),
    );
    if my <= 0.0 {
        return Err(EmpiricalError::invalid(
            "operator",
            "zero",
            "a non-zero operator (tr A² estimated as 0)",
        ));
    }
    let ratio = mx * mx / my;
    // Delta method for f(x̄, ȳ) = x̄²/ȳ: ∇f = (2x̄/ȳ, −x̄²/ȳ²).
    let rel_var = if mx == 0.0 {
        0.0
    } else {
        (4.0 * vx / (mx * mx) + vy / (my * my) - 4.0 * vxy / (mx * my)) / count
    };
    Ok(ParticipationRatio {
        ratio: Estimate {
            value: ratio,
            stderr: ratio.abs() * rel_var.max(0.0).sqrt(),
        },
        trace: Estimate {
            value: mx,
            stderr: (vx / count).sqrt(),
        },
        trace_of_square: Estimate {
            value: my,
            stderr: (vy / count).sqrt(),
        },
    })
}

/// `P^{−1/2} A P^{−1/2}` for a positive diagonal `P`: symmetric, with the eigenvalues of `P^{−1} A`.
pub struct Preconditioned<'a> {
    inner: &'a dyn SymmetricOperator,
    inv_sqrt: Vec<f64>,
    scratch: std::cell::RefCell<Vec<f64>>,
}

impl std::fmt::Debug for Preconditioned<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Preconditioned(dim {})", self.inv_sqrt.len())
    }
}

impl<'a> Preconditioned<'a> {
    /// Wraps `inner` with the diagonal `p` (`P = diag(p)`).
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] if `p` has the wrong length or a non-positive or non-finite entry.
    pub fn new(inner: &'a dyn SymmetricOperator, p: &[f64]) -> Result<Self, EmpiricalError> {
        if p.len() != inner.dim() {
            return Err(EmpiricalError::invalid(
                "preconditioner length",
                p.len(),
                format!("the operator dimension {}", inner.dim()),
            ));
        }
        if let Some(bad) = p.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(EmpiricalError::invalid(
                "preconditioner entry",
                bad,
                "finite values > 0",
            ));
        }
        Ok(Self {
            inner,
            inv_sqrt: p.iter().map(|v| 1.0 / v.sqrt()).collect(),
            scratch: std::cell::RefCell::new(vec![0.0; p.len()]),
        })
    }
}

impl SymmetricOperator for Preconditioned<'_> {
    fn dim(&self) -> usize {
        self.inv_sqrt.len()
    }

    fn epsilon(&self) -> f64 {
        self.inner.epsilon()
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), landscape_simulate::SimulateError> {
        let mut scaled = self.scratch.borrow_mut();
        for ((s, x), d) in scaled.iter_mut().zip(x).zip(&self.inv_sqrt) {
            *s = x * d;
        }
        self.inner.apply(&scaled, y)?;
        for (y, d) in y.iter_mut().zip(&self.inv_sqrt) {
            *y *= d;
        }
        Ok(())
    }
}

/// Adam's preconditioner `diag(√ŝ) + ε` after `t ≥ 1` updates, `ŝ = s/(1 − β₂^t)` (the `P` of the module docs).
pub fn adam_preconditioner(second_moment: &[f64], t: usize, beta2: f64, epsilon: f64) -> Vec<f64> {
    let t = i32::try_from(t.max(1)).unwrap_or(i32::MAX);
    let correction = 1.0 - beta2.powi(t);
    second_moment
        .iter()
        .map(|s| (s / correction).sqrt() + epsilon)
        .collect()
}

/// The stability threshold of Adam's preconditioned sharpness, `(2 + 2β₁)/((1 − β₁) η)` (38/η at β₁ = 0.9).
pub fn adam_stability_threshold(learning_rate: f64, beta1: f64) -> f64 {
    (2.0 + 2.0 * beta1) / ((1.0 - beta1) * learning_rate)
}

/// `λ_max(P^{−1/2} A P^{−1/2})` by Lanczos with at most `steps` products, warm-started at `start` if given; returns the value,
/// its residual and the unit eigenvector (for the next warm start).
///
/// # Errors
/// As [`Preconditioned::new`] and [`extreme_eigenpairs`].
pub fn preconditioned_sharpness(
    op: &dyn SymmetricOperator,
    p: &[f64],
    steps: usize,
    start: Option<&[f64]>,
    seed: u64,
) -> Result<(Eigenvalue, Vec<f64>), EmpiricalError> {
    let wrapped = Preconditioned::new(op, p)?;
    let top = extreme_eigenpairs(&wrapped, 1, End::Top, steps, start, seed)?;
    Ok((
        Eigenvalue {
            value: top.values[0],
            residual: top.residuals[0],
        },
        top.vectors.into_iter().next().unwrap_or_default(),
    ))
}

/// The quadratic model's one-step prediction against the realized change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepPrediction {
    /// The step size `η`.
    pub eta: f64,
    /// `−η gᵀd`.
    pub first_order: f64,
    /// `½ η² dᵀ H d`.
    pub second_order: f64,
    /// `first_order + second_order`.
    pub predicted: f64,
    /// `ℒ(θ − η d) − ℒ(θ)`.
    pub realized: f64,
}

impl StepPrediction {
    /// `realized − predicted`, `O(η³)` for a smooth loss.
    pub fn error(&self) -> f64 {
        self.realized - self.predicted
    }
}

/// Predicts and measures the loss change of the step `θ ← θ − η d` on all samples of `data` (the Hessian is the
/// model's [`CurvatureKind::Hessian`]); the model's parameters are restored afterwards.
///
/// # Errors
/// [`EmpiricalError::InvalidArgument`] for a wrong-length direction or a non-finite `η`; model errors (a
/// non-finite loss after the step is [`EmpiricalError::NonFinite`]).
pub fn one_step_prediction<M: CurvatureModel>(
    model: &mut M,
    data: &M::Data,
    direction: &[f64],
    eta: f64,
) -> Result<StepPrediction, EmpiricalError> {
    let n = model.n_params();
    if direction.len() != n {
        return Err(EmpiricalError::invalid(
            "direction length",
            direction.len(),
            format!("P = {n}"),
        ));
    }
    if !eta.is_finite() {
        return Err(EmpiricalError::invalid("eta", eta, "a finite step size"));
    }
    let (loss, gradient) = model.loss_and_gradient(data)?;
    let mut hd = vec![0.0; n];
    {
        let op = model.curvature_operator(data, CurvatureKind::Hessian)?;
        apply_checked(op.as_ref(), direction, &mut hd).map_err(from_simulate)?;
    }
    let gd: f64 = gradient.iter().zip(direction).map(|(a, b)| a * b).sum();
    let dhd: f64 = direction.iter().zip(&hd).map(|(a, b)| a * b).sum();
    let theta = model.params().to_vec();
    let moved: Vec<f64> = theta
        .iter()
        .zip(direction)
        .map(|(t, d)| t - eta * d)
        .collect();
    model.set_params(&moved)?;
    let after = model.loss(data);
    model.set_params(&theta)?;
    let first_order = -eta * gd;
    let second_order = 0.5 * eta * eta * dhd;
    Ok(StepPrediction {
        eta,
        first_order,
        second_order,
        predicted: first_order + second_order,
        realized: after? - loss,
    })
}

/// The least-squares slope of `log |realized − predicted|` against `log η` over `etas` (3 for a smooth loss with
/// a non-zero third derivative along `d`), with the predictions it was fitted to.
///
/// # Errors
/// Fewer than two step sizes, a non-positive one, or errors of [`one_step_prediction`].
pub fn prediction_error_slope<M: CurvatureModel>(
    model: &mut M,
    data: &M::Data,
    direction: &[f64],
    etas: &[f64],
) -> Result<(f64, Vec<StepPrediction>), EmpiricalError> {
    if etas.len() < 2 || etas.iter().any(|e| !(e.is_finite() && *e > 0.0)) {
        return Err(EmpiricalError::invalid(
            "etas",
            format!("{etas:?}"),
            "at least two finite step sizes > 0",
        ));
    }
    let steps = etas
        .iter()
        .map(|&eta| one_step_prediction(model, data, direction, eta))
        .collect::<Result<Vec<_>, _>>()?;
    let pts: Vec<(f64, f64)> = steps
        .iter()
        .map(|s| (s.eta.ln(), s.error().abs().max(f64::MIN_POSITIVE).ln()))
        .collect();
    let count = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / count;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / count;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    Ok((sxy / sxx, steps))
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::fixtures::tanh_mixture_mlp;
    use crate::native::{NoData, Quadratic};
    use landscape_simulate::dense::DenseSymmetric;
    use landscape_simulate::rng::seeded;

    /// Round-off of sums of a few products of O(10) numbers, with a wide margin.
    const EXACT: f64 = 1e-10;

    fn quadratic() -> Quadratic {
        Quadratic::new(vec![9.0, 4.0, 1.0, -0.5], vec![1.0, -2.0, 0.5, 3.0]).unwrap()
    }

    #[test]
    fn quadratic_geometry_has_its_exact_eigenvalues_trace_and_participation_ratio() {
        let model = quadratic();
        let config = GeometryConfig {
            top_k: 3,
            lanczos_steps: 4,
            trace_matvecs: 30,
            ratio_probes: 5,
            ..GeometryConfig::new(CurvatureKind::Hessian, 3)
        };
        let g = geometry(&model, &NoData, &config).unwrap();
        assert!((g.lambda_max.value - 9.0).abs() < EXACT, "{g:?}");
        assert!((g.lambda_min.value + 0.5).abs() < EXACT, "{g:?}");
        assert!(g.lambda_max.residual < EXACT && g.lambda_min.residual < EXACT);
        // tr = 13.5; Hutch++ with a sketch of 10 Rademacher columns spans ℝ⁴ (at this seed), so it is exact.
        assert!((g.trace.value - 13.5).abs() < EXACT, "{g:?}");
        // (Σa)²/Σa² = 182.25 / 98.25; Rademacher probes make both samples exact for a diagonal matrix.
        let pr = 13.5f64.powi(2) / 98.25;
        assert!((g.effective_dimension.ratio.value - pr).abs() < EXACT);
        assert!(g.effective_dimension.ratio.stderr < EXACT);
        assert_eq!(g.top.len(), 3);
        // g = (9, −8, 0.5, −1.5); the k = 1 subspace is e₀: 81 / (81 + 64 + 0.25 + 2.25).
        assert!(
            (g.top_overlap - 81.0 / 147.5).abs() < EXACT,
            "{}",
            g.top_overlap
        );
    }

    #[test]
    fn participation_ratio_of_a_dense_wishart_is_within_four_standard_errors() {
        let n = 40;
        let mut rng = seeded(9);
        let mut x = vec![0.0; n * 2 * n];
        ProbeKind::Gaussian.fill(&mut rng, &mut x);
        // A = X Xᵀ / (2n), PSD with a Marchenko–Pastur spread.
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = (0..2 * n)
                    .map(|k| x[i * 2 * n + k] * x[j * 2 * n + k])
                    .sum::<f64>()
                    / (2 * n) as f64;
            }
        }
        let dense = DenseSymmetric::from_row_major(n, &a).unwrap();
        let eig = dense.eigenvalues().unwrap();
        let exact = eig.iter().sum::<f64>().powi(2) / eig.iter().map(|l| l * l).sum::<f64>();
        for seed in 0..3 {
            let pr = participation_ratio(&dense, 200, seed).unwrap();
            let z = (pr.ratio.value - exact) / pr.ratio.stderr;
            // Four standard errors: a false failure has probability ~6e-5 per seed under normality.
            assert!(
                z.abs() < 4.0,
                "seed {seed}: PR {} ± {} vs exact {exact}",
                pr.ratio.value,
                pr.ratio.stderr
            );
            assert!(pr.ratio.stderr > 0.0);
        }
    }

    #[test]
    fn preconditioned_sharpness_is_the_top_eigenvalue_of_p_inverse_a() {
        let model = quadratic();
        let op = model
            .curvature_operator(&NoData, CurvatureKind::Hessian)
            .unwrap();
        // P⁻¹A = diag(9/3, 4/0.5, 1/1, −0.5/2): top 8.
        let (top, v) =
            preconditioned_sharpness(op.as_ref(), &[3.0, 0.5, 1.0, 2.0], 4, None, 1).unwrap();
        assert!((top.value - 8.0).abs() < EXACT, "{top:?}");
        assert!((v[1].abs() - 1.0).abs() < 1e-8, "{v:?}");
        assert!(Preconditioned::new(op.as_ref(), &[1.0, 0.0, 1.0, 1.0]).is_err());
        let p = adam_preconditioner(&[4.0, 0.0], 1, 0.999, 1e-8);
        // ŝ = s / (1 − β₂) after one step.
        assert!((p[0] - (4.0f64 / 0.001).sqrt() - 1e-8).abs() < 1e-9);
        assert!((adam_stability_threshold(0.1, 0.9) - 380.0).abs() < 1e-9);
        use crate::train::Optimizer;
        let adam = Optimizer::Adam {
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
        };
        use crate::train::Sharpness;
        let threshold = adam.stability_threshold(0.01);
        assert!((threshold.value - 3800.0).abs() < 1e-6);
        assert_eq!(threshold.sharpness, Sharpness::Preconditioned);
        assert_eq!(adam.hessian_stability_threshold(0.01), None);
        let gd = Optimizer::GradientDescent.stability_threshold(0.5);
        assert!((gd.value - 4.0).abs() < 1e-12 && gd.sharpness == Sharpness::Hessian);
        let heavy = Optimizer::HeavyBall { beta: 0.5 };
        assert!((heavy.hessian_stability_threshold(0.5).unwrap() - 6.0).abs() < 1e-12);
    }

    #[test]
    fn quadratic_one_step_prediction_is_exact() {
        let mut model = quadratic();
        let (_, g) = model.loss_and_gradient(&NoData).unwrap();
        for eta in [0.01, 0.1, 0.5] {
            let s = one_step_prediction(&mut model, &NoData, &g, eta).unwrap();
            assert!(s.error().abs() < EXACT, "η {eta}: {s:?}");
        }
        assert_eq!(model.params(), quadratic().params(), "parameters restored");
    }

    #[test]
    fn network_one_step_prediction_error_scales_as_eta_cubed() {
        let (mut model, data) = tanh_mixture_mlp(10, 40, 2.0, 4);
        let (_, g) = model.loss_and_gradient(&data).unwrap();
        let etas = [0.05, 0.1, 0.2, 0.4];
        let (slope, steps) = prediction_error_slope(&mut model, &data, &g, &etas).unwrap();
        // Taylor: error = c₃ η³ + O(η⁴), so the log–log slope over η ∈ [0.05, 0.4] is 3 up to the O(η) correction.
        // A slope of 2 would mean the quadratic term is wrong.
        assert!(
            (slope - 3.0).abs() < 0.3,
            "log–log slope {slope}: {steps:?}"
        );
        // The prediction captures the change: the relative error is small at the smallest η.
        assert!(
            steps[0].error().abs() < 0.05 * steps[0].realized.abs(),
            "{:?}",
            steps[0]
        );
    }
}
