//! Mode connectivity: the loss (and optionally `λ_max`) along the straight line and along a trained quadratic
//! Bézier curve between two independently trained minima (Garipov et al. 2018; Draxler et al. 2018).
//!
//! ```text
//! line:    θ(t) = (1 − t) θ_a + t θ_b
//! Bézier:  φ(t) = (1 − t)² θ_a + 2 t (1 − t) θ_c + t² θ_b,      t ∈ [0, 1]
//! barrier: B = max_t ℒ(t) − ½ (ℒ(0) + ℒ(1))     on 51 equally spaced t
//! ```
//!
//! The control point `θ_c` starts at the midpoint `(θ_a + θ_b)/2` (where the curve is the line) and is trained by
//! stochastic gradient descent on `E_{t∼U[0,1]} ℒ(φ(t))`, whose gradient in `θ_c` is `2t(1 − t) ∇ℒ(φ(t))`. The
//! `t` of step `s` is the golden-ratio sequence `t_s = frac(½ + s·(√5 − 1)/2)`, a deterministic low-discrepancy
//! draw from `U[0, 1]`.

use crate::error::EmpiricalError;
use crate::experiments::eigenpairs::{End, extreme_eigenpairs};
use crate::model::{CurvatureKind, CurvatureModel};
use crate::train::{TrainConfig, TrainOutcome, train};

/// Points on each path: `t = i/50`, `i = 0..=50`.
pub const PATH_POINTS: usize = 51;

/// Settings of [`connect`].
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectConfig {
    /// How each endpoint is trained (the second run uses `seed + 1` for its minibatches).
    pub train: TrainConfig,
    /// Steps of the Bézier control point's training (0 skips the curve).
    pub curve_steps: usize,
    /// Its learning rate.
    pub curve_learning_rate: f64,
    /// Lanczos steps for `λ_max` along the paths; `None` skips it.
    pub lambda_max_steps: Option<usize>,
}

/// A path's profile.
#[derive(Debug, Clone, PartialEq)]
pub struct PathProfile {
    /// `t_i = i/50`.
    pub t: Vec<f64>,
    /// `ℒ(t_i)` on the data.
    pub loss: Vec<f64>,
    /// `λ_max(t_i)` of the Hessian, when requested.
    pub lambda_max: Option<Vec<f64>>,
    /// `max_i ℒ(t_i) − ½(ℒ(0) + ℒ(1))`.
    pub barrier: f64,
    /// The `t` of the maximum.
    pub t_max: f64,
}

/// The result of [`connect`].
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectResult {
    /// Training of endpoint a.
    pub outcome_a: TrainOutcome,
    /// Training of endpoint b.
    pub outcome_b: TrainOutcome,
    /// `‖θ_a − θ_b‖₂`.
    pub distance: f64,
    /// The straight line.
    pub linear: PathProfile,
    /// The trained Bézier curve, unless `curve_steps = 0`.
    pub bezier: Option<PathProfile>,
    /// The loss `E_t ℒ(φ(t))` estimate (the step's `ℒ(φ(t_s))`) over the curve training, one per step.
    pub curve_losses: Vec<f64>,
}

/// `frac(½ + s·(√5 − 1)/2)`.
pub fn golden_t(s: usize) -> f64 {
    const GOLDEN_FRACTION: f64 = 0.618_033_988_749_894_9;
    (0.5 + s as f64 * GOLDEN_FRACTION).fract()
}

fn bezier_point(a: &[f64], c: &[f64], b: &[f64], t: f64, out: &mut [f64]) {
    let (wa, wc, wb) = ((1.0 - t) * (1.0 - t), 2.0 * t * (1.0 - t), t * t);
    for (((o, a), c), b) in out.iter_mut().zip(a).zip(c).zip(b) {
        *o = wa * a + wc * c + wb * b;
    }
}

/// The loss profile of a path `t ↦ point(t)` on 51 points.
fn profile<M: CurvatureModel>(
    model: &mut M,
    data: &M::Data,
    lambda_steps: Option<usize>,
    seed: u64,
    point: &dyn Fn(f64, &mut [f64]),
) -> Result<PathProfile, EmpiricalError> {
    let mut theta = vec![0.0; model.n_params()];
    let t: Vec<f64> = (0..PATH_POINTS)
        .map(|i| i as f64 / (PATH_POINTS - 1) as f64)
        .collect();
    let mut loss = Vec::with_capacity(PATH_POINTS);
    let mut lambdas = lambda_steps.map(|_| Vec::with_capacity(PATH_POINTS));
    let mut warm: Option<Vec<f64>> = None;
    for &ti in &t {
        point(ti, &mut theta);
        model.set_params(&theta)?;
        loss.push(model.loss(data)?);
        if let (Some(steps), Some(lambdas)) = (lambda_steps, lambdas.as_mut()) {
            let op = model.curvature_operator(data, CurvatureKind::Hessian)?;
            let top = extreme_eigenpairs(op.as_ref(), 1, End::Top, steps, warm.as_deref(), seed)?;
            lambdas.push(top.values[0]);
            warm = top.vectors.into_iter().next();
        }
    }
    let (i_max, max) =
        loss.iter()
            .copied()
            .enumerate()
            .fold(
                (0, f64::NEG_INFINITY),
                |acc, (i, l)| {
                    if l > acc.1 { (i, l) } else { acc }
                },
            );
    let barrier = max - 0.5 * (loss[0] + loss[PATH_POINTS - 1]);
    Ok(PathProfile {
        t_max: t[i_max],
        t,
        loss,
        lambda_max: lambdas,
        barrier,
    })
}

/// Trains `model_a` and `model_b` (two initializations of the same architecture) on `data`, then profiles the
/// straight line between the minima and trains and profiles a quadratic Bézier curve.
///
/// On return `model_a` holds `θ_a` and `model_b` holds `θ_b`.
///
/// # Errors
/// Invalid settings, a diverged endpoint training, model and eigensolver errors.
pub fn connect<M: CurvatureModel>(
    model_a: &mut M,
    model_b: &mut M,
    data: &M::Data,
    config: &ConnectConfig,
) -> Result<ConnectResult, EmpiricalError> {
    if model_a.n_params() != model_b.n_params() {
        return Err(EmpiricalError::invalid(
            "models",
            format!("P = {} and {}", model_a.n_params(), model_b.n_params()),
            "two models of the same architecture",
        ));
    }
    if !(config.curve_learning_rate > 0.0 && config.curve_learning_rate.is_finite()) {
        return Err(EmpiricalError::invalid(
            "curve-lr",
            config.curve_learning_rate,
            "a finite value > 0",
        ));
    }
    let outcome_a = train(model_a, data, &config.train, None, &mut |_, _| Ok(()))?;
    let train_b = TrainConfig {
        seed: config.train.seed.wrapping_add(1),
        ..config.train.clone()
    };
    let outcome_b = train(model_b, data, &train_b, None, &mut |_, _| Ok(()))?;
    for (name, outcome) in [("a", &outcome_a), ("b", &outcome_b)] {
        if let Some(step) = outcome.diverged_at {
            return Err(EmpiricalError::invalid(
                "lr",
                config.train.learning_rate,
                format!(
                    "a step size at which endpoint {name} does not diverge (it did at step {step})"
                ),
            ));
        }
    }
    let theta_a = model_a.params().to_vec();
    let theta_b = model_b.params().to_vec();
    let distance = theta_a
        .iter()
        .zip(&theta_b)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt();
    // model_b is the evaluator for the paths; it is restored to θ_b at the end.
    let seed = config.train.seed;
    let linear = profile(model_b, data, config.lambda_max_steps, seed, &|t, out| {
        for ((o, a), b) in out.iter_mut().zip(&theta_a).zip(&theta_b) {
            *o = (1.0 - t) * a + t * b;
        }
    })?;
    let mut curve_losses = Vec::with_capacity(config.curve_steps);
    let bezier = if config.curve_steps == 0 {
        None
    } else {
        let mut control: Vec<f64> = theta_a
            .iter()
            .zip(&theta_b)
            .map(|(a, b)| 0.5 * (a + b))
            .collect();
        let mut phi = vec![0.0; control.len()];
        for s in 0..config.curve_steps {
            let t = golden_t(s);
            bezier_point(&theta_a, &control, &theta_b, t, &mut phi);
            model_b.set_params(&phi)?;
            let (loss, gradient) = model_b.loss_and_gradient(data)?;
            let weight = 2.0 * t * (1.0 - t) * config.curve_learning_rate;
            for (c, g) in control.iter_mut().zip(&gradient) {
                *c -= weight * g;
            }
            curve_losses.push(loss);
        }
        Some(profile(
            model_b,
            data,
            config.lambda_max_steps,
            seed,
            &|t, out| bezier_point(&theta_a, &control, &theta_b, t, out),
        )?)
    };
    model_b.set_params(&theta_b)?;
    Ok(ConnectResult {
        outcome_a,
        outcome_b,
        distance,
        linear,
        bezier,
        curve_losses,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::fixtures::Mixture;
    use crate::train::Optimizer;
    use landscape_simulate::network::Activation;

    #[test]
    fn bezier_curve_lowers_the_barrier_of_the_straight_line_between_two_minima() {
        let problem = Mixture {
            dim: 4,
            hidden: 12,
            n: 60,
            separation: 1.5,
            data_seed: 8,
            activation: Activation::Tanh,
        };
        let (mut a, data) = problem.build(1);
        let (mut b, _) = problem.build(2);
        let config = ConnectConfig {
            train: TrainConfig {
                optimizer: Optimizer::HeavyBall { beta: 0.9 },
                learning_rate: 0.1,
                steps: 300,
                batch_size: None,
                seed: 1,
            },
            curve_steps: 400,
            curve_learning_rate: 0.5,
            lambda_max_steps: Some(20),
        };
        let result = connect(&mut a, &mut b, &data, &config).unwrap();
        let bezier = result.bezier.as_ref().unwrap();
        // Both paths start and end at the same minima: identical endpoint losses, bit for bit.
        assert_eq!(result.linear.loss[0].to_bits(), bezier.loss[0].to_bits());
        assert_eq!(result.linear.loss[50].to_bits(), bezier.loss[50].to_bits());
        assert_eq!(
            result.linear.loss[0].to_bits(),
            a.loss(&data).unwrap().to_bits()
        );
        assert_eq!(
            result.linear.lambda_max.as_ref().unwrap().len(),
            PATH_POINTS
        );
        assert!(
            result.linear.barrier > 0.0,
            "linear barrier {} (distance {})",
            result.linear.barrier,
            result.distance
        );
        assert!(
            bezier.barrier < result.linear.barrier,
            "Bézier barrier {} vs linear {}",
            bezier.barrier,
            result.linear.barrier
        );
    }

    #[test]
    fn golden_sequence_stays_in_the_unit_interval_and_fills_it() {
        let ts: Vec<f64> = (0..100).map(golden_t).collect();
        assert!(ts.iter().all(|t| (0.0..1.0).contains(t)));
        // Every tenth of [0, 1) is visited by 100 low-discrepancy points.
        for bin in 0..10 {
            assert!(ts.iter().any(|t| (*t * 10.0) as usize == bin), "bin {bin}");
        }
    }
}
