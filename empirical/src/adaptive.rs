//! Curvature-adaptive step sizes: training whose step is set by the measured curvature, seeded and resumable.
//!
//! Every `every` steps (and at step 0) the curvature `A` (Gauss–Newton by default, or the Hessian) is measured at
//! `θ_t` on the step's batch, and between measurements the last value is kept. With scale `c`:
//!
//! ```text
//! inverse sharpness:   η_t = c / λ_max(A_t),       θ ← θ − η_t g     (λ_max by Lanczos warm-started from the
//!                                                                      previous top eigenvector)
//! inverse trace:       η_t = c / tr(A_t),          θ ← θ − η_t g     (tr by Hutchinson, Rademacher probes)
//! Gauss–Newton diag:   D_t = max(diag(A_t), 0) + δ,  θ ← θ − c D_t⁻¹ g (diag exact, or Hutchinson's z ⊙ A z)
//! ```
//!
//! **Why these rules.** On a quadratic with Hessian `A`, gradient descent is stable iff `η λ_max < 2`, so
//! `c/λ_max` with `c < 2` is the largest stable step up to the safety factor `c` (and `c > 2` diverges: the test
//! below shows both). The trace rule is a cheaper, conservative variant for PSD `A`: `tr A ≥ λ_max`, so
//! `c/tr A ≤ c/λ_max` is stable for every `c < 2`, at the price of a step smaller by the effective rank
//! `tr A/λ_max` (small for cross-entropy Gauss–Newton matrices, whose spectrum is dominated by `C − 1` outliers).
//! It needs no eigensolver, only probes; with the Hessian (not PSD) the bound fails, so it is meant for the
//! Gauss–Newton matrix. The diagonal rule is a Jacobi (diagonal Newton) preconditioner: on a diagonal quadratic
//! with exact diagonal it converges for `c < 2` at a rate independent of the condition number; the damping `δ`
//! bounds the step in flat directions.
//!
//! **Curvature-aware optimizers from the literature**, in the same harness (step `η` is the scale `c`):
//!
//! ```text
//! Sophia (Liu et al. 2023):     m ← β₁m + (1−β₁)g;  every k steps h ← β₂h + (1−β₂)ĥ, ĥ = z ⊙ A z (Hutchinson);
//!                               θ ← θ − η clip(m / max(ρh, 1e-12), 1)   (elementwise clip to [−1, 1])
//! AdaHessian (Yao et al. 2021): every k steps D = z ⊙ H z (Hutchinson on the Hessian; no spatial averaging);
//!                               m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)D²,  θ ← θ − η m̂/(√v̂ + ε)  (bias-corrected)
//! Polyak (1987; SPS_max, Loizou et al. 2021):
//!                               η_t = min(c (ℓ_t − ℓ*)/‖g_t‖², η_max),  θ ← θ − η_t g  (ℓ* a lower bound)
//! ```
//!
//! Sophia reads the Gauss–Newton matrix (its "G" variant's curvature, here by Hutchinson instead of sampled
//! labels) and AdaHessian the Hessian; both keep their last diagonal between refreshes. Polyak's step needs no
//! curvature, only the loss and a lower bound on it (0 for cross-entropy and MSE).
//!
//! A non-positive or non-finite curvature estimate (a flat point or a saddle) keeps the previous step; at step 0
//! the step is then `c` (curvature taken as 1). The measurement's random start and probes are drawn from
//! `(seed, CURVATURE_STREAM + t)` and the warm-start vector is part of the checkpointed state, so a resumed run
//! equals an uninterrupted one bit for bit. A non-finite loss, gradient or curvature is recorded as divergence.

use landscape_simulate::operator::apply_checked;
use landscape_simulate::rng::{derive_seed, task_rng};
use landscape_simulate::trace::ProbeKind;

use crate::error::EmpiricalError;
use crate::experiments::eigenpairs::{End, extreme_eigenpairs};
use crate::model::{CurvatureKind, CurvatureModel, SampleSet, from_simulate};
use crate::train::{
    CheckpointConfig, Observer, Optimizer, Run, TrainConfig, TrainOutcome, diverges, positive,
    run_steps, step_batch, unit,
};

/// Curvature measurements draw from streams starting here (after the minibatch streams).
pub const CURVATURE_STREAM: u64 = landscape_simulate::rng::stream::CURVATURE;

/// How the step is set from the curvature.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepRule {
    /// `η_t = c / λ_max`, λ_max by warm-started Lanczos with at most `lanczos_steps` products.
    InverseSharpness {
        /// Cap on Lanczos products per measurement (warm-started: runs converge in 10–20 along a trajectory).
        lanczos_steps: usize,
    },
    /// `η_t = c / tr A` by Hutchinson with `probes` Rademacher probes.
    InverseTrace {
        /// Probes per measurement (at least 1).
        probes: usize,
    },
    /// `θ ← θ − c (max(diag A, 0) + δ)⁻¹ g`.
    GaussNewtonDiagonal {
        /// 0: the exact diagonal (`P` products); otherwise Hutchinson's `mean(z ⊙ A z)` with this many probes.
        probes: usize,
        /// `δ > 0`.
        damping: f64,
    },
    /// Sophia: clipped, EMA'd diagonal preconditioning (`c` is the learning rate η).
    Sophia {
        /// β₁ of the gradient average (0.96 in the paper).
        beta1: f64,
        /// β₂ of the diagonal average (0.99).
        beta2: f64,
        /// ρ, the clipping scale (0.04).
        rho: f64,
        /// Hutchinson probes per refresh (0: exact diagonal).
        probes: usize,
    },
    /// AdaHessian: Adam with the squared Hutchinson Hessian diagonal as second moment (`c` is η).
    AdaHessian {
        /// β₁ (0.9).
        beta1: f64,
        /// β₂ (0.999).
        beta2: f64,
        /// ε (1e-4 in the authors' code).
        epsilon: f64,
        /// Hutchinson probes per refresh (0: exact diagonal).
        probes: usize,
    },
    /// The Polyak step `η_t = min(c (ℓ_t − ℓ*)/‖g_t‖², η_max)`, computed at every step.
    Polyak {
        /// ℓ*, a lower bound on the loss.
        f_star: f64,
        /// η_max > 0, the cap.
        max_lr: f64,
    },
}

impl StepRule {
    /// `"inverse_sharpness"`, `"inverse_trace"` or `"gn_diagonal"`.
    pub fn name(&self) -> &'static str {
        match self {
            StepRule::InverseSharpness { .. } => "inverse_sharpness",
            StepRule::InverseTrace { .. } => "inverse_trace",
            StepRule::GaussNewtonDiagonal { .. } => "gn_diagonal",
            StepRule::Sophia { .. } => "sophia",
            StepRule::AdaHessian { .. } => "adahessian",
            StepRule::Polyak { .. } => "polyak",
        }
    }

    /// Whether the scale `c` is a learning rate (Sophia, AdaHessian) rather than a multiplier of a measured step.
    pub fn scale_is_learning_rate(&self) -> bool {
        matches!(self, StepRule::Sophia { .. } | StepRule::AdaHessian { .. })
    }
}

/// What to train and how.
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptiveConfig {
    /// The rule.
    pub rule: StepRule,
    /// `c > 0`.
    pub scale: f64,
    /// The curvature the rule reads (Gauss–Newton for the trace and diagonal rules, see the module docs).
    pub operator: CurvatureKind,
    /// Measure every this many steps (≥ 1).
    pub every: usize,
    /// The total number of steps.
    pub steps: usize,
    /// `None`: full batch; `Some(b)`: `b` samples per step (the curvature is measured on the step's batch).
    pub batch_size: Option<usize>,
    /// Seed of the minibatch draws and of the measurements.
    pub seed: u64,
}

impl AdaptiveConfig {
    /// The equivalent plain configuration (gradient descent at `η = c`) for batch drawing and validation.
    fn as_train_config(&self) -> TrainConfig {
        TrainConfig {
            optimizer: Optimizer::GradientDescent,
            learning_rate: self.scale,
            steps: self.steps,
            batch_size: self.batch_size,
            seed: self.seed,
        }
    }

    /// Checks ranges: `c` finite and positive, `every ≥ 1`, Lanczos steps ≥ 1, probes ≥ 1 for the trace rule,
    /// damping finite and positive, batch size in `1..=n_samples`.
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] naming the offending setting.
    pub fn validate(&self, n_samples: usize) -> Result<(), EmpiricalError> {
        if !(self.scale > 0.0 && self.scale.is_finite()) {
            return Err(EmpiricalError::invalid(
                "c",
                self.scale,
                "a finite value > 0",
            ));
        }
        if self.every == 0 {
            return Err(EmpiricalError::invalid("every", 0, "at least 1"));
        }
        match self.rule {
            StepRule::InverseSharpness { lanczos_steps: 0 } => {
                return Err(EmpiricalError::invalid("lanczos_steps", 0, "at least 1"));
            }
            StepRule::InverseTrace { probes: 0 } => {
                return Err(EmpiricalError::invalid("probes", 0, "at least 1"));
            }
            StepRule::GaussNewtonDiagonal { damping, .. }
                if !(damping > 0.0 && damping.is_finite()) =>
            {
                return Err(EmpiricalError::invalid(
                    "damping",
                    damping,
                    "a finite value > 0",
                ));
            }
            StepRule::Sophia {
                beta1, beta2, rho, ..
            } => {
                unit("beta1", beta1)?;
                unit("beta2", beta2)?;
                positive("rho", rho)?;
            }
            StepRule::AdaHessian {
                beta1,
                beta2,
                epsilon,
                ..
            } => {
                unit("beta1", beta1)?;
                unit("beta2", beta2)?;
                positive("epsilon", epsilon)?;
            }
            StepRule::Polyak { f_star, max_lr } => {
                if !f_star.is_finite() {
                    return Err(EmpiricalError::invalid("f_star", f_star, "a finite value"));
                }
                positive("max_lr", max_lr)?;
            }
            _ => {}
        }
        self.as_train_config().validate(n_samples)
    }
}

/// The result of [`train_adaptive`].
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptiveOutcome {
    /// Steps, losses, divergence and resumption, as for [`crate::train::train`].
    pub outcome: TrainOutcome,
    /// `(step, curvature, step size)` at every measurement of this run (not restored from a checkpoint): the
    /// curvature is `λ_max`, `tr A`, or the mean of the damped diagonal; the step size is `η_t` (for the diagonal
    /// rule `c / mean(D)`, a summary).
    pub measurements: Vec<(usize, f64, f64)>,
}

/// The state vector's layout: `[η_t, warm-start vector]` (sharpness), `[η_t]` (trace, Polyak), `D` (diagonal),
/// `[m, h]` (Sophia), `[m, v, D]` (AdaHessian).
fn state_len(rule: &StepRule, n_params: usize) -> usize {
    match rule {
        StepRule::InverseSharpness { .. } => 1 + n_params,
        StepRule::InverseTrace { .. } | StepRule::Polyak { .. } => 1,
        StepRule::GaussNewtonDiagonal { .. } => n_params,
        StepRule::Sophia { .. } => 2 * n_params,
        StepRule::AdaHessian { .. } => 3 * n_params,
    }
}

/// Trains `model` with a curvature-adaptive step, checkpointing as [`crate::train::train`] does.
///
/// # Errors
/// Invalid settings, data or model errors other than non-finite values, checkpoint I/O, observer errors.
pub fn train_adaptive<M: CurvatureModel>(
    model: &mut M,
    data: &M::Data,
    config: &AdaptiveConfig,
    checkpoint: Option<&CheckpointConfig>,
    observer: &mut Observer<'_, M>,
) -> Result<AdaptiveOutcome, EmpiricalError> {
    config.validate(data.n_samples())?;
    let n_params = model.n_params();
    // The step count is not part of the fingerprint: a finished run can be extended.
    let fingerprint = format!(
        "adaptive {:?} c {:e} {} every {} batch {:?} seed {} | {}",
        config.rule,
        config.scale,
        config.operator.name(),
        config.every,
        config.batch_size,
        config.seed,
        model.describe()
    );
    let run = Run {
        steps: config.steps,
        checkpoint,
        fingerprint,
        state_len: state_len(&config.rule, n_params),
    };
    let mut measurements = Vec::new();
    let outcome = run_steps(
        model,
        run,
        observer,
        |model, step, state| {
            let batch = step_batch(data, config.batch_size, config.seed, step)?;
            let batch_data = batch.as_ref().unwrap_or(data);
            let Some((loss, gradient)) = diverges(model.loss_and_gradient(batch_data))? else {
                return Ok(None);
            };
            if let StepRule::Polyak { f_star, max_lr } = config.rule {
                let norm2: f64 = gradient.iter().map(|g| g * g).sum();
                let gap = (loss - f_star).max(0.0);
                state[0] = if norm2 > 0.0 {
                    (config.scale * gap / norm2).min(max_lr)
                } else {
                    0.0
                };
                if step.is_multiple_of(config.every) {
                    measurements.push((step, gap, state[0]));
                }
                return Ok(Some((loss, gradient)));
            }
            if step.is_multiple_of(config.every) {
                let Some(m) = diverges(measure(model, batch_data, config, step, state))? else {
                    return Ok(None);
                };
                measurements.push((step, m.0, m.1));
            }
            Ok(Some((loss, gradient)))
        },
        |step, gradient, params, state| match config.rule {
            StepRule::InverseSharpness { .. }
            | StepRule::InverseTrace { .. }
            | StepRule::Polyak { .. } => {
                let eta = state[0];
                for (p, g) in params.iter_mut().zip(gradient) {
                    *p -= eta * g;
                }
            }
            StepRule::GaussNewtonDiagonal { .. } => {
                for ((p, g), d) in params.iter_mut().zip(gradient).zip(&*state) {
                    *p -= config.scale * g / d;
                }
            }
            StepRule::Sophia { beta1, rho, .. } => {
                let (m, h) = state.split_at_mut(n_params);
                for (((p, g), m), h) in params.iter_mut().zip(gradient).zip(m).zip(&*h) {
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    let ratio = *m / (rho * h).max(SOPHIA_FLOOR);
                    *p -= config.scale * ratio.clamp(-1.0, 1.0);
                }
            }
            StepRule::AdaHessian {
                beta1,
                beta2,
                epsilon,
                ..
            } => {
                let (m, rest) = state.split_at_mut(n_params);
                let (v, d) = rest.split_at_mut(n_params);
                let t = i32::try_from(step + 1).unwrap_or(i32::MAX);
                let (c1, c2) = (1.0 - beta1.powi(t), 1.0 - beta2.powi(t));
                for ((((p, g), m), v), d) in params.iter_mut().zip(gradient).zip(m).zip(v).zip(&*d)
                {
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    *v = beta2 * *v + (1.0 - beta2) * d * d;
                    *p -= config.scale * (*m / c1) / ((*v / c2).sqrt() + epsilon);
                }
            }
        },
    )?;
    Ok(AdaptiveOutcome {
        outcome,
        measurements,
    })
}

/// Sophia's floor on `ρh` (the paper's ε).
const SOPHIA_FLOOR: f64 = 1e-12;

/// `diag A` exactly (`probes = 0`, `P` products) or by Hutchinson's `mean(z ⊙ A z)` over Rademacher probes.
fn diagonal(
    op: &dyn landscape_simulate::SymmetricOperator,
    probes: usize,
    seed: u64,
) -> Result<Vec<f64>, EmpiricalError> {
    let n = op.dim();
    let mut diag = vec![0.0; n];
    let mut z = vec![0.0; n];
    let mut az = vec![0.0; n];
    if probes == 0 {
        for i in 0..n {
            z.fill(0.0);
            z[i] = 1.0;
            apply_checked(op, &z, &mut az).map_err(from_simulate)?;
            diag[i] = az[i];
        }
    } else {
        for p in 0..probes {
            ProbeKind::Rademacher.fill(&mut task_rng(seed, p as u64), &mut z);
            apply_checked(op, &z, &mut az).map_err(from_simulate)?;
            for ((d, a), b) in diag.iter_mut().zip(&z).zip(&az) {
                *d += a * b / probes as f64;
            }
        }
    }
    if let Some(index) = diag.iter().position(|d| !d.is_finite()) {
        return Err(EmpiricalError::NonFinite {
            what: "curvature diagonal",
            index,
        });
    }
    Ok(diag)
}

/// Measures the curvature at step `step` and updates the state; returns `(curvature, step size)`.
fn measure<M: CurvatureModel>(
    model: &M,
    data: &M::Data,
    config: &AdaptiveConfig,
    step: usize,
    state: &mut [f64],
) -> Result<(f64, f64), EmpiricalError> {
    let op = model.curvature_operator(data, config.operator)?;
    let seed = derive_seed(config.seed, CURVATURE_STREAM + step as u64);
    let n = op.dim();
    // A kept step: the previous one, or c at step 0 (state[0] is still 0 there).
    let keep = |previous: f64| {
        if previous > 0.0 {
            previous
        } else {
            config.scale
        }
    };
    match config.rule {
        StepRule::InverseSharpness { lanczos_steps } => {
            let (eta_slot, warm) = state.split_at_mut(1);
            let start = warm.iter().any(|v| *v != 0.0).then_some(&*warm);
            let top = extreme_eigenpairs(op.as_ref(), 1, End::Top, lanczos_steps, start, seed)?;
            let lambda = top.values[0];
            if !lambda.is_finite() {
                return Err(EmpiricalError::NonFinite {
                    what: "λ_max",
                    index: step,
                });
            }
            eta_slot[0] = if lambda > 0.0 {
                config.scale / lambda
            } else {
                keep(eta_slot[0])
            };
            if let Some(v) = top.vectors.first() {
                warm.copy_from_slice(v);
            }
            Ok((lambda, eta_slot[0]))
        }
        StepRule::InverseTrace { probes } => {
            let mut z = vec![0.0; n];
            let mut az = vec![0.0; n];
            let mut sum = 0.0;
            for p in 0..probes {
                ProbeKind::Rademacher.fill(&mut task_rng(seed, p as u64), &mut z);
                apply_checked(op.as_ref(), &z, &mut az).map_err(from_simulate)?;
                sum += z.iter().zip(&az).map(|(a, b)| a * b).sum::<f64>();
            }
            let trace = sum / probes as f64;
            if !trace.is_finite() {
                return Err(EmpiricalError::NonFinite {
                    what: "trace",
                    index: step,
                });
            }
            state[0] = if trace > 0.0 {
                config.scale / trace
            } else {
                keep(state[0])
            };
            Ok((trace, state[0]))
        }
        StepRule::GaussNewtonDiagonal { probes, damping } => {
            let diag = diagonal(op.as_ref(), probes, seed)?;
            for (s, d) in state.iter_mut().zip(&diag) {
                *s = d.max(0.0) + damping;
            }
            let mean = state.iter().sum::<f64>() / n as f64;
            Ok((mean, config.scale / mean))
        }
        StepRule::Sophia { beta2, probes, .. } => {
            let diag = diagonal(op.as_ref(), probes, seed)?;
            let h = &mut state[n..];
            for (h, d) in h.iter_mut().zip(&diag) {
                *h = beta2 * *h + (1.0 - beta2) * d;
            }
            let mean = h.iter().sum::<f64>() / n as f64;
            Ok((mean, config.scale))
        }
        StepRule::AdaHessian { probes, .. } => {
            let diag = diagonal(op.as_ref(), probes, seed)?;
            state[2 * n..].copy_from_slice(&diag);
            let mean = diag.iter().map(|d| d.abs()).sum::<f64>() / n as f64;
            Ok((mean, config.scale))
        }
        StepRule::Polyak { .. } => Ok((0.0, state[0])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::fixtures::tanh_mixture_mlp;
    use crate::native::{NativeMlp, NoData, Quadratic};
    use crate::train::StepRecord;
    use landscape_simulate::network::Dataset;
    use std::path::PathBuf;

    fn mixture_mlp(seed: u64) -> (NativeMlp, Dataset) {
        tanh_mixture_mlp(10, 40, 3.0, seed)
    }

    fn none<M>() -> impl FnMut(&StepRecord, &M) -> Result<(), EmpiricalError> {
        |_, _| Ok(())
    }

    fn config(rule: StepRule, scale: f64, steps: usize) -> AdaptiveConfig {
        AdaptiveConfig {
            rule,
            scale,
            operator: CurvatureKind::GaussNewton,
            every: 5,
            steps,
            batch_size: None,
            seed: 3,
        }
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn inverse_sharpness_converges_below_two_and_diverges_above() {
        let rule = StepRule::InverseSharpness { lanczos_steps: 3 };
        // λ_max = 4 is found exactly (3 steps span ℝ³), so η = c/4: contraction |1 − c| on the top coordinate.
        let run = |c: f64| {
            let mut model = Quadratic::new(vec![4.0, 1.0, 0.25], vec![1.0, 1.0, 1.0]).unwrap();
            let out = train_adaptive(
                &mut model,
                &NoData,
                &config(rule, c, 3000),
                None,
                &mut none(),
            )
            .unwrap();
            (out, model.loss(&NoData).unwrap_or(f64::INFINITY))
        };
        let (below, loss) = run(1.5);
        assert!(below.outcome.diverged_at.is_none());
        // The slowest coordinate contracts by 1 − 1.5/16 per step: after 3000 steps the loss is ~ 0.
        assert!(loss < 1e-20, "c = 1.5: final loss {loss}");
        assert!((below.measurements[0].1 - 4.0).abs() < 1e-10);
        assert!((below.measurements[0].2 - 0.375).abs() < 1e-12);
        // c = 2.5: the top coordinate grows 1.5× per step and overflows within ~1800 steps.
        let (above, _) = run(2.5);
        let at = above.outcome.diverged_at.expect("c = 2.5 diverges");
        assert!(at < 2000, "diverged at {at}");
    }

    #[test]
    fn inverse_trace_is_stable_where_inverse_sharpness_at_the_same_c_is_not() {
        // tr = 5.25 ≥ λ_max = 4: c = 2.5 gives η·λ_max = 1.9 < 2.
        let mut model = Quadratic::new(vec![4.0, 1.0, 0.25], vec![1.0, 1.0, 1.0]).unwrap();
        let out = train_adaptive(
            &mut model,
            &NoData,
            &config(StepRule::InverseTrace { probes: 2 }, 2.5, 2000),
            None,
            &mut none(),
        )
        .unwrap();
        assert!(out.outcome.diverged_at.is_none());
        // Rademacher probes of a diagonal matrix are exact.
        assert!((out.measurements[0].1 - 5.25).abs() < 1e-12);
        assert!(model.loss(&NoData).unwrap() < 1e-20);
    }

    const SOPHIA: StepRule = StepRule::Sophia {
        beta1: 0.96,
        beta2: 0.99,
        rho: 0.04,
        probes: 2,
    };
    const ADAHESSIAN: StepRule = StepRule::AdaHessian {
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-4,
        probes: 1,
    };
    const POLYAK: StepRule = StepRule::Polyak {
        f_star: 0.0,
        max_lr: 10.0,
    };

    /// One step of `rule` at scale `c` on the diagonal quadratic ½ Σ a_i θ_i² from θ = 1.
    fn one_step_on_a_diagonal_quadratic(rule: StepRule, c: f64) -> Vec<f64> {
        let mut model = Quadratic::new(vec![400.0, 1.0, 0.01], vec![1.0, 1.0, 1.0]).unwrap();
        train_adaptive(&mut model, &NoData, &config(rule, c, 1), None, &mut none()).unwrap();
        model.params().to_vec()
    }

    #[test]
    fn sophia_clips_to_sign_steps_and_otherwise_divides_by_the_diagonal() {
        let exact = |rho| StepRule::Sophia {
            beta1: 0.96,
            beta2: 0.99,
            rho,
            probes: 0,
        };
        // m = 0.04 a θ, h = 0.01 a: m/(ρh) = 4/ρ · θ, whatever a. ρ = 0.04: 100, clipped to 1, a step of η.
        for p in one_step_on_a_diagonal_quadratic(exact(0.04), 0.25) {
            assert!((p - 0.75).abs() < 1e-12, "{p}");
        }
        // ρ = 10: 0.4 unclipped, the same relative step on curvatures 400, 1 and 0.01.
        for p in one_step_on_a_diagonal_quadratic(exact(10.0), 1.0) {
            assert!((p - 0.6).abs() < 1e-12, "{p}");
        }
    }

    #[test]
    fn adahessian_first_step_is_a_damped_newton_step() {
        let rule = StepRule::AdaHessian {
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-4,
            probes: 0,
        };
        // Bias-corrected m̂ = a θ, v̂ = a²: θ ← θ − a θ/(a + ε) = ε/(a + ε).
        let after = one_step_on_a_diagonal_quadratic(rule, 1.0);
        for (p, a) in after.iter().zip([400.0, 1.0, 0.01]) {
            let expected = 1e-4 / (a + 1e-4);
            assert!(
                (p - expected).abs() < 1e-12 * expected.max(1e-3),
                "{p} vs {expected}"
            );
        }
    }

    #[test]
    fn the_polyak_step_with_the_true_optimum_solves_a_one_dimensional_quadratic() {
        // f = a θ²/2, g = a θ: c (f − 0)/g² = c/(2a); c = 2 gives the Newton step 1/a.
        let mut model = Quadratic::new(vec![7.0], vec![3.0]).unwrap();
        train_adaptive(
            &mut model,
            &NoData,
            &config(POLYAK, 2.0, 1),
            None,
            &mut none(),
        )
        .unwrap();
        assert!(model.params()[0].abs() < 1e-14, "{:?}", model.params());
        // The cap binds: η_max = 0.01 moves θ by 0.01·g = 0.21.
        let capped = StepRule::Polyak {
            f_star: 0.0,
            max_lr: 0.01,
        };
        let mut model = Quadratic::new(vec![7.0], vec![3.0]).unwrap();
        train_adaptive(
            &mut model,
            &NoData,
            &config(capped, 2.0, 1),
            None,
            &mut none(),
        )
        .unwrap();
        assert!(
            (model.params()[0] - 2.79).abs() < 1e-12,
            "{:?}",
            model.params()
        );
    }

    #[test]
    fn exact_diagonal_preconditioning_solves_a_diagonal_quadratic_in_one_step() {
        let mut model = Quadratic::new(vec![400.0, 1.0, 0.01], vec![1.0, 1.0, 1.0]).unwrap();
        let rule = StepRule::GaussNewtonDiagonal {
            probes: 0,
            damping: 1e-12,
        };
        train_adaptive(
            &mut model,
            &NoData,
            &config(rule, 1.0, 1),
            None,
            &mut none(),
        )
        .unwrap();
        // θ_i ← θ_i − a_i θ_i / (a_i + δ): zero up to δ/a_i ≤ 1e-10, whatever the condition number.
        assert!(
            model.params().iter().all(|p| p.abs() < 1e-9),
            "{:?}",
            model.params()
        );
    }

    #[test]
    fn every_rule_lowers_the_loss_of_a_gaussian_mixture() {
        for (rule, c) in [
            (StepRule::InverseSharpness { lanczos_steps: 10 }, 1.0),
            (StepRule::InverseTrace { probes: 4 }, 1.0),
            (
                StepRule::GaussNewtonDiagonal {
                    probes: 8,
                    damping: 1e-2,
                },
                0.1,
            ),
            (SOPHIA, 0.05),
            (ADAHESSIAN, 0.05),
            (POLYAK, 0.5),
        ] {
            let (mut model, data) = mixture_mlp(1);
            let before = model.loss(&data).unwrap();
            let out =
                train_adaptive(&mut model, &data, &config(rule, c, 60), None, &mut none()).unwrap();
            let after = model.loss(&data).unwrap();
            assert!(out.outcome.diverged_at.is_none(), "{rule:?}");
            // A separable 3-class mixture: 60 steps must at least halve ln 3 ≈ 1.1.
            assert!(after < 0.5 * before, "{rule:?}: loss {before} → {after}");
        }
    }

    #[test]
    fn twenty_steps_equal_ten_plus_ten_resumed_from_a_checkpoint_bit_for_bit() {
        let dir = std::env::temp_dir().join(format!("landscape-adaptive-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for rule in [
            StepRule::InverseSharpness { lanczos_steps: 8 },
            StepRule::InverseTrace { probes: 3 },
            StepRule::GaussNewtonDiagonal {
                probes: 4,
                damping: 1e-2,
            },
            SOPHIA,
            ADAHESSIAN,
            POLYAK,
        ] {
            // every = 3 does not divide 10: the resumed run must reuse the checkpointed curvature.
            let full = AdaptiveConfig {
                every: 3,
                batch_size: Some(8),
                ..config(rule, 0.5, 20)
            };
            let (mut straight, data) = mixture_mlp(3);
            let out_straight =
                train_adaptive(&mut straight, &data, &full, None, &mut none()).unwrap();
            let path: PathBuf = dir.join(format!("{}.ckpt", rule.name()));
            let _ = std::fs::remove_file(&path);
            let ck = CheckpointConfig {
                path: path.clone(),
                every: 5,
                resume: true,
            };
            let (mut first, _) = mixture_mlp(3);
            let half = AdaptiveConfig {
                steps: 10,
                ..full.clone()
            };
            train_adaptive(&mut first, &data, &half, Some(&ck), &mut none()).unwrap();
            let (mut restarted, _) = mixture_mlp(99);
            let out = train_adaptive(&mut restarted, &data, &full, Some(&ck), &mut none()).unwrap();
            assert_eq!(out.outcome.resumed_from, Some(10), "{rule:?}");
            assert_eq!(
                bits(restarted.params()),
                bits(straight.params()),
                "{rule:?}"
            );
            assert_eq!(
                bits(&out.outcome.losses),
                bits(&out_straight.outcome.losses),
                "{rule:?}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn invalid_settings_are_rejected() {
        let (mut model, data) = mixture_mlp(1);
        for bad in [
            config(StepRule::InverseTrace { probes: 1 }, -1.0, 5),
            config(StepRule::InverseTrace { probes: 0 }, 1.0, 5),
            config(
                StepRule::GaussNewtonDiagonal {
                    probes: 0,
                    damping: 0.0,
                },
                1.0,
                5,
            ),
            AdaptiveConfig {
                every: 0,
                ..config(StepRule::InverseSharpness { lanczos_steps: 5 }, 1.0, 5)
            },
        ] {
            assert!(train_adaptive(&mut model, &data, &bad, None, &mut none()).is_err());
        }
    }
}
