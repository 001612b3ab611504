//! Sharpness over training: `λ_max` of the Hessian every `k` steps against the stability threshold `2/η`
//! (gradient descent) or `(2 + 2β)/η` (heavy-ball momentum).
//!
//! On a quadratic, gradient descent is stable iff `η λ_max < 2` and heavy ball iff `η λ_max < 2 + 2β`. Cohen et
//! al. (2021, "Gradient descent on neural networks typically occurs at the edge of stability") observe that full-
//! batch training drives `λ_max` up to the threshold ("progressive sharpening") and then hovers there ("edge of
//! stability"). The ratio `λ_max / threshold` (`λ_max η / 2` for gradient descent) is reported per point.
//!
//! `λ_max` is measured on the training data at `θ_t` before step `t`'s update, by Lanczos warm-started from the
//! previous top eigenvector.

use crate::error::EmpiricalError;
use crate::experiments::eigenpairs::{End, extreme_eigenpairs};
use crate::model::{CurvatureKind, CurvatureModel};
use crate::train::{CheckpointConfig, StepRecord, TrainConfig, TrainOutcome, train};

/// Settings of [`sharpness`].
#[derive(Debug, Clone, PartialEq)]
pub struct SharpnessConfig {
    /// The training run.
    pub train: TrainConfig,
    /// Measure `λ_max` every this many steps (and at the last step).
    pub every: usize,
    /// Cap on Lanczos products per measurement (warm-started, runs usually converge in 10–30).
    pub lanczos_steps: usize,
    /// Hessian (the quantity of the edge of stability) or Gauss–Newton.
    pub operator: CurvatureKind,
}

/// One measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharpnessPoint {
    /// Updates made before the measurement.
    pub step: usize,
    /// The batch loss at that step.
    pub loss: f64,
    /// The top eigenvalue.
    pub lambda_max: f64,
    /// Its residual `‖A v − λ v‖`.
    pub residual: f64,
    /// Whether the residual met the tolerance before the cap of products.
    pub converged: bool,
    /// Lanczos products of the measurement, the residual's included.
    pub n_matvecs: usize,
    /// `λ_max / threshold`, when the optimizer has a threshold.
    pub ratio: Option<f64>,
}

/// The result of [`sharpness`].
#[derive(Debug, Clone, PartialEq)]
pub struct SharpnessResult {
    /// `2/η` or `(2 + 2β)/η`; `None` for Adam.
    pub threshold: Option<f64>,
    /// The measurements in step order.
    pub points: Vec<SharpnessPoint>,
    /// The training run.
    pub outcome: TrainOutcome,
}

impl SharpnessResult {
    /// The mean ratio over the last quarter of the measurements (at least one): the edge-of-stability statistic,
    /// close to 1 when training sits at the edge.
    pub fn late_ratio(&self) -> Option<f64> {
        let ratios: Vec<f64> = self.points.iter().filter_map(|p| p.ratio).collect();
        if ratios.is_empty() {
            return None;
        }
        let tail = &ratios[ratios.len() - ratios.len().div_ceil(4)..];
        Some(tail.iter().sum::<f64>() / tail.len() as f64)
    }
}

/// Trains `model` on `data` and measures `λ_max` every `config.every` steps on `data`.
///
/// # Errors
/// Invalid settings (`every = 0`), and errors of [`train`] or of the eigensolver.
pub fn sharpness<M: CurvatureModel>(
    model: &mut M,
    data: &M::Data,
    config: &SharpnessConfig,
    checkpoint: Option<&CheckpointConfig>,
) -> Result<SharpnessResult, EmpiricalError> {
    if config.every == 0 {
        return Err(EmpiricalError::invalid("every", 0, "at least 1"));
    }
    let threshold = config
        .train
        .optimizer
        .hessian_stability_threshold(config.train.learning_rate);
    let mut points = Vec::new();
    let mut warm: Option<Vec<f64>> = None;
    let last = config.train.steps.saturating_sub(1);
    let seed = config.train.seed;
    let mut observe = |record: &StepRecord, model: &M| -> Result<(), EmpiricalError> {
        if !record.step.is_multiple_of(config.every) && record.step != last {
            return Ok(());
        }
        let op = model.curvature_operator(data, config.operator)?;
        let top = extreme_eigenpairs(
            op.as_ref(),
            1,
            End::Top,
            config.lanczos_steps,
            warm.as_deref(),
            seed ^ record.step as u64,
        )?;
        let lambda_max = top.values[0];
        points.push(SharpnessPoint {
            step: record.step,
            loss: record.loss,
            lambda_max,
            residual: top.residuals[0],
            converged: top.converged[0],
            n_matvecs: top.n_matvecs,
            ratio: threshold.map(|t| lambda_max / t),
        });
        warm = top.vectors.into_iter().next();
        Ok(())
    };
    let outcome = train(model, data, &config.train, checkpoint, &mut observe)?;
    Ok(SharpnessResult {
        threshold,
        points,
        outcome,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::fixtures::Mixture;
    use crate::native::{NoData, Quadratic};
    use crate::train::Optimizer;
    use landscape_simulate::network::Activation;

    fn run_quadratic(a_max: f64, optimizer: Optimizer, lr: f64) -> SharpnessResult {
        let mut model = Quadratic::new(vec![a_max, 0.5, 0.1], vec![1.0, 1.0, 1.0]).unwrap();
        let config = SharpnessConfig {
            train: TrainConfig {
                optimizer,
                learning_rate: lr,
                steps: 2000,
                batch_size: None,
                seed: 3,
            },
            every: 100,
            lanczos_steps: 3,
            operator: CurvatureKind::Hessian,
        };
        sharpness(&mut model, &NoData, &config, None).unwrap()
    }

    #[test]
    fn gradient_descent_on_a_quadratic_converges_below_and_diverges_above_two_over_eta() {
        // η = 1: threshold 2. λ_max = 1.9 contracts by 0.9 per step; 2.3 grows by 1.3, and 1.3^4000 overflows
        // the loss within the 2000 steps.
        let below = run_quadratic(1.9, Optimizer::GradientDescent, 1.0);
        let above = run_quadratic(2.3, Optimizer::GradientDescent, 1.0);
        assert_eq!(below.threshold, Some(2.0));
        assert!(below.outcome.diverged_at.is_none());
        assert!(
            above.outcome.diverged_at.is_some(),
            "λ_max η / 2 = 1.05 must diverge"
        );
        // Lanczos on a 3×3 diagonal operator in 3 steps is exact: λ_max to round-off.
        let p = below.points[0];
        assert!(
            (p.lambda_max - 1.9).abs() < 1e-12 && p.residual < 1e-12,
            "{p:?}"
        );
        assert!((p.ratio.unwrap() - 0.95).abs() < 1e-12);
    }

    #[test]
    fn heavy_ball_on_a_quadratic_is_stable_below_two_plus_two_beta_over_eta() {
        // β = 0.5, η = 1: threshold 3. The iteration's roots solve z² − (1 + β − ηλ) z + β = 0: for λ = 2.9 they
        // are complex with |z| = √β ≈ 0.71; for λ = 3.3, z = −1.46, which overflows the loss within 2000 steps.
        let momentum = Optimizer::HeavyBall { beta: 0.5 };
        let below = run_quadratic(2.9, momentum, 1.0);
        let above = run_quadratic(3.3, momentum, 1.0);
        assert_eq!(below.threshold, Some(3.0));
        assert!(below.outcome.diverged_at.is_none());
        assert!(above.outcome.diverged_at.is_some());
    }

    #[test]
    fn sharpness_of_a_small_mlp_is_measured_with_small_residuals() {
        let (mut model, data) = Mixture {
            dim: 8,
            hidden: 16,
            n: 60,
            separation: 2.0,
            data_seed: 4,
            activation: Activation::Tanh,
        }
        .build(1);
        let config = SharpnessConfig {
            train: TrainConfig {
                optimizer: Optimizer::GradientDescent,
                learning_rate: 0.5,
                steps: 41,
                batch_size: None,
                seed: 1,
            },
            every: 10,
            lanczos_steps: 30,
            operator: CurvatureKind::Hessian,
        };
        let result = sharpness(&mut model, &data, &config, None).unwrap();
        let steps: Vec<usize> = result.points.iter().map(|p| p.step).collect();
        assert_eq!(steps, vec![0, 10, 20, 30, 40]);
        for p in &result.points {
            // 30 warm-started steps on P = 195: the top pair converges to ~1e-6 relative (measured ≲ 1e-8).
            assert!(
                p.lambda_max > 0.0 && p.residual < 1e-4 * p.lambda_max,
                "step {}: λ {} residual {}",
                p.step,
                p.lambda_max,
                p.residual
            );
        }
        assert!(result.late_ratio().is_some());
    }
}
