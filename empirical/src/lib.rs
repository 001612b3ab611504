//! Curvature of real networks on real data.
//!
//! * [`data`]: data sets as flat `f32` inputs with class labels or real targets: the vendored UCI digits, seeded
//!   Gaussian mixtures, `.npz`/`.npy`, MNIST IDX and CIFAR-10 binary files. No libtorch needed.
//! * `torch` (cargo feature `torch`): models in libtorch through `tch` (an MLP, small CNN/ResNet, any TorchScript
//!   module) and their Hessian and Gauss–Newton operators as [`landscape_simulate::SymmetricOperator`]s.
//!
//! * [`model`]: the backend-neutral [`model::CurvatureModel`] trait every backend implements, [`model::Mode`].
//! * [`native`]: the f64 MLP of `landscape-simulate` as a model, and a quadratic test problem.
//! * [`train`]: full-batch GD, SGD, heavy-ball momentum and Adam, seeded, with resumable [`checkpoint`]s.
//! * [`adaptive`]: curvature-adaptive steps (`c/λ_max`, `c/tr`, Gauss–Newton diagonal), resumable likewise.
//! * [`experiments`]: sharpness, overlap, connectivity, slices and curvature spectra as library functions.
//! * [`geometry`]: optimizer-design metrics at one point (extremes, trace, effective dimension, overlap,
//!   preconditioned sharpness, the quadratic model's one-step prediction).
//!
//! This is the only crate of the workspace that links libtorch; without the feature it compiles without it and
//! the native f64 backend of `landscape-simulate` serves.

pub mod adaptive;
pub mod checkpoint;
pub mod data;
pub mod error;
pub mod experiments;
pub mod geometry;
pub mod model;
pub mod model_file;
pub mod native;
pub mod spec;
#[cfg(feature = "torch")]
pub mod torch;
pub mod train;

pub use error::EmpiricalError;

/// `Ok` when this build links libtorch; otherwise the one-line [`EmpiricalError::TorchFeatureMissing`] naming
/// `what` (e.g. "the TorchScript model model.pt").
///
/// # Errors
/// [`EmpiricalError::TorchFeatureMissing`] without the `torch` feature.
pub fn require_torch(what: impl Into<String>) -> Result<(), EmpiricalError> {
    if cfg!(feature = "torch") {
        Ok(())
    } else {
        Err(EmpiricalError::TorchFeatureMissing { what: what.into() })
    }
}

/// What a build of this crate can do, for `landscape doctor`.
#[derive(Debug, Clone, PartialEq)]
pub struct Doctor {
    /// `"torch"` (libtorch through tch) with the `torch` feature, `"native"` without — the names `--backend` takes.
    pub backend: &'static str,
    /// libtorch's version as the linked library reports it; `None` without the feature.
    pub torch_version: Option<String>,
    /// Whether libtorch sees a usable CUDA device.
    pub cuda_available: bool,
    /// How many CUDA devices libtorch sees.
    pub cuda_device_count: usize,
    /// libtorch's intra-op thread count; `None` without the feature.
    pub threads: Option<usize>,
}

/// Reports the backend, libtorch's version, CUDA availability and thread count.
pub fn doctor() -> Doctor {
    #[cfg(feature = "torch")]
    {
        torch::doctor()
    }
    #[cfg(not(feature = "torch"))]
    {
        Doctor {
            backend: "native",
            torch_version: None,
            cuda_available: false,
            cuda_device_count: 0,
            threads: None,
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(not(feature = "torch"))]
    #[test]
    fn a_torchscript_model_without_the_torch_feature_is_a_one_line_error() {
        let err = super::require_torch("the TorchScript model m.pt").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the TorchScript model m.pt needs libtorch: rebuild with `--features torch` (see scripts/setup-torch.sh)"
        );
        assert_eq!(super::doctor().backend, "native");
    }

    #[cfg(feature = "torch")]
    #[test]
    fn the_torch_build_accepts_torchscript_models() {
        assert!(super::require_torch("m.pt").is_ok());
    }
}
