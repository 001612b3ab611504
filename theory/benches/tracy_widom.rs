//! Cost of one Tracy–Widom CDF+density evaluation (one Fredholm determinant pair) as the Nyström size grows, and of
//! the Airy function in its three method regions.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use landscape_theory::airy::airy_ai_and_derivative;
use landscape_theory::tracy_widom::TracyWidom;
use std::hint::black_box;

fn bench_cdf(c: &mut Criterion) {
    let mut group = c.benchmark_group("tracy_widom_cdf_and_pdf");
    for nodes in [32_usize, 64, 128] {
        for beta in [1_u8, 4] {
            let law = TracyWidom::with_nodes(beta, nodes).expect("valid parameters");
            group.bench_with_input(
                BenchmarkId::new(format!("beta{beta}"), nodes),
                &law,
                |b, law| {
                    b.iter(|| law.cdf_and_pdf(black_box(-1.5)));
                },
            );
        }
    }
    group.finish();
}

fn bench_airy(c: &mut Criterion) {
    let mut group = c.benchmark_group("airy");
    for x in [-12.0_f64, -5.0, 0.5, 2.5, 8.0] {
        group.bench_with_input(BenchmarkId::from_parameter(x), &x, |b, &x| {
            b.iter(|| airy_ai_and_derivative(black_box(x)));
        });
    }
    group.finish();
}

criterion_group!(benches, bench_cdf, bench_airy);
criterion_main!(benches);
