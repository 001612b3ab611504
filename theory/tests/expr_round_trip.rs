//! The law-expression language round-trips: for any expression tree, `parse(expr.to_string()) == expr`.
//!
//! `Display` prints every number with Rust's shortest representation that reads back to the same `f64`, so the
//! round trip is exact for every finite value, including subnormals, signed zeros and values near `f64::MAX`.
//! Parsing does not check law domains (that is `LawExpr::build`'s job), so any finite number is fair here.

use landscape_theory::activation::Activation;
use landscape_theory::neural_kernels::{InputData, NetworkSpec, Parameterization};
use landscape_theory::{LawExpr, parse};
use proptest::prelude::*;

/// Random cases per property. The default 256 keeps this file under a second in the test profile.
const CASES: u32 = 256;

/// Any finite f64: normal, subnormal and zero, of either sign.
fn finite() -> impl Strategy<Value = f64> {
    use prop::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO
}

fn network_spec(is_ck: bool) -> impl Strategy<Value = NetworkSpec> {
    (
        finite(),
        finite(),
        prop::collection::vec(finite(), 1..5),
        prop::sample::select(Activation::ALL.to_vec()),
        prop::option::of(1usize..=64),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(finite()),
    )
        .prop_map(
            move |(n, d0, widths, activation, layer, standard, orthonormal, weight_variance)| {
                let mut spec = NetworkSpec::new(n, d0, widths, activation);
                // `layer` belongs to the CK and `parameterization` to the NTK; the parser rejects them elsewhere.
                if is_ck {
                    spec.layer = layer;
                } else if standard {
                    spec.parameterization = Parameterization::Standard;
                }
                if orthonormal {
                    spec.data = InputData::Orthonormal;
                }
                spec.weight_variance = weight_variance;
                spec
            },
        )
}

fn leaf() -> impl Strategy<Value = LawExpr> {
    prop_oneof![
        (finite(), finite())
            .prop_map(|(ratio, variance)| LawExpr::MarchenkoPastur { ratio, variance }),
        finite().prop_map(|variance| LawExpr::Semicircle { variance }),
        (1u32..=64).prop_map(|depth| LawExpr::FussCatalan { depth }),
        (finite(), finite()).prop_map(|(phi, energy)| LawExpr::PenningtonBahri { phi, energy }),
        (finite(), finite(), finite(), finite()).prop_map(|(phi, psi, eta, zeta)| {
            LawExpr::RandomFeatures {
                phi,
                psi,
                eta,
                zeta,
            }
        }),
        prop::sample::select(vec![1u8, 2, 4]).prop_map(|beta| LawExpr::TracyWidom { beta }),
        network_spec(true).prop_map(LawExpr::Ck),
        network_spec(false).prop_map(LawExpr::Ntk),
    ]
}

/// Trees up to depth 4 of free sums and products over the leaves.
fn expression() -> impl Strategy<Value = LawExpr> {
    leaf().prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| LawExpr::FreeSum(Box::new(a), Box::new(b))),
            (inner.clone(), inner)
                .prop_map(|(a, b)| LawExpr::FreeProduct(Box::new(a), Box::new(b))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn display_then_parse_gives_the_same_expression(expr in expression()) {
        let text = expr.to_string();
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(&parsed, &expr, "text: {}", text);
        // Printing is a fixed point too: the canonical text of the parsed expression is the same string.
        prop_assert_eq!(parsed.to_string(), text);
    }
}
