//! Seeded random-matrix ensembles, native f64 networks at initialization, and spectral estimators over one
//! matrix-free operator trait.
//!
//! This crate never depends on `landscape-theory`: a prediction cannot leak into the sampler that tests it. An
//! ensemble states the law it converges to as a law expression string (the syntax of the CLI), which the root
//! package parses with the theory crate.
//!
//! Randomness is always an explicit [`rng::Rng`] passed in.

pub mod dense;
pub mod distance;
pub mod edges;
pub mod ensembles;
pub mod error;
pub mod lanczos;
pub mod network;
pub mod operator;
pub mod rng;
pub mod scaling;
pub mod slq;
pub mod trace;

pub use error::SimulateError;
pub use operator::SymmetricOperator;
