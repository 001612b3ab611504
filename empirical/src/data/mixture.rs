//! Seeded synthetic Gaussian mixtures: a classification task whose difficulty is one parameter.

use super::{Dataset, Targets};
use crate::EmpiricalError;
use landscape_simulate::rng;
use rand_distr::{Distribution, StandardNormal};

/// `n_samples` points in `ℝ^dim`, sample `i` in class `y = i mod n_classes`, `x = μ_y + z` with `z ~ N(0, I)`.
///
/// The class means `μ_c` are drawn once, i.i.d. `N(0, (separation² / dim) I)`, so `‖μ_c‖ ≈ separation` and
/// two means are about `√2 · separation` apart. Everything comes from [`rng::seeded`]`(seed)`: means first
/// (class by class), then the noise sample by sample, so a seed fixes the data bit for bit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussianMixture {
    /// Number of samples.
    pub n_samples: usize,
    /// Input dimension.
    pub dim: usize,
    /// Number of classes (mixture components).
    pub n_classes: usize,
    /// Typical norm of a class mean, in units of the noise standard deviation.
    pub separation: f64,
    /// The seed.
    pub seed: u64,
}

impl GaussianMixture {
    /// Draws the data set.
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] for zero sizes, fewer than two classes or a negative or non-finite
    /// separation.
    pub fn sample(&self) -> Result<Dataset, EmpiricalError> {
        if self.n_samples == 0 {
            return Err(EmpiricalError::invalid("samples", 0, "at least 1"));
        }
        if self.dim == 0 {
            return Err(EmpiricalError::invalid("dim", 0, "at least 1"));
        }
        if self.n_classes < 2 {
            return Err(EmpiricalError::invalid(
                "classes",
                self.n_classes,
                "at least 2",
            ));
        }
        if !(self.separation.is_finite() && self.separation >= 0.0) {
            return Err(EmpiricalError::invalid(
                "separation",
                self.separation,
                "a finite number ≥ 0",
            ));
        }
        let mut rng = rng::seeded(self.seed);
        let mean_scale = self.separation / (self.dim as f64).sqrt();
        let means: Vec<f64> = (0..self.n_classes * self.dim)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                mean_scale * z
            })
            .collect();
        let mut inputs = Vec::with_capacity(self.n_samples * self.dim);
        let mut labels = Vec::with_capacity(self.n_samples);
        for i in 0..self.n_samples {
            let class = i % self.n_classes;
            let mean = &means[class * self.dim..(class + 1) * self.dim];
            for &m in mean {
                let z: f64 = StandardNormal.sample(&mut rng);
                inputs.push((m + z) as f32);
            }
            labels.push(class as i64);
        }
        Dataset::new(
            format!(
                "gaussian-mixture(n={}, dim={}, classes={}, separation={}, seed={})",
                self.n_samples, self.dim, self.n_classes, self.separation, self.seed
            ),
            inputs,
            vec![self.dim],
            Targets::Classes {
                labels,
                n_classes: self.n_classes,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mixture(seed: u64) -> GaussianMixture {
        GaussianMixture {
            n_samples: 2000,
            dim: 5,
            n_classes: 2,
            separation: 0.0,
            seed,
        }
    }

    #[test]
    fn same_seed_gives_identical_data_and_another_seed_does_not() {
        assert_eq!(mixture(3).sample().unwrap(), mixture(3).sample().unwrap());
        assert_ne!(
            mixture(3).sample().unwrap().inputs(),
            mixture(4).sample().unwrap().inputs()
        );
    }

    #[test]
    fn zero_separation_gives_standard_normal_coordinates() {
        let data = mixture(11).sample().unwrap();
        let xs: Vec<f64> = data.inputs().iter().map(|&v| f64::from(v)).collect();
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        // 10^4 N(0,1) values: sd of the mean 0.01, of the variance √(2/n) ≈ 0.014; 5 sd bounds fail with
        // probability < 1e-6 each.
        assert!(mean.abs() < 0.05, "seed 11, n {n}, mean {mean}, bound 0.05");
        assert!(
            (var - 1.0).abs() < 0.071,
            "seed 11, n {n}, var {var}, bound 0.071"
        );
    }

    #[test]
    fn labels_alternate_over_classes() {
        let data = GaussianMixture {
            n_classes: 3,
            n_samples: 7,
            ..mixture(1)
        }
        .sample()
        .unwrap();
        assert_eq!(
            data.targets(),
            &Targets::Classes {
                labels: vec![0, 1, 2, 0, 1, 2, 0],
                n_classes: 3
            }
        );
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        assert!(
            GaussianMixture {
                n_classes: 1,
                ..mixture(0)
            }
            .sample()
            .is_err()
        );
        assert!(
            GaussianMixture {
                dim: 0,
                ..mixture(0)
            }
            .sample()
            .is_err()
        );
        assert!(
            GaussianMixture {
                separation: f64::NAN,
                ..mixture(0)
            }
            .sample()
            .is_err()
        );
    }
}
