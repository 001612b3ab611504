//! The experiments of the empirical study, as library functions returning plain data that the CLI serializes.
//!
//! * [`sharpness`]: `λ_max` over training against the stability threshold (edge of stability).
//! * [`overlap`]: the fraction of the gradient in the top-`C` Hessian eigenspace over training.
//! * [`connect`]: loss and `λ_max` along linear and Bézier paths between two minima; barrier heights.
//! * [`slice`](mod@slice): filter-normalized 1-D and 2-D loss slices.
//! * [`spectrum`]: the curvature spectrum at one point (top/bottom eigenvalues, SLQ density, trace, outliers).
//! * [`eigenpairs`]: warm-startable extreme eigenpairs with residuals, shared by the others.

pub mod connect;
pub mod eigenpairs;
pub mod overlap;
pub mod sharpness;
pub mod slice;
pub mod spectrum;
