//! PCA whitening on the nonzero-variance subspace.
//!
//! With `μ` the mean and `Σ = (1/n) Σ_α (x_α − μ)(x_α − μ)ᵀ` the population covariance of the inputs (divisor
//! `n`, computed in `f64`), and `Σ = U Λ Uᵀ` its eigendecomposition, the whitened sample is
//! `z_α = Λ_r^{−1/2} U_rᵀ (x_α − μ)`, keeping the `r` eigenvalues above [`RANK_TOL`]`·λ_max`. Constant inputs (the
//! border pixels of the digits, always 0) make `Σ` rank-deficient, so `z` has `r < d` coordinates; its
//! covariance is `I_r` to rounding. This is the isotropic, unit-variance input the
//! Fan–Wang CK/NTK laws assume, with `d0 = r` (`docs/theory.md` §A1.3).

use super::Dataset;
use crate::EmpiricalError;

/// Eigenvalues of the covariance at most `RANK_TOL·λ_max` count as zero. A constant coordinate has exactly zero
/// variance, and the eigensolver leaves it at ~`d·ε·λ_max` ≈ 1e-14·λ_max; the digits' smallest genuine eigenvalue
/// is ~1e-4 of the largest, so any threshold in between gives the same rank.
pub const RANK_TOL: f64 = 1e-10;

/// The whitening map of [`pca_whiten`].
#[derive(Debug, Clone, PartialEq)]
pub struct Whitening {
    /// The input mean μ (length d).
    pub mean: Vec<f64>,
    /// The kept covariance eigenvalues, descending (length r, the rank).
    pub eigenvalues: Vec<f64>,
    /// `Λ_r^{−1/2} U_rᵀ`, row-major `r × d`.
    pub projection: Vec<f64>,
}

impl Whitening {
    /// The rank r: the whitened dimension.
    pub fn rank(&self) -> usize {
        self.eigenvalues.len()
    }

    /// Applies `z = Λ_r^{−1/2} U_rᵀ (x − μ)` to one sample of length d.
    pub fn apply(&self, x: &[f64]) -> Vec<f64> {
        let d = self.mean.len();
        let centred: Vec<f64> = x.iter().zip(&self.mean).map(|(&v, m)| v - m).collect();
        self.projection
            .chunks_exact(d)
            .map(|row| row.iter().zip(&centred).map(|(p, c)| p * c).sum::<f64>())
            .collect()
    }
}

/// PCA-whitens the inputs of `data` on their nonzero-variance subspace (module docs): a data set with samples of
/// shape `[r]` and the same targets, and the map used.
///
/// # Errors
/// [`EmpiricalError::InvalidArgument`] with fewer than 2 samples or constant inputs (rank 0);
/// [`EmpiricalError::Numerical`] if the eigensolver fails.
pub fn pca_whiten(data: &Dataset) -> Result<(Dataset, Whitening), EmpiricalError> {
    let n = data.n_samples();
    let d = data.sample_len();
    if n < 2 {
        return Err(EmpiricalError::invalid(
            "samples",
            n,
            "at least 2 to whiten",
        ));
    }
    let mut mean = vec![0.0f64; d];
    for sample in data.inputs().chunks_exact(d) {
        for (m, &v) in mean.iter_mut().zip(sample) {
            *m += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let mut cov = vec![0.0f64; d * d];
    let mut centred = vec![0.0f64; d];
    for sample in data.inputs().chunks_exact(d) {
        for ((c, &v), m) in centred.iter_mut().zip(sample).zip(&mean) {
            *c = v - m;
        }
        for i in 0..d {
            for j in 0..d {
                cov[i * d + j] += centred[i] * centred[j];
            }
        }
    }
    cov.iter_mut().for_each(|c| *c /= n as f64);
    let (values, vectors) = landscape_simulate::dense::DenseSymmetric::from_row_major(d, &cov)
        .and_then(|m| m.eigen())
        .map_err(|e| EmpiricalError::Numerical(e.to_string()))?;
    let top = values.last().copied().unwrap_or(0.0);
    let kept: Vec<usize> = (0..d)
        .rev()
        .filter(|&k| top > 0.0 && values[k] > RANK_TOL * top)
        .collect();
    if kept.is_empty() {
        return Err(EmpiricalError::invalid(
            "inputs",
            "constant",
            "inputs with nonzero variance to whiten",
        ));
    }
    let r = kept.len();
    let mut projection = vec![0.0; r * d];
    for (row, &k) in kept.iter().enumerate() {
        let scale = 1.0 / values[k].sqrt();
        for i in 0..d {
            projection[row * d + i] = scale * vectors[(i, k)];
        }
    }
    let whitening = Whitening {
        mean,
        eigenvalues: kept.iter().map(|&k| values[k]).collect(),
        projection,
    };
    let inputs: Vec<f64> = data
        .inputs()
        .chunks_exact(d)
        .flat_map(|x| whitening.apply(x))
        .collect();
    let whitened = Dataset::new(
        format!("{} (whitened)", data.name()),
        inputs,
        vec![r],
        data.targets().clone(),
    )?;
    Ok((whitened, whitening))
}

#[cfg(test)]
mod tests {
    use super::pca_whiten;
    use crate::data::digits::{N_PIXELS, digits};

    /// The whitened covariance in `f64`: the eigensolver's backward error (~d·ε·λ_max) amplified by the whitening's
    /// condition number λ_max/λ_min ≈ 1e4 for the digits leaves ~1e-10 in `Ẑ − I`; 1e-8 bounds it with margin.
    const WHITE_TOL: f64 = 1e-8;

    #[test]
    fn whitened_digits_have_identity_covariance_on_the_nonconstant_subspace() {
        let data = digits().unwrap();
        let (white, map) = pca_whiten(&data).unwrap();
        // Independent count of the rank: pixels that are not constant over the data set.
        let n = data.n_samples();
        let nonconstant = (0..N_PIXELS)
            // Pixels are small integers stored exactly, so bitwise equality is the right test of constancy.
            .filter(|&p| (0..n).any(|a| data.sample(a)[p].to_bits() != data.sample(0)[p].to_bits()))
            .count();
        assert_eq!(map.rank(), nonconstant, "rank vs nonconstant pixels");
        assert_eq!(white.sample_shape(), &[nonconstant]);
        let r = map.rank();
        let mut max_err = 0.0f64;
        for i in 0..r {
            for j in 0..r {
                let mut s = 0.0;
                let mut mi = 0.0;
                for a in 0..n {
                    let z = white.sample(a);
                    s += z[i] * z[j];
                    mi += z[i];
                }
                let want = if i == j { 1.0 } else { 0.0 };
                max_err = max_err.max((s / n as f64 - want).abs());
                max_err = max_err.max((mi / n as f64).abs());
            }
        }
        assert!(
            max_err <= WHITE_TOL,
            "digits n {n}, rank {r}: max |cov − I|, |mean| = {max_err} > {WHITE_TOL}"
        );
    }
}
