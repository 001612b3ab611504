//! The UCI handwritten digits (1797 samples of 8×8 pixels in 0..=16, 10 classes), vendored in the repository as
//! `data/digits.csv.gz` (provenance and CC BY 4.0 license in `data/digits.LICENSE.md`) and embedded in the binary.

use super::{Dataset, Targets};
use crate::EmpiricalError;
use std::io::Read;
use std::path::Path;

/// The vendored file's bytes (gzip of CSV rows: 64 pixels then the label).
const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../../data/digits.csv.gz");

/// Pixels per sample.
pub const N_PIXELS: usize = 64;
/// Side of the square image (`SIDE² = N_PIXELS`).
pub const SIDE: usize = 8;
/// Samples in the vendored file.
pub const N_SAMPLES: usize = 1797;
/// Number of classes.
pub const N_CLASSES: usize = 10;

/// The vendored digits: one-channel images of shape `[1, 8, 8]` (64 pixels, row-major) with raw pixel values 0..=16 (call [`Dataset::standardize`] or
/// scale them as the experiment states), labels 0..=9.
///
/// # Errors
/// Only if the embedded file were corrupt, which a test excludes.
pub fn digits() -> Result<Dataset, EmpiricalError> {
    parse(DIGITS_CSV_GZ, Path::new("data/digits.csv.gz (embedded)"))
}

/// Digits from a gzip'd CSV file in the vendored format (64 pixel columns, then the label).
///
/// # Errors
/// [`EmpiricalError::Io`] or [`EmpiricalError::Format`] naming the file and the first bad line.
pub fn digits_from_file(path: &Path) -> Result<Dataset, EmpiricalError> {
    let bytes = std::fs::read(path).map_err(|e| EmpiricalError::io(path, &e))?;
    parse(&bytes, path)
}

fn parse(gz: &[u8], path: &Path) -> Result<Dataset, EmpiricalError> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut text)
        .map_err(|e| EmpiricalError::format(path, "gzip'd CSV", e.to_string()))?;
    let mut inputs = Vec::with_capacity(N_SAMPLES * N_PIXELS);
    let mut labels = Vec::with_capacity(N_SAMPLES);
    for (line_idx, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let bad = |detail: String| {
            EmpiricalError::format(
                path,
                "digits CSV",
                format!("line {}: {detail}", line_idx + 1),
            )
        };
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != N_PIXELS + 1 {
            return Err(bad(format!(
                "{} fields, expected {}",
                fields.len(),
                N_PIXELS + 1
            )));
        }
        for field in &fields[..N_PIXELS] {
            let v: f32 = field
                .parse()
                .map_err(|_| bad(format!("pixel {field:?} is not a number")))?;
            inputs.push(v);
        }
        let label: i64 = fields[N_PIXELS]
            .parse()
            .map_err(|_| bad(format!("label {:?} is not an integer", fields[N_PIXELS])))?;
        labels.push(label);
    }
    Dataset::new(
        "digits",
        super::widen(inputs),
        vec![1, SIDE, SIDE],
        Targets::Classes {
            labels: super::class_indices(&labels)?,
            n_classes: N_CLASSES,
        },
    )
    .map_err(EmpiricalError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_digits_have_1797_samples_of_64_pixels_in_ten_classes() {
        let data = digits().unwrap();
        assert_eq!(data.n_samples(), N_SAMPLES);
        assert_eq!(data.sample_shape(), &[1, SIDE, SIDE]);
        assert!(data.inputs().iter().all(|&v| (0.0..=16.0).contains(&v)));
        let Targets::Classes { labels, .. } = data.targets() else {
            panic!("digits must have class labels");
        };
        // Every class is present; the set is nearly balanced (sklearn: 174..=183 per class).
        for class in 0..10 {
            let count = labels.iter().filter(|&&l| l == class).count();
            assert!((174..=183).contains(&count), "class {class}: {count}");
        }
        // The first row of the file (its label is 0).
        assert_eq!(
            &data.sample(0)[..8],
            &[0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0]
        );
        assert_eq!(labels[0], 0);
    }

    #[test]
    fn corrupt_digits_file_names_the_line() {
        let dir = std::env::temp_dir().join(format!("landscape-digits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.csv.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, b"1,2,3\n").unwrap();
        std::fs::write(&path, enc.finish().unwrap()).unwrap();
        let err = digits_from_file(&path).unwrap_err().to_string();
        assert!(err.contains("line 1: 3 fields, expected 65"), "{err}");
        std::fs::write(&path, b"not gzip").unwrap();
        assert!(digits_from_file(&path).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
