//! Seeded synthetic data sets: isotropic Gaussian inputs, teacher–student regression and Gaussian mixtures.
//!
//! Inputs are stored row-major, one sample per row (`x[α·dim + i]`), the layout `torch.Tensor` of shape
//! `[n, dim]` has.

use rand::RngExt;
use rand_distr::StandardNormal;

use super::mlp::Mlp;
use crate::SimulateError;
use crate::rng::Rng;

/// What a sample's target is.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// A class label per sample, for cross-entropy; labels must be below the network's output width.
    Classes(Vec<usize>),
    /// `k` real targets per sample, row-major (`y[α·k + j]`), for the mean squared error.
    Real(Vec<f64>, usize),
}

impl Targets {
    /// The number of samples the targets describe.
    pub fn n_samples(&self) -> usize {
        match self {
            Targets::Classes(c) => c.len(),
            Targets::Real(y, k) => y.len().checked_div(*k).unwrap_or(0),
        }
    }
}

/// How inputs are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputScale {
    /// Entries `N(0, 1/d0)`, so `‖x‖ ≈ 1`: Fan & Wang's normalisation (`docs/theory.md` §A1.1).
    #[default]
    UnitNorm,
    /// Entries `N(0, 1)`, so `‖x‖² ≈ d0`: the standard-parameterisation input of §A1.11. With
    /// [`super::Parameterization::Ntk`] this input reproduces the FW network exactly.
    UnitVariance,
}

impl InputScale {
    /// The standard deviation of one entry for input dimension `dim`.
    pub fn entry_std(self, dim: usize) -> f64 {
        match self {
            InputScale::UnitNorm => 1.0 / (dim as f64).sqrt(),
            InputScale::UnitVariance => 1.0,
        }
    }
}

/// Inputs and targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Inputs, row-major `n × dim`.
    pub x: Vec<f64>,
    /// The number of samples.
    pub n: usize,
    /// The input dimension.
    pub dim: usize,
    /// The targets.
    pub targets: Targets,
}

impl Dataset {
    /// Checks shapes: `x.len() = n·dim`, one target per sample, `n ≥ 1`, `dim ≥ 1`, finite values.
    pub fn new(x: Vec<f64>, n: usize, dim: usize, targets: Targets) -> Result<Self, SimulateError> {
        if n == 0 {
            return Err(SimulateError::invalid("n", n, "at least one sample"));
        }
        if dim == 0 {
            return Err(SimulateError::invalid("dim", dim, "at least 1"));
        }
        if x.len() != n * dim {
            return Err(SimulateError::invalid(
                "x.len()",
                x.len(),
                format!("n·dim = {}", n * dim),
            ));
        }
        if let Targets::Real(_, 0) = targets {
            return Err(SimulateError::invalid(
                "k",
                0,
                "at least one real target per sample",
            ));
        }
        if let Targets::Real(y, k) = &targets
            && y.len() != n * k
        {
            return Err(SimulateError::invalid(
                "targets.len()",
                y.len(),
                format!("n·k = {}", n * k),
            ));
        }
        if targets.n_samples() != n {
            return Err(SimulateError::invalid(
                "targets",
                targets.n_samples(),
                format!("{n} samples"),
            ));
        }
        if let Some(index) = x.iter().position(|v| !v.is_finite()) {
            return Err(SimulateError::NonFinite {
                what: "inputs",
                index,
            });
        }
        if let Targets::Real(y, _) = &targets
            && let Some(index) = y.iter().position(|v| !v.is_finite())
        {
            return Err(SimulateError::NonFinite {
                what: "targets",
                index,
            });
        }
        Ok(Self { x, n, dim, targets })
    }

    /// Sample `α`'s input row.
    pub fn input(&self, sample_idx: usize) -> &[f64] {
        &self.x[sample_idx * self.dim..(sample_idx + 1) * self.dim]
    }
}

/// `n × dim` iid Gaussian inputs with the given scale, row-major.
pub fn gaussian_inputs(n: usize, dim: usize, scale: InputScale, rng: &mut Rng) -> Vec<f64> {
    let std = scale.entry_std(dim);
    (0..n * dim)
        .map(|_| std * rng.sample::<f64, _>(StandardNormal))
        .collect()
}

/// Isotropic Gaussian inputs with `N(0, 1)` real targets, `k` per sample (pure-noise regression).
pub fn isotropic_regression(
    n: usize,
    dim: usize,
    k: usize,
    scale: InputScale,
    rng: &mut Rng,
) -> Result<Dataset, SimulateError> {
    let x = gaussian_inputs(n, dim, scale, rng);
    let y = (0..n * k)
        .map(|_| rng.sample::<f64, _>(StandardNormal))
        .collect();
    Dataset::new(x, n, dim, Targets::Real(y, k))
}

/// Isotropic Gaussian inputs with labels drawn uniformly from `0..n_classes` (pure-noise classification).
pub fn isotropic_classification(
    n: usize,
    dim: usize,
    n_classes: usize,
    scale: InputScale,
    rng: &mut Rng,
) -> Result<Dataset, SimulateError> {
    if n_classes < 2 {
        return Err(SimulateError::invalid("classes", n_classes, "at least 2"));
    }
    let x = gaussian_inputs(n, dim, scale, rng);
    let labels = (0..n).map(|_| rng.random_range(0..n_classes)).collect();
    Dataset::new(x, n, dim, Targets::Classes(labels))
}

/// Teacher–student regression: Gaussian inputs, targets `y = teacher(x) + noise_std·ξ` with ξ ~ N(0, 1).
///
/// The teacher is any [`Mlp`] with its parameters; its input width must equal `dim`.
pub fn teacher_student(
    teacher: &Mlp,
    teacher_params: &[f64],
    n: usize,
    noise_std: f64,
    scale: InputScale,
    rng: &mut Rng,
) -> Result<Dataset, SimulateError> {
    if !(noise_std >= 0.0 && noise_std.is_finite()) {
        return Err(SimulateError::invalid(
            "noise",
            noise_std,
            "a finite value ≥ 0",
        ));
    }
    let dim = teacher.n_inputs();
    let x = gaussian_inputs(n, dim, scale, rng);
    let mut y = teacher.forward(teacher_params, &x, n)?;
    for v in &mut y {
        *v += noise_std * rng.sample::<f64, _>(StandardNormal);
    }
    Dataset::new(x, n, dim, Targets::Real(y, teacher.n_outputs()))
}

/// A balanced `C`-class Gaussian mixture in dimension `dim`.
///
/// Class means are `μ_c = separation · u_c` with `u_c` uniform on the unit sphere; sample α has label `α mod C` and
/// input `μ_{label} + z` with `z ~ N(0, I/dim)` (noise of norm ≈ 1), so `separation` is measured in units of the
/// noise norm.
pub fn gaussian_mixture(
    n_classes: usize,
    dim: usize,
    n: usize,
    separation: f64,
    rng: &mut Rng,
) -> Result<Dataset, SimulateError> {
    if n_classes < 2 {
        return Err(SimulateError::invalid("classes", n_classes, "at least 2"));
    }
    if !(separation >= 0.0 && separation.is_finite()) {
        return Err(SimulateError::invalid(
            "separation",
            separation,
            "a finite value ≥ 0",
        ));
    }
    let mut means = vec![0.0; n_classes * dim];
    for mean in means.chunks_exact_mut(dim) {
        for v in mean.iter_mut() {
            *v = rng.sample(StandardNormal);
        }
        let norm = mean.iter().map(|v| v * v).sum::<f64>().sqrt();
        for v in mean.iter_mut() {
            *v *= separation / norm;
        }
    }
    let noise = InputScale::UnitNorm.entry_std(dim);
    let labels: Vec<usize> = (0..n).map(|a| a % n_classes).collect();
    let mut x = Vec::with_capacity(n * dim);
    for &label in &labels {
        for i in 0..dim {
            x.push(means[label * dim + i] + noise * rng.sample::<f64, _>(StandardNormal));
        }
    }
    Dataset::new(x, n, dim, Targets::Classes(labels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    #[test]
    fn unit_norm_inputs_have_norm_near_one() {
        let (n, dim, seed) = (200, 400, 3);
        let x = gaussian_inputs(n, dim, InputScale::UnitNorm, &mut seeded(seed));
        // ‖x‖² ~ χ²_dim/dim has sd √(2/dim) = 0.071; the mean over n rows has sd 0.005, so 0.03 is a 6σ bound.
        let mean_sq: f64 = x
            .chunks(dim)
            .map(|r| r.iter().map(|v| v * v).sum::<f64>())
            .sum::<f64>()
            / n as f64;
        assert!(
            (mean_sq - 1.0).abs() < 0.03,
            "seed {seed} n {n}: mean ‖x‖² = {mean_sq}"
        );
    }

    #[test]
    fn same_seed_gives_same_data() {
        let a = gaussian_mixture(3, 5, 12, 2.0, &mut seeded(9)).unwrap();
        let b = gaussian_mixture(3, 5, 12, 2.0, &mut seeded(9)).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.targets,
            Targets::Classes((0..12).map(|a| a % 3).collect())
        );
    }

    #[test]
    fn noiseless_teacher_student_targets_are_teacher_outputs() {
        use crate::network::{Activation, MlpConfig, Parameterization};
        let teacher = Mlp::new(MlpConfig {
            widths: vec![4, 6, 2],
            activation: Activation::Relu,
            parameterization: Parameterization::Ntk { bias_scale: 0.1 },
            bias: true,
        })
        .unwrap();
        let mut rng = seeded(17);
        let params = teacher.init(&mut rng);
        let ds =
            teacher_student(&teacher, &params, 7, 0.0, InputScale::UnitNorm, &mut rng).unwrap();
        let out = teacher.forward(&params, &ds.x, 7).unwrap();
        assert_eq!(ds.targets, Targets::Real(out, 2));
        assert!(
            teacher_student(&teacher, &params, 7, -1.0, InputScale::UnitNorm, &mut rng).is_err()
        );
    }

    #[test]
    fn shape_mismatches_are_errors() {
        assert!(Dataset::new(vec![0.0; 5], 2, 3, Targets::Classes(vec![0, 1])).is_err());
        assert!(Dataset::new(vec![0.0; 6], 2, 3, Targets::Classes(vec![0])).is_err());
        assert!(Dataset::new(vec![0.0; 6], 2, 3, Targets::Real(vec![0.0; 3], 2)).is_err());
        assert!(Dataset::new(vec![f64::NAN; 6], 2, 3, Targets::Classes(vec![0, 1])).is_err());
        assert!(gaussian_mixture(1, 3, 4, 1.0, &mut seeded(0)).is_err());
    }
}
