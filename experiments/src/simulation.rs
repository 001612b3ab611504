//! Simulation experiments shared by the CLI (`landscape simulate ...`) and the checks registry.

use serde::Serialize;

pub use landscape_empirical::model::CurvatureKind;
use landscape_simulate::SimulateError;
use landscape_simulate::dense::{DenseSymmetric, eigen, eigenvalues};
use landscape_simulate::distance::WeightedSpectrum;
use landscape_simulate::ensembles::{Ensemble, SpikedCovariance, SpikedWigner};
use landscape_simulate::lanczos::{LanczosConfig, Which, lanczos};
use landscape_simulate::rng::{seeded, stream, task_rng};
use landscape_simulate::scaling::{ScalingPoint, fit_power_law};
use landscape_simulate::slq::{SlqConfig, slq};
use landscape_theory::SpectralLaw;
use landscape_theory::expr::LawExpr;

use crate::compare::{Distances, distances, eigenvalue_distances, ensemble_for};

mod ntk;
mod ntk_curvature;
mod ntk_training;

pub use ntk::{
    BoxError, EdgeError, NtkComparison, NtkScalingConfig, NtkScalingPoint, NtkScalingRow,
    compare_ntk, ntk_eigenvalues, ntk_law_expr, ntk_spectrum, ntk_width_scaling,
};
pub use ntk_curvature::gauss_newton_vs_ntk;
pub use ntk_training::{
    DistanceFit, NtkTrainingConfig, NtkTrainingPoint, NtkTrainingResult, SampleCount,
    ntk_after_training,
};

/// Largest matrix side the dense path accepts: a 20000² f64 matrix is 3.2 GB, and its eigendecomposition takes
/// many minutes on 2 cores.
pub const MAX_DENSE_N: usize = 20_000;

/// How a spectrum is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// All eigenvalues by a dense symmetric eigensolver (faer).
    Dense,
    /// Stochastic Lanczos quadrature (10 Rademacher probes, 80 steps) for the distances; Lanczos for the extremes.
    Slq,
}

/// The result of `landscape simulate esd`.
#[derive(Debug, Clone, Serialize)]
pub struct EsdResult {
    /// The law, as the theory crate prints it.
    pub law: String,
    /// The ensemble's name.
    pub ensemble: String,
    /// Matrix side.
    pub n: usize,
    /// Seed.
    pub seed: u64,
    /// Measurement method.
    pub method: Method,
    /// KS distance from the law.
    pub ks: f64,
    /// Wasserstein-1 distance from the law.
    pub w1: f64,
    /// The 5 largest eigenvalues, descending.
    pub largest: Vec<f64>,
    /// The 5 smallest eigenvalues, ascending.
    pub smallest: Vec<f64>,
}

fn check_n(n: usize) -> Result<(), SimulateError> {
    if !(2..=MAX_DENSE_N).contains(&n) {
        return Err(SimulateError::invalid(
            "--n",
            n,
            format!("an integer in 2..={MAX_DENSE_N}"),
        ));
    }
    Ok(())
}

/// Samples one matrix from the ensemble whose limit is `expr` and measures its distance from `law`.
pub fn esd(
    expr: &LawExpr,
    law: &dyn SpectralLaw,
    n: usize,
    seed: u64,
    method: Method,
) -> Result<EsdResult, SimulateError> {
    check_n(n)?;
    let ensemble = ensemble_for(expr, n)?;
    let matrix = ensemble.sample(&mut seeded(seed));
    let k = 5.min(n);
    let (dist, largest, smallest) = match method {
        Method::Dense => {
            let values = eigenvalues(&matrix)?;
            let dist = eigenvalue_distances(&values, law)?;
            let largest = values.iter().rev().take(k).copied().collect();
            let smallest = values.iter().take(k).copied().collect();
            (dist, largest, smallest)
        }
        Method::Slq => {
            let op = DenseSymmetric::new(matrix)?;
            let config = SlqConfig {
                seed,
                ..SlqConfig::default()
            };
            let quadrature = slq(&op, &config)?;
            let (points, weights) = quadrature.measure();
            let dist = distances(&WeightedSpectrum::new(&points, &weights)?, law)?;
            let k_both = k.min(n / 2).max(1);
            let config = LanczosConfig {
                k: k_both,
                which: Which::Both,
                ..LanczosConfig::default()
            };
            let result = lanczos(&op, &config, &mut task_rng(seed, stream::LANCZOS_START))?;
            let values = result.values();
            let largest = values.iter().rev().take(k_both).copied().collect();
            let smallest = values.iter().take(k_both).copied().collect();
            (dist, largest, smallest)
        }
    };
    Ok(EsdResult {
        law: law.to_string(),
        ensemble: ensemble.name().to_string(),
        n,
        seed,
        method,
        ks: dist.ks,
        w1: dist.w1,
        largest,
        smallest,
    })
}

/// Which spiked model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpikeModel {
    /// Spiked covariance: population covariance σ²I + (spike − σ²)uuᵀ, ratio p/n.
    Wishart,
    /// Spiked Wigner: spike·uuᵀ + GOE with semicircle variance σ².
    Wigner,
}

/// A measured top eigenvalue and squared overlap with the planted direction.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SpikeMeasurement {
    /// Top eigenvalue.
    pub outlier: f64,
    /// `|⟨v̂, u⟩|²`.
    pub overlap_sq: f64,
}

/// Samples a spiked model of side `n` and measures its top eigenpair against the planted direction.
pub fn spiked(
    model: SpikeModel,
    n: usize,
    ratio: f64,
    spike: f64,
    variance: f64,
    seed: u64,
) -> Result<SpikeMeasurement, SimulateError> {
    check_n(n)?;
    if !(spike.is_finite() && spike > 0.0) {
        return Err(SimulateError::invalid(
            "--spike",
            spike,
            "a finite number > 0",
        ));
    }
    let (matrix, direction) = match model {
        SpikeModel::Wishart => {
            if !(ratio.is_finite() && ratio > 0.0) {
                return Err(SimulateError::invalid(
                    "--ratio",
                    ratio,
                    "a finite number > 0",
                ));
            }
            let samples = (n as f64 / ratio).round();
            if !(2.0..=1e7).contains(&samples) {
                return Err(SimulateError::invalid(
                    "--ratio",
                    ratio,
                    format!("a ratio giving 2..1e7 samples for n = {n}"),
                ));
            }
            let ens = SpikedCovariance::new(n, samples as usize, spike, variance)?;
            (ens.sample(&mut seeded(seed)), ens.direction().to_vec())
        }
        SpikeModel::Wigner => {
            let ens = SpikedWigner::new(n, spike, variance)?;
            (ens.sample(&mut seeded(seed)), ens.direction().to_vec())
        }
    };
    let (values, vectors) = eigen(&matrix)?;
    let top = values.len() - 1;
    let v: Vec<f64> = (0..n).map(|i| vectors[(i, top)]).collect();
    let dot: f64 = v.iter().zip(&direction).map(|(a, b)| a * b).sum();
    Ok(SpikeMeasurement {
        outlier: values[top],
        overlap_sq: dot * dot,
    })
}

/// KS distance at one size: mean and standard deviation over seeds.
#[derive(Debug, Clone, Serialize)]
pub struct ScalingRow {
    /// Matrix side.
    pub n: usize,
    /// Mean KS distance over seeds.
    pub ks_mean: f64,
    /// Sample standard deviation of the KS distance over seeds.
    pub ks_sd: f64,
    /// Mean W1 distance over seeds.
    pub w1_mean: f64,
    /// Each seed's distances.
    pub per_seed: Vec<Distances>,
}

/// The result of a finite-size scaling run.
#[derive(Debug, Clone, Serialize)]
pub struct ScalingResult {
    /// The law.
    pub law: String,
    /// Base seed; size i and repeat j use `task_rng(seed, SWEEP_REPEATS·i + j)` ([`stream::SWEEP_REPEATS`]).
    pub seed: u64,
    /// One row per size.
    pub rows: Vec<ScalingRow>,
    /// Fitted decay exponent b in KS ≈ C n^{−b}.
    pub exponent: f64,
    /// Its standard error (weighted least squares, inflated by √(χ²/dof) when the fit is worse than the error bars).
    pub exponent_stderr: f64,
    /// log C.
    pub log_prefactor: f64,
}

/// KS and W1 distances of the ensemble for `expr` from `law` at each size in `sizes`, over `n_seeds` seeds, and the
/// fitted power-law decay of the KS distance.
pub fn scaling(
    expr: &LawExpr,
    law: &dyn SpectralLaw,
    sizes: &[usize],
    n_seeds: usize,
    seed: u64,
) -> Result<ScalingResult, SimulateError> {
    if sizes.len() < 2 {
        return Err(SimulateError::invalid(
            "--n",
            format!("{sizes:?}"),
            "at least two sizes, e.g. 250,500,1000",
        ));
    }
    if n_seeds < 2 {
        return Err(SimulateError::invalid(
            "--seeds",
            n_seeds,
            "at least 2 (a standard deviation needs two)",
        ));
    }
    let mut rows = Vec::with_capacity(sizes.len());
    for (i, &n) in sizes.iter().enumerate() {
        check_n(n)?;
        let ensemble = ensemble_for(expr, n)?;
        let per_seed = (0..n_seeds)
            .map(|j| {
                let matrix = ensemble.sample(&mut task_rng(
                    seed,
                    stream::SWEEP_REPEATS * i as u64 + j as u64,
                ));
                eigenvalue_distances(&eigenvalues(&matrix)?, law)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let ks: Vec<f64> = per_seed.iter().map(|d| d.ks).collect();
        let mean = ks.iter().sum::<f64>() / ks.len() as f64;
        let sd =
            (ks.iter().map(|k| (k - mean).powi(2)).sum::<f64>() / (ks.len() - 1) as f64).sqrt();
        let w1_mean = per_seed.iter().map(|d| d.w1).sum::<f64>() / per_seed.len() as f64;
        rows.push(ScalingRow {
            n,
            ks_mean: mean,
            ks_sd: sd,
            w1_mean,
            per_seed,
        });
    }
    let points: Vec<ScalingPoint> = rows
        .iter()
        .map(|r| ScalingPoint {
            n: r.n as f64,
            mean_error: r.ks_mean,
            sd: r.ks_sd.max(1e-300),
            n_seeds,
        })
        .collect();
    let fit = fit_power_law(&points)?;
    Ok(ScalingResult {
        law: law.to_string(),
        seed,
        rows,
        exponent: fit.exponent,
        exponent_stderr: fit.exponent_std_error,
        log_prefactor: fit.log_prefactor,
    })
}

/// Settings of [`network`].
#[derive(Debug, Clone, Serialize)]
pub struct NetworkConfig {
    /// `[d0, hidden…, outputs]`.
    pub widths: Vec<usize>,
    /// Activation name (linear, tanh, relu, erf, gelu).
    pub activation: String,
    /// Loss name (mse, cross_entropy).
    pub loss: String,
    /// Number of samples.
    pub samples: usize,
    /// Seed for weights and data.
    pub seed: u64,
    /// Operator.
    pub operator: CurvatureKind,
}

/// Largest parameter count for which [`network`] forms the dense operator and diagonalises it exactly.
pub const MAX_EXACT_PARAMS: usize = 4000;

/// Summary of a network's curvature spectrum at initialization.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkResult {
    /// The configuration, echoed.
    pub config: NetworkConfig,
    /// Number of parameters P.
    pub n_params: usize,
    /// Loss value at initialization.
    pub loss_value: f64,
    /// Whether `spectrum` holds all P exact eigenvalues (P ≤ MAX_EXACT_PARAMS) or Lanczos estimates.
    pub exact: bool,
    /// The 10 largest eigenvalues, descending (exact, or Lanczos Ritz values with residuals below).
    pub top_eigenvalues: Vec<f64>,
    /// Residual norms ‖Hv − θv‖ of the Lanczos top eigenpairs (0 for exact eigenvalues).
    pub residuals: Vec<f64>,
    /// Smallest eigenvalue (exact path only).
    pub min_eigenvalue: Option<f64>,
    /// Number of eigenvalues below −1e-10·λ_max (exact path only).
    pub n_negative: Option<usize>,
    /// Number of eigenvalues with |λ| ≤ 1e-10·λ_max, numerically zero (exact path only).
    pub n_zero: Option<usize>,
    /// Exact trace (sum of eigenvalues) when exact.
    pub trace_exact: Option<f64>,
    /// How the Lanczos top eigenpairs were obtained (Lanczos path only).
    pub lanczos: Option<LanczosSummary>,
    /// Hutch++ trace estimate with 60 products, and its standard error.
    pub trace: TraceSummary,
    /// SLQ spectral measure (10 Rademacher probes, 80 steps): nodes and weights, pooled over probes.
    pub density: DensitySummary,
}

/// The cost and convergence of one thick-restart Lanczos run.
#[derive(Debug, Clone, Serialize)]
pub struct LanczosSummary {
    /// Products with the operator, explicit residuals included.
    pub n_matvecs: usize,
    /// Thick restarts of the basis.
    pub restarts: usize,
    /// Whether each returned pair met the tolerance, in the order of the values.
    pub converged: Vec<bool>,
    /// Why the run stopped: `converged`, `max_matvecs` or `invariant`.
    pub stopped: String,
}

impl LanczosSummary {
    /// The summary of `result`, with `converged` reversed when the values are reported descending.
    pub fn of(result: &landscape_simulate::lanczos::LanczosResult, descending: bool) -> Self {
        let mut converged: Vec<bool> = result.pairs.iter().map(|p| p.converged).collect();
        if descending {
            converged.reverse();
        }
        Self {
            n_matvecs: result.n_matvecs,
            restarts: result.n_restarts,
            converged,
            stopped: result.stopped.to_string(),
        }
    }
}

/// A trace estimate.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TraceSummary {
    /// Estimate.
    pub estimate: f64,
    /// One standard error.
    pub stderr: f64,
    /// Operator products used.
    pub matvecs: usize,
}

/// A discrete spectral measure from SLQ.
#[derive(Debug, Clone, Serialize)]
pub struct DensitySummary {
    /// Quadrature nodes, ascending.
    pub nodes: Vec<f64>,
    /// Weights, summing to 1.
    pub weights: Vec<f64>,
    /// Probes and Lanczos steps.
    pub probes: usize,
    /// Lanczos steps per probe.
    pub steps: usize,
}

/// Builds an MLP at initialization (PyTorch default init) on seeded isotropic data and summarises the spectrum of
/// its Hessian or Gauss–Newton matrix.
///
/// Data: inputs with N(0, 1/d0) entries (‖x‖ ≈ 1); for cross-entropy, labels uniform over the output classes;
/// for MSE, N(0, 1) targets.
pub fn network(config: &NetworkConfig) -> Result<NetworkResult, SimulateError> {
    use landscape_simulate::SymmetricOperator;
    use landscape_simulate::network::{
        Activation, CurvaturePoint, GaussNewtonOperator, HessianOperator, InputScale, Loss,
        LossKind, Mlp, MlpConfig, Parameterization, Reduction, data,
    };
    use landscape_simulate::trace::hutch_plus_plus;

    if config.widths.len() < 2 || config.widths.contains(&0) {
        return Err(SimulateError::invalid(
            "--widths",
            format!("{:?}", config.widths),
            "at least two positive widths, input first and outputs last, e.g. 64,128,10",
        ));
    }
    if config.samples < 1 {
        return Err(SimulateError::invalid(
            "--samples",
            config.samples,
            "an integer ≥ 1",
        ));
    }
    let activation: Activation = config.activation.parse()?;
    let kind: LossKind = config.loss.parse()?;
    let mlp = Mlp::new(MlpConfig {
        widths: config.widths.clone(),
        activation,
        parameterization: Parameterization::TorchDefault,
        bias: true,
    })?;
    let mut rng = seeded(config.seed);
    let params = mlp.init(&mut rng);
    let (d0, k) = (config.widths[0], *config.widths.last().unwrap_or(&1));
    let dataset = match kind {
        LossKind::CrossEntropy => {
            if k < 2 {
                return Err(SimulateError::invalid(
                    "--widths",
                    k,
                    "at least 2 outputs (classes) for cross_entropy",
                ));
            }
            data::isotropic_classification(config.samples, d0, k, InputScale::UnitNorm, &mut rng)?
        }
        LossKind::Mse => {
            data::isotropic_regression(config.samples, d0, k, InputScale::UnitNorm, &mut rng)?
        }
    };
    let loss = Loss::new(kind, Reduction::Mean)?;
    let point = CurvaturePoint::new(&mlp, &params, &dataset, loss)?;
    let loss_value = point.loss_value();
    let p = mlp.n_params();
    let op: Box<dyn SymmetricOperator + '_> = match config.operator {
        CurvatureKind::Hessian => Box::new(HessianOperator::from_point(point.clone())),
        CurvatureKind::GaussNewton => Box::new(GaussNewtonOperator::from_point(point.clone())),
    };
    let trace = hutch_plus_plus(op.as_ref(), 60.min(3 * p).max(6), config.seed)?;
    let slq_config = SlqConfig {
        seed: config.seed,
        ..SlqConfig::default()
    };
    let quadrature = slq(op.as_ref(), &slq_config)?;
    let (nodes, weights) = quadrature.measure();
    let density = DensitySummary {
        nodes,
        weights,
        probes: slq_config.n_probes,
        steps: slq_config.steps.min(p),
    };
    let trace = TraceSummary {
        estimate: trace.value,
        stderr: trace.std_error,
        matvecs: trace.n_matvecs,
    };
    if p <= MAX_EXACT_PARAMS {
        let dense = match config.operator {
            CurvatureKind::Hessian => point.hessian_dense(),
            CurvatureKind::GaussNewton => point.gauss_newton_dense(),
        };
        let values = DenseSymmetric::from_row_major(p, &dense)?.eigenvalues()?;
        let scale = values
            .iter()
            .fold(0.0_f64, |m, v| m.max(v.abs()))
            .max(f64::MIN_POSITIVE);
        let zero_tol = 1e-10 * scale;
        Ok(NetworkResult {
            config: config.clone(),
            n_params: p,
            loss_value,
            exact: true,
            top_eigenvalues: values.iter().rev().take(10).copied().collect(),
            residuals: vec![0.0; values.len().min(10)],
            min_eigenvalue: values.first().copied(),
            n_negative: Some(values.iter().filter(|&&v| v < -zero_tol).count()),
            n_zero: Some(values.iter().filter(|&&v| v.abs() <= zero_tol).count()),
            trace_exact: Some(values.iter().sum()),
            lanczos: None,
            trace,
            density,
        })
    } else {
        let k = 10.min(p);
        let lanczos_config = LanczosConfig {
            k,
            which: Which::Top,
            ..LanczosConfig::default()
        };
        let result = lanczos(
            op.as_ref(),
            &lanczos_config,
            &mut task_rng(config.seed, stream::LANCZOS_START),
        )?;
        let summary = LanczosSummary::of(&result, true);
        let mut pairs = result.pairs;
        pairs.reverse();
        Ok(NetworkResult {
            config: config.clone(),
            n_params: p,
            loss_value,
            exact: false,
            top_eigenvalues: pairs.iter().map(|q| q.value).collect(),
            residuals: pairs.iter().map(|q| q.residual).collect(),
            min_eigenvalue: None,
            n_negative: None,
            n_zero: None,
            trace_exact: None,
            lanczos: Some(summary),
            trace,
            density,
        })
    }
}

crate::named_enum!(Method { Dense => "dense", Slq => "slq" });
crate::named_enum!(SpikeModel { Wishart => "wishart", Wigner => "wigner" });
/// The curvature kind is `landscape_empirical`'s, named as everywhere else (`hessian`, `ggn`).
impl crate::Named for CurvatureKind {
    const ALL: &'static [Self] = &CurvatureKind::ALL;
    fn name(self) -> &'static str {
        CurvatureKind::name(self)
    }
}
