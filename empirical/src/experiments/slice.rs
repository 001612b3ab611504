//! Filter-normalized loss slices (Li, Xu, Taylor, Studer & Goldstein 2018, "Visualizing the loss landscape of
//! neural nets", §4).
//!
//! A random Gaussian direction `d` is rescaled filter by filter, `d_f ← d_f · ‖θ_f‖ / ‖d_f‖`, so that every filter
//! moves in proportion to its own size (the slice is then invariant to the scale symmetry of ReLU layers);
//! biases and other non-filter parameters get `d = 0`. For an MLP a filter is one row of a weight matrix (the
//! incoming weights of one neuron). The slices are
//!
//! ```text
//! 1-D:  ℒ(θ + α d),             α on a uniform grid of [−r, r]
//! 2-D:  ℒ(θ + α d₁ + β d₂),     (α, β) on a uniform grid of [−r, r]²
//! ```
//!
//! Direction `j` is drawn from `task_rng(seed, j)`.

use landscape_simulate::rng::task_rng;
use landscape_simulate::trace::ProbeKind;

use crate::error::EmpiricalError;
use crate::model::CurvatureModel;

/// Settings of [`slice_1d`] and [`slice_2d`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SliceConfig {
    /// `r`: the grid spans `[−r, r]` (1 reaches a perturbation as large as the weights).
    pub radius: f64,
    /// Grid points per axis (odd includes 0).
    pub points: usize,
    /// Seed of the directions.
    pub seed: u64,
}

/// A 1-D slice.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice1d {
    /// The grid `α_i`.
    pub alphas: Vec<f64>,
    /// `ℒ(θ + α_i d)`.
    pub losses: Vec<f64>,
}

/// A 2-D slice.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice2d {
    /// The grid of each axis.
    pub alphas: Vec<f64>,
    /// `ℒ(θ + α_i d₁ + α_j d₂)` at `losses[i][j]`.
    pub losses: Vec<Vec<f64>>,
}

/// The filter-normalized random direction number `index` for the model's current parameters.
pub fn filter_normalized_direction<M: CurvatureModel>(
    model: &M,
    seed: u64,
    index: u64,
) -> Vec<f64> {
    let theta = model.params();
    let mut d = vec![0.0; theta.len()];
    ProbeKind::Gaussian.fill(&mut task_rng(seed, index), &mut d);
    for group in model.param_groups() {
        let range = group.range;
        if !group.is_filter {
            d[range].fill(0.0);
            continue;
        }
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let (theta_norm, d_norm) = (norm(&theta[range.clone()]), norm(&d[range.clone()]));
        let scale = if d_norm > 0.0 {
            theta_norm / d_norm
        } else {
            0.0
        };
        d[range].iter_mut().for_each(|x| *x *= scale);
    }
    d
}

fn grid(config: &SliceConfig) -> Result<Vec<f64>, EmpiricalError> {
    if !(config.radius > 0.0 && config.radius.is_finite()) {
        return Err(EmpiricalError::invalid(
            "radius",
            config.radius,
            "a finite value > 0",
        ));
    }
    if config.points < 2 {
        return Err(EmpiricalError::invalid(
            "points",
            config.points,
            "at least 2",
        ));
    }
    let step = 2.0 * config.radius / (config.points - 1) as f64;
    Ok((0..config.points)
        .map(|i| -config.radius + step * i as f64)
        .collect())
}

/// The loss at `θ + Σ_j c_j d_j`, or `+∞` when the loss is not finite there (far from a minimum the loss can
/// overflow; the slice records that instead of failing).
fn loss_at<M: CurvatureModel>(
    model: &mut M,
    data: &M::Data,
    theta: &[f64],
    terms: &[(f64, &[f64])],
    work: &mut [f64],
) -> Result<f64, EmpiricalError> {
    work.copy_from_slice(theta);
    for (c, d) in terms {
        for (w, x) in work.iter_mut().zip(d.iter()) {
            *w += c * x;
        }
    }
    model.set_params(work)?;
    match model.loss(data) {
        Ok(l) => Ok(l),
        Err(EmpiricalError::NonFinite { .. }) => Ok(f64::INFINITY),
        Err(e) => Err(e),
    }
}

/// The 1-D filter-normalized slice through the model's current parameters (restored on return).
///
/// # Errors
/// Invalid settings and model errors.
pub fn slice_1d<M: CurvatureModel>(
    model: &mut M,
    data: &M::Data,
    config: &SliceConfig,
) -> Result<Slice1d, EmpiricalError> {
    let alphas = grid(config)?;
    let theta = model.params().to_vec();
    let d = filter_normalized_direction(model, config.seed, 0);
    let mut work = vec![0.0; theta.len()];
    let mut losses = Vec::with_capacity(alphas.len());
    let result = alphas.iter().try_for_each(|&a| {
        losses.push(loss_at(model, data, &theta, &[(a, &d)], &mut work)?);
        Ok(())
    });
    model.set_params(&theta)?;
    result.map(|()| Slice1d { alphas, losses })
}

/// The 2-D filter-normalized slice through the model's current parameters (restored on return).
///
/// # Errors
/// Invalid settings and model errors.
pub fn slice_2d<M: CurvatureModel>(
    model: &mut M,
    data: &M::Data,
    config: &SliceConfig,
) -> Result<Slice2d, EmpiricalError> {
    let alphas = grid(config)?;
    let theta = model.params().to_vec();
    let d1 = filter_normalized_direction(model, config.seed, 0);
    let d2 = filter_normalized_direction(model, config.seed, 1);
    let mut work = vec![0.0; theta.len()];
    let mut losses = Vec::with_capacity(alphas.len());
    let result = alphas.iter().try_for_each(|&a| {
        let mut row = Vec::with_capacity(alphas.len());
        for &b in &alphas {
            row.push(loss_at(
                model,
                data,
                &theta,
                &[(a, &d1), (b, &d2)],
                &mut work,
            )?);
        }
        losses.push(row);
        Ok(())
    });
    model.set_params(&theta)?;
    result.map(|()| Slice2d { alphas, losses })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::NativeMlp;
    use crate::native::fixtures::Mixture;
    use landscape_simulate::network::{Activation, Dataset};

    fn model() -> (NativeMlp, Dataset) {
        Mixture {
            dim: 5,
            hidden: 7,
            n: 30,
            separation: 2.0,
            data_seed: 3,
            activation: Activation::Relu,
        }
        .build(4)
    }

    #[test]
    fn direction_has_each_filters_norm_and_zero_on_biases() {
        let (model, _) = model();
        let d = filter_normalized_direction(&model, 9, 0);
        let theta = model.params();
        for g in model.param_groups() {
            let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
            let (dn, tn) = (norm(&d[g.range.clone()]), norm(&theta[g.range.clone()]));
            if g.is_filter {
                // Rescaling to a target norm: exact up to a few ulps.
                assert!((dn - tn).abs() <= 1e-12 * tn, "{:?}: {dn} vs {tn}", g.range);
            } else {
                assert!(dn == 0.0, "bias {:?}: {dn}", g.range);
            }
        }
        assert_ne!(d, filter_normalized_direction(&model, 9, 1));
    }

    #[test]
    fn slices_pass_through_the_current_loss_at_the_origin_and_restore_the_parameters() {
        let (mut model, data) = model();
        let theta = model.params().to_vec();
        let at_origin = model.loss(&data).unwrap();
        let config = SliceConfig {
            radius: 1.0,
            points: 5,
            seed: 1,
        };
        let one = slice_1d(&mut model, &data, &config).unwrap();
        let two = slice_2d(&mut model, &data, &config).unwrap();
        assert!(model.params() == &theta[..]);
        assert_eq!(one.alphas.len(), 5);
        assert!(one.alphas[2].abs() < 1e-15 && (one.alphas[4] - 1.0).abs() < 1e-15);
        assert_eq!(one.losses[2].to_bits(), at_origin.to_bits());
        assert_eq!(two.losses[2][2].to_bits(), at_origin.to_bits());
        assert_eq!(two.losses.len(), 5);
        // Moving along a direction as large as the weights changes the loss.
        assert!((one.losses[0] - at_origin).abs() > 1e-6 * at_origin);
    }
}
