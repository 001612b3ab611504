//! Seeded random-matrix ensembles that know the law they converge to.
//!
//! Every ensemble implements [`Ensemble`]: it draws one symmetric matrix from an explicit [`Rng`] and states its
//! limiting empirical spectral distribution (ESD) as a law expression in the CLI syntax, which the root package
//! parses with the theory crate (this crate never depends on `landscape-theory`). Floats in expressions are
//! printed with Rust's `{}`, the shortest string that round-trips.
//!
//! | ensemble | matrix | limit expression |
//! |---|---|---|
//! | [`Wishart`] | `XXᵀ/n`, X p×n, entries N(0, σ²) | `mp(ratio=p/n, variance=σ²)` |
//! | [`Goe`] | symmetric, off-diagonal variance v/N, diagonal 2v/N | `semicircle(variance=v)` |
//! | [`SpikedCovariance`] | `Σ^{1/2}ZZᵀΣ^{1/2}/n`, Σ = σ²I + (ℓ − σ²)uuᵀ | `mp(ratio=p/n, variance=σ²)` (bulk) |
//! | [`SpikedWigner`] | `θuuᵀ + W`, W GOE of variance σ² | `semicircle(variance=σ²)` (bulk) |
//! | [`FreeSumEnsemble`] | `A + O B Oᵀ`, O Haar orthogonal | `free_sum(LAW_A, LAW_B)` |
//! | [`FreeProductEnsemble`] | `A^{1/2} O B Oᵀ A^{1/2}`, O Haar orthogonal | `free_product(LAW_A, LAW_B)` |
//! | [`DeepLinearJacobian`] | `JJᵀ`, J = W_L⋯W_1 | Gaussian weights: nested `free_product(mp(..), ..)`, or `fuss_catalan(depth=L)` when square with σ² = 1; orthogonal: `None` |
//! | [`RandomFeatures`] | `YYᵀ/m`, Y = f(WX/√n0) | `random_features(phi=, psi=, eta=, zeta=)` |
//! | [`PenningtonBahriEnsemble`] | `H0 + H1`, Wishart plus GOE | `pennington_bahri(phi=, energy=)` |
//!
//! Conventions follow `docs/theory.md` §1: MP ratio = p/n (§1.2), semicircle variance = off-diagonal
//! variance × N (§1.1), Pennington–Bahri H1 variance 2ε (§1.7), Pennington–Worah φ = n0/m, ψ = n0/n1 (§1.8).
//!
//! # Reproducibility
//!
//! Gaussians are drawn from the one [`Rng`] in a fixed order (column-major, matrix by matrix), and every product
//! runs with [`faer::Par::Seq`], so a seed gives the same bits whatever the thread count. Every sample is exactly
//! symmetric (`(M + Mᵀ)/2` is formed explicitly, which is bit-symmetric because addition commutes).
//! The Haar QR and the eigensolvers read faer's global parallelism, which is `Par::Seq` in this build (faer's
//! `rayon` feature is off); enabling it would require passing `Par::Seq` explicitly there too. Across platforms the
//! ChaCha stream is identical; `StandardNormal` (ziggurat) calls the platform `exp`/`ln` only on its rare slow
//! path, so cross-platform bit identity rests on those functions being correctly rounded.

mod deep_linear;
mod free_product;
mod free_sum;
mod goe;
mod pennington_bahri;
mod random_features;
mod spectrum;
mod spiked_covariance;
mod spiked_wigner;
mod wishart;

#[cfg(test)]
mod test_support;

pub use crate::dense::eigenvalues;
pub use deep_linear::{DeepLinearJacobian, WeightLaw};
pub use free_product::FreeProductEnsemble;
pub use free_sum::FreeSumEnsemble;
pub use goe::Goe;
pub use pennington_bahri::PenningtonBahriEnsemble;
pub use random_features::{FeatureMap, GaussianMoments, RandomFeatures};
pub use spectrum::{squared_overlap, top_eigenpair};
pub use spiked_covariance::SpikedCovariance;
pub use spiked_wigner::SpikedWigner;
pub use wishart::Wishart;

use crate::SimulateError;
use crate::rng::Rng;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rand_distr::{Distribution, StandardNormal};

/// A random symmetric matrix ensemble with a known limiting spectral law.
pub trait Ensemble: std::fmt::Debug + Send + Sync {
    /// The side length N of the sampled N×N matrix.
    fn dim(&self) -> usize;

    /// Draws one exactly symmetric N×N matrix. The same generator state gives the same bits on every thread count.
    fn sample(&self, rng: &mut Rng) -> Mat<f64>;

    /// The limiting ESD as a law expression in the CLI syntax, e.g. `mp(ratio=0.5, variance=1)`.
    ///
    /// `None` when the limit is not expressible in that vocabulary (e.g. the point mass of an orthogonal deep
    /// linear network). Finite-rank perturbations (spikes) do not change the limiting ESD, so spiked ensembles
    /// report their bulk law.
    fn limit_expression(&self) -> Option<String>;

    /// A short name for reports, e.g. `"wishart"`.
    fn name(&self) -> &'static str;
}

/// Checks a matrix side length: at least 2.
pub(crate) fn check_dim(name: &'static str, n: usize) -> Result<usize, SimulateError> {
    if n < 2 {
        return Err(SimulateError::invalid(name, n, "an integer >= 2"));
    }
    Ok(n)
}

/// Checks a finite, strictly positive parameter.
pub(crate) fn check_positive(name: &'static str, x: f64) -> Result<f64, SimulateError> {
    if !(x.is_finite() && x > 0.0) {
        return Err(SimulateError::invalid(name, x, "a finite number > 0"));
    }
    Ok(x)
}

/// A `rows × cols` matrix of iid N(0, std²) entries, drawn in column-major order. Cost O(rows·cols).
pub fn gaussian_matrix(rows: usize, cols: usize, std: f64, rng: &mut Rng) -> Mat<f64> {
    let mut m = Mat::<f64>::zeros(rows, cols);
    for j in 0..cols {
        for x in m.col_as_slice_mut(j) {
            let z: f64 = StandardNormal.sample(rng);
            *x = std * z;
        }
    }
    m
}

/// A `rows × cols` matrix (rows ≥ cols) with Haar-distributed orthonormal columns (uniform on the Stiefel manifold).
///
/// Thin QR of a Gaussian matrix with the sign fix diag(R) > 0 (Mezzadri 2007, "How to generate random matrices
/// from the classical compact groups"); without the fix the law is not Haar. Cost O(rows·cols²).
///
/// # Panics
/// If `rows < cols`.
#[track_caller]
pub fn haar_stiefel(rows: usize, cols: usize, rng: &mut Rng) -> Mat<f64> {
    assert!(
        rows >= cols,
        "haar_stiefel needs rows >= cols, got {rows} x {cols}"
    );
    let g = gaussian_matrix(rows, cols, 1.0, rng);
    let qr = g.qr();
    let mut q = qr.compute_thin_Q();
    let r = qr.thin_R();
    for j in 0..cols {
        if r[(j, j)] < 0.0 {
            for x in q.col_as_slice_mut(j) {
                *x = -*x;
            }
        }
    }
    q
}

/// An n×n Haar-distributed orthogonal matrix. See [`haar_stiefel`]. Cost O(n³).
pub fn haar_orthogonal(n: usize, rng: &mut Rng) -> Mat<f64> {
    haar_stiefel(n, n, rng)
}

/// Mean normalised spectral moments `(1/N) tr Mᵏ`, k = 1..=K, over `reps` draws of `ens` (draw r from
/// [`crate::rng::task_rng`]`(seed, r)`), from each draw's eigenvalues: the finite-size moments that an ensemble's
/// tests and measurement tools compare with the moments of its limit law.
///
/// # Errors
/// The eigensolver's failure.
pub fn mean_spectral_moments<const K: usize>(
    ens: &dyn Ensemble,
    seed: u64,
    reps: u64,
) -> Result<[f64; K], SimulateError> {
    let mut acc = [0.0; K];
    for r in 0..reps {
        let ev = eigenvalues(&ens.sample(&mut crate::rng::task_rng(seed, r)))?;
        let n = ev.len() as f64;
        for (k, a) in acc.iter_mut().enumerate() {
            *a += ev.iter().map(|x| x.powi(k as i32 + 1)).sum::<f64>() / n / reps as f64;
        }
    }
    Ok(acc)
}

/// `alpha · a · b`, computed sequentially so the bits do not depend on the thread count.
pub(crate) fn product(a: MatRef<'_, f64>, b: MatRef<'_, f64>, alpha: f64) -> Mat<f64> {
    let mut out = Mat::<f64>::zeros(a.nrows(), b.ncols());
    matmul(out.as_mut(), Accum::Replace, a, b, alpha, Par::Seq);
    out
}

/// `alpha · x xᵀ`, made exactly symmetric. Cost O(rows²·cols).
pub(crate) fn gram(x: MatRef<'_, f64>, alpha: f64) -> Mat<f64> {
    let mut g = product(x, x.transpose(), alpha);
    symmetrize(&mut g);
    g
}

/// Replaces `m` by `(m + mᵀ)/2`; the result is bit-for-bit symmetric.
pub(crate) fn symmetrize(m: &mut Mat<f64>) {
    let n = m.nrows();
    for j in 0..n {
        for i in (j + 1)..n {
            let avg = 0.5 * (m[(i, j)] + m[(j, i)]);
            m[(i, j)] = avg;
            m[(j, i)] = avg;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    fn all_ensembles() -> Vec<Box<dyn Ensemble>> {
        let tanh = FeatureMap::from(crate::network::Activation::Tanh);
        vec![
            Box::new(Wishart::new(30, 50, 1.0).unwrap()),
            Box::new(Goe::new(30, 1.0).unwrap()),
            Box::new(SpikedCovariance::new(30, 50, 4.0, 1.0).unwrap()),
            Box::new(SpikedWigner::new(30, 2.0, 1.0).unwrap()),
            Box::new(
                FreeSumEnsemble::new(
                    Box::new(Wishart::new(30, 50, 1.0).unwrap()),
                    Box::new(Goe::new(30, 1.0).unwrap()),
                )
                .unwrap(),
            ),
            Box::new(DeepLinearJacobian::new(&[40, 20, 30], WeightLaw::Gaussian, 1.0).unwrap()),
            Box::new(DeepLinearJacobian::new(&[40, 20, 30], WeightLaw::Orthogonal, 1.0).unwrap()),
            Box::new(RandomFeatures::new(20, 30, 40, tanh, 1.0, 1.0).unwrap()),
            Box::new(PenningtonBahriEnsemble::new(30, 60, 0.1).unwrap()),
        ]
    }

    fn bits(m: &Mat<f64>) -> Vec<u64> {
        (0..m.ncols())
            .flat_map(|j| m.col_as_slice(j).iter().map(|x| x.to_bits()))
            .collect()
    }

    #[test]
    fn same_seed_gives_same_bits_on_any_thread_and_different_seeds_differ() {
        for ens in all_ensembles() {
            let first = bits(&ens.sample(&mut seeded(5)));
            let again = bits(&ens.sample(&mut seeded(5)));
            assert_eq!(first, again, "{}: seed 5 not reproducible", ens.name());
            let other = bits(&ens.sample(&mut seeded(6)));
            assert_ne!(
                first,
                other,
                "{}: seeds 5 and 6 gave the same matrix",
                ens.name()
            );
        }
        // A different thread (and a concurrently busy one) must not change the bits.
        let ensembles = std::sync::Arc::new(all_ensembles());
        let reference: Vec<Vec<u64>> = ensembles
            .iter()
            .map(|e| bits(&e.sample(&mut seeded(9))))
            .collect();
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let ens = std::sync::Arc::clone(&ensembles);
                std::thread::spawn(move || {
                    ens.iter()
                        .map(|e| bits(&e.sample(&mut seeded(9))))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            assert_eq!(
                h.join().unwrap(),
                reference,
                "bits changed on another thread"
            );
        }
    }

    #[test]
    fn every_sample_is_exactly_symmetric_with_the_stated_dimension() {
        for ens in all_ensembles() {
            let m = ens.sample(&mut seeded(3));
            let n = ens.dim();
            assert_eq!((m.nrows(), m.ncols()), (n, n), "{}", ens.name());
            for j in 0..n {
                for i in 0..n {
                    assert_eq!(
                        m[(i, j)].to_bits(),
                        m[(j, i)].to_bits(),
                        "{} ({i},{j})",
                        ens.name()
                    );
                }
            }
        }
    }

    #[test]
    fn limit_expressions_use_the_cli_syntax() {
        let got: Vec<Option<String>> = all_ensembles()
            .iter()
            .map(|e| e.limit_expression())
            .collect();
        assert_eq!(got[0].as_deref(), Some("mp(ratio=0.6, variance=1)"));
        assert_eq!(got[1].as_deref(), Some("semicircle(variance=1)"));
        assert_eq!(got[2].as_deref(), Some("mp(ratio=0.6, variance=1)"));
        assert_eq!(got[3].as_deref(), Some("semicircle(variance=1)"));
        assert_eq!(
            got[4].as_deref(),
            Some("free_sum(mp(ratio=0.6, variance=1), semicircle(variance=1))")
        );
        assert_eq!(
            got[5].as_deref(),
            Some("free_product(mp(ratio=0.75, variance=1), mp(ratio=1.5, variance=1))")
        );
        assert_eq!(got[6], None);
        assert_eq!(
            got[8].as_deref(),
            Some("pennington_bahri(phi=0.5, energy=0.1)")
        );
    }

    #[test]
    fn constructors_reject_degenerate_sizes() {
        assert!(check_dim("n", 1).is_err());
        assert!(check_positive("v", 0.0).is_err());
        assert!(check_positive("v", f64::NAN).is_err());
    }
}
