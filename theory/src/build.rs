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
            LawExpr::FreeProduct(a, b) => Arc::new(FreeProduct::new(a.build()?, b.build()?)?),
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
