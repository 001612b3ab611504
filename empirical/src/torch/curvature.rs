//! The Hessian and the Gauss–Newton matrix of a loss over a fixed data subset, as matrix-free `f64` operators.
//!
//! For parameters `θ ∈ ℝᴾ`, outputs `f(θ) ∈ ℝ^{n×d}` on the subset and the reduced loss `L(θ) = ℓ(f(θ), y)`:
//!
//! * Hessian `H = ∇²L`. `Hv` by double backward: `g = ∇L` with the graph kept, then `Hv = ∇_θ (g·v)`.
//! * Gauss–Newton `G = Jᵀ H_ℓ J`, `J = ∂f/∂θ`, `H_ℓ = ∂²ℓ/∂f²`. `Jv` by the double-backward trick
//!   (`Jv = ∇_u (∇_θ(f·u) · v)` for a dummy `u`), then `H_ℓ (Jv)` by double backward through the loss alone, then
//!   `Jᵀ w = ∇_θ (f·w)`. `G` is positive semi-definite for both losses.
//!
//! Both use the loss's reduction, so with the mean (PyTorch's default) the operator over `k` copies of a batch
//! equals the operator over the batch. The forward pass and the first-order graphs are built once per operator and
//! retained; a Hessian product is one backward pass of `g·v` through them (`O(n · P)`).
//!
//! libtorch's CPU kernels may sum in a thread-count–dependent order, so products are reproducible bit for bit only
//! at a fixed thread count (agreement across counts is at rounding level).

use super::model::{TorchModel, flatten, split};
use super::{Mode, Objective, torch_err};
use crate::EmpiricalError;
use crate::data::Dataset;
use landscape_simulate::{SimulateError, SymmetricOperator};
use tch::Tensor;

/// What an operator is, for the header of every output: kind, model, mode, loss, samples.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvatureInfo {
    /// `"hessian"` or `"gauss-newton"`.
    pub kind: &'static str,
    /// The model's description.
    pub model: String,
    /// Train or eval mode during the products.
    pub mode: Mode,
    /// The loss and reduction.
    pub objective: Objective,
    /// The number of samples in the fixed subset.
    pub n_samples: usize,
    /// The data set's name.
    pub data: String,
    /// The dimension `P`.
    pub n_params: usize,
    /// The device, as libtorch prints it.
    pub device: String,
    /// The dtype of the products.
    pub precision: crate::spec::Precision,
}

impl std::fmt::Display for CurvatureInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} of {} in {} mode, loss {}, {} samples of {}, {} parameters, device {}, {}",
            self.kind,
            self.model,
            self.mode,
            self.objective,
            self.n_samples,
            self.data,
            self.n_params,
            self.device,
            self.precision.torch_name()
        )
    }
}

/// Shared state of both operators: the model, the subset as tensors, the objective.
#[derive(Debug)]
struct Problem<'a> {
    model: &'a TorchModel,
    inputs: Tensor,
    targets: Tensor,
    info: CurvatureInfo,
}

impl<'a> Problem<'a> {
    fn new(
        kind: &'static str,
        model: &'a TorchModel,
        data: &Dataset,
        objective: Objective,
    ) -> Result<Self, EmpiricalError> {
        check_loss_fits_targets(objective, data)?;
        let (inputs, targets) = model.batch(data)?;
        let info = CurvatureInfo {
            kind,
            model: model.description().to_string(),
            mode: model.mode(),
            objective,
            n_samples: data.n_samples(),
            data: data.name().to_string(),
            n_params: model.n_params(),
            device: format!("{:?}", model.device()),
            precision: model.precision(),
        };
        Ok(Self {
            model,
            inputs,
            targets,
            info,
        })
    }

    fn vector(&self, x: &[f64]) -> Result<Vec<Tensor>, EmpiricalError> {
        if x.len() != self.info.n_params {
            return Err(EmpiricalError::invalid(
                "vector",
                format!("{} values", x.len()),
                format!("{} values", self.info.n_params),
            ));
        }
        split(x, self.model.parameters(), self.model.device())
    }

    fn write(&self, grads: Vec<Tensor>, y: &mut [f64]) -> Result<(), EmpiricalError> {
        // Autograd returns an undefined tensor for a parameter the root does not depend on: its block is zero.
        let params = self.model.parameters();
        let filled: Vec<Tensor> = grads
            .into_iter()
            .zip(params)
            .map(|(g, p)| if g.defined() { g } else { p.zeros_like() })
            .collect();
        let flat = flatten(&filled)?;
        if flat.len() != y.len() {
            return Err(EmpiricalError::invalid(
                "output",
                format!("{} values", y.len()),
                format!("{} values", flat.len()),
            ));
        }
        y.copy_from_slice(&flat);
        Ok(())
    }
}

pub(crate) fn check_loss_fits_targets(
    objective: Objective,
    data: &Dataset,
) -> Result<(), EmpiricalError> {
    use super::Loss;
    match (objective.loss, data.n_classes()) {
        (Loss::CrossEntropy, None) => Err(EmpiricalError::invalid(
            "loss",
            "cross-entropy",
            format!("mse: {} has real-valued targets", data.name()),
        )),
        (Loss::Mse, Some(_)) => Err(EmpiricalError::invalid(
            "loss",
            "mse",
            format!("cross-entropy: {} has class labels", data.name()),
        )),
        _ => Ok(()),
    }
}

/// `Σᵢ (aᵢ · bᵢ)` over matching defined tensors, as a 0-dim tensor that keeps the graph; `None` if no pair is
/// defined.
fn dot(a: &[Tensor], b: &[Tensor]) -> Option<Tensor> {
    a.iter()
        .zip(b)
        .filter(|(x, _)| x.defined())
        .map(|(x, y)| (x * y).sum(x.kind()))
        .reduce(|acc, t| acc + t)
}

/// Gradients of `root` with respect to `inputs`, or all-undefined when `root` does not depend on anything that
/// requires grad (its derivative is zero).
fn grad(
    root: &Tensor,
    inputs: &[Tensor],
    create_graph: bool,
) -> Result<Vec<Tensor>, EmpiricalError> {
    if !root.requires_grad() {
        return Ok(inputs.iter().map(|_| Tensor::new()).collect());
    }
    Tensor::f_run_backward(&[root], inputs, true, create_graph).map_err(torch_err)
}

/// The loss value and its gradient at the model's current parameters over `data`.
///
/// # Errors
/// As [`TorchHessian::new`].
pub fn loss_and_gradient(
    model: &TorchModel,
    data: &Dataset,
    objective: Objective,
) -> Result<(f64, Vec<f64>), EmpiricalError> {
    // One forward pass: the outputs are checked (shape, labels, finiteness) before the backward pass.
    check_loss_fits_targets(objective, data)?;
    let (inputs, targets) = model.tensors(data)?;
    let outputs = model.forward(&inputs)?;
    model.check_outputs(&outputs, data)?;
    let loss = objective.eval(&outputs, &targets)?;
    let params = model.parameters();
    let grads = grad(&loss, params, false)?;
    let filled: Vec<Tensor> = grads
        .into_iter()
        .zip(params)
        .map(|(g, p)| if g.defined() { g } else { p.zeros_like() })
        .collect();
    let g = flatten(&filled)?;
    let value = loss.f_double_value(&[]).map_err(torch_err)?;
    Ok((value, g))
}

/// The Hessian `∇²L(θ)` of the loss over a fixed data subset.
///
/// The forward pass and the first backward pass (`g = ∇L` with its graph) run once, at construction; each product
/// is then one backward pass of `g·v` through that retained graph (PyHessian's scheme), half the work of redoing
/// both every time. The retained graph holds the forward activations and the first backward's intermediates for
/// the operator's lifetime; and whatever a forward pass draws (a dropout mask in train mode) is drawn once, so
/// every product applies the same matrix.
#[derive(Debug)]
pub struct TorchHessian<'a> {
    problem: Problem<'a>,
    /// `∇L` with its graph kept for the products.
    gradient: Vec<Tensor>,
}

impl<'a> TorchHessian<'a> {
    /// The Hessian at `model`'s current parameters over all of `data` (pass [`Dataset::subset`] for a subset).
    ///
    /// # Errors
    /// [`EmpiricalError::Shape`] when the data does not fit the model; [`EmpiricalError::LabelOutOfRange`];
    /// [`EmpiricalError::InvalidArgument`] when the loss does not fit the targets (cross-entropy needs labels,
    /// MSE real targets); [`EmpiricalError::NonFinite`] when the model's outputs are not finite.
    pub fn new(
        model: &'a TorchModel,
        data: &Dataset,
        objective: Objective,
    ) -> Result<Self, EmpiricalError> {
        let problem = Problem::new("hessian", model, data, objective)?;
        let outputs = model.forward(&problem.inputs)?;
        let loss = objective.eval(&outputs, &problem.targets)?;
        let gradient = grad(&loss, model.parameters(), true)?;
        Ok(Self { problem, gradient })
    }

    /// What this operator is (stated in every output).
    pub fn info(&self) -> &CurvatureInfo {
        &self.problem.info
    }

    fn product(&self, x: &[f64], y: &mut [f64]) -> Result<(), EmpiricalError> {
        let v = self.problem.vector(x)?;
        let hv = self.apply_tensors(&v)?;
        self.problem.write(hv, y)
    }

    /// `Hv` on tensors shaped like the parameters and on their device, without the flat `f64` round trip through
    /// the host (for GPU work and benchmarks). A returned tensor is undefined where `H` has a zero block row.
    ///
    /// # Errors
    /// [`EmpiricalError::Torch`] when `v` does not match the parameters' shapes.
    pub fn apply_tensors(&self, v: &[Tensor]) -> Result<Vec<Tensor>, EmpiricalError> {
        let params = self.problem.model.parameters();
        match dot(&self.gradient, v) {
            Some(gv) => grad(&gv, params, false),
            None => Ok(params.iter().map(|_| Tensor::new()).collect()),
        }
    }
}

impl SymmetricOperator for TorchHessian<'_> {
    fn dim(&self) -> usize {
        self.problem.info.n_params
    }

    fn epsilon(&self) -> f64 {
        self.problem.info.precision.epsilon()
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), SimulateError> {
        self.product(x, y).map_err(SimulateError::from)
    }
}

/// The Gauss–Newton matrix `Jᵀ H_ℓ J` of the loss over a fixed data subset.
///
/// As for [`TorchHessian`], the forward pass, `Jᵀu` (with its graph, for `Jv`) and the loss's gradient in the
/// outputs (with its graph, for `H_ℓ`) are built once; a product is three backward passes through them.
#[derive(Debug)]
pub struct TorchGaussNewton<'a> {
    problem: Problem<'a>,
    /// The outputs `f(θ)` with their graph.
    outputs: Tensor,
    /// The dummy `u` of the double-backward trick, and `Jᵀu = ∇_θ(f·u)` with its graph.
    u: Tensor,
    jt_u: Vec<Tensor>,
    /// The detached outputs `z` and `∇_z ℓ(z)` with its graph.
    z: Tensor,
    loss_gradient: Tensor,
}

impl<'a> TorchGaussNewton<'a> {
    /// The Gauss–Newton matrix at `model`'s current parameters over all of `data`.
    ///
    /// # Errors
    /// As [`TorchHessian::new`].
    pub fn new(
        model: &'a TorchModel,
        data: &Dataset,
        objective: Objective,
    ) -> Result<Self, EmpiricalError> {
        let problem = Problem::new("gauss-newton", model, data, objective)?;
        let outputs = model.forward(&problem.inputs)?;
        // Jv = ∇_u (∇_θ(f·u) · v): ∇_θ(f·u) = Jᵀu is linear in u.
        let u = outputs.zeros_like().set_requires_grad(true);
        let fu = (&outputs * &u).sum(outputs.kind());
        let jt_u = grad(&fu, model.parameters(), true)?;
        let z = outputs.detach().set_requires_grad(true);
        let loss = objective.eval(&z, &problem.targets)?;
        let loss_gradient = grad(&loss, std::slice::from_ref(&z), true)?.remove(0);
        Ok(Self {
            problem,
            outputs,
            u,
            jt_u,
            z,
            loss_gradient,
        })
    }

    /// What this operator is (stated in every output).
    pub fn info(&self) -> &CurvatureInfo {
        &self.problem.info
    }

    fn product(&self, x: &[f64], y: &mut [f64]) -> Result<(), EmpiricalError> {
        let p = &self.problem;
        let v = p.vector(x)?;
        let params = p.model.parameters();
        let outputs = &self.outputs;
        let jv = match dot(&self.jt_u, &v) {
            Some(t) => grad(&t, std::slice::from_ref(&self.u), false)?.remove(0),
            None => Tensor::new(),
        };
        let jv = if jv.defined() {
            jv
        } else {
            outputs.zeros_like()
        };
        // H_ℓ (Jv) by double backward through the loss alone.
        let gz = &self.loss_gradient;
        let w = if gz.defined() {
            let t = (gz * &jv).sum(gz.kind());
            grad(&t, std::slice::from_ref(&self.z), false)?.remove(0)
        } else {
            Tensor::new()
        };
        let w = if w.defined() {
            w.detach()
        } else {
            outputs.zeros_like()
        };
        // Jᵀ w = ∇_θ (f·w).
        let fw = (outputs * &w).sum(outputs.kind());
        let gv = grad(&fw, params, false)?;
        p.write(gv, y)
    }
}

impl SymmetricOperator for TorchGaussNewton<'_> {
    fn dim(&self) -> usize {
        self.problem.info.n_params
    }

    fn epsilon(&self) -> f64 {
        self.problem.info.precision.epsilon()
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), SimulateError> {
        self.product(x, y).map_err(SimulateError::from)
    }
}
