//! Measures the constant C of the KS bound `C·ln(N)/N` that the ensemble tests of `landscape-simulate` hold one
//! sampled spectrum to (`KS_LOG_CONSTANT` in `simulate/src/ensembles/test_support.rs`).
//!
//! For 300 seeds each it draws GOE N = 400 (v = 1), Wishart 200×400 (λ = ½) and Wishart 400×200 (λ = 2, half the
//! eigenvalues at the atom 0), takes the KS distance of the eigenvalues from the semicircle or Marchenko–Pastur
//! law of the theory crate ([`eigenvalue_distances`]), and prints the median, 99th percentile and maximum of
//! `KS·N/ln N` per ensemble. It lives here rather than in `landscape-simulate` because the limit laws come from
//! `landscape-theory`, which the sampler crate never depends on. Nine hundred eigensolves of size 200–400:
//!
//! ```text
//! cargo run --release -p landscape-experiments --example measure_ks_constants
//! ```

use landscape_experiments::compare::eigenvalue_distances;
use landscape_simulate::ensembles::{Ensemble, Goe, Wishart, eigenvalues};
use landscape_simulate::rng::task_rng;
use landscape_theory::{MarchenkoPastur, Semicircle, SpectralLaw};

/// Median, 99th percentile and maximum of `v`.
fn quantiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    (q(0.5), q(0.99), v[v.len() - 1])
}

/// `KS·N/ln N` of the eigenvalues of one draw of `ens` (from `task_rng(seed, draw)`) against `law`. The zero
/// eigenvalues of a rank-deficient Wishart draw (rounding-sized) are moved onto the law's atom at 0 by
/// [`eigenvalue_distances`].
fn scaled_ks(ens: &dyn Ensemble, law: &dyn SpectralLaw, seed: u64, draw: u64) -> f64 {
    let ev = eigenvalues(&ens.sample(&mut task_rng(seed, draw))).unwrap();
    let n = ev.len() as f64;
    eigenvalue_distances(&ev, law).unwrap().ks * n / n.ln()
}

fn main() {
    let seeds = 300u64;
    let goe = Goe::new(400, 1.0).unwrap();
    let w_half = Wishart::new(200, 400, 1.0).unwrap();
    let w_two = Wishart::new(400, 200, 1.0).unwrap();
    let semicircle = Semicircle::new(1.0).unwrap();
    let mp_half = MarchenkoPastur::new(0.5, 1.0).unwrap();
    let mp_two = MarchenkoPastur::new(2.0, 1.0).unwrap();
    let c_goe: Vec<f64> = (0..seeds)
        .map(|s| scaled_ks(&goe, &semicircle, 1000, s))
        .collect();
    let c_half: Vec<f64> = (0..seeds)
        .map(|s| scaled_ks(&w_half, &mp_half, 2000, s))
        .collect();
    let c_two: Vec<f64> = (0..seeds)
        .map(|s| scaled_ks(&w_two, &mp_two, 3000, s))
        .collect();
    println!("KS·N/lnN (median, 99%, max) over {seeds} seeds:");
    println!("  GOE N=400:            {:?}", quantiles(c_goe));
    println!("  Wishart 200x400 λ=.5: {:?}", quantiles(c_half));
    println!("  Wishart 400x200 λ=2:  {:?}", quantiles(c_two));
}
