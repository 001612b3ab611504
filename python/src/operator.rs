//! Python operands as `simulate::operator::SymmetricOperator`s.
//!
//! A dense matrix and a CSR matrix are copied into Rust once and applied natively, so an estimator on them runs
//! with the interpreter released. A Python callable (a function, a scipy `LinearOperator`'s `matvec`, a torch
//! Hessian-vector product) is called once per product with a fresh float64 array; an exception it raises is kept
//! and re-raised as itself once the estimator has returned.

use std::cell::RefCell;

use landscape_simulate::{SimulateError, SymmetricOperator};
use numpy::{AllowTypeChange, PyArray1, PyArrayLikeDyn, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::errors::{invalid, simulate_error};

/// Relative tolerance of the symmetry check on a dense matrix: `|a_ij − a_ji| ≤ SYMMETRY_RTOL · max |a|`.
///
/// A Gram matrix `X Xᵀ` formed by a BLAS `gemm` is symmetric only up to round-off, about `m ε |x_i| |x_j|` for
/// inner dimension `m`; 1e-10 admits that for `m` up to ~10⁵ while rejecting any matrix whose asymmetry would
/// change its eigenvalues at a level a user could see.
pub const SYMMETRY_RTOL: f64 = 1e-10;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Operator>()?;
    Ok(())
}

/// A dense symmetric matrix, row-major.
#[derive(Debug)]
struct Dense {
    n: usize,
    a: Vec<f64>,
}

impl SymmetricOperator for Dense {
    fn dim(&self) -> usize {
        self.n
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), SimulateError> {
        for (yi, row) in y.iter_mut().zip(self.a.chunks_exact(self.n)) {
            *yi = row.iter().zip(x).map(|(a, b)| a * b).sum();
        }
        Ok(())
    }
}

/// A sparse symmetric matrix in compressed sparse row form.
#[derive(Debug)]
struct Csr {
    n: usize,
    indptr: Vec<usize>,
    indices: Vec<usize>,
    data: Vec<f64>,
}

impl SymmetricOperator for Csr {
    fn dim(&self) -> usize {
        self.n
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), SimulateError> {
        for (i, yi) in y.iter_mut().enumerate() {
            let range = self.indptr[i]..self.indptr[i + 1];
            *yi = self.indices[range.clone()]
                .iter()
                .zip(&self.data[range])
                .map(|(&j, &a)| a * x[j])
                .sum();
        }
        Ok(())
    }
}

/// What an [`Operator`] holds.
#[derive(Debug)]
enum Kind {
    Dense(Dense),
    Csr(Csr),
    Callable { f: Py<PyAny>, n: usize },
}

/// A symmetric linear operator `A: ℝⁿ → ℝⁿ` for the estimators: a dense matrix, a CSR matrix or a Python
/// callable `x ↦ A x`. Build one with `Operator.dense`, `Operator.csr` or `Operator.callable`; the estimators
/// in `landscape` also accept matrices, scipy `LinearOperator`s and callables directly.
#[derive(Debug)]
#[pyclass(module = "landscape", frozen, name = "Operator")]
pub struct Operator {
    kind: Kind,
}

#[pymethods]
impl Operator {
    /// A dense symmetric matrix (copied). Raises `ValueError` unless it is square, finite and symmetric to
    /// `SYMMETRY_RTOL` relative to its largest entry.
    #[staticmethod]
    fn dense(a: PyReadonlyArray2<'_, f64>) -> PyResult<Self> {
        let view = a.as_array();
        let (rows, cols) = view.dim();
        if rows != cols || rows == 0 {
            return Err(invalid(
                "matrix shape",
                format!("({rows}, {cols})"),
                "a square matrix of side >= 1",
            ));
        }
        let values: Vec<f64> = view.iter().copied().collect();
        if let Some(idx) = values.iter().position(|v| !v.is_finite()) {
            return Err(invalid(
                "matrix entry",
                format!("{} at ({}, {})", values[idx], idx / cols, idx % cols),
                "finite numbers",
            ));
        }
        let scale = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let n = rows;
        for i in 0..n {
            for j in 0..i {
                let gap = (values[i * n + j] - values[j * n + i]).abs();
                if gap > SYMMETRY_RTOL * scale {
                    return Err(invalid(
                        "matrix",
                        format!("a[{i}, {j}] − a[{j}, {i}] = {gap:e}"),
                        "a symmetric matrix (|a_ij − a_ji| ≤ 1e-10 · max |a|)",
                    ));
                }
            }
        }
        Ok(Self {
            kind: Kind::Dense(Dense { n, a: values }),
        })
    }

    /// A CSR matrix of side `n` from scipy's `indptr`, `indices` and `data` (copied). Symmetry is checked by the
    /// caller (`landscape` does it with scipy).
    #[staticmethod]
    fn csr(
        n: usize,
        indptr: PyReadonlyArray1<'_, i64>,
        indices: PyReadonlyArray1<'_, i64>,
        data: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<Self> {
        let to_usize = |name: &str, v: &[i64], bound: usize| -> PyResult<Vec<usize>> {
            v.iter()
                .map(|&i| {
                    usize::try_from(i)
                        .ok()
                        .filter(|&u| u <= bound)
                        .ok_or_else(|| invalid(name, i, &format!("an index in [0, {bound}]")))
                })
                .collect()
        };
        let indptr = to_usize("indptr", &indptr.as_array().to_vec(), usize::MAX)?;
        let nnz = data.len()?;
        let indices = to_usize("indices", &indices.as_array().to_vec(), n.saturating_sub(1))?;
        let data: Vec<f64> = data.as_array().to_vec();
        let well_formed = n >= 1
            && indptr.len() == n + 1
            && indptr[0] == 0
            && indptr[n] == nnz
            && indices.len() == nnz
            && indptr.windows(2).all(|w| w[0] <= w[1]);
        if !well_formed {
            return Err(invalid(
                "sparse matrix",
                format!("indptr of length {} with nnz = {nnz}", indptr.len()),
                "a well-formed CSR matrix of side n >= 1",
            ));
        }
        if let Some(idx) = data.iter().position(|v| !v.is_finite()) {
            return Err(invalid(
                "matrix entry",
                format!("{} at stored position {idx}", data[idx]),
                "finite numbers",
            ));
        }
        Ok(Self {
            kind: Kind::Csr(Csr {
                n,
                indptr,
                indices,
                data,
            }),
        })
    }

    /// A Python callable `matvec(x) -> A x` on 1-D float64 arrays of length `n`. Its output may be any
    /// array-like of `n` real numbers; it is called with the interpreter held.
    #[staticmethod]
    fn callable(matvec: Py<PyAny>, n: usize) -> PyResult<Self> {
        if n == 0 {
            return Err(invalid("dim", n, "an integer >= 1"));
        }
        Ok(Self {
            kind: Kind::Callable { f: matvec, n },
        })
    }

    /// The dimension `n`.
    #[getter]
    pub fn dim(&self) -> usize {
        match &self.kind {
            Kind::Dense(d) => d.n,
            Kind::Csr(c) => c.n,
            Kind::Callable { n, .. } => *n,
        }
    }

    /// `A x` (for checks; the estimators call the operator without this Python layer).
    fn matvec<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let x = x.as_array().to_vec();
        let n = self.dim();
        if x.len() != n {
            return Err(invalid(
                "x",
                format!("length {}", x.len()),
                &format!("length {n}"),
            ));
        }
        let y = self.run(py, |op| {
            let mut y = vec![0.0; n];
            op.apply(&x, &mut y)?;
            Ok(y)
        })?;
        Ok(PyArray1::from_vec(py, y))
    }

    fn __repr__(&self) -> String {
        let kind = match &self.kind {
            Kind::Dense(_) => "dense",
            Kind::Csr(_) => "csr",
            Kind::Callable { .. } => "callable",
        };
        format!("landscape.Operator({kind}, dim={})", self.dim())
    }
}

impl Operator {
    /// Runs `job` on the operator: natively with the interpreter released for matrices, with it held for a
    /// Python callable. An exception raised by the callable is returned as itself.
    pub fn run<T: Send>(
        &self,
        py: Python<'_>,
        job: impl Fn(&dyn SymmetricOperator) -> Result<T, SimulateError> + Send + Sync,
    ) -> PyResult<T> {
        match &self.kind {
            Kind::Dense(d) => py.detach(|| job(d)).map_err(simulate_error),
            Kind::Csr(c) => py.detach(|| job(c)).map_err(simulate_error),
            Kind::Callable { f, n } => {
                let op = CallableOperator {
                    f: f.bind(py),
                    n: *n,
                    error: RefCell::new(None),
                };
                let result = job(&op);
                if let Some(err) = op.error.into_inner() {
                    return Err(err);
                }
                result.map_err(simulate_error)
            }
        }
    }
}

/// A Python callable seen as a [`SymmetricOperator`] while the interpreter is held.
struct CallableOperator<'a, 'py> {
    f: &'a Bound<'py, PyAny>,
    n: usize,
    /// The first Python exception raised by a product; the estimator sees a backend error and stops.
    error: RefCell<Option<PyErr>>,
}

impl CallableOperator<'_, '_> {
    fn call(&self, x: &[f64], y: &mut [f64]) -> PyResult<()> {
        let py = self.f.py();
        let out = self.f.call1((PyArray1::from_slice(py, x),))?;
        let out: PyArrayLikeDyn<'_, f64, AllowTypeChange> = out.extract()?;
        let view = out.as_array();
        if view.len() != self.n {
            return Err(invalid(
                "matvec output",
                format!("shape {:?}", view.shape()),
                &format!("{} numbers, one per input entry", self.n),
            ));
        }
        for (yi, v) in y.iter_mut().zip(view.iter()) {
            *yi = *v;
        }
        Ok(())
    }
}

impl SymmetricOperator for CallableOperator<'_, '_> {
    fn dim(&self) -> usize {
        self.n
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), SimulateError> {
        self.call(x, y).map_err(|err| {
            let message = err.to_string();
            self.error.borrow_mut().get_or_insert(err);
            SimulateError::Backend(format!("the Python matvec raised {message}"))
        })
    }
}
