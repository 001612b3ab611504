//! `landscape empirical ...`: curvature, training and the landscape experiments on real (trained) networks.
//!
//! Two backends behind one [`CurvatureModel`] interface, so every command body is written once: the native f64
//! MLP of `landscape-simulate`, and (cargo feature `torch`) libtorch through tch for MLPs, the small CNN and
//! ResNet and any TorchScript module, on the CPU or CUDA. `--backend auto` takes native for an MLP on the CPU and
//! torch otherwise; without the feature, torch-only models and CUDA are refused with one line. Both backends see
//! the same `f32` data and, for MLPs, the same initial weights, so they agree to rounding. Every output records
//! the version, the full configuration, the seed, the backend, the device and the model's train/eval mode.
//!
//! One `--seed S` seeds independent streams: the data (`task_rng(S, stream::CLI_DATA)`, in `DataSpec::load`), the initialization
//! (`task_rng(S, INIT_STREAM)`, the second model of `connect` `INIT_STREAM + 1`), minibatches, Lanczos starts
//! and probes.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use landscape_empirical::EmpiricalError;
use landscape_empirical::checkpoint::Checkpoint;
use landscape_empirical::data::Dataset;
use landscape_empirical::experiments::connect::{ConnectConfig, PathProfile, connect};
use landscape_empirical::experiments::overlap::{OverlapConfig, overlap};
use landscape_empirical::experiments::sharpness::{SharpnessConfig, sharpness};
use landscape_empirical::experiments::slice::{SliceConfig, slice_1d, slice_2d};
use landscape_empirical::experiments::spectrum::{EigenValues, SpectrumConfig, curvature_spectrum};
use landscape_empirical::model::{CurvatureKind, CurvatureModel, SampleSet};
use landscape_empirical::native::NativeMlp;
use landscape_empirical::spec::{self, DataSpec, ModelSpec};
use landscape_empirical::train::{CheckpointConfig, Optimizer, TrainConfig, TrainOutcome, train};
use landscape_simulate::network::{Loss, LossKind, Mlp, Reduction};
use landscape_simulate::rng::task_rng;

use super::args::named;
use super::{CliError, CliResult};

/// The initialization stream of `--seed` (the second model of `connect` uses the next one).
const INIT_STREAM: u64 = landscape_simulate::rng::stream::CLI_INIT;

#[derive(Debug, Args)]
pub struct EmpiricalArgs {
    #[command(subcommand)]
    command: EmpiricalCommand,
}

/// The model, data, loss and seed every subcommand takes.
#[derive(Debug, Clone, Args)]
struct Common {
    /// mlp:widths=64,64[,activation=tanh] (hidden widths; input and output widths come from the data),
    /// cnn[:channels=8,16], resnet[:depth=8][,width=16] (image data: digits are 1x8x8), or PATH.pt / PATH.pth (a
    /// TorchScript module saved with torch.jit.script or torch.jit.trace; its outputs must cover the labels). cnn,
    /// resnet and model files need the torch feature.
    #[arg(long, default_value = "mlp:widths=64,64")]
    model: String,
    /// digits[:whiten=true,normalize=true] (UCI handwritten digits, standardised; or PCA-whitened to 61
    /// dimensions, optionally each sample rescaled to ‖x‖² = dim), PATH.npz (x [n, ...] of any float or
    /// integer dtype, y integer labels [n] or [n, 1] or float targets; conversions are recorded in data_set), or gaussian-mixture:classes=10,dim=32,n=2000[,separation=2].
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
    /// For a TorchScript module whose forward returns several values: a tuple/list index or a dict key. By default
    /// a tensor is taken as is, a tuple's first tensor, a dict's `logits` or its only tensor; the choice is
    /// recorded in the output's model description.
    #[arg(long, default_value = "auto")]
    output: String,
    /// Seed of data, initialization, minibatches, probes and Lanczos starts (independent streams); 0 unless given,
    /// and recorded in every output either way.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// cpu, cuda or cuda:N (CUDA needs the torch feature and a GPU).
    #[arg(long, default_value = "cpu")]
    device: String,
    /// f64 (the default) or f32: the dtype of the model's parameters, inputs and curvature products (torch backend;
    /// the estimators stay in f64). f32 is PyTorch's fast path: its products resolve eigenpairs to a relative
    /// residual of about 1e-6, so Lanczos tolerances below 3e-5 are raised to that (recorded as lanczos.top.tol).
    #[arg(long, default_value = "f64")]
    dtype: String,
    /// auto (native for an mlp on the cpu with f64, torch otherwise), native, or torch (needs the torch feature).
    #[arg(long, value_enum, default_value_t = BackendName::Auto)]
    backend: BackendName,
    /// eval (module.eval(), the default) or train: the mode of a TorchScript module (dropout, batch norm); the
    /// built-in models have no mode-dependent layer.
    #[arg(long, value_enum, default_value_t = ModeName::Eval)]
    mode: ModeName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendName {
    /// native for an mlp on the cpu, torch otherwise.
    Auto,
    /// The f64 MLP of landscape-simulate (mlp on the cpu only).
    Native,
    /// libtorch through tch (every model, cpu or cuda).
    Torch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeName {
    /// module.eval()
    Eval,
    /// module.train()
    Train,
}

impl From<ModeName> for landscape_empirical::model::Mode {
    fn from(mode: ModeName) -> Self {
        match mode {
            ModeName::Eval => Self::Eval,
            ModeName::Train => Self::Train,
        }
    }
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

#[derive(Debug, Clone, Args)]
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

#[derive(Debug, Clone, Args)]
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

/// What `empirical hessian --compare` compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CompareWith {
    /// The other operator (G against H).
    Operator,
    /// The NTK law of the architecture (MLPs).
    Ntk,
}

/// The largest `n·outputs` for `--compare ntk` (a dense eigendecomposition of that size: ~30 s at 4000).
const NTK_COMPARE_MAX: usize = 4000;

#[derive(Debug, Clone, Subcommand)]
enum EmpiricalCommand {
    /// Curvature spectrum of the model as given (a TorchScript file's own weights, a built-in model at its seeded
    /// initialization, or --params, a training checkpoint): top/bottom eigenvalues with residuals, SLQ density,
    /// Hutch++ trace, outlier split, optionally G against H.
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
        #[arg(long, value_parser = named::<CurvatureKind>(), default_value_t = CurvatureKind::Hessian)]
        operator: CurvatureKind,
        /// Top eigenvalues (Lanczos).
        #[arg(long, default_value_t = 10)]
        top_k: usize,
        /// Bottom eigenvalues (0: none).
        #[arg(long, default_value_t = 0)]
        bottom_k: usize,
        /// Cap on the Lanczos products of each extreme-eigenvalue run. A cap, not a schedule: a run stops when its
        /// pairs have converged to --tol; the JSON's `lanczos` says how many products it took and whether it
        /// converged.
        #[arg(long, default_value_t = 1000)]
        lanczos_steps: usize,
        /// Relative residual tolerance of the extreme eigenpairs: ‖Av − θv‖ ≤ tol·‖A‖ (‖A‖ estimated by the
        /// largest |θ|); it bounds the eigenvalue error relative to ‖A‖.
        #[arg(long, default_value_t = landscape_empirical::experiments::eigenpairs::DEFAULT_EIGENPAIR_TOL)]
        tol: f64,
        /// SLQ probes.
        #[arg(long, default_value_t = 10)]
        probes: usize,
        /// SLQ Lanczos steps per probe.
        #[arg(long, default_value_t = 80)]
        steps: usize,
        /// Hutch++ budget of products.
        #[arg(long, default_value_t = 60)]
        trace_matvecs: usize,
        /// `--compare` (or `--compare operator`): also report the other operator's top eigenvalues and trace (G
        /// against H). `--compare ntk`: compare the Gauss–Newton spectrum with the NTK law predicted for the MLP
        /// (KS, W1, edge errors, outliers; dense, so n·outputs ≤ 4000 — use --samples).
        #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "operator")]
        compare: Option<CompareWith>,
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
        /// Cap on Lanczos products per measurement (warm-started; a run stops when λ_max has converged, and each
        /// point reports `n_matvecs` and `converged`).
        #[arg(long, default_value_t = 200)]
        lanczos_steps: usize,
        /// hessian or ggn.
        #[arg(long, value_parser = named::<CurvatureKind>(), default_value_t = CurvatureKind::Hessian)]
        operator: CurvatureKind,
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
        /// Cap on Lanczos products per measurement (a run stops when the top-k pairs have converged; each point
        /// reports `n_matvecs` and `n_converged`).
        #[arg(long, default_value_t = 500)]
        lanczos_steps: usize,
        /// hessian or ggn.
        #[arg(long, value_parser = named::<CurvatureKind>(), default_value_t = CurvatureKind::Hessian)]
        operator: CurvatureKind,
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
    /// Filter-normalized 1-D or 2-D loss slice through the model as given (a TorchScript file's weights, a built-in
    /// model at its seeded initialization) or a checkpoint (--params).
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

/// Any error while reading or validating user input (data files, model files, shapes, labels, NaN in data):
/// bad input, exit code 2, whatever its kind.
fn bad_input(err: EmpiricalError) -> CliError {
    CliError::Usage(err.to_string())
}

/// Loads `--data` (`landscape_empirical::spec::DataSpec`), applies `--samples`, and converts labels to one-hot
/// targets for the MSE loss.
fn load_data(common: &Common, mse: bool) -> Result<Dataset, CliError> {
    let spec: DataSpec = common
        .data
        .parse()
        .map_err(|e| CliError::usage(format!("--data: {e}")))?;
    let data = spec.load(common.seed).map_err(bad_input)?;
    let data = match common.samples {
        Some(n) => data.head(n).map_err(|e| bad_input(e.into()))?,
        None => data,
    };
    if mse {
        return spec::one_hot(data).map_err(bad_input);
    }
    spec::float_labels_as_classes(data).map_err(bad_input)
}

/// Parses `--dtype` (`landscape_empirical::spec::Precision`).
fn parse_dtype(common: &Common) -> Result<spec::Precision, CliError> {
    common
        .dtype
        .parse()
        .map_err(|e: spec::SpecError| CliError::usage(e.to_string()))
}

/// Parses `--output` (`landscape_empirical::spec::OutputSelect`).
fn parse_output(text: &str) -> Result<spec::OutputSelect, CliError> {
    text.parse()
        .map_err(|e: spec::SpecError| CliError::usage(e.to_string()))
}

/// Parses `--model` (`landscape_empirical::spec::ModelSpec`); a model file must be a TorchScript archive (a state
/// dict, a pickled module or an export archive is named as such, with how to save TorchScript instead), and that
/// is said before whether this build can run it.
fn parse_model(text: &str) -> Result<ModelSpec, CliError> {
    let spec: ModelSpec = text
        .parse()
        .map_err(|e| CliError::usage(format!("--model: {e}")))?;
    // A missing file is reported where it is opened (or, in a build without torch, that torch is needed).
    if let ModelSpec::Script(path) = &spec
        && path.is_file()
    {
        landscape_empirical::model_file::require_torchscript(path)
            .map_err(|e| CliError::usage(format!("--model: {e}")))?;
    }
    Ok(spec)
}

/// The backend that runs a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    /// The f64 MLP of `landscape-simulate`.
    Native,
    /// libtorch through tch.
    Torch,
}

/// `--backend`: auto picks native for an MLP on the CPU and torch otherwise.
fn resolve_backend(common: &Common, spec: &ModelSpec) -> Result<Engine, CliError> {
    let cpu = common.device.trim() == "cpu";
    let f64 = parse_dtype(common)? == spec::Precision::F64;
    let engine = match common.backend {
        BackendName::Auto if spec.is_mlp() && cpu && f64 => Engine::Native,
        BackendName::Auto | BackendName::Torch => Engine::Torch,
        BackendName::Native if !spec.is_mlp() => {
            return Err(CliError::usage(format!(
                "--backend native serves mlp models only; --model {} needs --backend torch (or auto)",
                common.model.trim()
            )));
        }
        BackendName::Native if !cpu => {
            return Err(CliError::usage(format!(
                "--backend native runs on the cpu only; --device {} needs --backend torch (or auto)",
                common.device.trim()
            )));
        }
        BackendName::Native if !f64 => {
            return Err(CliError::usage(format!(
                "--backend native computes in f64 only; --dtype {} needs --backend torch (or auto)",
                common.dtype.trim()
            )));
        }
        BackendName::Native => Engine::Native,
    };
    if engine == Engine::Torch {
        landscape_empirical::require_torch(format!(
            "--model {} (backend torch)",
            common.model.trim()
        ))
        .map_err(bad_input)?;
    }
    Ok(engine)
}

/// Without the torch feature only the CPU exists.
#[cfg(not(feature = "torch"))]
fn check_device(common: &Common) -> Result<(), CliError> {
    match common.device.trim() {
        "cpu" => Ok(()),
        d if d == "cuda" || d.starts_with("cuda:") => Err(CliError::usage(format!(
            "--device {d}: CUDA requires the torch feature (this build has the native CPU backend only)"
        ))),
        d => Err(CliError::usage(format!(
            "--device {d}: expected cpu, cuda or cuda:N"
        ))),
    }
}

#[cfg(feature = "torch")]
fn check_device(common: &Common) -> Result<(), CliError> {
    common
        .device
        .trim()
        .parse::<landscape_empirical::torch::DeviceSpec>()
        .map(|_| ())
        .map_err(bad_input)
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

/// The initial parameters of an MLP from stream `INIT_STREAM + init_offset` (both backends draw the same).
fn mlp_init(mlp: &Mlp, common: &Common, init_offset: u64) -> Vec<f64> {
    mlp.init(&mut task_rng(common.seed, INIT_STREAM + init_offset))
}

/// A native MLP for `data`, initialized from stream `INIT_STREAM + init_offset`.
fn native_model(
    common: &Common,
    spec: &ModelSpec,
    loss: Loss,
    data: &Dataset,
    init_offset: u64,
) -> Result<NativeMlp, CliError> {
    let ModelSpec::Mlp { .. } = spec else {
        return Err(CliError::usage("--backend native serves mlp models only"));
    };
    let mlp = spec.native_mlp(data)?;
    let params = mlp_init(&mlp, common, init_offset);
    Ok(NativeMlp::new(mlp, params, loss)?)
}

/// A libtorch model for `data` on `--device`, initialized from stream `INIT_STREAM + init_offset` (MLPs draw the
/// native backend's initialization, so both backends start from the same weights), in `--mode`.
#[cfg(feature = "torch")]
fn torch_model(
    common: &Common,
    spec: &ModelSpec,
    data: &Dataset,
    init_offset: u64,
) -> Result<landscape_empirical::torch::TorchNetwork, CliError> {
    use landscape_empirical::torch::{
        DeviceSpec, Loss as TorchLoss, Objective, Reduction as TorchReduction, TorchModel,
        TorchNetwork,
    };
    let device: DeviceSpec = common.device.trim().parse().map_err(bad_input)?;
    let seed = landscape_simulate::rng::derive_seed(common.seed, INIT_STREAM + init_offset);
    let mut model = match spec {
        ModelSpec::Mlp { activation, .. } => {
            let mlp = spec.native_mlp(data)?;
            let mut m =
                TorchModel::mlp(mlp.widths(), *activation, seed, device).map_err(bad_input)?;
            m.set_flat_parameters(&mlp_init(&mlp, common, init_offset))
                .map_err(bad_input)?;
            m
        }
        ModelSpec::Cnn { channels } => TorchModel::cnn(
            channels,
            data.sample_shape(),
            spec::n_outputs(data),
            seed,
            device,
        )
        .map_err(bad_input)?,
        ModelSpec::ResNet { depth, width } => TorchModel::resnet(
            *depth,
            *width,
            data.sample_shape(),
            spec::n_outputs(data),
            seed,
            device,
        )
        .map_err(bad_input)?,
        ModelSpec::Script(path) => {
            if init_offset > 0 {
                return Err(CliError::usage(format!(
                    "--model {}: connect needs two independently initialized models, a TorchScript file gives one",
                    path.display()
                )));
            }
            let output = parse_output(&common.output)?;
            TorchModel::torchscript(path, device, common.mode.into())
                .map_err(bad_input)?
                .with_output(output)
        }
    };
    model.set_mode(common.mode.into());
    model
        .set_precision(parse_dtype(common)?)
        .map_err(bad_input)?;
    model.check_train_mode(data).map_err(bad_input)?;
    let loss: TorchLoss = common.loss.parse().map_err(bad_input)?;
    let reduction = match common.reduction.as_str() {
        "mean" => TorchReduction::Mean,
        "sum" => TorchReduction::Sum,
        other => {
            return Err(CliError::usage(format!(
                "--reduction {other}: expected mean (the default) or sum"
            )));
        }
    };
    TorchNetwork::new(model, Objective { loss, reduction }, data).map_err(bad_input)
}

fn load_params<M: CurvatureModel>(
    model: &mut M,
    path: &std::path::Path,
) -> Result<usize, CliError> {
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

/// What every output records about where it ran.
struct RunInfo<'a> {
    /// `"native"` or `"torch"`.
    backend: &'static str,
    /// `"cpu"` or `"cuda:N"`.
    device: String,
    /// Why the mode does or does not matter for this model.
    mode_note: &'static str,
    /// The dtype of the model's products (`float64` or `float32`).
    dtype: &'static str,
    /// The data set's name as read, with any conversion noted (float64 or integer inputs, float labels).
    data_set: String,
    /// `--compare ntk`: the comparison at the given flat parameters (PyTorch layout, as both backends use), or why
    /// there is none for this model.
    ntk: NtkHook<'a>,
}

impl std::fmt::Debug for RunInfo<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunInfo")
            .field("backend", &self.backend)
            .field("device", &self.device)
            .field("ntk", &self.ntk.as_ref().map(|_| "hook"))
            .finish()
    }
}

/// The NTK comparison of `--compare ntk` at a parameter vector, or the one-line reason it does not apply.
type NtkHook<'a> = Result<Box<dyn Fn(&[f64]) -> Result<Value, CliError> + 'a>, String>;

/// The `--compare ntk` hook for `spec` on `data`: MLPs only, `n·outputs ≤` [`NTK_COMPARE_MAX`].
fn ntk_hook<'a>(spec: &ModelSpec, data: &'a Dataset, loss: Loss) -> Result<NtkHook<'a>, CliError> {
    let ModelSpec::Mlp { .. } = spec else {
        return Ok(Err(
            "--compare ntk: the NTK law is predicted for MLPs (--model mlp:widths=...), not for this model".into(),
        ));
    };
    let mlp = spec.native_mlp(data)?;
    let size = data.n_samples() * mlp.n_outputs();
    if size > NTK_COMPARE_MAX {
        return Ok(Err(format!(
            "--compare ntk: n·outputs = {} × {} = {size} is above {NTK_COMPARE_MAX} (the Gauss–Newton spectrum is computed densely); use --samples N",
            data.n_samples(),
            mlp.n_outputs()
        )));
    }
    let native = data.clone();
    Ok(Ok(Box::new(move |params: &[f64]| {
        crate::simulation::gauss_newton_vs_ntk(&mlp, params, &native, loss)
            .map_err(|e| CliError::Failure(format!("--compare ntk: {e}")))
    })))
}

/// The fields every output carries.
fn header<M: CurvatureModel>(
    command: &str,
    common: &Common,
    run: &RunInfo<'_>,
    model: &M,
    data: &M::Data,
    config: Value,
) -> Value {
    json!({
        "command": format!("empirical {command}"),
        "version": env!("CARGO_PKG_VERSION"),
        "backend": run.backend,
        "device": run.device,
        "seed": common.seed,
        "mode": model.mode().name(),
        "mode_note": run.mode_note,
        "dtype": run.dtype,
        "model": model.describe(),
        "n_params": model.n_params(),
        "n_outputs": model.n_outputs(),
        "n_samples": data.n_samples(),
        "data_set": run.data_set,
        "config": {
            "model": common.model,
            "data": common.data,
            "loss": common.loss,
            "reduction": common.reduction,
            "samples": common.samples,
            "device": common.device,
            "backend": format!("{:?}", common.backend).to_lowercase(),
            "mode": format!("{:?}", common.mode).to_lowercase(),
            "dtype": common.dtype,
            "command": config,
        },
    })
}

/// How one Lanczos run ended: products, restarts, per-pair convergence and the reason it stopped.
fn lanczos_json(values: &EigenValues) -> Value {
    json!({
        "n_matvecs": values.n_matvecs,
        "restarts": values.restarts,
        "converged": values.converged,
        "stopped": values.stopped.map(|s| s.to_string()),
        "tol": values.tol,
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

/// Runs one command on one backend: the bodies know only [`CurvatureModel`]. `build(i)` returns the model with
/// the `i`-th initialization (the second model of `connect` is `build(1)`).
fn execute<M: CurvatureModel>(
    command: &EmpiricalCommand,
    run: &RunInfo<'_>,
    data: &M::Data,
    build: &dyn Fn(u64) -> Result<M, CliError>,
) -> CliResult {
    match command.clone() {
        EmpiricalCommand::Hessian {
            common,
            operator,
            top_k,
            bottom_k,
            lanczos_steps,
            tol,
            probes,
            steps,
            trace_matvecs,
            compare,
            params,
        } => {
            if !(tol.is_finite() && tol > 0.0) {
                return Err(CliError::usage(format!(
                    "invalid --tol {tol}: expected a positive finite relative tolerance (e.g. 1e-8)"
                )));
            }
            let ntk = match (compare, &run.ntk) {
                (Some(CompareWith::Ntk), Err(why)) => return Err(CliError::usage(why.clone())),
                (Some(CompareWith::Ntk), Ok(hook)) => Some(hook),
                _ => None,
            };
            let mut model = build(0)?;
            let from_step = match &params {
                Some(path) => Some(load_params(&mut model, path)?),
                None => None,
            };
            let ntk = ntk.map(|hook| hook(model.params())).transpose()?;
            let config = SpectrumConfig {
                operator,
                top_k,
                bottom_k,
                lanczos_steps,
                lanczos_tol: tol,
                probes,
                slq_steps: steps,
                trace_matvecs,
                seed: common.seed,
                compare: compare == Some(CompareWith::Operator),
            };
            let report = curvature_spectrum(&model, data, &config)?;
            let loss = model.loss(data)?;
            let head = header(
                "hessian",
                &common,
                run,
                &model,
                data,
                json!({
                    "operator": report.operator.name(), "top_k": top_k, "bottom_k": bottom_k,
                    "lanczos_steps": lanczos_steps, "tol": tol, "probes": probes, "steps": steps,
                    "trace_matvecs": trace_matvecs,
                    "compare": compare.map(|c| match c { CompareWith::Operator => "operator", CompareWith::Ntk => "ntk" }),
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
                    "lanczos": {
                        "top": lanczos_json(&report.top),
                        "bottom": (config.bottom_k > 0).then(|| lanczos_json(&report.bottom)),
                    },
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
                    "ntk_comparison": ntk,
                    "n_matvecs": report.n_matvecs,
                }),
            ))
        }
        EmpiricalCommand::Train {
            common,
            training,
            checkpointing,
        } => {
            let mut model = build(0)?;
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
            let initial_loss = model.loss(data)?;
            let outcome = train(&mut model, data, &config, ck.as_ref(), &mut |_, _| Ok(()))?;
            let final_loss = model.loss(data).map_or(Value::Null, loss_value);
            let head = header(
                "train",
                &common,
                run,
                &model,
                data,
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
            let mut model = build(0)?;
            let config = SharpnessConfig {
                train: train_config(&training, common.seed)?,
                every,
                lanczos_steps,
                operator,
            };
            let result = sharpness(&mut model, data, &config, None)?;
            let head = header(
                "sharpness",
                &common,
                run,
                &model,
                data,
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
                        "converged": p.converged, "n_matvecs": p.n_matvecs,
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
            let mut model = build(0)?;
            let config = OverlapConfig {
                train: train_config(&training, common.seed)?,
                every,
                k,
                lanczos_steps,
                operator,
            };
            let result = overlap(&mut model, data, &config, None)?;
            let head = header(
                "overlap",
                &common,
                run,
                &model,
                data,
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
                        "n_converged": p.n_converged, "n_matvecs": p.n_matvecs,
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
            let mut a = build(0)?;
            let mut b = build(1)?;
            let config = ConnectConfig {
                train: train_config(&training, common.seed)?,
                curve_steps,
                curve_learning_rate: curve_lr,
                lambda_max_steps,
            };
            let result = connect(&mut a, &mut b, data, &config)?;
            let head = header(
                "connect",
                &common,
                run,
                &a,
                data,
                json!({
                    "training": training_json(&training), "curve_steps": curve_steps,
                    "curve_lr": curve_lr, "lambda_max_steps": lambda_max_steps,
                }),
            );
            Ok(merge(
                head,
                json!({
                    "endpoint_losses": [a.loss(data)?, b.loss(data)?],
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
            let mut model = build(0)?;
            if let Some(path) = &params {
                load_params(&mut model, path)?;
            }
            let config = SliceConfig {
                radius,
                points,
                seed: common.seed,
            };
            let center_loss = model.loss(data)?;
            let body = match dims {
                1 => {
                    let s = slice_1d(&mut model, data, &config)?;
                    json!({"alphas": s.alphas, "losses": s.losses.iter().map(|&l| loss_value(l)).collect::<Vec<_>>()})
                }
                2 => {
                    let s = slice_2d(&mut model, data, &config)?;
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
                run,
                &model,
                data,
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

impl EmpiricalCommand {
    fn common(&self) -> &Common {
        match self {
            EmpiricalCommand::Hessian { common, .. }
            | EmpiricalCommand::Train { common, .. }
            | EmpiricalCommand::Sharpness { common, .. }
            | EmpiricalCommand::Overlap { common, .. }
            | EmpiricalCommand::Connect { common, .. }
            | EmpiricalCommand::Slice { common, .. } => common,
        }
    }
}

/// The native MLP's mode note.
const NATIVE_MODE_NOTE: &str =
    "the native MLP has no dropout or batch norm: train and eval mode compute the same function";

pub fn run(args: EmpiricalArgs) -> CliResult {
    let common = args.command.common();
    check_device(common)?;
    // Parse the model first: a torch-only model is refused before any data are generated.
    let spec = parse_model(&common.model)?;
    parse_output(&common.output)?;
    let engine = resolve_backend(common, &spec)?;
    let loss = build_loss(common)?;
    let data = load_data(common, loss.kind() == LossKind::Mse)?;
    let wants_ntk = matches!(
        &args.command,
        EmpiricalCommand::Hessian {
            compare: Some(CompareWith::Ntk),
            ..
        }
    );
    let ntk = if wants_ntk {
        ntk_hook(&spec, &data, loss)?
    } else {
        Err("--compare ntk was not asked for".into())
    };
    match engine {
        Engine::Native => {
            let run = RunInfo {
                backend: "native",
                device: "cpu".into(),
                mode_note: NATIVE_MODE_NOTE,
                dtype: "float64",
                data_set: data.name().to_string(),
                ntk,
            };
            execute(&args.command, &run, &data, &|offset| {
                native_model(common, &spec, loss, &data, offset)
            })
        }
        #[cfg(feature = "torch")]
        Engine::Torch => {
            let device: landscape_empirical::torch::DeviceSpec =
                common.device.trim().parse().map_err(bad_input)?;
            let run = RunInfo {
                backend: "torch",
                dtype: parse_dtype(common)?.torch_name(),
                device: device.to_string(),
                mode_note: match spec {
                    ModelSpec::Script(_) => {
                        "the TorchScript module runs in --mode (module.eval() unless --mode train): dropout and batch norm follow it"
                    }
                    _ => {
                        "the built-in model has no dropout or batch norm: train and eval mode compute the same function"
                    }
                },
                data_set: data.name().to_string(),
                ntk,
            };
            execute(&args.command, &run, &data, &|offset| {
                torch_model(common, &spec, &data, offset)
            })
        }
        #[cfg(not(feature = "torch"))]
        Engine::Torch => Err(CliError::Failure(
            "the torch backend was selected in a build without it".into(),
        )),
    }
}
