//! The Airy function `Ai(x)` and its derivative `Ai'(x)` for real `x`.
//!
//! `Ai` is the solution of `y'' = x y` that decays as `x → +∞` (DLMF §9.2). The Tracy–Widom kernels evaluate it
//! on roughly `[−15, 40]`, so it must be accurate in relative terms where it decays and relative to its envelope
//! `|x|^{−1/4}/√π` where it oscillates.
//!
//! # Method (three regions)
//!
//! * `−10 ≤ x ≤ 3`: the Maclaurin series `Ai = c₁ f − c₂ g` (DLMF 9.4.1–9.4.2), summed in double-double arithmetic
//!   (~32 digits). In `f64` these series would lose a factor `e^{ζ}` (ζ = ⅔|x|^{3/2}) to cancellation for `x < 0`
//!   and `e^{4ζ/3}` for `x > 0`; at `x = −10` the largest term is ~1e9, so double-double leaves ~1e-23 absolute
//!   error, and at `x = 3` the cancellation costs only a factor ~1e3.
//! * `x > 3`: `Ai(x) = (1/π)√(x/3) K_{1/3}(ζ)`, `Ai'(x) = −(x/(π√3)) K_{2/3}(ζ)` (DLMF 9.6.1), with `K_{−1/3}`
//!   and `K_{2/3}` from Steed's continued fraction CF2 (Numerical Recipes §6.7, `bessik`), which is accurate to
//!   machine precision in relative terms for `ζ ≥ 2` and underflows gracefully (`Ai(x) = 0` beyond `x ≈ 104`).
//! * `x < −10`: the oscillatory asymptotic expansions DLMF 9.7.9–9.7.10 summed to their smallest term, which at
//!   `ζ ≥ 21` is below 1e-18.
//!
//! The phase `ζ = ⅔|x|^{3/2}` is carried in double-double, since `e^{−ζ}` and `cos ζ` would otherwise turn its
//! rounding into a relative error `ζ·ε`.
//!
//! Measured against mpmath `airyai` at 50 digits (`theory/tests/reference/airy.py`, 430 points on `[−15, 104]`):
//! relative error ≤ 1.1e-15 where `x ≥ 0` (down to the subnormal range), error ≤ 6.1e-16 of the envelope
//! `|x|^{∓1/4}/√π` where `x < 0`.

use std::f64::consts::PI;

/// `Ai(0) = 1/(3^{2/3} Γ(2/3))` as a double-double (hi, lo), from mpmath at 50 digits.
const AI0: (f64, f64) = (0.355_028_053_887_817_2, 2.052_336_324_362_12e-17);
/// `−Ai'(0) = 1/(3^{1/3} Γ(1/3))` as a double-double (hi, lo), from mpmath at 50 digits.
const MINUS_AIP0: (f64, f64) = (0.258_819_403_792_806_8, -2.522_243_111_610_832e-17);

/// Below this the oscillatory asymptotic expansion is used (ζ = 21.08, smallest term < 1e-18).
const OSCILLATORY_BELOW: f64 = -10.0;
/// Above this the K-Bessel continued fraction is used (ζ = 3.46; CF2 converges in ~40 steps there).
const BESSEL_ABOVE: f64 = 3.0;

/// `Ai(x)` for real `x`.
///
/// Accuracy (measured, see the module docs): ≤ 1.1e-15 relative for `x ≥ 0` down to underflow (`x ≈ 104`),
/// ≤ 6.1e-16 of the envelope `|x|^{−1/4}/√π` for `x < 0`. NaN for NaN input; `0` for `x = +∞`.
///
/// Reference: DLMF §9 (Olver et al.); the method is in the module docs.
///
/// ```
/// use landscape_theory::airy::airy_ai;
/// // Ai(0) = 1/(3^{2/3} Γ(2/3)) = 0.355028053887817...
/// assert!((airy_ai(0.0) - 0.355_028_053_887_817_2).abs() < 1e-16);
/// // Ai(1) = 0.135292416312881... (DLMF Table 9.9.x / mpmath).
/// assert!((airy_ai(1.0) - 0.135_292_416_312_881_4).abs() < 1e-16);
/// ```
pub fn airy_ai(x: f64) -> f64 {
    airy_ai_and_derivative(x).0
}

/// `Ai'(x)` for real `x`, with the accuracy of [`airy_ai`] (relative to `|x|^{1/4}/√π` where `x < 0`).
///
/// ```
/// use landscape_theory::airy::airy_ai_prime;
/// // Ai'(0) = −1/(3^{1/3} Γ(1/3)) = −0.258819403792806...
/// assert!((airy_ai_prime(0.0) + 0.258_819_403_792_806_8).abs() < 1e-16);
/// ```
pub fn airy_ai_prime(x: f64) -> f64 {
    airy_ai_and_derivative(x).1
}

/// `(Ai(x), Ai'(x))` in one call (both come out of the same series or continued fraction).
///
/// ```
/// use landscape_theory::airy::airy_ai_and_derivative;
/// let (ai, aip) = airy_ai_and_derivative(-2.0);
/// // mpmath: Ai(−2) = 0.227407428201685575, Ai'(−2) = 0.618259020741691145.
/// assert!((ai - 0.227_407_428_201_685_6).abs() < 1e-15);
/// assert!((aip - 0.618_259_020_741_691_1).abs() < 1e-15);
/// ```
pub fn airy_ai_and_derivative(x: f64) -> (f64, f64) {
    if x.is_nan() {
        (f64::NAN, f64::NAN)
    } else if x > BESSEL_ABOVE {
        bessel_region(x)
    } else if x < OSCILLATORY_BELOW {
        oscillatory_region(-x)
    } else {
        maclaurin_region(x)
    }
}

/// `ζ = ⅔ x^{3/2}` for `x ≥ 0` as a double-double `(hi, lo)`: the Airy functions are ill-conditioned in ζ only
/// through `e^{−ζ}` and `cos ζ`, so carrying the rounding of ζ removes an error of `ζ·ε` (3e-15 at `x = 8`).
fn zeta_double_double(x: f64) -> (f64, f64) {
    let r = x.sqrt();
    // x = r² + e exactly (fma), so √x = r + e/(2r) to double-double accuracy.
    let e = (-r).mul_add(r, x);
    let root = Dd::new(r, e / (2.0 * r));
    let zeta = root.mul(Dd::new(x, 0.0)).div_f64(3.0);
    let zeta = zeta.add(zeta);
    (zeta.hi, zeta.lo)
}

/// A double-double number `hi + lo`, `|lo| ≤ ulp(hi)/2`.
#[derive(Clone, Copy, Debug)]
struct Dd {
    hi: f64,
    lo: f64,
}

impl Dd {
    fn new(hi: f64, lo: f64) -> Self {
        let s = hi + lo;
        Dd {
            hi: s,
            lo: lo - (s - hi),
        }
    }

    /// Knuth's two-sum, then renormalise.
    fn add(self, other: Dd) -> Dd {
        let s = self.hi + other.hi;
        let bb = s - self.hi;
        let err = (self.hi - (s - bb)) + (other.hi - bb);
        Dd::new(s, err + self.lo + other.lo)
    }

    /// Product with an exact error term from a fused multiply–add.
    fn mul(self, other: Dd) -> Dd {
        let p = self.hi * other.hi;
        let err = self.hi.mul_add(other.hi, -p);
        Dd::new(p, err + self.hi * other.lo + self.lo * other.hi)
    }

    /// Division by an `f64` (one Newton correction).
    fn div_f64(self, d: f64) -> Dd {
        let q1 = self.hi / d;
        let p = q1 * d;
        let perr = q1.mul_add(d, -p);
        let r = ((self.hi - p) - perr + self.lo) / d;
        Dd::new(q1, r)
    }

    fn to_f64(self) -> f64 {
        self.hi + self.lo
    }
}

/// The Maclaurin series DLMF 9.4.1: `Ai = c₁ f − c₂ g`, `Ai' = c₁ f' − c₂ g'` with
/// `f = Σ 3^k (1/3)_k x^{3k}/(3k)!`, `g = Σ 3^k (2/3)_k x^{3k+1}/(3k+1)!`, summed in double-double.
fn maclaurin_region(x: f64) -> (f64, f64) {
    let xd = Dd::new(x, 0.0);
    let x3 = xd.mul(xd).mul(xd);
    // Term k of f, g, f', g'; the ratios of consecutive terms are x³/((3k−1)3k), x³/(3k(3k+1)),
    // x³/(3k(3k+2)) (f' starts at x²/2) and x³/((3k−2)3k).
    let mut tf = Dd::new(1.0, 0.0);
    let mut tg = xd;
    let mut tfp = xd.mul(xd).div_f64(2.0);
    let mut tgp = Dd::new(1.0, 0.0);
    let (mut f, mut g, mut fp, mut gp) = (tf, tg, tfp, tgp);
    for k in 1..200_u32 {
        let k3 = 3.0 * f64::from(k);
        tf = tf.mul(x3).div_f64((k3 - 1.0) * k3);
        tg = tg.mul(x3).div_f64(k3 * (k3 + 1.0));
        tgp = tgp.mul(x3).div_f64((k3 - 2.0) * k3);
        // f' term k (k ≥ 1) is x^{3k+2}/... in this indexing: tfp_k = tfp_{k−1}·x³/(3k(3k+2)).
        tfp = tfp.mul(x3).div_f64(k3 * (k3 + 2.0));
        f = f.add(tf);
        g = g.add(tg);
        fp = fp.add(tfp);
        gp = gp.add(tgp);
        // On [−10, 3] the sums are ≥ ~1e-2 in size; 1e-34 absolute is below the double-double resolution of
        // every partial sum, and the terms decrease super-exponentially from here on.
        let largest = tf
            .hi
            .abs()
            .max(tg.hi.abs())
            .max(tfp.hi.abs())
            .max(tgp.hi.abs());
        if largest < 1e-34 {
            break;
        }
    }
    let c1 = Dd::new(AI0.0, AI0.1);
    let c2 = Dd::new(-MINUS_AIP0.0, -MINUS_AIP0.1);
    let ai = c1.mul(f).add(c2.mul(g));
    let aip = c1.mul(fp).add(c2.mul(gp));
    (ai.to_f64(), aip.to_f64())
}

/// `x > 3`: Ai and Ai' from `K_{1/3}(ζ)` and `K_{2/3}(ζ)`, ζ = ⅔x^{3/2}, by Steed's CF2 with μ = −1/3, which
/// returns `K_μ = K_{1/3}` and `K_{μ+1} = K_{2/3}` directly (no recurrence, so no cancellation).
fn bessel_region(x: f64) -> (f64, f64) {
    if x == f64::INFINITY {
        return (0.0, 0.0);
    }
    let (zeta, zeta_lo) = zeta_double_double(x);
    let (k13, k23) = bessel_k_scaled(-1.0 / 3.0, zeta);
    // e^{−ζ} amplifies an error δ in ζ into a relative error δ; with ζ in double-double that is below ε.
    let decay = (-zeta).exp() * (1.0 - zeta_lo);
    let ai = (x / 3.0).sqrt() / PI * k13 * decay;
    let aip = -x / (PI * 3.0_f64.sqrt()) * k23 * decay;
    (ai, aip)
}

/// `(e^{x} K_μ(x), e^{x} K_{μ+1}(x))` for `x ≥ 2`, `|μ| ≤ 1/2`, by Steed's method for CF2 (Numerical Recipes
/// 2nd ed. §6.7, `bessik`; Temme 1975).
fn bessel_k_scaled(mu: f64, x: f64) -> (f64, f64) {
    let mut b = 2.0 * (1.0 + x);
    let mut d = 1.0 / b;
    let mut h = d;
    let mut delh = d;
    let mut q1 = 0.0;
    let mut q2 = 1.0;
    let a1 = 0.25 - mu * mu;
    let mut q = a1;
    let mut c = a1;
    let mut a = -a1;
    let mut s = 1.0 + q * delh;
    for i in 2..10_000_u32 {
        let fi = f64::from(i);
        a -= 2.0 * (fi - 1.0);
        c = -a * c / fi;
        let qnew = (q1 - b * q2) / a;
        q1 = q2;
        q2 = qnew;
        q += c * qnew;
        b += 2.0;
        d = 1.0 / (b + a * d);
        delh *= b * d - 1.0;
        h += delh;
        let dels = q * delh;
        s += dels;
        if (dels / s).abs() < 1e-17 {
            break;
        }
    }
    let h = a1 * h;
    let k_mu = (PI / (2.0 * x)).sqrt() / s;
    let k_mu1 = k_mu * (mu + x + 0.5 - h) / x;
    (k_mu, k_mu1)
}

/// `x = −z < −10`: DLMF 9.7.9 and 9.7.10,
/// `Ai(−z) ~ [cos(ζ−π/4) Σ(−1)^k u_{2k} ζ^{−2k} + sin(ζ−π/4) Σ(−1)^k u_{2k+1} ζ^{−2k−1}] / (√π z^{1/4})`,
/// `Ai'(−z) ~ z^{1/4}/√π [sin(ζ−π/4) Σ(−1)^k v_{2k} ζ^{−2k} − cos(ζ−π/4) Σ(−1)^k v_{2k+1} ζ^{−2k−1}]`,
/// with `u_k = (2k+1)(2k+3)…(6k−1)/(216^k k!)`, `v_k = −(6k+1)/(6k−1) u_k`.
fn oscillatory_region(z: f64) -> (f64, f64) {
    if z == f64::INFINITY {
        return (0.0, 0.0);
    }
    let (zeta, zeta_lo) = zeta_double_double(z);
    let inv = 1.0 / zeta;
    // Sums P, Q (for Ai) and R, S (for Ai'), accumulated until the terms stop decreasing or are negligible.
    let (mut p, mut q, mut r, mut s) = (1.0, 0.0, 1.0, 0.0);
    let mut u = 1.0_f64; // u_k
    let mut power = 1.0_f64; // ζ^{−k}
    let mut last = f64::INFINITY;
    for k in 1..200_u32 {
        let kf = f64::from(k);
        // u_k / u_{k−1} = (6k−5)(6k−3)(6k−1) / ((2k−1)·216·k).
        u *= (6.0 * kf - 5.0) * (6.0 * kf - 3.0) * (6.0 * kf - 1.0)
            / ((2.0 * kf - 1.0) * 216.0 * kf);
        power *= inv;
        let v = -(6.0 * kf + 1.0) / (6.0 * kf - 1.0) * u;
        let term_u = u * power;
        let term_v = v * power;
        if term_u.abs() >= last {
            break;
        }
        last = term_u.abs();
        // Sign (−1)^{⌊k/2⌋}; even k goes to P/R, odd k to Q/S.
        let sign = if (k / 2) % 2 == 0 { 1.0 } else { -1.0 };
        if k % 2 == 0 {
            p += sign * term_u;
            r += sign * term_v;
        } else {
            q += sign * term_u;
            s += sign * term_v;
        }
        if term_u.abs() < 1e-18 {
            break;
        }
    }
    // cos(ζ − π/4) = (cos ζ + sin ζ)/√2 and sin(ζ − π/4) = (sin ζ − cos ζ)/√2 avoid rounding π/4 into ζ.
    // The phase is ζ_hi + ζ_lo; first-order correction for ζ_lo (|ζ_lo| ≤ ulp(ζ), so the error is ~ulp²).
    let (sin_hi, cos_hi) = zeta.sin_cos();
    let sin_z = sin_hi + zeta_lo * cos_hi;
    let cos_z = cos_hi - zeta_lo * sin_hi;
    let cos_shift = (cos_z + sin_z) * std::f64::consts::FRAC_1_SQRT_2;
    let sin_shift = (sin_z - cos_z) * std::f64::consts::FRAC_1_SQRT_2;
    let root_pi = PI.sqrt();
    let quarter = z.sqrt().sqrt();
    let ai = (cos_shift * p + sin_shift * q) / (root_pi * quarter);
    let aip = quarter / root_pi * (sin_shift * r - cos_shift * s);
    (ai, aip)
}
