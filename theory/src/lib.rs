//! Analytic random-matrix laws and bounds for the curvature of neural-network loss landscapes.
//!
//! Every law is a type with a validated constructor returning [`LawError`], and implements [`SpectralLaw`]: pdf,
//! cdf, quantile, support, atoms, moments and the Cauchy transform. The sign conventions are fixed once, in
//! [`law`]. This crate has no random-number generator and no linear-algebra backend: it is pure functions of
//! parameters, so a prediction can never leak from a sampler.

pub mod activation;
pub mod airy;
pub mod bounds;
mod build;
pub mod conformance;
pub mod deep_jacobian;
pub mod error;
pub mod expr;
pub mod free_product;
pub mod free_sum;
pub mod fuss_catalan;
pub mod gauss_newton;
pub mod law;
pub mod marchenko_pastur;
pub mod neural_kernels;
pub mod numerical;
pub mod pennington_bahri;
pub mod quadrature;
pub mod random_features;
pub mod semicircle;
pub mod spiked;
pub mod tracy_widom;
pub mod wishart_edge;

pub use error::LawError;
pub use expr::{LawExpr, parse};
pub use free_product::FreeProduct;
pub use free_sum::FreeSum;
pub use fuss_catalan::FussCatalan;
pub use law::{Atom, Complex64, Interval, SpectralLaw, Support};
pub use marchenko_pastur::MarchenkoPastur;
pub use neural_kernels::{ConjugateKernel, NeuralTangentKernel};
pub use pennington_bahri::PenningtonBahri;
pub use random_features::RandomFeatures;
pub use semicircle::Semicircle;
pub use spiked::{InformationPlusNoise, SpikePrediction, SpikedCovariance, SpikedWigner};
pub use tracy_widom::TracyWidom;
