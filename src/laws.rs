//! From a parsed law expression to a theory law object.

use std::sync::Arc;

use landscape_theory::expr::LawExpr;
use landscape_theory::{LawError, SpectralLaw};

/// Builds the law an expression names, validating every parameter.
pub fn build_law(expr: &LawExpr) -> Result<Arc<dyn SpectralLaw>, LawError> {
    Err(LawError::Unsupported {
        law: "law",
        reason: format!("`{expr}` is not available yet"),
    })
}
