//! The headline costs a user of landscape meets, in one place: evaluating and building laws, dense and Lanczos
//! spectra, a Hessian-vector product of a real network against its gradient, and `landscape report --scale quick`
//! end to end. The crates' own benches (`theory/benches`, `simulate/benches`) go deeper into each path; the
//! side-by-side scripts beside this file time the same paths against numpy/LAPACK, scipy's ARPACK and PyTorch.
//!
//! Run with `cargo bench --bench headline` (all groups but the report) or `cargo bench --bench headline -- laws`
//! (one group). The report group runs the release binary ten times (criterion's minimum sample; one run takes
//! 78 s on the 2-core development machine), so it runs only with `LANDSCAPE_BENCH_REPORT=1`.

use std::hint::black_box;
use std::process::Command;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use faer::Mat;
use landscape_simulate::dense::{self, DenseSymmetric};
use landscape_simulate::ensembles::{Ensemble, Goe};
use landscape_simulate::lanczos::{LanczosConfig, Which, lanczos};
use landscape_simulate::network::{
    Activation, CurvaturePoint, Loss, Mlp, MlpConfig, Parameterization, loss_and_gradient,
};
use landscape_simulate::rng;
use landscape_theory::SpectralLaw;
use rand_distr::{Distribution, StandardNormal};

/// Seed of every random input here (the costs do not depend on it).
const SEED: u64 = 2026;

/// A GOE matrix of side `n`, semicircle on [−2, 2] (the ensemble the checks sample).
fn goe(n: usize, seed: u64) -> Mat<f64> {
    Goe::new(n, 1.0)
        .expect("valid size")
        .sample(&mut rng::seeded(seed))
}

fn law(text: &str) -> std::sync::Arc<dyn SpectralLaw> {
    landscape_theory::expr::parse(text)
        .expect("valid law")
        .build()
        .expect("law builds")
}

/// Law evaluation (a closed form and a tabulated free convolution: 1000 cdf values) and construction (the
/// numerical engine's table for a free sum and for Pennington–Bahri).
fn laws(c: &mut Criterion) {
    let mut group = c.benchmark_group("laws");
    group.sample_size(10);
    let xs: Vec<f64> = (0..1000)
        .map(|i| -0.5 + 4.0 * f64::from(i) / 1000.0)
        .collect();
    for text in [
        "mp(ratio=0.5)",
        "free_sum(mp(ratio=0.5), semicircle(variance=0.1))",
    ] {
        let l = law(text);
        group.bench_with_input(BenchmarkId::new("cdf_1000_points", text), &xs, |b, xs| {
            b.iter(|| xs.iter().map(|&x| l.cdf(black_box(x))).sum::<f64>())
        });
    }
    for text in [
        "free_sum(mp(ratio=0.5), semicircle(variance=0.1))",
        "pennington_bahri(phi=0.5, energy=0.05)",
        "free_product(mp(ratio=0.5), mp(ratio=0.25))",
    ] {
        group.bench_function(BenchmarkId::new("build", text), |b| {
            b.iter(|| law(black_box(text)))
        });
    }
    group.finish();
}

/// All eigenvalues of a dense symmetric matrix (faer, one thread) and the top 5 by thick-restart Lanczos to a
/// relative residual of 1e-10 on the same kind of matrix.
fn spectra(c: &mut Criterion) {
    let mut group = c.benchmark_group("spectra");
    group.sample_size(10);
    for n in [500, 2000] {
        let a = goe(n, SEED);
        group.bench_with_input(BenchmarkId::new("dense_eigenvalues", n), &a, |b, a| {
            b.iter(|| dense::eigenvalues(black_box(a)).expect("eigenvalues"))
        });
        let op = DenseSymmetric::new(a).expect("symmetric");
        let config = LanczosConfig {
            k: 5,
            which: Which::Top,
            tol: 1e-10,
            ..LanczosConfig::default()
        };
        group.bench_with_input(BenchmarkId::new("lanczos_top5", n), &op, |b, op| {
            b.iter(|| lanczos(op, &config, &mut rng::seeded(SEED)).expect("lanczos"))
        });
    }
    group.finish();
}

/// One Hessian-vector product of the digits MLP (64–32–10, tanh, 500 samples, cross-entropy, P = 2410) against
/// one gradient: the unit every curvature estimator's cost is counted in.
fn hvp(c: &mut Criterion) {
    let data = landscape_empirical::data::digits::digits()
        .expect("the vendored digits")
        .head(500)
        .expect("500 samples");
    let mlp = Mlp::new(MlpConfig {
        widths: vec![64, 32, 10],
        activation: Activation::Tanh,
        parameterization: Parameterization::TorchDefault,
        bias: true,
    })
    .expect("valid architecture");
    let mut r = rng::seeded(SEED);
    let params = mlp.init(&mut r);
    let v: Vec<f64> = (0..mlp.n_params())
        .map(|_| StandardNormal.sample(&mut r))
        .collect();
    let loss = Loss::cross_entropy();
    let point = CurvaturePoint::new(&mlp, &params, &data, loss).expect("valid point");
    let mut out = vec![0.0; mlp.n_params()];
    let mut group = c.benchmark_group("hvp_digits_mlp_64_32_10");
    group.bench_function("gradient", |b| {
        b.iter(|| loss_and_gradient(&mlp, black_box(&params), &data, loss).expect("gradient"))
    });
    group.bench_function("hessian_vector_product", |b| {
        b.iter(|| point.hessian_vector_product(black_box(&v), &mut out))
    });
    group.finish();
}

/// `landscape report --scale quick` end to end: every registered check and conjecture at its quick size, the
/// figures and the PDF, through the binary a user runs.
fn report(c: &mut Criterion) {
    if std::env::var_os("LANDSCAPE_BENCH_REPORT").is_none() {
        return;
    }
    let out = std::env::temp_dir().join(format!("landscape-bench-report-{}", std::process::id()));
    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(60));
    group.bench_function("quick_end_to_end", |b| {
        b.iter(|| {
            let status = Command::new(env!("CARGO_BIN_EXE_landscape"))
                .args(["report", "--scale", "quick", "--out"])
                .arg(&out)
                .stdout(std::process::Stdio::null())
                .status()
                .expect("run landscape");
            assert!(status.success(), "landscape report failed: {status}");
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&out);
}

criterion_group!(benches, laws, spectra, hvp, report);
criterion_main!(benches);
