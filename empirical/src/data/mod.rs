//! Data-set loaders into the project's one [`Dataset`] type (`n` samples of one shape, flat row-major `f64`, with
//! class labels or real targets).
//!
//! File sources hold `f32` pixels (or `.npz` arrays written by PyTorch users); they are widened to `f64` exactly,
//! so the native and the torch backend see the same numbers.
//!
//! Sources: [`digits`] (vendored UCI handwritten digits), [`mixture`] (seeded Gaussian mixtures), [`npy`]/[`npz`]
//! (NumPy files), [`idx`] (MNIST IDX) and [`cifar`] (CIFAR-10 binary). Every loader validates what it reads:
//! NaN or ±∞ inputs, negative labels and inconsistent shapes are one-line [`EmpiricalError`]s.

pub mod cifar;
pub mod digits;
pub mod idx;
pub mod mixture;
pub mod npy;
pub mod npz;
pub mod whiten;

use crate::EmpiricalError;

/// The project's one data-set type: `n` samples of one shape, flat row-major `f64`, with class labels or real
/// targets (defined beside the native networks, which read the same values).
pub use landscape_simulate::network::data::{Dataset, Standardization, Targets};

/// The data sets as the training loops and experiments see them ([`crate::model::CurvatureModel::Data`] of both
/// backends).
impl crate::model::SampleSet for Dataset {
    fn n_samples(&self) -> usize {
        Dataset::n_samples(self)
    }

    fn subset(&self, indices: &[usize]) -> Result<Self, EmpiricalError> {
        Ok(Dataset::subset(self, indices)?)
    }
}

/// Class labels read from a file (signed integers), with `n_classes` inferred as the largest label plus one.
///
/// # Errors
/// [`EmpiricalError::LabelOutOfRange`] for a negative label; [`EmpiricalError::Shape`] when there are none.
pub fn classes_from_labels(labels: Vec<i64>) -> Result<Targets, EmpiricalError> {
    if labels.is_empty() {
        return Err(EmpiricalError::Shape("no labels".into()));
    }
    Ok(Targets::classes(class_indices(&labels)?))
}

/// Signed labels read from a file as class indices.
///
/// # Errors
/// [`EmpiricalError::LabelOutOfRange`] for a negative label.
pub(crate) fn class_indices(labels: &[i64]) -> Result<Vec<usize>, EmpiricalError> {
    labels
        .iter()
        .enumerate()
        .map(|(index, &label)| {
            usize::try_from(label).map_err(|_| EmpiricalError::LabelOutOfRange {
                index,
                label,
                n_classes: 0,
            })
        })
        .collect()
}

/// `f32` values (pixels, arrays from PyTorch) widened exactly to the data set's `f64`.
pub(crate) fn widen(values: Vec<f32>) -> Vec<f64> {
    values.into_iter().map(f64::from).collect()
}

/// Reads a whole file, decompressing it when it starts with the gzip magic bytes.
pub(crate) fn read_maybe_gz(path: &std::path::Path) -> Result<Vec<u8>, EmpiricalError> {
    use std::io::Read;
    let bytes = std::fs::read(path).map_err(|e| EmpiricalError::io(path, &e))?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| EmpiricalError::format(path, "gzip", e.to_string()))?;
        Ok(out)
    } else {
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_labels_are_rejected() {
        let err = classes_from_labels(vec![0, -1]).unwrap_err();
        assert!(matches!(
            err,
            EmpiricalError::LabelOutOfRange {
                index: 1,
                label: -1,
                ..
            }
        ));
        assert_eq!(
            classes_from_labels(vec![2, 0]).unwrap(),
            Targets::Classes {
                labels: vec![2, 0],
                n_classes: 3
            }
        );
    }
}
