//! Data sets: `n` samples of one fixed shape, stored as flat row-major `f32`, with class labels or real targets.
//!
//! Inputs are `f32` because every source is (pixels, `.npz` files written by PyTorch users); curvature is
//! computed in `f64` from these exact values, so both backends see bit-identical data.
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

/// What each sample is labelled with.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// One class per sample, each in `0..n_classes`.
    Classes {
        /// The labels, one per sample.
        labels: Vec<i64>,
        /// The number of classes (at least one more than the largest label).
        n_classes: usize,
    },
    /// A real vector of length `dim` per sample (regression), flat row-major.
    Values {
        /// The targets, `n × dim`.
        values: Vec<f32>,
        /// Length of each target vector.
        dim: usize,
    },
}

/// `n` samples of shape `sample_shape` with their targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    name: String,
    inputs: Vec<f32>,
    sample_shape: Vec<usize>,
    targets: Targets,
}

impl Dataset {
    /// Builds a data set from flat row-major inputs and validates it.
    ///
    /// # Errors
    /// [`EmpiricalError::Shape`] when `inputs.len()` is not `n · ∏ sample_shape` with `n` the number of targets,
    /// or a dimension is zero; [`EmpiricalError::NonFinite`] for NaN/±∞ in inputs or targets;
    /// [`EmpiricalError::LabelOutOfRange`] for a label outside `0..n_classes`.
    pub fn new(
        name: impl Into<String>,
        inputs: Vec<f32>,
        sample_shape: Vec<usize>,
        targets: Targets,
    ) -> Result<Self, EmpiricalError> {
        let data = Self {
            name: name.into(),
            inputs,
            sample_shape,
            targets,
        };
        data.validate()?;
        Ok(data)
    }

    fn validate(&self) -> Result<(), EmpiricalError> {
        if self.sample_shape.is_empty() || self.sample_shape.contains(&0) {
            return Err(EmpiricalError::Shape(format!(
                "{}: sample shape {:?} must be non-empty with positive dimensions",
                self.name, self.sample_shape
            )));
        }
        let n = self.n_samples();
        if n == 0 {
            return Err(EmpiricalError::Shape(format!("{}: no samples", self.name)));
        }
        let expected = n.checked_mul(self.sample_len());
        if expected != Some(self.inputs.len()) {
            return Err(EmpiricalError::Shape(format!(
                "{}: {} input values do not fill {n} samples of shape {:?}",
                self.name,
                self.inputs.len(),
                self.sample_shape
            )));
        }
        if let Some(index) = self.inputs.iter().position(|v| !v.is_finite()) {
            return Err(EmpiricalError::NonFinite {
                what: "data inputs",
                index,
            });
        }
        match &self.targets {
            Targets::Classes { labels, n_classes } => {
                check_labels(labels, *n_classes)?;
            }
            Targets::Values { values, dim } => {
                if *dim == 0 || values.len() % dim != 0 {
                    return Err(EmpiricalError::Shape(format!(
                        "{}: {} target values are not a whole number of vectors of length {dim}",
                        self.name,
                        values.len()
                    )));
                }
                if let Some(index) = values.iter().position(|v| !v.is_finite()) {
                    return Err(EmpiricalError::NonFinite {
                        what: "data targets",
                        index,
                    });
                }
            }
        }
        Ok(())
    }

    /// The data set's name (file or generator), for reports.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number of samples.
    pub fn n_samples(&self) -> usize {
        match &self.targets {
            Targets::Classes { labels, .. } => labels.len(),
            Targets::Values { values, dim } => values.len() / dim.max(&1),
        }
    }

    /// The shape of one sample, without the batch dimension (`[64]`, `[1, 28, 28]`, `[3, 32, 32]`).
    pub fn sample_shape(&self) -> &[usize] {
        &self.sample_shape
    }

    /// The number of values in one sample.
    pub fn sample_len(&self) -> usize {
        self.sample_shape.iter().product()
    }

    /// All inputs, flat row-major, `n_samples · sample_len` values.
    pub fn inputs(&self) -> &[f32] {
        &self.inputs
    }

    /// The inputs of sample `idx`.
    ///
    /// # Panics
    /// If `idx >= n_samples()`.
    #[track_caller]
    pub fn sample(&self, idx: usize) -> &[f32] {
        let len = self.sample_len();
        &self.inputs[idx * len..(idx + 1) * len]
    }

    /// The targets.
    pub fn targets(&self) -> &Targets {
        &self.targets
    }

    /// The number of classes, or `None` for real targets.
    pub fn n_classes(&self) -> Option<usize> {
        match &self.targets {
            Targets::Classes { n_classes, .. } => Some(*n_classes),
            Targets::Values { .. } => None,
        }
    }

    /// Checks the data fits a model with `n_outputs` outputs: every label below `n_outputs` for classes, target
    /// length equal to `n_outputs` for real targets.
    ///
    /// # Errors
    /// [`EmpiricalError::LabelOutOfRange`] or [`EmpiricalError::Shape`].
    pub fn check_outputs(&self, n_outputs: usize) -> Result<(), EmpiricalError> {
        match &self.targets {
            Targets::Classes { labels, .. } => check_labels(labels, n_outputs),
            Targets::Values { dim, .. } if *dim == n_outputs => Ok(()),
            Targets::Values { dim, .. } => Err(EmpiricalError::Shape(format!(
                "{}: targets have length {dim} but the model has {n_outputs} outputs",
                self.name
            ))),
        }
    }

    /// The samples at `indices`, in that order (repeats allowed): the explicit fixed subset an operator is built
    /// over.
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] for an index `≥ n_samples()` or an empty list.
    pub fn subset(&self, indices: &[usize]) -> Result<Self, EmpiricalError> {
        let n = self.n_samples();
        if indices.is_empty() {
            return Err(EmpiricalError::invalid(
                "subset",
                "[]",
                "at least one sample index",
            ));
        }
        if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
            return Err(EmpiricalError::invalid(
                "subset index",
                bad,
                format!("an index below the data set size {n}"),
            ));
        }
        let len = self.sample_len();
        let mut inputs = Vec::with_capacity(indices.len() * len);
        for &i in indices {
            inputs.extend_from_slice(self.sample(i));
        }
        let targets = match &self.targets {
            Targets::Classes { labels, n_classes } => Targets::Classes {
                labels: indices.iter().map(|&i| labels[i]).collect(),
                n_classes: *n_classes,
            },
            Targets::Values { values, dim } => Targets::Values {
                values: indices
                    .iter()
                    .flat_map(|&i| values[i * dim..(i + 1) * dim].iter().copied())
                    .collect(),
                dim: *dim,
            },
        };
        Ok(Self {
            name: self.name.clone(),
            inputs,
            sample_shape: self.sample_shape.clone(),
            targets,
        })
    }

    /// The first `n` samples.
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] when `n` is zero or exceeds the data set.
    pub fn head(&self, n: usize) -> Result<Self, EmpiricalError> {
        if n == 0 || n > self.n_samples() {
            return Err(EmpiricalError::invalid(
                "samples",
                n,
                format!("1..={}", self.n_samples()),
            ));
        }
        self.subset(&(0..n).collect::<Vec<_>>())
    }

    /// Standardizes each input coordinate to mean 0 and standard deviation 1 over the data set (population
    /// variance, divisor `n`, computed in `f64`); a constant coordinate is only centred. Returns the means and
    /// the standard deviations used (1 for constant coordinates), so other data can be transformed alike.
    pub fn standardize(&mut self) -> Standardization {
        let len = self.sample_len();
        let n = self.n_samples() as f64;
        let mut mean = vec![0.0f64; len];
        for sample in self.inputs.chunks_exact(len) {
            for (m, &v) in mean.iter_mut().zip(sample) {
                *m += f64::from(v);
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0f64; len];
        for sample in self.inputs.chunks_exact(len) {
            for ((s, &m), &v) in var.iter_mut().zip(&mean).zip(sample) {
                let d = f64::from(v) - m;
                *s += d * d;
            }
        }
        let std: Vec<f64> = var
            .iter()
            .map(|&s| {
                let sd = (s / n).sqrt();
                if sd > 0.0 { sd } else { 1.0 }
            })
            .collect();
        let transform = Standardization { mean, std };
        transform.apply(&mut self.inputs);
        transform
    }

    /// Renames the data set (for reports).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

/// The crate's data sets as the training loops and experiments see them ([`crate::model::CurvatureModel::Data`]
/// of the torch backend).
impl crate::model::SampleSet for Dataset {
    fn n_samples(&self) -> usize {
        Dataset::n_samples(self)
    }

    fn subset(&self, indices: &[usize]) -> Result<Self, EmpiricalError> {
        Dataset::subset(self, indices)
    }
}

/// Per-coordinate means and standard deviations from [`Dataset::standardize`].
#[derive(Debug, Clone, PartialEq)]
pub struct Standardization {
    /// Mean of each input coordinate.
    pub mean: Vec<f64>,
    /// Standard deviation of each input coordinate (1 where it was 0).
    pub std: Vec<f64>,
}

impl Standardization {
    /// Applies `x ↦ (x − mean) / std` coordinate-wise to flat samples of length `mean.len()`.
    pub fn apply(&self, inputs: &mut [f32]) {
        let len = self.mean.len();
        for sample in inputs.chunks_exact_mut(len) {
            for ((v, &m), &s) in sample.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = ((f64::from(*v) - m) / s) as f32;
            }
        }
    }
}

fn check_labels(labels: &[i64], n_classes: usize) -> Result<(), EmpiricalError> {
    let limit = i64::try_from(n_classes).unwrap_or(i64::MAX);
    match labels.iter().position(|&l| l < 0 || l >= limit) {
        Some(index) => Err(EmpiricalError::LabelOutOfRange {
            index,
            label: labels[index],
            n_classes,
        }),
        None => Ok(()),
    }
}

/// Class labels with `n_classes` inferred as the largest label plus one.
///
/// # Errors
/// [`EmpiricalError::LabelOutOfRange`] for a negative label; [`EmpiricalError::Shape`] when there are none.
pub fn classes_from_labels(labels: Vec<i64>) -> Result<Targets, EmpiricalError> {
    if let Some(index) = labels.iter().position(|&l| l < 0) {
        return Err(EmpiricalError::LabelOutOfRange {
            index,
            label: labels[index],
            n_classes: 0,
        });
    }
    let Some(&max) = labels.iter().max() else {
        return Err(EmpiricalError::Shape("no labels".into()));
    };
    let n_classes = usize::try_from(max)
        .ok()
        .and_then(|m| m.checked_add(1))
        .ok_or_else(|| EmpiricalError::invalid("label", max, "a label below 2^32"))?;
    Ok(Targets::Classes { labels, n_classes })
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

impl Dataset {
    /// The same samples as the native backend's f64 data set: inputs flattened per sample (an image of shape
    /// `[c, h, w]` becomes a vector of length `c·h·w`), labels as class indices, regression targets as rows.
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] if the native data set rejects the values (it re-validates them).
    pub fn to_native(&self) -> Result<landscape_simulate::network::Dataset, EmpiricalError> {
        use landscape_simulate::network::Targets as NativeTargets;
        let n = self.n_samples();
        let dim = self.sample_len();
        let x: Vec<f64> = self.inputs.iter().map(|&v| f64::from(v)).collect();
        let targets = match &self.targets {
            Targets::Classes { labels, .. } => NativeTargets::Classes(
                labels
                    .iter()
                    .map(|&l| {
                        usize::try_from(l)
                            .map_err(|_| EmpiricalError::invalid("label", l, "a label ≥ 0"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Targets::Values { values, dim } => {
                NativeTargets::Real(values.iter().map(|&v| f64::from(v)).collect(), *dim)
            }
        };
        landscape_simulate::network::Dataset::new(x, n, dim, targets).map_err(|e| match e {
            landscape_simulate::SimulateError::InvalidArgument { name, value, valid } => {
                EmpiricalError::InvalidArgument { name, value, valid }
            }
            other => EmpiricalError::Numerical(other.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Dataset {
        Dataset::new(
            "tiny",
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            vec![2],
            Targets::Classes {
                labels: vec![0, 1, 2],
                n_classes: 3,
            },
        )
        .unwrap()
    }

    #[test]
    fn nan_input_is_rejected_with_its_index() {
        let err = Dataset::new(
            "nan",
            vec![1.0, f32::NAN],
            vec![2],
            Targets::Classes {
                labels: vec![0],
                n_classes: 1,
            },
        )
        .unwrap_err();
        assert_eq!(
            err,
            EmpiricalError::NonFinite {
                what: "data inputs",
                index: 1
            }
        );
    }

    #[test]
    fn inputs_not_filling_the_samples_are_a_shape_error() {
        let err = Dataset::new(
            "short",
            vec![1.0; 5],
            vec![2],
            Targets::Classes {
                labels: vec![0, 0, 0],
                n_classes: 1,
            },
        )
        .unwrap_err();
        assert!(matches!(err, EmpiricalError::Shape(_)), "{err}");
    }

    #[test]
    fn labels_must_fit_the_model_outputs() {
        let data = tiny();
        assert!(data.check_outputs(3).is_ok());
        let err = data.check_outputs(2).unwrap_err();
        assert_eq!(
            err,
            EmpiricalError::LabelOutOfRange {
                index: 2,
                label: 2,
                n_classes: 2
            }
        );
        assert_eq!(
            err.to_string(),
            "label 2 of sample 2 is out of range: expected 0 ≤ label < 2"
        );
    }

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
    }

    #[test]
    fn subset_takes_samples_in_the_given_order_with_repeats() {
        let sub = tiny().subset(&[2, 0, 2]).unwrap();
        assert_eq!(sub.inputs(), &[5.0, 6.0, 1.0, 2.0, 5.0, 6.0]);
        assert_eq!(
            sub.targets(),
            &Targets::Classes {
                labels: vec![2, 0, 2],
                n_classes: 3
            }
        );
        assert!(tiny().subset(&[3]).is_err());
        assert!(tiny().subset(&[]).is_err());
    }

    #[test]
    fn standardized_coordinates_have_mean_zero_and_unit_variance() {
        let mut data = Dataset::new(
            "s",
            vec![1.0, 7.0, 2.0, 7.0, 6.0, 7.0],
            vec![2],
            Targets::Values {
                values: vec![0.0; 3],
                dim: 1,
            },
        )
        .unwrap();
        let transform = data.standardize();
        let first: Vec<f64> = (0..3).map(|i| f64::from(data.sample(i)[0])).collect();
        let mean = first.iter().sum::<f64>() / 3.0;
        let var = first.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3.0;
        // f32 storage: the standardized values carry a relative rounding error of 2^-24 each.
        let tol = 1e-6;
        assert!(mean.abs() < tol, "mean {mean}");
        assert!((var - 1.0).abs() < tol, "variance {var}");
        // The constant coordinate is centred, not divided by zero.
        assert!((0..3).all(|i| data.sample(i)[1] == 0.0));
        assert_eq!(transform.std[1].to_bits(), 1.0f64.to_bits());
    }
}
