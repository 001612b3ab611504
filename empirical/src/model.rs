//! The backend-neutral model interface every training loop and experiment of this crate runs on.
//!
//! A [`CurvatureModel`] is a network with a flat `f64` parameter vector, a loss and a data type, known through
//! the loss, its gradient and matrix-free curvature operators ([`CurvatureKind::Hessian`] or the Gauss–Newton
//! matrix [`CurvatureKind::GaussNewton`]) on an explicit, fixed set of samples. Nothing above this trait knows which
//! backend computes them:
//!
//! * [`crate::native::NativeMlp`] wraps the f64 network of `landscape-simulate` (always available);
//! * the libtorch backend (feature `torch`) implements the same trait for its models, converting parameters to
//!   and from `f64` at the boundary.
//!
//! **For backend implementers.** Parameters are flat in `model.parameters()` order. `loss_and_gradient` and
//! `curvature_operator` evaluate at the *current* parameters on exactly the samples of `data` (no implicit
//! subsampling, no augmentation), with the loss reduction the model was built with (mean over samples unless the
//! user asked for the sum). A non-finite loss, output or gradient must be returned as
//! [`EmpiricalError::NonFinite`] (training records it as divergence instead of failing). [`CurvatureModel::mode`]
//! is written into every output; a backend with dropout or batch norm must evaluate in that mode. Results must
//! be deterministic for a given parameter vector (the checkpoint-resume test compares bits).
//!
//! The torch backend should use this [`Mode`] (re-export it from `torch::model` instead of a second enum), map
//! its data set to [`SampleSet`] (`subset` copies the chosen rows; `first(n)` serves `--samples N`), and describe
//! its filters in [`CurvatureModel::param_groups`] (one output channel of a convolution or one row of a linear
//! weight per group; biases and batch-norm parameters with `is_filter = false`).

use std::ops::Range;

use landscape_simulate::SymmetricOperator;

use crate::error::EmpiricalError;

/// Train or eval mode (`module.train()` / `module.eval()`), recorded in every output.
///
/// The native MLP has no dropout or batch norm, so its forward pass is the same in both modes; it reports
/// [`Mode::Eval`], the mode whose curvature is a deterministic function of the parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// `module.train()`: dropout active, batch norm with batch statistics.
    Train,
    /// `module.eval()`: deterministic forward pass.
    #[default]
    Eval,
}

impl Mode {
    /// `"train"` or `"eval"`, as outputs write it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Train => "train",
            Mode::Eval => "eval",
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which curvature matrix an operator applies: the one name for it across the library, the CLI (`--operator`),
/// sweeps and conjecture files (`"hessian"`, `"ggn"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum CurvatureKind {
    /// The loss Hessian `H = ∇²ℒ(θ)`.
    #[serde(rename = "hessian")]
    Hessian,
    /// The generalized Gauss–Newton matrix `G = Σ_α J_αᵀ H_α J_α` (positive semi-definite for convex losses).
    #[serde(rename = "ggn")]
    GaussNewton,
}

impl CurvatureKind {
    /// Both kinds, in the order help texts list them.
    pub const ALL: [CurvatureKind; 2] = [CurvatureKind::Hessian, CurvatureKind::GaussNewton];

    /// `"hessian"` or `"ggn"`, as the CLI writes it.
    pub fn name(self) -> &'static str {
        match self {
            CurvatureKind::Hessian => "hessian",
            CurvatureKind::GaussNewton => "ggn",
        }
    }
}

impl std::fmt::Display for CurvatureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for CurvatureKind {
    type Err = EmpiricalError;

    /// `hessian` or `ggn` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| EmpiricalError::invalid("operator", s, "hessian or ggn"))
    }
}

/// A data set that training can subsample: minibatches, and the first `N` samples for `--samples N`.
pub trait SampleSet: Sized {
    /// The number of samples.
    fn n_samples(&self) -> usize;

    /// The samples at `indices`, in that order.
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] for an empty list or an index out of range.
    fn subset(&self, indices: &[usize]) -> Result<Self, EmpiricalError>;

    /// The first `n` samples (`--samples N`).
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] if `n` is 0 or exceeds [`SampleSet::n_samples`].
    fn first(&self, n: usize) -> Result<Self, EmpiricalError> {
        if n == 0 || n > self.n_samples() {
            return Err(EmpiricalError::invalid(
                "samples",
                n,
                format!("1..={} (the data set's size)", self.n_samples()),
            ));
        }
        self.subset(&(0..n).collect::<Vec<_>>())
    }
}

/// A group of parameters that filter normalization rescales together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamGroup {
    /// Where the group lives in the flat parameter vector.
    pub range: Range<usize>,
    /// `true` for a filter (a row of a weight matrix, an output channel of a convolution), whose random direction
    /// is rescaled to the filter's norm; `false` for biases and normalization parameters, whose direction is set
    /// to zero (Li et al. 2018, §4).
    pub is_filter: bool,
}

/// A network with a flat `f64` parameter vector, a loss, and matrix-free curvature on explicit data.
pub trait CurvatureModel {
    /// The data type the model evaluates on.
    type Data: SampleSet;

    /// `P`, the number of parameters.
    fn n_params(&self) -> usize;

    /// The current parameters (length `P`).
    fn params(&self) -> &[f64];

    /// Replaces the parameters.
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] if `params.len() != P`.
    fn set_params(&mut self, params: &[f64]) -> Result<(), EmpiricalError>;

    /// Train or eval mode, recorded in outputs.
    fn mode(&self) -> Mode;

    /// A short description (`mlp[32, 64, 64, 10] tanh, cross_entropy (mean)`).
    fn describe(&self) -> String;

    /// The number of classes or outputs (the `C` of the top-`C` subspace).
    fn n_outputs(&self) -> usize;

    /// The filter structure of the parameter vector, covering every parameter exactly once.
    fn param_groups(&self) -> Vec<ParamGroup>;

    /// The loss and its gradient at the current parameters on all samples of `data`.
    ///
    /// # Errors
    /// Shape or label errors, and [`EmpiricalError::NonFinite`] for a non-finite loss or gradient.
    fn loss_and_gradient(&self, data: &Self::Data) -> Result<(f64, Vec<f64>), EmpiricalError>;

    /// The loss alone (defaults to [`CurvatureModel::loss_and_gradient`]).
    ///
    /// # Errors
    /// As [`CurvatureModel::loss_and_gradient`].
    fn loss(&self, data: &Self::Data) -> Result<f64, EmpiricalError> {
        Ok(self.loss_and_gradient(data)?.0)
    }

    /// The network's outputs at the current parameters on the samples of `data`, `n × n_outputs` row-major
    /// (logits for a classifier), in the model's mode: what accuracy and prediction need. The default is for
    /// analytic models without a forward pass, which have no outputs.
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] for a model without outputs; shape errors.
    fn outputs(&self, data: &Self::Data) -> Result<Vec<f64>, EmpiricalError> {
        let _ = data;
        Err(EmpiricalError::invalid(
            "model",
            self.describe(),
            "a network with a forward pass (this model has no outputs)",
        ))
    }

    /// The Hessian or Gauss–Newton operator at the current parameters on all samples of `data`.
    ///
    /// # Errors
    /// As [`CurvatureModel::loss_and_gradient`].
    fn curvature_operator<'a>(
        &'a self,
        data: &'a Self::Data,
        kind: CurvatureKind,
    ) -> Result<Box<dyn SymmetricOperator + 'a>, EmpiricalError>;
}

/// Checks that `params` has the model's length `P = n_params`: the error every [`CurvatureModel::set_params`]
/// returns for a wrong-length vector.
///
/// # Errors
/// [`EmpiricalError::InvalidArgument`] naming `params.len()`.
pub(crate) fn check_params_len(n_params: usize, params: &[f64]) -> Result<(), EmpiricalError> {
    if params.len() != n_params {
        return Err(EmpiricalError::invalid(
            "params.len()",
            params.len(),
            format!("P = {n_params}"),
        ));
    }
    Ok(())
}

/// Rejects a non-finite loss or gradient, as [`CurvatureModel::loss_and_gradient`] must (index 0 for the loss,
/// the first bad coordinate for the gradient).
pub(crate) fn finite(loss: f64, gradient: &[f64]) -> Result<(), EmpiricalError> {
    if !loss.is_finite() {
        return Err(EmpiricalError::NonFinite {
            what: "loss",
            index: 0,
        });
    }
    if let Some(index) = gradient.iter().position(|v| !v.is_finite()) {
        return Err(EmpiricalError::NonFinite {
            what: "gradient",
            index,
        });
    }
    Ok(())
}

/// Maps an error of the simulate crate into this crate's error type.
pub fn from_simulate(err: landscape_simulate::SimulateError) -> EmpiricalError {
    use landscape_simulate::SimulateError as S;
    match err {
        S::NonFinite { what, index } => EmpiricalError::NonFinite { what, index },
        S::Shape(detail) => EmpiricalError::Shape(detail),
        S::LabelOutOfRange {
            index,
            label,
            n_classes,
        } => EmpiricalError::LabelOutOfRange {
            index,
            label,
            n_classes,
        },
        S::InvalidArgument { name, value, valid } => {
            EmpiricalError::InvalidArgument { name, value, valid }
        }
        other => EmpiricalError::Numerical(other.to_string()),
    }
}
