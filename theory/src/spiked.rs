//! Spiked models: where an isolated eigenvalue (or singular value) leaves the bulk, and how well its eigenvector
//! aligns with the planted direction (BBP phase transition).
//!
//! Three models, each a validated type whose `predict()` returns a [`SpikePrediction`]:
//!
//! * [`SpikedCovariance`]: sample covariance of `n` samples in dimension `p` (`γ = p/n`) with population
//!   covariance `σ²I + (ℓ − σ²)uuᵀ` (Baik, Ben Arous & Péché, Ann. Probab. 33 (2005) 1643; Baik & Silverstein,
//!   J. Multivariate Anal. 97 (2006) 1382; Paul, Statist. Sinica 17 (2007) 1617).
//! * [`SpikedWigner`]: `θuuᵀ + W` with `W` a Wigner matrix of off-diagonal variance `σ²/N` (Péché, PTRF 134 (2006)
//!   127; Féral & Péché, CMP 272 (2007) 185; Benaych-Georges & Nadakuditi, Adv. Math. 227 (2011) 494).
//! * [`InformationPlusNoise`]: singular values of `θuvᵀ + G`, `G` `n × m` with entries of variance `1/m`,
//!   `c = n/m ≤ 1` (Benaych-Georges & Nadakuditi, J. Multivariate Anal. 111 (2012) 120, §3.1).
//!
//! Below the threshold the top eigenvalue sticks to the bulk edge and the overlap tends to 0. Formulas:
//! `docs/theory.md` §1.6.

use crate::LawError;
use crate::error::{require_finite, require_non_negative, require_positive};

/// What a spiked model predicts for its largest eigenvalue (or singular value) as the dimension grows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikePrediction {
    /// The critical spike strength (in the model's own spike units) above which an outlier separates.
    pub threshold: f64,
    /// Whether the spike is strictly above the threshold.
    pub detectable: bool,
    /// Limit of the top eigenvalue (singular value for [`InformationPlusNoise`]); the bulk edge when not
    /// detectable.
    pub outlier: f64,
    /// Limit of the squared overlap `|⟨v̂, u⟩|²` between the top sample eigenvector and the planted direction
    /// (the left singular vector for [`InformationPlusNoise`]); 0 when not detectable.
    pub overlap_sq: f64,
    /// Limit of the squared overlap of the right singular vector, `|⟨v̂, v⟩|²`; `None` for the symmetric models.
    pub right_overlap_sq: Option<f64>,
    /// Variance of the Gaussian limit of `√n·(λ̂ − outlier)` (real case) when it is known and the spike is
    /// detectable; `None` otherwise (below threshold the fluctuations are Tracy–Widom at scale `n^{−2/3}`).
    pub outlier_variance: Option<f64>,
}

/// Spiked covariance: population covariance `Σ = σ²I + (ℓ − σ²)uuᵀ` with one population eigenvalue `ℓ`
/// (`spike`), `γ = p/n` (`ratio`), noise level `σ²` (`variance`).
///
/// * threshold `ℓ_c = σ²(1 + √γ)`;
/// * outlier `λ̂ → ℓ(1 + γσ²/(ℓ − σ²))` above it, `σ²(1 + √γ)²` below;
/// * squared overlap `(1 − γσ⁴/(ℓ−σ²)²) / (1 + γσ²/(ℓ−σ²))` above, 0 below;
/// * real Gaussian data: `√n(λ̂ − outlier) ⇒ N(0, 2ℓ²(1 − γσ⁴/(ℓ−σ²)²))` (Paul 2007, Thm 3; Bai & Yao 2008).
///
/// Domain: `ratio > 0`, `spike > 0`, `variance > 0`, all finite.
///
/// ```
/// use landscape_theory::SpikedCovariance;
/// let p = SpikedCovariance::new(0.5, 2.0, 1.0)?.predict();
/// assert!(p.detectable);
/// assert!((p.outlier - 3.0).abs() < 1e-15 && (p.overlap_sq - 1.0 / 3.0).abs() < 1e-15);
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikedCovariance {
    ratio: f64,
    spike: f64,
    variance: f64,
}

impl SpikedCovariance {
    /// The model with `γ = ratio`, population spike `ℓ = spike` and noise variance `σ² = variance`.
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] unless all three are finite and `> 0`.
    ///
    /// ```
    /// # use landscape_theory::SpikedCovariance;
    /// assert!(SpikedCovariance::new(0.5, -1.0, 1.0).is_err());
    /// ```
    pub fn new(ratio: f64, spike: f64, variance: f64) -> Result<Self, LawError> {
        Ok(Self {
            ratio: require_positive("spiked_covariance", "ratio", ratio)?,
            spike: require_positive("spiked_covariance", "spike", spike)?,
            variance: require_positive("spiked_covariance", "variance", variance)?,
        })
    }

    /// The BBP threshold `σ²(1 + √γ)` for the population spike.
    ///
    /// ```
    /// # use landscape_theory::SpikedCovariance;
    /// assert_eq!(SpikedCovariance::new(0.25, 3.0, 2.0)?.threshold(), 3.0);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn threshold(&self) -> f64 {
        self.variance * (1.0 + self.ratio.sqrt())
    }

    /// The limits of the top eigenvalue, the squared overlap and the outlier's fluctuation variance.
    ///
    /// ```
    /// # use landscape_theory::SpikedCovariance;
    /// let below = SpikedCovariance::new(0.5, 1.5, 1.0)?.predict();
    /// assert!(!below.detectable && below.overlap_sq == 0.0);
    /// assert!((below.outlier - (1.0 + 0.5f64.sqrt()).powi(2)).abs() < 1e-15);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn predict(&self) -> SpikePrediction {
        let (gamma, ell, v) = (self.ratio, self.spike, self.variance);
        let threshold = self.threshold();
        if ell <= threshold {
            let edge = 1.0 + gamma.sqrt();
            return SpikePrediction {
                threshold,
                detectable: false,
                outlier: v * edge * edge,
                overlap_sq: 0.0,
                right_overlap_sq: None,
                outlier_variance: None,
            };
        }
        let excess = ell - v;
        let shift = gamma * v / excess;
        let q = 1.0 - gamma * v * v / (excess * excess);
        SpikePrediction {
            threshold,
            detectable: true,
            outlier: ell * (1.0 + shift),
            overlap_sq: q / (1.0 + shift),
            right_overlap_sq: None,
            outlier_variance: Some(2.0 * ell * ell * q),
        }
    }
}

/// Spiked Wigner: `M = θuuᵀ + W`, `W` Wigner (GOE) with off-diagonal variance `σ²/N`, bulk SC(σ²) on `[−2σ, 2σ]`.
///
/// * threshold `|θ| > σ`;
/// * outlier `θ + σ²/θ` above it (on the side of `θ`), the edge `±2σ` below;
/// * squared overlap `1 − σ²/θ²` above, 0 below.
///
/// The outlier's fluctuation variance depends on the entry distribution beyond its variance (Capitaine,
/// Donati-Martin & Féral, Ann. Probab. 37 (2009) 1), so `outlier_variance` is `None`.
///
/// Domain: `spike` finite (any sign), `variance > 0`. Reference: Féral & Péché (2007); Benaych-Georges &
/// Nadakuditi (2011), §3.1.
///
/// ```
/// use landscape_theory::SpikedWigner;
/// let p = SpikedWigner::new(2.0, 1.0)?.predict();
/// assert!((p.outlier - 2.5).abs() < 1e-15 && (p.overlap_sq - 0.75).abs() < 1e-15);
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikedWigner {
    spike: f64,
    variance: f64,
}

impl SpikedWigner {
    /// The model with signal strength `θ = spike` and noise variance `σ² = variance`.
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] if `spike` is not finite or `variance` is not finite and `> 0`.
    ///
    /// ```
    /// # use landscape_theory::SpikedWigner;
    /// assert!(SpikedWigner::new(f64::INFINITY, 1.0).is_err());
    /// ```
    pub fn new(spike: f64, variance: f64) -> Result<Self, LawError> {
        Ok(Self {
            spike: require_finite("spiked_wigner", "spike", spike)?,
            variance: require_positive("spiked_wigner", "variance", variance)?,
        })
    }

    /// The threshold `σ` for `|θ|`.
    ///
    /// ```
    /// # use landscape_theory::SpikedWigner;
    /// assert_eq!(SpikedWigner::new(1.0, 4.0)?.threshold(), 2.0);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn threshold(&self) -> f64 {
        self.variance.sqrt()
    }

    /// The limits of the extreme eigenvalue on the side of `θ` and of the squared overlap.
    ///
    /// ```
    /// # use landscape_theory::SpikedWigner;
    /// let p = SpikedWigner::new(0.5, 1.0)?.predict();
    /// assert!(!p.detectable && p.outlier == 2.0 && p.overlap_sq == 0.0);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn predict(&self) -> SpikePrediction {
        let threshold = self.threshold();
        let theta = self.spike;
        let side = if theta < 0.0 { -1.0 } else { 1.0 };
        if theta.abs() <= threshold {
            return SpikePrediction {
                threshold,
                detectable: false,
                outlier: side * 2.0 * threshold,
                overlap_sq: 0.0,
                right_overlap_sq: None,
                outlier_variance: None,
            };
        }
        SpikePrediction {
            threshold,
            detectable: true,
            outlier: theta + self.variance / theta,
            overlap_sq: 1.0 - self.variance / (theta * theta),
            right_overlap_sq: None,
            outlier_variance: None,
        }
    }
}

/// Rectangular information-plus-noise: `X = θuvᵀ + G`, `G` `n × m` with iid entries of variance `1/m`, aspect
/// `c = n/m ∈ (0, 1]`, unit vectors `u ∈ Rⁿ`, `v ∈ Rᵐ`.
///
/// * threshold `θ > c^{1/4}`;
/// * top singular value `s₁ → √((1+θ²)(c+θ²))/θ` above it, `1 + √c` below;
/// * `|⟨û,u⟩|² → 1 − c(1+θ²)/(θ²(θ²+c))` and `|⟨v̂,v⟩|² → 1 − (c+θ²)/(θ²(θ²+1))` above, 0 below.
///
/// The prediction reports `s₁` as `outlier`, the left overlap as `overlap_sq` and the right one as
/// `right_overlap_sq`. Reference: Benaych-Georges & Nadakuditi (2012), Example 3.1.
///
/// ```
/// use landscape_theory::InformationPlusNoise;
/// let p = InformationPlusNoise::new(1.0, 2.0)?.predict();
/// assert!((p.outlier - 2.5).abs() < 1e-15 && (p.overlap_sq - 0.75).abs() < 1e-15);
/// assert_eq!(p.right_overlap_sq, Some(0.75));
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InformationPlusNoise {
    aspect: f64,
    theta: f64,
}

impl InformationPlusNoise {
    /// The model with `c = aspect = n/m ∈ (0, 1]` and signal singular value `θ = theta ≥ 0`.
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] if `aspect ∉ (0, 1]` or `theta` is not finite and `≥ 0`.
    ///
    /// ```
    /// # use landscape_theory::InformationPlusNoise;
    /// assert!(InformationPlusNoise::new(2.0, 1.0).is_err()); // transpose the matrix instead
    /// ```
    pub fn new(aspect: f64, theta: f64) -> Result<Self, LawError> {
        let aspect = require_positive("information_plus_noise", "aspect", aspect)?;
        if aspect > 1.0 {
            return Err(LawError::invalid(
                "information_plus_noise",
                "aspect",
                aspect,
                "c = n/m in (0, 1] (transpose the matrix if n > m)",
            ));
        }
        Ok(Self {
            aspect,
            theta: require_non_negative("information_plus_noise", "theta", theta)?,
        })
    }

    /// The threshold `c^{1/4}` for `θ`.
    ///
    /// ```
    /// # use landscape_theory::InformationPlusNoise;
    /// assert_eq!(InformationPlusNoise::new(0.0625, 1.0)?.threshold(), 0.5);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn threshold(&self) -> f64 {
        self.aspect.sqrt().sqrt()
    }

    /// The limits of the top singular value and of both squared overlaps.
    ///
    /// ```
    /// # use landscape_theory::InformationPlusNoise;
    /// let p = InformationPlusNoise::new(0.25, 0.5)?.predict();
    /// assert!(!p.detectable && p.outlier == 1.5 && p.overlap_sq == 0.0);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn predict(&self) -> SpikePrediction {
        let (c, theta) = (self.aspect, self.theta);
        let threshold = self.threshold();
        if theta <= threshold {
            return SpikePrediction {
                threshold,
                detectable: false,
                outlier: 1.0 + c.sqrt(),
                overlap_sq: 0.0,
                right_overlap_sq: Some(0.0),
                outlier_variance: None,
            };
        }
        let t2 = theta * theta;
        SpikePrediction {
            threshold,
            detectable: true,
            outlier: ((1.0 + t2) * (c + t2)).sqrt() / theta,
            overlap_sq: 1.0 - c * (1.0 + t2) / (t2 * (t2 + c)),
            right_overlap_sq: Some(1.0 - (c + t2) / (t2 * (t2 + 1.0))),
            outlier_variance: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact rational oracles are computed in a few flops; 4 ulps of slack.
    const EXACT: f64 = 1e-15;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= EXACT * b.abs().max(1.0)
    }

    #[test]
    fn spiked_covariance_matches_rational_oracles() {
        // `docs/theory.md` §1.6: γ = ½: ℓ = 2 → (3, 1/3); ℓ = 3 → (3.75, 0.7); ℓ = 5 → (5.625, 31/36).
        for &(ell, outlier, overlap) in &[
            (2.0, 3.0, 1.0 / 3.0),
            (3.0, 3.75, 0.7),
            (5.0, 5.625, 31.0 / 36.0),
        ] {
            let p = SpikedCovariance::new(0.5, ell, 1.0).unwrap().predict();
            assert!(p.detectable);
            assert!(close(p.outlier, outlier), "ℓ={ell}: outlier {}", p.outlier);
            assert!(
                close(p.overlap_sq, overlap),
                "ℓ={ell}: overlap {}",
                p.overlap_sq
            );
        }
    }

    #[test]
    fn spiked_covariance_scales_with_variance() {
        // Everything is homogeneous: (γ, sℓ, sσ²) gives s·outlier, the same overlap and s²·variance.
        let base = SpikedCovariance::new(0.3, 2.5, 1.0).unwrap().predict();
        let scaled = SpikedCovariance::new(0.3, 2.5 * 7.0, 7.0)
            .unwrap()
            .predict();
        assert!(close(scaled.outlier, 7.0 * base.outlier));
        assert!(close(scaled.overlap_sq, base.overlap_sq));
        let (v0, v1) = (
            base.outlier_variance.unwrap(),
            scaled.outlier_variance.unwrap(),
        );
        assert!((v1 - 49.0 * v0).abs() < 1e-13 * v1);
    }

    #[test]
    fn spiked_models_are_continuous_at_threshold() {
        // At the threshold the outlier equals the bulk edge and the overlap vanishes.
        let gamma: f64 = 0.37;
        let at = (1.0 + gamma.sqrt()) * (1.0 + 1e-12);
        let p = SpikedCovariance::new(gamma, at, 1.0).unwrap().predict();
        assert!(p.detectable);
        assert!((p.outlier - (1.0 + gamma.sqrt()).powi(2)).abs() < 1e-10);
        assert!(p.overlap_sq.abs() < 1e-10 && p.outlier_variance.unwrap().abs() < 1e-10);

        let w = SpikedWigner::new(1.0 + 1e-12, 1.0).unwrap().predict();
        assert!((w.outlier - 2.0).abs() < 1e-10 && w.overlap_sq.abs() < 1e-10);

        let c: f64 = 0.25;
        let r = InformationPlusNoise::new(c, c.sqrt().sqrt() * (1.0 + 1e-12))
            .unwrap()
            .predict();
        assert!((r.outlier - 1.5).abs() < 1e-10 && r.overlap_sq.abs() < 1e-10);
        assert!(r.right_overlap_sq.unwrap().abs() < 1e-10);
    }

    #[test]
    fn spiked_wigner_matches_rational_oracles() {
        let p = SpikedWigner::new(3.0, 1.0).unwrap().predict();
        assert!(close(p.outlier, 10.0 / 3.0) && close(p.overlap_sq, 8.0 / 9.0));
        let n = SpikedWigner::new(-3.0, 1.0).unwrap().predict();
        assert!(close(n.outlier, -10.0 / 3.0) && close(n.overlap_sq, 8.0 / 9.0));
        // σ² = 4, θ = 4: 4 + 1 = 5, overlap 1 − 1/4.
        let s = SpikedWigner::new(4.0, 4.0).unwrap().predict();
        assert!(close(s.outlier, 5.0) && close(s.overlap_sq, 0.75));
    }

    #[test]
    fn information_plus_noise_matches_notes_example() {
        // c = ½, θ = 1.5: s₁ = √(3.25·2.75)/1.5, overlaps 1 − 1.625/6.1875 and 1 − 2.75/7.3125.
        let p = InformationPlusNoise::new(0.5, 1.5).unwrap().predict();
        assert!(close(p.outlier, (3.25f64 * 2.75).sqrt() / 1.5));
        assert!(close(p.overlap_sq, 1.0 - 1.625 / 6.1875));
        assert!(close(p.right_overlap_sq.unwrap(), 1.0 - 2.75 / 7.3125));
    }

    #[test]
    fn square_information_plus_noise_is_symmetric_in_its_vectors() {
        let p = InformationPlusNoise::new(1.0, 1.7).unwrap().predict();
        assert!(close(p.overlap_sq, p.right_overlap_sq.unwrap()));
    }
}
