//! From a parsed law expression to a theory law object.

use std::sync::Arc;

use landscape_theory::expr::LawExpr;
use landscape_theory::free_product::FreeProduct;
use landscape_theory::free_sum::FreeSum;
use landscape_theory::neural_kernels::{ConjugateKernel, NeuralTangentKernel};
use landscape_theory::pennington_bahri::PenningtonBahri;
use landscape_theory::random_features::RandomFeatures;
use landscape_theory::tracy_widom::TracyWidom;
use landscape_theory::{FussCatalan, LawError, MarchenkoPastur, Semicircle, SpectralLaw};

/// Builds the law an expression names, validating every parameter.
pub fn build_law(expr: &LawExpr) -> Result<Arc<dyn SpectralLaw>, LawError> {
    Ok(match expr {
        LawExpr::MarchenkoPastur { ratio, variance } => {
            Arc::new(MarchenkoPastur::new(*ratio, *variance)?)
        }
        LawExpr::Semicircle { variance } => Arc::new(Semicircle::new(*variance)?),
        LawExpr::FussCatalan { depth } => Arc::new(FussCatalan::new(*depth)?),
        LawExpr::FreeSum(a, b) => Arc::new(FreeSum::new(build_law(a)?, build_law(b)?)?),
        LawExpr::FreeProduct(a, b) => Arc::new(FreeProduct::new(build_law(a)?, build_law(b)?)?),
        LawExpr::PenningtonBahri { phi, energy } => Arc::new(PenningtonBahri::new(*phi, *energy)?),
        LawExpr::RandomFeatures {
            phi,
            psi,
            eta,
            zeta,
        } => Arc::new(RandomFeatures::new(*phi, *psi, *eta, *zeta)?),
        LawExpr::TracyWidom { beta } => Arc::new(TracyWidom::new(*beta)?),
        LawExpr::Ck(spec) => Arc::new(ConjugateKernel::new(spec.clone())?),
        LawExpr::Ntk(spec) => Arc::new(NeuralTangentKernel::new(spec.clone())?),
        other => {
            return Err(LawError::Unsupported {
                law: "law",
                reason: format!("`{other}` has no implementation"),
            });
        }
    })
}
