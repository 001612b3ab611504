//! Centering and scaling of the largest eigenvalue of a white Wishart matrix, so that it is approximately
//! Tracy–Widom distributed, and the outlier threshold that follows.
//!
//! Let `X` be `n×p` with iid standard Gaussian entries (real or complex) and `l₁` the largest eigenvalue of
//! `XᵀX` (unnormalised `W_p(n, I)`; `X*X` in the complex case). Then `(l₁ − μ)/σ ⇒ F_β` as `n, p → ∞` with
//! `p/n → γ ∈ (0, ∞)`, where
//!
//! | scaling | field | `n'`, `p'` | limit |
//! |---|---|---|---|
//! | Johnstone (2001), Thm 1.1 | real | `n − 1`, `p` | `F₁` |
//! | Johansson (2000) | complex | `n`, `p` | `F₂` |
//! | Ma (2012), eqs (2.3)–(2.4) | real | `n − ½`, `p − ½` | `F₁` |
//!
//! and `μ = (√n' + √p')²`, `σ = (√n' + √p')(1/√n' + 1/√p')^{1/3}`.
//!
//! Ma's choice makes the error `O((n∧p)^{−2/3})` for `log l₁` centred at `log μ` with scale `σ/μ`; on the
//! linear scale used here it is still a better finite-`n` approximation than Johnstone's. For `S = XᵀX/n`
//! divide `μ` and `σ` by `n` ([`WishartEdge::normalised`]). Entries of variance `v ≠ 1` multiply both by `v`.
//! Finite-`n` corrections are `O(n^{−2/3})`: at `n = 400, p = 200` the statistic's mean is off by ~0.01–0.05.
//!
//! References: I. M. Johnstone, Ann. Statist. 29 (2001) 295–327; K. Johansson, Commun. Math. Phys. 209 (2000)
//! 437–476; Z. Ma, Bernoulli 18 (2012) 322–359.

use std::fmt;

use crate::LawError;
use crate::law::SpectralLaw;
use crate::tracy_widom::TracyWidom;

/// Real (β = 1) or complex (β = 2) Gaussian entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Real Gaussian entries; the limit is `F₁`.
    Real,
    /// Complex Gaussian entries; the limit is `F₂`.
    Complex,
}

/// Which finite-`n` centering and scaling to use (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeScaling {
    /// Johnstone (2001) for real data (`n − 1`, `p`), Johansson (2000) for complex data (`n`, `p`).
    Johnstone,
    /// Ma (2012) for real data (`n − ½`, `p − ½`); not defined for complex data.
    Ma,
}

/// The Tracy–Widom centering `μ` and scale `σ` of the largest eigenvalue of a white Wishart matrix.
///
/// ```
/// use landscape_theory::wishart_edge::{EdgeScaling, Field, WishartEdge};
/// // n = 101, p = 100, real, Johnstone: n' = 100, p' = 100, μ = (10 + 10)² = 400, σ = 20·(0.2)^{1/3}.
/// let edge = WishartEdge::new(101, 100, Field::Real, EdgeScaling::Johnstone)?;
/// assert!((edge.center() - 400.0).abs() < 1e-12);
/// assert!((edge.scale() - 20.0 * 0.2_f64.cbrt()).abs() < 1e-12);
/// assert!((edge.statistic(400.0)).abs() < 1e-12);
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WishartEdge {
    n: usize,
    p: usize,
    field: Field,
    scaling: EdgeScaling,
    normalised: bool,
    center: f64,
    scale: f64,
}

impl WishartEdge {
    /// Centering and scaling for the largest eigenvalue of `XᵀX`, `X` of size `n×p`.
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] naming `n` or `p` when the shifted dimensions `n'`, `p'` are not positive
    /// (`n ≥ 2` for Johnstone real, `n, p ≥ 1` otherwise); [`LawError::Unsupported`] for Ma with complex data.
    pub fn new(n: usize, p: usize, field: Field, scaling: EdgeScaling) -> Result<Self, LawError> {
        let (shift_n, shift_p) = match (field, scaling) {
            (Field::Real, EdgeScaling::Johnstone) => (1.0, 0.0),
            (Field::Complex, EdgeScaling::Johnstone) => (0.0, 0.0),
            (Field::Real, EdgeScaling::Ma) => (0.5, 0.5),
            (Field::Complex, EdgeScaling::Ma) => {
                return Err(LawError::Unsupported {
                    law: "wishart_edge",
                    reason: "Ma (2012) centering is for real data; use Johnstone (Johansson) for complex data"
                        .to_string(),
                });
            }
        };
        let n_eff = n as f64 - shift_n;
        let p_eff = p as f64 - shift_p;
        if n_eff <= 0.0 {
            return Err(LawError::invalid(
                "wishart_edge",
                "n",
                n as f64,
                "n ≥ 2 (real) or n ≥ 1",
            ));
        }
        if p_eff <= 0.0 {
            return Err(LawError::invalid("wishart_edge", "p", p as f64, "p ≥ 1"));
        }
        let (rn, rp) = (n_eff.sqrt(), p_eff.sqrt());
        let center = (rn + rp) * (rn + rp);
        let scale = (rn + rp) * (1.0 / rn + 1.0 / rp).cbrt();
        Ok(Self {
            n,
            p,
            field,
            scaling,
            normalised: false,
            center,
            scale,
        })
    }

    /// The same edge for the sample covariance `XᵀX/n`: `μ/n` and `σ/n` (idempotent).
    ///
    /// ```
    /// use landscape_theory::wishart_edge::{EdgeScaling, Field, WishartEdge};
    /// let raw = WishartEdge::new(400, 200, Field::Real, EdgeScaling::Ma)?;
    /// let cov = raw.normalised();
    /// assert!((cov.center() - raw.center() / 400.0).abs() < 1e-15);
    /// // The centre tends to the Marchenko–Pastur edge (1 + √(p/n))² = 2.914...
    /// assert!((cov.center() - (1.0 + 0.5_f64.sqrt()).powi(2)).abs() < 0.01);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    #[must_use]
    pub fn normalised(self) -> Self {
        if self.normalised {
            return self;
        }
        let n = self.n as f64;
        Self {
            normalised: true,
            center: self.center / n,
            scale: self.scale / n,
            ..self
        }
    }

    /// The centering `μ` (divided by `n` after [`WishartEdge::normalised`]).
    pub fn center(&self) -> f64 {
        self.center
    }

    /// The scale `σ` (divided by `n` after [`WishartEdge::normalised`]).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The Dyson index of the limit law: 1 for real data, 2 for complex.
    pub fn beta(&self) -> u8 {
        match self.field {
            Field::Real => 1,
            Field::Complex => 2,
        }
    }

    /// The limiting Tracy–Widom law of [`WishartEdge::statistic`].
    pub fn limit_law(&self) -> TracyWidom {
        match self.field {
            Field::Real => TracyWidom::new(1),
            Field::Complex => TracyWidom::new(2),
        }
        .expect("β = 1 and β = 2 are valid Tracy–Widom indices")
    }

    /// The Tracy–Widom statistic `(l₁ − μ)/σ` of an observed top eigenvalue `l₁`.
    pub fn statistic(&self, top_eigenvalue: f64) -> f64 {
        (top_eigenvalue - self.center) / self.scale
    }

    /// The top eigenvalue above which an outlier (a spike) is declared at level `alpha`:
    /// `μ + σ·F_β^{−1}(1 − α)`.
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] naming `alpha` unless `0 < α < 1`.
    ///
    /// ```
    /// use landscape_theory::wishart_edge::{EdgeScaling, Field, WishartEdge};
    /// let edge = WishartEdge::new(101, 100, Field::Real, EdgeScaling::Johnstone)?;
    /// // F₁^{−1}(0.95) = 0.9793 (Johnstone 2001, Table 1: 0.98).
    /// let threshold = edge.threshold(0.05)?;
    /// assert!((edge.statistic(threshold) - 0.979_3).abs() < 1e-3);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn threshold(&self, alpha: f64) -> Result<f64, LawError> {
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(LawError::invalid(
                "wishart_edge",
                "alpha",
                alpha,
                "a level in (0, 1)",
            ));
        }
        let q = self.limit_law().quantile(1.0 - alpha)?;
        Ok(self.center + self.scale * q)
    }
}

impl fmt::Display for WishartEdge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = match self.field {
            Field::Real => "real",
            Field::Complex => "complex",
        };
        let scaling = match self.scaling {
            EdgeScaling::Johnstone => "johnstone",
            EdgeScaling::Ma => "ma",
        };
        write!(
            f,
            "wishart_edge(n={}, p={}, field={field}, scaling={scaling}, normalised={})",
            self.n, self.p, self.normalised
        )
    }
}
