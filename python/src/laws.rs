//! Laws from the expression language, Tracy–Widom, spiked-model predictions and the Pennington–Bahri index.

use std::sync::Arc;

use landscape_experiments::compare::ensemble_for;
use landscape_experiments::simulation::MAX_DENSE_N;
use landscape_simulate::dense::eigenvalues;
use landscape_simulate::rng::seeded;
use landscape_theory::expr::LawExpr;
use landscape_theory::pennington_bahri::{PenningtonBahri, critical_energy as pb_critical_energy};
use landscape_theory::tracy_widom::TracyWidom as TracyWidomLaw;
use landscape_theory::{
    Complex64, InformationPlusNoise, LawError, SpectralLaw, SpikePrediction as Prediction,
    SpikedCovariance, SpikedWigner,
};
use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{AllowTypeChange, IntoPyArray, PyArray1, PyArrayLikeDyn};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyComplex, PyFloat};

use crate::errors::{expr_error, invalid, law_error, simulate_error};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Law>()?;
    m.add_class::<TracyWidom>()?;
    m.add_class::<SpikePrediction>()?;
    m.add_function(wrap_pyfunction!(law, m)?)?;
    m.add_function(wrap_pyfunction!(tracy_widom, m)?)?;
    m.add_function(wrap_pyfunction!(spiked_covariance, m)?)?;
    m.add_function(wrap_pyfunction!(spiked_wigner, m)?)?;
    m.add_function(wrap_pyfunction!(information_plus_noise, m)?)?;
    m.add_function(wrap_pyfunction!(pennington_bahri_index, m)?)?;
    m.add_function(wrap_pyfunction!(critical_energy, m)?)?;
    Ok(())
}

/// The values of a real array-like argument in C order, with its shape (empty for a scalar).
///
/// NaN is refused by name: no law has a value there, and a NaN passed through would surface later as a wrong
/// answer instead of an error. `±inf` is accepted (the CDF is 0 or 1 there).
pub fn real_values(
    x: &PyArrayLikeDyn<'_, f64, AllowTypeChange>,
    name: &str,
) -> PyResult<(Vec<usize>, Vec<f64>)> {
    let view = x.as_array();
    let shape = view.shape().to_vec();
    let values: Vec<f64> = view.iter().copied().collect();
    if let Some(idx) = values.iter().position(|v| v.is_nan()) {
        return Err(invalid(
            name,
            format!("NaN at index {idx}"),
            "real numbers (±inf allowed), not NaN",
        ));
    }
    Ok((shape, values))
}

/// A float for a scalar argument, else an array of the argument's shape.
pub fn shaped<'py>(py: Python<'py>, shape: &[usize], out: Vec<f64>) -> PyResult<Bound<'py, PyAny>> {
    if shape.is_empty() {
        return Ok(PyFloat::new(py, out[0]).into_any());
    }
    let array = ArrayD::from_shape_vec(IxDyn(shape), out)
        .map_err(|e| PyRuntimeError::new_err(format!("reshaping the result failed: {e}")))?;
    Ok(array.into_pyarray(py).into_any())
}

/// Evaluates `f` at every value of `x` with the interpreter released; NaN results are a `RuntimeError` naming
/// the point (a law returned no value where it should have).
fn map_real<'py>(
    py: Python<'py>,
    x: &PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    name: &str,
    what: &str,
    f: impl Fn(f64) -> Result<f64, LawError> + Send + Sync,
) -> PyResult<Bound<'py, PyAny>> {
    let (shape, values) = real_values(x, name)?;
    let out = py
        .detach(|| {
            values
                .iter()
                .map(|&v| f(v))
                .collect::<Result<Vec<f64>, _>>()
        })
        .map_err(law_error)?;
    if let Some(idx) = out.iter().position(|v| v.is_nan()) {
        return Err(PyRuntimeError::new_err(format!(
            "{what}({}) is NaN",
            values[idx]
        )));
    }
    shaped(py, &shape, out)
}

/// A spectral law `μ` on the real line, built from a law expression by [`law`].
///
/// Conventions (those of `theory/src/law.rs`): the Cauchy transform is `G(z) = ∫ dμ(x)/(z − x)`, so
/// `G(z) ~ 1/z` at infinity and `Im G < 0` for `Im z > 0`; the Stieltjes transform is `m(z) = −G(z)`; `pdf` is
/// the density of the absolutely continuous part only, and point masses are listed by `atoms` and included in
/// `cdf`, `moments` and the transforms; `cdf(x) = μ((−∞, x])` is right-continuous.
///
/// Every vectorised method takes a float or any array-like of floats and returns a float or an array of the same
/// shape; the loop runs in Rust without the interpreter lock.
#[derive(Debug)]
#[pyclass(module = "landscape", frozen, name = "Law")]
pub struct Law {
    law: Arc<dyn SpectralLaw>,
    expr: LawExpr,
}

impl Law {
    /// The law object, for the estimators' distances.
    pub fn inner(&self) -> &dyn SpectralLaw {
        self.law.as_ref()
    }

    /// Parses and builds a law.
    pub fn from_text(text: &str) -> PyResult<Self> {
        let expr = landscape_theory::expr::parse(text).map_err(expr_error)?;
        let law = expr.build().map_err(law_error)?;
        Ok(Self { law, expr })
    }
}

#[pymethods]
impl Law {
    /// Builds the law named by `expression` (see `landscape.law`).
    #[new]
    fn py_new(expression: &str) -> PyResult<Self> {
        Self::from_text(expression)
    }

    /// Density `ρ(x)` of the absolutely continuous part (0 outside the support; `+inf` possible only at an
    /// integrable edge singularity).
    fn pdf<'py>(
        &self,
        py: Python<'py>,
        x: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let law = Arc::clone(&self.law);
        map_real(py, &x, "x", "pdf", move |v| Ok(law.pdf(v)))
    }

    /// Distribution function `F(x) = μ((−∞, x])`, atoms included.
    fn cdf<'py>(
        &self,
        py: Python<'py>,
        x: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let law = Arc::clone(&self.law);
        map_real(py, &x, "x", "cdf", move |v| Ok(law.cdf(v)))
    }

    /// Quantile `Q(p) = min{x : F(x) ≥ p}` for `p ∈ [0, 1]` (closed form where the law has one, else bisection
    /// of the CDF to 1e-13 of the support's width).
    fn quantile<'py>(
        &self,
        py: Python<'py>,
        p: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let law = Arc::clone(&self.law);
        map_real(py, &p, "p", "quantile", move |v| law.quantile(v))
    }

    /// Cauchy transform `G(z) = ∫ dμ(x)/(z − x)` at complex `z` off the support (`Im G(z) < 0` for `Im z > 0`;
    /// `ρ(x) = −(1/π) lim_{η↓0} Im G(x + iη)`). A real `z` must lie outside the support and the atoms.
    fn cauchy<'py>(
        &self,
        py: Python<'py>,
        z: PyArrayLikeDyn<'py, Complex64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.transform(py, &z, false)
    }

    /// Stieltjes transform `m(z) = ∫ dμ(x)/(x − z) = −G(z)` (Bai–Silverstein convention).
    fn stieltjes<'py>(
        &self,
        py: Python<'py>,
        z: PyArrayLikeDyn<'py, Complex64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.transform(py, &z, true)
    }

    /// The support of the absolutely continuous part: sorted, disjoint closed intervals `[(lo, hi), ...]`.
    #[getter]
    fn support(&self) -> Vec<(f64, f64)> {
        self.law
            .support()
            .intervals
            .iter()
            .map(|i| (i.lo, i.hi))
            .collect()
    }

    /// Point masses `[(location, mass), ...]`, sorted by location (empty for most laws).
    #[getter]
    fn atoms(&self) -> Vec<(f64, f64)> {
        self.law
            .atoms()
            .iter()
            .map(|a| (a.location, a.mass))
            .collect()
    }

    /// Raw moments `[m_0, m_1, ..., m_k]` with `m_j = ∫ x^j dμ(x)`, atoms included (`m_0 = 1`).
    fn moments<'py>(&self, py: Python<'py>, k: u32) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let law = Arc::clone(&self.law);
        let out: Vec<f64> = py.detach(|| (0..=k).map(|j| law.moment(j)).collect());
        if let Some(j) = out.iter().position(|v| !v.is_finite()) {
            return Err(PyRuntimeError::new_err(format!(
                "moment {j} of {} is not finite",
                self.law
            )));
        }
        Ok(PyArray1::from_vec(py, out))
    }

    /// Eigenvalues (ascending) of one `n × n` matrix drawn from the seeded ensemble whose limiting spectral law
    /// this is, as `landscape simulate esd` samples it (`experiments/src/compare.rs`): `mp` → Wishart `XXᵀ/m`
    /// with `m = round(n/ratio)`; `semicircle` → GOE; `free_sum(A, B)` → `A + O B Oᵀ` and `free_product(A, B)` →
    /// `A^{1/2} O B Oᵀ A^{1/2}` with `O` Haar; `fuss_catalan` → `JJᵀ` for a product of Gaussian matrices;
    /// `pennington_bahri` → Wishart plus GOE; `random_features` → the Gram matrix of a Hermite activation.
    /// The generator is ChaCha8 seeded with `seed`: the same seed gives the same bits on every machine.
    /// Cost O(n³) for the dense eigensolver, `2 ≤ n ≤ 20000`.
    #[pyo3(signature = (n, seed = 0))]
    fn sample_eigenvalues<'py>(
        &self,
        py: Python<'py>,
        n: i64,
        seed: i64,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let n = usize::try_from(n)
            .ok()
            .filter(|n| (2..=MAX_DENSE_N).contains(n))
            .ok_or_else(|| invalid("n", n, &format!("an integer in 2..={MAX_DENSE_N}")))?;
        let seed = u64::try_from(seed).map_err(|_| invalid("seed", seed, "an integer >= 0"))?;
        let ensemble = ensemble_for(&self.expr, n).map_err(simulate_error)?;
        let values = py
            .detach(|| eigenvalues(&ensemble.sample(&mut seeded(seed))))
            .map_err(simulate_error)?;
        Ok(PyArray1::from_vec(py, values))
    }

    /// The law's expression, as the CLI writes it; parsing it back gives the same law.
    #[getter]
    fn expression(&self) -> String {
        self.law.to_string()
    }

    fn __str__(&self) -> String {
        self.law.to_string()
    }

    fn __repr__(&self) -> String {
        format!("landscape.law('{}')", self.law)
    }
}

impl Law {
    /// `G(z)` (or `m(z) = −G(z)` when `stieltjes`) at every point of `z`, refusing real points on the support.
    fn transform<'py>(
        &self,
        py: Python<'py>,
        z: &PyArrayLikeDyn<'py, Complex64, AllowTypeChange>,
        stieltjes: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let view = z.as_array();
        let shape = view.shape().to_vec();
        let values: Vec<Complex64> = view.iter().copied().collect();
        let support = self.law.support();
        let atoms = self.law.atoms();
        for (idx, v) in values.iter().enumerate() {
            if v.re.is_nan() || v.im.is_nan() {
                return Err(invalid(
                    "z",
                    format!("NaN at index {idx}"),
                    "complex numbers off the support",
                ));
            }
            let on_real_support = v.im == 0.0
                && (support.intervals.iter().any(|i| i.contains(v.re))
                    // Exactly at an atom G has a pole; any other real point off the support is valid.
                    || atoms.iter().any(|a| a.location.total_cmp(&v.re).is_eq()));
            if on_real_support {
                return Err(invalid(
                    "z",
                    format!("{} at index {idx}", v.re),
                    "a point off the support (give real points outside it, or Im z ≠ 0)",
                ));
            }
        }
        let law = Arc::clone(&self.law);
        let out: Vec<Complex64> = py.detach(|| {
            values
                .iter()
                .map(|&v| {
                    if stieltjes {
                        law.stieltjes(v)
                    } else {
                        law.cauchy(v)
                    }
                })
                .collect()
        });
        if let Some(idx) = out.iter().position(|v| v.re.is_nan() || v.im.is_nan()) {
            return Err(PyRuntimeError::new_err(format!(
                "the transform of {} at z = {} is NaN",
                self.law, values[idx]
            )));
        }
        if shape.is_empty() {
            return Ok(PyComplex::from_doubles(py, out[0].re, out[0].im).into_any());
        }
        let array = ArrayD::from_shape_vec(IxDyn(&shape), out)
            .map_err(|e| PyRuntimeError::new_err(format!("reshaping the result failed: {e}")))?;
        Ok(array.into_pyarray(py).into_any())
    }
}

/// The law named by a law expression, e.g. `mp(ratio=0.5)` or
/// `free_sum(mp(ratio=0.5), semicircle(variance=0.5))`.
///
/// The language is the CLI's (`landscape theory pdf --law ...`): `mp(ratio=R, variance=V)` (Marchenko–Pastur,
/// ratio = p/n, entry variance σ²), `semicircle(variance=V)` (radius 2σ), `free_sum(A, B)` (A ⊞ B),
/// `free_product(A, B)` (A ⊠ B), `fuss_catalan(depth=L)`, `pennington_bahri(phi=P, energy=E)`
/// (MP(φ) ⊞ SC(2ε)), `random_features(phi=, psi=, eta=, zeta=)`, `tracy_widom(beta=B)`, and the Fan–Wang
/// kernel laws `ck(...)` and `ntk(...)`. Arguments go by name, in any order, with any float syntax.
///
/// Raises `ValueError` with the CLI's one-line message for an expression that does not parse or a parameter
/// outside the law's domain, and `RuntimeError` if a numerical construction does not converge.
#[pyfunction]
fn law(expression: &str) -> PyResult<Law> {
    Law::from_text(expression)
}

/// The Tracy–Widom law `F_β` of the largest eigenvalue's fluctuations, from [`tracy_widom`].
///
/// `F_β(s)` by Bornemann's Nyström discretisation of the Fredholm determinants (absolute accuracy ~1e-15),
/// β = 4 in the Tracy–Widom convention `F₄(s) = ½[det(I − B_t) + det(I + B_t)]`, `t = √2 s`.
#[derive(Debug)]
#[pyclass(module = "landscape", frozen, name = "TracyWidom")]
pub struct TracyWidom {
    law: Arc<TracyWidomLaw>,
}

#[pymethods]
impl TracyWidom {
    /// The symmetry class β ∈ {1, 2, 4}.
    #[getter]
    fn beta(&self) -> u8 {
        self.law.beta()
    }

    /// `F_β(s)`.
    fn cdf<'py>(
        &self,
        py: Python<'py>,
        s: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let law = Arc::clone(&self.law);
        map_real(py, &s, "s", "cdf", move |v| Ok(law.cdf_and_pdf(v).0))
    }

    /// The density `f_β(s) = F_β'(s)`.
    fn pdf<'py>(
        &self,
        py: Python<'py>,
        s: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let law = Arc::clone(&self.law);
        map_real(py, &s, "s", "pdf", move |v| Ok(law.cdf_and_pdf(v).1))
    }

    /// The quantile `F_β⁻¹(p)` for `p ∈ [0, 1]`.
    fn quantile<'py>(
        &self,
        py: Python<'py>,
        p: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let law = Arc::clone(&self.law);
        map_real(py, &p, "p", "quantile", move |v| law.quantile(v))
    }

    /// `E[X]` (β = 1: −1.2065335745820, β = 2: −1.7710868074116, β = 4: −2.306884893241; Bornemann 2010).
    fn mean(&self, py: Python<'_>) -> f64 {
        let law = Arc::clone(&self.law);
        py.detach(move || law.mean())
    }

    /// `Var X` (β = 1: 1.6077810345810, β = 2: 0.8131947928329, β = 4: 0.5177237207726; Bornemann 2010).
    fn variance(&self, py: Python<'_>) -> f64 {
        let law = Arc::clone(&self.law);
        py.detach(move || law.variance())
    }

    fn __repr__(&self) -> String {
        format!("landscape.tracy_widom({})", self.law.beta())
    }
}

/// The Tracy–Widom law `F_β` for β ∈ {1 (GOE), 2 (GUE), 4 (GSE)}: the limit of `(λ_max − 2√N) N^{1/6}` for a
/// Gaussian ensemble with semicircle on `[−2√N, 2√N]` (Tracy & Widom 1994, 1996).
///
/// Raises `ValueError` unless β ∈ {1, 2, 4}.
#[pyfunction]
fn tracy_widom(beta: i64) -> PyResult<TracyWidom> {
    let beta = u8::try_from(beta).map_err(|_| invalid("beta", beta, "1, 2 or 4"))?;
    Ok(TracyWidom {
        law: Arc::new(TracyWidomLaw::new(beta).map_err(law_error)?),
    })
}

/// What a spiked model predicts for its largest eigenvalue (or singular value) as the dimension grows
/// (BBP transition; `theory/src/spiked.rs`).
#[derive(Debug)]
#[pyclass(module = "landscape", frozen, get_all, name = "SpikePrediction")]
pub struct SpikePrediction {
    /// The critical spike strength above which an outlier separates from the bulk.
    threshold: f64,
    /// Whether the spike is strictly above the threshold.
    detectable: bool,
    /// Limit of the top eigenvalue (singular value for `information_plus_noise`); the bulk edge when not
    /// detectable.
    outlier: f64,
    /// Limit of the squared overlap `|⟨v̂, u⟩|²` of the top sample eigenvector with the planted direction (the
    /// left singular vector for `information_plus_noise`); 0 when not detectable.
    overlap_sq: f64,
    /// Limit of `|⟨v̂, v⟩|²` for the right singular vector (`information_plus_noise` only), else `None`.
    right_overlap_sq: Option<f64>,
    /// Variance of the Gaussian limit of `√n (λ̂ − outlier)` when known and detectable, else `None`.
    outlier_variance: Option<f64>,
}

impl From<Prediction> for SpikePrediction {
    fn from(p: Prediction) -> Self {
        Self {
            threshold: p.threshold,
            detectable: p.detectable,
            outlier: p.outlier,
            overlap_sq: p.overlap_sq,
            right_overlap_sq: p.right_overlap_sq,
            outlier_variance: p.outlier_variance,
        }
    }
}

#[pymethods]
impl SpikePrediction {
    fn __repr__(&self) -> String {
        let optional = |v: Option<f64>| v.map_or_else(|| "None".to_owned(), |x| format!("{x:?}"));
        format!(
            "SpikePrediction(threshold={:?}, detectable={}, outlier={:?}, overlap_sq={:?}, right_overlap_sq={}, \
             outlier_variance={})",
            self.threshold,
            if self.detectable { "True" } else { "False" },
            self.outlier,
            self.overlap_sq,
            optional(self.right_overlap_sq),
            optional(self.outlier_variance)
        )
    }
}

/// Spiked covariance (Baik–Ben Arous–Péché 2005; Baik–Silverstein 2006; Paul 2007): population covariance
/// `σ²I + (ℓ − σ²)uuᵀ`, `γ = p/n` (`ratio`), spike `ℓ`, noise `σ²` (`variance`).
///
/// Threshold `ℓ_c = σ²(1 + √γ)`; above it the top eigenvalue tends to `ℓ(1 + γσ²/(ℓ − σ²))` and the squared
/// overlap to `(1 − γσ⁴/(ℓ−σ²)²)/(1 + γσ²/(ℓ−σ²))`; below it to the edge `σ²(1 + √γ)²` and 0.
#[pyfunction]
#[pyo3(signature = (ratio, spike, variance = 1.0))]
fn spiked_covariance(ratio: f64, spike: f64, variance: f64) -> PyResult<SpikePrediction> {
    Ok(SpikedCovariance::new(ratio, spike, variance)
        .map_err(law_error)?
        .predict()
        .into())
}

/// Spiked Wigner `θuuᵀ + W`, `W` GOE with semicircle variance `σ²` on `[−2σ, 2σ]` (Péché 2006; Féral–Péché
/// 2007): detectable when `|θ| > σ`; then the outlier (on the side of `θ`) tends to `θ + σ²/θ` and the squared
/// overlap to `1 − σ²/θ²`; otherwise to the edge `±2σ` and 0.
#[pyfunction]
#[pyo3(signature = (spike, variance = 1.0))]
fn spiked_wigner(spike: f64, variance: f64) -> PyResult<SpikePrediction> {
    Ok(SpikedWigner::new(spike, variance)
        .map_err(law_error)?
        .predict()
        .into())
}

/// Information plus noise: singular values of `θuvᵀ + G`, `G` `n × m` with entries of variance `1/m`,
/// `c = n/m ≤ 1` (`aspect`) (Benaych-Georges & Nadakuditi 2012, §3.1): threshold `θ_c = c^{1/4}`; above it the
/// top singular value tends to `√((1 + θ²)(c + θ²))/θ` (below it to `1 + √c`), the left squared overlap to
/// `1 − c(1 + θ²)/(θ²(θ² + c))` and the right one to `1 − (c + θ²)/(θ²(θ² + 1))`.
#[pyfunction]
fn information_plus_noise(aspect: f64, theta: f64) -> PyResult<SpikePrediction> {
    Ok(InformationPlusNoise::new(aspect, theta)
        .map_err(law_error)?
        .predict()
        .into())
}

/// The Pennington–Bahri index `α(ε, φ) = μ((−∞, 0))`: the fraction of negative Hessian eigenvalues of the
/// model `H = H0 + H1` with `H0` Marchenko–Pastur of ratio `φ` and `H1` Wigner of variance `2ε` (Pennington &
/// Bahri, ICML 2017), i.e. the CDF at 0 of `pennington_bahri(phi=φ, energy=ε)`.
#[pyfunction]
fn pennington_bahri_index(py: Python<'_>, phi: f64, energy: f64) -> PyResult<f64> {
    py.detach(|| PenningtonBahri::new(phi, energy).map(|law| law.index()))
        .map_err(law_error)
}

/// The critical energy `ε_c(φ) = (1 − 20φ − 8φ² + (1 + 8φ)^{3/2})/16` below which the Pennington–Bahri Hessian
/// has no negative eigenvalues (`0 ≤ φ ≤ 1`; 0 for `φ ≥ 1`).
#[pyfunction]
fn critical_energy(phi: f64) -> PyResult<f64> {
    pb_critical_energy(phi).map_err(law_error)
}
