//! The interface every spectral law implements, and the small value types it speaks in.
//!
//! # Conventions (fixed once for the whole crate)
//!
//! * **Cauchy transform** `G_μ(z) = ∫ dμ(x) / (z − x)`, so `G(z) ~ 1/z` as `|z| → ∞` and
//!   `Im G(z) < 0` for `Im z > 0`. The density is recovered as `ρ(x) = −(1/π) lim_{η↓0} Im G(x + iη)`.
//! * The **Stieltjes transform** in the Bai–Silverstein convention is `m(z) = ∫ dμ(x)/(x − z) = −G(z)`;
//!   [`SpectralLaw::stieltjes`] returns it.
//! * **Atoms are data**: [`SpectralLaw::pdf`] is the density of the absolutely continuous part only; point masses
//!   are listed by [`SpectralLaw::atoms`] and are included in [`SpectralLaw::cdf`], [`SpectralLaw::moment`] and the
//!   transforms.
//! * The CDF is right-continuous: `F(x) = μ((−∞, x])`.

use std::fmt;

pub use num_complex::Complex64;

use crate::LawError;

/// A closed interval `[lo, hi]` of the real line, `lo ≤ hi`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Left end.
    pub lo: f64,
    /// Right end.
    pub hi: f64,
}

impl Interval {
    /// The interval `[lo, hi]`.
    ///
    /// # Panics
    /// If `lo > hi` or either end is NaN; callers build intervals from validated parameters.
    #[track_caller]
    pub fn new(lo: f64, hi: f64) -> Self {
        assert!(lo <= hi, "interval ends out of order: [{lo}, {hi}]");
        Self { lo, hi }
    }

    /// `hi − lo`.
    pub fn width(&self) -> f64 {
        self.hi - self.lo
    }

    /// Whether `x` lies in the closed interval.
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// A point mass `mass · δ_location`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Atom {
    /// Where the mass sits.
    pub location: f64,
    /// Its mass, in `(0, 1]`.
    pub mass: f64,
}

/// The support of a law: the closure of the set where the absolutely continuous density is positive, as a sorted
/// union of disjoint closed intervals, plus the atoms (listed separately by [`SpectralLaw::atoms`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Support {
    /// Sorted, disjoint intervals carrying the absolutely continuous part.
    pub intervals: Vec<Interval>,
}

impl Support {
    /// A support made of one interval.
    pub fn interval(lo: f64, hi: f64) -> Self {
        Self {
            intervals: vec![Interval::new(lo, hi)],
        }
    }

    /// Smallest left end, or `None` for an empty support.
    pub fn lower_edge(&self) -> Option<f64> {
        self.intervals.first().map(|i| i.lo)
    }

    /// Largest right end, or `None` for an empty support.
    pub fn upper_edge(&self) -> Option<f64> {
        self.intervals.last().map(|i| i.hi)
    }
}

/// A probability law on the real line, as the limit spectral distribution of a random-matrix model.
///
/// Implementors must make `pdf`, `cdf` and `moment` consistent: `cdf(x) = Σ_{atoms ≤ x} mass + ∫_{−∞}^x pdf`,
/// the total mass is 1, and `moment(k) = ∫ x^k dμ` including atoms. The generic checker in the crate's tests holds
/// every law to this.
pub trait SpectralLaw: fmt::Display + fmt::Debug + Send + Sync {
    /// Density of the absolutely continuous part at `x` (0 outside the support; finite everywhere except possibly
    /// at an integrable edge singularity, where it may be `+∞`).
    fn pdf(&self, x: f64) -> f64;

    /// `F(x) = μ((−∞, x])`, atoms included.
    fn cdf(&self, x: f64) -> f64;

    /// The support of the absolutely continuous part (atoms are in [`SpectralLaw::atoms`]).
    fn support(&self) -> Support;

    /// Whether [`SpectralLaw::support`] is the whole support (compact), as the free convolutions need: `false` for
    /// a law on the whole line that reports an effective support (Tracy–Widom), whose Cauchy transform is also
    /// only accurate away from the real axis. Defaults to `true`.
    fn has_compact_support(&self) -> bool {
        true
    }

    /// Point masses, sorted by location. Empty for most laws.
    fn atoms(&self) -> Vec<Atom> {
        Vec::new()
    }

    /// Raw moment `m_k = ∫ x^k dμ(x)`, atoms included.
    fn moment(&self, k: u32) -> f64;

    /// Cauchy transform `G(z) = ∫ dμ(x)/(z − x)` for `z` off the support (see the module docs for the sign
    /// convention).
    fn cauchy(&self, z: Complex64) -> Complex64;

    /// Stieltjes transform `m(z) = ∫ dμ(x)/(x − z) = −G(z)` (Bai–Silverstein convention).
    fn stieltjes(&self, z: Complex64) -> Complex64 {
        -self.cauchy(z)
    }

    /// The smallest `x` with `F(x) ≥ p`, for `p ∈ [0, 1]`.
    ///
    /// The default bisects [`SpectralLaw::cdf`] to 1e-13 of the support's width; laws with a closed-form inverse
    /// override it.
    fn quantile(&self, p: f64) -> Result<f64, LawError> {
        default_quantile(self, p)
    }
}

/// Bisection on the CDF over the hull of the support and atoms; shared by laws without a closed-form inverse.
pub fn default_quantile<L: SpectralLaw + ?Sized>(law: &L, p: f64) -> Result<f64, LawError> {
    if !(0.0..=1.0).contains(&p) {
        return Err(LawError::invalid(
            "quantile",
            "p",
            p,
            "a probability in [0, 1]",
        ));
    }
    let (mut lo, mut hi) = hull(law);
    if p <= 0.0 {
        return Ok(lo);
    }
    // Bisection keeps the invariant F(lo) < p ≤ F(hi) (F(hi) = 1 at the top of the hull).
    let tol = 1e-13 * (hi - lo).abs().max(f64::MIN_POSITIVE);
    for _ in 0..200 {
        if hi - lo <= tol {
            break;
        }
        let mid = 0.5 * (lo + hi);
        if law.cdf(mid) >= p {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// The smallest interval containing the support and all atoms.
pub fn hull<L: SpectralLaw + ?Sized>(law: &L) -> (f64, f64) {
    let support = law.support();
    let atoms = law.atoms();
    let mut lo = support.lower_edge().unwrap_or(f64::INFINITY);
    let mut hi = support.upper_edge().unwrap_or(f64::NEG_INFINITY);
    for atom in &atoms {
        lo = lo.min(atom.location);
        hi = hi.max(atom.location);
    }
    (lo, hi)
}

/// Mean and variance from the first two raw moments.
pub fn mean_variance<L: SpectralLaw + ?Sized>(law: &L) -> (f64, f64) {
    let m1 = law.moment(1);
    (m1, law.moment(2) - m1 * m1)
}
