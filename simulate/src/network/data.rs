//! The one data-set type of the project, and seeded synthetic data: isotropic Gaussian inputs, teacher–student
//! regression and Gaussian mixtures.
//!
//! A [`Dataset`] is `n` samples of one fixed shape (`[dim]` for vectors, `[c, h, w]` for images), stored flat and
//! row-major in `f64` (`x[α·len + i]`, the layout of a `torch.Tensor` of shape `[n, …shape]`), with class labels or
//! real targets. The native networks read a sample as a vector of length `∏ shape`; the torch backend keeps the
//! shape. File loaders (the empirical crate) store `f32` pixels exactly, so both backends see the same numbers.

use rand::RngExt;
use rand_distr::StandardNormal;

use super::mlp::Mlp;
use crate::SimulateError;
use crate::rng::Rng;

/// What each sample is labelled with.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// One class per sample, each in `0..n_classes`, for cross-entropy (or one-hot regression).
    Classes {
        /// The labels, one per sample.
        labels: Vec<usize>,
        /// The number of classes (at least one more than the largest label).
        n_classes: usize,
    },
    /// A real vector of length `dim` per sample, flat row-major (`y[α·dim + j]`), for the mean squared error.
    Values {
        /// The targets, `n × dim`.
        values: Vec<f64>,
        /// Length of each target vector.
        dim: usize,
    },
}

impl Targets {
    /// Class labels with `n_classes` = the largest label + 1 (1 for no labels).
    pub fn classes(labels: Vec<usize>) -> Self {
        let n_classes = labels.iter().max().map_or(1, |&m| m + 1);
        Targets::Classes { labels, n_classes }
    }

    /// The number of samples the targets describe.
    pub fn n_samples(&self) -> usize {
        match self {
            Targets::Classes { labels, .. } => labels.len(),
            Targets::Values { values, dim } => values.len().checked_div(*dim).unwrap_or(0),
        }
    }

    /// The model outputs the targets need: the number of classes, or the target length.
    pub fn n_outputs(&self) -> usize {
        match self {
            Targets::Classes { n_classes, .. } => *n_classes,
            Targets::Values { dim, .. } => *dim,
        }
    }
}

/// How inputs are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputScale {
    /// Entries `N(0, 1/d0)`, so `‖x‖ ≈ 1`: Fan & Wang's normalisation (`docs/theory.md` §A1.1).
    #[default]
    UnitNorm,
    /// Entries `N(0, 1)`, so `‖x‖² ≈ d0`: the standard-parameterisation input of §A1.11. With
    /// [`super::Parameterization::Ntk`] this input reproduces the FW network exactly.
    UnitVariance,
}

impl InputScale {
    /// The standard deviation of one entry for input dimension `dim`.
    pub fn entry_std(self, dim: usize) -> f64 {
        match self {
            InputScale::UnitNorm => 1.0 / (dim as f64).sqrt(),
            InputScale::UnitVariance => 1.0,
        }
    }
}

/// `n` samples of shape `sample_shape` with their targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    name: String,
    inputs: Vec<f64>,
    sample_shape: Vec<usize>,
    targets: Targets,
}

impl Dataset {
    /// Builds a data set from flat row-major inputs and validates it; `n` is the number of targets.
    ///
    /// # Errors
    /// [`SimulateError::Shape`] when `inputs.len()` is not `n · ∏ sample_shape`, a dimension is zero, there are no
    /// samples or the targets are ragged; [`SimulateError::NonFinite`] for NaN/±∞ in inputs or targets;
    /// [`SimulateError::LabelOutOfRange`] for a label outside `0..n_classes`.
    pub fn new(
        name: impl Into<String>,
        inputs: Vec<f64>,
        sample_shape: Vec<usize>,
        targets: Targets,
    ) -> Result<Self, SimulateError> {
        let data = Self {
            name: name.into(),
            inputs,
            sample_shape,
            targets,
        };
        data.validate()?;
        Ok(data)
    }

    /// Vectors: `n` rows of length `dim` (`x.len() = n·dim`), named by their size.
    ///
    /// # Errors
    /// As [`Self::new`], and [`SimulateError::Shape`] when the targets do not describe `n` samples.
    pub fn from_rows(
        x: Vec<f64>,
        n: usize,
        dim: usize,
        targets: Targets,
    ) -> Result<Self, SimulateError> {
        if targets.n_samples() != n {
            return Err(SimulateError::Shape(format!(
                "{} targets for {n} samples",
                targets.n_samples()
            )));
        }
        Self::new(format!("{n}×{dim} rows"), x, vec![dim], targets)
    }

    fn validate(&self) -> Result<(), SimulateError> {
        if self.sample_shape.is_empty() || self.sample_shape.contains(&0) {
            return Err(SimulateError::Shape(format!(
                "{}: sample shape {:?} must be non-empty with positive dimensions",
                self.name, self.sample_shape
            )));
        }
        if let Targets::Values { values, dim } = &self.targets
            && (*dim == 0 || values.len() % dim != 0)
        {
            return Err(SimulateError::Shape(format!(
                "{}: {} target values are not a whole number of vectors of length {dim}",
                self.name,
                values.len()
            )));
        }
        let n = self.n_samples();
        if n == 0 {
            return Err(SimulateError::Shape(format!("{}: no samples", self.name)));
        }
        if n.checked_mul(self.sample_len()) != Some(self.inputs.len()) {
            return Err(SimulateError::Shape(format!(
                "{}: {} input values do not fill {n} samples of shape {:?}",
                self.name,
                self.inputs.len(),
                self.sample_shape
            )));
        }
        if let Some(index) = self.inputs.iter().position(|v| !v.is_finite()) {
            return Err(SimulateError::NonFinite {
                what: "data inputs",
                index,
            });
        }
        match &self.targets {
            Targets::Classes { labels, n_classes } => check_labels(labels, *n_classes),
            Targets::Values { values, .. } => match values.iter().position(|v| !v.is_finite()) {
                Some(index) => Err(SimulateError::NonFinite {
                    what: "data targets",
                    index,
                }),
                None => Ok(()),
            },
        }
    }

    /// The data set's name (file or generator), for reports.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number of samples.
    pub fn n_samples(&self) -> usize {
        self.targets.n_samples()
    }

    /// The shape of one sample, without the batch dimension (`[64]`, `[1, 28, 28]`, `[3, 32, 32]`).
    pub fn sample_shape(&self) -> &[usize] {
        &self.sample_shape
    }

    /// The number of values in one sample: the input dimension a native network sees.
    pub fn sample_len(&self) -> usize {
        self.sample_shape.iter().product()
    }

    /// All inputs, flat row-major, `n_samples · sample_len` values.
    pub fn inputs(&self) -> &[f64] {
        &self.inputs
    }

    /// The inputs of sample `idx`.
    ///
    /// # Panics
    /// If `idx >= n_samples()`.
    #[track_caller]
    pub fn sample(&self, idx: usize) -> &[f64] {
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
    /// [`SimulateError::LabelOutOfRange`] or [`SimulateError::Shape`].
    pub fn check_outputs(&self, n_outputs: usize) -> Result<(), SimulateError> {
        match &self.targets {
            Targets::Classes { labels, .. } => check_labels(labels, n_outputs),
            Targets::Values { dim, .. } if *dim == n_outputs => Ok(()),
            Targets::Values { dim, .. } => Err(SimulateError::Shape(format!(
                "{}: targets have length {dim} but the model has {n_outputs} outputs",
                self.name
            ))),
        }
    }

    /// The samples at `indices`, in that order (repeats allowed): the explicit fixed subset an operator or a
    /// minibatch is built over.
    ///
    /// # Errors
    /// [`SimulateError::InvalidArgument`] for an index `≥ n_samples()` or an empty list.
    pub fn subset(&self, indices: &[usize]) -> Result<Self, SimulateError> {
        let n = self.n_samples();
        if indices.is_empty() {
            return Err(SimulateError::invalid(
                "subset",
                "[]",
                "at least one sample index",
            ));
        }
        if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
            return Err(SimulateError::invalid(
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
    /// [`SimulateError::InvalidArgument`] when `n` is zero or exceeds the data set.
    pub fn head(&self, n: usize) -> Result<Self, SimulateError> {
        if n == 0 || n > self.n_samples() {
            return Err(SimulateError::invalid(
                "samples",
                n,
                format!("1..={}", self.n_samples()),
            ));
        }
        self.subset(&(0..n).collect::<Vec<_>>())
    }

    /// Standardizes each input coordinate to mean 0 and standard deviation 1 over the data set (population
    /// variance, divisor `n`); a constant coordinate is only centred. Returns the means and the standard
    /// deviations used (1 for constant coordinates), so other data can be transformed alike.
    pub fn standardize(&mut self) -> Standardization {
        let len = self.sample_len();
        let n = self.n_samples() as f64;
        let mut mean = vec![0.0f64; len];
        for sample in self.inputs.chunks_exact(len) {
            for (m, &v) in mean.iter_mut().zip(sample) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0f64; len];
        for sample in self.inputs.chunks_exact(len) {
            for ((s, &m), &v) in var.iter_mut().zip(&mean).zip(sample) {
                let d = v - m;
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

    /// The same samples with other targets (one-hot codes, labels read as classes).
    ///
    /// # Errors
    /// As [`Self::new`].
    pub fn with_targets(self, targets: Targets) -> Result<Self, SimulateError> {
        Self::new(self.name, self.inputs, self.sample_shape, targets)
    }

    /// The same samples with other inputs of the same shape (whitened, normalised).
    ///
    /// # Errors
    /// As [`Self::new`].
    pub fn with_inputs(self, inputs: Vec<f64>) -> Result<Self, SimulateError> {
        Self::new(self.name, inputs, self.sample_shape, self.targets)
    }

    /// The same samples seen as vectors of length `sample_len()` (what a native network reads).
    pub fn flattened(mut self) -> Self {
        self.sample_shape = vec![self.sample_len()];
        self
    }

    /// Renames the data set (for reports).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
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
    pub fn apply(&self, inputs: &mut [f64]) {
        let len = self.mean.len();
        for sample in inputs.chunks_exact_mut(len) {
            for ((v, &m), &s) in sample.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
    }
}

fn check_labels(labels: &[usize], n_classes: usize) -> Result<(), SimulateError> {
    match labels.iter().position(|&l| l >= n_classes) {
        Some(index) => Err(SimulateError::LabelOutOfRange {
            index,
            label: i64::try_from(labels[index]).unwrap_or(i64::MAX),
            n_classes,
        }),
        None => Ok(()),
    }
}

/// `n × dim` iid Gaussian inputs with the given scale, row-major.
pub fn gaussian_inputs(n: usize, dim: usize, scale: InputScale, rng: &mut Rng) -> Vec<f64> {
    let std = scale.entry_std(dim);
    (0..n * dim)
        .map(|_| std * rng.sample::<f64, _>(StandardNormal))
        .collect()
}

/// Isotropic Gaussian inputs with `N(0, 1)` real targets, `k` per sample (pure-noise regression).
pub fn isotropic_regression(
    n: usize,
    dim: usize,
    k: usize,
    scale: InputScale,
    rng: &mut Rng,
) -> Result<Dataset, SimulateError> {
    let x = gaussian_inputs(n, dim, scale, rng);
    let y = (0..n * k)
        .map(|_| rng.sample::<f64, _>(StandardNormal))
        .collect();
    Dataset::from_rows(x, n, dim, Targets::Values { values: y, dim: k })
        .map(|d| d.with_name(format!("isotropic-regression(n={n}, dim={dim}, k={k})")))
}

/// Isotropic Gaussian inputs with labels drawn uniformly from `0..n_classes` (pure-noise classification).
pub fn isotropic_classification(
    n: usize,
    dim: usize,
    n_classes: usize,
    scale: InputScale,
    rng: &mut Rng,
) -> Result<Dataset, SimulateError> {
    if n_classes < 2 {
        return Err(SimulateError::invalid("classes", n_classes, "at least 2"));
    }
    let x = gaussian_inputs(n, dim, scale, rng);
    let labels = (0..n).map(|_| rng.random_range(0..n_classes)).collect();
    Dataset::from_rows(x, n, dim, Targets::Classes { labels, n_classes }).map(|d| {
        d.with_name(format!(
            "isotropic-classification(n={n}, dim={dim}, classes={n_classes})"
        ))
    })
}

/// Teacher–student regression: Gaussian inputs, targets `y = teacher(x) + noise_std·ξ` with ξ ~ N(0, 1).
///
/// The teacher is any [`Mlp`] with its parameters; its input width must equal `dim`.
pub fn teacher_student(
    teacher: &Mlp,
    teacher_params: &[f64],
    n: usize,
    noise_std: f64,
    scale: InputScale,
    rng: &mut Rng,
) -> Result<Dataset, SimulateError> {
    if !(noise_std >= 0.0 && noise_std.is_finite()) {
        return Err(SimulateError::invalid(
            "noise",
            noise_std,
            "a finite value ≥ 0",
        ));
    }
    let dim = teacher.n_inputs();
    let x = gaussian_inputs(n, dim, scale, rng);
    let mut y = teacher.forward(teacher_params, &x, n)?;
    for v in &mut y {
        *v += noise_std * rng.sample::<f64, _>(StandardNormal);
    }
    let k = teacher.n_outputs();
    Dataset::from_rows(x, n, dim, Targets::Values { values: y, dim: k }).map(|d| {
        d.with_name(format!(
            "teacher-student(n={n}, dim={dim}, k={k}, noise={noise_std})"
        ))
    })
}

/// A balanced `C`-class Gaussian mixture in dimension `dim`.
///
/// Class means are `μ_c = separation · u_c` with `u_c` uniform on the unit sphere; sample α has label `α mod C` and
/// input `μ_{label} + z` with `z ~ N(0, I/dim)` (noise of norm ≈ 1), so `separation` is measured in units of the
/// noise norm.
pub fn gaussian_mixture(
    n_classes: usize,
    dim: usize,
    n: usize,
    separation: f64,
    rng: &mut Rng,
) -> Result<Dataset, SimulateError> {
    if n_classes < 2 {
        return Err(SimulateError::invalid("classes", n_classes, "at least 2"));
    }
    if !(separation >= 0.0 && separation.is_finite()) {
        return Err(SimulateError::invalid(
            "separation",
            separation,
            "a finite value ≥ 0",
        ));
    }
    let mut means = vec![0.0; n_classes * dim];
    for mean in means.chunks_exact_mut(dim) {
        for v in mean.iter_mut() {
            *v = rng.sample(StandardNormal);
        }
        let norm = mean.iter().map(|v| v * v).sum::<f64>().sqrt();
        for v in mean.iter_mut() {
            *v *= separation / norm;
        }
    }
    let noise = InputScale::UnitNorm.entry_std(dim);
    let labels: Vec<usize> = (0..n).map(|a| a % n_classes).collect();
    let mut x = Vec::with_capacity(n * dim);
    for &label in &labels {
        for i in 0..dim {
            x.push(means[label * dim + i] + noise * rng.sample::<f64, _>(StandardNormal));
        }
    }
    Dataset::from_rows(x, n, dim, Targets::Classes { labels, n_classes }).map(|d| {
        d.with_name(format!(
            "gaussian-mixture(n={n}, dim={dim}, classes={n_classes}, separation={separation})"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    #[test]
    fn unit_norm_inputs_have_norm_near_one() {
        let (n, dim, seed) = (200, 400, 3);
        let x = gaussian_inputs(n, dim, InputScale::UnitNorm, &mut seeded(seed));
        // ‖x‖² ~ χ²_dim/dim has sd √(2/dim) = 0.071; the mean over n rows has sd 0.005, so 0.03 is a 6σ bound.
        let mean_sq: f64 = x
            .chunks(dim)
            .map(|r| r.iter().map(|v| v * v).sum::<f64>())
            .sum::<f64>()
            / n as f64;
        assert!(
            (mean_sq - 1.0).abs() < 0.03,
            "seed {seed} n {n}: mean ‖x‖² = {mean_sq}"
        );
    }

    #[test]
    fn same_seed_gives_same_data() {
        let a = gaussian_mixture(3, 5, 12, 2.0, &mut seeded(9)).unwrap();
        let b = gaussian_mixture(3, 5, 12, 2.0, &mut seeded(9)).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.targets(),
            &Targets::Classes {
                labels: (0..12).map(|a| a % 3).collect(),
                n_classes: 3
            }
        );
    }

    #[test]
    fn noiseless_teacher_student_targets_are_teacher_outputs() {
        use crate::network::{Activation, MlpConfig, Parameterization};
        let teacher = Mlp::new(MlpConfig {
            widths: vec![4, 6, 2],
            activation: Activation::Relu,
            parameterization: Parameterization::Ntk { bias_scale: 0.1 },
            bias: true,
        })
        .unwrap();
        let mut rng = seeded(17);
        let params = teacher.init(&mut rng);
        let ds =
            teacher_student(&teacher, &params, 7, 0.0, InputScale::UnitNorm, &mut rng).unwrap();
        let out = teacher.forward(&params, ds.inputs(), 7).unwrap();
        assert_eq!(
            ds.targets(),
            &Targets::Values {
                values: out,
                dim: 2
            }
        );
        assert!(
            teacher_student(&teacher, &params, 7, -1.0, InputScale::UnitNorm, &mut rng).is_err()
        );
    }

    #[test]
    fn shape_mismatches_are_errors() {
        let classes = |labels: Vec<usize>| Targets::classes(labels);
        assert!(Dataset::from_rows(vec![0.0; 5], 2, 3, classes(vec![0, 1])).is_err());
        assert!(Dataset::from_rows(vec![0.0; 6], 2, 3, classes(vec![0])).is_err());
        let values = Targets::Values {
            values: vec![0.0; 3],
            dim: 2,
        };
        assert!(Dataset::from_rows(vec![0.0; 6], 2, 3, values).is_err());
        assert!(Dataset::from_rows(vec![f64::NAN; 6], 2, 3, classes(vec![0, 1])).is_err());
        let out_of_range = Targets::Classes {
            labels: vec![0, 3],
            n_classes: 3,
        };
        assert_eq!(
            Dataset::from_rows(vec![0.0; 6], 2, 3, out_of_range).unwrap_err(),
            SimulateError::LabelOutOfRange {
                index: 1,
                label: 3,
                n_classes: 3
            }
        );
        assert!(gaussian_mixture(1, 3, 4, 1.0, &mut seeded(0)).is_err());
    }

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
            vec![1.0, f64::NAN],
            vec![2],
            Targets::classes(vec![0]),
        )
        .unwrap_err();
        assert_eq!(
            err,
            SimulateError::NonFinite {
                what: "data inputs",
                index: 1
            }
        );
    }

    #[test]
    fn inputs_not_filling_the_samples_are_a_shape_error() {
        let err =
            Dataset::new("short", vec![1.0; 5], vec![2], Targets::classes(vec![0; 3])).unwrap_err();
        assert!(matches!(err, SimulateError::Shape(_)), "{err}");
        let image = Dataset::new(
            "image",
            vec![0.0; 8],
            vec![2, 2],
            Targets::classes(vec![0, 0]),
        );
        assert_eq!(image.unwrap().sample_len(), 4);
    }

    #[test]
    fn labels_must_fit_the_model_outputs() {
        let data = tiny();
        assert!(data.check_outputs(3).is_ok());
        let err = data.check_outputs(2).unwrap_err();
        assert_eq!(
            err,
            SimulateError::LabelOutOfRange {
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
        assert_eq!(tiny().head(2).unwrap().n_samples(), 2);
        assert!(tiny().head(4).is_err());
    }

    #[test]
    fn standardized_coordinates_have_mean_zero_and_unit_variance() {
        let values = Targets::Values {
            values: vec![0.0; 3],
            dim: 1,
        };
        let mut data =
            Dataset::new("s", vec![1.0, 7.0, 2.0, 7.0, 6.0, 7.0], vec![2], values).unwrap();
        let transform = data.standardize();
        let first: Vec<f64> = (0..3).map(|i| data.sample(i)[0]).collect();
        let mean = first.iter().sum::<f64>() / 3.0;
        let var = first.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3.0;
        // Three values of size ~1 in f64: a few ulps of rounding, far inside 1e-12.
        let tol = 1e-12;
        assert!(mean.abs() < tol, "mean {mean}");
        assert!((var - 1.0).abs() < tol, "variance {var}");
        // The constant coordinate is centred, not divided by zero.
        assert!((0..3).all(|i| data.sample(i)[1] == 0.0));
        assert_eq!(transform.std[1].to_bits(), 1.0f64.to_bits());
    }
}
