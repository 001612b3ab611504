//! The stability map: does the curvature at initialization predict the largest stable step and the best step, and
//! how do both move with width and depth?
//!
//! **Prediction.** On the quadratic model of the loss at `θ₀`, gradient descent is stable iff `η λ_max(H₀) < 2`,
//! heavy ball iff `η λ_max(H₀) < 2 + 2β`, and Adam iff `η λ_max(P⁻¹H₀) < (2 + 2β₁)/(1 − β₁)` with its
//! preconditioner `P = diag(√v̂) + ε` (Cohen et al. 2022); the one formula is
//! [`Optimizer::stability_threshold`], so `predicted_max_lr = threshold(η = 1)/sharpness`. At `θ₀` Adam's `v̂`
//! after its first step is `g₀²`, so `P₀ = |g₀| + ε`: the preconditioner the first update uses (it changes
//! afterwards, so Adam's prediction is the weakest of the three and is reported, not checked). The predicted best
//! step is half the predicted largest one (`1/λ_max` for gradient descent, the step that minimizes the quadratic
//! along the top eigenvector in one step).
//!
//! **Observation.** A step `η` is *stable* when `steps` full-batch steps from `θ₀` keep the loss finite and end
//! below the initial loss. The largest stable step is bracketed by doubling or halving from the prediction (at most
//! [`BRACKET_DOUBLINGS`] times each way) and refined by `bisections` geometric bisections: the result is an
//! interval `[lo, hi]` (lo stable, hi not) of ratio `2^(2^−bisections)`, reported with its geometric midpoint.
//! A seed with no stable step down to the prediction / `2^BRACKET_DOUBLINGS` is censored below (`lo = 0`).
//! Stability is assumed monotone in `η` between the bracket's ends (a non-monotone map is seen as the first
//! transition found). A step still stable at `2^BRACKET_DOUBLINGS` times the prediction is reported as censored
//! (`hi = ∞`). The best step is the grid value `predicted_best × factor` with the lowest validation loss after the
//! same budget.
//!
//! **Seeds.** Every seed draws its own initialization, so the prediction, the observation and their ratio are
//! paired per seed; summaries are geometric means with the range over seeds. The transfer exponents are ordinary
//! least-squares slopes of `ln lr` against `ln width` (or `ln depth`) over every (seed, architecture) point of a
//! line, with standard errors and 95 % Student-t intervals (`statrs`).

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use landscape_empirical::data::{self as edata, Dataset as EDataset, Targets as ETargets};
use landscape_empirical::experiments::eigenpairs::{End, extreme_eigenpairs};
use landscape_empirical::geometry::{adam_preconditioner, preconditioned_sharpness};
use landscape_empirical::model::{CurvatureKind, CurvatureModel};
use landscape_empirical::native::NativeMlp;
use landscape_empirical::train::{Optimizer, TrainConfig, train};
use landscape_simulate::network::{Activation, Loss, Mlp, MlpConfig, Parameterization};
use landscape_simulate::rng::{derive_seed, task_rng};

use super::config::{OptimizeError, TaskSpec};
use super::eval::shuffled_order;

/// The stream of the stability map's initialization seeds (seed `i` is `derive_seed(seed, STREAM + i)`).
const STREAM: u64 = landscape_simulate::rng::stream::OPTIMIZE_STABILITY;
/// Doublings (or halvings) from the prediction before the largest stable step is called censored.
pub const BRACKET_DOUBLINGS: usize = 12;
/// Lanczos products for `λ_max(H₀)`: the residual is recorded; on these networks the top pair converges in
/// 20–60 products.
const LANCZOS_PRODUCTS: usize = 100;

fn fail(e: impl std::fmt::Display) -> OptimizeError {
    OptimizeError::Failure(e.to_string())
}

/// The loss of the stability map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MapLoss {
    /// Mean squared error on one-hot targets (the setting of the edge-of-stability literature).
    Mse,
    /// Cross-entropy on class labels.
    CrossEntropy,
}

/// How an MLP of the map is initialized and scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MapParameterization {
    /// PyTorch's `nn.Linear` default (`W ~ U(±1/√d_in)`): what people train.
    Standard,
    /// NTK: `W ~ N(0, 1)`, the forward pass divides by `√d_in` (bias multiplier 1).
    Ntk,
}

impl MapParameterization {
    fn native(self) -> Parameterization {
        match self {
            Self::Standard => Parameterization::TorchDefault,
            Self::Ntk => Parameterization::Ntk { bias_scale: 1.0 },
        }
    }

    /// `standard` or `ntk`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Ntk => "ntk",
        }
    }
}

/// The `[stability]` table of the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct StabilityConfig {
    /// The data (digits or an `.npz`; image-shaped data serve the CNN and ResNet too).
    pub task: TaskSpec,
    /// Training samples (full batch); as many validation samples score the best step.
    pub samples: usize,
    /// The budget: full-batch steps per run.
    pub steps: usize,
    /// Initialization seeds per architecture.
    pub seeds: usize,
    /// Geometric bisections after bracketing.
    pub bisections: usize,
    /// The loss.
    pub loss: MapLoss,
    /// The optimizers (gradient descent, heavy ball, Adam).
    pub optimizers: Vec<Optimizer>,
    /// The MLPs' activation.
    pub activation: Activation,
    /// The width line: these widths at depth `depth`.
    pub widths: Vec<usize>,
    /// The depth of the width line.
    pub depth: usize,
    /// The depth line: these depths at width `width`.
    pub depths: Vec<usize>,
    /// The width of the depth line.
    pub width: usize,
    /// The MLPs' parameterizations.
    pub parameterizations: Vec<MapParameterization>,
    /// Torch models (`cnn`, `resnet:depth=2,width=8`, `PATH.pt`): measured in builds with the `torch` feature,
    /// listed as skipped otherwise.
    pub torch_models: Vec<String>,
    /// Multiples of the predicted best step tried when tuning the best step.
    pub best_factors: Vec<f64>,
}

/// One MLP of the map.
#[derive(Debug, Clone, PartialEq)]
struct MlpArch {
    hidden: Vec<usize>,
    parameterization: MapParameterization,
}

/// `[lo, hi]`: `lo` stable, `hi` not (`hi = None` when censored above, `lo = 0` when censored below).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bracket {
    /// The largest step found stable.
    pub lo: f64,
    /// The smallest step found unstable (`None`: censored, stable up to the bracket's end).
    pub hi: Option<f64>,
}

impl Bracket {
    /// The geometric midpoint, or `lo` when censored above (0 when censored below).
    pub fn value(&self) -> f64 {
        self.hi.map_or(self.lo, |hi| (self.lo * hi).sqrt())
    }

    /// Whether the search ran off either end: stable at `2^BRACKET_DOUBLINGS` × the prediction (`hi = None`), or
    /// unstable down to the prediction / `2^BRACKET_DOUBLINGS` (`lo = 0`: the loss never decreased).
    pub fn is_censored(&self) -> bool {
        self.hi.is_none() || self.lo <= 0.0
    }
}

/// One initialization seed of one architecture and optimizer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedStability {
    /// The initialization seed.
    pub seed: u64,
    /// The initial loss.
    pub initial_loss: f64,
    /// The sharpness the prediction uses: `λ_max(H₀)`, or `λ_max(P₀⁻¹H₀)` for Adam.
    pub sharpness: f64,
    /// Its Lanczos residual `‖Av − λv‖`.
    pub sharpness_residual: f64,
    /// The predicted largest stable step.
    pub predicted_max_lr: f64,
    /// The observed largest stable step, bracketed.
    pub observed_max_lr: Bracket,
    /// `observed / predicted` (midpoint).
    pub ratio: f64,
    /// The predicted best step (half the predicted largest).
    pub predicted_best_lr: f64,
    /// The grid step with the lowest validation loss (`None`: every grid step failed).
    pub best_lr: Option<f64>,
    /// Whether `best_lr` is the grid's smallest or largest (widen `best_factors`).
    pub best_at_grid_edge: bool,
    /// Training runs spent on this seed.
    pub runs: usize,
}

/// The geometric mean and range of positive values over seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    /// `exp(mean ln x)`.
    pub geomean: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Spread {
    /// `None` for an empty list or a value that is not finite and positive.
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() || values.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return None;
        }
        let mean_ln = values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64;
        Some(Self {
            geomean: mean_ln.exp(),
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(0.0, f64::max),
        })
    }
}

/// One architecture and optimizer of the map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StabilityPoint {
    /// `mlp[64, 64] standard`, `cnn`, …
    pub architecture: String,
    /// `mlp` or the torch model's spec.
    pub family: String,
    /// For MLPs.
    pub parameterization: Option<MapParameterization>,
    /// Hidden width of an MLP.
    pub width: Option<usize>,
    /// Hidden layers of an MLP.
    pub depth: Option<usize>,
    /// `P`.
    pub n_params: usize,
    /// `gd`, `momentum` or `adam`.
    pub optimizer: &'static str,
    /// Over seeds.
    pub predicted_max_lr: Option<Spread>,
    /// Geometric mean of the bracket midpoints over seeds.
    pub observed_max_lr: Option<f64>,
    /// The smallest `lo` and the largest `hi` over seeds (`None` if a seed was censored).
    pub observed_interval: (f64, Option<f64>),
    /// `observed / predicted` over seeds.
    pub ratio: Option<Spread>,
    /// The tuned best step over seeds.
    pub best_lr: Option<Spread>,
    /// The predicted best step over seeds.
    pub predicted_best_lr: Option<Spread>,
    /// Per seed.
    pub seeds: Vec<SeedStability>,
}

/// A least-squares slope with its standard error and 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Slope {
    /// The slope.
    pub value: f64,
    /// Its standard error (`None` with fewer than three points).
    pub stderr: Option<f64>,
    /// `t_{0.975, n−2} · stderr`.
    pub ci95: Option<f64>,
    /// Points fitted.
    pub n: usize,
}

/// How the predicted and observed largest steps scale along one line of the grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transfer {
    /// `width` (at fixed depth) or `depth` (at fixed width).
    pub axis: &'static str,
    /// The other coordinate, held fixed.
    pub fixed: usize,
    /// The parameterization.
    pub parameterization: MapParameterization,
    /// The optimizer.
    pub optimizer: &'static str,
    /// `d ln predicted_max_lr / d ln axis`.
    pub predicted_exponent: Slope,
    /// `d ln observed_max_lr / d ln axis`.
    pub observed_exponent: Slope,
}

/// The ratio observed/predicted over the whole grid, per optimizer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatioSummary {
    /// The optimizer.
    pub optimizer: &'static str,
    /// Over every (architecture, seed) that was not censored.
    pub ratio: Option<Spread>,
    /// `exp(sd ln ratio)`.
    pub geometric_sd: Option<f64>,
    /// The factor `F = max(max ratio, 1/min ratio)`: every observed step lies within `[pred/F, pred·F]`.
    pub factor: Option<f64>,
    /// Points in all and censored ones.
    pub points: usize,
    /// Censored points (stable at the bracket's top, or unstable down to its bottom).
    pub censored: usize,
}

/// The whole map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StabilityMap {
    /// What stable means and how the search ran.
    pub protocol: String,
    /// Task, sizes and settings.
    pub task: String,
    /// The loss.
    pub loss: MapLoss,
    /// Full-batch steps per run.
    pub steps: usize,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// Per architecture and optimizer.
    pub points: Vec<StabilityPoint>,
    /// Width and depth exponents.
    pub transfer: Vec<Transfer>,
    /// The ratio over the grid.
    pub summary: Vec<RatioSummary>,
    /// Torch models not measured, and why.
    pub skipped: Vec<String>,
}

/// The map's data: training and validation samples.
struct MapData {
    train: EDataset,
    validation: EDataset,
}

fn load_data(config: &StabilityConfig, seed: u64) -> Result<MapData, OptimizeError> {
    let mut full = match &config.task {
        TaskSpec::Digits => edata::digits::digits().map_err(fail)?,
        TaskSpec::Npz(path) => {
            edata::npz::read_npz(path).map_err(|e| OptimizeError::Usage(e.to_string()))?
        }
        TaskSpec::Mixture { .. } => {
            return Err(OptimizeError::Usage(
                "[stability] task: digits or PATH.npz (the mixture has no image shape for the CNN and ResNet)"
                    .into(),
            ));
        }
    };
    full.standardize();
    let full = spec_targets(full, config.loss)?;
    let n = full.n_samples();
    if n < 2 * config.samples {
        return Err(OptimizeError::Usage(format!(
            "[stability] samples = {}: the task has {n} samples, need 2 × samples (training and validation)",
            config.samples
        )));
    }
    let order = shuffled_order(n, seed);
    Ok(MapData {
        train: full.subset(&order[..config.samples]).map_err(fail)?,
        validation: full
            .subset(&order[config.samples..2 * config.samples])
            .map_err(fail)?,
    })
}

/// One-hot targets for MSE; class labels for cross-entropy.
fn spec_targets(data: EDataset, loss: MapLoss) -> Result<EDataset, OptimizeError> {
    if !matches!(data.targets(), ETargets::Classes { .. }) {
        return Err(OptimizeError::Usage(
            "[stability] task: needs class labels".into(),
        ));
    }
    match loss {
        MapLoss::Mse => landscape_empirical::spec::one_hot(data).map_err(fail),
        MapLoss::CrossEntropy => Ok(data),
    }
}

/// Whether `steps` full-batch steps at `lr` from `theta0` keep the loss finite and end below `initial`.
fn stable<M: CurvatureModel>(
    model: &mut M,
    data: &M::Data,
    theta0: &[f64],
    optimizer: Optimizer,
    lr: f64,
    steps: usize,
    initial: f64,
) -> Result<bool, OptimizeError> {
    if !train_from(model, data, theta0, optimizer, lr, steps)? {
        return Ok(false);
    }
    let last = model.loss(data).unwrap_or(f64::INFINITY);
    Ok(last.is_finite() && last < initial)
}

/// `steps` full-batch steps at `lr` from `theta0`; `false` when the run diverged.
fn train_from<M: CurvatureModel>(
    model: &mut M,
    data: &M::Data,
    theta0: &[f64],
    optimizer: Optimizer,
    lr: f64,
    steps: usize,
) -> Result<bool, OptimizeError> {
    model.set_params(theta0).map_err(fail)?;
    let config = TrainConfig {
        optimizer,
        learning_rate: lr,
        steps,
        batch_size: None,
        seed: 0,
    };
    let outcome = train(model, data, &config, None, &mut |_, _| Ok(())).map_err(fail)?;
    Ok(outcome.diverged_at.is_none())
}

/// The predicted largest stable step of `optimizer` at the current parameters: `(sharpness, residual, lr)`.
fn predict<M: CurvatureModel>(
    model: &M,
    data: &M::Data,
    optimizer: Optimizer,
    seed: u64,
) -> Result<(f64, f64, f64), OptimizeError> {
    let op = model
        .curvature_operator(data, CurvatureKind::Hessian)
        .map_err(fail)?;
    let (sharpness, residual) = match optimizer {
        Optimizer::Adam { beta2, epsilon, .. } => {
            let (_, g) = model.loss_and_gradient(data).map_err(fail)?;
            // v after one step is (1 − β₂) g², which the bias correction turns into g².
            let v: Vec<f64> = g.iter().map(|x| (1.0 - beta2) * x * x).collect();
            let p = adam_preconditioner(&v, 1, beta2, epsilon);
            let (e, _) = preconditioned_sharpness(op.as_ref(), &p, LANCZOS_PRODUCTS, None, seed)
                .map_err(fail)?;
            (e.value, e.residual)
        }
        _ => {
            let top = extreme_eigenpairs(op.as_ref(), 1, End::Top, LANCZOS_PRODUCTS, None, seed)
                .map_err(fail)?;
            (top.values[0], top.residuals[0])
        }
    };
    if !(sharpness.is_finite() && sharpness > 0.0) {
        return Err(fail(format!(
            "the initial sharpness is {sharpness}: no stability prediction"
        )));
    }
    Ok((
        sharpness,
        residual,
        optimizer.stability_threshold(1.0).value / sharpness,
    ))
}

/// Brackets and bisects the largest stable step from `start`; returns the bracket and the runs spent.
fn search<M: CurvatureModel>(
    model: &mut M,
    data: &M::Data,
    theta0: &[f64],
    optimizer: Optimizer,
    start: f64,
    config: &StabilityConfig,
    initial: f64,
) -> Result<(Bracket, usize), OptimizeError> {
    let mut runs = 0;
    let mut test = |lr: f64, runs: &mut usize| {
        *runs += 1;
        stable(model, data, theta0, optimizer, lr, config.steps, initial)
    };
    let (mut lo, mut hi);
    if test(start, &mut runs)? {
        lo = start;
        hi = None;
        for _ in 0..BRACKET_DOUBLINGS {
            let up = lo * 2.0;
            if test(up, &mut runs)? {
                lo = up;
            } else {
                hi = Some(up);
                break;
            }
        }
    } else {
        hi = Some(start);
        lo = 0.0;
        let mut down = start;
        for _ in 0..BRACKET_DOUBLINGS {
            down /= 2.0;
            if test(down, &mut runs)? {
                lo = down;
                break;
            }
            hi = Some(down);
        }
        if lo == 0.0 {
            // Censored below: no step down to prediction / 2^BRACKET_DOUBLINGS lowers the loss in the budget.
            return Ok((Bracket { lo, hi }, runs));
        }
    }
    if let Some(mut h) = hi {
        for _ in 0..config.bisections {
            let mid = (lo * h).sqrt();
            if test(mid, &mut runs)? {
                lo = mid;
            } else {
                h = mid;
            }
        }
        hi = Some(h);
    }
    Ok((Bracket { lo, hi }, runs))
}

/// The grid step with the lowest validation loss after the budget.
fn best_step<M: CurvatureModel>(
    model: &mut M,
    data: &MapPair<'_, M::Data>,
    theta0: &[f64],
    optimizer: Optimizer,
    predicted_best: f64,
    config: &StabilityConfig,
) -> Result<(Option<f64>, bool), OptimizeError> {
    let mut best: Option<(f64, f64)> = None;
    for &f in &config.best_factors {
        let lr = predicted_best * f;
        if !train_from(model, data.train, theta0, optimizer, lr, config.steps)? {
            continue;
        }
        let loss = model.loss(data.validation).unwrap_or(f64::INFINITY);
        if loss.is_finite() && best.is_none_or(|b| loss < b.1) {
            best = Some((lr, loss));
        }
    }
    let (lo, hi) = config
        .best_factors
        .iter()
        .fold((f64::INFINITY, 0.0_f64), |(a, b), &f| (a.min(f), b.max(f)));
    let edge = best.is_some_and(|(lr, _)| {
        let f = lr / predicted_best;
        config.best_factors.len() > 1 && (f <= lo * (1.0 + 1e-12) || f >= hi * (1.0 - 1e-12))
    });
    Ok((best.map(|b| b.0), edge))
}

struct MapPair<'d, D> {
    train: &'d D,
    validation: &'d D,
}

/// Measures one seed of one architecture for every optimizer; `model` is at its initialization.
fn measure_seed<M: CurvatureModel>(
    model: &mut M,
    data: &MapPair<'_, M::Data>,
    config: &StabilityConfig,
    seed: u64,
) -> Result<Vec<SeedStability>, OptimizeError> {
    let theta0 = model.params().to_vec();
    let initial = model.loss(data.train).map_err(fail)?;
    let mut out = Vec::new();
    for &optimizer in &config.optimizers {
        model.set_params(&theta0).map_err(fail)?;
        let (sharpness, residual, predicted) = predict(model, data.train, optimizer, seed)?;
        let (bracket, runs) = search(
            model, data.train, &theta0, optimizer, predicted, config, initial,
        )?;
        let predicted_best = predicted / 2.0;
        let (best_lr, edge) = best_step(model, data, &theta0, optimizer, predicted_best, config)?;
        out.push(SeedStability {
            seed,
            initial_loss: initial,
            sharpness,
            sharpness_residual: residual,
            predicted_max_lr: predicted,
            observed_max_lr: bracket,
            ratio: bracket.value() / predicted,
            predicted_best_lr: predicted_best,
            best_lr,
            best_at_grid_edge: edge,
            runs: runs + config.best_factors.len(),
        });
    }
    model.set_params(&theta0).map_err(fail)?;
    Ok(out)
}

fn point(
    architecture: String,
    family: String,
    mlp: Option<&MlpArch>,
    n_params: usize,
    optimizer: Optimizer,
    seeds: Vec<SeedStability>,
) -> StabilityPoint {
    let of = |f: &dyn Fn(&SeedStability) -> Option<f64>| {
        Spread::of(&seeds.iter().filter_map(f).collect::<Vec<_>>())
    };
    let censored = seeds.iter().any(|s| s.observed_max_lr.hi.is_none());
    StabilityPoint {
        architecture,
        family,
        parameterization: mlp.map(|m| m.parameterization),
        width: mlp.and_then(|m| m.hidden.first().copied()),
        depth: mlp.map(|m| m.hidden.len()),
        n_params,
        optimizer: optimizer.name(),
        predicted_max_lr: of(&|s| Some(s.predicted_max_lr)),
        observed_max_lr: of(&|s| Some(s.observed_max_lr.value())).map(|s| s.geomean),
        observed_interval: (
            seeds
                .iter()
                .map(|s| s.observed_max_lr.lo)
                .fold(f64::INFINITY, f64::min),
            if censored {
                None
            } else {
                seeds
                    .iter()
                    .filter_map(|s| s.observed_max_lr.hi)
                    .reduce(f64::max)
            },
        ),
        ratio: of(&|s| Some(s.ratio)),
        best_lr: of(&|s| s.best_lr),
        predicted_best_lr: of(&|s| Some(s.predicted_best_lr)),
        seeds,
    }
}

/// The least-squares slope of `y` on `x` with its standard error and 95 % Student-t half-width.
pub fn fit_slope(x: &[f64], y: &[f64]) -> Option<Slope> {
    let n = x.len();
    if n < 2 || n != y.len() {
        return None;
    }
    let nf = n as f64;
    let (mx, my) = (x.iter().sum::<f64>() / nf, y.iter().sum::<f64>() / nf);
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let slope = sxy / sxx;
    let (stderr, ci95) = if n >= 3 {
        let rss: f64 = x
            .iter()
            .zip(y)
            .map(|(a, b)| (b - my - slope * (a - mx)).powi(2))
            .sum();
        let se = (rss / (nf - 2.0) / sxx).sqrt();
        let t = StudentsT::new(0.0, 1.0, nf - 2.0)
            .map(|d| d.inverse_cdf(0.975))
            .unwrap_or(f64::NAN);
        (Some(se), Some(t * se))
    } else {
        (None, None)
    };
    Some(Slope {
        value: slope,
        stderr,
        ci95,
        n,
    })
}

fn transfer(points: &[StabilityPoint], config: &StabilityConfig) -> Vec<Transfer> {
    let mut out = Vec::new();
    for &parameterization in &config.parameterizations {
        for optimizer in &config.optimizers {
            for (axis, fixed) in [("width", config.depth), ("depth", config.width)] {
                let line: Vec<&StabilityPoint> = points
                    .iter()
                    .filter(|p| {
                        p.parameterization == Some(parameterization)
                            && p.optimizer == optimizer.name()
                            && if axis == "width" {
                                p.depth == Some(fixed)
                            } else {
                                p.width == Some(fixed)
                            }
                    })
                    .collect();
                let (mut x, mut pred, mut obs) = (Vec::new(), Vec::new(), Vec::new());
                for p in &line {
                    let coordinate = if axis == "width" { p.width } else { p.depth };
                    let Some(c) = coordinate else { continue };
                    for s in p.seeds.iter().filter(|s| !s.observed_max_lr.is_censored()) {
                        x.push((c as f64).ln());
                        pred.push(s.predicted_max_lr.ln());
                        obs.push(s.observed_max_lr.value().ln());
                    }
                }
                if let (Some(p), Some(o)) = (fit_slope(&x, &pred), fit_slope(&x, &obs)) {
                    out.push(Transfer {
                        axis,
                        fixed,
                        parameterization,
                        optimizer: optimizer.name(),
                        predicted_exponent: p,
                        observed_exponent: o,
                    });
                }
            }
        }
    }
    out
}

fn summary(points: &[StabilityPoint], optimizers: &[Optimizer]) -> Vec<RatioSummary> {
    optimizers
        .iter()
        .map(|o| {
            let seeds: Vec<&SeedStability> = points
                .iter()
                .filter(|p| p.optimizer == o.name())
                .flat_map(|p| &p.seeds)
                .collect();
            let ratios: Vec<f64> = seeds
                .iter()
                .filter(|s| !s.observed_max_lr.is_censored())
                .map(|s| s.ratio)
                .collect();
            let ratio = Spread::of(&ratios);
            let geometric_sd = (ratios.len() >= 2).then(|| {
                let m = ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64;
                let var = ratios.iter().map(|r| (r.ln() - m).powi(2)).sum::<f64>()
                    / (ratios.len() - 1) as f64;
                var.sqrt().exp()
            });
            RatioSummary {
                optimizer: o.name(),
                factor: ratio.map(|r| r.max.max(1.0 / r.min)),
                ratio,
                geometric_sd,
                points: seeds.len(),
                censored: seeds.len() - ratios.len(),
            }
        })
        .collect()
}

/// The MLPs of the map: the width line and the depth line, each parameterization, without repeats.
fn mlp_grid(config: &StabilityConfig) -> Vec<MlpArch> {
    let mut out: Vec<MlpArch> = Vec::new();
    for &parameterization in &config.parameterizations {
        let line = config
            .widths
            .iter()
            .map(|&w| vec![w; config.depth])
            .chain(config.depths.iter().map(|&d| vec![config.width; d]));
        for hidden in line {
            let arch = MlpArch {
                hidden,
                parameterization,
            };
            if !out.contains(&arch) {
                out.push(arch);
            }
        }
    }
    out
}

fn native_loss(loss: MapLoss) -> Loss {
    match loss {
        MapLoss::Mse => Loss::mse(),
        MapLoss::CrossEntropy => Loss::cross_entropy(),
    }
}

/// Runs the map.
///
/// # Errors
/// Data errors, an unusable `[stability]` setting, or a model or estimator failure.
pub fn stability_map(
    config: &StabilityConfig,
    base_seed: u64,
) -> Result<StabilityMap, OptimizeError> {
    let data = load_data(config, base_seed)?;
    let native = MapPair {
        train: &data.train,
        validation: &data.validation,
    };
    let seeds: Vec<u64> = (0..config.seeds as u64)
        .map(|i| derive_seed(base_seed, STREAM + i))
        .collect();
    let n_outputs = landscape_empirical::spec::n_outputs(&data.train);
    let mut points = Vec::new();
    for arch in mlp_grid(config) {
        let mut widths = vec![data.train.sample_len()];
        widths.extend_from_slice(&arch.hidden);
        widths.push(n_outputs);
        let mlp = Mlp::new(MlpConfig {
            widths,
            activation: config.activation,
            parameterization: arch.parameterization.native(),
            bias: true,
        })
        .map_err(|e| OptimizeError::Usage(format!("[stability]: {e}")))?;
        let mut per_optimizer: Vec<Vec<SeedStability>> = vec![Vec::new(); config.optimizers.len()];
        let mut n_params = 0;
        for &seed in &seeds {
            let params = mlp.init(&mut task_rng(seed, 0));
            let mut model =
                NativeMlp::new(mlp.clone(), params, native_loss(config.loss)).map_err(fail)?;
            n_params = model.n_params();
            for (slot, s) in per_optimizer
                .iter_mut()
                .zip(measure_seed(&mut model, &native, config, seed)?)
            {
                slot.push(s);
            }
        }
        let name = format!(
            "mlp{:?} {} {}",
            arch.hidden,
            config.activation.name(),
            arch.parameterization.name()
        );
        for (optimizer, seeds) in config.optimizers.iter().zip(per_optimizer) {
            points.push(point(
                name.clone(),
                "mlp".into(),
                Some(&arch),
                n_params,
                *optimizer,
                seeds,
            ));
        }
    }
    let skipped = torch_points(config, &data, &seeds, &mut points)?;
    Ok(StabilityMap {
        protocol: format!(
            "a step is stable when {} full-batch steps from θ₀ keep the loss finite and end below the initial \
             loss; the largest stable step is bracketed by doubling/halving from the prediction (at most {} times) \
             and refined by {} geometric bisections; prediction threshold(η = 1)/sharpness at θ₀ (λ_max(H₀) by \
             Lanczos, Adam: λ_max(P₀⁻¹H₀), P₀ = |g₀| + ε); best step: lowest validation loss over {:?} × \
             predicted_max/2",
            config.steps, BRACKET_DOUBLINGS, config.bisections, config.best_factors
        ),
        task: format!(
            "{} ({} training and {} validation samples)",
            config.task.name(),
            config.samples,
            config.samples
        ),
        loss: config.loss,
        steps: config.steps,
        seeds,
        transfer: transfer(&points, config),
        summary: summary(&points, &config.optimizers),
        points,
        skipped,
    })
}

#[cfg(not(feature = "torch"))]
fn torch_points(
    config: &StabilityConfig,
    _data: &MapData,
    _seeds: &[u64],
    _points: &mut [StabilityPoint],
) -> Result<Vec<String>, OptimizeError> {
    Ok(config
        .torch_models
        .iter()
        .map(|m| format!("{m}: needs a build with --features torch (scripts/setup-torch.sh)"))
        .collect())
}

#[cfg(feature = "torch")]
fn torch_points(
    config: &StabilityConfig,
    data: &MapData,
    seeds: &[u64],
    points: &mut Vec<StabilityPoint>,
) -> Result<Vec<String>, OptimizeError> {
    use landscape_empirical::spec::ModelSpec;
    use landscape_empirical::torch::{Loss as TorchLoss, Objective, Reduction};
    let usage = |m: &str, e: &dyn std::fmt::Display| {
        OptimizeError::Usage(format!("[stability] torch model {m}: {e}"))
    };
    let objective = Objective {
        loss: match config.loss {
            MapLoss::Mse => TorchLoss::Mse,
            MapLoss::CrossEntropy => TorchLoss::CrossEntropy,
        },
        reduction: Reduction::Mean,
    };
    let n_outputs = landscape_empirical::spec::n_outputs(&data.train);
    for text in &config.torch_models {
        let spec: ModelSpec = text.parse().map_err(|e| usage(text, &e))?;
        let mut per_optimizer: Vec<Vec<SeedStability>> = vec![Vec::new(); config.optimizers.len()];
        let mut n_params = 0;
        for &seed in seeds {
            let mut network =
                super::eval::torch_network(&spec, &data.train, n_outputs, objective, seed)?;
            n_params = network.n_params();
            let pair = MapPair {
                train: &data.train,
                validation: &data.validation,
            };
            for (slot, s) in
                per_optimizer
                    .iter_mut()
                    .zip(measure_seed(&mut network, &pair, config, seed)?)
            {
                slot.push(s);
            }
        }
        for (optimizer, seeds) in config.optimizers.iter().zip(per_optimizer) {
            points.push(point(
                text.clone(),
                text.clone(),
                None,
                n_params,
                *optimizer,
                seeds,
            ));
        }
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slopes_carry_their_standard_error() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let exact = fit_slope(&x, &[1.0, 3.0, 5.0, 7.0]).unwrap();
        assert!((exact.value - 2.0).abs() < 1e-12 && exact.stderr.unwrap() < 1e-12);
        // Residuals ±0.1 alternating: rss = 0.04·… computed by hand below.
        let noisy = fit_slope(&x, &[1.1, 2.9, 5.1, 6.9]).unwrap();
        let (mx, sxx) = (1.5, 5.0);
        let sxy: f64 = x
            .iter()
            .zip([1.1, 2.9, 5.1, 6.9])
            .map(|(a, b)| (a - mx) * (b - 4.0))
            .sum();
        let slope = sxy / sxx;
        let rss: f64 = x
            .iter()
            .zip([1.1, 2.9, 5.1, 6.9])
            .map(|(a, b)| (b - 4.0 - slope * (a - mx)).powi(2))
            .sum();
        assert!((noisy.value - slope).abs() < 1e-12);
        assert!((noisy.stderr.unwrap() - (rss / 2.0 / sxx).sqrt()).abs() < 1e-12);
        // t_{0.975, 2} = 4.302652729911275 (mpmath).
        assert!((noisy.ci95.unwrap() / noisy.stderr.unwrap() - 4.302_652_729_911_275).abs() < 1e-9);
        assert!(fit_slope(&[1.0], &[1.0]).is_none());
        assert!(fit_slope(&[1.0, 1.0], &[1.0, 2.0]).is_none());
    }

    fn quadratic_config(steps: usize, bisections: usize) -> StabilityConfig {
        StabilityConfig {
            task: TaskSpec::Digits,
            samples: 1,
            steps,
            seeds: 1,
            bisections,
            loss: MapLoss::Mse,
            optimizers: vec![Optimizer::GradientDescent],
            activation: Activation::Tanh,
            widths: vec![],
            depth: 1,
            depths: vec![],
            width: 1,
            parameterizations: vec![],
            torch_models: vec![],
            best_factors: vec![1.0],
        }
    }

    #[test]
    fn bisection_finds_the_quadratic_threshold_from_either_side() {
        use landscape_empirical::native::{NoData, Quadratic};
        // ½·4θ² from θ = 1: gradient descent lowers the loss in 10 steps iff |1 − 4η| < 1, i.e. η < 1/2 = 2/λ.
        let mut model = Quadratic::new(vec![4.0], vec![1.0]).unwrap();
        let theta0 = model.params().to_vec();
        let initial = model.loss(&NoData).unwrap();
        let config = quadratic_config(10, 12);
        for start in [0.5, 0.03, 7.0] {
            let (b, runs) = search(
                &mut model,
                &NoData,
                &theta0,
                Optimizer::GradientDescent,
                start,
                &config,
                initial,
            )
            .unwrap();
            let hi = b.hi.unwrap();
            assert!(b.lo < 0.5 && 0.5 <= hi, "start {start}: {b:?}");
            // 12 bisections of a factor-2 bracket: ratio 2^(1/4096).
            assert!(hi / b.lo < 1.0 + 2e-4, "start {start}: {b:?}");
            assert!(!b.is_censored() && runs >= 13, "start {start}: {runs}");
        }
        // At its minimum no step lowers the loss: censored below after 1 + 12 halvings, not an error.
        let mut flat = Quadratic::new(vec![4.0], vec![0.0]).unwrap();
        let (b, runs) = search(
            &mut flat,
            &NoData,
            &[0.0],
            Optimizer::GradientDescent,
            1.0,
            &config,
            0.0,
        )
        .unwrap();
        assert!(
            b.is_censored() && b.lo == 0.0 && runs == 1 + BRACKET_DOUBLINGS,
            "{b:?}"
        );
    }

    #[test]
    fn the_geometric_spread_rejects_non_positive_values() {
        let s = Spread::of(&[1.0, 4.0]).unwrap();
        assert!(
            (s.geomean - 2.0).abs() < 1e-12
                && (s.min - 1.0).abs() < 1e-15
                && (s.max - 4.0).abs() < 1e-15
        );
        assert!(Spread::of(&[]).is_none() && Spread::of(&[1.0, 0.0]).is_none());
    }
}
