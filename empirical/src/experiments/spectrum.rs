//! The curvature spectrum at one point: extreme eigenvalues with residuals, the SLQ density, the Hutch++ trace,
//! the bulk/outlier split, and optionally the Gauss–Newton matrix against the Hessian.
//!
//! **Outlier split** (a heuristic, stated as such in outputs): among the top-`k` eigenvalues `λ_1 ≥ … ≥ λ_k`,
//! the outliers are those above the largest ratio gap `λ_i / λ_{i+1}` (over positive `λ_{i+1}`). Papyan (2019,
//! "Measurements of three-level hierarchical structure in the outliers in the spectrum of deepnet Hessians")
//! finds `C` outliers for `C` classes in cross-entropy Hessians, so the count is reported beside `C` (the softmax
//! Hessian has rank `C − 1`, so `C − 1` is as expected as `C`). The split is only meaningful when `k` exceeds the
//! number of outliers (take `k ≥ 2C`). Measured: a 32-64-64-10 tanh MLP trained 200 heavy-ball steps on a
//! 10-class mixture (separation 1, 1000 samples) has 9 outliers (gap ratio 1.41); at initialization there is no
//! gap (largest ratio 1.02), so the count there means nothing.

use landscape_simulate::SymmetricOperator;
use landscape_simulate::slq::{SlqConfig, slq};
use landscape_simulate::trace::{ProbeKind, hutch_plus_plus};

use crate::error::EmpiricalError;
use crate::experiments::eigenpairs::{Eigenpairs, End, extreme_eigenpairs_to};
use crate::model::{CurvatureKind, CurvatureModel, Mode, from_simulate};
use landscape_simulate::lanczos::Stopped;

/// Settings of [`curvature_spectrum`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpectrumConfig {
    /// Hessian or Gauss–Newton.
    pub operator: CurvatureKind,
    /// Top eigenvalues wanted (≥ 1).
    pub top_k: usize,
    /// Bottom eigenvalues wanted (0 skips them).
    pub bottom_k: usize,
    /// Cap on the Lanczos products of each extreme-eigenvalue run (a cap, not a schedule: runs stop when the
    /// pairs have converged to `lanczos_tol`).
    pub lanczos_steps: usize,
    /// Relative residual tolerance of the extreme eigenpairs (`‖A v − θ v‖ ≤ tol · ‖A‖`).
    pub lanczos_tol: f64,
    /// SLQ probes.
    pub probes: usize,
    /// SLQ Lanczos steps per probe.
    pub slq_steps: usize,
    /// Hutch++ budget of products (≥ 6).
    pub trace_matvecs: usize,
    /// Seed of every random start and probe.
    pub seed: u64,
    /// Also compute the other operator's top eigenvalues and trace (G against H).
    pub compare: bool,
}

/// Eigenvalues with their residuals and how the Lanczos run that found them ended.
#[derive(Debug, Clone, PartialEq)]
pub struct EigenValues {
    /// Descending for the top, ascending for the bottom.
    pub values: Vec<f64>,
    /// `‖A v − λ v‖₂` per value.
    pub residuals: Vec<f64>,
    /// Whether each value met the tolerance.
    pub converged: Vec<bool>,
    /// Products of the run, residuals included.
    pub n_matvecs: usize,
    /// Thick restarts of the run.
    pub restarts: usize,
    /// Why the run stopped (`None` when nothing was computed).
    pub stopped: Option<Stopped>,
    /// The relative residual tolerance the run used (`None` when nothing was computed).
    pub tol: Option<f64>,
}

impl EigenValues {
    /// No eigenvalues (bottom_k = 0).
    pub fn none() -> Self {
        Self {
            values: Vec::new(),
            residuals: Vec::new(),
            converged: Vec::new(),
            n_matvecs: 0,
            restarts: 0,
            stopped: None,
            tol: None,
        }
    }

    fn from_pairs(pairs: Eigenpairs) -> Self {
        Self {
            values: pairs.values,
            residuals: pairs.residuals,
            converged: pairs.converged,
            n_matvecs: pairs.n_matvecs,
            restarts: pairs.restarts,
            stopped: Some(pairs.stopped),
            tol: Some(pairs.tol),
        }
    }
}

/// A trace estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trace {
    /// The estimate of `tr A`.
    pub estimate: f64,
    /// Its standard error.
    pub stderr: f64,
}

/// The bulk/outlier split of the top eigenvalues.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutlierSplit {
    /// Eigenvalues above the largest ratio gap.
    pub count: usize,
    /// `C`, the model's number of outputs.
    pub n_classes: usize,
    /// The largest ratio `λ_i / λ_{i+1}`.
    pub gap_ratio: f64,
    /// `λ_{count+1}`, the top of the bulk as seen from the top-`k` list.
    pub bulk_edge: f64,
}

/// The other operator's summary (G against H).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The other operator.
    pub operator: CurvatureKind,
    /// Its top eigenvalues.
    pub top: EigenValues,
    /// Its trace.
    pub trace: Trace,
}

/// The result of [`curvature_spectrum`].
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumReport {
    /// `P`.
    pub n_params: usize,
    /// The operator.
    pub operator: CurvatureKind,
    /// The model's mode.
    pub mode: Mode,
    /// The number of samples the operator averages over.
    pub n_samples: usize,
    /// Top eigenvalues, descending.
    pub top: EigenValues,
    /// Bottom eigenvalues, ascending (empty if not requested).
    pub bottom: EigenValues,
    /// The Hutch++ trace.
    pub trace: Trace,
    /// The SLQ measure: nodes ascending, weights summing to 1.
    pub density_nodes: Vec<f64>,
    /// The weights of `density_nodes`.
    pub density_weights: Vec<f64>,
    /// The outlier split, when at least two top eigenvalues were computed.
    pub outliers: Option<OutlierSplit>,
    /// G against H, when requested.
    pub comparison: Option<Comparison>,
    /// Products with the operator(s), in all.
    pub n_matvecs: usize,
}

/// The outlier split of descending `top` values (see the module docs).
pub fn outlier_split(top: &[f64], n_classes: usize) -> Option<OutlierSplit> {
    let (mut best, mut ratio) = (None, 0.0);
    for (i, pair) in top.windows(2).enumerate() {
        if pair[1] > 0.0 && pair[0] / pair[1] > ratio {
            ratio = pair[0] / pair[1];
            best = Some(i);
        }
    }
    best.map(|i| OutlierSplit {
        count: i + 1,
        n_classes,
        gap_ratio: ratio,
        bulk_edge: top[i + 1],
    })
}

fn top_and_trace(
    op: &dyn SymmetricOperator,
    config: &SpectrumConfig,
) -> Result<(EigenValues, Trace, usize), EmpiricalError> {
    let top = extreme_eigenpairs_to(
        op,
        config.top_k,
        End::Top,
        (config.lanczos_steps, config.lanczos_tol),
        None,
        config.seed,
    )?;
    let trace = hutch_plus_plus(op, config.trace_matvecs, config.seed).map_err(from_simulate)?;
    let n_matvecs = top.n_matvecs + trace.n_matvecs;
    Ok((
        EigenValues::from_pairs(top),
        Trace {
            estimate: trace.value,
            stderr: trace.std_error,
        },
        n_matvecs,
    ))
}

/// Measures the spectrum of the model's curvature operator on all samples of `data` (take the first `N` with
/// [`crate::model::SampleSet::first`] before calling).
///
/// # Errors
/// Invalid settings (`top_k = 0`, too few steps, a trace budget below 6) and model or estimator errors.
pub fn curvature_spectrum<M: CurvatureModel>(
    model: &M,
    data: &M::Data,
    config: &SpectrumConfig,
) -> Result<SpectrumReport, EmpiricalError> {
    use crate::model::SampleSet;
    let op = model.curvature_operator(data, config.operator)?;
    let (top, trace, mut n_matvecs) = top_and_trace(op.as_ref(), config)?;
    let bottom = if config.bottom_k == 0 {
        EigenValues::none()
    } else {
        let b = extreme_eigenpairs_to(
            op.as_ref(),
            config.bottom_k,
            End::Bottom,
            (config.lanczos_steps, config.lanczos_tol),
            None,
            config.seed,
        )?;
        n_matvecs += b.n_matvecs;
        EigenValues::from_pairs(b)
    };
    let quadrature = slq(
        op.as_ref(),
        &SlqConfig {
            steps: config.slq_steps,
            n_probes: config.probes,
            probe: ProbeKind::Rademacher,
            seed: config.seed,
        },
    )
    .map_err(from_simulate)?;
    n_matvecs += quadrature.n_matvecs();
    let (density_nodes, density_weights) = quadrature.measure();
    let comparison = if config.compare {
        let other = match config.operator {
            CurvatureKind::Hessian => CurvatureKind::GaussNewton,
            CurvatureKind::GaussNewton => CurvatureKind::Hessian,
        };
        let other_op = model.curvature_operator(data, other)?;
        let (top, trace, count) = top_and_trace(other_op.as_ref(), config)?;
        n_matvecs += count;
        Some(Comparison {
            operator: other,
            top,
            trace,
        })
    } else {
        None
    };
    Ok(SpectrumReport {
        n_params: model.n_params(),
        operator: config.operator,
        mode: model.mode(),
        n_samples: data.n_samples(),
        outliers: outlier_split(&top.values, model.n_outputs()),
        top,
        bottom,
        trace,
        density_nodes,
        density_weights,
        comparison,
        n_matvecs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::fixtures::Mixture;
    use landscape_simulate::dense::DenseSymmetric;
    use landscape_simulate::network::{Activation, CurvaturePoint, Loss};

    #[test]
    fn spectrum_of_a_small_mlp_matches_its_dense_hessian() {
        let (model, data) = Mixture {
            dim: 4,
            hidden: 6,
            n: 40,
            separation: 2.0,
            data_seed: 5,
            activation: Activation::Tanh,
        }
        .build(6);
        let (mlp, params) = (model.mlp(), model.params());
        let p = model.n_params();
        let config = SpectrumConfig {
            operator: CurvatureKind::Hessian,
            top_k: 4,
            bottom_k: 2,
            lanczos_steps: p,
            lanczos_tol: crate::experiments::eigenpairs::DEFAULT_EIGENPAIR_TOL,
            probes: 4,
            slq_steps: 20,
            trace_matvecs: 3 * p,
            seed: 2,
            compare: true,
        };
        let report = curvature_spectrum(&model, &data, &config).unwrap();
        let point = CurvaturePoint::new(mlp, params, &data, Loss::cross_entropy()).unwrap();
        let dense = DenseSymmetric::from_row_major(p, &point.hessian_dense()).unwrap();
        let exact = dense.eigenvalues().unwrap();
        let trace: f64 = (0..p).map(|i| point.hessian_dense()[i * p + i]).sum();
        // A full Krylov space (steps = P = 51): eigenvalues to round-off; 1e-9 relative leaves a wide margin.
        let scale = exact[p - 1].abs();
        for (j, v) in report.top.values.iter().enumerate() {
            assert!((v - exact[p - 1 - j]).abs() < 1e-9 * scale, "top {j}: {v}");
        }
        assert!((report.bottom.values[0] - exact[0]).abs() < 1e-9 * scale);
        // Hutch++ with a budget of 3P: its sketch of s = P products spans ℝᴾ, so the trace is exact to
        // round-off.
        assert!(
            (report.trace.estimate - trace).abs() < 1e-8 * trace.abs().max(1.0),
            "trace {} vs {trace}",
            report.trace.estimate
        );
        let mass: f64 = report.density_weights.iter().sum();
        assert!((mass - 1.0).abs() < 1e-12);
        let cmp = report.comparison.unwrap();
        assert_eq!(cmp.operator, CurvatureKind::GaussNewton);
        assert_eq!(report.mode, Mode::Eval);
    }

    #[test]
    fn outliers_are_the_values_above_the_largest_ratio_gap() {
        let split = outlier_split(&[50.0, 40.0, 30.0, 2.0, 1.5, 1.0], 3).unwrap();
        assert_eq!(split.count, 3);
        assert!((split.gap_ratio - 15.0).abs() < 1e-12);
        assert!(outlier_split(&[1.0], 3).is_none());
    }
}
