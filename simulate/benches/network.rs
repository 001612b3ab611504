//! Cost of a Hessian-vector product against one gradient for an MLP 64-128-128-10 on 256 samples.
//!
//! Target: one Hessian-vector product (Pearlmutter's R-operator) costs at most 4 gradients. Criterion times each
//! product; at the end a plain timing loop prints the ratios (medians of repeated batches, single thread).
//!
//! Run with `cargo bench -p landscape-simulate --bench network`.

use std::hint::black_box;
use std::time::Instant;

use criterion::Criterion;
use landscape_simulate::network::{
    Activation, CurvaturePoint, Dataset, InputScale, Loss, Mlp, MlpConfig, Parameterization, data,
    hessian_vector_product, loss_and_gradient,
};
use landscape_simulate::rng::seeded;

const SEED: u64 = 2024;
const N_SAMPLES: usize = 256;

struct Setup {
    mlp: Mlp,
    params: Vec<f64>,
    data: Dataset,
    v: Vec<f64>,
    loss: Loss,
}

fn setup(activation: Activation) -> Setup {
    let mlp = Mlp::new(MlpConfig {
        widths: vec![64, 128, 128, 10],
        activation,
        parameterization: Parameterization::TorchDefault,
        bias: true,
    })
    .expect("valid architecture");
    let mut rng = seeded(SEED);
    let params = mlp.init(&mut rng);
    let data =
        data::isotropic_classification(N_SAMPLES, 64, 10, InputScale::UnitVariance, &mut rng)
            .expect("valid data");
    let v = data::gaussian_inputs(1, mlp.n_params(), InputScale::UnitVariance, &mut rng);
    Setup {
        mlp,
        params,
        data,
        v,
        loss: Loss::cross_entropy(),
    }
}

fn bench(c: &mut Criterion) {
    let s = setup(Activation::Tanh);
    let point = CurvaturePoint::new(&s.mlp, &s.params, &s.data, s.loss).expect("valid point");
    let mut out = vec![0.0; s.mlp.n_params()];
    let mut group = c.benchmark_group("mlp_64_128_128_10_n256_tanh_ce");
    group.bench_function("gradient", |b| {
        b.iter(|| loss_and_gradient(&s.mlp, black_box(&s.params), &s.data, s.loss).expect("ok"));
    });
    group.bench_function("hvp_at_point", |b| {
        b.iter(|| point.hessian_vector_product(black_box(&s.v), &mut out));
    });
    group.bench_function("hvp_cold", |b| {
        b.iter(|| {
            hessian_vector_product(&s.mlp, black_box(&s.params), &s.data, s.loss, &s.v).expect("ok")
        });
    });
    group.bench_function("gnvp_at_point", |b| {
        b.iter(|| point.gauss_newton_vector_product(black_box(&s.v), &mut out));
    });
    group.finish();
}

/// Median seconds per call over `batches` batches of `reps` calls.
fn median_time(batches: usize, reps: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..batches)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_secs_f64() / reps as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn print_ratios() {
    for activation in [Activation::Tanh, Activation::Relu, Activation::Gelu] {
        let s = setup(activation);
        let point = CurvaturePoint::new(&s.mlp, &s.params, &s.data, s.loss).expect("valid point");
        let mut out = vec![0.0; s.mlp.n_params()];
        let grad = median_time(15, 20, || {
            black_box(
                loss_and_gradient(&s.mlp, black_box(&s.params), &s.data, s.loss).expect("ok"),
            );
        });
        let hvp = median_time(15, 20, || {
            point.hessian_vector_product(black_box(&s.v), &mut out)
        });
        let cold = median_time(15, 20, || {
            black_box(
                hessian_vector_product(&s.mlp, &s.params, &s.data, s.loss, black_box(&s.v))
                    .expect("ok"),
            );
        });
        let gn = median_time(15, 20, || {
            point.gauss_newton_vector_product(black_box(&s.v), &mut out)
        });
        println!(
            "MLP 64-128-128-10, n = {N_SAMPLES}, {activation}, cross-entropy, P = {}: gradient {:.1} µs; \
             HVP at point {:.1} µs (ratio {:.2}); HVP incl. forward/backward {:.1} µs (ratio {:.2}); \
             GN product {:.1} µs (ratio {:.2}); target HVP ≤ 4 × gradient",
            s.mlp.n_params(),
            grad * 1e6,
            hvp * 1e6,
            hvp / grad,
            cold * 1e6,
            cold / grad,
            gn * 1e6,
            gn / grad
        );
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    print_ratios();
}
