//! Library errors as Python exceptions: bad input is `ValueError` with the one-line message the CLI prints (where
//! the CLI exits with code 2); a failure that is not the caller's is `RuntimeError` (where the CLI exits with 1).

use landscape_simulate::SimulateError;
use landscape_theory::LawError;
use landscape_theory::expr::ExprError;
use pyo3::PyErr;
use pyo3::exceptions::{PyRuntimeError, PyValueError};

/// A theory error: a numerical method that did not converge is the library's failure, anything else is input.
pub fn law_error(err: LawError) -> PyErr {
    match err {
        LawError::NoConvergence { .. } => PyRuntimeError::new_err(err.to_string()),
        _ => PyValueError::new_err(err.to_string()),
    }
}

/// A law expression that does not parse.
pub fn expr_error(err: ExprError) -> PyErr {
    PyValueError::new_err(format!("invalid law expression: {err}"))
}

/// A simulate error: invalid arguments and non-finite operator outputs are the caller's; a failed eigensolver or
/// a backend error is not.
pub fn simulate_error(err: SimulateError) -> PyErr {
    match err {
        SimulateError::InvalidArgument { .. } | SimulateError::NonFinite { .. } => {
            PyValueError::new_err(err.to_string())
        }
        _ => PyRuntimeError::new_err(err.to_string()),
    }
}

/// `ValueError` naming an argument, the rejected value and what is valid, in the libraries' wording.
pub fn invalid(name: &str, value: impl std::fmt::Display, valid: &str) -> PyErr {
    PyValueError::new_err(format!("invalid {name} = {value}: expected {valid}"))
}
