//! The one error type of the theory crate.

/// Why a law could not be built or evaluated.
///
/// Every variant names the offending argument and what would have been valid, so the CLI can print it as one
/// line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LawError {
    /// A parameter is outside the law's domain of validity.
    #[error("{law}: invalid {name} = {value}: expected {valid}")]
    InvalidParameter {
        /// The law or function being built, as the CLI writes it (`mp`, `free_product`, ...).
        law: &'static str,
        /// The parameter's name.
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// What would have been accepted.
        valid: &'static str,
    },
    /// A combination of laws that the operation does not support (e.g. a free product with a law that has negative
    /// support).
    #[error("{law}: {reason}")]
    Unsupported {
        /// The operation.
        law: &'static str,
        /// Why it is not supported.
        reason: String,
    },
    /// A numerical method did not reach its tolerance.
    #[error("{what} did not converge: {detail}")]
    NoConvergence {
        /// The numerical method.
        what: &'static str,
        /// Where and how far it got.
        detail: String,
    },
}

impl LawError {
    /// Shorthand for [`LawError::InvalidParameter`].
    pub fn invalid(law: &'static str, name: &'static str, value: f64, valid: &'static str) -> Self {
        Self::InvalidParameter {
            law,
            name,
            value,
            valid,
        }
    }
}

/// Checks that `value` is finite and strictly positive.
pub fn require_positive(
    law: &'static str,
    name: &'static str,
    value: f64,
) -> Result<f64, LawError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(LawError::invalid(law, name, value, "a finite number > 0"))
    }
}

/// Checks that `value` is finite and non-negative.
pub fn require_non_negative(
    law: &'static str,
    name: &'static str,
    value: f64,
) -> Result<f64, LawError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(LawError::invalid(law, name, value, "a finite number ≥ 0"))
    }
}

/// Checks that `value` is finite.
pub fn require_finite(law: &'static str, name: &'static str, value: f64) -> Result<f64, LawError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(LawError::invalid(law, name, value, "a finite number"))
    }
}
