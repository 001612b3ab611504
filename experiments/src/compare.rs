//! Measurement against prediction: distances between a spectrum and a theory law, and the ensemble that
//! realises a law expression.
//!
//! This is the one place where `simulate` (which never sees theory) meets `theory` (which has no sampler).

use landscape_simulate::SimulateError;
use landscape_simulate::distance::{LawAtom, WeightedSpectrum, ks_distance, wasserstein1};
use landscape_simulate::ensembles::{
    DeepLinearJacobian, Ensemble, FeatureMap, FreeProductEnsemble, FreeSumEnsemble, Goe,
    PenningtonBahriEnsemble, RandomFeatures, WeightLaw, Wishart,
};
use landscape_theory::SpectralLaw;
use landscape_theory::expr::LawExpr;
use landscape_theory::law::hull;

/// Kolmogorov–Smirnov and Wasserstein-1 distances of a spectrum from a law.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Distances {
    /// `sup_x |F_emp(x) − F(x)|`.
    pub ks: f64,
    /// `∫ |F_emp(x) − F(x)| dx`.
    pub w1: f64,
}

/// The law's atoms in the simulate crate's type.
fn atoms_of(law: &dyn SpectralLaw) -> Vec<LawAtom> {
    law.atoms()
        .iter()
        .map(|a| LawAtom {
            location: a.location,
            mass: a.mass,
        })
        .collect()
}

/// KS and W1 distances between `spectrum` (eigenvalues or a weighted quadrature measure) and `law`.
pub fn distances(
    spectrum: &WeightedSpectrum,
    law: &dyn SpectralLaw,
) -> Result<Distances, SimulateError> {
    let atoms = atoms_of(law);
    let cdf = |x: f64| law.cdf(x);
    let ks = ks_distance(spectrum, &cdf, &atoms)?;
    let (lo, hi) = hull(law);
    let w1 = wasserstein1(spectrum, &cdf, &atoms, (lo, hi))?;
    Ok(Distances { ks, w1 })
}

/// KS and W1 distances between sorted or unsorted eigenvalues and `law`.
pub fn eigenvalue_distances(
    eigenvalues: &[f64],
    law: &dyn SpectralLaw,
) -> Result<Distances, SimulateError> {
    distances(&WeightedSpectrum::from_eigenvalues(eigenvalues)?, law)
}

/// The seeded ensemble of `n × n` matrices whose limiting spectral law is `expr`.
///
/// | expression | ensemble |
/// |---|---|
/// | `mp(ratio=R, variance=V)` | Wishart `XXᵀ/m`, X n×m with m = round(n/R) |
/// | `semicircle(variance=V)` | GOE |
/// | `free_sum(A, B)` | `A + O B Oᵀ`, O Haar |
/// | `free_product(A, B)` | `A^{1/2} O B Oᵀ A^{1/2}`, O Haar (A, B positive semidefinite) |
/// | `fuss_catalan(depth=L)` | `JJᵀ`, J a product of L square Gaussian matrices with entry variance 1/n |
/// | `pennington_bahri(phi=P, energy=E)` | Wishart with ratio P plus GOE with variance 2E |
/// | `random_features(phi, psi, eta, zeta)` | `YYᵀ/m`, Y = f(WX/√n0) with f = √ζ·He₁ + √(η−ζ)·He₂/√2 |
///
/// The random-features activation is the simplest centred f with the requested moments: with Hermite
/// polynomials He₁(x) = x and He₂(x) = x² − 1, E f = 0, E f² = ζ + (η − ζ) = η and (E f')² = ζ.
pub fn ensemble_for(expr: &LawExpr, n: usize) -> Result<Box<dyn Ensemble>, SimulateError> {
    let size_for_ratio = |name: &'static str, ratio: f64| -> Result<usize, SimulateError> {
        if !(ratio.is_finite() && ratio > 0.0) {
            return Err(SimulateError::invalid(name, ratio, "a finite number > 0"));
        }
        let m = (n as f64 / ratio).round();
        if !(2.0..=1e7).contains(&m) {
            return Err(SimulateError::invalid(
                "--n",
                n,
                format!("a size for which n/{name} = {m} samples is between 2 and 1e7"),
            ));
        }
        Ok(m as usize)
    };
    Ok(match expr {
        LawExpr::MarchenkoPastur { ratio, variance } => Box::new(Wishart::new(
            n,
            size_for_ratio("ratio", *ratio)?,
            *variance,
        )?),
        LawExpr::Semicircle { variance } => Box::new(Goe::new(n, *variance)?),
        LawExpr::FreeSum(a, b) => Box::new(FreeSumEnsemble::new(
            ensemble_for(a, n)?,
            ensemble_for(b, n)?,
        )?),
        LawExpr::FreeProduct(a, b) => Box::new(FreeProductEnsemble::new(
            ensemble_for(a, n)?,
            ensemble_for(b, n)?,
        )?),
        LawExpr::FussCatalan { depth } => Box::new(DeepLinearJacobian::new(
            &vec![n; *depth as usize + 1],
            WeightLaw::Gaussian,
            1.0,
        )?),
        LawExpr::PenningtonBahri { phi, energy } => Box::new(PenningtonBahriEnsemble::new(
            n,
            size_for_ratio("phi", *phi)?,
            *energy,
        )?),
        LawExpr::RandomFeatures {
            phi,
            psi,
            eta,
            zeta,
        } => {
            if !(*zeta >= 0.0 && *eta >= *zeta) {
                return Err(SimulateError::invalid(
                    "eta, zeta",
                    format!("{eta}, {zeta}"),
                    "eta ≥ zeta ≥ 0",
                ));
            }
            // n1 = n (the matrix side); n0 = ψ n1; m = n0/φ.
            let n0 = (psi * n as f64).round();
            let m = (n0 / phi).round();
            if !(n0 >= 2.0 && m >= 2.0 && n0 <= 1e6 && m <= 1e6) {
                return Err(SimulateError::invalid(
                    "--n",
                    n,
                    format!("a size giving n0 = ψn = {n0} and m = n0/φ = {m} between 2 and 1e6"),
                ));
            }
            let (a, b) = (zeta.sqrt(), (eta - zeta).sqrt());
            let activation = FeatureMap::new("hermite", move |x: f64| {
                a * x + b * (x * x - 1.0) / std::f64::consts::SQRT_2
            });
            Box::new(RandomFeatures::new(
                n0 as usize,
                n,
                m as usize,
                activation,
                1.0,
                1.0,
            )?)
        }
        other => {
            return Err(SimulateError::invalid(
                "--law",
                other,
                "a law with a matrix ensemble: mp, semicircle, free_sum, free_product, fuss_catalan, \
                 pennington_bahri, random_features",
            ));
        }
    })
}
