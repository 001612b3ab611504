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
//!
//! ```
//! use landscape_simulate::network::{
//!     data, Activation, CurvaturePoint, InputScale, Loss, Mlp, MlpConfig, Parameterization,
//! };
//! use landscape_simulate::rng::seeded;
//!
//! let mlp = Mlp::new(MlpConfig {
//!     widths: vec![4, 8, 3],
//!     activation: Activation::Tanh,
//!     parameterization: Parameterization::TorchDefault,
//!     bias: true,
//! })?;
//! let mut rng = seeded(1);
//! let params = mlp.init(&mut rng);
//! let data = data::isotropic_classification(10, 4, 3, InputScale::UnitVariance, &mut rng)?;
//! let point = CurvaturePoint::new(&mlp, &params, &data, Loss::cross_entropy())?;
//! let p = mlp.n_params();
//! assert_eq!(p, 4 * 8 + 8 + 8 * 3 + 3);
//! // v·Hv from the R-operator equals the quadratic form of the dense Hessian.
//! let v = vec![1.0; p];
//! let mut hv = vec![0.0; p];
//! point.hessian_vector_product(&v, &mut hv);
//! let h = point.hessian_dense();
//! let quad: f64 = h.iter().sum();
//! let quad_hv: f64 = hv.iter().sum();
//! assert!((quad - quad_hv).abs() < 1e-12 * (1.0 + quad.abs()));
//! # Ok::<(), landscape_simulate::SimulateError>(())
//! ```

pub mod activation;
pub mod curvature;
pub mod data;
mod gemm;
pub mod kernel;
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
pub use kernel::{KernelGrams, kernel_grams};
pub use loss::{Loss, LossEvaluation, LossKind, Reduction};
pub use mlp::{LayerLayout, Mlp, MlpConfig, Parameterization};
