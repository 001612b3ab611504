//! The one error type of the simulate crate.

/// Why a sampler, network or estimator could not produce a result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SimulateError {
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
    /// Shapes do not fit together (inputs against targets, data against a model).
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A class label is not below the number of classes (negative labels are rejected where files are read).
    #[error("label {label} of sample {index} is out of range: expected 0 ≤ label < {n_classes}")]
    LabelOutOfRange {
        /// The sample.
        index: usize,
        /// The label.
        label: i64,
        /// The number of classes (the model's output dimension).
        n_classes: usize,
    },
    /// An operator or intermediate result produced NaN or ±∞.
    #[error("non-finite value in {what} at index {index}")]
    NonFinite {
        /// Which quantity.
        what: &'static str,
        /// The first offending index.
        index: usize,
    },
    /// A numerical method failed (e.g. an eigensolver did not converge).
    #[error("{what} failed: {detail}")]
    Numerical {
        /// The method.
        what: &'static str,
        /// Details.
        detail: String,
    },
    /// An error from a backend such as libtorch.
    #[error("backend error: {0}")]
    Backend(String),
}

impl SimulateError {
    /// Shorthand for [`SimulateError::InvalidArgument`].
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
}
