//! A libtorch model with its loss as a backend-neutral [`CurvatureModel`]: every training loop and experiment of
//! this crate (train, sharpness, overlap, connect, slice, spectrum) runs on it unchanged.
//!
//! The flat `f64` parameter vector is cached beside the tensors (the trait hands out `&[f64]`) and written back
//! to them on [`CurvatureModel::set_params`]; the data are the crate's [`Dataset`]. Filter groups: every slice
//! along the first axis of a parameter with at least two axes (one output channel of a convolution, one row of a
//! linear weight) is a filter; one-axis parameters (biases, normalization) are not.

use landscape_simulate::SymmetricOperator;

use super::curvature::{
    TorchGaussNewton, TorchHessian, check_loss_fits_targets, loss_and_gradient,
};
use super::{Objective, TorchModel};
use crate::EmpiricalError;
use crate::data::Dataset;
use crate::model::{CurvatureKind, CurvatureModel, Mode, ParamGroup, check_params_len, finite};

/// A [`TorchModel`] with its objective and a cached flat copy of its parameters.
#[derive(Debug)]
pub struct TorchNetwork {
    model: TorchModel,
    objective: Objective,
    params: Vec<f64>,
    n_outputs: usize,
}

impl TorchNetwork {
    /// Wraps `model` with `objective`, after checking that `data` fits it: the inputs' shape, the loss against the
    /// targets, every label below the model's output width (read from a forward pass, so a TorchScript module's
    /// width is whatever it returns) and finite outputs.
    ///
    /// # Errors
    /// [`EmpiricalError::Shape`], [`EmpiricalError::LabelOutOfRange`], [`EmpiricalError::InvalidArgument`] (loss
    /// against targets) and [`EmpiricalError::NonFinite`] as [`super::TorchHessian::new`].
    pub fn new(
        model: TorchModel,
        objective: Objective,
        data: &Dataset,
    ) -> Result<Self, EmpiricalError> {
        check_loss_fits_targets(objective, data)?;
        let (_, _, n_outputs) = model.batch_and_width(data)?;
        let params = model.flat_parameters()?;
        Ok(Self {
            model,
            objective,
            params,
            n_outputs,
        })
    }

    /// The wrapped model.
    pub fn model(&self) -> &TorchModel {
        &self.model
    }

    /// The loss and reduction.
    pub fn objective(&self) -> Objective {
        self.objective
    }

    /// Switches train/eval mode (`module.train()` / `module.eval()`).
    pub fn set_mode(&mut self, mode: Mode) {
        self.model.set_mode(mode);
    }
}

impl CurvatureModel for TorchNetwork {
    type Data = Dataset;

    fn n_params(&self) -> usize {
        self.params.len()
    }

    fn params(&self) -> &[f64] {
        &self.params
    }

    fn set_params(&mut self, params: &[f64]) -> Result<(), EmpiricalError> {
        check_params_len(self.params.len(), params)?;
        self.model.copy_flat(params)?;
        self.params.copy_from_slice(params);
        Ok(())
    }

    fn mode(&self) -> Mode {
        self.model.mode()
    }

    fn describe(&self) -> String {
        format!("{}, {}", self.model.description(), self.objective)
    }

    fn n_outputs(&self) -> usize {
        self.n_outputs
    }

    fn param_groups(&self) -> Vec<ParamGroup> {
        let mut groups = Vec::new();
        let mut offset = 0;
        for shape in self.model.parameter_shapes() {
            let len: usize = shape.iter().product();
            match shape.first() {
                Some(&rows) if shape.len() >= 2 && rows > 0 => {
                    let row = len / rows;
                    groups.extend((0..rows).map(|r| ParamGroup {
                        range: offset + r * row..offset + (r + 1) * row,
                        is_filter: true,
                    }));
                }
                _ if len > 0 => groups.push(ParamGroup {
                    range: offset..offset + len,
                    is_filter: false,
                }),
                _ => {}
            }
            offset += len;
        }
        groups
    }

    fn outputs(&self, data: &Dataset) -> Result<Vec<f64>, EmpiricalError> {
        let (inputs, _) = self.model.tensors(data)?;
        let outputs = tch::no_grad(|| self.model.forward(&inputs))?;
        self.model.check_outputs(&outputs, data)?;
        super::model::flatten(&[outputs])
    }

    fn loss_and_gradient(&self, data: &Dataset) -> Result<(f64, Vec<f64>), EmpiricalError> {
        let (loss, gradient) = loss_and_gradient(&self.model, data, self.objective)?;
        finite(loss, &gradient)?;
        Ok((loss, gradient))
    }

    fn curvature_operator<'a>(
        &'a self,
        data: &'a Dataset,
        kind: CurvatureKind,
    ) -> Result<Box<dyn SymmetricOperator + 'a>, EmpiricalError> {
        Ok(match kind {
            CurvatureKind::Hessian => {
                Box::new(TorchHessian::new(&self.model, data, self.objective)?)
            }
            CurvatureKind::GaussNewton => {
                Box::new(TorchGaussNewton::new(&self.model, data, self.objective)?)
            }
        })
    }
}
