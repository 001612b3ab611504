//! Dense real symmetric matrices: validation, products, and exact eigendecompositions (the ground truth that
//! every matrix-free estimator in this crate is checked against).
//!
//! Eigensolves use faer's self-adjoint solver (Householder tridiagonalisation, then divide and conquer or implicit
//! QR on the tridiagonal: the same algorithm family as LAPACK's `dsyevd`). Every faer call here passes
//! [`Par::Seq`] explicitly, and the workspace builds faer without its `rayon` feature, so the bits of a result do
//! not depend on the thread count or on a global parallelism setting. (faer dispatches SIMD kernels at run time, so
//! two different CPUs may differ in the last bits; one machine always reproduces itself.)
//!
//! **Cost, measured** (`benches/dense_vs_numpy.py`, release build, a shared AVX-512 machine under load):
//! all eigenvalues of a 2000 × 2000 matrix take about 0.56 s of CPU time here against 0.33 s for numpy's
//! `eigvalsh` (OpenBLAS `dsyevd`) restricted to one thread; faer on stable Rust uses AVX2 kernels only. Against
//! numpy with its default (multi-threaded) BLAS, on 2 busy cores, ours was 3× faster in wall time. Enabling faer's
//! `rayon` feature would trade bitwise reproducibility across thread counts for speed; we do not.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{self, ComputeEigenvectors};
use faer::{Accum, Mat, MatRef, Par};

use crate::SimulateError;
use crate::operator::SymmetricOperator;

/// Largest accepted asymmetry `|a_ij − a_ji|`, relative to `max |a_ij|`.
///
/// A matrix built as `B Bᵀ` or `(B + Bᵀ)/2` in floating point is symmetric to a few ulps of its largest entry;
/// 1e-12 leaves three orders of magnitude of room for such round-off while rejecting any matrix that is not meant
/// to be symmetric (a genuine asymmetry is O(1) relative).
pub const SYMMETRY_REL_TOL: f64 = 1e-12;

/// A validated dense real symmetric matrix.
///
/// The stored matrix is exactly symmetric: [`DenseSymmetric::new`] accepts round-off asymmetry up to
/// [`SYMMETRY_REL_TOL`] and replaces each pair by its mean, so products and eigensolves see one matrix.
#[derive(Debug, Clone)]
pub struct DenseSymmetric {
    mat: Mat<f64>,
}

impl DenseSymmetric {
    /// Validates `mat` (square, finite, symmetric within [`SYMMETRY_REL_TOL`]) and symmetrises it exactly.
    ///
    /// # Errors
    /// [`SimulateError::InvalidArgument`] for a non-square or non-symmetric matrix, [`SimulateError::NonFinite`]
    /// for a NaN or infinite entry.
    pub fn new(mat: Mat<f64>) -> Result<Self, SimulateError> {
        let mut mat = mat;
        check_symmetric(mat.as_ref())?;
        let n = mat.nrows();
        for j in 0..n {
            for i in (j + 1)..n {
                let mean = 0.5 * (mat[(i, j)] + mat[(j, i)]);
                mat[(i, j)] = mean;
                mat[(j, i)] = mean;
            }
        }
        Ok(Self { mat })
    }

    /// Builds the matrix from `n * n` entries in row-major order and validates it as [`DenseSymmetric::new`] does.
    ///
    /// # Errors
    /// [`SimulateError::InvalidArgument`] if `data.len() != n * n`, plus those of [`DenseSymmetric::new`].
    pub fn from_row_major(n: usize, data: &[f64]) -> Result<Self, SimulateError> {
        if n.checked_mul(n) != Some(data.len()) {
            return Err(SimulateError::invalid(
                "data.len()",
                data.len(),
                format!("n * n = {n} * {n} entries"),
            ));
        }
        Self::new(Mat::from_fn(n, n, |i, j| data[i * n + j]))
    }

    /// The dimension `n`.
    pub fn dim(&self) -> usize {
        self.mat.nrows()
    }

    /// A view of the (exactly symmetric) matrix.
    pub fn as_mat(&self) -> MatRef<'_, f64> {
        self.mat.as_ref()
    }

    /// The matrix, consuming `self`.
    pub fn into_mat(self) -> Mat<f64> {
        self.mat
    }

    /// All eigenvalues in ascending order. Cost O(n³), memory O(n²).
    ///
    /// # Errors
    /// [`SimulateError::Numerical`] if the eigensolver does not converge.
    pub fn eigenvalues(&self) -> Result<Vec<f64>, SimulateError> {
        self_adjoint_evd(self.mat.as_ref(), false).map(|(values, _)| values)
    }

    /// Eigenvalues in ascending order and the orthonormal eigenvectors as the columns of an `n × n` matrix, in
    /// the same order. Cost O(n³), memory O(n²).
    ///
    /// # Errors
    /// [`SimulateError::Numerical`] if the eigensolver does not converge.
    pub fn eigen(&self) -> Result<(Vec<f64>, Mat<f64>), SimulateError> {
        let (values, vectors) = self_adjoint_evd(self.mat.as_ref(), true)?;
        let vectors = vectors.ok_or_else(|| SimulateError::Numerical {
            what: "self-adjoint eigendecomposition",
            detail: "eigenvectors missing".into(),
        })?;
        Ok((values, vectors))
    }
}

impl SymmetricOperator for DenseSymmetric {
    fn dim(&self) -> usize {
        self.mat.nrows()
    }

    /// `y = A x` by faer's SIMD matrix–vector product (sequential, so deterministic). Cost 2n² flops; for large
    /// `n` it is bound by reading the matrix from memory.
    fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), SimulateError> {
        let n = self.mat.nrows();
        if x.len() != n || y.len() != n {
            return Err(SimulateError::invalid(
                "vector length",
                format!("x: {}, y: {}", x.len(), y.len()),
                format!("the operator dimension {n}"),
            ));
        }
        let xv = MatRef::from_column_major_slice(x, n, 1);
        let yv = faer::MatMut::from_column_major_slice_mut(y, n, 1);
        faer::linalg::matmul::matmul(yv, Accum::Replace, self.mat.as_ref(), xv, 1.0, Par::Seq);
        Ok(())
    }
}

/// All eigenvalues of the symmetric matrix `mat`, ascending.
///
/// The matrix is validated first (square, finite, symmetric within [`SYMMETRY_REL_TOL`]); only its lower
/// triangle is then read. Cost O(n³).
///
/// # Errors
/// [`SimulateError::InvalidArgument`] for a non-square or non-symmetric matrix, [`SimulateError::NonFinite`] for a
/// non-finite entry, [`SimulateError::Numerical`] if the solver does not converge.
pub fn eigenvalues(mat: &Mat<f64>) -> Result<Vec<f64>, SimulateError> {
    check_symmetric(mat.as_ref())?;
    self_adjoint_evd(mat.as_ref(), false).map(|(values, _)| values)
}

/// Eigenvalues (ascending) and orthonormal eigenvectors (columns, same order) of the symmetric matrix `mat`.
///
/// Validation as in [`eigenvalues`]. Cost O(n³).
///
/// # Errors
/// As [`eigenvalues`].
pub fn eigen(mat: &Mat<f64>) -> Result<(Vec<f64>, Mat<f64>), SimulateError> {
    check_symmetric(mat.as_ref())?;
    let (values, vectors) = self_adjoint_evd(mat.as_ref(), true)?;
    let vectors = vectors.ok_or_else(|| SimulateError::Numerical {
        what: "self-adjoint eigendecomposition",
        detail: "eigenvectors missing".into(),
    })?;
    Ok((values, vectors))
}

/// Checks that `mat` is square, finite and symmetric within [`SYMMETRY_REL_TOL`] of its largest entry.
fn check_symmetric(mat: MatRef<'_, f64>) -> Result<(), SimulateError> {
    let (nrows, ncols) = (mat.nrows(), mat.ncols());
    if nrows != ncols {
        return Err(SimulateError::invalid(
            "matrix shape",
            format!("{nrows}×{ncols}"),
            "a square matrix",
        ));
    }
    let n = nrows;
    let mut max_abs = 0.0_f64;
    for j in 0..n {
        for i in 0..n {
            let v = mat[(i, j)];
            if !v.is_finite() {
                return Err(SimulateError::NonFinite {
                    what: "matrix entry (column-major index)",
                    index: j * n + i,
                });
            }
            max_abs = max_abs.max(v.abs());
        }
    }
    let bound = SYMMETRY_REL_TOL * max_abs;
    for j in 0..n {
        for i in (j + 1)..n {
            let diff = (mat[(i, j)] - mat[(j, i)]).abs();
            if diff > bound {
                return Err(SimulateError::invalid(
                    "matrix",
                    format!(
                        "asymmetric: |a[{i},{j}] - a[{j},{i}]| = {diff:e} > {SYMMETRY_REL_TOL:e} * max|a| = {bound:e}"
                    ),
                    "a symmetric matrix",
                ));
            }
        }
    }
    Ok(())
}

/// faer's self-adjoint EVD on the lower triangle of `mat`, sequential.
fn self_adjoint_evd(
    mat: MatRef<'_, f64>,
    vectors: bool,
) -> Result<(Vec<f64>, Option<Mat<f64>>), SimulateError> {
    let n = mat.nrows();
    if n == 0 {
        return Ok((Vec::new(), vectors.then(|| Mat::zeros(0, 0))));
    }
    let compute = if vectors {
        ComputeEigenvectors::Yes
    } else {
        ComputeEigenvectors::No
    };
    let par = Par::Seq;
    let mut buffer = MemBuffer::new(evd::self_adjoint_evd_scratch::<f64>(
        n,
        compute,
        par,
        Default::default(),
    ));
    let stack = MemStack::new(&mut buffer);
    let mut s = faer::diag::Diag::<f64>::zeros(n);
    let mut u = vectors.then(|| Mat::<f64>::zeros(n, n));
    evd::self_adjoint_evd(
        mat,
        s.as_mut(),
        u.as_mut().map(|u| u.as_mut()),
        par,
        stack,
        Default::default(),
    )
    .map_err(|e| SimulateError::Numerical {
        what: "self-adjoint eigendecomposition",
        detail: format!("{e:?} (n = {n})"),
    })?;
    let values: Vec<f64> = s.column_vector().iter().copied().collect();
    if let Some(idx) = values.iter().position(|v| !v.is_finite()) {
        return Err(SimulateError::NonFinite {
            what: "eigenvalue",
            index: idx,
        });
    }
    Ok((values, u))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;
    use rand_distr::{Distribution, StandardNormal};

    /// Reconstruction and orthogonality tolerance, relative to ‖A‖·√n·ε: backward-stable EVD gives errors of
    /// order n·ε·‖A‖; the factor 100·√n covers the constant of the tridiagonalisation.
    fn evd_bound(n: usize, norm: f64) -> f64 {
        100.0 * (n as f64).sqrt() * f64::EPSILON * norm.max(1.0)
    }

    fn random_symmetric(n: usize, seed: u64) -> Mat<f64> {
        let mut r = rng::seeded(seed);
        let g: Mat<f64> = Mat::from_fn(n, n, |_, _| StandardNormal.sample(&mut r));
        Mat::from_fn(n, n, |i, j| {
            (g[(i, j)] + g[(j, i)]) / (2.0 * (n as f64).sqrt())
        })
    }

    #[test]
    fn eigendecomposition_reconstructs_matrix() {
        let (n, seed) = (150, 11);
        let a = random_symmetric(n, seed);
        let (values, v) = eigen(&a).unwrap();
        assert!(values.windows(2).all(|w| w[0] <= w[1]), "not ascending");
        let norm = values.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
        let mut max_rec = 0.0_f64;
        let mut max_orth = 0.0_f64;
        for i in 0..n {
            for j in 0..n {
                let mut rec = 0.0;
                let mut orth = 0.0;
                for k in 0..n {
                    rec += v[(i, k)] * values[k] * v[(j, k)];
                    orth += v[(k, i)] * v[(k, j)];
                }
                max_rec = max_rec.max((rec - a[(i, j)]).abs());
                max_orth = max_orth.max((orth - if i == j { 1.0 } else { 0.0 }).abs());
            }
        }
        let bound = evd_bound(n, norm);
        assert!(
            max_rec <= bound,
            "seed {seed} n {n}: |VΛVᵀ − A|max = {max_rec:e} > {bound:e}"
        );
        assert!(
            max_orth <= bound,
            "seed {seed} n {n}: |VᵀV − I|max = {max_orth:e} > {bound:e}"
        );
        let only = eigenvalues(&a).unwrap();
        for (x, y) in only.iter().zip(&values) {
            assert!(
                (x - y).abs() <= bound,
                "eigenvalues() and eigen() disagree: {x} vs {y}"
            );
        }
    }

    #[test]
    fn eigenvalues_are_bitwise_reproducible() {
        let a = random_symmetric(200, 3);
        let first = eigenvalues(&a).unwrap();
        let second = eigenvalues(&a).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&first), bits(&second));
    }

    #[test]
    fn known_spectrum_of_path_graph_laplacian() {
        // The path-graph Laplacian-like tridiagonal (2, −1) has eigenvalues 2 − 2cos(kπ/(n+1)), k = 1..n.
        let n = 50;
        let a = Mat::from_fn(n, n, |i, j| match i.abs_diff(j) {
            0 => 2.0,
            1 => -1.0,
            _ => 0.0,
        });
        let values = eigenvalues(&a).unwrap();
        for (k, v) in values.iter().enumerate() {
            let exact = 2.0 - 2.0 * ((k + 1) as f64 * std::f64::consts::PI / (n + 1) as f64).cos();
            assert!(
                (v - exact).abs() <= evd_bound(n, 4.0),
                "k {k}: {v} vs {exact}"
            );
        }
    }

    #[test]
    fn non_symmetric_matrix_is_rejected() {
        let data = [1.0, 2.0, 3.0, 4.0];
        let err = DenseSymmetric::from_row_major(2, &data).unwrap_err();
        assert!(
            matches!(err, SimulateError::InvalidArgument { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("asymmetric"), "{err}");
        let err = eigenvalues(&Mat::from_fn(2, 2, |i, j| data[2 * i + j])).unwrap_err();
        assert!(
            matches!(err, SimulateError::InvalidArgument { .. }),
            "{err}"
        );
    }

    #[test]
    fn non_square_and_non_finite_inputs_are_rejected() {
        assert!(eigenvalues(&Mat::zeros(2, 3)).is_err());
        let err = DenseSymmetric::from_row_major(2, &[1.0, f64::NAN, f64::NAN, 1.0]).unwrap_err();
        assert!(matches!(err, SimulateError::NonFinite { .. }), "{err}");
        assert!(DenseSymmetric::from_row_major(3, &[1.0; 4]).is_err());
    }

    #[test]
    fn round_off_asymmetry_is_accepted_and_symmetrised() {
        let data = [1.0, 2.0, 2.0 + 1e-15, 4.0];
        let a = DenseSymmetric::from_row_major(2, &data).unwrap();
        assert_eq!(a.as_mat()[(0, 1)].to_bits(), a.as_mat()[(1, 0)].to_bits());
    }

    #[test]
    fn matvec_matches_naive_product() {
        let n = 37;
        let a = random_symmetric(n, 5);
        let op = DenseSymmetric::new(a.clone()).unwrap();
        let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut y = vec![0.0; n];
        op.apply(&x, &mut y).unwrap();
        for i in 0..n {
            let naive: f64 = (0..n).map(|j| a[(i, j)] * x[j]).sum();
            assert!(
                (naive - y[i]).abs() <= 1e-13,
                "row {i}: {naive} vs {}",
                y[i]
            );
        }
        assert!(op.apply(&x[..3], &mut y).is_err());
    }
}
