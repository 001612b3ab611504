//! `landscape.conjecture`: a claim written as TOML (a file or a string) answered supported, refuted or
//! inconclusive by the same engine as `landscape conjecture check` (`landscape_experiments::conjecture`). The
//! result crosses as the JSON text the CLI prints; the Python half parses it into a dict.

use std::path::{Path, PathBuf};

use landscape_experiments::conjecture::{self, ConjectureError, RunOptions, Scale};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(conjecture_check, m)?)?;
    Ok(())
}

/// A bad file is the caller's (`ValueError`, the CLI's exit code 2); a failed task or results folder is not.
fn conjecture_error(err: ConjectureError) -> PyErr {
    match err {
        ConjectureError::Config(_) => PyValueError::new_err(err.to_string()),
        _ => PyRuntimeError::new_err(err.to_string()),
    }
}

/// Runs the conjecture in `path` (or, when `text` is given, the TOML `text`, with `path` only naming it in
/// errors and in the result) and returns the result as JSON.
#[pyfunction]
#[pyo3(signature = (path, text, scale, seed, jobs, out))]
fn conjecture_check(
    py: Python<'_>,
    path: PathBuf,
    text: Option<String>,
    scale: &str,
    seed: u64,
    jobs: usize,
    out: Option<PathBuf>,
) -> PyResult<String> {
    let scale = match scale {
        "quick" => Scale::Quick,
        "full" => Scale::Full,
        other => {
            return Err(crate::errors::invalid(
                "scale",
                other,
                "\"quick\" or \"full\"",
            ));
        }
    };
    if jobs == 0 {
        return Err(crate::errors::invalid("jobs", 0, "a number of threads ≥ 1"));
    }
    let options = RunOptions {
        seed,
        scale,
        jobs,
        store: out,
        shard: None,
    };
    let result = py
        .detach(|| match &text {
            Some(text) => conjecture::schema::parse(Path::new(&path), text)
                .map_err(ConjectureError::from)
                .and_then(|c| conjecture::run(&c, &path.display().to_string(), &options)),
            None => conjecture::check(&path, &options),
        })
        .map_err(conjecture_error)?;
    serde_json::to_string(&result).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}
