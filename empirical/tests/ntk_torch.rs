//! A libtorch network's Gauss–Newton spectrum at initialisation against the Fan–Wang NTK law, on Gaussian inputs
//! and on the whitened digits.
//!
//! The network is `TorchModel::mlp([d0, d, …, d, 1], tanh)` with its parameters replaced by the standard
//! parameterisation at σ_w = 1 (weights N(0, 1/fan_in), zero biases: the same function as the Fan–Wang NTK-
//! parameterised network). Its MSE Gauss–Newton matrix (PyTorch's mean reduction) is `G = (2/n) JᵀJ`, whose
//! nonzero eigenvalues are `2·eig(K_SP/n)`; the law is `ntk(..., parameterization=standard, weight_variance=1)`,
//! the law of `K_SP/n` (`docs/theory.md` §A1.11). The zero biases still carry gradients, an extra `O(1/n)` relative
//! term the law omits. The n nonzero eigenvalues come from Lanczos with full reorthogonalisation: G has rank n, so
//! `n + 40` steps span its range exactly.
#![cfg(feature = "torch")]

use landscape_empirical::data::digits::digits;
use landscape_empirical::data::{Dataset, Targets};
use landscape_empirical::torch::{
    Activation, DeviceSpec, Loss, Objective, TorchGaussNewton, TorchModel,
};
use landscape_simulate::lanczos::{LanczosConfig, Which, lanczos};
use landscape_simulate::network::{self, InputScale, Mlp, MlpConfig, Parameterization};
use landscape_simulate::rng::task_rng;
use landscape_theory::SpectralLaw;
use landscape_theory::expr::{LawExpr, parse};
use landscape_theory::neural_kernels::NeuralTangentKernel;

/// Networks pooled per configuration.
const NETWORKS: u64 = 4;

fn law(n: usize, d0: usize, hidden: &[usize]) -> NeuralTangentKernel {
    let widths: Vec<String> = hidden.iter().map(|d| d.to_string()).collect();
    let text = format!(
        "ntk(n={n}, d0={d0}, widths=[{}], activation=tanh, parameterization=standard, weight_variance=1)",
        widths.join(", ")
    );
    match parse(&text).unwrap() {
        LawExpr::Ntk(spec) => NeuralTangentKernel::new(spec).unwrap(),
        other => panic!("not an ntk law: {other}"),
    }
}

fn ks(values: &mut [f64], law: &dyn SpectralLaw) -> f64 {
    values.sort_by(f64::total_cmp);
    let count = values.len() as f64;
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let f = law.cdf(v);
            (f - i as f64 / count)
                .abs()
                .max((f - (i + 1) as f64 / count).abs())
        })
        .fold(0.0, f64::max)
}

/// The n nonzero eigenvalues of `G/2` (= eigenvalues of `K_SP/n`) of a tch network with widths
/// `[d0, hidden…, 1]` in the standard parameterisation (σ_w = 1, zero biases) on `data`, seeded by `seed`.
fn torch_gn_spectrum(data: &Dataset, hidden: &[usize], seed: u64) -> Vec<f64> {
    let d0 = data.sample_len();
    let n = data.n_samples();
    let mut widths = vec![d0];
    widths.extend_from_slice(hidden);
    widths.push(1);
    // The native network draws the standard-parameterisation weights in PyTorch's parameter order.
    let native = Mlp::new(MlpConfig {
        widths: widths.clone(),
        activation: network::Activation::Tanh,
        parameterization: Parameterization::Standard {
            sigma_w: 1.0,
            sigma_b: 0.0,
        },
        bias: true,
    })
    .unwrap();
    let params = native.init(&mut task_rng(seed, 1));
    let mut model = TorchModel::mlp(&widths, Activation::Tanh, seed, DeviceSpec::Cpu).unwrap();
    model.set_flat_parameters(&params).unwrap();
    let op = TorchGaussNewton::new(&model, data, Objective::mean(Loss::Mse)).unwrap();
    let result = lanczos(
        &op,
        &LanczosConfig {
            k: n,
            which: Which::Top,
            ..LanczosConfig::default()
        },
        &mut task_rng(seed, 2),
    )
    .unwrap();
    result.pairs.iter().map(|p| p.value / 2.0).collect()
}

fn regression_data(name: &str, inputs: Vec<f64>, n: usize, dim: usize) -> Dataset {
    Dataset::new(
        name,
        inputs,
        vec![dim],
        Targets::Values {
            values: vec![0.0; n],
            dim: 1,
        },
    )
    .unwrap()
}

/// Pooled KS bound at n = 60 (P ≈ 11k–15k): the native fast test (`experiments/tests/ntk.rs`) measures pooled KS 0.03–0.08 at
/// n = 80 with four networks; the bias term adds O(1/n). 0.15 is about twice the measured value here (see the
/// failure message), while a wrong normalisation (e.g. forgetting the factor 2 of the MSE Hessian) scales the whole spectrum by 2, far
/// outside this bound.
const TORCH_KS_BOUND: f64 = 0.15;

#[test]
fn torch_gauss_newton_follows_the_ntk_law_on_gaussian_inputs() {
    let (n, d0) = (60, 120);
    for hidden in [vec![60], vec![60, 60]] {
        let law = law(n, d0, &hidden);
        let mut pooled = Vec::new();
        for seed in 0..NETWORKS {
            let x = network::data::gaussian_inputs(
                n,
                d0,
                InputScale::UnitVariance,
                &mut task_rng(100 + seed, 0),
            );
            let data = regression_data("gaussian", x, n, d0);
            pooled.extend(torch_gn_spectrum(&data, &hidden, 100 + seed));
        }
        let ks = ks(&mut pooled, &law);
        eprintln!("TORCH gaussian hidden {hidden:?}: pooled KS {ks}");
        assert!(
            ks <= TORCH_KS_BOUND,
            "{law}: seeds 100..{}, n {n}, pooled KS {ks} > {TORCH_KS_BOUND}",
            100 + NETWORKS
        );
    }
}

/// KS bound on the whitened digits with per-sample norms set to √d0 (Fan–Wang's ‖x‖ ≈ 1): the native measurement
/// (`measure_ntk ntk_on_whitened_digits`, an example of landscape-experiments; n = 30, 20 networks) gives 0.06–0.07
/// for these inputs against 0.03–0.04 for Gaussian inputs of the same shape; without the norm step the KS is 0.13
/// and the mean eigenvalue 7% low. With 4 networks of n = 30 the pooled KS has a sampling floor ~0.1, hence 0.2.
const DIGITS_KS_BOUND: f64 = 0.2;

#[test]
fn torch_gauss_newton_on_whitened_digits_follows_the_ntk_law() {
    let (white, map) = landscape_empirical::data::whiten::pca_whiten(&digits().unwrap()).unwrap();
    let r = map.rank();
    let n = 30;
    let hidden = vec![60];
    let law = law(n, r, &hidden);
    let mut pooled = Vec::new();
    for seed in 0..NETWORKS {
        let rows = landscape_empirical::train::minibatch_indices(white.n_samples(), n, seed, 0);
        let inputs: Vec<f64> = rows
            .iter()
            .flat_map(|&a| {
                let z = white.sample(a);
                let norm2: f64 = z.iter().map(|&v| v * v).sum();
                let s = (r as f64 / norm2).sqrt();
                z.iter().map(move |&v| v * s)
            })
            .collect();
        let data = regression_data("whitened digits", inputs, n, r);
        pooled.extend(torch_gn_spectrum(&data, &hidden, 200 + seed));
    }
    let ks = ks(&mut pooled, &law);
    eprintln!("TORCH digits rank {r}: pooled KS {ks}");
    assert!(
        ks <= DIGITS_KS_BOUND,
        "{law}: seeds 200..{}, n {n}, d0 {r}, pooled KS {ks} > {DIGITS_KS_BOUND}",
        200 + NETWORKS
    );
}
