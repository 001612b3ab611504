//! The one error type of the empirical crate; every message is one readable line.

use landscape_simulate::SimulateError;

/// Why a data set, model or curvature operator could not be loaded or evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EmpiricalError {
    /// A file could not be opened or read.
    #[error("cannot read {path}: {detail}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's reason.
        detail: String,
    },
    /// A file was read but its contents are not in the expected format.
    #[error("{path} is not a valid {format} file: {detail}")]
    Format {
        /// The file.
        path: String,
        /// The expected format (`"npy"`, `"MNIST IDX"`, …).
        format: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// Shapes do not fit together (data against model, inputs against targets).
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// Types do not fit together: the model's computation needs a dtype the data or the chosen `--dtype` does not
    /// give (a module that casts its input to float32 inside `forward`, integer indices for an embedding).
    #[error("dtype mismatch: {0}")]
    Dtype(String),
    /// A class label is negative or not below the number of classes.
    #[error("label {label} of sample {index} is out of range: expected 0 ≤ label < {n_classes}")]
    LabelOutOfRange {
        /// The sample.
        index: usize,
        /// The label.
        label: i64,
        /// The number of classes (the model's output dimension).
        n_classes: usize,
    },
    /// NaN or ±∞ in data, parameters or a result.
    #[error("non-finite value in {what} at index {index}")]
    NonFinite {
        /// Which quantity.
        what: &'static str,
        /// The first offending flat index.
        index: usize,
    },
    /// An argument is outside what the function accepts.
    #[error("invalid {name} = {value}: expected {valid}")]
    InvalidArgument {
        /// The argument's name as the CLI writes it.
        name: &'static str,
        /// The rejected value, printed.
        value: String,
        /// What would have been accepted.
        valid: String,
    },
    /// The request needs the `torch` cargo feature, which this build lacks.
    #[error("{what} needs libtorch: rebuild with `--features torch` (see scripts/setup-torch.sh)")]
    TorchFeatureMissing {
        /// What was requested (e.g. "the TorchScript model model.pt").
        what: String,
    },
    /// CUDA was requested but libtorch sees no usable GPU.
    #[error("CUDA device {requested} requested but {reason}")]
    CudaUnavailable {
        /// The requested device, as the CLI writes it (`cuda:0`).
        requested: String,
        /// Why it is not available.
        reason: String,
    },
    /// An error raised inside libtorch.
    #[error("libtorch: {0}")]
    Torch(String),
    /// A numerical method failed (an eigensolver did not converge) or a checkpoint could not be written.
    #[error("{0}")]
    Numerical(String),
}

impl From<SimulateError> for EmpiricalError {
    fn from(err: SimulateError) -> Self {
        crate::model::from_simulate(err)
    }
}

impl EmpiricalError {
    /// Shorthand for [`EmpiricalError::InvalidArgument`].
    pub fn invalid(
        name: &'static str,
        value: impl std::fmt::Display,
        valid: impl Into<String>,
    ) -> Self {
        Self::InvalidArgument {
            name,
            value: value.to_string(),
            valid: valid.into(),
        }
    }

    /// An [`EmpiricalError::Io`] for `path`.
    pub fn io(path: &std::path::Path, err: &std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            detail: err.to_string(),
        }
    }

    /// An [`EmpiricalError::Format`] for `path`.
    pub fn format(path: &std::path::Path, format: &'static str, detail: impl Into<String>) -> Self {
        Self::Format {
            path: path.display().to_string(),
            format,
            detail: detail.into(),
        }
    }
}

impl From<EmpiricalError> for SimulateError {
    fn from(err: EmpiricalError) -> Self {
        match err {
            EmpiricalError::NonFinite { what, index } => SimulateError::NonFinite { what, index },
            EmpiricalError::InvalidArgument { name, value, valid } => {
                SimulateError::InvalidArgument { name, value, valid }
            }
            other => SimulateError::Backend(other.to_string()),
        }
    }
}
