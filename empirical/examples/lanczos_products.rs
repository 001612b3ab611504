//! Products, restarts, peak basis and wall time of thick-restart Lanczos for the top-5 eigenpairs at a relative
//! residual tolerance, for `benches/lanczos_vs_eigsh.py` (which runs ARPACK's `eigsh` on the same
//! operators).
//!
//! ```text
//! cargo run --release -p landscape-empirical --example lanczos_products -- wishart P N [TOL]
//! cargo run --release -p landscape-empirical --example lanczos_products -- digits OUT.npy [TOL]
//! ```
//!
//! * `wishart P N`: `A = X Xᵀ / N` applied matrix-free (two products with the dense `P × N` matrix `X`), with
//!   `X_ij = √3 (2u − 1)`, `u` the splitmix64 output of the counter `i · N + j` scaled to [0, 1): unit-variance
//!   entries that numpy reproduces bit for bit from the same formula, so both solvers see the same matrix.
//! * `digits OUT.npy`: the Hessian of the digits MLP (500 standardised samples, widths 64–32–10, tanh,
//!   cross-entropy with the mean, PyTorch's default initialisation from seed 1), P = 2410; the dense Hessian
//!   (its columns `H e_i`, symmetrised) is written to `OUT.npy` for eigsh.
//!
//! Prints one JSON line: `{"operator", "n", "tol", "products", "restarts", "peak_basis", "stopped", "wall_s",
//! "values", "residuals"}` (values descending, residuals `‖A v − θ v‖ / max|θ|`).

use std::time::Instant;

use landscape_empirical::data::digits::digits;
use landscape_empirical::data::npy::{NpyData, npy_bytes};
use landscape_empirical::model::{CurvatureKind, CurvatureModel, SampleSet};
use landscape_empirical::native::NativeMlp;
use landscape_simulate::lanczos::{LanczosConfig, Which, lanczos};
use landscape_simulate::network::{Activation, Loss, Mlp, MlpConfig, Parameterization};
use landscape_simulate::rng::seeded;
use landscape_simulate::{SimulateError, SymmetricOperator};

/// Top eigenpairs compared.
const K: usize = 5;

/// Default relative residual tolerance (ARPACK's `tol` in the script).
const DEFAULT_TOL: f64 = 1e-10;

/// splitmix64 (Steele, Lea, Flood 2014), the counter-based generator numpy reproduces in the script.
fn splitmix64(counter: u64) -> u64 {
    let mut z = counter.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `X Xᵀ / N` for a dense row-major `P × N` matrix `X`.
struct Wishart {
    p: usize,
    n: usize,
    x: Vec<f64>,
    scratch: std::cell::RefCell<Vec<f64>>,
}

impl Wishart {
    fn new(p: usize, n: usize) -> Self {
        #[allow(clippy::cast_precision_loss)] // 53-bit mantissa: exact.
        let x = (0..p * n)
            .map(|c| {
                let u = (splitmix64(c as u64) >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
                3f64.sqrt() * (2.0 * u - 1.0)
            })
            .collect();
        Self {
            p,
            n,
            x,
            scratch: std::cell::RefCell::new(vec![0.0; n]),
        }
    }
}

impl SymmetricOperator for Wishart {
    fn dim(&self) -> usize {
        self.p
    }

    fn apply(&self, v: &[f64], y: &mut [f64]) -> Result<(), SimulateError> {
        let mut t = self.scratch.borrow_mut();
        t.fill(0.0);
        for (row, &vi) in self.x.chunks_exact(self.n).zip(v) {
            for (tj, &xij) in t.iter_mut().zip(row) {
                *tj += xij * vi;
            }
        }
        let scale = 1.0 / self.n as f64;
        for (yi, row) in y.iter_mut().zip(self.x.chunks_exact(self.n)) {
            *yi = scale * row.iter().zip(t.iter()).map(|(a, b)| a * b).sum::<f64>();
        }
        Ok(())
    }
}

fn run(name: &str, op: &dyn SymmetricOperator, tol: f64) {
    let config = LanczosConfig {
        k: K,
        which: Which::Top,
        tol,
        ..LanczosConfig::default()
    };
    let start = Instant::now();
    let result = lanczos(op, &config, &mut seeded(7)).expect("lanczos");
    let wall = start.elapsed().as_secs_f64();
    let mut values = result.values();
    values.reverse();
    let mut residuals: Vec<f64> = result
        .residuals()
        .iter()
        .map(|r| r / result.norm_estimate)
        .collect();
    residuals.reverse();
    println!(
        "{{\"operator\": \"{name}\", \"n\": {}, \"tol\": {tol:e}, \"products\": {}, \"restarts\": {}, \
         \"peak_basis\": {}, \"stopped\": \"{}\", \"wall_s\": {wall:.3}, \"values\": {values:?}, \
         \"residuals\": {residuals:?}}}",
        op.dim(),
        result.n_matvecs,
        result.n_restarts,
        result.peak_basis,
        result.stopped,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tol_at = |i: usize| {
        args.get(i)
            .map_or(DEFAULT_TOL, |t| t.parse().expect("TOL: a number"))
    };
    match args.first().map(String::as_str) {
        Some("wishart") => {
            let p: usize = args.get(1).and_then(|a| a.parse().ok()).expect("P");
            let n: usize = args.get(2).and_then(|a| a.parse().ok()).expect("N");
            let op = Wishart::new(p, n);
            run("wishart", &op, tol_at(3));
        }
        Some("digits") => {
            let out = args.get(1).expect("OUT.npy");
            let mut data = digits().expect("digits").first(500).expect("500 samples");
            data.standardize();
            let mlp = Mlp::new(MlpConfig {
                widths: vec![64, 32, 10],
                activation: Activation::Tanh,
                parameterization: Parameterization::TorchDefault,
                bias: true,
            })
            .expect("mlp");
            let params = mlp.init(&mut seeded(1));
            let model = NativeMlp::new(mlp, params, Loss::cross_entropy()).expect("model");
            let op = model
                .curvature_operator(&data, CurvatureKind::Hessian)
                .expect("Hessian");
            run("digits_mlp_hessian", op.as_ref(), tol_at(2));
            let p = op.dim();
            let mut dense = vec![0.0; p * p];
            let mut e = vec![0.0; p];
            let mut column = vec![0.0; p];
            for j in 0..p {
                e[j] = 1.0;
                op.apply(&e, &mut column).expect("product");
                e[j] = 0.0;
                for i in 0..p {
                    dense[i * p + j] = column[i];
                }
            }
            for i in 0..p {
                for j in 0..i {
                    let mean = 0.5 * (dense[i * p + j] + dense[j * p + i]);
                    dense[i * p + j] = mean;
                    dense[j * p + i] = mean;
                }
            }
            std::fs::write(out, npy_bytes(&[p, p], &NpyData::F64(dense))).expect("write .npy");
        }
        _ => {
            eprintln!("usage: lanczos_products wishart P N [TOL] | digits OUT.npy [TOL]");
            std::process::exit(2);
        }
    }
}
