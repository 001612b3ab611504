//! Analytic random-matrix laws and bounds for the curvature of neural-network loss landscapes.
//!
//! Every law is a type with a validated constructor returning [`LawError`], and implements [`SpectralLaw`]: pdf,
//! cdf, quantile, support, atoms, moments and the Cauchy transform. The sign conventions are fixed once, in
//! [`law`]. This crate has no random-number generator and no linear-algebra backend: it is pure functions of
//! parameters, so a prediction can never leak from a sampler.

pub mod deep_jacobian;
pub mod error;
pub mod expr;
pub mod free_product;
pub mod free_sum;
pub mod law;
pub mod numerical;
pub mod pennington_bahri;
pub mod quadrature;
#[cfg(test)]
mod test_laws;

pub use error::LawError;
pub use law::{Atom, Complex64, Interval, SpectralLaw, Support};
