//! One matrix-free interface for every symmetric operator whose spectrum we estimate.
//!
//! Dense matrices, the native network's Hessian and Gauss–Newton products, and (in `landscape-empirical`) the
//! torch backend all implement [`SymmetricOperator`]; every estimator in this crate (Lanczos, SLQ, Hutchinson,
//! Hutch++) takes `&dyn SymmetricOperator` or a generic `O: SymmetricOperator`, and dense eigensolvers take a
//! materialised matrix.

use crate::SimulateError;

/// A real symmetric linear map `A: ℝⁿ → ℝⁿ`, known only through products `y = A x`.
///
/// Implementations must be deterministic: the same `x` gives the same bits on every call and thread count.
pub trait SymmetricOperator {
    /// The dimension `n`.
    fn dim(&self) -> usize;

    /// Writes `A x` into `y`. Both slices have length [`SymmetricOperator::dim`].
    ///
    /// An operator that can fail (a torch call, a NaN in a network's output) returns an error; estimators pass
    /// it on and also reject non-finite outputs themselves.
    fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), SimulateError>;

    /// The machine epsilon of the arithmetic the products are computed in: `f64::EPSILON` unless the operator
    /// computes in a lower precision (a float32 network), so solvers do not ask for residuals below what its
    /// products can resolve.
    fn epsilon(&self) -> f64 {
        f64::EPSILON
    }
}

/// Applies `op` and checks the output is finite; estimators call this instead of [`SymmetricOperator::apply`].
pub fn apply_checked<O: SymmetricOperator + ?Sized>(
    op: &O,
    x: &[f64],
    y: &mut [f64],
) -> Result<(), SimulateError> {
    op.apply(x, y)?;
    if let Some(idx) = y.iter().position(|v| !v.is_finite()) {
        return Err(SimulateError::NonFinite {
            what: "operator output",
            index: idx,
        });
    }
    Ok(())
}

/// Counts the matrix-vector products made through it, so estimators can report their cost.
#[derive(Debug)]
pub struct CountingOperator<'a, O: ?Sized> {
    inner: &'a O,
    count: std::cell::Cell<usize>,
}

impl<'a, O: SymmetricOperator + ?Sized> CountingOperator<'a, O> {
    /// Wraps `inner` with a zero count.
    pub fn new(inner: &'a O) -> Self {
        Self {
            inner,
            count: std::cell::Cell::new(0),
        }
    }

    /// Products made so far.
    pub fn count(&self) -> usize {
        self.count.get()
    }
}

impl<O: SymmetricOperator + ?Sized> SymmetricOperator for CountingOperator<'_, O> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), SimulateError> {
        self.count.set(self.count.get() + 1);
        self.inner.apply(x, y)
    }

    fn epsilon(&self) -> f64 {
        self.inner.epsilon()
    }
}
