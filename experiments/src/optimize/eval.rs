//! The evaluation: tune every optimizer on a validation split, train it from several seeds, and measure
//! convergence, generalization and robustness; then the geometry against width and depth.
//!
//! **Splits and seeds.** Each task's samples are shuffled with a seed derived from the base seed and split
//! 60/20/20 into training, validation and test sets. Tuning trains once per grid value from the *tuning seed*
//! (derived from the base seed with its own stream, so it is none of the evaluation seeds) and keeps the value with
//! the lowest final validation loss (a diverged run scores +∞). The chosen value is then trained from each
//! *evaluation seed* (initialization and minibatches) and judged on the held-out test split only.
//!
//! **Measurements per evaluation run.** Steps and wall-clock seconds until the full training loss (evaluated at
//! every step until then and every `eval_every` steps afterwards, its time excluded from the clock) first reaches
//! `loss_target`, resolved to the step; test loss and accuracy;
//! accuracy with Gaussian input noise of standard deviation `input_noise` (inputs are standardised) and with the
//! weights perturbed as `θ_i (1 + r ξ_i)`, `r = weight_noise`, `ξ_i ~ N(0, 1)`, each averaged over
//! `perturbation_draws` draws; test accuracy after training on labels flipped with probability `label_noise`
//! (symmetric noise, [`flip_labels`]; off by default); and `λ_max` of the training-loss Hessian at the end (on up to
//! [`SHARPNESS_SAMPLES`] training samples). Summaries are means with 95 % Student-t intervals over the runs that did
//! not diverge; diverged runs (a non-finite loss, or a training loss above [`DIVERGENCE_FACTOR`] times the initial
//! one) are counted, never averaged.

use std::time::Instant;

use serde::Serialize;

use landscape_empirical::adaptive::{AdaptiveConfig, train_adaptive};
use landscape_empirical::experiments::eigenpairs::{End, extreme_eigenpairs};
use landscape_empirical::geometry::{Geometry, GeometryConfig, geometry};
use landscape_empirical::model::{CurvatureKind, CurvatureModel, SampleSet};
use landscape_empirical::native::NativeMlp;
use landscape_empirical::train::{Optimizer, Schedule, StepRecord, TrainConfig, train_scheduled};
use landscape_empirical::{EmpiricalError, data as edata};
use landscape_simulate::network::{
    Activation, Dataset, Loss, Mlp, MlpConfig, Parameterization, Targets, data,
};
use landscape_simulate::rng::{derive_seed, task_rng};
use landscape_simulate::trace::ProbeKind;

use super::config::{
    MethodKind, MethodSpec, OptimizeConfig, OptimizeError, TaskSpec, TorchModelSpec,
};
use super::stability::{StabilityMap, stability_map};
use super::stats::{MeanCi, detectable_difference};

/// Stream of the data shuffles and the mixture sampler.
const DATA_STREAM: u64 = landscape_simulate::rng::stream::OPTIMIZE_DATA;
/// Stream of the tuning seed.
const TUNING_STREAM: u64 = landscape_simulate::rng::stream::OPTIMIZE_TUNING;
/// Evaluation seed `i` is `derive_seed(seed, EVAL_STREAM + i)`.
const EVAL_STREAM: u64 = landscape_simulate::rng::stream::OPTIMIZE_EVAL;
/// Streams of the robustness draws (input noise, weight noise).
const NOISE_STREAM: u64 = landscape_simulate::rng::stream::OPTIMIZE_NOISE;
/// Stream of the label flips of the label-noise run.
const LABEL_NOISE_STREAM: u64 = landscape_simulate::rng::stream::OPTIMIZE_LABEL_NOISE;
/// A run whose full training loss exceeds this multiple of its initial loss is recorded as diverged (as is a
/// non-finite loss). The initial cross-entropy is about ln C ≤ 7 for C ≤ 1000 classes; only a blow-up multiplies it
/// by 100 (a tanh network at a huge step saturates at a finite loss of 10⁴ instead of overflowing).
pub const DIVERGENCE_FACTOR: f64 = 100.0;
/// Training samples used for `λ_max` at the end and for the architecture study's geometry.
pub const SHARPNESS_SAMPLES: usize = 256;

fn fail(e: impl std::fmt::Display) -> OptimizeError {
    OptimizeError::Failure(e.to_string())
}

/// A task's three splits (generic over the model's data type; both backends read the project's one [`Dataset`],
/// which keeps an image's shape for the torch networks while the native MLP reads each sample flat).
#[derive(Debug, Clone)]
pub struct TaskData<D = Dataset> {
    /// The task's name.
    pub name: String,
    /// 60 %.
    pub train: D,
    /// 20 %.
    pub validation: D,
    /// 20 %.
    pub test: D,
    /// `C`.
    pub classes: usize,
}

/// What the evaluation needs of a data set beyond [`SampleSet`]: the class labels, and a copy with noisy inputs.
pub trait TaskSamples: SampleSet + Clone {
    /// The class label of every sample.
    ///
    /// # Errors
    /// Targets that are not class labels.
    fn labels(&self) -> Result<Vec<usize>, OptimizeError>;

    /// A copy whose inputs have `σ z` added, `z` standard normal from `rng` (one per input entry, in order).
    ///
    /// # Errors
    /// None in practice (the copy is rebuilt through the data set's checks).
    fn with_input_noise(
        &self,
        sigma: f64,
        rng: &mut landscape_simulate::rng::Rng,
    ) -> Result<Self, OptimizeError>;

    /// A copy with the labels `labels` (one per sample, each below the data set's class count).
    ///
    /// # Errors
    /// A label count that does not match.
    fn with_labels(&self, labels: Vec<usize>) -> Result<Self, OptimizeError>;
}

/// Symmetric label noise: each label is replaced, with probability `fraction`, by one of the other `classes − 1`
/// classes chosen uniformly (two uniform draws per sample from `rng`, in order).
pub fn flip_labels(
    labels: &[usize],
    classes: usize,
    fraction: f64,
    rng: &mut landscape_simulate::rng::Rng,
) -> Vec<usize> {
    use rand::RngExt as _;
    labels
        .iter()
        .map(|&l| {
            let (u, v): (f64, f64) = (rng.random(), rng.random());
            if classes > 1 && u < fraction {
                let shift = 1 + ((v * (classes - 1) as f64) as usize).min(classes - 2);
                (l + shift) % classes
            } else {
                l
            }
        })
        .collect()
}

impl TaskSamples for Dataset {
    fn with_labels(&self, labels: Vec<usize>) -> Result<Self, OptimizeError> {
        let n_classes = self.n_classes().unwrap_or(0);
        self.clone()
            .with_targets(Targets::Classes { labels, n_classes })
            .map_err(fail)
    }

    fn labels(&self) -> Result<Vec<usize>, OptimizeError> {
        match self.targets() {
            Targets::Classes { labels, .. } => Ok(labels.clone()),
            Targets::Values { .. } => Err(fail("accuracy needs class labels")),
        }
    }

    fn with_input_noise(
        &self,
        sigma: f64,
        rng: &mut landscape_simulate::rng::Rng,
    ) -> Result<Self, OptimizeError> {
        let mut z = vec![0.0; self.inputs().len()];
        ProbeKind::Gaussian.fill(rng, &mut z);
        let inputs = self
            .inputs()
            .iter()
            .zip(&z)
            .map(|(x, z)| x + sigma * z)
            .collect();
        self.clone().with_inputs(inputs).map_err(fail)
    }
}

/// Loads and splits a task.
///
/// # Errors
/// Data errors (an unreadable `.npz`, non-class targets, fewer than 10 samples).
pub fn load_task(spec: &TaskSpec, seed: u64) -> Result<TaskData, OptimizeError> {
    let full = match spec {
        TaskSpec::Digits => {
            let mut d = edata::digits::digits().map_err(fail)?;
            d.standardize();
            d
        }
        TaskSpec::Npz(path) => {
            let mut d =
                edata::npz::read_npz(path).map_err(|e| OptimizeError::Usage(e.to_string()))?;
            d.standardize();
            d
        }
        TaskSpec::Mixture {
            classes,
            dim,
            samples,
            separation,
        } => data::gaussian_mixture(
            *classes,
            *dim,
            *samples,
            *separation,
            &mut task_rng(seed, DATA_STREAM),
        )
        .map_err(fail)?,
    };
    let classes = full
        .n_classes()
        .ok_or_else(|| OptimizeError::Usage(format!("task {}: needs class labels", spec.name())))?;
    split_task(spec, &full, classes, seed)
}

/// The 60/20/20 split of `full` in the order of [`shuffled_order`].
///
/// # Errors
/// Fewer than 10 samples.
fn split_task<D: SampleSet>(
    spec: &TaskSpec,
    full: &D,
    classes: usize,
    seed: u64,
) -> Result<TaskData<D>, OptimizeError> {
    let n = full.n_samples();
    if n < 10 {
        return Err(OptimizeError::Usage(format!(
            "task {}: {n} samples, need at least 10",
            spec.name()
        )));
    }
    let order = shuffled_order(n, seed);
    let (n_train, n_val) = (n * 3 / 5, n / 5);
    let split = |r: &[usize]| full.subset(r).map_err(fail);
    Ok(TaskData {
        name: spec.name(),
        train: split(&order[..n_train])?,
        validation: split(&order[n_train..n_train + n_val])?,
        test: split(&order[n_train + n_val..])?,
        classes,
    })
}

/// The permutation of `0..n` that splits a task: samples sorted by Gaussian keys from stream `DATA_STREAM + 1`.
pub(crate) fn shuffled_order(n: usize, seed: u64) -> Vec<usize> {
    let mut keys = vec![0.0; n];
    ProbeKind::Gaussian.fill(&mut task_rng(seed, DATA_STREAM + 1), &mut keys);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| keys[i].total_cmp(&keys[j]));
    order
}

/// A fresh tanh/ReLU/… MLP `[dim, hidden…, C]` with PyTorch's default initialization from `seed`.
///
/// # Errors
/// Invalid widths.
pub fn model(
    task: &TaskData,
    hidden: &[usize],
    activation: Activation,
    seed: u64,
) -> Result<NativeMlp, OptimizeError> {
    let mut widths = vec![task.train.sample_len()];
    widths.extend_from_slice(hidden);
    widths.push(task.classes);
    let mlp = Mlp::new(MlpConfig {
        widths,
        activation,
        parameterization: Parameterization::TorchDefault,
        bias: true,
    })
    .map_err(fail)?;
    let params = mlp.init(&mut task_rng(seed, 0));
    NativeMlp::new(mlp, params, Loss::cross_entropy()).map_err(fail)
}

/// One training run's trajectory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trajectory {
    /// `(step, full training loss, training seconds so far)` at every step until the loss target is reached, then
    /// every `eval_every` steps, and at the end.
    pub points: Vec<(usize, f64, f64)>,
    /// The step at which the loss became non-finite, or the first evaluated step whose training loss exceeded
    /// [`DIVERGENCE_FACTOR`] times the initial one.
    pub diverged_at: Option<usize>,
    /// Steps completed.
    pub steps_done: usize,
    /// Training seconds (evaluation excluded).
    pub seconds: f64,
}

/// Trains `model` on `train` with `method` at grid value `value` from `seed`, recording the full training loss
/// every `eval_every` steps, and at every step until it first falls to `loss_target` (when given).
///
/// # Errors
/// Model or data errors other than divergence.
#[allow(clippy::too_many_arguments)]
pub fn run_method<M: CurvatureModel>(
    model: &mut M,
    train_set: &M::Data,
    method: &MethodSpec,
    value: f64,
    steps: usize,
    batch_size: Option<usize>,
    eval_every: usize,
    loss_target: Option<f64>,
    seed: u64,
) -> Result<Trajectory, EmpiricalError> {
    let start = Instant::now();
    let mut excluded = 0.0;
    let mut points = Vec::new();
    // Until the loss target is reached, the training loss is evaluated at every step, so steps to target are
    // resolved to the step; afterwards every `eval_every` steps.
    let mut reached = false;
    let mut observe = |record: &StepRecord, m: &M| -> Result<(), EmpiricalError> {
        let resolving = loss_target.is_some() && !reached;
        if resolving || record.step.is_multiple_of(eval_every) {
            let t0 = Instant::now();
            let loss = m.loss(train_set).unwrap_or(f64::INFINITY);
            let elapsed = start.elapsed().as_secs_f64() - excluded;
            excluded += t0.elapsed().as_secs_f64();
            points.push((record.step, loss, elapsed));
            reached |= loss_target.is_some_and(|t| loss <= t);
        }
        Ok(())
    };
    let outcome = match method.kind {
        MethodKind::Adaptive {
            rule,
            every,
            operator,
        } => {
            let config = AdaptiveConfig {
                rule,
                scale: value,
                operator,
                every,
                steps,
                batch_size,
                seed,
            };
            train_adaptive(model, train_set, &config, None, &mut observe)?.outcome
        }
        kind => {
            let (optimizer, schedule) = match kind {
                MethodKind::Momentum { beta } => {
                    (Optimizer::HeavyBall { beta }, Schedule::Constant)
                }
                MethodKind::Adam {
                    beta1,
                    beta2,
                    epsilon,
                    warmup,
                } => (
                    Optimizer::Adam {
                        beta1,
                        beta2,
                        epsilon,
                    },
                    if warmup > 0 {
                        Schedule::LinearWarmup { steps: warmup }
                    } else {
                        Schedule::Constant
                    },
                ),
                _ => (Optimizer::GradientDescent, Schedule::Constant),
            };
            let config = TrainConfig {
                optimizer,
                learning_rate: value,
                steps,
                batch_size,
                seed,
            };
            train_scheduled(model, train_set, &config, schedule, None, &mut observe)?
        }
    };
    let seconds = start.elapsed().as_secs_f64() - excluded;
    let mut diverged_at = outcome.diverged_at;
    if diverged_at.is_none() {
        let loss = model.loss(train_set).unwrap_or(f64::INFINITY);
        points.push((outcome.steps_done, loss, seconds));
        let initial = points.first().map_or(f64::INFINITY, |p| p.1);
        diverged_at = points
            .iter()
            .find(|p| !(p.1.is_finite() && p.1 <= DIVERGENCE_FACTOR * initial))
            .map(|p| p.0);
    }
    Ok(Trajectory {
        points,
        diverged_at,
        steps_done: outcome.steps_done,
        seconds,
    })
}

/// The fraction of correctly classified samples of `set` at the model's current parameters (a sample whose
/// outputs are not all finite counts as wrong; ties go to the lowest class).
///
/// # Errors
/// Shape errors, or targets that are not class labels.
pub fn accuracy<M: CurvatureModel>(model: &M, set: &M::Data) -> Result<f64, OptimizeError>
where
    M::Data: TaskSamples,
{
    let labels = set.labels()?;
    let logits = model.outputs(set).map_err(fail)?;
    let c = model.n_outputs();
    if logits.len() != labels.len() * c {
        return Err(fail(format!(
            "{} outputs for {} samples of {c} classes",
            logits.len(),
            labels.len()
        )));
    }
    let correct = labels
        .iter()
        .enumerate()
        .filter(|&(i, &label)| {
            let row = &logits[i * c..(i + 1) * c];
            let best = (0..c)
                .max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)))
                .unwrap_or(0);
            best == label && row.iter().all(|v| v.is_finite())
        })
        .count();
    Ok(correct as f64 / labels.len() as f64)
}

/// Accuracy under Gaussian input noise (`σ = input_noise`) and under relative weight noise, each averaged over
/// `draws` draws from streams of `seed`. The model's parameters are restored afterwards.
///
/// # Errors
/// Shape errors.
pub fn robustness<M: CurvatureModel>(
    model: &mut M,
    set: &M::Data,
    input_noise: f64,
    weight_noise: f64,
    draws: usize,
    seed: u64,
) -> Result<(f64, f64), OptimizeError>
where
    M::Data: TaskSamples,
{
    let params = model.params().to_vec();
    let (mut noisy, mut perturbed) = (0.0, 0.0);
    let mut xi = vec![0.0; params.len()];
    for d in 0..draws as u64 {
        let shifted =
            set.with_input_noise(input_noise, &mut task_rng(seed, NOISE_STREAM + 2 * d))?;
        noisy += accuracy(model, &shifted)?;
        ProbeKind::Gaussian.fill(&mut task_rng(seed, NOISE_STREAM + 2 * d + 1), &mut xi);
        let moved: Vec<f64> = params
            .iter()
            .zip(&xi)
            .map(|(p, z)| p * (1.0 + weight_noise * z))
            .collect();
        model.set_params(&moved).map_err(fail)?;
        let result = accuracy(model, set);
        model.set_params(&params).map_err(fail)?;
        perturbed += result?;
    }
    Ok((noisy / draws as f64, perturbed / draws as f64))
}

/// `λ_max` of the Hessian on the first [`SHARPNESS_SAMPLES`] samples of `set` (30 Lanczos steps).
fn sharpness<M: CurvatureModel>(model: &M, set: &M::Data, seed: u64) -> Result<f64, OptimizeError> {
    let sub = set
        .first(set.n_samples().min(SHARPNESS_SAMPLES))
        .map_err(fail)?;
    let op = model
        .curvature_operator(&sub, CurvatureKind::Hessian)
        .map_err(fail)?;
    let top = extreme_eigenpairs(op.as_ref(), 1, End::Top, 30, None, seed).map_err(fail)?;
    Ok(top.values[0])
}

/// One tuning run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TuningPoint {
    /// The grid value (`lr` or `c`).
    pub value: f64,
    /// The final validation loss (`None` if diverged).
    pub validation_loss: Option<f64>,
    /// Whether it diverged.
    pub diverged: bool,
}

/// One evaluation run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedRun {
    /// The evaluation seed.
    pub seed: u64,
    /// The step at which it diverged.
    pub diverged_at: Option<usize>,
    /// The first step whose full training loss is ≤ the target (every step is evaluated until then).
    pub steps_to_target: Option<usize>,
    /// Training seconds until then.
    pub seconds_to_target: Option<f64>,
    /// Final training loss.
    pub train_loss: Option<f64>,
    /// Test loss.
    pub test_loss: Option<f64>,
    /// Test accuracy.
    pub test_accuracy: Option<f64>,
    /// Test accuracy under input noise.
    pub noisy_accuracy: Option<f64>,
    /// Test accuracy under weight perturbation.
    pub perturbed_accuracy: Option<f64>,
    /// Test accuracy after training on labels flipped with probability `label_noise` (`None`: off or diverged).
    pub label_noise_accuracy: Option<f64>,
    /// `λ_max` of the training Hessian at the end.
    pub final_lambda_max: Option<f64>,
    /// Training seconds in all.
    pub seconds: f64,
    /// `(step, training loss)` at every step until the target is reached, then every `eval_every` steps.
    pub curve: Vec<(usize, f64)>,
}

/// Means with 95 % intervals over the runs that did not diverge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Runs in all.
    pub runs: usize,
    /// Runs that diverged.
    pub diverged: usize,
    /// Runs that reached the loss target.
    pub reached_target: usize,
    /// Steps to target (over the runs that reached it).
    pub steps_to_target: Option<MeanCi>,
    /// Seconds to target (over the runs that reached it).
    pub seconds_to_target: Option<MeanCi>,
    /// Test loss.
    pub test_loss: Option<MeanCi>,
    /// Test accuracy.
    pub test_accuracy: Option<MeanCi>,
    /// Accuracy under input noise.
    pub noisy_accuracy: Option<MeanCi>,
    /// Accuracy under weight perturbation.
    pub perturbed_accuracy: Option<MeanCi>,
    /// Accuracy after training on noisy labels.
    pub label_noise_accuracy: Option<MeanCi>,
    /// Final sharpness.
    pub final_lambda_max: Option<MeanCi>,
}

/// One optimizer on one task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodResult {
    /// The optimizer's name.
    pub name: String,
    /// Whether it is curvature-adaptive.
    pub adaptive: bool,
    /// `lr` or `c`.
    pub parameter: &'static str,
    /// The tuning runs.
    pub tuning: Vec<TuningPoint>,
    /// The chosen value (`None` if every grid value diverged).
    pub chosen: Option<f64>,
    /// Whether the chosen value is the smallest or largest of a grid of several values (widen the grid).
    pub chosen_at_grid_edge: bool,
    /// The evaluation runs.
    pub runs: Vec<SeedRun>,
    /// Their summary.
    pub summary: Summary,
}

/// Geometry of one architecture at initialization and after training.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArchitecturePoint {
    /// Hidden widths.
    pub hidden: Vec<usize>,
    /// Depth (hidden layers).
    pub depth: usize,
    /// `P`.
    pub n_params: usize,
    /// The optimizer and value trained with.
    pub trained_with: String,
    /// Geometry at initialization.
    pub init: serde_json::Value,
    /// Geometry after training (`None` if it diverged).
    pub trained: Option<serde_json::Value>,
    /// Test accuracy after training.
    pub test_accuracy: Option<f64>,
}

/// One task's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskResult {
    /// The task.
    pub task: String,
    /// The evaluated model (its description at the tuning seed's initialization).
    pub model: String,
    /// Split sizes (train, validation, test).
    pub splits: (usize, usize, usize),
    /// Classes.
    pub classes: usize,
    /// Every optimizer.
    pub methods: Vec<MethodResult>,
    /// The verdict of the comparison (see [`finding`]).
    pub finding: String,
    /// The architecture study.
    pub architecture: Vec<ArchitecturePoint>,
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptimizeReport {
    /// `landscape`'s version.
    pub version: &'static str,
    /// Its commit.
    pub commit: &'static str,
    /// The configuration file.
    pub config_file: String,
    /// The configuration text.
    pub config: String,
    /// The base seed.
    pub seed: u64,
    /// The tuning seed.
    pub tuning_seed: u64,
    /// The evaluation seeds.
    pub evaluation_seeds: Vec<u64>,
    /// How tuning and evaluation are separated.
    pub protocol: &'static str,
    /// Per task.
    pub tasks: Vec<TaskResult>,
    /// The stability map (`[stability]`).
    pub stability: Option<StabilityMap>,
    /// Wall-clock seconds of the whole evaluation.
    pub seconds: f64,
}

/// The JSON form of a [`Geometry`].
pub fn geometry_json(g: &Geometry) -> serde_json::Value {
    serde_json::json!({
        "operator": g.operator.name(),
        "loss": g.loss,
        "gradient_norm": g.gradient_norm,
        "lambda_max": g.lambda_max.value,
        "lambda_max_residual": g.lambda_max.residual,
        "lambda_min": g.lambda_min.value,
        "lambda_min_residual": g.lambda_min.residual,
        "trace": g.trace.value,
        "trace_stderr": g.trace.stderr,
        "effective_dimension": g.effective_dimension.ratio.value,
        "effective_dimension_stderr": g.effective_dimension.ratio.stderr,
        "outliers": g.outliers.map(|o| o.count),
        "bulk_edge": g.outliers.map(|o| o.bulk_edge),
        "top_overlap": g.top_overlap,
        "random_overlap": g.random_overlap,
        "top": g.top,
    })
}

const PROTOCOL: &str = "60/20/20 train/validation/test split per task; each grid value trained once from the \
tuning seed and scored by its final validation loss (diverged = +inf); the chosen value trained from every \
evaluation seed (distinct from the tuning seed) and judged on the test split; means and 95% Student-t intervals \
over the runs that did not diverge";

/// Runs the whole evaluation of `config`.
///
/// # Errors
/// Data or model failures (divergence is recorded, not an error).
pub fn evaluate(config: &OptimizeConfig) -> Result<OptimizeReport, OptimizeError> {
    let start = Instant::now();
    let tuning_seed = derive_seed(config.seed, TUNING_STREAM);
    let evaluation_seeds: Vec<u64> = (0..config.seeds as u64)
        .map(|i| derive_seed(config.seed, EVAL_STREAM + i))
        .collect();
    let mut tasks = Vec::new();
    for spec in &config.tasks {
        let result = match &config.model {
            None => {
                let task = load_task(spec, config.seed)?;
                let build = |seed: u64| model(&task, &config.hidden, config.activation, seed);
                let mut result =
                    evaluate_task(config, &task, &build, tuning_seed, &evaluation_seeds)?;
                result.architecture = match (
                    config.methods.first(),
                    result.methods.first().and_then(|m| m.chosen),
                    evaluation_seeds.first(),
                ) {
                    (Some(first), Some(value), Some(&seed)) => {
                        architecture_study(config, &task, first, value, seed)?
                    }
                    _ => Vec::new(),
                };
                result
            }
            Some(model_spec) => {
                torch_task(config, spec, model_spec, tuning_seed, &evaluation_seeds)?
            }
        };
        tasks.push(result);
    }
    Ok(OptimizeReport {
        version: env!("CARGO_PKG_VERSION"),
        commit: env!("LANDSCAPE_GIT_COMMIT"),
        config_file: config.file.display().to_string(),
        config: config.text.clone(),
        seed: config.seed,
        tuning_seed,
        evaluation_seeds,
        protocol: PROTOCOL,
        tasks,
        stability: match &config.stability {
            Some(s) => Some(stability_map(s, config.seed)?),
            None => None,
        },
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Tunes and evaluates every optimizer of `config` on one task, with models from `build(seed)`; the architecture
/// study is left empty (the caller adds it for MLPs).
///
/// # Errors
/// A batch larger than the training split; data or model failures.
pub fn evaluate_task<M: CurvatureModel>(
    config: &OptimizeConfig,
    task: &TaskData<M::Data>,
    build: &dyn Fn(u64) -> Result<M, OptimizeError>,
    tuning_seed: u64,
    evaluation_seeds: &[u64],
) -> Result<TaskResult, OptimizeError>
where
    M::Data: TaskSamples,
{
    let n_train = task.train.n_samples();
    if let Some(b) = config.batch_size
        && b > n_train
    {
        return Err(OptimizeError::Usage(format!(
            "{}: batch_size = {b} exceeds the {n_train} training samples of task {}",
            config.file.display(),
            task.name
        )));
    }
    let mut methods = Vec::new();
    for method in &config.methods {
        methods.push(evaluate_method(
            config,
            task,
            build,
            method,
            tuning_seed,
            evaluation_seeds,
        )?);
    }
    Ok(TaskResult {
        task: task.name.clone(),
        model: build(tuning_seed)?.describe(),
        splits: (n_train, task.validation.n_samples(), task.test.n_samples()),
        classes: task.classes,
        finding: finding(&methods),
        methods,
        architecture: Vec::new(),
    })
}

/// A torch model's evaluation on one task (`model = "cnn"` and the like in the configuration).
#[cfg(feature = "torch")]
fn torch_task(
    config: &OptimizeConfig,
    spec: &TaskSpec,
    model_spec: &TorchModelSpec,
    tuning_seed: u64,
    evaluation_seeds: &[u64],
) -> Result<TaskResult, OptimizeError> {
    use landscape_empirical::torch::{Loss as TorchLoss, Objective, Reduction};
    let task = load_task(spec, config.seed)?;
    let objective = Objective {
        loss: TorchLoss::CrossEntropy,
        reduction: Reduction::Mean,
    };
    let build = |seed: u64| {
        torch_network(&model_spec.spec, &task.train, task.classes, objective, seed).map_err(|e| {
            OptimizeError::Usage(format!(
                "task {}, model {}: {e}",
                task.name, model_spec.text
            ))
        })
    };
    evaluate_task(config, &task, &build, tuning_seed, evaluation_seeds)
}

#[cfg(not(feature = "torch"))]
fn torch_task(
    _config: &OptimizeConfig,
    _spec: &TaskSpec,
    model_spec: &TorchModelSpec,
    _tuning_seed: u64,
    _evaluation_seeds: &[u64],
) -> Result<TaskResult, OptimizeError> {
    Err(OptimizeError::Usage(format!(
        "model = \"{}\" runs on the torch backend: build with --features torch (scripts/setup-torch.sh)",
        model_spec.text
    )))
}

/// A CNN, ResNet or TorchScript network on the CPU, initialized from `seed`, in eval mode, for `data`'s sample
/// shape and `classes` outputs.
///
/// # Errors
/// A model spec or file the torch backend rejects.
#[cfg(feature = "torch")]
pub(crate) fn torch_network(
    spec: &landscape_empirical::spec::ModelSpec,
    data: &Dataset,
    classes: usize,
    objective: landscape_empirical::torch::Objective,
    seed: u64,
) -> Result<landscape_empirical::torch::TorchNetwork, OptimizeError> {
    use landscape_empirical::spec::ModelSpec;
    use landscape_empirical::torch::{DeviceSpec, TorchModel, TorchNetwork};
    let usage = |e: &dyn std::fmt::Display| OptimizeError::Usage(e.to_string());
    let shape = data.sample_shape();
    let model = match spec {
        ModelSpec::Cnn { channels } => {
            TorchModel::cnn(channels, shape, classes, seed, DeviceSpec::Cpu)
        }
        ModelSpec::ResNet { depth, width } => {
            TorchModel::resnet(*depth, *width, shape, classes, seed, DeviceSpec::Cpu)
        }
        ModelSpec::Script(path) => TorchModel::torchscript(
            path,
            DeviceSpec::Cpu,
            landscape_empirical::model::Mode::Eval,
        ),
        ModelSpec::Mlp { .. } => {
            return Err(usage(
                &"MLPs run natively: give hidden and activation instead",
            ));
        }
    }
    .map_err(|e| usage(&e))?;
    TorchNetwork::new(model, objective, data).map_err(|e| usage(&e))
}

/// Tunes and evaluates one optimizer on one task.
///
/// # Errors
/// Data or model failures.
pub fn evaluate_method<M: CurvatureModel>(
    config: &OptimizeConfig,
    task: &TaskData<M::Data>,
    build: &dyn Fn(u64) -> Result<M, OptimizeError>,
    method: &MethodSpec,
    tuning_seed: u64,
    evaluation_seeds: &[u64],
) -> Result<MethodResult, OptimizeError>
where
    M::Data: TaskSamples,
{
    let mut tuning = Vec::new();
    for &value in &method.grid {
        let (m, traj) = train_fresh(config, task, build, method, value, tuning_seed)?;
        let validation_loss = if traj.diverged_at.is_some() {
            None
        } else {
            m.loss(&task.validation).ok().filter(|l| l.is_finite())
        };
        tuning.push(TuningPoint {
            value,
            validation_loss,
            diverged: traj.diverged_at.is_some(),
        });
    }
    let chosen = tuning
        .iter()
        .filter_map(|t| t.validation_loss.map(|l| (t.value, l)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(v, _)| v);
    let mut runs = Vec::new();
    if let Some(value) = chosen {
        for &seed in evaluation_seeds {
            runs.push(evaluate_seed(config, task, build, method, value, seed)?);
        }
    }
    let summary = summarize(&runs);
    let (lo, hi) = method
        .grid
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let chosen_at_grid_edge = method.grid.len() > 1 && chosen.is_some_and(|c| c <= lo || c >= hi);
    Ok(MethodResult {
        name: method.name.to_string(),
        adaptive: method.is_adaptive(),
        parameter: method.parameter(),
        tuning,
        chosen,
        chosen_at_grid_edge,
        runs,
        summary,
    })
}

/// A fresh model from `build(seed)` trained on the task's training split with `method` at grid value `value`
/// (minibatches from `seed`).
fn train_fresh<M: CurvatureModel>(
    config: &OptimizeConfig,
    task: &TaskData<M::Data>,
    build: &dyn Fn(u64) -> Result<M, OptimizeError>,
    method: &MethodSpec,
    value: f64,
    seed: u64,
) -> Result<(M, Trajectory), OptimizeError> {
    let mut m = build(seed)?;
    let traj = run_method(
        &mut m,
        &task.train,
        method,
        value,
        config.steps,
        config.batch_size,
        config.eval_every,
        Some(config.loss_target),
        seed,
    )
    .map_err(fail)?;
    Ok((m, traj))
}

fn evaluate_seed<M: CurvatureModel>(
    config: &OptimizeConfig,
    task: &TaskData<M::Data>,
    build: &dyn Fn(u64) -> Result<M, OptimizeError>,
    method: &MethodSpec,
    value: f64,
    seed: u64,
) -> Result<SeedRun, OptimizeError>
where
    M::Data: TaskSamples,
{
    let (mut m, traj) = train_fresh(config, task, build, method, value, seed)?;
    let reached = traj
        .points
        .iter()
        .find(|p| p.1 <= config.loss_target)
        .copied();
    let curve = traj.points.iter().map(|p| (p.0, p.1)).collect();
    let mut run = SeedRun {
        seed,
        diverged_at: traj.diverged_at,
        steps_to_target: reached.map(|p| p.0),
        seconds_to_target: reached.map(|p| p.2),
        train_loss: None,
        test_loss: None,
        test_accuracy: None,
        noisy_accuracy: None,
        perturbed_accuracy: None,
        label_noise_accuracy: None,
        final_lambda_max: None,
        seconds: traj.seconds,
        curve,
    };
    if traj.diverged_at.is_some() {
        return Ok(run);
    }
    run.train_loss = traj.points.last().map(|p| p.1);
    run.test_loss = m.loss(&task.test).ok();
    run.test_accuracy = Some(accuracy(&m, &task.test)?);
    let (noisy, perturbed) = robustness(
        &mut m,
        &task.test,
        config.input_noise,
        config.weight_noise,
        config.perturbation_draws,
        seed,
    )?;
    run.noisy_accuracy = Some(noisy);
    run.perturbed_accuracy = Some(perturbed);
    run.final_lambda_max = sharpness(&m, &task.train, seed).ok();
    if config.label_noise > 0.0 {
        let labels = flip_labels(
            &task.train.labels()?,
            task.classes,
            config.label_noise,
            &mut task_rng(seed, LABEL_NOISE_STREAM),
        );
        let noisy = TaskData {
            train: task.train.with_labels(labels)?,
            ..task.clone()
        };
        let (m, traj) = train_fresh(config, &noisy, build, method, value, seed)?;
        if traj.diverged_at.is_none() {
            run.label_noise_accuracy = Some(accuracy(&m, &task.test)?);
        }
    }
    Ok(run)
}

/// Summarizes runs (diverged runs counted, not averaged).
pub fn summarize(runs: &[SeedRun]) -> Summary {
    let ok: Vec<&SeedRun> = runs.iter().filter(|r| r.diverged_at.is_none()).collect();
    let of = |f: &dyn Fn(&SeedRun) -> Option<f64>| {
        MeanCi::of(&ok.iter().filter_map(|r| f(r)).collect::<Vec<_>>())
    };
    Summary {
        runs: runs.len(),
        diverged: runs.len() - ok.len(),
        reached_target: ok.iter().filter(|r| r.steps_to_target.is_some()).count(),
        steps_to_target: of(&|r| r.steps_to_target.map(|s| s as f64)),
        seconds_to_target: of(&|r| r.seconds_to_target),
        test_loss: of(&|r| r.test_loss),
        test_accuracy: of(&|r| r.test_accuracy),
        noisy_accuracy: of(&|r| r.noisy_accuracy),
        perturbed_accuracy: of(&|r| r.perturbed_accuracy),
        label_noise_accuracy: of(&|r| r.label_noise_accuracy),
        final_lambda_max: of(&|r| r.final_lambda_max),
    }
}

/// The comparison's verdict in words: the best tuned baseline and the best adaptive rule by mean test accuracy,
/// and whether the adaptive rule's interval lies above, overlaps, or lies below the baseline's; likewise for steps
/// to target. States plainly when the adaptive rule does not beat the baseline.
pub fn finding(methods: &[MethodResult]) -> String {
    // The best method of a kind by a summary statistic (`sign` +1: higher is better).
    let best = |adaptive: bool, stat: &dyn Fn(&Summary) -> Option<MeanCi>, sign: f64| {
        methods
            .iter()
            .filter(|m| m.adaptive == adaptive && stat(&m.summary).is_some())
            .max_by(|a, b| {
                let key = |m: &MethodResult| sign * stat(&m.summary).map_or(f64::NAN, |v| v.mean);
                key(a).total_cmp(&key(b))
            })
    };
    let accuracy = |s: &Summary| s.test_accuracy;
    let steps = |s: &Summary| s.steps_to_target;
    let (Some(base), Some(adapt)) = (best(false, &accuracy, 1.0), best(true, &accuracy, 1.0))
    else {
        return "no comparison: need at least one baseline and one adaptive rule that did not diverge"
            .into();
    };
    let compare = |a: Option<MeanCi>, b: Option<MeanCi>, higher_is_better: bool| -> &'static str {
        match (a, b) {
            (Some(a), Some(b)) => {
                let (alo, ahi) = a.interval();
                let (blo, bhi) = b.interval();
                let (better, worse) = if higher_is_better {
                    (alo > bhi, ahi < blo)
                } else {
                    (ahi < blo, alo > bhi)
                };
                if better {
                    "beats"
                } else if worse {
                    "is worse than"
                } else {
                    "does not beat (95% intervals overlap)"
                }
            }
            (None, Some(_)) => "is worse than (never reached the target)",
            (Some(_), None) => "beats (the baseline never reached the target)",
            (None, None) => "ties with (neither reached the target)",
        }
    };
    let fmt = |m: Option<MeanCi>| {
        m.map_or("—".to_string(), |m| {
            format!("{:.4} ± {:.4}", m.mean, m.ci95.unwrap_or(f64::NAN))
        })
    };
    let mut text = format!(
        "test accuracy: the best adaptive rule {} ({}) {} the best tuned baseline {} ({})",
        adapt.name,
        fmt(adapt.summary.test_accuracy),
        compare(
            adapt.summary.test_accuracy,
            base.summary.test_accuracy,
            true
        ),
        base.name,
        fmt(base.summary.test_accuracy),
    );
    let accuracies = |m: &MethodResult| -> Vec<f64> {
        m.runs
            .iter()
            .filter(|r| r.diverged_at.is_none())
            .filter_map(|r| r.test_accuracy)
            .collect()
    };
    if let Some(d) = detectable_difference(&accuracies(adapt), &accuracies(base)) {
        text.push_str(&format!(
            " (power: a two-sided Welch t-test at level 0.05 on these runs detects an accuracy difference of \
             {d:.4} with probability 0.8)"
        ));
    }
    match (best(false, &steps, -1.0), best(true, &steps, -1.0)) {
        (Some(b), Some(a)) => text.push_str(&format!(
            "; steps to the loss target: the fastest adaptive rule {} ({}) {} the fastest baseline {} ({})",
            a.name,
            fmt(a.summary.steps_to_target),
            compare(a.summary.steps_to_target, b.summary.steps_to_target, false),
            b.name,
            fmt(b.summary.steps_to_target),
        )),
        (None, Some(a)) => text.push_str(&format!(
            "; steps to the loss target: only adaptive rules reached it (fastest {})",
            a.name
        )),
        (Some(b), None) => text.push_str(&format!(
            "; steps to the loss target: no adaptive rule reached it (fastest baseline {})",
            b.name
        )),
        (None, None) => text.push_str("; no run reached the loss target"),
    }
    text
}

/// The geometry (Gauss–Newton, on up to [`SHARPNESS_SAMPLES`] training samples) at initialization and after
/// training with `first` at `value`, for each architecture of `config`, from `seed` (the evaluation uses its first
/// optimizer at its chosen value and its first evaluation seed).
///
/// # Errors
/// Model, data or estimator failures (a diverged training run is recorded as `trained: None`).
pub fn architecture_study(
    config: &OptimizeConfig,
    task: &TaskData,
    first: &MethodSpec,
    value: f64,
    seed: u64,
) -> Result<Vec<ArchitecturePoint>, OptimizeError> {
    let sub = task
        .train
        .first(task.train.n_samples().min(SHARPNESS_SAMPLES))
        .map_err(fail)?;
    let geo = GeometryConfig {
        top_k: (2 * task.classes).min(20),
        lanczos_steps: 30,
        trace_matvecs: 30,
        ratio_probes: 20,
        ..GeometryConfig::new(CurvatureKind::GaussNewton, seed)
    };
    let mut out = Vec::new();
    for hidden in &config.architectures {
        let mut m = model(task, hidden, config.activation, seed)?;
        let init = geometry(&m, &sub, &geo).map_err(fail)?;
        let traj = run_method(
            &mut m,
            &task.train,
            first,
            value,
            config.steps,
            config.batch_size,
            config.steps.max(1),
            None,
            seed,
        )
        .map_err(fail)?;
        let (trained, test_accuracy) = if traj.diverged_at.is_none() {
            (
                Some(geometry_json(&geometry(&m, &sub, &geo).map_err(fail)?)),
                Some(accuracy(&m, &task.test)?),
            )
        } else {
            (None, None)
        };
        out.push(ArchitecturePoint {
            hidden: hidden.clone(),
            depth: hidden.len(),
            n_params: m.n_params(),
            trained_with: format!("{} {} = {value}", first.name, first.parameter()),
            init: geometry_json(&init),
            trained,
            test_accuracy,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_noise_flips_the_stated_fraction_to_other_classes() {
        let labels: Vec<usize> = (0..10_000).map(|i| i % 10).collect();
        let rng = || task_rng(5, LABEL_NOISE_STREAM);
        assert_eq!(flip_labels(&labels, 10, 0.0, &mut rng()), labels);
        let all = flip_labels(&labels, 10, 1.0, &mut rng());
        assert!(all.iter().zip(&labels).all(|(a, b)| a != b && *a < 10));
        // Every other class is reached: counts of the shift 1..=9 are Binomial(10⁴, 1/9), sd 31; ±6 sd.
        let mut shifts = [0usize; 10];
        for (a, b) in all.iter().zip(&labels) {
            shifts[(a + 10 - b) % 10] += 1;
        }
        assert!(
            shifts[1..]
                .iter()
                .all(|&c| (c as f64 - 10_000.0 / 9.0).abs() < 6.0 * 31.4),
            "{shifts:?}"
        );
        // A fraction of 0.3: Binomial(10⁴, 0.3), sd 45.8; ±6 sd (false-failure probability below 1e-8).
        let some = flip_labels(&labels, 10, 0.3, &mut rng());
        let flipped = some.iter().zip(&labels).filter(|(a, b)| a != b).count();
        assert!((flipped as f64 - 3000.0).abs() < 6.0 * 45.8, "{flipped}");
    }

    fn run(seed: u64, accuracy: Option<f64>, steps: Option<usize>, diverged: bool) -> SeedRun {
        SeedRun {
            seed,
            diverged_at: diverged.then_some(3),
            steps_to_target: steps,
            seconds_to_target: steps.map(|s| s as f64 * 1e-3),
            train_loss: accuracy.map(|_| 0.1),
            test_loss: accuracy.map(|_| 0.2),
            test_accuracy: accuracy,
            noisy_accuracy: accuracy,
            perturbed_accuracy: accuracy,
            label_noise_accuracy: accuracy,
            final_lambda_max: accuracy.map(|_| 1.0),
            seconds: 0.01,
            curve: vec![],
        }
    }

    fn method(name: &str, adaptive: bool, runs: Vec<SeedRun>) -> MethodResult {
        MethodResult {
            name: name.into(),
            adaptive,
            parameter: if adaptive { "c" } else { "lr" },
            tuning: vec![],
            chosen: Some(1.0),
            chosen_at_grid_edge: false,
            summary: summarize(&runs),
            runs,
        }
    }

    /// A method with two converged runs of (test accuracy, steps to target) `a` and `b`.
    fn two_seeds(name: &str, adaptive: bool, a: (f64, usize), b: (f64, usize)) -> MethodResult {
        method(
            name,
            adaptive,
            vec![
                run(1, Some(a.0), Some(a.1), false),
                run(2, Some(b.0), Some(b.1), false),
            ],
        )
    }

    #[test]
    fn diverged_runs_are_counted_and_never_averaged() {
        let s = summarize(&[
            run(1, Some(0.9), Some(10), false),
            run(2, Some(0.8), None, false),
            run(3, None, None, true),
        ]);
        assert_eq!((s.runs, s.diverged, s.reached_target), (3, 1, 1));
        let acc = s.test_accuracy.unwrap();
        assert_eq!(acc.n, 2);
        assert!((acc.mean - 0.85).abs() < 1e-12);
        assert_eq!(s.steps_to_target.unwrap().n, 1);
    }

    #[test]
    fn the_finding_says_when_an_adaptive_rule_does_not_beat_the_baseline() {
        // Two runs per method: t_{0.975,1} = 12.7, so separated intervals need tightly clustered values.
        let base = two_seeds("adam", false, (0.95, 20), (0.951, 20));
        let worse = two_seeds("inverse_sharpness", true, (0.80, 40), (0.81, 40));
        let text = finding(&[base.clone(), worse]);
        assert!(
            text.contains("inverse_sharpness (0.8050 ± ")
                && text.contains(") is worse than the best tuned baseline adam"),
            "{text}"
        );
        let overlapping = two_seeds("gn_diagonal", true, (0.94, 10), (0.97, 30));
        let text = finding(&[base.clone(), overlapping]);
        assert!(
            text.contains("does not beat (95% intervals overlap)"),
            "{text}"
        );
        let better = two_seeds("gn_diagonal", true, (0.99, 5), (0.991, 5));
        let text = finding(&[base.clone(), better]);
        assert!(
            text.contains(") beats the best tuned baseline adam"),
            "{text}"
        );
        assert!(text.contains("the fastest adaptive rule gn_diagonal (5.0000 ± 0.0000) beats"));
        let all_diverged = method("inverse_trace", true, vec![run(1, None, None, true)]);
        assert!(finding(&[base, all_diverged]).starts_with("no comparison"));
    }
}
