//! The output folder: atomic files, the manifest, and point results.
//!
//! Layout of `DIR`:
//! * `manifest.json`: format version, experiment, the configuration's hash, the number of points, and the
//!   configuration's text (so `merge` needs nothing but the folder);
//! * `points/<hash of the point key>.json`: one finished point, written atomically;
//! * `slurm/`: the sbatch script and the array tasks' logs (`landscape sweep slurm`);
//! * `results.csv`, `results.json`, `results.npy`: written by `landscape sweep merge`.
//!
//! A point's file exists only once it is complete: it is written to a temporary file in the same folder, flushed
//! to disk (`fsync`), renamed over the final name (atomic on POSIX file systems) and the folder is flushed. A run
//! killed at any moment leaves finished files and possibly temporary ones, never a partial result file; the next
//! run removes stale temporary files of the points it runs and redoes those points.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::config::{Point, SweepConfig};
use super::error::SweepError;

/// Version of the folder layout and file formats.
pub const FORMAT_VERSION: u32 = 1;

/// Writes `bytes` to `path` atomically with the reports crate's writer: a temporary file `.<name>.tmp-<pid>-<serial>`
/// in the same folder, fsync, rename over `path`, fsync of the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SweepError> {
    landscape_reports::write_atomic(path, bytes).map_err(|e| SweepError::Failure(e.to_string()))
}

/// The manifest of an output folder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// [`FORMAT_VERSION`].
    pub format: u32,
    /// The experiment.
    pub experiment: String,
    /// The configuration's hash as 16 hex digits.
    pub config_hash: String,
    /// The configuration's seed.
    pub seed: u64,
    /// Number of points.
    pub n_points: usize,
    /// The configuration file as given.
    pub config_file: String,
    /// The configuration's text.
    pub config_text: String,
}

impl Manifest {
    /// The manifest of `config`.
    pub fn of(config: &SweepConfig) -> Self {
        Self {
            format: FORMAT_VERSION,
            experiment: config.experiment.to_string(),
            config_hash: format!("{:016x}", config.hash),
            seed: config.seed,
            n_points: config.points.len(),
            config_file: config.file.display().to_string(),
            config_text: config.text.clone(),
        }
    }
}

/// A point's result file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PointRecord {
    /// [`FORMAT_VERSION`].
    pub format: u32,
    /// The configuration's hash.
    pub config_hash: String,
    /// The point's canonical key.
    pub key: String,
    /// The point's seed.
    pub seed: u64,
    /// Replicate id.
    pub replicate: u64,
    /// Coordinates by name.
    pub coords: serde_json::Map<String, Value>,
    /// The experiment's result.
    pub result: Value,
}

/// An output folder.
#[derive(Debug, Clone)]
pub struct OutDir {
    root: PathBuf,
}

impl OutDir {
    /// The folder at `root` (not created).
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }

    /// Its path.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `manifest.json`.
    pub fn manifest_path(&self) -> PathBuf {
        self.root.join("manifest.json")
    }

    /// `points/`.
    pub fn points_dir(&self) -> PathBuf {
        self.root.join("points")
    }

    /// The result file of `point`.
    pub fn point_path(&self, point: &Point) -> PathBuf {
        self.points_dir().join(point.file_name())
    }

    /// Reads the manifest, if there is one.
    pub fn read_manifest(&self) -> Result<Option<Manifest>, SweepError> {
        let path = self.manifest_path();
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                SweepError::Failure(format!("{}: not a sweep manifest ({e})", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SweepError::io(&path, e)),
        }
    }

    /// Creates the folder for `config`, or checks that it holds the same configuration's results.
    ///
    /// A folder holding another configuration's results is refused unless `force`, which deletes those results.
    pub fn prepare(&self, config: &SweepConfig, force: bool) -> Result<(), SweepError> {
        let manifest = Manifest::of(config);
        if let Some(existing) = self.read_manifest()? {
            if existing.config_hash == manifest.config_hash && existing.format == FORMAT_VERSION {
                return Ok(());
            }
            if !force {
                return Err(SweepError::Usage(format!(
                    "{} holds the results of a different configuration ({}, hash {}; this one is {}, hash {}); \
                     use another --out, or --force to delete them",
                    self.root.display(),
                    existing.config_file,
                    existing.config_hash,
                    config.file.display(),
                    manifest.config_hash
                )));
            }
            let points = self.points_dir();
            if points.exists() {
                fs::remove_dir_all(&points).map_err(|e| SweepError::io(&points, e))?;
            }
            for name in ["results.csv", "results.json", "results.npy"] {
                let _ = fs::remove_file(self.root.join(name));
            }
        } else if self.root.exists() && self.points_dir().exists() {
            return Err(SweepError::Usage(format!(
                "{} has a points/ folder but no manifest.json; refusing to mix results (use another --out)",
                self.root.display()
            )));
        }
        // The manifest goes first: shards started at once on a fresh folder must never see `points/` without it.
        // Two of them writing it race harmlessly, as both write the same bytes.
        fs::create_dir_all(&self.root).map_err(|e| SweepError::io(&self.root, e))?;
        let text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| SweepError::Failure(e.to_string()))?;
        write_atomic(&self.manifest_path(), text.as_bytes())?;
        let points = self.points_dir();
        fs::create_dir_all(&points).map_err(|e| SweepError::io(&points, e))
    }

    /// The finished record of `point`, or `None` when it has not finished (no file, or a file that is not this
    /// point's complete record, which is then redone).
    pub fn finished(&self, point: &Point, config_hash: &str) -> Option<PointRecord> {
        let bytes = fs::read(self.point_path(point)).ok()?;
        let record: PointRecord = serde_json::from_slice(&bytes).ok()?;
        (record.key == point.key && record.config_hash == config_hash && record.seed == point.seed)
            .then_some(record)
    }

    /// Removes temporary files left by a killed run for `point`.
    pub fn remove_stale_temporaries(&self, point: &Point) {
        let prefix = format!(".{}.tmp-", point.file_name());
        if let Ok(entries) = fs::read_dir(self.points_dir()) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
    }

    /// Writes a point's record atomically.
    pub fn write_point(&self, point: &Point, record: &PointRecord) -> Result<(), SweepError> {
        let text =
            serde_json::to_string_pretty(record).map_err(|e| SweepError::Failure(e.to_string()))?;
        write_atomic(&self.point_path(point), text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("landscape-store-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
