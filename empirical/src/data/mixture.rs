//! Seeded synthetic Gaussian mixtures: a classification task whose difficulty is one parameter.

use super::Dataset;
use crate::EmpiricalError;
use landscape_simulate::network::data as native_data;
use landscape_simulate::rng::{self, Rng};

/// `n_samples` points in `ℝ^dim`, sample `i` in class `y = i mod n_classes`, `x = μ_y + z` with `z ~ N(0, I/dim)`
/// (noise of norm ≈ 1).
///
/// The class means are `μ_c = separation · u_c` with `u_c` uniform on the unit sphere, so `separation` is the norm
/// of every mean in units of the noise norm. This is the one mixture of the project: the draws are
/// [`landscape_simulate::network::data::gaussian_mixture`]'s (means class by class, then the noise sample by
/// sample), so a seed fixes the data bit for bit, here, in the CLI's `--data gaussian-mixture` and in the checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussianMixture {
    /// Number of samples.
    pub n_samples: usize,
    /// Input dimension.
    pub dim: usize,
    /// Number of classes (mixture components).
    pub n_classes: usize,
    /// The norm of every class mean, in units of the noise norm.
    pub separation: f64,
    /// The seed ([`Self::sample`] draws from [`rng::seeded`]`(seed)`).
    pub seed: u64,
}

impl GaussianMixture {
    /// Draws the data set from [`rng::seeded`]`(seed)`.
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] for zero sizes, fewer than two classes or a negative or non-finite
    /// separation.
    pub fn sample(&self) -> Result<Dataset, EmpiricalError> {
        self.sample_from(&mut rng::seeded(self.seed))
    }

    /// Draws the data set from `rng` (the CLI draws from a named stream of its seed); `seed` only names it.
    ///
    /// # Errors
    /// As [`Self::sample`].
    pub fn sample_from(&self, rng: &mut Rng) -> Result<Dataset, EmpiricalError> {
        if self.n_samples == 0 {
            return Err(EmpiricalError::invalid("samples", 0, "at least 1"));
        }
        if self.dim == 0 {
            return Err(EmpiricalError::invalid("dim", 0, "at least 1"));
        }
        let data = native_data::gaussian_mixture(
            self.n_classes,
            self.dim,
            self.n_samples,
            self.separation,
            rng,
        )?;
        Ok(data.with_name(format!(
            "gaussian-mixture(n={}, dim={}, classes={}, separation={}, seed={})",
            self.n_samples, self.dim, self.n_classes, self.separation, self.seed
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Targets;

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
    fn zero_separation_gives_noise_of_unit_norm() {
        let data = mixture(11).sample().unwrap();
        // Coordinates are N(0, 1/dim): scaled by √dim they are standard normal.
        let root_dim = (data.sample_len() as f64).sqrt();
        let xs: Vec<f64> = data.inputs().iter().map(|&v| v * root_dim).collect();
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
