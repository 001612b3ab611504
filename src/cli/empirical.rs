//! `landscape empirical ...`: curvature, training and the landscape experiments on real (trained) networks.
//!
//! This build's backend is the native f64 MLP of `landscape-simulate`; TorchScript models, CNNs, ResNets and CUDA
//! need the `torch` feature and are refused with one line. Every output records the version, the full
//! configuration, the seed, the backend, the device and the model's train/eval mode.
//!
//! One `--seed S` seeds independent streams: the data (`task_rng(S, DATA_STREAM)`), the initialization
//! (`task_rng(S, INIT_STREAM)`, the second model of `connect` `INIT_STREAM + 1`), minibatches, Lanczos starts
//! and probes.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use landscape_empirical::EmpiricalError;
use landscape_empirical::checkpoint::Checkpoint;
use landscape_empirical::experiments::connect::{ConnectConfig, PathProfile, connect};
use landscape_empirical::experiments::overlap::{OverlapConfig, overlap};
use landscape_empirical::experiments::sharpness::{SharpnessConfig, sharpness};
use landscape_empirical::experiments::slice::{SliceConfig, slice_1d, slice_2d};
use landscape_empirical::experiments::spectrum::{SpectrumConfig, curvature_spectrum};
use landscape_empirical::model::{CurvatureKind, CurvatureModel, SampleSet};
use landscape_empirical::native::NativeMlp;
use landscape_empirical::train::{CheckpointConfig, Optimizer, TrainConfig, TrainOutcome, train};
use landscape_simulate::network::{
    Activation, Dataset, Loss, LossKind, Mlp, MlpConfig, Parameterization, Reduction, Targets, data,
};
use landscape_simulate::rng::task_rng;

use super::{CliError, CliResult};

/// The data stream of `--seed`.
const DATA_STREAM: u64 = 0xDA7A;
/// The initialization stream of `--seed` (the second model of `connect` uses the next one).
const INIT_STREAM: u64 = 0x1A17;
/// The default class separation of `gaussian-mixture` (in units of the noise norm).
const DEFAULT_SEPARATION: f64 = 2.0;

#[derive(Debug, Args)]
pub struct EmpiricalArgs {
    #[command(subcommand)]
    command: EmpiricalCommand,
}

/// The model, data, loss and seed every subcommand takes.
#[derive(Debug, Args)]
struct Common {
    /// mlp:widths=64,64[,activation=tanh] (hidden widths; input and output widths come from the data). cnn,
    /// resnet:depth=8 and PATH.pt need the torch feature.
    #[arg(long, default_value = "mlp:widths=64,64")]
    model: String,
    /// gaussian-mixture:classes=10,dim=32,n=2000[,separation=2]. digits and PATH.npz need the empirical data
    /// loaders, not in this build.
    #[arg(long, default_value = "gaussian-mixture:classes=10,dim=32,n=2000")]
    data: String,
    /// cross_entropy or mse (mse against one-hot targets).
    #[arg(long, default_value = "cross_entropy")]
    loss: String,
    /// mean (the default: the loss is the mean over samples) or sum.
    #[arg(long, default_value = "mean")]
    reduction: String,
    /// Use the first N samples only (training set and curvature set).
    #[arg(long)]
    samples: Option<usize>,
    /// Seed of data, initialization, minibatches and probes (independent streams).
    #[arg(long)]
    seed: u64,
    /// cpu, or cuda (needs the torch feature).
    #[arg(long, default_value = "cpu")]
    device: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OptimizerName {
    /// Gradient descent (full batch unless --batch-size).
    Gd,
    /// Gradient descent on minibatches (--batch-size required).
    Sgd,
    /// Heavy-ball momentum (--momentum β).
    Momentum,
    /// Adam (--beta1, --beta2, --epsilon).
    Adam,
}

#[derive(Debug, Args)]
struct Training {
    /// gd, sgd, momentum or adam.
    #[arg(long, value_enum, default_value_t = OptimizerName::Gd)]
    optimizer: OptimizerName,
    /// Learning rate η.
    #[arg(long, allow_hyphen_values = true)]
    lr: f64,
    /// Training steps.
    #[arg(long)]
    steps: usize,
    /// Minibatch size (full batch when absent).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Heavy-ball β.
    #[arg(long, default_value_t = 0.9, allow_hyphen_values = true)]
    momentum: f64,
    /// Adam β₁.
    #[arg(long, default_value_t = 0.9)]
    beta1: f64,
    /// Adam β₂.
    #[arg(long, default_value_t = 0.999)]
    beta2: f64,
    /// Adam ε.
    #[arg(long, default_value_t = 1e-8)]
    epsilon: f64,
}

#[derive(Debug, Args)]
struct Checkpointing {
    /// Checkpoint file (written atomically).
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Write the checkpoint every K steps.
    #[arg(long, default_value_t = 100)]
    checkpoint_every: usize,
    /// Continue from --checkpoint if it exists.
    #[arg(long)]
    resume: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OperatorName {
    /// The loss Hessian.
    Hessian,
    /// The generalized Gauss–Newton matrix.
    Ggn,
}

impl From<OperatorName> for CurvatureKind {
    fn from(op: OperatorName) -> Self {
        match op {
            OperatorName::Hessian => CurvatureKind::Hessian,
            OperatorName::Ggn => CurvatureKind::GaussNewton,
        }
    }
}

#[derive(Debug, Subcommand)]
enum EmpiricalCommand {
    /// Curvature spectrum at initialization (or at --params, a training checkpoint): top/bottom eigenvalues with
    /// residuals, SLQ density, Hutch++ trace, outlier split, optionally G against H.
    #[command(
        after_help = "Example:\n  landscape empirical hessian --model mlp:widths=64,64 --data gaussian-mixture:classes=10,dim=32,n=2000 \
--loss cross_entropy --top-k 20 --probes 10 --steps 80 --samples 1000 --seed 1\n\
Output: {\"n_params\", \"operator\", \"mode\", \"top_eigenvalues\", \"residuals\", \"trace\": {\"estimate\", \"stderr\"}, \
\"density\": {\"nodes\", \"weights\"}, \"outliers\", ...}"
    )]
    Hessian {
        #[command(flatten)]
        common: Common,
        /// hessian or ggn.
        #[arg(long, value_enum, default_value_t = OperatorName::Hessian)]
        operator: OperatorName,
        /// Top eigenvalues (Lanczos).
        #[arg(long, default_value_t = 10)]
        top_k: usize,
        /// Bottom eigenvalues (0: none).
        #[arg(long, default_value_t = 0)]
        bottom_k: usize,
        /// Lanczos steps for the extreme eigenvalues.
        #[arg(long, default_value_t = 100)]
        lanczos_steps: usize,
        /// SLQ probes.
        #[arg(long, default_value_t = 10)]
        probes: usize,
        /// SLQ Lanczos steps per probe.
        #[arg(long, default_value_t = 80)]
        steps: usize,
        /// Hutch++ budget of products.
        #[arg(long, default_value_t = 60)]
        trace_matvecs: usize,
        /// Also report the other operator's top eigenvalues and trace (G against H).
        #[arg(long)]
        compare: bool,
        /// Take the parameters from a training checkpoint (`empirical train --checkpoint`).
        #[arg(long)]
        params: Option<PathBuf>,
    },
    /// Train and report the loss curve; checkpoints make long runs resumable.
    #[command(
        after_help = "Example:\n  landscape empirical train --data gaussian-mixture:classes=4,dim=16,n=400 --model mlp:widths=32 \
--optimizer sgd --batch-size 32 --lr 0.1 --steps 500 --seed 1 --checkpoint run.ckpt --checkpoint-every 100 --resume"
    )]
    Train {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        training: Training,
        #[command(flatten)]
        checkpointing: Checkpointing,
    },
    /// λ_max every K steps against 2/η (gradient descent) or (2+2β)/η (heavy ball): the edge of stability.
    #[command(
        after_help = "Example:\n  landscape empirical sharpness --data gaussian-mixture:classes=4,dim=16,n=400 --model mlp:widths=32 \
--lr 0.5 --steps 1000 --every 20 --seed 1\n\
Output: {\"threshold\", \"points\": [{\"step\", \"loss\", \"lambda_max\", \"residual\", \"ratio\"}], \"late_ratio\", ...}"
    )]
    Sharpness {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        training: Training,
        /// Measure every K steps.
        #[arg(long, default_value_t = 10)]
        every: usize,
        /// Lanczos steps per measurement (warm-started).
        #[arg(long, default_value_t = 30)]
        lanczos_steps: usize,
        /// hessian or ggn.
        #[arg(long, value_enum, default_value_t = OperatorName::Hessian)]
        operator: OperatorName,
    },
    /// The fraction of the gradient in the top-k Hessian eigenspace (k = classes) every K steps.
    #[command(
        after_help = "Example:\n  landscape empirical overlap --data gaussian-mixture:classes=4,dim=16,n=400 --model mlp:widths=32 \
--lr 0.5 --steps 500 --every 25 --seed 1"
    )]
    Overlap {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        training: Training,
        /// Measure every K steps.
        #[arg(long, default_value_t = 10)]
        every: usize,
        /// Subspace dimension (default: the number of classes).
        #[arg(long)]
        k: Option<usize>,
        /// Lanczos steps per measurement.
        #[arg(long, default_value_t = 60)]
        lanczos_steps: usize,
        /// hessian or ggn.
        #[arg(long, value_enum, default_value_t = OperatorName::Hessian)]
        operator: OperatorName,
    },
    /// Mode connectivity: loss (and λ_max) along the line and a trained quadratic Bézier curve between two minima.
    #[command(
        after_help = "Example:\n  landscape empirical connect --data gaussian-mixture:classes=4,dim=16,n=400 --model mlp:widths=32 \
--optimizer momentum --lr 0.1 --steps 500 --curve-steps 1000 --curve-lr 0.5 --seed 1\n\
Output: {\"linear\": {\"t\", \"loss\", \"barrier\"}, \"bezier\": {...}, \"distance\", ...}"
    )]
    Connect {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        training: Training,
        /// Steps of the Bézier control point's training (0: no curve).
        #[arg(long, default_value_t = 1000)]
        curve_steps: usize,
        /// Learning rate of the control point.
        #[arg(long, default_value_t = 0.5, allow_hyphen_values = true)]
        curve_lr: f64,
        /// Also measure λ_max at each of the 51 points, with this many Lanczos steps.
        #[arg(long)]
        lambda_max_steps: Option<usize>,
    },
    /// Filter-normalized 1-D or 2-D loss slice through initialization or a checkpoint (--params).
    #[command(
        after_help = "Example:\n  landscape empirical slice --data gaussian-mixture:classes=4,dim=16,n=400 --model mlp:widths=32 \
--dims 2 --radius 1 --points 21 --seed 1 --params run.ckpt"
    )]
    Slice {
        #[command(flatten)]
        common: Common,
        /// 1 or 2.
        #[arg(long, default_value_t = 1)]
        dims: usize,
        /// The grid spans [−r, r] in units of the filter norms.
        #[arg(long, default_value_t = 1.0)]
        radius: f64,
        /// Grid points per axis.
        #[arg(long, default_value_t = 21)]
        points: usize,
        /// Take the parameters from a training checkpoint.
        #[arg(long)]
        params: Option<PathBuf>,
    },
}

impl From<EmpiricalError> for CliError {
    fn from(err: EmpiricalError) -> Self {
        match err {
            EmpiricalError::Numerical(_) | EmpiricalError::Torch(_) => {
                CliError::Failure(err.to_string())
            }
            EmpiricalError::NonFinite { .. } => CliError::Failure(err.to_string()),
            _ => CliError::Usage(err.to_string()),
        }
    }
}

/// Splits `name:key=v,key=v1,v2` into the name and `(key, value)` pairs; a bare token continues the previous
/// key's comma-separated list (`widths=64,64`).
fn parse_spec(flag: &str, text: &str) -> Result<(String, Vec<(String, String)>), CliError> {
    let (name, rest) = text.split_once(':').unwrap_or((text, ""));
    let mut pairs: Vec<(String, String)> = Vec::new();
    for token in rest.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if let Some((key, value)) = token.split_once('=') {
            pairs.push((key.trim().to_string(), value.trim().to_string()));
        } else if let Some(last) = pairs.last_mut() {
            last.1.push(',');
            last.1.push_str(token);
        } else {
            return Err(CliError::usage(format!(
                "{flag}: `{token}` in `{text}` is not key=value"
            )));
        }
    }
    Ok((name.trim().to_string(), pairs))
}

fn parse_usize(flag: &str, key: &str, value: &str) -> Result<usize, CliError> {
    value.parse::<usize>().map_err(|_| {
        CliError::usage(format!(
            "{flag}: {key}={value} is not a non-negative integer"
        ))
    })
}

/// Loads `--data`, applies `--samples`, and converts labels to one-hot targets for the MSE loss.
fn load_data(common: &Common, loss: Loss) -> Result<Dataset, CliError> {
    let (name, pairs) = parse_spec("--data", &common.data)?;
    let data = match name.as_str() {
        "gaussian-mixture" | "gaussian_mixture" => {
            let (mut classes, mut dim, mut n, mut separation) =
                (None, None, None, DEFAULT_SEPARATION);
            for (key, value) in &pairs {
                match key.as_str() {
                    "classes" => classes = Some(parse_usize("--data", key, value)?),
                    "dim" => dim = Some(parse_usize("--data", key, value)?),
                    "n" => n = Some(parse_usize("--data", key, value)?),
                    "separation" => {
                        separation = value.parse::<f64>().map_err(|_| {
                            CliError::usage(format!("--data: separation={value} is not a number"))
                        })?;
                    }
                    _ => {
                        return Err(CliError::usage(format!(
                            "--data: unknown key `{key}` for gaussian-mixture (classes, dim, n, separation)"
                        )));
                    }
                }
            }
            let missing = |k: &str| {
                CliError::usage(format!(
                    "--data gaussian-mixture needs {k}= (e.g. gaussian-mixture:classes=10,dim=32,n=2000)"
                ))
            };
            let (classes, dim, n) = (
                classes.ok_or_else(|| missing("classes"))?,
                dim.ok_or_else(|| missing("dim"))?,
                n.ok_or_else(|| missing("n"))?,
            );
            if dim == 0 || n == 0 || n > 1_000_000 || dim > 100_000 {
                return Err(CliError::usage(format!(
                    "--data: dim={dim}, n={n}: expected 1 ≤ dim ≤ 100000 and 1 ≤ n ≤ 1000000"
                )));
            }
            data::gaussian_mixture(
                classes,
                dim,
                n,
                separation,
                &mut task_rng(common.seed, DATA_STREAM),
            )?
        }
        "digits" => {
            return Err(CliError::usage(
                "--data digits: the digits loader is not in this build yet; use gaussian-mixture:classes=C,dim=D,n=N",
            ));
        }
        other if other.ends_with(".npz") || other.ends_with(".npy") => {
            return Err(CliError::usage(format!(
                "--data {other}: array files are not supported by this build yet; use gaussian-mixture:classes=C,dim=D,n=N"
            )));
        }
        other => {
            return Err(CliError::usage(format!(
                "--data: unknown data set `{other}`; expected gaussian-mixture:classes=C,dim=D,n=N"
            )));
        }
    };
    let data = match common.samples {
        Some(n) => data.first(n)?,
        None => data,
    };
    if loss.kind() == LossKind::Mse
        && let Targets::Classes(labels) = &data.targets
    {
        let k = labels.iter().max().map_or(1, |m| m + 1);
        let mut y = vec![0.0; labels.len() * k];
        for (i, &c) in labels.iter().enumerate() {
            y[i * k + c] = 1.0;
        }
        return Ok(Dataset::new(data.x, data.n, data.dim, Targets::Real(y, k))?);
    }
    Ok(data)
}

/// The number of outputs the data need.
fn n_outputs(data: &Dataset) -> usize {
    match &data.targets {
        Targets::Classes(labels) => labels.iter().max().map_or(1, |m| m + 1),
        Targets::Real(_, k) => *k,
    }
}

/// Parses `--model` into an MLP architecture for `data`.
fn build_mlp(common: &Common, data: &Dataset) -> Result<Mlp, CliError> {
    let spec = common.model.trim();
    if spec.ends_with(".pt")
        || spec == "cnn"
        || spec.starts_with("cnn:")
        || spec.starts_with("resnet")
    {
        return Err(CliError::usage(format!(
            "--model {spec} requires building with --features torch (libtorch; see scripts/setup-torch.sh)"
        )));
    }
    let (name, pairs) = parse_spec("--model", spec)?;
    if name != "mlp" {
        return Err(CliError::usage(format!(
            "--model: unknown model `{name}`; expected mlp:widths=64,64 (or cnn, resnet:depth=8, PATH.pt with the torch feature)"
        )));
    }
    let mut hidden = Vec::new();
    let mut activation = Activation::Tanh;
    for (key, value) in &pairs {
        match key.as_str() {
            "widths" => {
                hidden = value
                    .split(',')
                    .map(|w| match parse_usize("--model", "widths", w.trim())? {
                        0 => Err(CliError::usage("--model: widths must be ≥ 1")),
                        w if w > 100_000 => Err(CliError::usage(format!(
                            "--model: width {w} is above 100000"
                        ))),
                        w => Ok(w),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "activation" => activation = value.parse()?,
            _ => {
                return Err(CliError::usage(format!(
                    "--model: unknown key `{key}` for mlp (widths, activation)"
                )));
            }
        }
    }
    let mut widths = vec![data.dim];
    widths.extend(hidden);
    widths.push(n_outputs(data));
    Ok(Mlp::new(MlpConfig {
        widths,
        activation,
        parameterization: Parameterization::TorchDefault,
        bias: true,
    })?)
}

fn check_device(common: &Common) -> Result<(), CliError> {
    match common.device.as_str() {
        "cpu" => Ok(()),
        d if d == "cuda" || d.starts_with("cuda:") => Err(CliError::usage(format!(
            "--device {d}: CUDA requires the torch feature (this build has the native CPU backend only)"
        ))),
        d => Err(CliError::usage(format!(
            "--device {d}: expected cpu or cuda"
        ))),
    }
}

fn build_loss(common: &Common) -> Result<Loss, CliError> {
    let kind: LossKind = common.loss.parse()?;
    let reduction: Reduction = common.reduction.parse()?;
    if reduction == Reduction::HalfMeanOverSamples {
        return Err(CliError::usage(
            "--reduction: expected mean (the default) or sum",
        ));
    }
    Ok(Loss::new(kind, reduction)?)
}

/// Data, and a model initialized from stream `INIT_STREAM + init_offset`.
fn setup(common: &Common, init_offset: u64) -> Result<(NativeMlp, Dataset), CliError> {
    check_device(common)?;
    let loss = build_loss(common)?;
    // Parse the model first: a torch-only model is refused before any data are generated.
    if common.model.trim().ends_with(".pt") {
        return Err(CliError::usage(format!(
            "--model {} requires building with --features torch (libtorch; see scripts/setup-torch.sh)",
            common.model.trim()
        )));
    }
    let data = load_data(common, loss)?;
    let mlp = build_mlp(common, &data)?;
    let params = mlp.init(&mut task_rng(common.seed, INIT_STREAM + init_offset));
    Ok((NativeMlp::new(mlp, params, loss)?, data))
}

fn load_params(model: &mut NativeMlp, path: &std::path::Path) -> Result<usize, CliError> {
    let saved = Checkpoint::load(path)?;
    if saved.params.len() != model.n_params() {
        return Err(CliError::usage(format!(
            "--params {}: the checkpoint has {} parameters, the model {}",
            path.display(),
            saved.params.len(),
            model.n_params()
        )));
    }
    model.set_params(&saved.params)?;
    Ok(saved.step)
}

fn train_config(training: &Training, seed: u64) -> Result<TrainConfig, CliError> {
    let optimizer = match training.optimizer {
        OptimizerName::Gd | OptimizerName::Sgd => Optimizer::GradientDescent,
        OptimizerName::Momentum => Optimizer::HeavyBall {
            beta: training.momentum,
        },
        OptimizerName::Adam => Optimizer::Adam {
            beta1: training.beta1,
            beta2: training.beta2,
            epsilon: training.epsilon,
        },
    };
    if training.optimizer == OptimizerName::Sgd && training.batch_size.is_none() {
        return Err(CliError::usage(
            "--optimizer sgd needs --batch-size B (gd is the full-batch method)",
        ));
    }
    Ok(TrainConfig {
        optimizer,
        learning_rate: training.lr,
        steps: training.steps,
        batch_size: training.batch_size,
        seed,
    })
}

fn training_json(training: &Training) -> Value {
    json!({
        "optimizer": format!("{:?}", training.optimizer).to_lowercase(),
        "lr": training.lr,
        "steps": training.steps,
        "batch_size": training.batch_size,
        "momentum": (training.optimizer == OptimizerName::Momentum).then_some(training.momentum),
        "adam": (training.optimizer == OptimizerName::Adam).then(|| json!({
            "beta1": training.beta1, "beta2": training.beta2, "epsilon": training.epsilon
        })),
    })
}

/// The fields every output carries.
fn header(
    command: &str,
    common: &Common,
    model: &NativeMlp,
    data: &Dataset,
    config: Value,
) -> Value {
    json!({
        "command": format!("empirical {command}"),
        "version": env!("CARGO_PKG_VERSION"),
        "backend": "native",
        "device": "cpu",
        "seed": common.seed,
        "mode": model.mode().name(),
        "mode_note": "the native MLP has no dropout or batch norm: train and eval mode compute the same function",
        "model": model.describe(),
        "n_params": model.n_params(),
        "n_samples": data.n,
        "config": {
            "model": common.model,
            "data": common.data,
            "loss": common.loss,
            "reduction": common.reduction,
            "samples": common.samples,
            "device": common.device,
            "command": config,
        },
    })
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}

fn outcome_json(outcome: &TrainOutcome) -> Value {
    json!({
        "steps_done": outcome.steps_done,
        "diverged": outcome.diverged_at.is_some(),
        "diverged_at": outcome.diverged_at,
        "resumed_from": outcome.resumed_from,
        "losses": outcome.losses,
    })
}

/// A loss for JSON: `null` where it overflowed.
fn loss_value(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

fn path_json(path: &PathProfile) -> Value {
    json!({
        "t": path.t,
        "loss": path.loss.iter().map(|&l| loss_value(l)).collect::<Vec<_>>(),
        "lambda_max": path.lambda_max,
        "barrier": path.barrier,
        "t_max": path.t_max,
    })
}

pub fn run(args: EmpiricalArgs) -> CliResult {
    match args.command {
        EmpiricalCommand::Hessian {
            common,
            operator,
            top_k,
            bottom_k,
            lanczos_steps,
            probes,
            steps,
            trace_matvecs,
            compare,
            params,
        } => {
            let (mut model, data) = setup(&common, 0)?;
            let from_step = match &params {
                Some(path) => Some(load_params(&mut model, path)?),
                None => None,
            };
            let config = SpectrumConfig {
                operator: operator.into(),
                top_k,
                bottom_k,
                lanczos_steps,
                probes,
                slq_steps: steps,
                trace_matvecs,
                seed: common.seed,
                compare,
            };
            let report = curvature_spectrum(&model, &data, &config)?;
            let loss = model.loss(&data)?;
            let head = header(
                "hessian",
                &common,
                &model,
                &data,
                json!({
                    "operator": report.operator.name(), "top_k": top_k, "bottom_k": bottom_k,
                    "lanczos_steps": lanczos_steps, "probes": probes, "steps": steps,
                    "trace_matvecs": trace_matvecs, "compare": compare,
                    "params": params.as_ref().map(|p| p.display().to_string()), "params_step": from_step,
                }),
            );
            Ok(merge(
                head,
                json!({
                    "operator": report.operator.name(),
                    "loss": loss,
                    "top_eigenvalues": report.top.values,
                    "residuals": report.top.residuals,
                    "bottom_eigenvalues": report.bottom.values,
                    "bottom_residuals": report.bottom.residuals,
                    "trace": {"estimate": report.trace.estimate, "stderr": report.trace.stderr},
                    "density": {"nodes": report.density_nodes, "weights": report.density_weights},
                    "outliers": report.outliers.map(|o| json!({
                        "count": o.count, "n_classes": o.n_classes, "gap_ratio": o.gap_ratio,
                        "bulk_edge": o.bulk_edge,
                        "method": "eigenvalues above the largest ratio gap among the top-k (heuristic; take k ≥ 2C)",
                    })),
                    "comparison": report.comparison.map(|c| json!({
                        "operator": c.operator.name(),
                        "top_eigenvalues": c.top.values,
                        "residuals": c.top.residuals,
                        "trace": {"estimate": c.trace.estimate, "stderr": c.trace.stderr},
                    })),
                    "n_matvecs": report.n_matvecs,
                }),
            ))
        }
        EmpiricalCommand::Train {
            common,
            training,
            checkpointing,
        } => {
            let (mut model, data) = setup(&common, 0)?;
            let config = train_config(&training, common.seed)?;
            let ck = checkpointing
                .checkpoint
                .as_ref()
                .map(|path| CheckpointConfig {
                    path: path.clone(),
                    every: checkpointing.checkpoint_every,
                    resume: checkpointing.resume,
                });
            if checkpointing.resume && ck.is_none() {
                return Err(CliError::usage("--resume needs --checkpoint PATH"));
            }
            let initial_loss = model.loss(&data)?;
            let outcome = train(&mut model, &data, &config, ck.as_ref(), &mut |_, _| Ok(()))?;
            let final_loss = model.loss(&data).map_or(Value::Null, loss_value);
            let head = header(
                "train",
                &common,
                &model,
                &data,
                json!({
                    "training": training_json(&training),
                    "checkpoint": checkpointing.checkpoint.as_ref().map(|p| p.display().to_string()),
                    "checkpoint_every": checkpointing.checkpoint_every,
                    "resume": checkpointing.resume,
                }),
            );
            Ok(merge(
                merge(head, outcome_json(&outcome)),
                json!({"initial_loss": initial_loss, "final_loss": final_loss}),
            ))
        }
        EmpiricalCommand::Sharpness {
            common,
            training,
            every,
            lanczos_steps,
            operator,
        } => {
            let (mut model, data) = setup(&common, 0)?;
            let config = SharpnessConfig {
                train: train_config(&training, common.seed)?,
                every,
                lanczos_steps,
                operator: operator.into(),
            };
            let result = sharpness(&mut model, &data, &config, None)?;
            let head = header(
                "sharpness",
                &common,
                &model,
                &data,
                json!({
                    "training": training_json(&training), "every": every,
                    "lanczos_steps": lanczos_steps, "operator": config.operator.name(),
                }),
            );
            Ok(merge(
                merge(head, outcome_json(&result.outcome)),
                json!({
                    "threshold": result.threshold,
                    "threshold_formula": match config.train.optimizer {
                        Optimizer::GradientDescent => Some("2/lr"),
                        Optimizer::HeavyBall { .. } => Some("(2+2*momentum)/lr"),
                        Optimizer::Adam { .. } => None,
                    },
                    "late_ratio": result.late_ratio(),
                    "points": result.points.iter().map(|p| json!({
                        "step": p.step, "loss": p.loss, "lambda_max": p.lambda_max,
                        "residual": p.residual, "ratio": p.ratio,
                    })).collect::<Vec<_>>(),
                }),
            ))
        }
        EmpiricalCommand::Overlap {
            common,
            training,
            every,
            k,
            lanczos_steps,
            operator,
        } => {
            let (mut model, data) = setup(&common, 0)?;
            let config = OverlapConfig {
                train: train_config(&training, common.seed)?,
                every,
                k,
                lanczos_steps,
                operator: operator.into(),
            };
            let result = overlap(&mut model, &data, &config, None)?;
            let head = header(
                "overlap",
                &common,
                &model,
                &data,
                json!({
                    "training": training_json(&training), "every": every, "k": k,
                    "lanczos_steps": lanczos_steps, "operator": config.operator.name(),
                }),
            );
            Ok(merge(
                merge(head, outcome_json(&result.outcome)),
                json!({
                    "k": result.k,
                    "random_baseline": result.random_baseline,
                    "points": result.points.iter().map(|p| json!({
                        "step": p.step, "loss": p.loss, "overlap": p.overlap,
                        "top_eigenvalues": p.top_eigenvalues, "max_residual": p.max_residual,
                    })).collect::<Vec<_>>(),
                }),
            ))
        }
        EmpiricalCommand::Connect {
            common,
            training,
            curve_steps,
            curve_lr,
            lambda_max_steps,
        } => {
            let (mut a, data) = setup(&common, 0)?;
            let (mut b, _) = setup(&common, 1)?;
            let config = ConnectConfig {
                train: train_config(&training, common.seed)?,
                curve_steps,
                curve_learning_rate: curve_lr,
                lambda_max_steps,
            };
            let result = connect(&mut a, &mut b, &data, &config)?;
            let head = header(
                "connect",
                &common,
                &a,
                &data,
                json!({
                    "training": training_json(&training), "curve_steps": curve_steps,
                    "curve_lr": curve_lr, "lambda_max_steps": lambda_max_steps,
                }),
            );
            Ok(merge(
                head,
                json!({
                    "endpoint_losses": [a.loss(&data)?, b.loss(&data)?],
                    "distance": result.distance,
                    "linear": path_json(&result.linear),
                    "bezier": result.bezier.as_ref().map(path_json),
                    "curve_losses": result.curve_losses,
                    "barrier_definition": "max over 51 points of L(t) - (L(0) + L(1))/2",
                }),
            ))
        }
        EmpiricalCommand::Slice {
            common,
            dims,
            radius,
            points,
            params,
        } => {
            let (mut model, data) = setup(&common, 0)?;
            if let Some(path) = &params {
                load_params(&mut model, path)?;
            }
            let config = SliceConfig {
                radius,
                points,
                seed: common.seed,
            };
            let center_loss = model.loss(&data)?;
            let body = match dims {
                1 => {
                    let s = slice_1d(&mut model, &data, &config)?;
                    json!({"alphas": s.alphas, "losses": s.losses.iter().map(|&l| loss_value(l)).collect::<Vec<_>>()})
                }
                2 => {
                    let s = slice_2d(&mut model, &data, &config)?;
                    json!({
                        "alphas": s.alphas,
                        "losses": s.losses.iter().map(|row| row.iter().map(|&l| loss_value(l)).collect::<Vec<_>>()).collect::<Vec<_>>(),
                    })
                }
                d => {
                    return Err(CliError::usage(format!("--dims {d}: expected 1 or 2")));
                }
            };
            let head = header(
                "slice",
                &common,
                &model,
                &data,
                json!({
                    "dims": dims, "radius": radius, "points": points,
                    "params": params.as_ref().map(|p| p.display().to_string()),
                    "normalization": "filter (one row of a weight matrix); biases not perturbed",
                }),
            );
            Ok(merge(
                merge(head, json!({"center_loss": center_loss})),
                body,
            ))
        }
    }
}
