//! `--model` and `--data` as library types: the specs `landscape empirical`, conjecture files and every other
//! front end parse the same way, with the same messages.
//!
//! * [`ModelSpec`]: `mlp:widths=64,64[,activation=tanh]`, `cnn[:channels=8,16]`, `resnet[:depth=8][,width=16]`
//!   or `PATH.pt`;
//! * [`DataSpec`]: `digits[:whiten=true,normalize=true]`, `gaussian-mixture:classes=C,dim=D,n=N[,separation=S]`
//!   or `PATH.npz`.
//!
//! Parse errors are [`SpecError`]s: one line without the flag's name, which the front end adds (`--data: …` in
//! the CLI, `file:line:column: data: …` in a conjecture file).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use landscape_simulate::network::{Activation, Mlp, MlpConfig, Parameterization};
use landscape_simulate::rng::{stream, task_rng};

use crate::EmpiricalError;
use crate::data::{Dataset, Targets};

/// A spec that could not be parsed: one line, without the flag's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(pub String);

/// The default class separation of `gaussian-mixture` (see `landscape_simulate::network::data`).
pub const DEFAULT_SEPARATION: f64 = 2.0;

/// The largest width, channel count or data dimension a spec accepts.
const MAX_WIDTH: usize = 100_000;

/// Splits `name:key=v,key=v1,v2` into the name and `(key, value)` pairs; a bare token continues the previous
/// key's comma-separated list (`widths=64,64`).
fn split(text: &str) -> Result<(String, Vec<(String, String)>), SpecError> {
    let (name, rest) = text.split_once(':').unwrap_or((text, ""));
    let mut pairs: Vec<(String, String)> = Vec::new();
    for token in rest.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if let Some((key, value)) = token.split_once('=') {
            pairs.push((key.trim().to_string(), value.trim().to_string()));
        } else if let Some(last) = pairs.last_mut() {
            last.1.push(',');
            last.1.push_str(token);
        } else {
            return Err(SpecError(format!("`{token}` in `{text}` is not key=value")));
        }
    }
    Ok((name.trim().to_string(), pairs))
}

fn count(key: &str, value: &str) -> Result<usize, SpecError> {
    value
        .parse::<usize>()
        .map_err(|_| SpecError(format!("{key}={value} is not a non-negative integer")))
}

fn widths(key: &str, value: &str) -> Result<Vec<usize>, SpecError> {
    value
        .split(',')
        .map(|w| match count(key, w.trim())? {
            0 => Err(SpecError(format!("{key} must be ≥ 1"))),
            w if w > MAX_WIDTH => Err(SpecError(format!("{key} {w} is above {MAX_WIDTH}"))),
            w => Ok(w),
        })
        .collect()
}

fn flag(name: &str, key: &str, value: &str) -> Result<bool, SpecError> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(SpecError(format!(
            "{name} {key}={value}: expected true or false"
        ))),
    }
}

/// A model, as `--model` names it.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelSpec {
    /// Hidden widths and activation; input and output widths come from the data.
    Mlp {
        /// The hidden layers' widths.
        hidden: Vec<usize>,
        /// The activation of every hidden layer.
        activation: Activation,
    },
    /// Output channels of the conv blocks.
    Cnn {
        /// One entry per block.
        channels: Vec<usize>,
    },
    /// Residual blocks and their width.
    ResNet {
        /// The number of residual blocks.
        depth: usize,
        /// Their channel count.
        width: usize,
    },
    /// A TorchScript file.
    Script(PathBuf),
}

impl ModelSpec {
    /// Whether the native backend can run it.
    pub fn is_mlp(&self) -> bool {
        matches!(self, ModelSpec::Mlp { .. })
    }

    /// The native MLP for `data` (inputs from its sample length, outputs from [`n_outputs`]), with PyTorch's
    /// default parameterisation and biases, as the torch backend builds the same model.
    ///
    /// # Errors
    /// A model that is not an MLP, or widths the network rejects.
    pub fn native_mlp(&self, data: &Dataset) -> Result<Mlp, EmpiricalError> {
        let ModelSpec::Mlp { hidden, activation } = self else {
            return Err(EmpiricalError::InvalidArgument {
                name: "model",
                value: format!("{self:?}"),
                valid: "an mlp model for the native backend".into(),
            });
        };
        let mut widths = vec![data.sample_len()];
        widths.extend_from_slice(hidden);
        widths.push(n_outputs(data));
        Mlp::new(MlpConfig {
            widths,
            activation: *activation,
            parameterization: Parameterization::TorchDefault,
            bias: true,
        })
        .map_err(crate::model::from_simulate)
    }
}

impl FromStr for ModelSpec {
    type Err = SpecError;

    fn from_str(spec: &str) -> Result<Self, SpecError> {
        let spec = spec.trim();
        // A model file: PyTorch's usual suffixes, or any existing file (its kind is checked when it is loaded,
        // `crate::model_file`).
        let lower = spec.to_ascii_lowercase();
        if [".pt", ".pth", ".pt2", ".ts"]
            .iter()
            .any(|s| lower.ends_with(s))
            || Path::new(spec).is_file()
        {
            return Ok(ModelSpec::Script(PathBuf::from(spec)));
        }
        let (name, pairs) = split(spec)?;
        let unknown =
            |key: &str, keys: &str| SpecError(format!("unknown key `{key}` for {name} ({keys})"));
        match name.as_str() {
            "mlp" => {
                let mut hidden = Vec::new();
                let mut activation = Activation::Tanh;
                for (key, value) in &pairs {
                    match key.as_str() {
                        "widths" => hidden = widths("widths", value)?,
                        "activation" => {
                            activation =
                                value
                                    .parse()
                                    .map_err(|e: landscape_simulate::SimulateError| {
                                        SpecError(e.to_string())
                                    })?;
                        }
                        _ => return Err(unknown(key, "widths, activation")),
                    }
                }
                Ok(ModelSpec::Mlp { hidden, activation })
            }
            "cnn" => {
                let mut channels = vec![8, 16];
                for (key, value) in &pairs {
                    match key.as_str() {
                        "channels" => channels = widths("channels", value)?,
                        _ => return Err(unknown(key, "channels")),
                    }
                }
                Ok(ModelSpec::Cnn { channels })
            }
            "resnet" => {
                let (mut depth, mut width) = (8, 16);
                for (key, value) in &pairs {
                    match key.as_str() {
                        "depth" => depth = count(key, value)?,
                        "width" => width = widths("width", value)?[0],
                        _ => return Err(unknown(key, "depth, width")),
                    }
                }
                if depth > 1000 {
                    return Err(SpecError(format!("depth {depth} is above 1000")));
                }
                Ok(ModelSpec::ResNet { depth, width })
            }
            _ => Err(SpecError(format!(
                "unknown model `{name}`; expected mlp:widths=64,64, cnn[:channels=8,16], resnet:depth=8[,width=16] or PATH.pt (a TorchScript file)"
            ))),
        }
    }
}

/// Which output of a module that returns several (`--output`): a tuple element or a dict key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OutputSelect {
    /// A tensor as is; the first tensor of a tuple or list; a dict's `logits`, or its only tensor.
    #[default]
    Auto,
    /// Element `i` of a tuple or list.
    Index(usize),
    /// The value under this key of a dict.
    Key(String),
}

impl FromStr for OutputSelect {
    type Err = SpecError;

    /// `auto`, an index (`0`, `1`, …) or a key (`logits`).
    fn from_str(text: &str) -> Result<Self, SpecError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SpecError(
                "--output: expected auto, an index (0, 1, …) or a dict key".into(),
            ));
        }
        Ok(match text {
            "auto" => OutputSelect::Auto,
            _ => match text.parse::<usize>() {
                Ok(i) => OutputSelect::Index(i),
                Err(_) => OutputSelect::Key(text.to_string()),
            },
        })
    }
}

impl std::fmt::Display for OutputSelect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputSelect::Auto => f.write_str("auto"),
            OutputSelect::Index(i) => write!(f, "{i}"),
            OutputSelect::Key(k) => f.write_str(k),
        }
    }
}

/// The floating-point type of a libtorch model's parameters, inputs and products (`--dtype`). The estimators
/// (Lanczos, SLQ, Hutch++) work in `f64` either way: only the products are computed in this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// `float32`: PyTorch's default dtype and its fast CPU convolutions; each product carries a relative error of
    /// order 1e-7…1e-6, so eigenpairs cannot be resolved much below that.
    F32,
    /// `float64`: products accurate to ~1e-15 relative, what the native backend computes.
    #[default]
    F64,
}

impl Precision {
    /// The machine epsilon of the type.
    pub fn epsilon(self) -> f64 {
        match self {
            Precision::F32 => f64::from(f32::EPSILON),
            Precision::F64 => f64::EPSILON,
        }
    }

    /// The name PyTorch gives the dtype (`float32`, `float64`).
    pub fn torch_name(self) -> &'static str {
        match self {
            Precision::F32 => "float32",
            Precision::F64 => "float64",
        }
    }
}

impl FromStr for Precision {
    type Err = SpecError;

    /// `f32`/`float32` or `f64`/`float64`.
    fn from_str(text: &str) -> Result<Self, SpecError> {
        match text.trim() {
            "f32" | "float32" => Ok(Precision::F32),
            "f64" | "float64" => Ok(Precision::F64),
            other => Err(SpecError(format!(
                "--dtype {other}: expected f64 (the default) or f32"
            ))),
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        })
    }
}

/// A data set, as `--data` names it.
#[derive(Debug, Clone, PartialEq)]
pub enum DataSpec {
    /// The UCI digits (vendored), 1×8×8 images, pixels standardised per feature, or PCA-whitened on their
    /// 61-dimensional nonzero-variance subspace (the isotropic inputs the CK/NTK laws assume), optionally with
    /// every sample rescaled to ‖x‖² = dim.
    Digits {
        /// PCA-whiten instead of standardising.
        whiten: bool,
        /// Rescale every sample to ‖x‖² = dim.
        normalize: bool,
    },
    /// Gaussian class clusters ([`crate::data::mixture::GaussianMixture`]: means of norm `separation` in units of
    /// the noise norm, noise `N(0, I/dim)`) drawn from the data stream of the seed.
    GaussianMixture {
        /// Classes.
        classes: usize,
        /// Input dimension.
        dim: usize,
        /// Samples.
        n: usize,
        /// The norm of every class mean, in units of the noise norm.
        separation: f64,
    },
    /// A `.npz` file with `x` and `y`.
    Npz(PathBuf),
}

impl FromStr for DataSpec {
    type Err = SpecError;

    fn from_str(text: &str) -> Result<Self, SpecError> {
        let (name, pairs) = split(text.trim())?;
        match name.as_str() {
            "gaussian-mixture" | "gaussian_mixture" => {
                let (mut classes, mut dim, mut n, mut separation) =
                    (None, None, None, DEFAULT_SEPARATION);
                for (key, value) in &pairs {
                    match key.as_str() {
                        "classes" => classes = Some(count(key, value)?),
                        "dim" => dim = Some(count(key, value)?),
                        "n" => n = Some(count(key, value)?),
                        "separation" => {
                            separation = value
                                .parse::<f64>()
                                .ok()
                                .filter(|s| s.is_finite())
                                .ok_or_else(|| {
                                    SpecError(format!("separation={value} is not a number"))
                                })?;
                        }
                        _ => {
                            return Err(SpecError(format!(
                                "unknown key `{key}` for gaussian-mixture (classes, dim, n, separation)"
                            )));
                        }
                    }
                }
                let missing = |k: &str| {
                    SpecError(format!(
                        "gaussian-mixture needs {k}= (e.g. gaussian-mixture:classes=10,dim=32,n=2000)"
                    ))
                };
                let (classes, dim, n) = (
                    classes.ok_or_else(|| missing("classes"))?,
                    dim.ok_or_else(|| missing("dim"))?,
                    n.ok_or_else(|| missing("n"))?,
                );
                if dim == 0 || n == 0 || n > 1_000_000 || dim > MAX_WIDTH {
                    return Err(SpecError(format!(
                        "dim={dim}, n={n}: expected 1 ≤ dim ≤ {MAX_WIDTH} and 1 ≤ n ≤ 1000000"
                    )));
                }
                Ok(DataSpec::GaussianMixture {
                    classes,
                    dim,
                    n,
                    separation,
                })
            }
            "digits" => {
                let (mut whiten, mut normalize) = (false, false);
                for (key, value) in &pairs {
                    match key.as_str() {
                        "whiten" => whiten = flag("digits", key, value)?,
                        "normalize" => normalize = flag("digits", key, value)?,
                        _ => {
                            return Err(SpecError(format!(
                                "unknown key `{key}` for digits (whiten, normalize)"
                            )));
                        }
                    }
                }
                Ok(DataSpec::Digits { whiten, normalize })
            }
            other if other.ends_with(".npz") => Ok(DataSpec::Npz(PathBuf::from(other))),
            other => Err(SpecError(format!(
                "unknown data set `{other}`; expected digits[:whiten=true,normalize=true], PATH.npz or gaussian-mixture:classes=C,dim=D,n=N"
            ))),
        }
    }
}

impl DataSpec {
    /// Loads the data as `f32` samples (as PyTorch would hold them; both backends see these exact values). A
    /// Gaussian mixture is drawn from stream `CLI_DATA` of `seed`; the other sets do not depend on it.
    ///
    /// # Errors
    /// Files that cannot be read or are malformed, non-finite data.
    pub fn load(&self, seed: u64) -> Result<Dataset, EmpiricalError> {
        Ok(match self {
            DataSpec::GaussianMixture {
                classes,
                dim,
                n,
                separation,
            } => crate::data::mixture::GaussianMixture {
                n_samples: *n,
                dim: *dim,
                n_classes: *classes,
                separation: *separation,
                seed,
            }
            .sample_from(&mut task_rng(seed, stream::CLI_DATA))?
            .with_name(format!(
                "gaussian-mixture(classes={classes}, dim={dim}, n={n})"
            )),
            DataSpec::Digits { whiten, normalize } => {
                let mut digits = crate::data::digits::digits()?;
                if *whiten {
                    digits = crate::data::whiten::pca_whiten(&digits)?.0;
                } else {
                    digits.standardize();
                }
                if *normalize {
                    digits = normalize_samples(&digits)?;
                }
                digits
            }
            DataSpec::Npz(path) => crate::data::npz::read_npz(path)?,
        })
    }
}

/// Every sample rescaled to `‖x‖² = dim` (the norm the NTK law assumes for isotropic inputs); a sample of norm
/// zero stays zero.
///
/// # Errors
/// None in practice (the shapes are those of `data`); kept for [`Dataset::new`]'s checks.
pub fn normalize_samples(data: &Dataset) -> Result<Dataset, EmpiricalError> {
    let dim = data.sample_len();
    let mut inputs = data.inputs().to_vec();
    for sample in inputs.chunks_exact_mut(dim) {
        let norm2: f64 = sample.iter().map(|&v| v * v).sum();
        if norm2 > 0.0 {
            let scale = (dim as f64 / norm2).sqrt();
            sample.iter_mut().for_each(|v| *v *= scale);
        }
    }
    Ok(data
        .clone()
        .with_inputs(inputs)?
        .with_name(format!("{} (normalized)", data.name())))
}

/// The number of outputs the data need: the classes, or the target length.
pub fn n_outputs(data: &Dataset) -> usize {
    data.targets().n_outputs()
}

/// Class labels as one-hot target vectors (for the MSE loss); real targets are returned unchanged.
///
/// # Errors
/// None in practice (the shapes are those of `data`); kept for [`Dataset::new`]'s checks.
pub fn one_hot(data: Dataset) -> Result<Dataset, EmpiricalError> {
    let Targets::Classes { labels, n_classes } = data.targets() else {
        return Ok(data);
    };
    let k = *n_classes;
    let mut y = vec![0.0; labels.len() * k];
    for (i, &c) in labels.iter().enumerate() {
        // Labels were validated against n_classes when the data set was built.
        y[i * k + c] = 1.0;
    }
    Ok(data.with_targets(Targets::Values { values: y, dim: k })?)
}

/// For a classification loss: one column of integral float targets (labels saved as floats) read as class labels,
/// with a note in the data set's name; anything else is returned unchanged (and the loss reports what it needs).
///
/// # Errors
/// None in practice; kept for [`Dataset::new`]'s checks.
pub fn float_labels_as_classes(data: Dataset) -> Result<Dataset, EmpiricalError> {
    let Targets::Values { values, dim: 1 } = data.targets() else {
        return Ok(data);
    };
    let integral = values
        .iter()
        .all(|v| v.fract() == 0.0 && (0.0..=1e6).contains(v));
    if !integral {
        return Ok(data);
    }
    let labels: Vec<i64> = values.iter().map(|&v| v as i64).collect();
    let targets = crate::data::classes_from_labels(labels)?;
    let name = format!("{} (float labels read as classes)", data.name());
    Ok(data.with_targets(targets)?.with_name(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_with_defaults_and_lists() {
        assert_eq!(
            "mlp:widths=64,32,activation=relu".parse::<ModelSpec>(),
            Ok(ModelSpec::Mlp {
                hidden: vec![64, 32],
                activation: Activation::Relu
            })
        );
        assert_eq!(
            "cnn".parse::<ModelSpec>(),
            Ok(ModelSpec::Cnn {
                channels: vec![8, 16]
            })
        );
        assert_eq!(
            "digits:whiten=true".parse::<DataSpec>(),
            Ok(DataSpec::Digits {
                whiten: true,
                normalize: false
            })
        );
        assert!(matches!(
            "gaussian-mixture:classes=3,dim=4,n=10".parse::<DataSpec>(),
            Ok(DataSpec::GaussianMixture { separation, .. }) if separation == DEFAULT_SEPARATION
        ));
    }

    #[test]
    fn bad_specs_name_what_is_wrong() {
        let err = |s: &str| s.parse::<ModelSpec>().unwrap_err().0;
        assert!(err("mlp:widths=0").contains("widths must be ≥ 1"));
        assert!(err("mlp:depth=3").contains("unknown key `depth`"));
        assert!(err("mlp:widths=8,activation=sigmoidal").contains("activation"));
        assert!(err("vgg").contains("unknown model `vgg`"));
        let err = |s: &str| s.parse::<DataSpec>().unwrap_err().0;
        assert!(err("imagenet").contains("unknown data set `imagenet`"));
        assert!(err("gaussian-mixture:classes=4,dim=6").contains("n="));
        assert!(err("digits:whiten=yes").contains("expected true or false"));
        assert!(err("digits:x").contains("not key=value"));
    }

    #[test]
    fn integral_float_labels_become_classes_and_real_targets_stay() {
        let data = |values: Vec<f64>| {
            Dataset::new(
                "t",
                vec![0.0; 3],
                vec![1],
                Targets::Values { values, dim: 1 },
            )
            .unwrap()
        };
        let classes = float_labels_as_classes(data(vec![2.0, 0.0, 1.0])).unwrap();
        assert_eq!(classes.n_classes(), Some(3));
        assert!(classes.name().contains("float labels read as classes"));
        let real = float_labels_as_classes(data(vec![0.5, 0.0, 1.0])).unwrap();
        assert_eq!(real.n_classes(), None);
    }

    #[test]
    fn one_hot_puts_each_label_in_its_column() {
        let data = Dataset::new(
            "t",
            vec![0.0; 6],
            vec![2],
            Targets::Classes {
                labels: vec![2, 0, 1],
                n_classes: 3,
            },
        )
        .unwrap();
        let Targets::Values { values, dim } = one_hot(data).unwrap().targets().clone() else {
            panic!("one_hot returns values")
        };
        assert_eq!(dim, 3);
        assert_eq!(values, vec![0., 0., 1., 1., 0., 0., 0., 1., 0.]);
    }
}
