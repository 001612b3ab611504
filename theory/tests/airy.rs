//! `Ai` and `Ai'` against mpmath (`theory/tests/reference/airy.py`, 50 digits).

use landscape_theory::airy::airy_ai_and_derivative;

#[allow(
    clippy::excessive_precision,
    clippy::unreadable_literal,
    clippy::approx_constant
)]
mod reference {
    include!("reference/airy_values.rs");
}
use reference::AIRY_REFERENCE;

/// Relative-error floor for `x ≥ 0` (measured maximum 1.1e-15 over the reference set, so ~4× headroom; the
/// double-double series and the CF2 each round a few times in the final `f64` products).
const DECAYING_REL_TOL: f64 = 4e-15;
/// Error floor for `x < 0` in units of the envelope `|x|^{∓1/4}/√π` (measured maximum 6.1e-16; the phase ζ is
/// carried in double-double, so there is no `ζ·ε` growth).
const OSCILLATING_ENVELOPE_TOL: f64 = 3e-15;

#[test]
fn airy_matches_mpmath_relative_where_decaying_and_to_the_envelope_where_oscillating() {
    let mut worst_decaying = 0.0_f64;
    let mut worst_oscillating = 0.0_f64;
    for &(x, ai_ref, aip_ref) in AIRY_REFERENCE {
        let (ai, aip) = airy_ai_and_derivative(x);
        if x >= 0.0 {
            if ai_ref == 0.0 || ai_ref.abs() < f64::MIN_POSITIVE {
                // Subnormal range: only absolute agreement at the underflow scale is meaningful.
                assert!(
                    (ai - ai_ref).abs() < 1e-300,
                    "x = {x}: Ai = {ai:e}, mpmath {ai_ref:e}"
                );
                continue;
            }
            let e_ai = ((ai - ai_ref) / ai_ref).abs();
            let e_aip = ((aip - aip_ref) / aip_ref).abs();
            worst_decaying = worst_decaying.max(e_ai).max(e_aip);
            assert!(
                e_ai <= DECAYING_REL_TOL && e_aip <= DECAYING_REL_TOL,
                "x = {x}: Ai = {ai:e} (mpmath {ai_ref:e}, rel err {e_ai:e}), Ai' = {aip:e} (mpmath {aip_ref:e}, \
                 rel err {e_aip:e}), bound {DECAYING_REL_TOL:e}"
            );
        } else {
            let z = -x;
            let env_ai = z.powf(-0.25) / std::f64::consts::PI.sqrt();
            let env_aip = z.powf(0.25) / std::f64::consts::PI.sqrt();
            let bound = OSCILLATING_ENVELOPE_TOL;
            let e_ai = (ai - ai_ref).abs() / env_ai.max(1.0);
            let e_aip = (aip - aip_ref).abs() / env_aip.max(1.0);
            worst_oscillating = worst_oscillating.max(e_ai).max(e_aip);
            assert!(
                e_ai <= bound && e_aip <= bound,
                "x = {x}: Ai = {ai:e} (mpmath {ai_ref:e}, err/env {e_ai:e}), Ai' = {aip:e} (mpmath {aip_ref:e}, \
                 err/env {e_aip:e}), bound {bound:e}"
            );
        }
    }
    eprintln!(
        "worst relative error (x ≥ 0): {worst_decaying:e}; worst error/envelope (x < 0): {worst_oscillating:e}"
    );
}

#[test]
fn airy_satisfies_its_differential_equation_across_all_method_regions() {
    // Ai'' = x Ai: a centred difference of Ai' must match x·Ai to O(h²) — an internal-consistency check that does
    // not use mpmath, across all three method regions.
    let h = 1e-4;
    let mut x = -14.0;
    while x < 20.0 {
        let (ai, _) = airy_ai_and_derivative(x);
        let (_, dp) = airy_ai_and_derivative(x + h);
        let (_, dm) = airy_ai_and_derivative(x - h);
        let second = (dp - dm) / (2.0 * h);
        let scale = ai
            .abs()
            .max(1e-3 * (-2.0 / 3.0 * x.max(0.0).powf(1.5)).exp());
        // O(h²)·|Ai''''| truncation plus 1e-15/h rounding; both well below 1e-7 of the scale here.
        assert!(
            (second - x * ai).abs() <= 1e-7 * scale.max(1e-300) * (1.0 + x.abs()),
            "x = {x}: (Ai'(x+h) − Ai'(x−h))/2h = {second:e}, x·Ai = {:e}",
            x * ai
        );
        x += 0.37;
    }
}
