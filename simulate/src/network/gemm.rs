//! Row-major dense products over slices, through faer's sequential kernel.
//!
//! Every matrix in the network module is a row-major slice; faer views it without copying. The products run with
//! `Par::Seq`, so results are bitwise reproducible and independent of the thread count.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

/// A row-major `rows × cols` matrix view, possibly transposed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    pub data: &'a [f64],
    pub rows: usize,
    pub cols: usize,
    pub transposed: bool,
}

impl<'a> View<'a> {
    /// The matrix stored row-major in `data`.
    pub fn new(data: &'a [f64], rows: usize, cols: usize) -> Self {
        debug_assert_eq!(data.len(), rows * cols);
        Self {
            data,
            rows,
            cols,
            transposed: false,
        }
    }

    /// Its transpose (no copy).
    pub fn t(self) -> Self {
        Self {
            transposed: !self.transposed,
            ..self
        }
    }

    fn mat(self) -> MatRef<'a, f64> {
        let m = MatRef::from_row_major_slice(self.data, self.rows, self.cols);
        if self.transposed { m.transpose() } else { m }
    }
}

/// `out = α·A·B` (or `out += α·A·B` when `accumulate`), with `out` row-major `rows(A) × cols(B)`.
///
/// # Panics
/// On inconsistent shapes.
#[track_caller]
pub(crate) fn gemm(out: &mut [f64], a: View<'_>, b: View<'_>, alpha: f64, accumulate: bool) {
    let (a, b) = (a.mat(), b.mat());
    let (m, n) = (a.nrows(), b.ncols());
    assert_eq!(a.ncols(), b.nrows(), "inner dimensions differ");
    assert_eq!(out.len(), m * n, "output has the wrong size");
    if m == 0 || n == 0 {
        return;
    }
    let dst = MatMut::from_row_major_slice_mut(out, m, n);
    let accum = if accumulate {
        Accum::Add
    } else {
        Accum::Replace
    };
    matmul(dst, accum, a, b, alpha, Par::Seq);
}

#[cfg(test)]
mod tests {
    use super::*;

    // Exact comparisons: every value is a small dyadic rational, computed without rounding.
    #[allow(clippy::float_cmp)]
    #[test]
    fn gemm_matches_the_definition_for_all_transposes() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2×3
        let b = [1.0, -1.0, 0.5, 2.0, -3.0, 1.0]; // 3×2
        let mut out = [0.0; 4];
        gemm(
            &mut out,
            View::new(&a, 2, 3),
            View::new(&b, 3, 2),
            1.0,
            false,
        );
        assert_eq!(out, [-7.0, 6.0, -11.5, 12.0]);
        // (Bᵀ)ᵀ-style: Aᵀ is 3×2, times a 2×3 gives 3×3.
        let mut out9 = [0.0; 9];
        gemm(
            &mut out9,
            View::new(&a, 2, 3).t(),
            View::new(&a, 2, 3),
            2.0,
            false,
        );
        assert_eq!(out9[0], 2.0 * (1.0 + 16.0));
        assert_eq!(out9[5], 2.0 * (2.0 * 3.0 + 5.0 * 6.0));
        gemm(
            &mut out,
            View::new(&a, 2, 3),
            View::new(&b, 3, 2),
            1.0,
            true,
        );
        assert_eq!(out, [-14.0, 12.0, -23.0, 24.0]);
    }
}
