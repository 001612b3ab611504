//! The one error type of the reports crate.

use std::path::PathBuf;

/// Everything that can go wrong while drawing a figure, exporting its data or
/// assembling the PDF.
///
/// Bad input data (mismatched lengths, nothing finite to draw, non-positive
/// values on a logarithmic axis) is an [`ReportError::InvalidData`]; the
/// renderers never panic on user-supplied data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The figure or document data cannot be drawn as given.
    #[error("invalid data in {what}: {reason}")]
    InvalidData {
        /// Which figure or field is at fault (its title and field name).
        what: String,
        /// Why it cannot be drawn.
        reason: String,
    },
    /// plotters failed while drawing a figure.
    #[error("drawing figure {title:?} failed: {reason}")]
    Draw {
        /// The figure's title.
        title: String,
        /// The backend's message.
        reason: String,
    },
    /// An SVG (a figure or a page) could not be parsed by usvg.
    #[error("SVG could not be parsed: {0}")]
    Svg(String),
    /// krilla could not produce the PDF.
    #[error("PDF could not be written: {0}")]
    Pdf(String),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The path being written.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// serde_json failed to serialize a figure.
    #[error("cannot serialize {what}: {source}")]
    Json {
        /// What was being serialized.
        what: String,
        /// The underlying error.
        source: serde_json::Error,
    },
}

impl ReportError {
    /// Shorthand for [`ReportError::InvalidData`].
    pub(crate) fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidData {
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`ReportError::Io`].
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
