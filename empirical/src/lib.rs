//! Curvature of real networks: a backend-neutral model interface, training with checkpoints, and the
//! experiments of the empirical study (sharpness over training, gradient–subspace overlap, mode connectivity,
//! filter-normalized loss slices).
//!
//! * [`model`]: the [`model::CurvatureModel`] trait every backend implements, [`model::Mode`].
//! * [`native`]: the f64 MLP of `landscape-simulate` as a model, and a quadratic test problem.
//! * [`train`]: full-batch GD, SGD, heavy-ball momentum and Adam, seeded, with resumable checkpoints.
//! * [`experiments`]: sharpness, overlap, connectivity and slices as library functions returning plain data.

pub mod checkpoint;
pub mod error;
pub mod experiments;
pub mod model;
pub mod native;
pub mod train;

pub use error::EmpiricalError;
