//! Native f64 fully connected networks at initialisation and their curvature.
//!
//! A network is an architecture ([`Mlp`]) plus a flat parameter vector in PyTorch's `model.parameters()` order,
//! so the same vector can be trained, compared with `nn.Sequential(Linear, act, …, Linear)` or handed to the
//! estimators. [`CurvaturePoint`] evaluates loss, gradient, Jacobian, Gauss–Newton matrix and Hessian at one
//! parameter vector; [`HessianOperator`], [`GaussNewtonOperator`] and [`ResidualOperator`] expose the products
//! as [`crate::SymmetricOperator`]s. This is also the backend `landscape-empirical` uses when libtorch is absent.
//!
//! Conventions: inputs are row-major `n × d_0` (one sample per row), outputs row-major `n × k`; losses default to
//! PyTorch's `reduction='mean'` (see [`loss`]).

pub mod activation;
pub mod curvature;
pub mod data;
mod gemm;
pub mod loss;
pub mod mlp;

#[cfg(test)]
mod curvature_tests;

pub use activation::Activation;
pub use curvature::{
    CurvaturePoint, GaussNewtonOperator, HessianOperator, ResidualOperator, hessian_vector_product,
    loss_and_gradient,
};
pub use data::{Dataset, InputScale, Targets};
pub use loss::{Loss, LossEvaluation, LossKind, Reduction};
pub use mlp::{LayerLayout, Mlp, MlpConfig, Parameterization};
