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
//! tasks = ["digits", "mixture"]   # digits, mixture, or PATH.npz
//! hidden = [32]            # hidden widths of the evaluated MLP (default [32])
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
//!
//! [architecture]           # optional: geometry against width and depth
//! hidden = [[16], [64], [32, 32]]
//! ```
//!
//! Unknown keys, wrong types, an unknown optimizer or task, a non-positive step size and a missing data file are
//! errors naming the file, line, column and field.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use landscape_empirical::adaptive::StepRule;
use landscape_empirical::model::CurvatureKind;
use landscape_simulate::network::Activation;

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

    /// The name of its grid's parameter: `c` (adaptive rules) or `lr` (baselines).
    pub fn parameter(&self) -> &'static str {
        if self.is_adaptive() { "c" } else { "lr" }
    }
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
    /// Tasks.
    pub tasks: Vec<TaskSpec>,
    /// Hidden widths.
    pub hidden: Vec<usize>,
    /// Activation.
    pub activation: Activation,
    /// Optimizers, in the fixed order sgd, momentum, adam, inverse_sharpness, inverse_trace, gn_diagonal.
    pub methods: Vec<MethodSpec>,
    /// Hidden-width lists of the architecture study (empty: none).
    pub architectures: Vec<Vec<usize>>,
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
    tasks: List<String>,
    hidden: Option<List<i64>>,
    activation: Option<Spanned<String>>,
    mixture: Option<RawMixture>,
    optimizers: Spanned<RawOptimizers>,
    architecture: Option<RawArchitecture>,
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
    inverse_sharpness: Option<RawSharpness>,
    inverse_trace: Option<RawTrace>,
    gn_diagonal: Option<RawDiagonal>,
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
            path if path.ends_with(".npz") => {
                let p = Path::new(path);
                let resolved = if p.is_relative() {
                    file.parent().unwrap_or(Path::new(".")).join(p)
                } else {
                    p.to_path_buf()
                };
                if !resolved.is_file() {
                    return Err(src.error(
                        item.span(),
                        "tasks",
                        format!("the data set `{}` does not exist", resolved.display()),
                    ));
                }
                TaskSpec::Npz(resolved)
            }
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
        tasks,
        hidden,
        activation,
        methods,
        architectures,
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
    if out.is_empty() {
        return Err(src.error(
            raw.span(),
            "[optimizers]",
            "no optimizer; add one of sgd, momentum, adam, inverse_sharpness, inverse_trace, gn_diagonal",
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
