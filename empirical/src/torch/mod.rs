//! libtorch through `tch` (cargo feature `torch`): models, losses and their curvature operators in `f64`.
//!
//! * [`model`]: [`TorchModel`], a built-in MLP with weights settable from a flat vector, or any TorchScript module
//!   (`torch.jit.trace`/`torch.jit.script`) with its parameters discovered from the module.
//! * [`loss`]: [`Objective`] = cross-entropy or mean squared error with mean (PyTorch's default) or sum reduction.
//! * [`curvature`]: [`TorchHessian`] (double backward) and [`TorchGaussNewton`] (Jacobian-vector products) over an
//!   explicit fixed data subset, as [`landscape_simulate::SymmetricOperator`]s on flat `f64` vectors.
//! * [`network`]: [`TorchNetwork`], a model with its objective as a [`crate::model::CurvatureModel`], so the
//!   training loops and experiments run on libtorch models unchanged.
//!
//! Everything runs in `f64` (`Kind::Double`): the curvature must agree with the native backend to ~1e-8.

pub mod curvature;
pub mod loss;
pub mod model;
pub mod network;

pub use curvature::{CurvatureInfo, TorchGaussNewton, TorchHessian, loss_and_gradient};
pub use loss::{Loss, Objective, Reduction};
pub use model::{Activation, Mode, TorchModel};
pub use network::TorchNetwork;

use crate::{Doctor, EmpiricalError};

/// Where tensors live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceSpec {
    /// The CPU.
    Cpu,
    /// CUDA device with this index.
    Cuda(usize),
}

impl std::str::FromStr for DeviceSpec {
    type Err = EmpiricalError;

    /// Parses `cpu`, `cuda` (device 0) or `cuda:N`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || EmpiricalError::invalid("device", s, "cpu, cuda or cuda:N");
        match s {
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda(0)),
            _ => s
                .strip_prefix("cuda:")
                .and_then(|i| i.parse().ok())
                .map(Self::Cuda)
                .ok_or_else(bad),
        }
    }
}

impl std::fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cpu => write!(f, "cpu"),
            Self::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

impl DeviceSpec {
    /// The libtorch device, after checking that a requested GPU exists.
    ///
    /// # Errors
    /// [`EmpiricalError::CudaUnavailable`] when CUDA is requested but libtorch sees no GPU (no device, a CPU-only
    /// libtorch, or a binary linked without `libtorch_cuda`), or the index is not below the device count.
    pub fn to_tch(self) -> Result<tch::Device, EmpiricalError> {
        match self {
            Self::Cpu => Ok(tch::Device::Cpu),
            Self::Cuda(idx) => {
                if !tch::Cuda::is_available() {
                    return Err(EmpiricalError::CudaUnavailable {
                        requested: self.to_string(),
                        reason: "libtorch sees no CUDA device (no GPU, or a CPU-only libtorch)"
                            .into(),
                    });
                }
                let count = usize::try_from(tch::Cuda::device_count()).unwrap_or(0);
                if idx >= count {
                    return Err(EmpiricalError::CudaUnavailable {
                        requested: self.to_string(),
                        reason: format!("only {count} CUDA device(s) are present"),
                    });
                }
                Ok(tch::Device::Cuda(idx))
            }
        }
    }
}

/// The libtorch version this binary was built against (read from the installation at build time).
pub const LIBTORCH_VERSION: &str = match option_env!("LANDSCAPE_LIBTORCH_VERSION") {
    Some(v) => v,
    None => "unknown",
};

/// Backend, libtorch version, CUDA availability and thread count.
pub fn doctor() -> Doctor {
    Doctor {
        backend: "torch",
        torch_version: Some(LIBTORCH_VERSION.to_string()),
        cuda_available: tch::Cuda::is_available(),
        cuda_device_count: usize::try_from(tch::Cuda::device_count()).unwrap_or(0),
        threads: usize::try_from(tch::get_num_threads()).ok(),
    }
}

/// A libtorch error as one line: the line that explains it ([`reason_line`]).
pub(crate) fn torch_err(err: tch::TchError) -> EmpiricalError {
    EmpiricalError::Torch(reason_line(&err.to_string()))
}

/// The one line of a libtorch error message that says why it failed.
///
/// libtorch appends a C++ backtrace after its first line, which is then the reason ("mat1 and mat2 shapes cannot
/// be multiplied (256x784 and 64x32)"). A TorchScript module's failure instead starts with "The following operation
/// failed in the TorchScript interpreter.", then two tracebacks, and ends with the Python exception that explains
/// it ("RuntimeError: Given groups=1, weight of size [8, 3, 3, 3], expected input[256, 32, 32, 3] to have 3
/// channels, but got 32 channels instead"): the last `…Error: …` line wins, without its exception name.
pub(crate) fn reason_line(text: &str) -> String {
    let exception = text.lines().map(str::trim).rev().find_map(|line| {
        let (head, rest) = line.split_once(": ")?;
        let named = head.ends_with("Error")
            && head
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
        (named && !rest.trim().is_empty()).then(|| rest.trim().to_string())
    });
    exception.unwrap_or_else(|| {
        text.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("unknown error")
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_that_explains_a_torch_failure_is_kept() {
        // A TorchScript interpreter failure as libtorch 2.13 prints it (NHWC images into a CNN).
        let script = "The following operation failed in the TorchScript interpreter.
Traceback of TorchScript, serialized code (most recent call last):
  File \"code/__torch__/torch/nn/modules/conv.py\", line 23, in forward
    _2 = torch._convolution(input, weight, bias, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, False, False, True, True)
         ~~~~~~~~~~~~~~~~~~ <--- HERE
Traceback of TorchScript, original code (most recent call last):
  File \"torch/nn/modules/conv.py\", line 548, in _conv_forward
RuntimeError: Given groups=1, weight of size [8, 3, 3, 3], expected input[256, 32, 32, 3] to have 3 channels, but got 32 channels instead
";
        assert_eq!(
            reason_line(script),
            "Given groups=1, weight of size [8, 3, 3, 3], expected input[256, 32, 32, 3] to have 3 channels, but \
             got 32 channels instead"
        );
        // A plain libtorch error: the first line, not the C++ frames after it.
        let plain = "mat1 and mat2 shapes cannot be multiplied (256x784 and 64x32)
Exception raised from meta at /pytorch/aten/src/ATen/native/LinearAlgebra.cpp:197 (most recent call first):
frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x9d (0x7f in libc10.so)";
        assert_eq!(
            reason_line(plain),
            "mat1 and mat2 shapes cannot be multiplied (256x784 and 64x32)"
        );
        assert_eq!(reason_line(""), "unknown error");
    }

    #[test]
    fn device_strings_parse_and_print_back() {
        for s in ["cpu", "cuda:0", "cuda:3"] {
            assert_eq!(s.parse::<DeviceSpec>().unwrap().to_string(), s);
        }
        assert_eq!("cuda".parse::<DeviceSpec>().unwrap(), DeviceSpec::Cuda(0));
        assert!("gpu".parse::<DeviceSpec>().is_err());
    }

    #[test]
    fn cuda_requested_without_a_gpu_is_a_one_line_error() {
        // On a machine with a GPU the request succeeds; an index past the device count must fail everywhere.
        let err = DeviceSpec::Cuda(1 << 20).to_tch().unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("CUDA device cuda:1048576 requested but"),
            "{text}"
        );
        assert!(!text.contains('\n'));
        if !tch::Cuda::is_available() {
            let err = DeviceSpec::Cuda(0).to_tch().unwrap_err().to_string();
            assert_eq!(
                err,
                "CUDA device cuda:0 requested but libtorch sees no CUDA device (no GPU, or a CPU-only libtorch)"
            );
        }
    }

    #[test]
    fn doctor_reports_the_tch_backend_and_version() {
        let d = doctor();
        assert_eq!(d.backend, "torch");
        assert!(
            d.torch_version.as_deref().unwrap().starts_with("2.13.0"),
            "{d:?}"
        );
        assert!(d.threads.unwrap() >= 1);
    }
}
