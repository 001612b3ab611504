//! Closed-form limit CDFs and a Kolmogorov–Smirnov harness for the ensemble tests.
//!
//! This crate cannot use `landscape-theory`, so the two closed forms the tests need are written out here and
//! checked against direct quadrature of the densities below.

use std::f64::consts::PI;

/// Semicircle SC(v) CDF, `docs/theory.md` §1.1: `F(x) = 1/2 + x√(4v − x²)/(4πv) + arcsin(x/(2√v))/π` on |x| ≤ 2√v.
pub fn semicircle_cdf(x: f64, variance: f64) -> f64 {
    let r = 2.0 * variance.sqrt();
    if x <= -r {
        0.0
    } else if x >= r {
        1.0
    } else {
        0.5 + x * (r * r - x * x).sqrt() / (4.0 * PI * variance) + (x / r).asin() / PI
    }
}

/// Marchenko–Pastur MP(λ, σ²) CDF with λ = p/n, including the atom 1 − 1/λ at 0 for λ > 1. `docs/theory.md` §1.2 (the
/// Mathematica / Distributions.jl closed form, with xs = x/σ² and R = √(4λ − (xs − 1 − λ)²)).
pub fn mp_cdf(x: f64, ratio: f64, variance: f64) -> f64 {
    let l = ratio;
    let xs = x / variance;
    let lo = (1.0 - l.sqrt()).powi(2);
    let hi = (1.0 + l.sqrt()).powi(2);
    let atom = if l > 1.0 { 1.0 - 1.0 / l } else { 0.0 };
    if x < 0.0 {
        return 0.0;
    }
    if xs <= lo {
        return atom;
    }
    if xs >= hi {
        return 1.0;
    }
    let r = (4.0 * l - (xs - 1.0 - l).powi(2)).max(0.0).sqrt();
    let a = (1.0 + l - xs).atan2(r);
    if l < 1.0 {
        let b = (-(l - 1.0).powi(2) + xs * (1.0 + l)).atan2((1.0 - l) * r);
        (PI * l + r - (1.0 + l) * a - (1.0 - l) * b) / (2.0 * PI * l)
    } else if l > 1.0 {
        let b = (-(l - 1.0).powi(2) + xs * (1.0 + l)).atan2((l - 1.0) * r);
        1.0 + (-PI + r - (1.0 + l) * a - (l - 1.0) * b) / (2.0 * PI * l)
    } else {
        // λ = 1: the limit of either branch; the (1 − λ) term vanishes.
        (PI + r - 2.0 * a) / (2.0 * PI)
    }
}

/// Kolmogorov–Smirnov distance between the empirical law of `samples` and a right-continuous CDF that may have
/// atoms: `max_i max(F(x_i−) − (i−1)/n, i/n − F(x_i))` over the sorted samples.
pub fn ks_distance(samples: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let mut xs = samples.to_vec();
    xs.sort_by(f64::total_cmp);
    let n = xs.len() as f64;
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            let below = cdf(x.next_down()) - i as f64 / n;
            let above = (i + 1) as f64 / n - cdf(x);
            below.max(above)
        })
        .fold(0.0, f64::max)
}

/// The constant C of the KS bound `C·ln(N)/N` for the ESD of one N×N sample against its limit law.
///
/// Eigenvalue rigidity makes the KS distance O(N^{-1+ε}) with overwhelming probability (Erdős–Yau–Yin 2012), so
/// the bound shrinks with N. Measured by the `measure_ks_constants` example of `landscape-experiments` (300 seeds
/// each): KS·N/ln N has median / 99th percentile / max 0.49 / 0.68 / 0.70 for GOE N = 400, 0.50 / 0.68 / 0.75 for
/// Wishart 200×400 (λ = 1/2) and 0.44 / 0.63 / 0.66 for Wishart 400×200 (λ = 2). The distribution is tight
/// (max ≈ 1.5× median), and C = 1.5 is twice the largest of 900 draws: no draw came within a factor 2, so the
/// per-test false-failure probability is below 1/900 with a wide margin (rigid spectra have tails far lighter
/// than exponential).
pub const KS_LOG_CONSTANT: f64 = 1.5;

/// The KS bound `KS_LOG_CONSTANT · ln(N)/N`.
pub fn ks_bound(n: usize) -> f64 {
    KS_LOG_CONSTANT * (n as f64).ln() / n as f64
}

/// Composite Simpson rule on [a, b] with `panels` (even) sub-intervals.
pub fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, panels: usize) -> f64 {
    let h = (b - a) / panels as f64;
    let mut s = f(a) + f(b);
    for k in 1..panels {
        let w = if k % 2 == 1 { 4.0 } else { 2.0 };
        s += w * f(a + k as f64 * h);
    }
    s * h / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ∫ density from the lower edge to x with the substitution x = a + (b − a)(1 − cos t)/2, which turns the
    /// square-root edges into a smooth integrand sin²t; the density is the one of `docs/theory.md` §1.2 / §1.1.
    fn mp_cdf_by_quadrature(x: f64, l: f64, v: f64) -> f64 {
        let (a, b) = (v * (1.0 - l.sqrt()).powi(2), v * (1.0 + l.sqrt()).powi(2));
        let atom = if l > 1.0 { 1.0 - 1.0 / l } else { 0.0 };
        let t_end = (1.0 - 2.0 * (x - a) / (b - a)).acos();
        let half = (b - a) / 2.0;
        let integrand = |t: f64| {
            let xt = a + half * (1.0 - t.cos());
            if a == 0.0 {
                // λ = 1: sin²t / (1 − cos t) = 1 + cos t removes the 0/0 at t = 0.
                half * (1.0 + t.cos()) / (2.0 * PI * v * l)
            } else {
                half * half * t.sin().powi(2) / (2.0 * PI * v * l * xt)
            }
        };
        atom + simpson(integrand, 0.0, t_end, 2000)
    }

    fn semicircle_cdf_by_quadrature(x: f64, v: f64) -> f64 {
        let r = 2.0 * v.sqrt();
        let t_end = (-x / r).acos();
        simpson(
            |t: f64| r * r * t.sin().powi(2) / (2.0 * PI * v),
            0.0,
            t_end,
            2000,
        )
    }

    /// Simpson with 2000 panels on a smooth integrand: error ≪ 1e-10.
    const QUADRATURE_TOL: f64 = 1e-10;

    #[test]
    fn mp_cdf_closed_form_agrees_with_quadrature_of_the_density() {
        for &(l, v) in &[(0.25, 1.0), (0.5, 2.0), (2.0, 1.0), (4.0, 0.5), (1.0, 1.0)] {
            let (a, b) = (
                v * (1.0 - f64::sqrt(l)).powi(2),
                v * (1.0 + f64::sqrt(l)).powi(2),
            );
            for k in 1..10 {
                let x = a + (b - a) * k as f64 / 10.0;
                let closed = mp_cdf(x, l, v);
                let quad = mp_cdf_by_quadrature(x, l, v);
                assert!(
                    (closed - quad).abs() < QUADRATURE_TOL,
                    "λ {l}, σ² {v}, x {x}: closed {closed} vs quadrature {quad}"
                );
            }
            assert!((mp_cdf(b, l, v) - 1.0).abs() < 1e-15);
        }
    }

    #[test]
    fn semicircle_cdf_closed_form_agrees_with_quadrature() {
        for &v in &[1.0, 2.5] {
            for k in 1..10 {
                let x = 2.0 * f64::sqrt(v) * (-1.0 + 2.0 * k as f64 / 10.0);
                let closed = semicircle_cdf(x, v);
                let quad = semicircle_cdf_by_quadrature(x, v);
                assert!((closed - quad).abs() < QUADRATURE_TOL, "v {v}, x {x}");
            }
        }
    }

    #[test]
    fn ks_distance_handles_atoms_and_exact_matches() {
        // Samples exactly at the quantiles (i − 1/2)/n of U(0,1): KS = 1/(2n).
        let n = 10;
        let xs: Vec<f64> = (0..n).map(|i| (i as f64 + 0.5) / n as f64).collect();
        let ks = ks_distance(&xs, |x| x.clamp(0.0, 1.0));
        assert!((ks - 0.05).abs() < 1e-15, "{ks}");
        // Half the mass at 0, half uniform: samples matching it have KS 1/(2·(n/2))·(1/2) = 0.05.
        let mut ys = vec![0.0; n];
        ys.extend(xs.iter());
        let ks = ks_distance(&ys, |x| if x < 0.0 { 0.0 } else { 0.5 + 0.5 * x.min(1.0) });
        assert!((ks - 0.025).abs() < 1e-15, "{ks}");
    }
}
