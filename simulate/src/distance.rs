//! Distances between an empirical spectrum and a law's CDF, or between two empirical spectra.
//!
//! An empirical spectrum is a discrete probability measure [`WeightedSpectrum`]: sorted eigenvalues with weight
//! `1/n` each, or weighted nodes such as the stochastic Lanczos quadrature measure. A law is given only through
//! its CDF as a closure `F: ℝ → [0, 1]` (right-continuous: `F(x) = μ((−∞, x])`) plus its atoms; this crate does
//! not depend on the theory crate.
//!
//! * **Kolmogorov–Smirnov**: `D = sup_x |F_emp(x) − F(x)|`. Between the jumps of the two CDFs both are monotone
//!   and `F_emp` is constant, so the supremum is attained as a one-sided limit at a jump. We evaluate at every
//!   eigenvalue `u` and atom, on the right (`F(u)`) and on the left (`F(u⁻) = F(u) − mass of atoms at u`).
//!   The result is exact up to the accuracy of `F`.
//! * **Atoms.** A law with an atom at `a` (e.g. the zero eigenvalues of a rank-deficient Gauss–Newton matrix)
//!   is matched by computed eigenvalues that are only approximately `a` (±1e-14); one on the wrong side of `a`
//!   would make the KS distance jump by the atom's mass. Eigenvalues within [`ATOM_SNAP_REL_TOL`]` · scale` of
//!   an atom are therefore moved onto it before comparison (`scale = max(max|u|, max|a|)`).
//! * **Wasserstein-1**: `W₁ = ∫ |F_emp(x) − F(x)| dx`. On each interval between consecutive breakpoints
//!   (eigenvalues, atoms, support ends) `F_emp` is a constant `c` and `F` is continuous and monotone, so
//!   `|c − F|` has at most one kink, where `F = c`; it is located by the Illinois method and each side is
//!   integrated by adaptive Gauss–Kronrod (7–15).
//! * **Critical values.** For an iid sample of size `n`, the Dvoretzky–Kiefer–Wolfowitz inequality (with
//!   Massart's constant) gives `P(D > ε) ≤ 2 exp(−2nε²)`, i.e. the critical value `√(ln(2/α)/(2n))` at
//!   false-failure probability `α` ([`dkw_critical_value`]). Eigenvalues are *not* iid: they are far more rigid,
//!   and the KS distance of a random-matrix spectrum to its limit law is `O(log n / n)` (Götze–Tikhomirov), not
//!   `O(1/√n)`, so the DKW value is very conservative for them.

use crate::SimulateError;

/// Eigenvalues within `ATOM_SNAP_REL_TOL · scale` of an atom are snapped onto it.
///
/// A dense eigensolver is backward stable, so an eigenvalue equal to `a` in exact arithmetic is computed within
/// about `n ε ‖A‖` (≈ 1e-12 relative for n ~ 4000); 1e-8 leaves four orders of margin, while an eigenvalue that is
/// genuinely 1e-8·‖A‖ away from an atom is at a distance no spectral test at our sizes resolves.
pub const ATOM_SNAP_REL_TOL: f64 = 1e-8;

/// An atom of a law: the point `location` carries probability `mass`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LawAtom {
    /// Where the atom sits.
    pub location: f64,
    /// Its probability mass, in (0, 1].
    pub mass: f64,
}

/// A discrete probability measure on ℝ: sorted points with non-negative weights summing to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightedSpectrum {
    points: Vec<f64>,
    weights: Vec<f64>,
    /// `cumulative[i] = Σ_{j ≤ i} weights[j]`.
    cumulative: Vec<f64>,
}

impl WeightedSpectrum {
    /// The empirical measure of `values` (weight `1/n` each), sorted.
    ///
    /// # Errors
    /// [`SimulateError::InvalidArgument`] if `values` is empty, [`SimulateError::NonFinite`] for NaN or ±∞.
    pub fn from_eigenvalues(values: &[f64]) -> Result<Self, SimulateError> {
        let w = vec![1.0; values.len()];
        Self::new(values, &w)
    }

    /// The measure with weight `weights[i]` at `points[i]`, normalised to total mass 1 and sorted by point.
    ///
    /// # Errors
    /// [`SimulateError::InvalidArgument`] for empty or different-length inputs, a negative weight or a zero total;
    /// [`SimulateError::NonFinite`] for NaN or ±∞.
    pub fn new(points: &[f64], weights: &[f64]) -> Result<Self, SimulateError> {
        if points.is_empty() || points.len() != weights.len() {
            return Err(SimulateError::invalid(
                "spectrum",
                format!("{} points, {} weights", points.len(), weights.len()),
                "a non-empty spectrum with one weight per point",
            ));
        }
        for (what, values) in [("spectrum point", points), ("spectrum weight", weights)] {
            if let Some(index) = values.iter().position(|v| !v.is_finite()) {
                return Err(SimulateError::NonFinite { what, index });
            }
        }
        if let Some(i) = weights.iter().position(|&w| w < 0.0) {
            return Err(SimulateError::invalid(
                "weight",
                weights[i],
                "non-negative weights",
            ));
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return Err(SimulateError::invalid(
                "total weight",
                total,
                "a positive total",
            ));
        }
        let mut pairs: Vec<(f64, f64)> = points
            .iter()
            .zip(weights)
            .map(|(&p, &w)| (p, w / total))
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (points, weights): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
        let mut acc = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        Ok(Self {
            points,
            weights,
            cumulative,
        })
    }

    /// The sorted points.
    pub fn points(&self) -> &[f64] {
        &self.points
    }

    /// The weights (summing to 1), in the order of [`WeightedSpectrum::points`].
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Always false: a spectrum has at least one point.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// `F(x) = Σ_{u_i ≤ x} w_i`. Cost O(log n).
    pub fn cdf(&self, x: f64) -> f64 {
        let k = self.points.partition_point(|&p| p <= x);
        if k == 0 { 0.0 } else { self.cumulative[k - 1] }
    }

    /// `F(x⁻) = Σ_{u_i < x} w_i`. Cost O(log n).
    pub fn cdf_left(&self, x: f64) -> f64 {
        let k = self.points.partition_point(|&p| p < x);
        if k == 0 { 0.0 } else { self.cumulative[k - 1] }
    }

    /// A copy with points within [`ATOM_SNAP_REL_TOL`]` · scale` of an atom moved onto it.
    fn snapped(&self, atoms: &[LawAtom]) -> Self {
        if atoms.is_empty() {
            return self.clone();
        }
        let scale = self
            .points
            .iter()
            .map(|p| p.abs())
            .chain(atoms.iter().map(|a| a.location.abs()))
            .fold(0.0_f64, f64::max);
        let tol = ATOM_SNAP_REL_TOL * scale;
        let points: Vec<f64> = self
            .points
            .iter()
            .map(|&p| {
                atoms
                    .iter()
                    .find(|a| (p - a.location).abs() <= tol)
                    .map_or(p, |a| a.location)
            })
            .collect();
        // Snapping moves points by at most tol onto a point within tol, so the order can only change between
        // points within 2·tol of each other; re-sort to be safe.
        Self::new(&points, &self.weights).unwrap_or_else(|_| self.clone())
    }
}

/// Checks atoms: finite locations, masses in (0, 1], total at most 1 (with round-off slack).
fn check_atoms(atoms: &[LawAtom]) -> Result<(), SimulateError> {
    for a in atoms {
        if !(a.location.is_finite() && a.mass > 0.0 && a.mass <= 1.0) {
            return Err(SimulateError::invalid(
                "atom",
                format!("{a:?}"),
                "a finite location with mass in (0, 1]",
            ));
        }
    }
    let total: f64 = atoms.iter().map(|a| a.mass).sum();
    if total > 1.0 + 1e-12 {
        return Err(SimulateError::invalid(
            "total atom mass",
            total,
            "at most 1",
        ));
    }
    Ok(())
}

/// Evaluates the law's CDF, rejecting NaN.
fn eval_cdf(cdf: &dyn Fn(f64) -> f64, x: f64) -> Result<f64, SimulateError> {
    let v = cdf(x);
    if v.is_nan() {
        return Err(SimulateError::Numerical {
            what: "law CDF",
            detail: format!("returned NaN at x = {x}"),
        });
    }
    Ok(v)
}

/// Total mass of the atoms located exactly at `x`.
fn atom_mass_at(atoms: &[LawAtom], x: f64) -> f64 {
    atoms
        .iter()
        .filter(|a| a.location.total_cmp(&x).is_eq())
        .map(|a| a.mass)
        .sum()
}

/// Kolmogorov–Smirnov distance `sup_x |F_emp(x) − F(x)|` between `spectrum` and a law with right-continuous CDF
/// `cdf` and the given `atoms` (pass `&[]` for a continuous law).
///
/// Points within [`ATOM_SNAP_REL_TOL`]` · scale` of an atom are snapped onto it first. `cdf` is evaluated once
/// per distinct point and atom. Cost O((n + #atoms) log n) plus those evaluations.
///
/// # Errors
/// [`SimulateError::InvalidArgument`] for an invalid atom list; [`SimulateError::Numerical`] if `cdf` returns NaN.
pub fn ks_distance(
    spectrum: &WeightedSpectrum,
    cdf: &dyn Fn(f64) -> f64,
    atoms: &[LawAtom],
) -> Result<f64, SimulateError> {
    check_atoms(atoms)?;
    let s = spectrum.snapped(atoms);
    let mut candidates: Vec<f64> = s
        .points
        .iter()
        .copied()
        .chain(atoms.iter().map(|a| a.location))
        .collect();
    candidates.sort_by(f64::total_cmp);
    candidates.dedup();
    let mut d = 0.0_f64;
    for &x in &candidates {
        let right = eval_cdf(cdf, x)?;
        let left = right - atom_mass_at(atoms, x);
        d = d
            .max((s.cdf(x) - right).abs())
            .max((s.cdf_left(x) - left).abs());
    }
    Ok(d)
}

/// Wasserstein-1 distance `∫ |F_emp(x) − F(x)| dx` between `spectrum` and a law with CDF `cdf`, atoms `atoms`,
/// and support within `support = (lo, hi)` (`F = 0` below `lo`, `F = 1` above `hi`).
///
/// Points are snapped onto atoms as in [`ks_distance`]. The integral is split at every point, atom and support
/// end; each piece is integrated on both sides of the crossing `F = F_emp` (Illinois root finding) by adaptive
/// Gauss–Kronrod to an absolute error of about 1e-12 per unit length, which also resolves band edges of the law
/// inside a piece. Cost: about 25–40 evaluations of `cdf` per point (more at kinks).
///
/// # Errors
/// [`SimulateError::InvalidArgument`] for a non-finite or reversed support or invalid atoms;
/// [`SimulateError::Numerical`] if `cdf` returns NaN.
pub fn wasserstein1(
    spectrum: &WeightedSpectrum,
    cdf: &dyn Fn(f64) -> f64,
    atoms: &[LawAtom],
    support: (f64, f64),
) -> Result<f64, SimulateError> {
    check_atoms(atoms)?;
    let (lo, hi) = support;
    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
        return Err(SimulateError::invalid(
            "support",
            format!("({lo}, {hi})"),
            "finite bounds with lo <= hi",
        ));
    }
    let s = spectrum.snapped(atoms);
    let mut breaks: Vec<f64> = s
        .points
        .iter()
        .copied()
        .chain(atoms.iter().map(|a| a.location))
        .chain([lo, hi])
        .collect();
    breaks.sort_by(f64::total_cmp);
    breaks.dedup();
    let mut total = 0.0;
    let mut f_a = eval_cdf(cdf, breaks[0])?;
    for w in breaks.windows(2) {
        let (a, b) = (w[0], w[1]);
        let c = s.cdf(a);
        let f_b = eval_cdf(cdf, b)?;
        // F on the open interval (a, b) runs from F(a) (right-continuous) to F(b⁻).
        let f_b_left = f_b - atom_mass_at(atoms, b);
        let g = |x: f64| eval_cdf(cdf, x).map(|v| v - c);
        let (ga, gb) = (f_a - c, f_b_left - c);
        if ga * gb >= 0.0 {
            total += integrate_abs(&g, a, b)?;
        } else {
            let root = illinois(&g, a, b, ga, gb)?;
            total += integrate_abs(&g, a, root)? + integrate_abs(&g, root, b)?;
        }
        f_a = f_b;
    }
    Ok(total)
}

/// Kolmogorov–Smirnov distance between two discrete measures, exact: `max_x |F_a(x) − F_b(x)|` over the merged
/// points. Cost O((n_a + n_b) log).
pub fn ks_two_sample(a: &WeightedSpectrum, b: &WeightedSpectrum) -> f64 {
    a.points
        .iter()
        .chain(&b.points)
        .map(|&x| (a.cdf(x) - b.cdf(x)).abs())
        .fold(0.0, f64::max)
}

/// Wasserstein-1 distance between two discrete measures, exact: `Σ |F_a − F_b| Δx` over the merged points.
pub fn wasserstein1_two_sample(a: &WeightedSpectrum, b: &WeightedSpectrum) -> f64 {
    let mut xs: Vec<f64> = a.points.iter().chain(&b.points).copied().collect();
    xs.sort_by(f64::total_cmp);
    xs.windows(2)
        .map(|w| (a.cdf(w[0]) - b.cdf(w[0])).abs() * (w[1] - w[0]))
        .sum()
}

/// The DKW critical value `√(ln(2/α)/(2n))`: for an iid sample of size `n` from a continuous law,
/// `P(KS > value) ≤ α` (Massart 1990). Conservative for eigenvalues (see the module docs).
///
/// # Errors
/// [`SimulateError::InvalidArgument`] if `n = 0` or `α ∉ (0, 1)`.
pub fn dkw_critical_value(n: usize, alpha: f64) -> Result<f64, SimulateError> {
    if n == 0 {
        return Err(SimulateError::invalid("n", 0, "n >= 1"));
    }
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(SimulateError::invalid(
            "alpha",
            alpha,
            "a probability in (0, 1)",
        ));
    }
    Ok(((2.0 / alpha).ln() / (2.0 * n as f64)).sqrt())
}

/// Gauss–Kronrod 7–15 rule on [−1, 1] (QUADPACK `qk15`; Piessens et al. 1983): Kronrod nodes `x ≥ 0`
/// (the odd-indexed ones are the 7-point Gauss nodes, plus 0), Kronrod weights, and Gauss weights for
/// nodes 1, 3, 5 and 0. Checked by `gauss_kronrod_rules_integrate_polynomials_exactly` (degree ≤ 22 and ≤ 13).
const GK15_NODES: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const GK15_KRONROD_WEIGHTS: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_18,
    0.140_653_259_715_525_92,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_83,
];
const GK15_GAUSS_WEIGHTS: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// Absolute accuracy per unit length asked of [`integrate_abs`]: the integrand is a difference of CDFs (≤ 1),
/// so 1e-12·(b − a) bounds the W₁ error by 1e-12 times the support length.
const W1_ABS_TOL_PER_LENGTH: f64 = 1e-12;

/// Maximum bisection depth of [`integrate_abs`]: 2⁻⁴⁰ of a piece is below double resolution of any interval.
const W1_MAX_DEPTH: u32 = 40;

/// One Gauss–Kronrod 15 evaluation of `∫_a^b g`: the Kronrod value and the error estimate `|K15 − G7|`.
fn gk15(
    g: &dyn Fn(f64) -> Result<f64, SimulateError>,
    a: f64,
    b: f64,
) -> Result<(f64, f64), SimulateError> {
    let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
    let center = g(mid)?;
    let mut kronrod = GK15_KRONROD_WEIGHTS[7] * center;
    let mut gauss = GK15_GAUSS_WEIGHTS[3] * center;
    for i in 0..7 {
        let pair = g(mid - half * GK15_NODES[i])? + g(mid + half * GK15_NODES[i])?;
        kronrod += GK15_KRONROD_WEIGHTS[i] * pair;
        if i % 2 == 1 {
            gauss += GK15_GAUSS_WEIGHTS[i / 2] * pair;
        }
    }
    Ok((kronrod * half, ((kronrod - gauss) * half).abs()))
}

/// `∫_a^b |g|` for `g` of one sign on (a, b), by adaptive Gauss–Kronrod 15 (bisect until the error estimate is
/// below [`W1_ABS_TOL_PER_LENGTH`] per unit length). A smooth piece costs 15 evaluations; a kink inside a piece
/// (a band edge of the law) is resolved by bisection.
fn integrate_abs(
    g: &dyn Fn(f64) -> Result<f64, SimulateError>,
    a: f64,
    b: f64,
) -> Result<f64, SimulateError> {
    fn recurse(
        g: &dyn Fn(f64) -> Result<f64, SimulateError>,
        a: f64,
        b: f64,
        depth: u32,
    ) -> Result<f64, SimulateError> {
        let (value, error) = gk15(g, a, b)?;
        if error <= W1_ABS_TOL_PER_LENGTH * (b - a) || depth >= W1_MAX_DEPTH {
            return Ok(value);
        }
        let mid = 0.5 * (a + b);
        Ok(recurse(g, a, mid, depth + 1)? + recurse(g, mid, b, depth + 1)?)
    }
    if b <= a {
        return Ok(0.0);
    }
    Ok(recurse(g, a, b, 0)?.abs())
}

/// A root of the increasing `g` on (a, b) with `g(a) < 0 < g(b)` or vice versa, by the Illinois variant of
/// regula falsi, until `|g| ≤ 1e-15` or the iterate moves by less than `1e-13 (b − a)`.
fn illinois(
    g: &dyn Fn(f64) -> Result<f64, SimulateError>,
    a: f64,
    b: f64,
    ga: f64,
    gb: f64,
) -> Result<f64, SimulateError> {
    let (mut a, mut b, mut ga, mut gb) = (a, b, ga, gb);
    let tol = 1e-13 * (b - a);
    let mut side = 0;
    let mut previous = f64::INFINITY;
    for _ in 0..100 {
        let x = (a * gb - b * ga) / (gb - ga);
        let x = if x > a && x < b { x } else { 0.5 * (a + b) };
        let gx = g(x)?;
        // CDF values are O(1): |g| ≤ 1e-15 is round-off level, and misplacing the kink by δ changes the
        // integral by only O(F'·δ²).
        if gx.abs() <= 1e-15 || (x - previous).abs() <= tol || b - a <= tol {
            return Ok(x);
        }
        previous = x;
        if gx * ga < 0.0 {
            b = x;
            gb = gx;
            if side == -1 {
                ga *= 0.5;
            }
            side = -1;
        } else {
            a = x;
            ga = gx;
            if side == 1 {
                gb *= 0.5;
            }
            side = 1;
        }
    }
    Ok(0.5 * (a + b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;
    use rand::RngExt;

    fn uniform01(x: f64) -> f64 {
        x.clamp(0.0, 1.0)
    }

    #[test]
    fn ks_of_uniform_sample_is_within_dkw_bound() {
        // α = 1e-6: a correct KS implementation on a correct sampler fails this with probability ≤ 1e-6.
        let (n, seed, alpha) = (20_000, 31, 1e-6);
        let mut r = rng::seeded(seed);
        let sample: Vec<f64> = (0..n).map(|_| r.random::<f64>()).collect();
        let s = WeightedSpectrum::from_eigenvalues(&sample).unwrap();
        let d = ks_distance(&s, &uniform01, &[]).unwrap();
        let crit = dkw_critical_value(n, alpha).unwrap();
        assert!(d <= crit, "seed {seed} n {n}: KS {d} > DKW({alpha}) {crit}");
        // And it detects a wrong law: the same sample against F(x) = x² is far beyond the critical value.
        let wrong = ks_distance(&s, &|x: f64| x.clamp(0.0, 1.0).powi(2), &[]).unwrap();
        assert!(wrong > 10.0 * crit, "KS against the wrong law only {wrong}");
    }

    #[test]
    fn ks_and_w1_match_hand_computed_values() {
        // {0.25, 0.75} against U(0,1): KS = 1/4 (at both points, either side). W1 = ∫|Q_emp(t) − t|dt
        // = 2·∫_0^{1/2}|1/4 − t|dt = 1/8.
        let s = WeightedSpectrum::from_eigenvalues(&[0.75, 0.25]).unwrap();
        let d = ks_distance(&s, &uniform01, &[]).unwrap();
        assert!((d - 0.25).abs() < 1e-15, "{d}");
        let w = wasserstein1(&s, &uniform01, &[], (0.0, 1.0)).unwrap();
        assert!((w - 0.125).abs() < 1e-12, "{w}");
        // The midpoint quantiles (i + ½)/m have W1 = m · 2 · (1/(2m))²/2 = 1/(4m).
        let m = 50;
        let q: Vec<f64> = (0..m).map(|i| (i as f64 + 0.5) / m as f64).collect();
        let s = WeightedSpectrum::from_eigenvalues(&q).unwrap();
        let w = wasserstein1(&s, &uniform01, &[], (0.0, 1.0)).unwrap();
        assert!((w - 0.25 / m as f64).abs() < 1e-12, "{w}");
        assert!((ks_distance(&s, &uniform01, &[]).unwrap() - 0.5 / m as f64).abs() < 1e-15);
    }

    #[test]
    fn w1_matches_two_sample_w1_against_fine_discretisation() {
        // W1 to the smooth CDF F(x) = x² on [0,1] vs the exact two-sample W1 to a 200k-point midpoint
        // discretisation of the same law (error O(1/200k) = 5e-6).
        let pts = [0.1, 0.3, 0.35, 0.8, 0.95];
        let s = WeightedSpectrum::from_eigenvalues(&pts).unwrap();
        let f = |x: f64| x.clamp(0.0, 1.0).powi(2);
        let w = wasserstein1(&s, &f, &[], (0.0, 1.0)).unwrap();
        let k = 200_000;
        let fine: Vec<f64> = (0..k)
            .map(|i| ((i as f64 + 0.5) / k as f64).sqrt())
            .collect();
        let reference =
            wasserstein1_two_sample(&s, &WeightedSpectrum::from_eigenvalues(&fine).unwrap());
        assert!((w - reference).abs() < 1e-5, "{w} vs {reference}");
        let ks = ks_distance(&s, &f, &[]).unwrap();
        assert!(
            (ks - ks_two_sample(&s, &WeightedSpectrum::from_eigenvalues(&fine).unwrap())).abs()
                < 1e-5
        );
    }

    #[test]
    fn eigenvalues_at_an_atom_are_snapped_onto_it() {
        // Law: ½δ₀ + ½U(1,2). Spectrum: half at −1e−14 (a computed zero), half at midpoint quantiles of U(1,2).
        let m = 100;
        let law = |x: f64| {
            if x < 0.0 {
                0.0
            } else {
                0.5 + 0.5 * (x - 1.0).clamp(0.0, 1.0)
            }
        };
        let atoms = [LawAtom {
            location: 0.0,
            mass: 0.5,
        }];
        let mut eigs = vec![-1e-14; m];
        eigs.extend((0..m).map(|i| 1.0 + (i as f64 + 0.5) / m as f64));
        let s = WeightedSpectrum::from_eigenvalues(&eigs).unwrap();
        let with_atoms = ks_distance(&s, &law, &atoms).unwrap();
        assert!((with_atoms - 0.25 / m as f64).abs() < 1e-15, "{with_atoms}");
        let without = ks_distance(&s, &law, &[]).unwrap();
        assert!(
            without >= 0.5,
            "without atoms the computed zeros miss the atom: {without}"
        );
        let w = wasserstein1(&s, &law, &atoms, (0.0, 2.0)).unwrap();
        assert!((w - 0.5 * 0.25 / m as f64).abs() < 1e-12, "{w}");
    }

    #[test]
    fn gauss_kronrod_rules_integrate_polynomials_exactly() {
        // ∫_{−1}^{1} x^k dx = 2/(k+1) for even k: Kronrod exact for k ≤ 22, Gauss (7 points) for k ≤ 13.
        for k in (0..=22).step_by(2) {
            let exact = 2.0 / (k + 1) as f64;
            let f = |x: f64| Ok(x.powi(k));
            let (kronrod, err) = gk15(&f, -1.0, 1.0).unwrap();
            assert!(
                (kronrod - exact).abs() < 1e-15,
                "Kronrod x^{k}: {kronrod} vs {exact}"
            );
            if k <= 12 {
                assert!(err < 1e-15, "Gauss x^{k}: error estimate {err}");
            }
        }
    }

    #[test]
    fn two_sample_distances_are_exact_on_small_cases() {
        let a = WeightedSpectrum::from_eigenvalues(&[0.0, 1.0]).unwrap();
        let b = WeightedSpectrum::new(&[0.5], &[2.0]).unwrap();
        assert!((ks_two_sample(&a, &b) - 0.5).abs() < 1e-15);
        assert!((wasserstein1_two_sample(&a, &b) - 0.5).abs() < 1e-15);
        assert!(ks_two_sample(&a, &a) == 0.0);
    }

    #[test]
    fn bad_inputs_are_rejected() {
        assert!(WeightedSpectrum::from_eigenvalues(&[]).is_err());
        assert!(WeightedSpectrum::from_eigenvalues(&[f64::NAN]).is_err());
        assert!(WeightedSpectrum::new(&[1.0], &[-1.0]).is_err());
        let s = WeightedSpectrum::from_eigenvalues(&[0.5]).unwrap();
        assert!(ks_distance(&s, &|_| f64::NAN, &[]).is_err());
        assert!(wasserstein1(&s, &uniform01, &[], (1.0, 0.0)).is_err());
        assert!(dkw_critical_value(0, 0.1).is_err());
        assert!(dkw_critical_value(10, 1.5).is_err());
    }
}
