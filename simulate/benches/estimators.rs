//! Benchmarks of the spectral estimators, mirroring `simulate/src/{dense,lanczos,slq}.rs` (`lanczos/` holds
//! the unrestarted process and the thick-restart solver).
//!
//! Inputs are seeded GOE matrices (semicircle on [−2, 2]). The `lanczos_vs_matvec` group checks the cost
//! target "one Lanczos step ≤ 1.2 × one matvec for a dense operator at n ≥ 10⁴": compare the per-step time of
//! `lanczos/80_steps` (divide by 80, or read the per-element throughput) with `matvec`. The n = 10⁴ matrix takes
//! 800 MB. Run with `cargo bench -p landscape-simulate --bench estimators`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use faer::Mat;
use landscape_simulate::SymmetricOperator;
use landscape_simulate::dense::{self, DenseSymmetric};
use landscape_simulate::lanczos::{
    LanczosConfig, OnBreakdown, Which, lanczos, lanczos_decomposition,
};
use landscape_simulate::rng;
use landscape_simulate::slq::{SlqConfig, slq};
use rand_distr::{Distribution, StandardNormal};

fn goe(n: usize, seed: u64) -> Mat<f64> {
    let mut r = rng::seeded(seed);
    let mut a = Mat::<f64>::zeros(n, n);
    let s = 1.0 / (2.0 * n as f64).sqrt();
    for j in 0..n {
        for i in j..n {
            let g: f64 = StandardNormal.sample(&mut r);
            let v = if i == j {
                2.0 * g * s
            } else {
                g * std::f64::consts::SQRT_2 * s
            };
            a[(i, j)] = v;
            a[(j, i)] = v;
        }
    }
    a
}

fn dense_eigenvalues(c: &mut Criterion) {
    let mut group = c.benchmark_group("dense_eigenvalues");
    group.sample_size(10);
    for n in [500, 1000, 2000] {
        let a = goe(n, 1);
        group.bench_with_input(BenchmarkId::from_parameter(n), &a, |b, a| {
            b.iter(|| dense::eigenvalues(black_box(a)).unwrap())
        });
    }
    group.finish();
}

fn lanczos_vs_matvec(c: &mut Criterion) {
    let n = 10_000;
    let steps = 80;
    let op = DenseSymmetric::new(goe(n, 2)).unwrap();
    let x: Vec<f64> = (0..n).map(|i| ((i % 7) as f64) - 3.0).collect();
    let mut y = vec![0.0; n];
    let mut group = c.benchmark_group("lanczos_vs_matvec");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new("matvec", n), |b| {
        b.iter(|| op.apply(black_box(&x), &mut y).unwrap())
    });
    group.throughput(Throughput::Elements(steps as u64));
    group.bench_function(BenchmarkId::new("lanczos_80_steps", n), |b| {
        b.iter(|| {
            lanczos_decomposition(
                &op,
                black_box(&x),
                steps,
                OnBreakdown::Stop,
                &mut rng::seeded(0),
            )
            .unwrap()
        })
    });
    group.finish();
}

fn stochastic_lanczos_quadrature(c: &mut Criterion) {
    let mut group = c.benchmark_group("slq");
    group.sample_size(10);
    for n in [1000, 4000] {
        let op = DenseSymmetric::new(goe(n, 3)).unwrap();
        let config = SlqConfig {
            steps: 80,
            n_probes: 4,
            ..SlqConfig::default()
        };
        group.bench_with_input(BenchmarkId::new("80_steps_4_probes", n), &op, |b, op| {
            b.iter(|| slq(op, &config).unwrap())
        });
    }
    group.finish();
}

/// Thick-restart Lanczos to convergence (top 5 and both ends, relative residual 1e-10, the default basis): the
/// time to a converged answer, which includes the restarts' basis rotations and the projected eigensolves.
fn thick_restart_lanczos(c: &mut Criterion) {
    let mut group = c.benchmark_group("thick_restart_lanczos");
    group.sample_size(10);
    for n in [1000, 4000] {
        let op = DenseSymmetric::new(goe(n, 4)).unwrap();
        for (name, which) in [("top5", Which::Top), ("both5", Which::Both)] {
            let config = LanczosConfig {
                k: 5,
                which,
                tol: 1e-10,
                ..LanczosConfig::default()
            };
            group.bench_with_input(BenchmarkId::new(name, n), &op, |b, op| {
                b.iter(|| lanczos(op, &config, &mut rng::seeded(5)).unwrap())
            });
        }
    }
    group.finish();
}

criterion_group!(
    benches,
    dense_eigenvalues,
    lanczos_vs_matvec,
    thick_restart_lanczos,
    stochastic_lanczos_quadrature
);
criterion_main!(benches);
