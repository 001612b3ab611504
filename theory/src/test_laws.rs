//! Minimal closed-form laws used as operands in this crate's unit tests of the free convolutions (test-only; the
//! real `Semicircle` and `MarchenkoPastur` types live in their own modules). Formulas: theory notes §1.1, §1.2.

use std::fmt;

use crate::law::{Atom, Complex64, SpectralLaw, Support};

/// SC(v): `G(z) = (z − √(z−2σ)·√(z+2σ)) / (2σ²)` with principal roots.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TestSemicircle(pub f64);

impl fmt::Display for TestSemicircle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "semicircle(variance={})", self.0)
    }
}

impl SpectralLaw for TestSemicircle {
    fn pdf(&self, x: f64) -> f64 {
        let r2 = 4.0 * self.0;
        if x * x < r2 {
            (r2 - x * x).sqrt() / (2.0 * std::f64::consts::PI * self.0)
        } else {
            0.0
        }
    }
    fn cdf(&self, x: f64) -> f64 {
        let r = 2.0 * self.0.sqrt();
        if x <= -r {
            return 0.0;
        }
        if x >= r {
            return 1.0;
        }
        0.5 + x * (r * r - x * x).sqrt() / (4.0 * std::f64::consts::PI * self.0)
            + (x / r).asin() / std::f64::consts::PI
    }
    fn support(&self) -> Support {
        let r = 2.0 * self.0.sqrt();
        Support::interval(-r, r)
    }
    fn moment(&self, k: u32) -> f64 {
        if k % 2 == 1 {
            return 0.0;
        }
        let n = k / 2;
        // Catalan number C_n · v^n.
        let mut c = 1.0;
        for i in 0..n {
            c = c * 2.0 * f64::from(2 * i + 1) / f64::from(i + 2);
        }
        c * self.0.powi(n as i32)
    }
    fn cauchy(&self, z: Complex64) -> Complex64 {
        let r = 2.0 * self.0.sqrt();
        (z - (z - r).sqrt() * (z + r).sqrt()) / (2.0 * self.0)
    }
}

/// MP(λ, σ²): `G(z) = (z + σ²(λ−1) − √(z−λ₋)·√(z−λ₊)) / (2λσ²z)`, atom `1 − 1/λ` at 0 for λ > 1.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TestMp(pub f64, pub f64);

impl TestMp {
    fn edges(&self) -> (f64, f64) {
        let s = self.0.sqrt();
        (self.1 * (1.0 - s).powi(2), self.1 * (1.0 + s).powi(2))
    }
}

impl fmt::Display for TestMp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mp(ratio={}, variance={})", self.0, self.1)
    }
}

impl SpectralLaw for TestMp {
    fn pdf(&self, x: f64) -> f64 {
        let (lo, hi) = self.edges();
        if x > lo && x < hi {
            ((hi - x) * (x - lo)).sqrt() / (2.0 * std::f64::consts::PI * self.1 * self.0 * x)
        } else {
            0.0
        }
    }
    fn cdf(&self, _x: f64) -> f64 {
        f64::NAN
    }
    fn support(&self) -> Support {
        let (lo, hi) = self.edges();
        Support::interval(lo, hi)
    }
    fn atoms(&self) -> Vec<Atom> {
        if self.0 > 1.0 {
            vec![Atom {
                location: 0.0,
                mass: 1.0 - 1.0 / self.0,
            }]
        } else {
            Vec::new()
        }
    }
    fn moment(&self, k: u32) -> f64 {
        // m_k = σ^{2k} Σ_{r=0}^{k−1} λ^r/(r+1) C(k,r) C(k−1,r).
        let binom = |n: u32, r: u32| -> f64 {
            (0..r).fold(1.0, |acc, i| acc * f64::from(n - i) / f64::from(i + 1))
        };
        if k == 0 {
            return 1.0;
        }
        let s: f64 = (0..k)
            .map(|r| self.0.powi(r as i32) / f64::from(r + 1) * binom(k, r) * binom(k - 1, r))
            .sum();
        s * self.1.powi(k as i32)
    }
    fn cauchy(&self, z: Complex64) -> Complex64 {
        // (z + c − s)(z + c + s) = 4λσ²z, so G = (z + c − s)/(2λσ²z) = 2/(z + c + s); use the form without
        // cancellation (the first loses all digits near z = 0, the second where z + c + s is small).
        let (lo, hi) = self.edges();
        let c = self.1 * (self.0 - 1.0);
        let s = (z - lo).sqrt() * (z - hi).sqrt();
        let (minus, plus) = (z + c - s, z + c + s);
        if plus.norm() >= minus.norm() {
            2.0 / plus
        } else {
            minus / (2.0 * self.0 * self.1 * z)
        }
    }
}
