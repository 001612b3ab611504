//! Free multiplicative convolution realised by a Haar rotation: `A^{1/2} O B Oᵀ A^{1/2}`.

use super::{Ensemble, haar_orthogonal, product};
use crate::SimulateError;
use crate::rng::Rng;
use faer::Mat;

/// `M = A^{1/2} O B Oᵀ A^{1/2}` with A, B drawn independently from two ensembles of positive semidefinite matrices
/// of the same dimension and O Haar-orthogonal.
///
/// A and OBOᵀ are asymptotically free (Voiculescu 1991), and `A^{1/2} (OBOᵀ) A^{1/2}` has the spectrum of the
/// product `A·OBOᵀ`, so the ESD tends to `μ_A ⊠ μ_B` (`docs/theory.md` §1.4): the limit expression is
/// `free_product(LAW_A, LAW_B)`. The square root is taken from the eigendecomposition of A, with eigenvalues
/// clipped at 0 (round-off makes the smallest eigenvalues of a singular Wishart matrix ±1e-16).
/// Draw order: A, then B, then O. Cost O(N³).
#[derive(Debug)]
pub struct FreeProductEnsemble {
    a: Box<dyn Ensemble>,
    b: Box<dyn Ensemble>,
}

impl FreeProductEnsemble {
    /// Validates that both ensembles have the same dimension. Both must produce positive semidefinite matrices
    /// (Wishart, products of Wishart, deep linear Jacobians); that is the caller's contract, as for the law.
    pub fn new(a: Box<dyn Ensemble>, b: Box<dyn Ensemble>) -> Result<Self, SimulateError> {
        if a.dim() != b.dim() {
            return Err(SimulateError::invalid(
                "second ensemble dimension",
                b.dim(),
                format!("the first ensemble's dimension {}", a.dim()),
            ));
        }
        Ok(Self { a, b })
    }
}

impl Ensemble for FreeProductEnsemble {
    fn dim(&self) -> usize {
        self.a.dim()
    }

    fn sample(&self, rng: &mut Rng) -> Mat<f64> {
        let a = self.a.sample(rng);
        let b = self.b.sample(rng);
        let o = haar_orthogonal(self.dim(), rng);
        let n = self.dim();
        // A^{1/2} = V diag(√λ) Vᵀ; the eigensolver is sequential, so this is bit-reproducible.
        let (values, vectors) = match crate::dense::eigen(&a) {
            Ok(pair) => pair,
            // A symmetric finite matrix always has an eigendecomposition; a failure here means non-finite
            // input, which the ensembles never produce. Fall back to a NaN matrix that every consumer rejects.
            Err(_) => return Mat::from_fn(n, n, |_, _| f64::NAN),
        };
        let scaled = Mat::from_fn(n, n, |i, j| vectors[(i, j)] * values[j].max(0.0).sqrt());
        let root = product(scaled.as_ref(), vectors.transpose(), 1.0);
        let ob = product(o.as_ref(), b.as_ref(), 1.0);
        let rotated = product(ob.as_ref(), o.transpose(), 1.0);
        let left = product(root.as_ref(), rotated.as_ref(), 1.0);
        let mut m = product(left.as_ref(), root.as_ref(), 1.0);
        super::symmetrize(&mut m);
        m
    }

    fn limit_expression(&self) -> Option<String> {
        Some(format!(
            "free_product({}, {})",
            self.a.limit_expression()?,
            self.b.limit_expression()?
        ))
    }

    fn name(&self) -> &'static str {
        "free_product"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensembles::Wishart;
    use crate::rng::seeded;

    /// MP(λ₁) ⊠ MP(λ₂) moments (`docs/theory.md` §1.4): m2 = 1 + λ₁ + λ₂, m3 = 1 + 3λ₁ + 3λ₂ + λ₁² + 3λ₁λ₂ + λ₂².
    /// Normalised trace moments of one N = 300 sample fluctuate by O(1/N) with an O(1/N) bias; the measured
    /// relative deviation over 10 seeds is below 0.01 for m2 and 0.02 for m3, so 0.04 leaves a 2× margin.
    const MOMENT_REL_TOL: f64 = 0.04;

    #[test]
    fn free_product_of_wisharts_has_the_predicted_moments() {
        let n = 300;
        let (l1, l2) = (0.5, 0.25);
        let ens = FreeProductEnsemble::new(
            Box::new(Wishart::new(n, 600, 1.0).unwrap()),
            Box::new(Wishart::new(n, 1200, 1.0).unwrap()),
        )
        .unwrap();
        assert_eq!(
            ens.limit_expression().unwrap(),
            "free_product(mp(ratio=0.5, variance=1), mp(ratio=0.25, variance=1))"
        );
        let m = ens.sample(&mut seeded(11));
        let values = crate::dense::eigenvalues(&m).unwrap();
        let moment = |k: i32| values.iter().map(|v| v.powi(k)).sum::<f64>() / n as f64;
        let (w2, w3) = (
            1.0 + l1 + l2,
            1.0 + 3.0 * l1 + 3.0 * l2 + l1 * l1 + 3.0 * l1 * l2 + l2 * l2,
        );
        assert!(
            (moment(2) / w2 - 1.0).abs() < MOMENT_REL_TOL,
            "seed 11, N {n}: m2 {} vs {w2}",
            moment(2)
        );
        assert!(
            (moment(3) / w3 - 1.0).abs() < MOMENT_REL_TOL,
            "seed 11, N {n}: m3 {} vs {w3}",
            moment(3)
        );
        assert!(values[0] > -1e-10, "PSD up to round-off: {}", values[0]);
    }

    #[test]
    fn mismatched_dimensions_are_rejected() {
        let err = FreeProductEnsemble::new(
            Box::new(Wishart::new(10, 20, 1.0).unwrap()),
            Box::new(Wishart::new(12, 20, 1.0).unwrap()),
        )
        .unwrap_err();
        assert!(err.to_string().contains("dimension"), "{err}");
    }
}
