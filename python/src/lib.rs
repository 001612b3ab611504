//! The compiled half of the Python package `landscape`: the module `landscape._landscape`.
//!
//! Every function here is a thin wrapper over `landscape-theory` and `landscape-simulate`; the pure-Python half
//! (`python/landscape/__init__.py`) normalises operators, validates integer arguments and builds the result
//! dataclasses. Array arguments are copied into Rust vectors and the numerical loops run with the interpreter
//! released (`Python::detach`), so a call on 10⁶ points pays Python's overhead once, not per point.
//!
//! Errors never cross as Rust panics: a library error becomes `ValueError` (bad input, the message the CLI
//! prints) or `RuntimeError` (a numerical method that did not converge), and an exception raised by a Python
//! `matvec` is re-raised as itself (see `operator.rs`).

use pyo3::prelude::*;

mod conjecture;
mod errors;
mod estimators;
mod laws;
mod operator;

/// The compiled extension of `landscape`; import `landscape` instead.
#[pymodule]
fn _landscape(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("SYMMETRY_RTOL", operator::SYMMETRY_RTOL)?;
    laws::register(m)?;
    operator::register(m)?;
    estimators::register(m)?;
    conjecture::register(m)?;
    Ok(())
}
