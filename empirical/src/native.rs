//! The native backend: the f64 MLP of `landscape-simulate` as a [`CurvatureModel`], and a convex quadratic test
//! problem with known curvature.
//!
//! The native MLP has no dropout or batch norm, so train and eval mode compute the same function; it reports
//! [`Mode::Eval`].

use landscape_simulate::SymmetricOperator;
use landscape_simulate::network::{
    Dataset, GaussNewtonOperator, HessianOperator, Loss, Mlp, loss_and_gradient,
};

use crate::error::EmpiricalError;
use crate::model::{
    CurvatureKind, CurvatureModel, Mode, ParamGroup, SampleSet, check_params_len, finite,
    from_simulate,
};

/// A native f64 MLP with its parameters and loss.
#[derive(Debug, Clone)]
pub struct NativeMlp {
    mlp: Mlp,
    params: Vec<f64>,
    loss: Loss,
}

impl NativeMlp {
    /// Wraps an architecture, a parameter vector (length `P`) and a loss.
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] for a wrong-length vector, [`EmpiricalError::NonFinite`] for NaN/±∞.
    pub fn new(mlp: Mlp, params: Vec<f64>, loss: Loss) -> Result<Self, EmpiricalError> {
        check_params(mlp.n_params(), &params)?;
        Ok(Self { mlp, params, loss })
    }

    /// The architecture.
    pub fn mlp(&self) -> &Mlp {
        &self.mlp
    }

    /// The loss.
    pub fn loss_function(&self) -> Loss {
        self.loss
    }
}

fn check_params(n_params: usize, params: &[f64]) -> Result<(), EmpiricalError> {
    check_params_len(n_params, params)?;
    if let Some(index) = params.iter().position(|v| !v.is_finite()) {
        return Err(EmpiricalError::NonFinite {
            what: "parameters",
            index,
        });
    }
    Ok(())
}

impl CurvatureModel for NativeMlp {
    type Data = Dataset;

    fn n_params(&self) -> usize {
        self.mlp.n_params()
    }

    fn params(&self) -> &[f64] {
        &self.params
    }

    fn set_params(&mut self, params: &[f64]) -> Result<(), EmpiricalError> {
        check_params_len(self.params.len(), params)?;
        self.params.copy_from_slice(params);
        Ok(())
    }

    fn mode(&self) -> Mode {
        Mode::Eval
    }

    fn describe(&self) -> String {
        format!(
            "mlp{:?} {}, {} ({})",
            self.mlp.widths(),
            self.mlp.activation(),
            self.loss.kind(),
            self.loss.reduction()
        )
    }

    fn n_outputs(&self) -> usize {
        self.mlp.n_outputs()
    }

    /// Every row of every weight matrix is a filter (the neurons' incoming weights); biases are not.
    fn param_groups(&self) -> Vec<ParamGroup> {
        let mut groups = Vec::new();
        for layer in self.mlp.layers() {
            for row in 0..layer.fan_out {
                let start = layer.weight_offset + row * layer.fan_in;
                groups.push(ParamGroup {
                    range: start..start + layer.fan_in,
                    is_filter: true,
                });
            }
            if let Some(offset) = layer.bias_offset {
                groups.push(ParamGroup {
                    range: offset..offset + layer.fan_out,
                    is_filter: false,
                });
            }
        }
        groups
    }

    fn outputs(&self, data: &Dataset) -> Result<Vec<f64>, EmpiricalError> {
        self.mlp
            .forward(&self.params, data.inputs(), data.n_samples())
            .map_err(from_simulate)
    }

    fn loss_and_gradient(&self, data: &Dataset) -> Result<(f64, Vec<f64>), EmpiricalError> {
        let (loss, gradient) =
            loss_and_gradient(&self.mlp, &self.params, data, self.loss).map_err(from_simulate)?;
        finite(loss, &gradient)?;
        Ok((loss, gradient))
    }

    fn curvature_operator<'a>(
        &'a self,
        data: &'a Dataset,
        kind: CurvatureKind,
    ) -> Result<Box<dyn SymmetricOperator + 'a>, EmpiricalError> {
        Ok(match kind {
            CurvatureKind::Hessian => Box::new(
                HessianOperator::new(&self.mlp, &self.params, data, self.loss)
                    .map_err(from_simulate)?,
            ),
            CurvatureKind::GaussNewton => Box::new(
                GaussNewtonOperator::new(&self.mlp, &self.params, data, self.loss)
                    .map_err(from_simulate)?,
            ),
        })
    }
}

/// The data of a [`Quadratic`]: it has none, only a sample count so that minibatches are defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoData;

impl SampleSet for NoData {
    fn n_samples(&self) -> usize {
        1
    }

    fn subset(&self, indices: &[usize]) -> Result<Self, EmpiricalError> {
        if indices == [0] {
            Ok(NoData)
        } else {
            Err(EmpiricalError::invalid(
                "sample index",
                format!("{indices:?}"),
                "[0]",
            ))
        }
    }
}

/// The convex quadratic `ℒ(θ) = ½ Σ_i a_i θ_i²` with Hessian `diag(a)`: a test problem whose sharpness is known.
///
/// Gradient descent with step `η` contracts coordinate `i` by `1 − η a_i`, so it converges iff `η max a_i < 2`.
#[derive(Debug, Clone, PartialEq)]
pub struct Quadratic {
    curvatures: Vec<f64>,
    params: Vec<f64>,
}

impl Quadratic {
    /// `curvatures` = `a_i` (the Hessian's diagonal), `params` the starting point.
    ///
    /// # Errors
    /// [`EmpiricalError::InvalidArgument`] for empty or mismatched vectors or non-finite values.
    pub fn new(curvatures: Vec<f64>, params: Vec<f64>) -> Result<Self, EmpiricalError> {
        if curvatures.is_empty() || curvatures.iter().any(|a| !a.is_finite()) {
            return Err(EmpiricalError::invalid(
                "curvatures",
                format!("{curvatures:?}"),
                "a non-empty list of finite values",
            ));
        }
        check_params(curvatures.len(), &params)?;
        Ok(Self { curvatures, params })
    }
}

/// `diag(a)` as an operator.
#[derive(Debug)]
struct Diagonal<'a>(&'a [f64]);

impl SymmetricOperator for Diagonal<'_> {
    fn dim(&self) -> usize {
        self.0.len()
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), landscape_simulate::SimulateError> {
        for ((y, x), a) in y.iter_mut().zip(x).zip(self.0) {
            *y = a * x;
        }
        Ok(())
    }
}

impl CurvatureModel for Quadratic {
    type Data = NoData;

    fn n_params(&self) -> usize {
        self.params.len()
    }

    fn params(&self) -> &[f64] {
        &self.params
    }

    fn set_params(&mut self, params: &[f64]) -> Result<(), EmpiricalError> {
        check_params_len(self.params.len(), params)?;
        self.params.copy_from_slice(params);
        Ok(())
    }

    fn mode(&self) -> Mode {
        Mode::Eval
    }

    fn describe(&self) -> String {
        format!("quadratic, curvatures {:?}", self.curvatures)
    }

    fn n_outputs(&self) -> usize {
        1
    }

    fn param_groups(&self) -> Vec<ParamGroup> {
        (0..self.params.len())
            .map(|i| ParamGroup {
                range: i..i + 1,
                is_filter: true,
            })
            .collect()
    }

    fn loss_and_gradient(&self, _data: &NoData) -> Result<(f64, Vec<f64>), EmpiricalError> {
        let gradient: Vec<f64> = self
            .curvatures
            .iter()
            .zip(&self.params)
            .map(|(a, t)| a * t)
            .collect();
        let loss = 0.5
            * gradient
                .iter()
                .zip(&self.params)
                .map(|(g, t)| g * t)
                .sum::<f64>();
        finite(loss, &gradient)?;
        Ok((loss, gradient))
    }

    fn curvature_operator<'a>(
        &'a self,
        _data: &'a NoData,
        _kind: CurvatureKind,
    ) -> Result<Box<dyn SymmetricOperator + 'a>, EmpiricalError> {
        // A quadratic's Hessian is its Gauss–Newton matrix.
        Ok(Box::new(Diagonal(&self.curvatures)))
    }
}

/// Models and data shared by this crate's unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::NativeMlp;
    use landscape_simulate::network::{
        Activation, Dataset, Loss, Mlp, MlpConfig, Parameterization, data,
    };
    use landscape_simulate::rng::seeded;

    /// A 3-class Gaussian mixture of `n` samples in `dim` dimensions (class separation `separation`, data seed
    /// `data_seed`) and a `[dim, hidden, 3]` MLP with biases, PyTorch's default init and cross-entropy.
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct Mixture {
        pub dim: usize,
        pub hidden: usize,
        pub n: usize,
        pub separation: f64,
        pub data_seed: u64,
        pub activation: Activation,
    }

    impl Mixture {
        /// The data and the model initialised from seed `init_seed`.
        pub(crate) fn build(self, init_seed: u64) -> (NativeMlp, Dataset) {
            let data = data::gaussian_mixture(
                3,
                self.dim,
                self.n,
                self.separation,
                &mut seeded(self.data_seed),
            )
            .unwrap();
            let mlp = Mlp::new(MlpConfig {
                widths: vec![self.dim, self.hidden, 3],
                activation: self.activation,
                parameterization: Parameterization::TorchDefault,
                bias: true,
            })
            .unwrap();
            let params = mlp.init(&mut seeded(init_seed));
            (
                NativeMlp::new(mlp, params, Loss::cross_entropy()).unwrap(),
                data,
            )
        }
    }

    /// [`Mixture`] in 6 dimensions with data seed 100 and a tanh hidden layer of `hidden`, initialised from `seed`.
    pub(crate) fn tanh_mixture_mlp(
        hidden: usize,
        n: usize,
        separation: f64,
        seed: u64,
    ) -> (NativeMlp, Dataset) {
        Mixture {
            dim: 6,
            hidden,
            n,
            separation,
            data_seed: 100,
            activation: Activation::Tanh,
        }
        .build(seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_mlp(seed: u64) -> (NativeMlp, Dataset) {
        fixtures::tanh_mixture_mlp(8, 30, 3.0, seed)
    }

    #[test]
    fn param_groups_cover_every_parameter_once() {
        let (model, _) = tiny_mlp(1);
        let mut seen = vec![0usize; model.n_params()];
        for g in model.param_groups() {
            for i in g.range {
                seen[i] += 1;
            }
        }
        assert!(seen.iter().all(|&c| c == 1), "coverage {seen:?}");
    }

    #[test]
    fn subset_of_first_samples_keeps_inputs_and_labels() {
        let (_, data) = tiny_mlp(1);
        let sub = data.first(7).unwrap();
        assert_eq!(sub.n_samples(), 7);
        assert_eq!(sub.inputs(), &data.inputs()[..7 * data.sample_len()]);
        assert!(data.first(0).is_err());
        assert!(data.first(31).is_err());
    }

    #[test]
    fn hessian_operator_matches_the_simulate_network() {
        let (model, data) = tiny_mlp(2);
        let op = model
            .curvature_operator(&data, CurvatureKind::Hessian)
            .unwrap();
        let v: Vec<f64> = (0..model.n_params()).map(|i| (i as f64).sin()).collect();
        let mut y = vec![0.0; v.len()];
        op.apply(&v, &mut y).unwrap();
        let reference = landscape_simulate::network::hessian_vector_product(
            model.mlp(),
            model.params(),
            &data,
            model.loss_function(),
            &v,
        )
        .unwrap();
        assert_eq!(y, reference);
    }
}
