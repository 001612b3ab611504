//! From a parsed law expression to the law object it names.

use std::sync::Arc;

use crate::expr::LawExpr;
use crate::free_product::FreeProduct;
use crate::free_sum::FreeSum;
use crate::neural_kernels::{ConjugateKernel, NeuralTangentKernel};
use crate::pennington_bahri::PenningtonBahri;
use crate::random_features::RandomFeatures;
use crate::tracy_widom::TracyWidom;
use crate::{FussCatalan, LawError, MarchenkoPastur, Semicircle, SpectralLaw};

impl LawExpr {
    /// Builds the law this expression names, validating every parameter.
    ///
    /// ```
    /// use landscape_theory::expr::parse;
    /// let law = parse("mp(ratio=0.25)").unwrap().build().unwrap();
    /// // The Marchenko–Pastur upper edge is (1 + √ratio)² = 2.25.
    /// assert!((law.support().upper_edge().unwrap() - 2.25).abs() < 1e-12);
    /// ```
    ///
    /// # Errors
    /// The [`LawError`] of the first constructor that rejects its parameters.
    pub fn build(&self) -> Result<Arc<dyn SpectralLaw>, LawError> {
        Ok(match self {
            LawExpr::MarchenkoPastur { ratio, variance } => {
                Arc::new(MarchenkoPastur::new(*ratio, *variance)?)
            }
            LawExpr::Semicircle { variance } => Arc::new(Semicircle::new(*variance)?),
            LawExpr::FussCatalan { depth } => Arc::new(FussCatalan::new(*depth)?),
            LawExpr::FreeSum(a, b) => Arc::new(FreeSum::new(a.build()?, b.build()?)?),
            LawExpr::FreeProduct(a, b) => match (fuss_catalan_depth(a), fuss_catalan_depth(b)) {
                // S-transforms multiply under ⊠ and S_{FC_L}(z) = (1 + z)^{−L}, so FC_a ⊠ FC_b = FC_{a+b} exactly
                // (`docs/theory.md` §1.4). The closed form replaces a numerical table that, at the `x^{−L/(L+1)}`
                // edge of depths ≥ 7, loses ~1e-6 of mass near 0 and fails its mass balance.
                (Some(da), Some(db)) => Arc::new(FussCatalan::new(da.saturating_add(db))?),
                _ => Arc::new(FreeProduct::new(a.build()?, b.build()?)?),
            },
            LawExpr::PenningtonBahri { phi, energy } => {
                Arc::new(PenningtonBahri::new(*phi, *energy)?)
            }
            LawExpr::RandomFeatures {
                phi,
                psi,
                eta,
                zeta,
            } => Arc::new(RandomFeatures::new(*phi, *psi, *eta, *zeta)?),
            LawExpr::TracyWidom { beta } => Arc::new(TracyWidom::new(*beta)?),
            LawExpr::Ck(spec) => Arc::new(ConjugateKernel::new(spec.clone())?),
            LawExpr::Ntk(spec) => Arc::new(NeuralTangentKernel::new(spec.clone())?),
        })
    }
}

/// `Some(L)` when the expression is the Fuss–Catalan law `FC_L` in closed form: `fuss_catalan(depth=L)`,
/// `mp(ratio=1, variance=1)` (= `FC_1`), or a free product of such laws.
// Exactly MP(1, 1): only then is the law FC₁ (a nearby ratio is a different law).
#[allow(clippy::float_cmp)]
fn fuss_catalan_depth(expr: &LawExpr) -> Option<u32> {
    match expr {
        LawExpr::FussCatalan { depth } => Some(*depth),
        LawExpr::MarchenkoPastur { ratio, variance } if *ratio == 1.0 && *variance == 1.0 => {
            Some(1)
        }
        LawExpr::FreeProduct(a, b) => fuss_catalan_depth(a)?.checked_add(fuss_catalan_depth(b)?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::expr::parse;

    #[test]
    fn products_of_fuss_catalan_laws_are_built_in_closed_form() {
        for (text, depth) in [
            (
                "free_product(fuss_catalan(depth=4), fuss_catalan(depth=4))",
                8,
            ),
            ("free_product(mp(ratio=1), fuss_catalan(depth=6))", 7),
            (
                "free_product(fuss_catalan(depth=4), free_product(mp(ratio=1, variance=1), fuss_catalan(depth=4)))",
                9,
            ),
        ] {
            let law = parse(text).unwrap().build().unwrap();
            assert_eq!(
                law.to_string(),
                format!("fuss_catalan(depth={depth})"),
                "{text}"
            );
        }
        // Anything else stays a numerical product, and FC's depth limit is still enforced.
        let law = parse("free_product(mp(ratio=0.5), fuss_catalan(depth=2))")
            .unwrap()
            .build()
            .unwrap();
        assert!(law.to_string().starts_with("free_product("));
        assert!(
            parse("free_product(fuss_catalan(depth=40), fuss_catalan(depth=40))")
                .unwrap()
                .build()
                .is_err()
        );
    }
}
