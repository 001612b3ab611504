//! Data export beside every figure: CSV for people and spreadsheets, `.npy`
//! (format version 1.0, little-endian `f64`) for numpy, and atomic file
//! writes.
//!
//! The `.npy` writer is the whole format: a 10-byte preamble
//! (`\x93NUMPY`, version 1.0, header length as `u16` LE), an ASCII Python-dict
//! header padded with spaces to a multiple of 64 bytes and ended by `\n`, then
//! the values in C order. See numpy's `numpy/lib/format.py`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::ReportError;

/// A rectangular table of numbers with named columns: one exported data set of
/// a figure. Stored column-major (`columns[j][i]` is row `i` of column `j`).
#[derive(Debug, Clone, PartialEq)]
pub struct DataTable {
    /// File-name suffix, e.g. `histogram` gives `<stem>_histogram.csv`.
    pub name: String,
    /// Column names (the CSV header).
    pub column_names: Vec<String>,
    /// The columns; all of the same length.
    pub columns: Vec<Vec<f64>>,
    /// Optional text label per row, written as a first `label` column in the
    /// CSV only (`.npy` holds numbers alone; tables that need it carry a
    /// numeric index column as well).
    pub row_labels: Option<Vec<String>>,
}

impl DataTable {
    /// Number of rows (0 for a table without columns).
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }

    /// The CSV text: a header line, then one line per row. Numbers are
    /// written with Rust's shortest round-trip representation (`{:?}`), so
    /// parsing them back gives the same `f64`; NaN and infinities are written
    /// `NaN`, `inf`, `-inf` (all accepted by Python's `float`).
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let mut header: Vec<String> = Vec::with_capacity(self.column_names.len() + 1);
        if self.row_labels.is_some() {
            header.push("label".to_string());
        }
        header.extend(self.column_names.iter().map(|c| csv_field(c)));
        out.push_str(&header.join(","));
        out.push('\n');
        for row_idx in 0..self.n_rows() {
            if let Some(labels) = &self.row_labels {
                out.push_str(&csv_field(labels.get(row_idx).map_or("", String::as_str)));
                out.push(',');
            }
            for (col_idx, col) in self.columns.iter().enumerate() {
                if col_idx > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{:?}", col.get(row_idx).copied().unwrap_or(f64::NAN));
            }
            out.push('\n');
        }
        out
    }

    /// The `.npy` bytes of this table as a `(n_rows, n_columns)` C-order
    /// `float64` array.
    pub fn to_npy(&self) -> Vec<u8> {
        let n_rows = self.n_rows();
        let n_cols = self.columns.len();
        let mut values = Vec::with_capacity(n_rows * n_cols);
        for row_idx in 0..n_rows {
            for col in &self.columns {
                values.push(col.get(row_idx).copied().unwrap_or(f64::NAN));
            }
        }
        npy_f64(&[n_rows, n_cols], &values)
    }
}

/// Quotes a CSV field when it contains a comma, quote or line break
/// (RFC 4180).
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Encodes `values` (C order) as a `.npy` version 1.0 file of little-endian
/// `float64` with the given shape.
///
/// # Panics
/// If the product of `shape` differs from `values.len()` (a programming error
/// inside this crate, never user input).
#[track_caller]
pub fn npy_f64(shape: &[usize], values: &[f64]) -> Vec<u8> {
    assert_eq!(
        shape.iter().product::<usize>(),
        values.len(),
        "npy shape {shape:?} does not match {} values",
        values.len()
    );
    let shape_text = match shape {
        [n] => format!("({n},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Preamble (10 bytes) + header + '\n' must be a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    let pad = (64 - unpadded % 64) % 64;
    header.push_str(&" ".repeat(pad));
    header.push('\n');
    let header_len = u16::try_from(header.len()).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(10 + header.len() + 8 * values.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Writes `bytes` to `path` atomically: the data go to a temporary file in the
/// same directory, are flushed to disk (`fsync`), and the temporary file is
/// renamed over `path`. A crash or an interrupted run leaves either the old
/// file or the new one, never a half-written one. The directory is synced
/// too where the platform allows, so the rename itself is durable.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().ok_or_else(|| {
        ReportError::invalid(
            "output path",
            format!("{} has no file name", path.display()),
        )
    })?;
    // Process id and a per-process counter: concurrent writers (threads or
    // processes) never share a temporary file.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let serial = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{serial}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if let Err(err) = result {
        // Best effort: do not leave the temporary file behind.
        let _ = std::fs::remove_file(&tmp);
        return Err(ReportError::io(path, err));
    }
    // Syncing a directory is not possible everywhere (e.g. Windows); the
    // rename has happened either way.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Writes each table as `<dir>/<stem>_<name>.csv` and `.npy`; returns the
/// paths written, in order.
pub(crate) fn write_tables(
    dir: &Path,
    stem: &str,
    tables: &[DataTable],
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| ReportError::io(dir, e))?;
    let mut written = Vec::with_capacity(2 * tables.len());
    for table in tables {
        let base = format!("{stem}_{}", table.name);
        let csv = dir.join(format!("{base}.csv"));
        write_atomic(&csv, table.to_csv().as_bytes())?;
        written.push(csv);
        let npy = dir.join(format!("{base}.npy"));
        write_atomic(&npy, &table.to_npy())?;
        written.push(npy);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_header_is_aligned_and_parsable() {
        let bytes = npy_f64(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
        let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(header.starts_with("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"));
        assert!(header.ends_with('\n'));
        let data = &bytes[10 + header_len..];
        assert_eq!(data.len(), 48);
        assert_eq!(
            f64::from_le_bytes(data[40..48].try_into().unwrap()).to_bits(),
            6.0_f64.to_bits()
        );
    }

    #[test]
    fn npy_one_dimensional_shape_has_trailing_comma() {
        let bytes = npy_f64(&[3], &[1.0, 2.0, 3.0]);
        let header = String::from_utf8_lossy(&bytes[10..]);
        assert!(header.contains("'shape': (3,)"), "{header}");
    }

    #[test]
    fn csv_round_trips_values_and_quotes_labels() {
        let table = DataTable {
            name: "t".into(),
            column_names: vec!["x".into(), "a,b".into()],
            columns: vec![vec![0.1, 1e-300], vec![f64::NAN, -2.5e17]],
            row_labels: None,
        };
        let csv = table.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "x,\"a,b\"");
        let row: Vec<f64> = lines[2].split(',').map(|v| v.parse().unwrap()).collect();
        assert_eq!(row[0].to_bits(), 1e-300_f64.to_bits());
        assert_eq!(row[1].to_bits(), (-2.5e17_f64).to_bits());
        assert!(lines[1].ends_with(",NaN"));
        let labelled = DataTable {
            row_labels: Some(vec!["λ₊ \"edge\"".into(), "b".into()]),
            ..table
        };
        let csv = labelled.to_csv();
        assert!(
            csv.starts_with("label,x,\"a,b\"\n\"λ₊ \"\"edge\"\"\",0.1,NaN\n"),
            "{csv}"
        );
    }

    #[test]
    fn write_atomic_replaces_the_file_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("reports-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.pdf");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn write_atomic_into_missing_directory_is_an_error_not_a_panic() {
        let path = std::env::temp_dir().join("reports-no-such-dir-xyz/sub/out.pdf");
        let err = write_atomic(&path, b"x").unwrap_err();
        assert!(matches!(err, ReportError::Io { .. }), "{err}");
    }
}
