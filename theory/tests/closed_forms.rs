//! The closed-form laws against 30-digit reference values computed by quadrature in mpmath
//! (`tests/reference/closed_forms.py`, output committed as `tests/reference/closed_forms.txt`).

// Checks are written `!(error <= bound)` so that a NaN fails them.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use landscape_theory::{Complex64, FussCatalan, MarchenkoPastur, Semicircle, SpectralLaw};

/// The accuracy target of `docs/theory.md` §3 for closed forms, relative to the reference value.
const CLOSED_FORM_REL: f64 = 1e-10;

/// Absolute floor for values that are small compared with the law's natural scale (a cdf of 1e-3, or a Cauchy value
/// close to 0): the Marchenko–Pastur cdf formula cancels to ~1e-13 absolute at ratio 1e-3, so relative accuracy
/// below 1e-10·1e-3 is not promised.
const CDF_ABS: f64 = 1e-13;

const REFERENCE: &str = include_str!("reference/closed_forms.txt");

struct Row {
    law: Box<dyn SpectralLaw>,
    kind: String,
    arg: Complex64,
    value: Complex64,
    line: String,
}

fn parse(line: &str) -> Row {
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields.len(), 8, "malformed reference line: {line}");
    let num = |i: usize| -> f64 {
        fields[i]
            .parse()
            .unwrap_or_else(|e| panic!("field {i} of {line}: {e}"))
    };
    let law: Box<dyn SpectralLaw> = match fields[0] {
        "mp" => Box::new(MarchenkoPastur::new(num(1), num(2)).unwrap()),
        "semicircle" => Box::new(Semicircle::new(num(1)).unwrap()),
        "fuss_catalan" => Box::new(FussCatalan::new(fields[1].parse().unwrap()).unwrap()),
        other => panic!("unknown law {other} in {line}"),
    };
    Row {
        law,
        kind: fields[3].to_string(),
        arg: Complex64::new(num(4), num(5)),
        value: Complex64::new(num(6), num(7)),
        line: line.to_string(),
    }
}

#[test]
fn closed_forms_match_mpmath_quadrature_to_1e_10() {
    let mut checked = 0;
    let mut worst = (0.0_f64, String::new());
    let mut failures = Vec::new();
    for line in REFERENCE.lines().filter(|l| !l.trim().is_empty()) {
        let row = parse(line);
        let (got, floor) = match row.kind.as_str() {
            "pdf" => (Complex64::from(row.law.pdf(row.arg.re)), 0.0),
            "cdf" => (Complex64::from(row.law.cdf(row.arg.re)), CDF_ABS),
            "moment" => (Complex64::from(row.law.moment(row.arg.re as u32)), 0.0),
            "cauchy" => (row.law.cauchy(row.arg), 0.0),
            other => panic!("unknown kind {other}"),
        };
        let error = (got - row.value).norm();
        let bound = CLOSED_FORM_REL * row.value.norm() + floor;
        let relative = error / row.value.norm().max(f64::MIN_POSITIVE);
        if relative > worst.0 {
            worst = (relative, row.line.clone());
        }
        if !(error <= bound) {
            failures.push(format!(
                "{} : got {got}, error {error:e} > bound {bound:e}",
                row.line
            ));
        }
        checked += 1;
    }
    assert!(checked > 300, "only {checked} reference rows");
    assert!(
        failures.is_empty(),
        "{} of {checked} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "{checked} rows; worst relative error {:e} at {}",
        worst.0, worst.1
    );
}

/// Absolute cdf tolerance at extreme ratios. The Chebyshev series sums ≤ 60 terms of size ≤ 1 with ε rounding each,
/// and the angle θ inherits the rounding of `x − λ₋` relative to the width `4√λσ²` (~2.5e-11 at λ = 1e-12 for an
/// `x` given to ε): the cdf's derivative in θ is ≤ 2/π, so the input rounding alone moves it by up to ~2e-11 at
/// λ = 1e-12 — which mpmath reproduces, since it evaluates at the same double `x`. What is left is the series'
/// rounding, measured at 3e-16.
const EXTREME_CDF_ABS: f64 = 1e-14;

/// Relative tolerance on the pdf and the Cauchy transform at extreme ratios: `x − λ₋` and `λ₊ − x` are computed
/// from edges rounded to ε·σ², which relative to a width `4√λσ²` is ε/(4√λ) ≈ 6e-11 at λ = 1e-12; the rows stay a
/// fraction ≥ 1e-6 of the width from an edge, where a square root halves the relative error of the factor.
const EXTREME_PDF_REL: f64 = 1e-4;

const EXTREME_REFERENCE: &str = include_str!("reference/mp_extreme_ratios.txt");

#[test]
fn mp_cdf_keeps_full_accuracy_at_ratios_from_1e_minus_12_to_1e12() {
    let mut failures = Vec::new();
    let mut worst_cdf = 0.0_f64;
    let mut checked = 0;
    for line in EXTREME_REFERENCE.lines().filter(|l| !l.trim().is_empty()) {
        let row = parse(line);
        let (got, bound) = match row.kind.as_str() {
            "pdf" => {
                let got = row.law.pdf(row.arg.re);
                (Complex64::from(got), EXTREME_PDF_REL * row.value.norm())
            }
            "cdf" => (Complex64::from(row.law.cdf(row.arg.re)), EXTREME_CDF_ABS),
            "cauchy" => (row.law.cauchy(row.arg), EXTREME_PDF_REL * row.value.norm()),
            other => panic!("unknown kind {other}"),
        };
        let error = (got - row.value).norm();
        if row.kind == "cdf" {
            worst_cdf = worst_cdf.max(error);
        }
        if !(error <= bound) {
            failures.push(format!(
                "{} : got {got}, error {error:e} > bound {bound:e}",
                row.line
            ));
        }
        checked += 1;
    }
    assert!(checked > 150, "only {checked} reference rows");
    assert!(
        failures.is_empty(),
        "{} of {checked} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{checked} rows; worst absolute cdf error {worst_cdf:e}");
}
