//! Matrix-free estimators (`simulate`'s Lanczos, SLQ, Hutchinson, Hutch++) and the distances of a spectrum from a
//! law. The pure-Python layer (`landscape/__init__.py`) builds the [`Operator`] and the result dataclasses.

use landscape_experiments::compare::distances;
use landscape_simulate::distance::WeightedSpectrum;
use landscape_simulate::lanczos::{
    DEFAULT_MAX_MATVECS, LanczosConfig, Stopped, Which, lanczos as simulate_lanczos,
};
use landscape_simulate::rng;
use landscape_simulate::slq::{SlqConfig, SpectralQuadrature, slq as simulate_slq};
use landscape_simulate::trace::{ProbeKind, hutch_plus_plus, hutchinson as simulate_hutchinson};
use numpy::ndarray::Array2;
use numpy::{AllowTypeChange, IntoPyArray, PyArray1, PyArray2, PyArrayLikeDyn};
use pyo3::prelude::*;

use crate::errors::{invalid, simulate_error};
use crate::laws::{Law, real_values, shaped};
use crate::operator::Operator;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Slq>()?;
    m.add_function(wrap_pyfunction!(lanczos, m)?)?;
    m.add_function(wrap_pyfunction!(slq, m)?)?;
    m.add_function(wrap_pyfunction!(hutchpp, m)?)?;
    m.add_function(wrap_pyfunction!(hutchinson, m)?)?;
    m.add_function(wrap_pyfunction!(distance, m)?)?;
    Ok(())
}

fn parse_which(which: &str) -> PyResult<Which> {
    match which {
        "largest" => Ok(Which::Top),
        "smallest" => Ok(Which::Bottom),
        "both" => Ok(Which::Both),
        other => Err(invalid(
            "which",
            format!("'{other}'"),
            "'largest', 'smallest' or 'both'",
        )),
    }
}

fn parse_probe(probe: &str) -> PyResult<ProbeKind> {
    match probe {
        "rademacher" => Ok(ProbeKind::Rademacher),
        "gaussian" => Ok(ProbeKind::Gaussian),
        other => Err(invalid(
            "probe",
            format!("'{other}'"),
            "'rademacher' or 'gaussian'",
        )),
    }
}

/// The raw fields of a Lanczos result, in the order `landscape.LanczosResult` takes them.
type LanczosTuple<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    usize,
    usize,
    usize,
    bool,
    Option<Bound<'py, PyArray2<f64>>>,
);

/// Extreme eigenpairs by Lanczos with full reorthogonalisation (`simulate/src/lanczos.rs`); see
/// `landscape.lanczos`. Returns `(eigenvalues, residuals, converged, n_matvecs, steps, n_restarts, invariant,
/// eigenvectors)`, largest first for `which="largest"`, ascending otherwise.
#[pyfunction]
#[pyo3(signature = (op, k, which, tol, max_matvecs, seed, return_eigenvectors))]
#[allow(clippy::too_many_arguments)]
fn lanczos<'py>(
    py: Python<'py>,
    op: &Operator,
    k: usize,
    which: &str,
    tol: f64,
    max_matvecs: Option<usize>,
    seed: u64,
    return_eigenvectors: bool,
) -> PyResult<LanczosTuple<'py>> {
    let which = parse_which(which)?;
    let wanted = if which == Which::Both {
        k.saturating_mul(2)
    } else {
        k
    };
    // `max_matvecs` caps the iteration's products (thick-restart Lanczos stops earlier when the wanted pairs
    // have converged); the explicit residual checks add one product per returned pair.
    let max_matvecs = match max_matvecs {
        None => DEFAULT_MAX_MATVECS.max(wanted.saturating_mul(2)),
        Some(budget) => {
            let needed = wanted.min(op.dim()).saturating_mul(2).max(2);
            if budget < needed {
                return Err(invalid(
                    "max_matvecs",
                    budget,
                    &format!(
                        "at least {needed}: Lanczos steps for the {wanted} requested eigenpairs plus one product \
                         per pair for its residual"
                    ),
                ));
            }
            budget - wanted
        }
    };
    let config = LanczosConfig {
        k,
        which,
        tol,
        max_matvecs,
        max_basis: None,
    };
    let result = op.run(py, |operator| {
        simulate_lanczos(operator, &config, &mut rng::seeded(seed))
    })?;
    let mut pairs = result.pairs;
    if which == Which::Top {
        pairs.reverse();
    }
    let values: Vec<f64> = pairs.iter().map(|p| p.value).collect();
    let residuals: Vec<f64> = pairs.iter().map(|p| p.residual).collect();
    let converged: Vec<bool> = pairs.iter().map(|p| p.converged).collect();
    let vectors = if return_eigenvectors {
        let n = op.dim();
        let columns = pairs.len();
        let array = Array2::from_shape_fn((n, columns), |(i, j)| pairs[j].vector[i]);
        Some(array.into_pyarray(py))
    } else {
        None
    };
    Ok((
        PyArray1::from_vec(py, values),
        PyArray1::from_vec(py, residuals),
        PyArray1::from_vec(py, converged),
        result.n_matvecs,
        result.n_matvecs,
        result.n_restarts,
        result.stopped == Stopped::Invariant,
        vectors,
    ))
}

/// The spectral density estimated by stochastic Lanczos quadrature (`landscape.slq`).
///
/// The combined measure puts weight `τ_i / P` on node `θ_i` of each of the `P` probes' Gauss rules; it
/// estimates the empirical spectral measure `(1/n) Σ_j δ_{λ_j}` (Ubaru, Chen & Saad 2017). The smoothed density
/// convolves it with a Gaussian of **standard deviation** `σ`: `ρ_σ(x) = Σ_i w_i exp(−(x − θ_i)²/(2σ²))/(σ√(2π))`.
#[derive(Debug)]
#[pyclass(module = "landscape", frozen, name = "Slq")]
pub struct Slq {
    quadrature: SpectralQuadrature,
}

#[pymethods]
impl Slq {
    /// The nodes `θ_i` of every probe's Gauss rule, ascending.
    #[getter]
    fn nodes<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_vec(py, self.quadrature.measure().0)
    }

    /// The weights `τ_i / P` of the combined measure (they sum to 1), matching `nodes`.
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_vec(py, self.quadrature.measure().1)
    }

    /// Products with the operator made.
    #[getter]
    fn n_matvecs(&self) -> usize {
        self.quadrature.n_matvecs()
    }

    /// The operator's dimension `n`.
    #[getter]
    fn dim(&self) -> usize {
        self.quadrature.dim()
    }

    /// Number of probes `P`.
    #[getter]
    fn n_probes(&self) -> usize {
        self.quadrature.probes().len()
    }

    /// The smoothed density `ρ_σ(x)` with Gaussian kernel of standard deviation `sigma` (> 0).
    fn density<'py>(
        &self,
        py: Python<'py>,
        x: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
        sigma: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (shape, values) = real_values(&x, "x")?;
        let out = py
            .detach(|| self.quadrature.density_on(&values, sigma))
            .map_err(simulate_error)?;
        shaped(py, &shape, out)
    }

    /// The CDF of the combined measure, `Σ_{θ_i ≤ x} w_i` (a right-continuous step function).
    fn cdf<'py>(
        &self,
        py: Python<'py>,
        x: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (shape, values) = real_values(&x, "x")?;
        let out: Vec<f64> = py.detach(|| values.iter().map(|&v| self.quadrature.cdf(v)).collect());
        shaped(py, &shape, out)
    }

    /// The normalised moment `(1/n) tr A^k` estimated as `(1/n) mean_p ‖v_p‖² Σ_i τ_i θ_i^k` (exact in
    /// expectation for `k < 2 · steps`), with its standard error across probes: `(value, std_error)`.
    fn moment(&self, k: i32) -> (f64, f64) {
        let est = self.quadrature.moment(k);
        (est.value, est.std_error)
    }

    fn __repr__(&self) -> String {
        format!(
            "landscape.Slq(dim={}, n_probes={}, n_matvecs={})",
            self.quadrature.dim(),
            self.quadrature.probes().len(),
            self.quadrature.n_matvecs()
        )
    }
}

/// Stochastic Lanczos quadrature (`simulate/src/slq.rs`): `n_probes` Lanczos runs of `steps` steps from
/// probes drawn from `task_rng(seed, p)`; see `landscape.slq`.
#[pyfunction]
#[pyo3(signature = (op, steps, n_probes, probe, seed))]
fn slq(
    py: Python<'_>,
    op: &Operator,
    steps: usize,
    n_probes: usize,
    probe: &str,
    seed: u64,
) -> PyResult<Slq> {
    let config = SlqConfig {
        steps,
        n_probes,
        probe: parse_probe(probe)?,
        seed,
    };
    let quadrature = op.run(py, |operator| simulate_slq(operator, &config))?;
    Ok(Slq { quadrature })
}

/// Hutch++ (Meyer, Musco, Musco & Woodruff 2021) with a budget of `n_matvecs` products: `(value, std_error,
/// n_matvecs)`; see `landscape.hutchpp`.
#[pyfunction]
fn hutchpp(
    py: Python<'_>,
    op: &Operator,
    n_matvecs: usize,
    seed: u64,
) -> PyResult<(f64, f64, usize)> {
    let est = op.run(py, |operator| hutch_plus_plus(operator, n_matvecs, seed))?;
    Ok((est.value, est.std_error, est.n_matvecs))
}

/// Hutchinson (1989) with `n_probes` probes: `(value, std_error, n_matvecs)`; see `landscape.hutchinson`.
#[pyfunction]
fn hutchinson(
    py: Python<'_>,
    op: &Operator,
    n_probes: usize,
    probe: &str,
    seed: u64,
) -> PyResult<(f64, f64, usize)> {
    let kind = parse_probe(probe)?;
    let est = op.run(py, |operator| {
        simulate_hutchinson(operator, n_probes, kind, seed)
    })?;
    Ok((est.value, est.std_error, est.n_matvecs))
}

/// Kolmogorov–Smirnov `sup_x |F_emp(x) − F(x)|` and Wasserstein-1 `∫ |F_emp(x) − F(x)| dx` distances of the
/// (weighted) spectrum from `law`, as the CLI's `simulate` commands compute them
/// (`experiments/src/compare.rs`); see
/// `landscape.distance`. Returns `(ks, w1)`.
#[pyfunction]
#[pyo3(signature = (eigenvalues, law, weights = None))]
fn distance<'py>(
    py: Python<'py>,
    eigenvalues: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    law: &Law,
    weights: Option<PyArrayLikeDyn<'py, f64, AllowTypeChange>>,
) -> PyResult<(f64, f64)> {
    let (_, points) = real_values(&eigenvalues, "eigenvalues")?;
    let weights = match &weights {
        Some(w) => Some(real_values(w, "weights")?.1),
        None => None,
    };
    let spectrum = match &weights {
        None => WeightedSpectrum::from_eigenvalues(&points),
        Some(w) => WeightedSpectrum::new(&points, w),
    }
    .map_err(simulate_error)?;
    let law = law.inner();
    py.detach(|| distances(&spectrum, law))
        .map(|d| (d.ks, d.w1))
        .map_err(simulate_error)
}
