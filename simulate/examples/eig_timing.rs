//! Prints timings used by `benches/dense_vs_numpy.py`.
//!
//! * `eig_timing eig N [REPS]`: seconds for all eigenvalues of a seeded N×N GOE matrix (best of REPS, default 3).
//! * `eig_timing lanczos N STEPS`: seconds per matvec and per Lanczos step (full reorthogonalisation) for a dense
//!   N×N operator, and their ratio (the target is ≤ 1.2 at N ≥ 10⁴).

use std::time::Instant;

use faer::Mat;
use landscape_simulate::SymmetricOperator;
use landscape_simulate::dense::{self, DenseSymmetric};
use landscape_simulate::lanczos::{OnBreakdown, lanczos_decomposition};
use landscape_simulate::rng;
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

fn arg(args: &[String], i: usize, default: usize) -> usize {
    args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("lanczos") => {
            let n = arg(&args, 2, 10_000);
            let steps = arg(&args, 3, 80);
            let op = DenseSymmetric::new(goe(n, 2)).expect("GOE matrix is symmetric");
            let x: Vec<f64> = (0..n).map(|i| ((i % 7) as f64) - 3.0).collect();
            let mut y = vec![0.0; n];
            let reps = 20;
            op.apply(&x, &mut y).expect("dimensions match");
            let t = Instant::now();
            for _ in 0..reps {
                op.apply(&x, &mut y).expect("dimensions match");
            }
            let matvec = t.elapsed().as_secs_f64() / reps as f64;
            let t = Instant::now();
            let d = lanczos_decomposition(&op, &x, steps, OnBreakdown::Stop, &mut rng::seeded(0))
                .expect("finite operator");
            let step = t.elapsed().as_secs_f64() / d.steps() as f64;
            println!(
                "n {n} steps {} matvec_s {matvec:.6} lanczos_step_s {step:.6} ratio {:.3}",
                d.steps(),
                step / matvec
            );
        }
        _ => {
            let n = arg(&args, 2, 2000);
            let reps = arg(&args, 3, 3);
            let a = goe(n, 1);
            let mut best = f64::INFINITY;
            for _ in 0..reps {
                let t = Instant::now();
                let values = dense::eigenvalues(&a).expect("GOE matrix is symmetric");
                best = best.min(t.elapsed().as_secs_f64());
                std::hint::black_box(values);
            }
            println!("{best:.6}");
        }
    }
}
