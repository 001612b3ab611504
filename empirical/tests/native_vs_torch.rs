//! The libtorch backend against the native f64 backend of `landscape-simulate` on the same MLP weights and data:
//! loss, gradient, Hessian- and Gauss–Newton-vector products.
#![cfg(feature = "torch")]

use landscape_empirical::data::mixture::GaussianMixture;
use landscape_empirical::data::{Dataset, Targets};
use landscape_empirical::torch::{
    DeviceSpec, Loss, Objective, Reduction, TorchGaussNewton, TorchHessian, TorchModel,
    loss_and_gradient,
};
use landscape_simulate::SymmetricOperator;
use landscape_simulate::network::{
    self, Activation, CurvaturePoint, LossKind, Mlp, MlpConfig, Parameterization,
};
use landscape_simulate::rng::seeded;

/// Two f64 implementations that sum in different orders: the differences are rounding (observed 3e-16
/// relative); the issue asks for agreement to ~1e-8, and 1e-10 still catches any wrong factor or sign.
const BACKEND_AGREEMENT_REL: f64 = 1e-10;

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let diff: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt();
    let scale: f64 = b
        .iter()
        .map(|y| y * y)
        .sum::<f64>()
        .sqrt()
        .max(f64::MIN_POSITIVE);
    diff / scale
}

fn to_native(data: &Dataset) -> network::Dataset {
    let x: Vec<f64> = data.inputs().iter().map(|&v| f64::from(v)).collect();
    let targets = match data.targets() {
        Targets::Classes { labels, .. } => network::Targets::Classes(
            labels
                .iter()
                .map(|&l| usize::try_from(l).unwrap())
                .collect(),
        ),
        Targets::Values { values, dim } => {
            network::Targets::Real(values.iter().map(|&v| f64::from(v)).collect(), *dim)
        }
    };
    network::Dataset::new(x, data.n_samples(), data.sample_len(), targets).unwrap()
}

#[test]
fn tch_and_native_backends_agree_on_the_same_mlp_weights() {
    let n = 16;
    let classes = GaussianMixture {
        n_samples: n,
        dim: 5,
        n_classes: 3,
        separation: 2.0,
        seed: 4,
    }
    .sample()
    .unwrap();
    let values = (0..3 * n).map(|i| (0.3 * i as f32).sin()).collect();
    let regression = Dataset::new(
        "regression",
        classes.inputs().to_vec(),
        vec![5],
        Targets::Values { values, dim: 3 },
    )
    .unwrap();
    let cases = [
        (
            &classes,
            LossKind::CrossEntropy,
            network::Reduction::Mean,
            Loss::CrossEntropy,
            Reduction::Mean,
        ),
        (
            &classes,
            LossKind::CrossEntropy,
            network::Reduction::Sum,
            Loss::CrossEntropy,
            Reduction::Sum,
        ),
        (
            &regression,
            LossKind::Mse,
            network::Reduction::Mean,
            Loss::Mse,
            Reduction::Mean,
        ),
        (
            &regression,
            LossKind::Mse,
            network::Reduction::Sum,
            Loss::Mse,
            Reduction::Sum,
        ),
    ];
    let widths = vec![5, 7, 6, 3];
    let mut worst = 0.0f64;
    for activation in Activation::ALL {
        let mlp = Mlp::new(MlpConfig {
            widths: widths.clone(),
            activation,
            parameterization: Parameterization::TorchDefault,
            bias: true,
        })
        .unwrap();
        let seed = 21;
        let params = mlp.init(&mut seeded(seed));
        let mut model = TorchModel::mlp(&widths, activation, 0, DeviceSpec::Cpu).unwrap();
        model.set_flat_parameters(&params).unwrap();
        let v: Vec<f64> = (0..params.len())
            .map(|i| (0.9 * i as f64 + 0.4).cos())
            .collect();
        for &(data, kind, native_reduction, loss, reduction) in &cases {
            let native_data = to_native(data);
            let native_loss = network::Loss::new(kind, native_reduction).unwrap();
            let point = CurvaturePoint::new(&mlp, &params, &native_data, native_loss).unwrap();
            let objective = Objective { loss, reduction };
            let context = format!("{} {objective}, seed {seed}, n {n}", activation.name());

            let (value, grad) = loss_and_gradient(&model, data, objective).unwrap();
            let loss_err = (value - point.loss_value()).abs() / point.loss_value().abs();
            assert!(
                loss_err < BACKEND_AGREEMENT_REL,
                "{context}: loss {value} vs native {}",
                point.loss_value()
            );
            let err = rel_err(&grad, point.gradient());
            worst = worst.max(err).max(loss_err);
            assert!(
                err < BACKEND_AGREEMENT_REL,
                "{context}: gradient relative error {err:e}"
            );

            let mut native = vec![0.0; params.len()];
            let mut torch = vec![0.0; params.len()];
            point.hessian_vector_product(&v, &mut native);
            TorchHessian::new(&model, data, objective)
                .unwrap()
                .apply(&v, &mut torch)
                .unwrap();
            let err = rel_err(&torch, &native);
            assert!(
                err < BACKEND_AGREEMENT_REL,
                "{context}: Hv relative error {err:e}, bound {BACKEND_AGREEMENT_REL:e}"
            );

            point.gauss_newton_vector_product(&v, &mut native);
            TorchGaussNewton::new(&model, data, objective)
                .unwrap()
                .apply(&v, &mut torch)
                .unwrap();
            let err = rel_err(&torch, &native);
            assert!(
                err < BACKEND_AGREEMENT_REL,
                "{context}: Gv relative error {err:e}, bound {BACKEND_AGREEMENT_REL:e}"
            );
        }
    }
    eprintln!("largest relative difference tch vs native: {worst:e}");
}
