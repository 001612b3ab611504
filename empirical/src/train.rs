//! Training: full-batch gradient descent, minibatch SGD, heavy-ball momentum and Adam, seeded and resumable.
//!
//! Step `t` (0-based) evaluates the loss and gradient `g_t` at `θ_t` on its batch and updates:
//!
//! ```text
//! gradient descent:  θ ← θ − η g
//! heavy ball:        v ← β v + g,          θ ← θ − η v          (PyTorch's SGD momentum, no dampening)
//! Adam:              m ← β₁ m + (1−β₁) g,  s ← β₂ s + (1−β₂) g²,
//!                    θ ← θ − η m̂ / (√ŝ + ε),  m̂ = m/(1−β₁^{t+1}),  ŝ = s/(1−β₂^{t+1})   (Kingma & Ba 2015)
//! ```
//!
//! The batch is the whole data set (`batch_size = None`) or `b` samples drawn without replacement,
//! independently at every step, from `task_rng(seed, MINIBATCH_STREAM + t)`: the batch of a step depends only on
//! `(seed, t)`, so a resumed run draws the same batches as an uninterrupted one.
//!
//! A non-finite loss or gradient stops the run and is recorded as divergence, not an error.

use std::path::PathBuf;

use landscape_simulate::rng::task_rng;
use landscape_simulate::trace::ProbeKind;

use crate::checkpoint::Checkpoint;
use crate::error::EmpiricalError;
use crate::model::{CurvatureModel, SampleSet};

/// Minibatch streams start here so they do not overlap the task streams `0, 1, …` other estimators draw from
/// the same seed.
pub const MINIBATCH_STREAM: u64 = landscape_simulate::rng::stream::MINIBATCH;

/// The update rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Optimizer {
    /// `θ ← θ − η g`: gradient descent on the full batch, SGD on minibatches.
    GradientDescent,
    /// Heavy-ball momentum `v ← β v + g, θ ← θ − η v`; stable on a quadratic iff `η λ_max < 2 + 2β`.
    HeavyBall {
        /// β ∈ [0, 1).
        beta: f64,
    },
    /// Adam.
    Adam {
        /// β₁ ∈ [0, 1) (0.9 in the paper).
        beta1: f64,
        /// β₂ ∈ [0, 1) (0.999).
        beta2: f64,
        /// ε > 0 (1e-8).
        epsilon: f64,
    },
}

impl Optimizer {
    /// `"gd"`, `"momentum"` or `"adam"`.
    pub fn name(&self) -> &'static str {
        match self {
            Optimizer::GradientDescent => "gd",
            Optimizer::HeavyBall { .. } => "momentum",
            Optimizer::Adam { .. } => "adam",
        }
    }

    /// The stability threshold of this optimizer at step size `η` (the stability limit on a quadratic): `2/η` for
    /// gradient descent and `(2 + 2β)/η` for heavy ball, both on `λ_max(H)`; `(2 + 2β₁)/((1 − β₁) η)` for Adam, on
    /// the preconditioned sharpness `λ_max(P⁻¹H)` (Cohen et al. 2022; [`crate::geometry::Preconditioned`]).
    pub fn stability_threshold(&self, learning_rate: f64) -> StabilityThreshold {
        match *self {
            Optimizer::GradientDescent => StabilityThreshold {
                value: 2.0 / learning_rate,
                sharpness: Sharpness::Hessian,
            },
            Optimizer::HeavyBall { beta } => StabilityThreshold {
                value: (2.0 + 2.0 * beta) / learning_rate,
                sharpness: Sharpness::Hessian,
            },
            Optimizer::Adam { beta1, .. } => StabilityThreshold {
                value: crate::geometry::adam_stability_threshold(learning_rate, beta1),
                sharpness: Sharpness::Preconditioned,
            },
        }
    }

    /// The threshold on `λ_max(H)` itself: [`Self::stability_threshold`] for gradient descent and heavy ball,
    /// `None` for Adam (whose threshold bounds the preconditioned sharpness).
    pub fn hessian_stability_threshold(&self, learning_rate: f64) -> Option<f64> {
        let threshold = self.stability_threshold(learning_rate);
        (threshold.sharpness == Sharpness::Hessian).then_some(threshold.value)
    }
}

/// Which sharpness a [`StabilityThreshold`] bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharpness {
    /// `λ_max(H)` of the curvature operator.
    Hessian,
    /// `λ_max(P⁻¹H)` with Adam's preconditioner `P = diag(√v̂) + ε`.
    Preconditioned,
}

/// An optimizer's stability threshold and the sharpness it bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StabilityThreshold {
    /// The largest stable sharpness at the step size.
    pub value: f64,
    /// Which sharpness.
    pub sharpness: Sharpness,
}

/// What to train and how.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// The update rule.
    pub optimizer: Optimizer,
    /// η > 0.
    pub learning_rate: f64,
    /// The total number of steps.
    pub steps: usize,
    /// `None`: full batch; `Some(b)`: `b` samples per step.
    pub batch_size: Option<usize>,
    /// Seed of the minibatch draws.
    pub seed: u64,
}

impl TrainConfig {
    /// Checks ranges: η finite and positive, β's in [0, 1), ε > 0, batch size in `1..=n_samples`.
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] naming the offending setting.
    pub fn validate(&self, n_samples: usize) -> Result<(), EmpiricalError> {
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(EmpiricalError::invalid(
                "lr",
                self.learning_rate,
                "a finite value > 0",
            ));
        }
        match self.optimizer {
            Optimizer::GradientDescent => {}
            Optimizer::HeavyBall { beta } => unit("momentum", beta)?,
            Optimizer::Adam {
                beta1,
                beta2,
                epsilon,
            } => {
                unit("beta1", beta1)?;
                unit("beta2", beta2)?;
                positive("epsilon", epsilon)?;
            }
        }
        if let Some(b) = self.batch_size
            && (b == 0 || b > n_samples)
        {
            return Err(EmpiricalError::invalid(
                "batch-size",
                b,
                format!("1..={n_samples} (the number of training samples)"),
            ));
        }
        Ok(())
    }
}

/// Checks that a decay rate such as β lies in `[0, 1)`.
pub(crate) fn unit(name: &'static str, v: f64) -> Result<(), EmpiricalError> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(EmpiricalError::invalid(name, v, "a value in [0, 1)"))
    }
}

/// Checks that a setting such as ε is finite and positive.
pub(crate) fn positive(name: &'static str, v: f64) -> Result<(), EmpiricalError> {
    if v > 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(EmpiricalError::invalid(name, v, "a finite value > 0"))
    }
}

/// Where and how often to checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointConfig {
    /// The checkpoint file.
    pub path: PathBuf,
    /// Write after every `every` completed steps (and at the end).
    pub every: usize,
    /// Continue from the file if it exists.
    pub resume: bool,
}

/// One step as the observer sees it: before the update, at `θ_t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepRecord {
    /// `t`, the number of updates made so far.
    pub step: usize,
    /// The loss on step `t`'s batch at `θ_t`.
    pub loss: f64,
    /// `‖g_t‖₂`.
    pub gradient_norm: f64,
}

/// The result of [`train`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOutcome {
    /// Steps completed (updates made).
    pub steps_done: usize,
    /// The batch loss of every completed step, including steps restored from a checkpoint.
    pub losses: Vec<f64>,
    /// The step whose loss or gradient was non-finite, if training diverged.
    pub diverged_at: Option<usize>,
    /// The step a checkpoint resumed from, if one did.
    pub resumed_from: Option<usize>,
}

/// Called at every step with the model at `θ_t`; an error aborts training.
pub type Observer<'o, M> = dyn FnMut(&StepRecord, &M) -> Result<(), EmpiricalError> + 'o;

/// The indices of step `step`'s minibatch: `b` of `n` without replacement, ascending.
///
/// Drawn by giving every sample an independent Gaussian key from `task_rng(seed, MINIBATCH_STREAM + step)` and
/// keeping the `b` smallest keys, which selects every `b`-subset with equal probability.
pub fn minibatch_indices(n: usize, b: usize, seed: u64, step: usize) -> Vec<usize> {
    let mut keys = vec![0.0; n];
    ProbeKind::Gaussian.fill(
        &mut task_rng(seed, MINIBATCH_STREAM + step as u64),
        &mut keys,
    );
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| keys[i].total_cmp(&keys[j]).then(i.cmp(&j)));
    let mut chosen = order[..b.min(n)].to_vec();
    chosen.sort_unstable();
    chosen
}

/// The loss and gradient on step `step`'s batch.
///
/// # Errors
/// As [`CurvatureModel::loss_and_gradient`].
pub fn batch_loss_and_gradient<M: CurvatureModel>(
    model: &M,
    data: &M::Data,
    config: &TrainConfig,
    step: usize,
) -> Result<(f64, Vec<f64>), EmpiricalError> {
    let batch = step_batch(data, config.batch_size, config.seed, step)?;
    model.loss_and_gradient(batch.as_ref().unwrap_or(data))
}

/// Step `step`'s minibatch of `data` ([`minibatch_indices`]), or `None` where the step uses all of `data`
/// (`batch_size` `None` or at least the number of samples).
///
/// # Errors
/// As [`SampleSet::subset`].
pub(crate) fn step_batch<D: SampleSet>(
    data: &D,
    batch_size: Option<usize>,
    seed: u64,
    step: usize,
) -> Result<Option<D>, EmpiricalError> {
    match batch_size {
        Some(b) if b < data.n_samples() => data
            .subset(&minibatch_indices(data.n_samples(), b, seed, step))
            .map(Some),
        _ => Ok(None),
    }
}

/// Trains `model` on `data` for `config.steps` steps, calling `observer` before every update.
///
/// With a [`CheckpointConfig`], the state is written atomically every `every` steps and at the end, and with
/// `resume` an existing file is loaded first (refused if its fingerprint — configuration and model — differs);
/// steps restored from a checkpoint are not shown to the observer again. A non-finite loss or gradient ends the run
/// with [`TrainOutcome::diverged_at`] set (and the parameters of the last finite step).
///
/// # Errors
/// Invalid settings, data or model errors other than non-finite values, checkpoint I/O, observer errors.
pub fn train<M: CurvatureModel>(
    model: &mut M,
    data: &M::Data,
    config: &TrainConfig,
    checkpoint: Option<&CheckpointConfig>,
    observer: &mut Observer<'_, M>,
) -> Result<TrainOutcome, EmpiricalError> {
    train_scheduled(
        model,
        data,
        config,
        Schedule::Constant,
        checkpoint,
        observer,
    )
}

/// A learning-rate schedule: step `t` uses `lr · factor(t)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Schedule {
    /// `lr` at every step.
    #[default]
    Constant,
    /// Linear warm-up: `lr · min(1, (t + 1)/steps)` (Goyal et al. 2017), then constant.
    LinearWarmup {
        /// Steps to reach `lr` (≥ 1).
        steps: usize,
    },
}

impl Schedule {
    /// The multiplier of the learning rate at step `t` (0-based).
    pub fn factor(self, step: usize) -> f64 {
        match self {
            Schedule::Constant => 1.0,
            Schedule::LinearWarmup { steps } => ((step + 1) as f64 / steps.max(1) as f64).min(1.0),
        }
    }
}

/// [`train`] with a learning-rate schedule; the schedule is part of the checkpoint's fingerprint.
///
/// # Errors
/// As [`train`], and a warm-up of 0 steps.
pub fn train_scheduled<M: CurvatureModel>(
    model: &mut M,
    data: &M::Data,
    config: &TrainConfig,
    schedule: Schedule,
    checkpoint: Option<&CheckpointConfig>,
    observer: &mut Observer<'_, M>,
) -> Result<TrainOutcome, EmpiricalError> {
    config.validate(data.n_samples())?;
    if schedule == (Schedule::LinearWarmup { steps: 0 }) {
        return Err(EmpiricalError::invalid("warmup", 0, "at least 1 step"));
    }
    let n_params = model.n_params();
    // The step count is not part of the fingerprint: a finished run can be extended. A constant schedule adds
    // nothing, so checkpoints written before schedules existed still resume.
    let mut fingerprint = format!(
        "{:?} lr {:e} batch {:?} seed {} | {}",
        config.optimizer,
        config.learning_rate,
        config.batch_size,
        config.seed,
        model.describe()
    );
    if schedule != Schedule::Constant {
        fingerprint.push_str(&format!(" | {schedule:?}"));
    }
    let state_len = match config.optimizer {
        Optimizer::GradientDescent => 0,
        Optimizer::HeavyBall { .. } => n_params,
        Optimizer::Adam { .. } => 2 * n_params,
    };
    let run = Run {
        steps: config.steps,
        checkpoint,
        fingerprint,
        state_len,
    };
    run_steps(
        model,
        run,
        observer,
        |model, step, _state| diverges(batch_loss_and_gradient(model, data, config, step)),
        |step, gradient, params, state| {
            update(
                &config.optimizer,
                config.learning_rate * schedule.factor(step),
                step,
                gradient,
                params,
                state,
            );
        },
    )
}

/// A resumable training loop's settings besides the model and the update rule (see [`run_steps`]).
pub(crate) struct Run<'c> {
    /// The total number of steps.
    pub steps: usize,
    /// Where and how often to checkpoint, if at all.
    pub checkpoint: Option<&'c CheckpointConfig>,
    /// The configuration and model description; resuming from a checkpoint of another fingerprint is refused.
    pub fingerprint: String,
    /// The length of the update rule's state vector (checkpointed beside the parameters).
    pub state_len: usize,
}

/// `Ok(None)` for [`EmpiricalError::NonFinite`] (divergence), other errors unchanged.
pub(crate) fn diverges<T>(result: Result<T, EmpiricalError>) -> Result<Option<T>, EmpiricalError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(EmpiricalError::NonFinite { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The step loop shared by [`train`] and [`crate::adaptive::train_adaptive`], with its checkpointing.
///
/// With a checkpoint configuration and `resume`, an existing file is loaded first (refused if its fingerprint or
/// its parameter or state length differ) and the run continues from its step. At every step `t`, `evaluate(model,
/// t, state)` returns the batch loss and gradient at `θ_t` (`None`: a non-finite value, recorded as divergence;
/// it may also update the state), the observer sees the step, and `update(t, g, params, state)` moves the
/// parameters; non-finite parameters are divergence too (the model keeps the last finite ones). The state is
/// written every `every` completed steps and at the end.
///
/// # Errors
/// `checkpoint-every` 0, checkpoint I/O or mismatch, and the errors of `evaluate`, the observer and the model.
pub(crate) fn run_steps<M: CurvatureModel>(
    model: &mut M,
    run: Run<'_>,
    observer: &mut Observer<'_, M>,
    mut evaluate: impl FnMut(&M, usize, &mut [f64]) -> Result<Option<(f64, Vec<f64>)>, EmpiricalError>,
    mut update: impl FnMut(usize, &[f64], &mut [f64], &mut [f64]),
) -> Result<TrainOutcome, EmpiricalError> {
    let Run {
        steps,
        checkpoint,
        fingerprint,
        state_len,
    } = run;
    let n_params = model.n_params();
    let mut state = vec![0.0; state_len];
    let mut losses = Vec::with_capacity(steps);
    let mut start = 0;
    let mut resumed_from = None;
    let mut diverged_at = None;
    if let Some(ck) = checkpoint {
        if ck.every == 0 {
            return Err(EmpiricalError::invalid("checkpoint-every", 0, "at least 1"));
        }
        if ck.resume && ck.path.exists() {
            let saved = Checkpoint::load(&ck.path)?;
            if saved.fingerprint != fingerprint {
                return Err(EmpiricalError::invalid(
                    "checkpoint",
                    ck.path.display(),
                    format!(
                        "a checkpoint of this run ({fingerprint}); it holds {}",
                        saved.fingerprint
                    ),
                ));
            }
            if saved.params.len() != n_params || saved.optimizer_state.len() != state_len {
                return Err(EmpiricalError::format(
                    &ck.path,
                    "checkpoint",
                    "parameter or state length does not match the model",
                ));
            }
            model.set_params(&saved.params)?;
            state = saved.optimizer_state;
            losses = saved.losses;
            start = saved.step;
            diverged_at = saved.diverged_at;
            resumed_from = Some(saved.step);
        }
    }
    let save = |model: &M, step: usize, state: &[f64], losses: &[f64], div: Option<usize>| {
        checkpoint.map_or(Ok(()), |ck| {
            Checkpoint {
                fingerprint: fingerprint.clone(),
                step,
                diverged_at: div,
                params: model.params().to_vec(),
                optimizer_state: state.to_vec(),
                losses: losses.to_vec(),
            }
            .save(&ck.path)
        })
    };
    let mut params = model.params().to_vec();
    let mut step = start;
    while step < steps && diverged_at.is_none() {
        let Some((loss, gradient)) = evaluate(model, step, &mut state)? else {
            diverged_at = Some(step);
            break;
        };
        let gradient_norm = gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
        observer(
            &StepRecord {
                step,
                loss,
                gradient_norm,
            },
            model,
        )?;
        update(step, &gradient, &mut params, &mut state);
        if params.iter().any(|v| !v.is_finite()) {
            diverged_at = Some(step);
            break;
        }
        model.set_params(&params)?;
        losses.push(loss);
        step += 1;
        if let Some(ck) = checkpoint
            && step % ck.every == 0
        {
            save(model, step, &state, &losses, None)?;
        }
    }
    save(model, step, &state, &losses, diverged_at)?;
    Ok(TrainOutcome {
        steps_done: step,
        losses,
        diverged_at,
        resumed_from,
    })
}

/// One update of `params` (and the optimizer state) with gradient `g` at step `step`.
fn update(
    optimizer: &Optimizer,
    lr: f64,
    step: usize,
    g: &[f64],
    params: &mut [f64],
    state: &mut [f64],
) {
    match *optimizer {
        Optimizer::GradientDescent => {
            for (p, g) in params.iter_mut().zip(g) {
                *p -= lr * g;
            }
        }
        Optimizer::HeavyBall { beta } => {
            for ((p, v), g) in params.iter_mut().zip(state.iter_mut()).zip(g) {
                *v = beta * *v + g;
                *p -= lr * *v;
            }
        }
        Optimizer::Adam {
            beta1,
            beta2,
            epsilon,
        } => {
            let (m, s) = state.split_at_mut(params.len());
            let t = i32::try_from(step + 1).unwrap_or(i32::MAX);
            let c1 = 1.0 - beta1.powi(t);
            let c2 = 1.0 - beta2.powi(t);
            for (((p, m), s), g) in params.iter_mut().zip(m).zip(s).zip(g) {
                *m = beta1 * *m + (1.0 - beta1) * g;
                *s = beta2 * *s + (1.0 - beta2) * g * g;
                *p -= lr * (*m / c1) / ((*s / c2).sqrt() + epsilon);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_warm_up_scales_the_first_steps_and_then_holds() {
        let warm = Schedule::LinearWarmup { steps: 4 };
        let factors: Vec<f64> = (0..6).map(|t| warm.factor(t)).collect();
        assert_eq!(factors, [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]);
        assert!((0..10).all(|t| (Schedule::Constant.factor(t) - 1.0).abs() < f64::EPSILON));
        // On the quadratic a θ²/2, gradient descent's first warm-up step multiplies θ by 1 − (lr/4) a.
        let mut model = crate::native::Quadratic::new(vec![2.0], vec![1.0]).unwrap();
        let config = TrainConfig {
            optimizer: Optimizer::GradientDescent,
            learning_rate: 0.4,
            steps: 1,
            batch_size: None,
            seed: 0,
        };
        train_scheduled(
            &mut model,
            &crate::native::NoData,
            &config,
            warm,
            None,
            &mut |_, _| Ok(()),
        )
        .unwrap();
        assert!(
            (model.params()[0] - 0.8).abs() < 1e-15,
            "{:?}",
            model.params()
        );
        let zero = Schedule::LinearWarmup { steps: 0 };
        assert!(
            train_scheduled(
                &mut model,
                &crate::native::NoData,
                &config,
                zero,
                None,
                &mut |_, _| Ok(())
            )
            .is_err()
        );
    }
    use crate::native::fixtures::tanh_mixture_mlp;
    use crate::native::{NativeMlp, NoData, Quadratic};
    use landscape_simulate::network::Dataset;

    fn mixture_mlp(seed: u64) -> (NativeMlp, Dataset) {
        tanh_mixture_mlp(10, 40, 3.0, seed)
    }

    fn no_observer<M>() -> impl FnMut(&StepRecord, &M) -> Result<(), EmpiricalError> {
        |_, _| Ok(())
    }

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("landscape-train-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        path
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn every_optimizer_lowers_the_loss_of_a_gaussian_mixture() {
        for (optimizer, lr, batch) in [
            (Optimizer::GradientDescent, 0.5, None),
            (Optimizer::GradientDescent, 0.5, Some(10)),
            (Optimizer::HeavyBall { beta: 0.9 }, 0.05, None),
            (
                Optimizer::Adam {
                    beta1: 0.9,
                    beta2: 0.999,
                    epsilon: 1e-8,
                },
                0.01,
                Some(10),
            ),
        ] {
            let (mut model, data) = mixture_mlp(1);
            let before = model.loss(&data).unwrap();
            let config = TrainConfig {
                optimizer,
                learning_rate: lr,
                steps: 60,
                batch_size: batch,
                seed: 5,
            };
            let out = train(&mut model, &data, &config, None, &mut no_observer()).unwrap();
            let after = model.loss(&data).unwrap();
            assert_eq!(out.steps_done, 60);
            assert!(out.diverged_at.is_none());
            // A separable 3-class mixture: 60 steps must at least halve ln 3 ≈ 1.1.
            assert!(
                after < 0.5 * before,
                "{optimizer:?} lr {lr} batch {batch:?}: loss {before} → {after}"
            );
        }
    }

    #[test]
    fn twenty_steps_equal_ten_plus_ten_resumed_from_a_checkpoint_bit_for_bit() {
        for optimizer in [
            Optimizer::HeavyBall { beta: 0.9 },
            Optimizer::Adam {
                beta1: 0.9,
                beta2: 0.999,
                epsilon: 1e-8,
            },
        ] {
            let config = TrainConfig {
                optimizer,
                learning_rate: 0.05,
                steps: 20,
                batch_size: Some(8),
                seed: 11,
            };
            let (mut straight, data) = mixture_mlp(3);
            let out_straight =
                train(&mut straight, &data, &config, None, &mut no_observer()).unwrap();

            let path = temp_path(&format!("resume-{}.ckpt", optimizer.name()));
            let ck = CheckpointConfig {
                path: path.clone(),
                every: 5,
                resume: true,
            };
            let (mut first_half, _) = mixture_mlp(3);
            let first = TrainConfig {
                steps: 10,
                ..config.clone()
            };
            let out_first = train(
                &mut first_half,
                &data,
                &first,
                Some(&ck),
                &mut no_observer(),
            )
            .unwrap();
            assert_eq!(out_first.steps_done, 10);
            assert_eq!(Checkpoint::load(&path).unwrap().step, 10);
            // A fresh process: a new model at a different init, restored from the file.
            let (mut restarted, _) = mixture_mlp(99);
            let out = train(
                &mut restarted,
                &data,
                &config,
                Some(&ck),
                &mut no_observer(),
            )
            .unwrap();
            assert_eq!(out.resumed_from, Some(10));
            assert_eq!(bits(restarted.params()), bits(straight.params()));
            assert_eq!(bits(&out.losses), bits(&out_straight.losses));
            std::fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn resuming_under_another_configuration_is_refused() {
        let (mut model, data) = mixture_mlp(3);
        let path = temp_path("other.ckpt");
        let ck = CheckpointConfig {
            path: path.clone(),
            every: 2,
            resume: true,
        };
        let config = TrainConfig {
            optimizer: Optimizer::GradientDescent,
            learning_rate: 0.1,
            steps: 4,
            batch_size: None,
            seed: 1,
        };
        train(&mut model, &data, &config, Some(&ck), &mut no_observer()).unwrap();
        let other = TrainConfig {
            learning_rate: 0.2,
            steps: 8,
            ..config
        };
        let err = train(&mut model, &data, &other, Some(&ck), &mut no_observer()).unwrap_err();
        assert!(err.to_string().contains("checkpoint"), "{err}");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn gradient_descent_beyond_two_over_eta_is_recorded_as_divergence() {
        // λ = 4, η = 1: |1 − ηλ| = 3, the loss grows 9× per step and overflows within ~330 steps.
        let mut model = Quadratic::new(vec![4.0, 1.0], vec![1.0, 1.0]).unwrap();
        let config = TrainConfig {
            optimizer: Optimizer::GradientDescent,
            learning_rate: 1.0,
            steps: 10_000,
            batch_size: None,
            seed: 0,
        };
        let out = train(&mut model, &NoData, &config, None, &mut no_observer()).unwrap();
        let at = out.diverged_at.expect("diverged");
        assert!(at < 400, "diverged at {at}");
        assert!(model.params().iter().all(|p| p.is_finite()));
    }

    #[test]
    fn minibatches_are_distinct_subsets_fixed_by_seed_and_step() {
        let a = minibatch_indices(50, 10, 7, 3);
        assert_eq!(a, minibatch_indices(50, 10, 7, 3));
        assert_ne!(a, minibatch_indices(50, 10, 7, 4));
        assert_ne!(a, minibatch_indices(50, 10, 8, 3));
        assert_eq!(a.len(), 10);
        assert!(a.windows(2).all(|w| w[0] < w[1]) && a[9] < 50);
    }

    #[test]
    fn invalid_settings_are_rejected() {
        let (mut model, data) = mixture_mlp(1);
        for config in [
            TrainConfig {
                optimizer: Optimizer::GradientDescent,
                learning_rate: -1.0,
                steps: 1,
                batch_size: None,
                seed: 0,
            },
            TrainConfig {
                optimizer: Optimizer::HeavyBall { beta: 1.0 },
                learning_rate: 0.1,
                steps: 1,
                batch_size: None,
                seed: 0,
            },
            TrainConfig {
                optimizer: Optimizer::GradientDescent,
                learning_rate: 0.1,
                steps: 1,
                batch_size: Some(41),
                seed: 0,
            },
        ] {
            assert!(train(&mut model, &data, &config, None, &mut no_observer()).is_err());
        }
    }
}
