//! What can go wrong in a sweep, split into bad input (exit code 2) and failures that are not the user's (1).

use std::path::{Path, PathBuf};

use crate::toml_config::ConfigError;

/// An error of a sweep command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// The configuration file is wrong; names the file, line, column and field.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Any other bad input: a shard spec, an output folder holding another configuration's results.
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Some points failed to run (the others were written).
    #[error("{failed} of {total} points failed; first: {first}")]
    PointsFailed {
        /// Number of failed points.
        failed: usize,
        /// Number of points this run attempted.
        total: usize,
        /// The first failure: the point's key and the error.
        first: String,
    },
    /// Any other failure (a result file that is not what it should be, sbatch failing).
    #[error("{0}")]
    Failure(String),
}

impl SweepError {
    /// Whether the error is the user's (exit code 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, Self::Config(_) | Self::Usage(_))
    }

    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
