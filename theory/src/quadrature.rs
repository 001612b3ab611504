//! Quadrature rules shared by every law: Gauss–Legendre, Gauss–Hermite, and tanh–sinh for integrands with edge
//! singularities.
//!
//! All rules are computed, not tabulated: nodes are roots of the orthogonal polynomials found by Newton's method
//! from asymptotic initial guesses (Numerical Recipes §4.6; Golub–Welsch would need an eigensolver, which this
//! crate does not have). Nodes are accurate to a few ulps for `m ≤ 500`.

use std::f64::consts::PI;

/// A quadrature rule: `∫ f dw ≈ Σ_i weights[i] · f(nodes[i])`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Nodes, ascending.
    pub nodes: Vec<f64>,
    /// Weights, matching `nodes`.
    pub weights: Vec<f64>,
}

impl Rule {
    /// `Σ_i w_i f(x_i)`.
    pub fn integrate(&self, mut f: impl FnMut(f64) -> f64) -> f64 {
        self.nodes
            .iter()
            .zip(&self.weights)
            .map(|(&x, &w)| w * f(x))
            .sum()
    }

    /// The rule moved from `[−1, 1]` to `[a, b]` (only meaningful for a Legendre rule).
    pub fn on_interval(&self, a: f64, b: f64) -> Rule {
        let half = 0.5 * (b - a);
        let mid = 0.5 * (a + b);
        Rule {
            nodes: self.nodes.iter().map(|&x| mid + half * x).collect(),
            weights: self.weights.iter().map(|&w| half * w).collect(),
        }
    }
}

/// The `m`-point Gauss–Legendre rule on `[−1, 1]`, exact for polynomials of degree `≤ 2m − 1`.
///
/// # Panics
/// If `m == 0`.
///
/// ```
/// let rule = landscape_theory::quadrature::gauss_legendre(5);
/// let integral = rule.integrate(|x| x.powi(8)); // ∫_{-1}^{1} x⁸ dx = 2/9
/// assert!((integral - 2.0 / 9.0).abs() < 1e-15);
/// ```
#[track_caller]
pub fn gauss_legendre(m: usize) -> Rule {
    assert!(m > 0, "a Gauss–Legendre rule needs at least one node");
    let mut nodes = vec![0.0; m];
    let mut weights = vec![0.0; m];
    let mf = m as f64;
    for i in 0..m.div_ceil(2) {
        // Tricomi's initial guess for the i-th largest root.
        let mut x = (PI * (i as f64 + 0.75) / (mf + 0.5)).cos();
        let mut dp = 0.0;
        for _ in 0..100 {
            let (p, d) = legendre_and_derivative(m, x);
            dp = d;
            let dx = p / d;
            x -= dx;
            if dx.abs() <= 1e-16 * x.abs().max(1e-300) {
                let (_, d) = legendre_and_derivative(m, x);
                dp = d;
                break;
            }
        }
        let w = 2.0 / ((1.0 - x * x) * dp * dp);
        nodes[i] = -x;
        nodes[m - 1 - i] = x;
        weights[i] = w;
        weights[m - 1 - i] = w;
    }
    if m % 2 == 1 {
        nodes[m / 2] = 0.0;
    }
    Rule { nodes, weights }
}

/// `(P_m(x), P_m'(x))` by the three-term recurrence.
fn legendre_and_derivative(m: usize, x: f64) -> (f64, f64) {
    let (mut p0, mut p1) = (1.0, x);
    for k in 2..=m {
        let kf = k as f64;
        let p2 = ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf;
        p0 = p1;
        p1 = p2;
    }
    if m == 0 {
        return (1.0, 0.0);
    }
    let d = m as f64 * (x * p1 - p0) / (x * x - 1.0);
    (p1, d)
}

/// The `m`-point Gauss–Hermite rule for the **standard normal** weight: `E f(ξ) ≈ Σ w_i f(x_i)` with
/// `ξ ~ N(0, 1)`; the weights sum to 1. Exact for polynomials of degree `≤ 2m − 1`.
///
/// Computed by Golub–Welsch: the nodes are the eigenvalues of the Jacobi matrix of the probabilists' Hermite
/// polynomials (zero diagonal, off-diagonal `√k`), found by the implicit QL algorithm for symmetric tridiagonal
/// matrices, and the weights are the squared first components of its eigenvectors. Cost O(m²). Outer weights
/// underflow to 0 beyond about m = 1400, which is harmless.
///
/// # Panics
/// If `m == 0`.
///
/// ```
/// let rule = landscape_theory::quadrature::gauss_hermite(20);
/// assert!((rule.integrate(|x| x.powi(4)) - 3.0).abs() < 1e-12); // E ξ⁴ = 3
/// ```
#[track_caller]
pub fn gauss_hermite(m: usize) -> Rule {
    assert!(m > 0, "Gauss–Hermite needs at least one node");
    let mut diag = vec![0.0; m];
    // off[i] couples i and i+1; off[m−1] is workspace for the QL sweep.
    let mut off: Vec<f64> = (1..=m)
        .map(|k| if k < m { (k as f64).sqrt() } else { 0.0 })
        .collect();
    let mut first = vec![0.0; m];
    first[0] = 1.0;
    symmetric_tridiagonal_ql(&mut diag, &mut off, &mut first);
    let mut pairs: Vec<(f64, f64)> = diag
        .into_iter()
        .zip(first.into_iter().map(|v| v * v))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Symmetrise: the rule is exactly symmetric about 0; averaging mirrored pairs removes round-off asymmetry.
    let n = pairs.len();
    let mut nodes = vec![0.0; n];
    let mut weights = vec![0.0; n];
    for i in 0..n {
        let j = n - 1 - i;
        nodes[i] = 0.5 * (pairs[i].0 - pairs[j].0);
        weights[i] = 0.5 * (pairs[i].1 + pairs[j].1);
    }
    Rule { nodes, weights }
}

/// Implicit QL with Wilkinson shifts on the symmetric tridiagonal matrix `(diag, off)` (Numerical Recipes
/// `tqli`), applying the rotations to one row `first` of the eigenvector matrix. On return `diag` holds the
/// eigenvalues and `first[i]` the first component of eigenvector `i`.
fn symmetric_tridiagonal_ql(diag: &mut [f64], off: &mut [f64], first: &mut [f64]) {
    let n = diag.len();
    for l in 0..n {
        let mut iterations = 0;
        loop {
            let mut m = l;
            while m + 1 < n {
                let dd = diag[m].abs() + diag[m + 1].abs();
                if off[m].abs() <= f64::EPSILON * dd {
                    break;
                }
                m += 1;
            }
            if m == l || iterations >= 60 {
                break;
            }
            iterations += 1;
            let mut g = (diag[l + 1] - diag[l]) / (2.0 * off[l]);
            let mut r = g.hypot(1.0);
            g = diag[m] - diag[l] + off[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut i = m;
            let mut underflow = false;
            while i > l {
                i -= 1;
                let f = s * off[i];
                let b = c * off[i];
                r = f.hypot(g);
                off[i + 1] = r;
                if r == 0.0 {
                    diag[i + 1] -= p;
                    off[m] = 0.0;
                    underflow = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = diag[i + 1] - p;
                r = (diag[i] - g) * s + 2.0 * c * b;
                p = s * r;
                diag[i + 1] = g + p;
                g = c * r - b;
                let t = first[i + 1];
                first[i + 1] = s * first[i] + c * t;
                first[i] = c * first[i] - s * t;
            }
            if underflow {
                continue;
            }
            diag[l] -= p;
            off[l] = g;
            off[m] = 0.0;
        }
    }
}

/// `∫_a^b f(x) dx` by the tanh–sinh (double-exponential) rule, which converges exponentially even for
/// integrable algebraic singularities at the ends (`√(b − x)`, `x^{−1/2}`, `x^{−L/(L+1)}`).
///
/// `f` receives `(x, x − a, b − x)`: the distances to the ends are computed without cancellation, so an
/// integrand singular at an end can be evaluated accurately right next to it. The step is halved until two
/// successive estimates agree to `tol` (relative to the integral's magnitude) or six halvings are done.
///
/// ```
/// use landscape_theory::quadrature::tanh_sinh;
/// // ∫_0^1 x^{-1/2} dx = 2, singular at 0.
/// let v = tanh_sinh(0.0, 1.0, 1e-14, |_, da, _| da.powf(-0.5));
/// assert!((v - 2.0).abs() < 1e-12);
/// ```
pub fn tanh_sinh(a: f64, b: f64, tol: f64, mut f: impl FnMut(f64, f64, f64) -> f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    let half = 0.5 * (b - a);
    // t ranges over [−T, T]; at T = 6.2 the outermost nodes sit ~1e-300 of the width from the ends, so even an
    // x^{-3/4} singularity loses less than 1e-70 of its mass.
    let t_max = 6.2_f64;
    let mut eval = |t: f64| -> f64 {
        let s = PI / 2.0 * t.sinh();
        // With e = e^{−2|s|}: 1 − tanh|s| = 2e/(1+e), 1 + tanh|s| = 2/(1+e), and the Jacobian
        // (π/2) cosh t / cosh² s = (π/2) cosh t · 4e/(1+e)²; all free of overflow and cancellation.
        let e = (-2.0 * s.abs()).exp();
        let small = 2.0 * e / (1.0 + e);
        let large = 2.0 / (1.0 + e);
        let w = PI / 2.0 * t.cosh() * 4.0 * e / ((1.0 + e) * (1.0 + e));
        let (da, db) = if s >= 0.0 {
            (half * large, half * small)
        } else {
            (half * small, half * large)
        };
        if !(da > 0.0 && db > 0.0) || w == 0.0 {
            return 0.0;
        }
        let x = if da < db { a + da } else { b - db };
        let value = f(x, da, db);
        if value.is_finite() {
            half * w * value
        } else {
            0.0
        }
    };
    let mut h = 0.5_f64;
    let mut sum = eval(0.0);
    let mut k = 1;
    while (k as f64) * h <= t_max {
        let t = k as f64 * h;
        sum += eval(t) + eval(-t);
        k += 1;
    }
    let mut estimate = sum * h;
    for _ in 0..7 {
        // Add the midpoints of the previous grid.
        h *= 0.5;
        let mut k = 1;
        while (k as f64) * h <= t_max {
            let t = k as f64 * h;
            sum += eval(t) + eval(-t);
            k += 2;
        }
        let next = sum * h;
        let done = (next - estimate).abs() <= tol * next.abs().max(f64::MIN_POSITIVE);
        estimate = next;
        if done {
            break;
        }
    }
    estimate
}

/// `∫_a^b f` by composite Gauss–Legendre on `panels` equal panels with `rule` on each (for smooth integrands).
pub fn composite(rule: &Rule, a: f64, b: f64, panels: usize, mut f: impl FnMut(f64) -> f64) -> f64 {
    let panels = panels.max(1);
    let width = (b - a) / panels as f64;
    (0..panels)
        .map(|p| {
            let lo = a + width * p as f64;
            rule.on_interval(lo, lo + width).integrate(&mut f)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exactness for polynomials up to degree 2m − 1, to rounding (1e-13 covers ~m ulps of accumulated error).
    const POLY_TOL: f64 = 1e-13;

    #[test]
    fn gauss_legendre_is_exact_for_polynomials_up_to_degree_2m_minus_1() {
        for m in [1usize, 2, 3, 7, 20, 64, 150] {
            let rule = gauss_legendre(m);
            assert!(
                (rule.weights.iter().sum::<f64>() - 2.0).abs() < POLY_TOL,
                "m = {m}"
            );
            for deg in 0..(2 * m).min(40) {
                let exact = if deg % 2 == 1 {
                    0.0
                } else {
                    2.0 / (deg as f64 + 1.0)
                };
                let got = rule.integrate(|x| x.powi(deg as i32));
                assert!(
                    (got - exact).abs() < POLY_TOL,
                    "m = {m}, degree {deg}: {got} vs {exact}"
                );
            }
            assert!(
                rule.nodes.windows(2).all(|w| w[0] < w[1]),
                "nodes not ascending for m = {m}"
            );
        }
    }

    #[test]
    fn gauss_hermite_reproduces_normal_moments() {
        // E ξ^{2k} = (2k − 1)!!.
        for m in [1usize, 2, 5, 10, 40, 80] {
            let rule = gauss_hermite(m);
            let mut double_factorial = 1.0;
            for k in 0..m.min(12) {
                if k > 0 {
                    double_factorial *= (2 * k - 1) as f64;
                }
                let got = rule.integrate(|x| x.powi(2 * k as i32));
                let tol = POLY_TOL * double_factorial.max(1.0) * 10.0;
                assert!(
                    (got - double_factorial).abs() < tol,
                    "m = {m}, k = {k}: {got} vs {double_factorial}"
                );
                let odd = rule.integrate(|x| x.powi(2 * k as i32 + 1));
                assert!(odd.abs() < tol, "odd moment {} = {odd}", 2 * k + 1);
            }
        }
    }

    #[test]
    fn gauss_hermite_is_finite_and_normalised_up_to_400_nodes() {
        for m in [100usize, 150, 200, 300, 400] {
            let rule = gauss_hermite(m);
            let total: f64 = rule.weights.iter().sum();
            assert!(
                (total - 1.0).abs() < 1e-12,
                "m = {m}: weights sum to {total}"
            );
            assert!(
                rule.nodes.iter().all(|x| x.is_finite()),
                "m = {m}: non-finite node"
            );
            assert!(
                rule.nodes.windows(2).all(|w| w[0] < w[1]),
                "m = {m}: nodes not ascending"
            );
        }
    }

    #[test]
    fn tanh_sinh_handles_edge_singularities() {
        // ∫_0^1 √(x(1−x)) dx = π/8; ∫_0^1 x^{-3/4} = 4; ∫_{-1}^{1} 1/√(1−x²) = π.
        type Case = (f64, f64, f64, fn(f64, f64, f64) -> f64);
        let cases: [Case; 3] = [
            (0.0, 1.0, PI / 8.0, |_, da, db| (da * db).sqrt()),
            (0.0, 1.0, 4.0, |_, da, _| da.powf(-0.75)),
            (-1.0, 1.0, PI, |_, da, db| 1.0 / (da * db).sqrt()),
        ];
        for (a, b, exact, f) in cases {
            let got = tanh_sinh(a, b, 1e-15, f);
            // x^{-3/4} is the hardest: its mass near 0 needs nodes down to 1e-300; 1e-10 is the measured floor.
            assert!((got - exact).abs() < 1e-10 * exact, "{got} vs {exact}");
        }
    }
}
