//! Cost of evaluating free-convolution laws: construction (tabulation) and pdf / cdf on a 1000-point grid.
//!
//! Run with `cargo bench -p landscape-theory --bench free`. No randomness: the grids are deterministic.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use landscape_theory::free_product::FreeProduct;
use landscape_theory::free_sum::{FreeSum, FreeSumMethod};
use landscape_theory::pennington_bahri::PenningtonBahri;
use landscape_theory::{MarchenkoPastur, Semicircle, SpectralLaw};

const GRID_POINTS: usize = 1000;

fn grid(law: &dyn SpectralLaw) -> Vec<f64> {
    let s = law.support();
    let (lo, hi) = (s.lower_edge().unwrap(), s.upper_edge().unwrap());
    (0..GRID_POINTS)
        .map(|i| lo + (hi - lo) * (i as f64 + 0.5) / GRID_POINTS as f64)
        .collect()
}

fn laws() -> Vec<(&'static str, Box<dyn SpectralLaw>)> {
    let mp = |r: f64| -> Arc<dyn SpectralLaw> { Arc::new(MarchenkoPastur::new(r, 1.0).unwrap()) };
    let sc: Arc<dyn SpectralLaw> = Arc::new(Semicircle::new(0.1).unwrap());
    vec![
        (
            "pastur",
            Box::new(FreeSum::new(mp(0.5), sc.clone()).unwrap()),
        ),
        (
            "subordination",
            Box::new(FreeSum::with_method(mp(0.5), sc, FreeSumMethod::Subordination).unwrap()),
        ),
        (
            "free_product",
            Box::new(FreeProduct::new(mp(0.3), mp(0.6)).unwrap()),
        ),
        (
            "pennington_bahri",
            Box::new(PenningtonBahri::new(0.5, 0.05).unwrap()),
        ),
    ]
}

fn bench_pdf_cdf(c: &mut Criterion) {
    let mut group = c.benchmark_group("free_grid_1000");
    group.sample_size(10);
    for (name, law) in laws() {
        let xs = grid(law.as_ref());
        group.bench_with_input(BenchmarkId::new("pdf", name), &xs, |b, xs| {
            b.iter(|| xs.iter().map(|&x| law.pdf(black_box(x))).sum::<f64>())
        });
        group.bench_with_input(BenchmarkId::new("cdf", name), &xs, |b, xs| {
            b.iter(|| xs.iter().map(|&x| law.cdf(black_box(x))).sum::<f64>())
        });
    }
    group.finish();
}

fn bench_construction(c: &mut Criterion) {
    let mut group = c.benchmark_group("free_construction");
    group.sample_size(10);
    group.bench_function("pennington_bahri", |b| {
        b.iter(|| PenningtonBahri::new(black_box(0.5), 0.05).unwrap())
    });
    let mp: Arc<dyn SpectralLaw> = Arc::new(MarchenkoPastur::new(0.5, 1.0).unwrap());
    group.bench_function("free_sum_subordination", |b| {
        b.iter(|| FreeSum::new(mp.clone(), mp.clone()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench_pdf_cdf, bench_construction);
criterion_main!(benches);
