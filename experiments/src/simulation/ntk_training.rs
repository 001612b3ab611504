//! How far training moves the curvature spectrum of a network away from its initialisation prediction, as a
//! function of width.
//!
//! For each hidden width `d` and seed, the Fan–Wang network of [`super::ntk_eigenvalues`] (`n` samples, either
//! `n = round(γ d)` or fixed, see [`SampleCount`]; `d0 = 2n`; N(0, 1) inputs and regression targets, NTK parameterisation, no biases) is trained by
//! full-batch gradient descent on the MSE loss `ℒ = (1/n) Σ_α (f_α − y_α)²` (PyTorch's `reduction='mean'`) for a
//! fixed number of steps. Its Gauss–Newton matrix is `G = (2/n) JᵀJ`, whose nonzero eigenvalues are `(2/n)` times
//! those of the NTK Gram matrix `K = JJᵀ` (`docs/theory.md` §A1.11), so the GN's nonzero part is measured as the spectrum of
//! `K` at the trained parameters. The Hessian `∇²ℒ = G + R` is measured by its top `n` Ritz values (thick-restart
//! Lanczos run to a relative residual of 1e-6: G has rank n, so a Krylov space of dimension `n + 1` holds its range
//! exactly, and the residual term R is a perturbation of size O(1/√d) in this parameterisation), scaled by `n/2`.
//! Both are compared with the initialisation prediction, the law of [`super::ntk_law_expr`].
//!
//! The learning rate is `lr = η·n/(2λ₊)` with `λ₊` the law's upper edge, so `lr·λ_max(G) ≈ η` at every width
//! (the function-space dynamics `ḟ = −lr (2/n) K (f − y)` are then width-independent in the limit).

use serde::Serialize;

use landscape_empirical::native::NativeMlp;
use landscape_empirical::train::{Optimizer, TrainConfig, train};
use landscape_simulate::lanczos::{LanczosConfig, Which, lanczos};
use landscape_simulate::network::{HessianOperator, Loss};
use landscape_simulate::rng::task_rng;
use landscape_simulate::scaling::{ScalingFit, ScalingPoint, fit_power_law};
use landscape_theory::SpectralLaw;

use super::ntk::{BoxError, fan_wang_network, ntk_law, ntk_spectrum};
use crate::compare::eigenvalue_distances;

/// Relative residual tolerance of the Hessian's top-`n` Ritz pairs: an eigenvalue error below 1e-6 of `λ_max`,
/// three orders of magnitude below the resolution of a KS distance over `n ≤ 10³` values (≥ 1/n).
const HESSIAN_RITZ_TOL: f64 = 1e-6;

/// Cap on Lanczos products per wanted Hessian pair: G has rank `n`, so a Krylov space of dimension `n + 1` holds
/// its range, and R perturbs it by O(1/√d); measured runs converge in ~2–4 products per pair, so 20 only stops
/// a run that would not converge.
const HESSIAN_MAX_MATVECS_PER_PAIR: usize = 20;

/// What [`ntk_after_training`] trains and measures.
#[derive(Debug, Clone, Serialize)]
pub struct NtkTrainingConfig {
    /// Number of hidden layers.
    pub depth: usize,
    /// How the number of samples follows the width.
    pub samples: SampleCount,
    /// Hidden widths `d`, increasing (at least 3).
    pub widths: Vec<usize>,
    /// Networks per width (at least 2).
    pub seeds: u64,
    /// Activation name (raw, as in [`super::ntk_eigenvalues`]).
    pub activation: String,
    /// `η = lr·λ₊·2/n`, the step relative to the predicted top GN eigenvalue (stable below 2).
    pub relative_learning_rate: f64,
    /// Gradient-descent steps.
    pub steps: usize,
    /// Whether to measure the Hessian too (Lanczos; the dominant cost at large widths).
    pub hessian: bool,
    /// Base seed; network `t` draws from `task_rng(seed, t)`.
    pub seed: u64,
}

/// The number of samples `n` at hidden width `d` (the input dimension is always `d0 = 2n`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleCount {
    /// `n = round(γ d)`: the linear-width regime of the theory, where the law is fixed as `d` grows.
    Proportional(f64),
    /// A fixed `n` for every width: the kernel regime (`d → ∞` at fixed data), where the law tends to that of a
    /// fixed kernel matrix and training moves the NTK by O(1/√d) (Jacot et al. 2018).
    Fixed(usize),
}

impl SampleCount {
    fn at(self, width: usize) -> usize {
        match self {
            SampleCount::Proportional(gamma) => ((gamma * width as f64).round() as usize).max(2),
            SampleCount::Fixed(n) => n,
        }
    }
}

/// Means and standard deviations over seeds at one width.
#[derive(Debug, Clone, Serialize)]
pub struct NtkTrainingPoint {
    /// Hidden width d.
    pub width: usize,
    /// Samples n.
    pub samples: usize,
    /// Parameters P.
    pub n_params: usize,
    /// Learning rate used.
    pub learning_rate: f64,
    /// Mean training loss at initialisation and after training.
    pub loss_initial: f64,
    /// Mean training loss after training.
    pub loss_final: f64,
    /// KS of the NTK spectrum from the law at initialisation, per seed.
    pub ks_initial: Vec<f64>,
    /// KS of the trained GN's nonzero spectrum (`K` at the trained parameters) from the law, per seed.
    pub ks_gauss_newton: Vec<f64>,
    /// W1 of the same, per seed.
    pub w1_gauss_newton: Vec<f64>,
    /// KS of the trained Hessian's top n eigenvalues (× n/2) from the law, per seed (empty without Hessian).
    pub ks_hessian: Vec<f64>,
    /// W1 between the trained and the initial NTK spectra of the same network (sorted eigenvalues), per seed: how
    /// far training moved the spectrum, with no theory involved.
    pub w1_drift: Vec<f64>,
}

/// A fitted power law `distance ≈ exp(a)·d^{−b}` for one measured distance.
#[derive(Debug, Clone, Serialize)]
pub struct DistanceFit {
    /// What was fitted.
    pub quantity: String,
    /// b: positive when the distance shrinks with width.
    pub exponent: f64,
    /// Standard error of b.
    pub exponent_stderr: f64,
    /// a.
    pub log_prefactor: f64,
}

/// The result of [`ntk_after_training`].
#[derive(Debug, Clone, Serialize)]
pub struct NtkTrainingResult {
    /// The settings.
    pub config: NtkTrainingConfig,
    /// The law at the largest width.
    pub law: String,
    /// One entry per width.
    pub points: Vec<NtkTrainingPoint>,
    /// Fits of `ks_initial`, `ks_gauss_newton`, `ks_hessian` (when measured) and `w1_drift` against width.
    pub fits: Vec<DistanceFit>,
}

impl NtkTrainingResult {
    /// The fit of `quantity`, if present.
    pub fn fit(&self, quantity: &str) -> Option<&DistanceFit> {
        self.fits.iter().find(|f| f.quantity == quantity)
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn fit(quantity: &str, widths: &[usize], per_seed: &[&[f64]]) -> Result<DistanceFit, BoxError> {
    let points: Vec<ScalingPoint> = widths
        .iter()
        .zip(per_seed)
        .map(|(&w, values)| {
            let m = mean(values);
            let sd = (values.iter().map(|v| (v - m).powi(2)).sum::<f64>()
                / (values.len() as f64 - 1.0))
                .sqrt();
            ScalingPoint {
                n: w as f64,
                mean_error: m,
                sd,
                n_seeds: values.len(),
            }
        })
        .collect();
    let ScalingFit {
        exponent,
        exponent_std_error,
        log_prefactor,
        ..
    } = fit_power_law(&points)?;
    Ok(DistanceFit {
        quantity: quantity.to_string(),
        exponent,
        exponent_stderr: exponent_std_error,
        log_prefactor,
    })
}

/// W1 distance between two empirical measures with the same number of atoms: the mean absolute difference of
/// the sorted values.
fn w1_sorted(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64
}

/// Trains Fan–Wang networks of several widths and measures how far their Gauss–Newton and Hessian spectra end up
/// from the initialisation prediction (module docs). Cost per network: `steps` gradients `O(n P)`, one NTK
/// `O(n² Σ d_ℓ + n³)`, and with `hessian` `n + 60` Hessian products and `O((n + 60)² P)` reorthogonalisation.
pub fn ntk_after_training(config: &NtkTrainingConfig) -> Result<NtkTrainingResult, BoxError> {
    if config.widths.len() < 3 || config.seeds < 2 || config.depth == 0 {
        return Err("ntk_after_training needs depth ≥ 1, at least 3 widths and 2 seeds".into());
    }
    match config.samples {
        SampleCount::Proportional(gamma) if !(gamma > 0.0 && gamma.is_finite()) => {
            return Err(format!("gamma = {gamma} must be finite and > 0").into());
        }
        SampleCount::Fixed(n) if n < 2 => {
            return Err(format!("samples = {n} must be at least 2").into());
        }
        _ => {}
    }
    if !(config.relative_learning_rate > 0.0 && config.relative_learning_rate < 2.0) {
        return Err(format!(
            "relative learning rate {} must be in (0, 2) (gradient descent is unstable above 2)",
            config.relative_learning_rate
        )
        .into());
    }
    let mut points = Vec::with_capacity(config.widths.len());
    let mut law_text = String::new();
    let mut task = 0u64;
    for &width in &config.widths {
        let samples = config.samples.at(width);
        let mut widths = vec![2 * samples];
        widths.extend(std::iter::repeat_n(width, config.depth));
        widths.push(1);
        let law = ntk_law(&widths, &config.activation, samples)?;
        law_text = law.to_string();
        let upper = law
            .support()
            .upper_edge()
            .ok_or("the NTK law has no upper edge")?;
        let loss = Loss::mse();
        // G = 2c JᵀJ with c = 1/(n k) for the mean-reduced MSE.
        let gn_scale = 2.0 * loss.scale(samples, 1);
        let learning_rate = config.relative_learning_rate / (gn_scale * upper);
        let mut point = NtkTrainingPoint {
            width,
            samples,
            n_params: 0,
            learning_rate,
            loss_initial: 0.0,
            loss_final: 0.0,
            ks_initial: Vec::new(),
            ks_gauss_newton: Vec::new(),
            w1_gauss_newton: Vec::new(),
            ks_hessian: Vec::new(),
            w1_drift: Vec::new(),
        };
        for _ in 0..config.seeds {
            let mut rng = task_rng(config.seed, task);
            task += 1;
            let (mlp, params, dataset) =
                fan_wang_network(&widths, &config.activation, samples, &mut rng)?;
            point.n_params = mlp.n_params();
            let initial = ntk_spectrum(&mlp, &params, &dataset)?;
            point
                .ks_initial
                .push(eigenvalue_distances(&initial, &law)?.ks);
            let mut model = NativeMlp::new(mlp.clone(), params, loss)?;
            let outcome = train(
                &mut model,
                &dataset,
                &TrainConfig {
                    optimizer: Optimizer::GradientDescent,
                    learning_rate,
                    steps: config.steps,
                    batch_size: None,
                    seed: config.seed,
                },
                None,
                &mut |_, _| Ok(()),
            )?;
            if let Some(step) = outcome.diverged_at {
                return Err(format!("training diverged at step {step} (width {width})").into());
            }
            point.loss_initial += outcome.losses.first().copied().unwrap_or(f64::NAN);
            let trained_params = landscape_empirical::model::CurvatureModel::params(&model);
            let (loss_final, _) = landscape_simulate::network::loss_and_gradient(
                &mlp,
                trained_params,
                &dataset,
                loss,
            )?;
            point.loss_final += loss_final;
            let trained = ntk_spectrum(&mlp, trained_params, &dataset)?;
            let d = eigenvalue_distances(&trained, &law)?;
            point.ks_gauss_newton.push(d.ks);
            point.w1_gauss_newton.push(d.w1);
            point.w1_drift.push(w1_sorted(&initial, &trained));
            if config.hessian {
                let op = HessianOperator::new(&mlp, trained_params, &dataset, loss)?;
                let result = lanczos(
                    &op,
                    &LanczosConfig {
                        k: samples,
                        which: Which::Top,
                        tol: HESSIAN_RITZ_TOL,
                        max_matvecs: HESSIAN_MAX_MATVECS_PER_PAIR * samples,
                        max_basis: None,
                    },
                    &mut rng,
                )?;
                let top: Vec<f64> = result.pairs.iter().map(|p| p.value / gn_scale).collect();
                point.ks_hessian.push(eigenvalue_distances(&top, &law)?.ks);
            }
        }
        point.loss_initial /= config.seeds as f64;
        point.loss_final /= config.seeds as f64;
        points.push(point);
    }
    let widths: Vec<usize> = points.iter().map(|p| p.width).collect();
    let column = |f: fn(&NtkTrainingPoint) -> &Vec<f64>| -> Vec<&[f64]> {
        points.iter().map(|p| f(p).as_slice()).collect()
    };
    let mut fits = vec![
        fit("ks_initial", &widths, &column(|p| &p.ks_initial))?,
        fit("ks_gauss_newton", &widths, &column(|p| &p.ks_gauss_newton))?,
        fit("w1_drift", &widths, &column(|p| &p.w1_drift))?,
    ];
    if config.hessian {
        fits.push(fit("ks_hessian", &widths, &column(|p| &p.ks_hessian))?);
    }
    Ok(NtkTrainingResult {
        config: config.clone(),
        law: law_text,
        points,
        fits,
    })
}
