//! Cost of evaluating closed-form laws: the pdf on a 1000-point grid across the support.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use landscape_theory::{FussCatalan, MarchenkoPastur, Semicircle, SpectralLaw};

const GRID_POINTS: usize = 1000;

/// `GRID_POINTS` midpoints of the hull of the support (deterministic: no RNG needed).
fn grid(law: &dyn SpectralLaw) -> Vec<f64> {
    let (lo, hi) = landscape_theory::law::hull(law);
    (0..GRID_POINTS)
        .map(|i| lo + (hi - lo) * (i as f64 + 0.5) / GRID_POINTS as f64)
        .collect()
}

fn pdf_on_grid(c: &mut Criterion) {
    let mut group = c.benchmark_group("pdf_1000_points");
    let laws: Vec<Box<dyn SpectralLaw>> = vec![
        Box::new(MarchenkoPastur::new(0.5, 1.0).unwrap()),
        Box::new(Semicircle::new(1.0).unwrap()),
        Box::new(FussCatalan::new(2).unwrap()),
        Box::new(FussCatalan::new(6).unwrap()),
    ];
    for law in &laws {
        let xs = grid(law.as_ref());
        group.bench_with_input(
            BenchmarkId::from_parameter(law.to_string()),
            &xs,
            |b, xs| b.iter(|| xs.iter().map(|&x| law.pdf(black_box(x))).sum::<f64>()),
        );
    }
    group.finish();
}

fn cdf_on_grid(c: &mut Criterion) {
    let mut group = c.benchmark_group("cdf_1000_points");
    let laws: Vec<Box<dyn SpectralLaw>> = vec![
        Box::new(MarchenkoPastur::new(0.5, 1.0).unwrap()),
        Box::new(FussCatalan::new(2).unwrap()),
    ];
    for law in &laws {
        let xs = grid(law.as_ref());
        group.bench_with_input(
            BenchmarkId::from_parameter(law.to_string()),
            &xs,
            |b, xs| b.iter(|| xs.iter().map(|&x| law.cdf(black_box(x))).sum::<f64>()),
        );
    }
    group.finish();
}

criterion_group!(benches, pdf_on_grid, cdf_on_grid);
criterion_main!(benches);
