//! The TOML configuration of `landscape optimize`: tasks, a model, optimizers with tuning grids, seeds.
//!
//! ```toml
//! seed = 1                 # base seed (default 0): data, tuning and evaluation seeds derive from it
//! seeds = 3                # evaluation seeds (≥ 2 for a confidence interval; default 3)
//! steps = 200              # training steps per run
//! batch_size = 64          # optional: minibatch size (default: full batch)
//! eval_every = 10          # full training loss every this many steps (default 10)
//! loss_target = 0.3        # "steps to target": first evaluation with training loss ≤ this
//! input_noise = 0.5        # robustness: std of Gaussian input noise (inputs are standardised; default 0.5)
//! weight_noise = 0.1       # robustness: relative weight perturbation θ_i(1 + r ξ_i) (default 0.1)
//! perturbation_draws = 5   # draws per robustness measurement (default 5)
//! label_noise = 0.2        # robustness: also train on labels flipped with this probability (default 0: off)
//! tasks = ["digits", "mixture"]   # digits, mixture, or PATH.npz
//! hidden = [32]            # hidden widths of the evaluated MLP (default [32])
//! model = "cnn"            # optional, instead of the MLP: cnn[:channels=8,16], resnet:depth=2,width=8 or PATH.pt
//!                          # (torch backend, cross-entropy, eval mode; needs --features torch)
//! activation = "tanh"      # default tanh
//!
//! [mixture]                # settings of the mixture task (defaults shown)
//! classes = 4
//! dim = 16
//! samples = 600
//! separation = 1.0
//!
//! [optimizers.sgd]         # any of sgd, momentum, adam, inverse_sharpness, inverse_trace, gn_diagonal
//! lr = [0.03, 0.1, 0.3]    # the tuning grid (one value: no tuning)
//! [optimizers.momentum]
//! lr = [0.01, 0.03]
//! beta = 0.9
//! [optimizers.adam]
//! lr = [0.001, 0.003]      # beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 by default
//! [optimizers.inverse_sharpness]
//! c = [0.5, 1.0]           # η_t = c/λ_max(t); every = 10, lanczos_steps = 10, operator = "ggn" by default
//! [optimizers.inverse_trace]
//! c = [1.0]                # η_t = c/tr G; every = 10, probes = 4
//! [optimizers.gn_diagonal]
//! c = [0.1]                # θ ← θ − c (diag G + δ)⁻¹ g; every = 10, probes = 8 (0 = exact), damping = 0.01
//! [optimizers.adam_warmup] # Adam with lr · min(1, (t + 1)/warmup) (Goyal et al. 2017)
//! lr = [0.003, 0.01]       # warmup = 20; beta1, beta2, epsilon as for adam
//! [optimizers.sophia]      # Liu et al. 2023: clipped EMA of the Hutchinson GN diagonal, refreshed every k steps
//! lr = [0.01, 0.03]        # every = 10, probes = 1, beta1 = 0.96, beta2 = 0.99, rho = 0.04
//! [optimizers.adahessian]  # Yao et al. 2021: Adam with the Hutchinson Hessian diagonal squared
//! lr = [0.03, 0.1]         # every = 1, probes = 1, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-4
//! [optimizers.polyak]      # η_t = min(c (ℓ_t − f_star)/‖g_t‖², max_lr); f_star = 0, max_lr = 10
//! c = [0.5, 1.0]
//!
//! [architecture]           # optional: geometry against width and depth
//! hidden = [[16], [64], [32, 32]]
//!
//! [stability]              # optional: predicted (2/λ_max(θ₀) …) against observed largest stable step
//! task = "digits"          # digits or PATH.npz (default: the first such task, else digits)
//! samples = 256            # full-batch training samples (as many validation samples score the best step)
//! steps = 100              # budget: stable = loss finite and below its initial value after this many steps
//! seeds = 3                # initializations per architecture
//! bisections = 5           # geometric bisections after bracketing
//! loss = "mse"             # mse or cross_entropy
//! optimizers = ["gd", "momentum", "adam"]   # β, β₁, β₂, ε from [optimizers.momentum] / [optimizers.adam]
//! widths = [16, 64, 256]   # the width line, at depth `depth` (2)
//! depths = [1, 2, 4]       # the depth line, at width `width` (64)
//! parameterizations = ["standard", "ntk"]
//! torch = ["cnn", "resnet"]  # measured with --features torch; listed as skipped otherwise
//! best_factors = [0.25, 0.5, 1, 2, 4]       # best-step grid, × predicted_max/2
//! ```
//!
//! Unknown keys, wrong types, an unknown optimizer or task, a non-positive step size and a missing data file are
//! errors naming the file, line, column and field.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use landscape_empirical::adaptive::StepRule;
use landscape_empirical::model::CurvatureKind;
use landscape_empirical::train::Optimizer;
use landscape_simulate::network::Activation;

use super::stability::{MapLoss, MapParameterization, StabilityConfig};
use crate::toml_config::{self, ConfigError, List, Source};

/// What can go wrong in `landscape optimize`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OptimizeError {
    /// The configuration is wrong; names the file, line, column and field.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Other bad input (an unreadable configuration).
    #[error("{0}")]
    Usage(String),
    /// A failure that is not the user's.
    #[error("{0}")]
    Failure(String),
}

impl OptimizeError {
    /// Whether the error is the user's (exit code 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, Self::Config(_) | Self::Usage(_))
    }
}

/// A classification task.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskSpec {
    /// The vendored UCI digits, standardised.
    Digits,
    /// A balanced Gaussian mixture.
    Mixture {
        /// `C`.
        classes: usize,
        /// Input dimension.
        dim: usize,
        /// Samples in all (split 60/20/20).
        samples: usize,
        /// Mean separation in units of the noise norm.
        separation: f64,
    },
    /// A `.npz` file (x float32, y int64 labels), standardised.
    Npz(PathBuf),
}

impl TaskSpec {
    /// `digits`, `mixture` or the file name.
    pub fn name(&self) -> String {
        match self {
            TaskSpec::Digits => "digits".into(),
            TaskSpec::Mixture { .. } => "mixture".into(),
            TaskSpec::Npz(p) => p.display().to_string(),
        }
    }
}

/// An update rule of the evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MethodKind {
    /// Gradient descent on minibatches.
    Sgd,
    /// Heavy-ball momentum.
    Momentum {
        /// β.
        beta: f64,
    },
    /// Adam.
    Adam {
        /// β₁.
        beta1: f64,
        /// β₂.
        beta2: f64,
        /// ε.
        epsilon: f64,
        /// Linear warm-up steps (0: none).
        warmup: usize,
    },
    /// A curvature-adaptive rule.
    Adaptive {
        /// The rule.
        rule: StepRule,
        /// Measure every this many steps.
        every: usize,
        /// The curvature read.
        operator: CurvatureKind,
    },
}

/// One optimizer with its tuning grid.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodSpec {
    /// Its name in the configuration.
    pub name: &'static str,
    /// The rule.
    pub kind: MethodKind,
    /// The grid of `lr` (baselines) or `c` (adaptive rules).
    pub grid: Vec<f64>,
}

impl MethodSpec {
    /// Whether the method is a curvature-adaptive rule.
    pub fn is_adaptive(&self) -> bool {
        matches!(self.kind, MethodKind::Adaptive { .. })
    }

    /// The name of its grid's parameter: `c` (adaptive rules that scale a measured step) or `lr` (baselines,
    /// Sophia, AdaHessian).
    pub fn parameter(&self) -> &'static str {
        match self.kind {
            MethodKind::Adaptive { rule, .. } if !rule.scale_is_learning_rate() => "c",
            _ => "lr",
        }
    }
}

/// A torch model of the configuration: as written, and parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct TorchModelSpec {
    /// The text (`cnn:channels=8,16`), named in outputs and errors.
    pub text: String,
    /// The parsed spec.
    pub spec: landscape_empirical::spec::ModelSpec,
}

/// A parsed configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizeConfig {
    /// The file it came from (for the output).
    pub file: PathBuf,
    /// Its text (recorded in the output).
    pub text: String,
    /// Base seed.
    pub seed: u64,
    /// Evaluation seeds.
    pub seeds: usize,
    /// Steps per run.
    pub steps: usize,
    /// Minibatch size (`None`: full batch).
    pub batch_size: Option<usize>,
    /// Evaluate the training loss every this many steps.
    pub eval_every: usize,
    /// The loss target.
    pub loss_target: f64,
    /// Input noise standard deviation.
    pub input_noise: f64,
    /// Relative weight perturbation.
    pub weight_noise: f64,
    /// Draws per robustness measurement.
    pub perturbation_draws: usize,
    /// Probability that a training label is flipped in the label-noise run (0: no such run).
    pub label_noise: f64,
    /// Tasks.
    pub tasks: Vec<TaskSpec>,
    /// A torch model (`model = "cnn"`, `"resnet:depth=2,width=8"`, `"PATH.pt"`) evaluated instead of the MLP of
    /// `hidden`/`activation` (needs a build with the `torch` feature).
    pub model: Option<TorchModelSpec>,
    /// Hidden widths.
    pub hidden: Vec<usize>,
    /// Activation.
    pub activation: Activation,
    /// Optimizers, in the fixed order sgd, momentum, adam, inverse_sharpness, inverse_trace, gn_diagonal.
    pub methods: Vec<MethodSpec>,
    /// Hidden-width lists of the architecture study (empty: none).
    pub architectures: Vec<Vec<usize>>,
    /// The stability map (`[stability]`; `None`: not run).
    pub stability: Option<StabilityConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    seed: Option<Spanned<i64>>,
    seeds: Option<Spanned<i64>>,
    steps: Spanned<i64>,
    batch_size: Option<Spanned<i64>>,
    eval_every: Option<Spanned<i64>>,
    loss_target: Spanned<f64>,
    input_noise: Option<Spanned<f64>>,
    weight_noise: Option<Spanned<f64>>,
    perturbation_draws: Option<Spanned<i64>>,
    label_noise: Option<Spanned<f64>>,
    tasks: List<String>,
    hidden: Option<List<i64>>,
    activation: Option<Spanned<String>>,
    model: Option<Spanned<String>>,
    mixture: Option<RawMixture>,
    optimizers: Spanned<RawOptimizers>,
    architecture: Option<RawArchitecture>,
    stability: Option<RawStability>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStability {
    task: Option<Spanned<String>>,
    samples: Option<Spanned<i64>>,
    steps: Option<Spanned<i64>>,
    seeds: Option<Spanned<i64>>,
    bisections: Option<Spanned<i64>>,
    loss: Option<Spanned<String>>,
    optimizers: Option<List<String>>,
    widths: Option<List<i64>>,
    depth: Option<Spanned<i64>>,
    depths: Option<List<i64>>,
    width: Option<Spanned<i64>>,
    parameterizations: Option<List<String>>,
    torch: Option<List<String>>,
    best_factors: Option<List<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMixture {
    classes: Option<Spanned<i64>>,
    dim: Option<Spanned<i64>>,
    samples: Option<Spanned<i64>>,
    separation: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptimizers {
    sgd: Option<RawSgd>,
    momentum: Option<RawMomentum>,
    adam: Option<RawAdam>,
    adam_warmup: Option<RawAdamWarmup>,
    inverse_sharpness: Option<RawSharpness>,
    inverse_trace: Option<RawTrace>,
    gn_diagonal: Option<RawDiagonal>,
    sophia: Option<RawSophia>,
    adahessian: Option<RawAdaHessian>,
    polyak: Option<RawPolyak>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdamWarmup {
    lr: List<f64>,
    warmup: Option<Spanned<i64>>,
    beta1: Option<Spanned<f64>>,
    beta2: Option<Spanned<f64>>,
    epsilon: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSophia {
    lr: List<f64>,
    every: Option<Spanned<i64>>,
    probes: Option<Spanned<i64>>,
    beta1: Option<Spanned<f64>>,
    beta2: Option<Spanned<f64>>,
    rho: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdaHessian {
    lr: List<f64>,
    every: Option<Spanned<i64>>,
    probes: Option<Spanned<i64>>,
    beta1: Option<Spanned<f64>>,
    beta2: Option<Spanned<f64>>,
    epsilon: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolyak {
    c: List<f64>,
    f_star: Option<Spanned<f64>>,
    max_lr: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSgd {
    lr: List<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMomentum {
    lr: List<f64>,
    beta: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdam {
    lr: List<f64>,
    beta1: Option<Spanned<f64>>,
    beta2: Option<Spanned<f64>>,
    epsilon: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSharpness {
    c: List<f64>,
    every: Option<Spanned<i64>>,
    lanczos_steps: Option<Spanned<i64>>,
    operator: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrace {
    c: List<f64>,
    every: Option<Spanned<i64>>,
    probes: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDiagonal {
    c: List<f64>,
    every: Option<Spanned<i64>>,
    probes: Option<Spanned<i64>>,
    damping: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArchitecture {
    hidden: List<Vec<i64>>,
}

/// Reads and parses the configuration at `path`.
///
/// # Errors
/// [`OptimizeError::Usage`] if it cannot be read, [`OptimizeError::Config`] if it is invalid.
pub fn load(path: &Path) -> Result<OptimizeConfig, OptimizeError> {
    let text = toml_config::read(path).map_err(OptimizeError::Usage)?;
    parse(path, &text)
}

const UNIT: &str = "a number in [0, 1)";
const POSITIVE: &str = "a finite number > 0";
const NON_NEGATIVE: &str = "a finite number ≥ 0";

/// Parses a configuration; `file` names it in errors, and relative `.npz` paths are taken relative to its folder.
///
/// # Errors
/// [`OptimizeError::Config`] naming the file, line, column and field.
pub fn parse(file: &Path, text: &str) -> Result<OptimizeConfig, OptimizeError> {
    Ok(parse_located(&Source::new(file, text))?)
}

fn parse_located(src: &Source<'_>) -> Result<OptimizeConfig, ConfigError> {
    let (file, text) = (src.file, src.text);
    let raw: Raw = src.parse()?;
    let count = |v: Option<&Spanned<i64>>, field: &str, default: u64, lo: u64, hi: u64| {
        src.int_or(v, field, default, lo, hi).map(|x| x as usize)
    };
    let seed = src.int_or(raw.seed.as_ref(), "seed", 0, 0, u64::MAX >> 1)?;
    let seeds = count(raw.seeds.as_ref(), "seeds", 3, 1, 100)?;
    let steps = src.int(&raw.steps, "steps", 1, 1_000_000)? as usize;
    let batch_size = match &raw.batch_size {
        None => None,
        Some(b) => Some(src.int(b, "batch_size", 1, 10_000_000)? as usize),
    };
    let eval_every = count(raw.eval_every.as_ref(), "eval_every", 10, 1, 1_000_000)?;
    let loss_target = src.real(&raw.loss_target, "loss_target", POSITIVE, |x| x > 0.0)?;
    let input_noise = src.real_or(
        raw.input_noise.as_ref(),
        "input_noise",
        0.5,
        NON_NEGATIVE,
        |x| x >= 0.0,
    )?;
    let weight_noise = src.real_or(
        raw.weight_noise.as_ref(),
        "weight_noise",
        0.1,
        NON_NEGATIVE,
        |x| x >= 0.0,
    )?;
    let perturbation_draws = count(
        raw.perturbation_draws.as_ref(),
        "perturbation_draws",
        5,
        1,
        1000,
    )?;
    let label_noise = src.real_or(
        raw.label_noise.as_ref(),
        "label_noise",
        0.0,
        "a number in [0, 1)",
        |x| (0.0..1.0).contains(&x),
    )?;
    let mix = raw.mixture.as_ref();
    let mixture = TaskSpec::Mixture {
        classes: count(mix.and_then(|m| m.classes.as_ref()), "classes", 4, 2, 1000)?,
        dim: count(mix.and_then(|m| m.dim.as_ref()), "dim", 16, 1, 100_000)?,
        samples: count(
            mix.and_then(|m| m.samples.as_ref()),
            "samples",
            600,
            10,
            1_000_000,
        )?,
        separation: src.real_or(
            mix.and_then(|m| m.separation.as_ref()),
            "separation",
            1.0,
            POSITIVE,
            |x| x > 0.0,
        )?,
    };
    let mut tasks = Vec::new();
    for item in src.non_empty(
        &raw.tasks,
        "tasks",
        "empty list: give at least one of digits, mixture, PATH.npz",
    )? {
        let name = item.get_ref().trim();
        let task = match name {
            "digits" => TaskSpec::Digits,
            "mixture" => mixture.clone(),
            path if path.ends_with(".npz") => TaskSpec::Npz(npz_path(src, item, path, "tasks")?),
            other => {
                return Err(src.error(
                    item.span(),
                    "tasks",
                    format!("unknown data set `{other}`; expected digits, mixture or PATH.npz"),
                ));
            }
        };
        tasks.push(task);
    }
    let hidden = match &raw.hidden {
        None => vec![32],
        Some(h) => src
            .ints(h.get_ref(), "hidden", 1, 100_000)?
            .into_iter()
            .map(|w| w as usize)
            .collect(),
    };
    let activation = match &raw.activation {
        None => Activation::Tanh,
        Some(a) => a.get_ref().parse::<Activation>().map_err(|_| {
            src.error(
                a.span(),
                "activation",
                format!(
                    "unknown activation `{}`; expected linear, tanh, relu, erf or gelu",
                    a.get_ref()
                ),
            )
        })?,
    };
    let methods = methods(src, &raw.optimizers)?;
    let architectures = match &raw.architecture {
        None => Vec::new(),
        Some(a) => src
            .non_empty(&a.hidden, "hidden", "empty list")?
            .iter()
            .map(|h| {
                h.get_ref()
                    .iter()
                    .map(|&w| {
                        usize::try_from(w)
                            .ok()
                            .filter(|w| (1..=100_000).contains(w))
                    })
                    .collect::<Option<Vec<usize>>>()
                    .ok_or_else(|| {
                        src.error(h.span(), "hidden", "widths must be integers in 1..=100000")
                    })
            })
            .collect::<Result<_, ConfigError>>()?,
    };
    let model = match &raw.model {
        None => None,
        Some(m) => {
            let spec: landscape_empirical::spec::ModelSpec =
                m.get_ref()
                    .parse()
                    .map_err(|e: landscape_empirical::spec::SpecError| {
                        src.error(m.span(), "model", e.0)
                    })?;
            if spec.is_mlp() {
                return Err(src.error(
                    m.span(),
                    "model",
                    "MLPs are set by hidden and activation; model names a cnn, resnet or PATH.pt",
                ));
            }
            if let landscape_empirical::spec::ModelSpec::Script(path) = &spec
                && !path.is_file()
            {
                return Err(src.error(
                    m.span(),
                    "model",
                    format!("the model file `{}` does not exist", path.display()),
                ));
            }
            Some(TorchModelSpec {
                text: m.get_ref().trim().to_string(),
                spec,
            })
        }
    };
    let stability = match &raw.stability {
        None => None,
        Some(r) => Some(stability(src, r, &tasks, activation, &methods)?),
    };
    Ok(OptimizeConfig {
        file: file.to_path_buf(),
        text: text.to_string(),
        seed,
        seeds,
        steps,
        batch_size,
        eval_every,
        loss_target,
        input_noise,
        weight_noise,
        perturbation_draws,
        label_noise,
        tasks,
        model,
        hidden,
        activation,
        methods,
        architectures,
        stability,
    })
}

/// An `.npz` path relative to the configuration's folder (or absolute) that must exist.
fn npz_path(
    src: &Source<'_>,
    at: &Spanned<String>,
    path: &str,
    field: &str,
) -> Result<PathBuf, ConfigError> {
    let p = Path::new(path);
    let resolved = if p.is_relative() {
        src.file.parent().unwrap_or(Path::new(".")).join(p)
    } else {
        p.to_path_buf()
    };
    if !resolved.is_file() {
        return Err(src.error(
            at.span(),
            field,
            format!("the data set `{}` does not exist", resolved.display()),
        ));
    }
    Ok(resolved)
}

/// The `[stability]` table: defaults documented in the module's example.
fn stability(
    src: &Source<'_>,
    raw: &RawStability,
    tasks: &[TaskSpec],
    activation: Activation,
    methods: &[MethodSpec],
) -> Result<StabilityConfig, ConfigError> {
    let count = |v: Option<&Spanned<i64>>, field: &str, default: u64, lo: u64, hi: u64| {
        src.int_or(v, field, default, lo, hi).map(|x| x as usize)
    };
    let task = match &raw.task {
        None => tasks
            .iter()
            .find(|t| !matches!(t, TaskSpec::Mixture { .. }))
            .cloned()
            .unwrap_or(TaskSpec::Digits),
        Some(t) => {
            match t.get_ref().trim() {
                "digits" => TaskSpec::Digits,
                path if path.ends_with(".npz") => TaskSpec::Npz(npz_path(src, t, path, "task")?),
                other => {
                    return Err(src.error(
                    t.span(),
                    "task",
                    format!("`{other}`: the stability map needs digits or PATH.npz (image-shaped data)"),
                ));
                }
            }
        }
    };
    let loss = match raw.loss.as_ref().map(|l| (l, l.get_ref().trim())) {
        None | Some((_, "mse")) => MapLoss::Mse,
        Some((_, "cross_entropy")) => MapLoss::CrossEntropy,
        Some((l, other)) => {
            return Err(src.error(
                l.span(),
                "loss",
                format!("unknown loss `{other}`; expected mse or cross_entropy"),
            ));
        }
    };
    // The optimizers' settings (β, Adam's β₁, β₂ and ε) are those of `[optimizers.*]`, parsed there.
    let beta = methods
        .iter()
        .find_map(|m| match m.kind {
            MethodKind::Momentum { beta } => Some(beta),
            _ => None,
        })
        .unwrap_or(0.9);
    let adam = methods
        .iter()
        .find_map(|m| match m.kind {
            MethodKind::Adam {
                beta1,
                beta2,
                epsilon,
                warmup: 0,
            } => Some(Optimizer::Adam {
                beta1,
                beta2,
                epsilon,
            }),
            _ => None,
        })
        .unwrap_or(Optimizer::Adam {
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
        });
    let optimizers = match &raw.optimizers {
        None => vec![
            Optimizer::GradientDescent,
            Optimizer::HeavyBall { beta },
            adam,
        ],
        Some(list) => src
            .non_empty(list, "optimizers", "empty list: give gd, momentum or adam")?
            .iter()
            .map(|o| match o.get_ref().trim() {
                "gd" | "sgd" => Ok(Optimizer::GradientDescent),
                "momentum" => Ok(Optimizer::HeavyBall { beta }),
                "adam" => Ok(adam),
                other => Err(src.error(
                    o.span(),
                    "optimizers",
                    format!("unknown optimizer `{other}`; expected gd, momentum or adam"),
                )),
            })
            .collect::<Result<_, _>>()?,
    };
    let sizes = |list: Option<&List<i64>>, field: &str, default: &[usize]| {
        list.map_or(Ok(default.to_vec()), |l| {
            Ok(src
                .ints(src.non_empty(l, field, "empty list")?, field, 1, 100_000)?
                .into_iter()
                .map(|w| w as usize)
                .collect())
        })
    };
    let parameterizations = match &raw.parameterizations {
        None => vec![MapParameterization::Standard, MapParameterization::Ntk],
        Some(list) => src
            .non_empty(
                list,
                "parameterizations",
                "empty list: give standard or ntk",
            )?
            .iter()
            .map(|p| match p.get_ref().trim() {
                "standard" => Ok(MapParameterization::Standard),
                "ntk" => Ok(MapParameterization::Ntk),
                other => Err(src.error(
                    p.span(),
                    "parameterizations",
                    format!("unknown parameterization `{other}`; expected standard or ntk"),
                )),
            })
            .collect::<Result<_, _>>()?,
    };
    let mut torch_models = Vec::new();
    for m in raw.torch.as_ref().map_or(&[][..], |l| l.get_ref()) {
        let text = m.get_ref().trim();
        if let Err(e) = text.parse::<landscape_empirical::spec::ModelSpec>() {
            return Err(src.error(m.span(), "torch", e.to_string()));
        }
        torch_models.push(text.to_string());
    }
    let best_factors = match &raw.best_factors {
        None => vec![0.25, 0.5, 1.0, 2.0, 4.0],
        Some(l) => src.reals(
            src.non_empty(l, "best_factors", "empty list")?,
            "best_factors",
            POSITIVE,
            |x| x > 0.0,
        )?,
    };
    Ok(StabilityConfig {
        task,
        samples: count(raw.samples.as_ref(), "samples", 256, 2, 1_000_000)?,
        steps: count(raw.steps.as_ref(), "steps", 100, 1, 1_000_000)?,
        seeds: count(raw.seeds.as_ref(), "seeds", 3, 1, 100)?,
        bisections: count(raw.bisections.as_ref(), "bisections", 5, 0, 30)?,
        loss,
        optimizers,
        activation,
        widths: sizes(raw.widths.as_ref(), "widths", &[16, 64, 256])?,
        depth: count(raw.depth.as_ref(), "depth", 2, 1, 100)?,
        depths: sizes(raw.depths.as_ref(), "depths", &[1, 2, 4])?,
        width: count(raw.width.as_ref(), "width", 64, 1, 100_000)?,
        parameterizations,
        torch_models,
        best_factors,
    })
}

fn operator(src: &Source<'_>, v: Option<&Spanned<String>>) -> Result<CurvatureKind, ConfigError> {
    match v.map(|s| (s, s.get_ref().trim().to_ascii_lowercase())) {
        None => Ok(CurvatureKind::GaussNewton),
        Some((_, name)) if name == "ggn" || name == "gauss-newton" => {
            Ok(CurvatureKind::GaussNewton)
        }
        Some((_, name)) if name == "hessian" => Ok(CurvatureKind::Hessian),
        Some((s, _)) => Err(src.error(
            s.span(),
            "operator",
            format!(
                "unknown operator `{}`; expected ggn or hessian",
                s.get_ref()
            ),
        )),
    }
}

/// A non-empty grid of finite positive step sizes.
fn grid(src: &Source<'_>, list: &List<f64>, field: &str) -> Result<Vec<f64>, ConfigError> {
    let items = src.non_empty(list, field, "empty list: give at least one value")?;
    src.reals(
        items,
        field,
        "a valid step size: expected a finite number > 0",
        |v| v > 0.0,
    )
}

fn methods(src: &Source<'_>, raw: &Spanned<RawOptimizers>) -> Result<Vec<MethodSpec>, ConfigError> {
    let unit = |v: Option<&Spanned<f64>>, field: &str, default: f64| {
        src.real_or(v, field, default, UNIT, |x| (0.0..1.0).contains(&x))
    };
    let positive = |v: Option<&Spanned<f64>>, field: &str, default: f64| {
        src.real_or(v, field, default, "a number > 0", |x| x > 0.0)
    };
    let count = |v: Option<&Spanned<i64>>, field: &str, default: u64, lo: u64, hi: u64| {
        src.int_or(v, field, default, lo, hi).map(|x| x as usize)
    };
    // Fields in the order a reader checks them: the rule's own settings, `every`, `operator`, then the grid.
    let adaptive = |name: &'static str,
                    rule: StepRule,
                    every: Option<&Spanned<i64>>,
                    operator_name: Option<&Spanned<String>>,
                    c: &List<f64>| {
        Ok::<_, ConfigError>(MethodSpec {
            name,
            kind: MethodKind::Adaptive {
                rule,
                every: count(every, "every", 10, 1, 1_000_000)?,
                operator: operator(src, operator_name)?,
            },
            grid: grid(src, c, "c")?,
        })
    };
    let o = raw.get_ref();
    let mut out = Vec::new();
    if let Some(s) = &o.sgd {
        out.push(MethodSpec {
            name: "sgd",
            kind: MethodKind::Sgd,
            grid: grid(src, &s.lr, "lr")?,
        });
    }
    if let Some(m) = &o.momentum {
        out.push(MethodSpec {
            name: "momentum",
            kind: MethodKind::Momentum {
                beta: unit(m.beta.as_ref(), "beta", 0.9)?,
            },
            grid: grid(src, &m.lr, "lr")?,
        });
    }
    if let Some(a) = &o.adam {
        out.push(MethodSpec {
            name: "adam",
            kind: MethodKind::Adam {
                beta1: unit(a.beta1.as_ref(), "beta1", 0.9)?,
                beta2: unit(a.beta2.as_ref(), "beta2", 0.999)?,
                epsilon: positive(a.epsilon.as_ref(), "epsilon", 1e-8)?,
                warmup: 0,
            },
            grid: grid(src, &a.lr, "lr")?,
        });
    }
    if let Some(a) = &o.adam_warmup {
        out.push(MethodSpec {
            name: "adam_warmup",
            kind: MethodKind::Adam {
                beta1: unit(a.beta1.as_ref(), "beta1", 0.9)?,
                beta2: unit(a.beta2.as_ref(), "beta2", 0.999)?,
                epsilon: positive(a.epsilon.as_ref(), "epsilon", 1e-8)?,
                warmup: count(a.warmup.as_ref(), "warmup", 20, 1, 1_000_000)?,
            },
            grid: grid(src, &a.lr, "lr")?,
        });
    }
    if let Some(s) = &o.inverse_sharpness {
        let lanczos_steps = count(s.lanczos_steps.as_ref(), "lanczos_steps", 10, 1, 1000)?;
        out.push(adaptive(
            "inverse_sharpness",
            StepRule::InverseSharpness { lanczos_steps },
            s.every.as_ref(),
            s.operator.as_ref(),
            &s.c,
        )?);
    }
    if let Some(t) = &o.inverse_trace {
        let probes = count(t.probes.as_ref(), "probes", 4, 1, 10_000)?;
        out.push(adaptive(
            "inverse_trace",
            StepRule::InverseTrace { probes },
            t.every.as_ref(),
            None,
            &t.c,
        )?);
    }
    if let Some(d) = &o.gn_diagonal {
        let rule = StepRule::GaussNewtonDiagonal {
            probes: count(d.probes.as_ref(), "probes", 8, 0, 10_000)?,
            damping: positive(d.damping.as_ref(), "damping", 0.01)?,
        };
        out.push(adaptive("gn_diagonal", rule, d.every.as_ref(), None, &d.c)?);
    }
    if let Some(x) = &o.sophia {
        let rule = StepRule::Sophia {
            beta1: unit(x.beta1.as_ref(), "beta1", 0.96)?,
            beta2: unit(x.beta2.as_ref(), "beta2", 0.99)?,
            rho: positive(x.rho.as_ref(), "rho", 0.04)?,
            probes: count(x.probes.as_ref(), "probes", 1, 0, 10_000)?,
        };
        out.push(MethodSpec {
            name: "sophia",
            kind: MethodKind::Adaptive {
                rule,
                every: count(x.every.as_ref(), "every", 10, 1, 1_000_000)?,
                operator: CurvatureKind::GaussNewton,
            },
            grid: grid(src, &x.lr, "lr")?,
        });
    }
    if let Some(x) = &o.adahessian {
        let rule = StepRule::AdaHessian {
            beta1: unit(x.beta1.as_ref(), "beta1", 0.9)?,
            beta2: unit(x.beta2.as_ref(), "beta2", 0.999)?,
            epsilon: positive(x.epsilon.as_ref(), "epsilon", 1e-4)?,
            probes: count(x.probes.as_ref(), "probes", 1, 0, 10_000)?,
        };
        out.push(MethodSpec {
            name: "adahessian",
            kind: MethodKind::Adaptive {
                rule,
                every: count(x.every.as_ref(), "every", 1, 1, 1_000_000)?,
                operator: CurvatureKind::Hessian,
            },
            grid: grid(src, &x.lr, "lr")?,
        });
    }
    if let Some(x) = &o.polyak {
        let rule = StepRule::Polyak {
            f_star: x.f_star.as_ref().map_or(Ok(0.0), |v| {
                src.real(v, "f_star", "a finite number", |_| true)
            })?,
            max_lr: positive(x.max_lr.as_ref(), "max_lr", 10.0)?,
        };
        out.push(MethodSpec {
            name: "polyak",
            kind: MethodKind::Adaptive {
                rule,
                every: 1,
                operator: CurvatureKind::GaussNewton,
            },
            grid: grid(src, &x.c, "c")?,
        });
    }
    if out.is_empty() {
        return Err(src.error(
            raw.span(),
            "[optimizers]",
            "no optimizer; add one of sgd, momentum, adam, adam_warmup, inverse_sharpness, inverse_trace, \
             gn_diagonal, sophia, adahessian, polyak",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        "steps = 10\nloss_target = 0.5\ntasks = [\"mixture\"]\n[optimizers.sgd]\nlr = [0.1, 1]\n";

    fn err(text: &str) -> String {
        parse(Path::new("c.toml"), text).unwrap_err().to_string()
    }

    #[test]
    fn a_minimal_configuration_takes_the_documented_defaults() {
        let c = parse(Path::new("c.toml"), GOOD).unwrap();
        assert_eq!(c.seeds, 3);
        assert_eq!(c.hidden, vec![32]);
        assert_eq!(c.methods[0].grid, vec![0.1, 1.0]);
        assert!(matches!(c.tasks[0], TaskSpec::Mixture { classes: 4, .. }));
    }

    #[test]
    fn the_stability_table_takes_defaults_and_names_bad_fields() {
        let c = parse(Path::new("c.toml"), &format!("{GOOD}[stability]\n")).unwrap();
        let st = c.stability.unwrap();
        assert_eq!(
            (st.samples, st.steps, st.seeds, st.bisections),
            (256, 100, 3, 5)
        );
        assert_eq!(st.optimizers.len(), 3);
        assert_eq!(
            (st.widths, st.depth, st.depths, st.width),
            (vec![16, 64, 256], 2, vec![1, 2, 4], 64)
        );
        assert_eq!(st.task, TaskSpec::Digits, "the mixture has no image shape");
        let e = err(&format!("{GOOD}[stability]\noptimizers = [\"lbfgs\"]\n"));
        assert!(
            e.starts_with("c.toml:7:15: optimizers: unknown optimizer `lbfgs`"),
            "{e}"
        );
        let e = err(&format!("{GOOD}[stability]\ntask = \"mixture\"\n"));
        assert!(
            e.starts_with("c.toml:7:8: task:") && e.contains("digits or PATH.npz"),
            "{e}"
        );
        let e = err(&format!(
            "{GOOD}[stability]\nparameterizations = [\"mup\"]\n"
        ));
        assert!(e.contains("unknown parameterization `mup`"), "{e}");
        let e = err(&format!("{GOOD}[stability]\ntorch = [\"vit\"]\n"));
        assert!(
            e.starts_with("c.toml:7:") && e.contains("unknown model `vit`"),
            "{e}"
        );
        let e = err(&format!("{GOOD}[stability]\nbest_factors = [0]\n"));
        assert!(
            e.contains("best_factors") && e.contains("not a finite number > 0"),
            "{e}"
        );
        let e = err(&format!("{GOOD}[stability]\nwidths = []\n"));
        assert!(e.contains("widths: empty list"), "{e}");
    }

    #[test]
    fn the_literature_baselines_parse_with_their_papers_defaults() {
        let text = format!(
            "{GOOD}[optimizers.sophia]\nlr = [0.01]\n[optimizers.adahessian]\nlr = [0.1]\n[optimizers.polyak]\nc = [0.5]\n"
        );
        let c = parse(Path::new("c.toml"), &text).unwrap();
        let names: Vec<_> = c.methods.iter().map(|m| (m.name, m.parameter())).collect();
        assert_eq!(
            names,
            [
                ("sgd", "lr"),
                ("sophia", "lr"),
                ("adahessian", "lr"),
                ("polyak", "c")
            ]
        );
        let MethodKind::Adaptive {
            rule,
            every,
            operator,
        } = c.methods[1].kind
        else {
            panic!()
        };
        assert_eq!(
            rule,
            StepRule::Sophia {
                beta1: 0.96,
                beta2: 0.99,
                rho: 0.04,
                probes: 1
            }
        );
        assert_eq!((every, operator), (10, CurvatureKind::GaussNewton));
        let MethodKind::Adaptive {
            operator, every, ..
        } = c.methods[2].kind
        else {
            panic!()
        };
        assert_eq!((every, operator), (1, CurvatureKind::Hessian));
        let e = err(&format!(
            "{GOOD}[optimizers.polyak]\nc = [0.5]\nmax_lr = -1\n"
        ));
        assert!(e.contains("max_lr"), "{e}");
    }

    #[test]
    fn a_torch_model_is_named_by_its_spec_and_an_mlp_is_not() {
        let c = parse(
            Path::new("c.toml"),
            &GOOD.replace("tasks", "model = \"resnet:depth=2\"\ntasks"),
        )
        .unwrap();
        assert_eq!(c.model.unwrap().text, "resnet:depth=2");
        let e = err(&GOOD.replace("tasks", "model = \"mlp:widths=8\"\ntasks"));
        assert!(
            e.starts_with("c.toml:3:9: model: MLPs are set by hidden"),
            "{e}"
        );
        let e = err(&GOOD.replace("tasks", "model = \"vit\"\ntasks"));
        assert!(e.contains("model: unknown model `vit`"), "{e}");
        let e = err(&GOOD.replace("tasks", "model = \"gone.pt\"\ntasks"));
        assert!(e.contains("the model file `gone.pt` does not exist"), "{e}");
    }

    #[test]
    fn the_full_example_parses() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/optimize-full.toml"
        ));
        let c = load(path).unwrap();
        let st = c.stability.unwrap();
        assert_eq!(st.torch_models.len(), 2);
        assert_eq!(c.methods.len(), 10);
    }

    #[test]
    fn errors_name_the_file_line_column_and_field() {
        let e = err(&GOOD.replace("[0.1, 1]", "[0.1, -1]"));
        assert!(
            e.starts_with("c.toml:5:12: lr: -1 is not a valid step size"),
            "{e}"
        );
        let e = err(&format!("{GOOD}[optimizers.lbfgs]\nlr = [1]\n"));
        assert!(e.starts_with("c.toml:6:") && e.contains("lbfgs"), "{e}");
        let e = err(&GOOD.replace("mixture", "cifar"));
        assert!(
            e.starts_with("c.toml:3:10: tasks: unknown data set `cifar`"),
            "{e}"
        );
        let e = err(&GOOD.replace("\"mixture\"", "\"gone.npz\""));
        assert!(
            e.contains("tasks: the data set") && e.contains("does not exist"),
            "{e}"
        );
        let e = err(&format!("colour = 1\n{GOOD}"));
        assert!(
            e.starts_with("c.toml:1:1: colour: unknown field `colour`"),
            "{e}"
        );
        let e = err(&GOOD.replace("tasks = [\"mixture\"]\n", ""));
        assert!(e.contains("missing field `tasks`"), "{e}");
    }
}
