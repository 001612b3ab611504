//! Loss, gradient, Jacobian, Gauss–Newton matrix and Hessian of a network at fixed parameters, dense and
//! matrix-free.
//!
//! With `f_α ∈ ℝᵏ` the outputs for sample α, `J_α = ∂f_α/∂θ` (`k × P`), `g_α = ∂ℒ/∂f_α` and
//! `H_α = ∂²ℒ/∂f_α²` (see [`super::loss`]),
//!
//! ```text
//! ∇²ℒ = G + R,    G = Σ_α J_αᵀ H_α J_α  (Gauss–Newton),    R = Σ_α Σ_j g_{αj} ∇²f_{αj}  (residual term).
//! ```
//!
//! The reduction's constant `c` lives inside `g_α` and `H_α`, so with [`super::Reduction::Mean`] cross-entropy
//! `G = (1/n) Σ_α J_αᵀ (diag p_α − p_α p_αᵀ) J_α`, and with [`super::Reduction::HalfMeanOverSamples`] MSE
//! `G = JᵀJ/n` (`docs/theory.md` §A1.11).
//!
//! Hessian-vector products use Pearlmutter's R-operator (Pearlmutter 1994, "Fast exact multiplication by the
//! Hessian"): a forward pass of directional derivatives `R{·} = d/dt|₀ (·)(θ + t v)` followed by a backward pass of
//! the R-derivatives of the backpropagated quantities. For layer ℓ, with `V_ℓ, c_ℓ` the blocks of `v`, `δ_ℓ =
//! ∂ℒ/∂H_ℓ` and `D_{ℓ} = ∂ℒ/∂X_{ℓ}`:
//!
//! ```text
//! R{H_ℓ} = s(R{X_{ℓ−1}} W_ℓᵀ + X_{ℓ−1} V_ℓᵀ) + β 1 c_ℓᵀ,       R{X_ℓ} = σ'(H_ℓ) ⊙ R{H_ℓ},
//! R{δ_L} = H_loss R{f},
//! R{∇W_ℓ} = s(R{δ_ℓ}ᵀ X_{ℓ−1} + δ_ℓᵀ R{X_{ℓ−1}}),  R{∇b_ℓ} = β 1ᵀ R{δ_ℓ},
//! R{D_{ℓ−1}} = s(R{δ_ℓ} W_ℓ + δ_ℓ V_ℓ),   R{δ_{ℓ−1}} = σ'(H_{ℓ−1}) ⊙ R{D_{ℓ−1}} + σ''(H_{ℓ−1}) ⊙ D_{ℓ−1} ⊙ R{H_{ℓ−1}}.
//! ```
//!
//! The backward R-pass is linear in its sources: the seed `R{δ_L} = H_loss J v` alone (dropping the `δ V`,
//! `δᵀ R{X}` and `σ''` terms) gives `G v = Jᵀ H_loss J v`, and all sources but the seed give `R v`.

use super::data::Dataset;
use super::gemm::{View, gemm};
use super::loss::{Loss, LossEvaluation};
use super::mlp::{Derivatives, ForwardCache, Mlp, weight};
use crate::{SimulateError, SymmetricOperator};

/// Which part of the curvature a product computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Hessian,
    Residual,
}

/// A network, its parameters, its data and a loss, with the forward and backward passes done once.
///
/// Every product below reuses them, so one product costs only the R-passes. Building it costs one gradient.
#[derive(Debug, Clone)]
pub struct CurvaturePoint<'a> {
    mlp: &'a Mlp,
    params: &'a [f64],
    data: &'a Dataset,
    cache: ForwardCache,
    loss: LossEvaluation,
    /// `δ_ℓ` and `D_ℓ` of the loss gradient.
    deltas: Deltas,
    gradient: Vec<f64>,
}

impl<'a> CurvaturePoint<'a> {
    /// Runs the forward pass, evaluates the loss and backpropagates. Cost: one gradient, `O(n P)`.
    ///
    /// Errors on shape mismatches, targets that do not fit the loss, or non-finite outputs.
    pub fn new(
        mlp: &'a Mlp,
        params: &'a [f64],
        data: &'a Dataset,
        loss: Loss,
    ) -> Result<Self, SimulateError> {
        check_inputs(mlp, params, data)?;
        let cache = mlp.forward_cache(
            params,
            data.inputs(),
            data.n_samples(),
            Derivatives::FirstAndSecond,
        );
        let loss = loss.evaluate(
            cache.outputs(),
            data.n_samples(),
            mlp.n_outputs(),
            data.targets(),
        )?;
        let mut gradient = vec![0.0; mlp.n_params()];
        let mut deltas = Deltas::default();
        backward(
            mlp,
            params,
            data.inputs(),
            &cache,
            loss.gradient().to_vec(),
            &mut gradient,
            Some(&mut deltas),
        );
        Ok(Self {
            mlp,
            params,
            data,
            cache,
            loss,
            deltas,
            gradient,
        })
    }

    /// The network.
    pub fn mlp(&self) -> &Mlp {
        self.mlp
    }

    /// `P`.
    pub fn n_params(&self) -> usize {
        self.mlp.n_params()
    }

    /// `ℒ(θ)`.
    pub fn loss_value(&self) -> f64 {
        self.loss.value()
    }

    /// The loss at the outputs (its gradient and output Hessians).
    pub fn loss_evaluation(&self) -> &LossEvaluation {
        &self.loss
    }

    /// The network outputs, row-major `n × k`.
    pub fn outputs(&self) -> &[f64] {
        self.cache.outputs()
    }

    /// `∇ℒ(θ)`, length `P`.
    pub fn gradient(&self) -> &[f64] {
        &self.gradient
    }

    /// `J v` (row-major `n × k`) and the R-forward quantities `R{H_ℓ}` (all layers), `R{X_ℓ}` (hidden layers).
    fn r_forward(&self, v: &[f64]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let n = self.cache.n;
        let layers = self.mlp.layers();
        let mut r_pre: Vec<Vec<f64>> = Vec::with_capacity(layers.len());
        let mut r_post: Vec<Vec<f64>> = Vec::with_capacity(layers.len() - 1);
        for (l, layer) in layers.iter().enumerate() {
            let input: &[f64] = if l == 0 {
                self.data.inputs()
            } else {
                &self.cache.post[l - 1]
            };
            let (fi, fo, s) = (layer.fan_in, layer.fan_out, layer.weight_scale);
            let mut rh = vec![0.0; n * fo];
            gemm(
                &mut rh,
                View::new(input, n, fi),
                View::new(weight(v, layer), fo, fi).t(),
                s,
                false,
            );
            if l > 0 {
                let w = weight(self.params, layer);
                gemm(
                    &mut rh,
                    View::new(&r_post[l - 1], n, fi),
                    View::new(w, fo, fi).t(),
                    s,
                    true,
                );
            }
            if let Some(bo) = layer.bias_offset {
                let c = &v[bo..bo + fo];
                for row in rh.chunks_exact_mut(fo) {
                    for (o, cj) in row.iter_mut().zip(c) {
                        *o += layer.bias_scale * cj;
                    }
                }
            }
            if l + 1 < layers.len() {
                let rx: Vec<f64> = rh
                    .iter()
                    .zip(&self.cache.d1[l])
                    .map(|(a, b)| a * b)
                    .collect();
                r_post.push(rx);
            }
            r_pre.push(rh);
        }
        (r_pre, r_post)
    }

    /// The R-backward pass for the Hessian or its residual part, written into `out`.
    fn r_backward(&self, v: &[f64], part: Part, out: &mut [f64]) {
        let n = self.cache.n;
        let layers = self.mlp.layers();
        let (r_pre, r_post) = self.r_forward(v);
        let k = self.mlp.n_outputs();
        let mut r_delta = vec![0.0; n * k];
        if part == Part::Hessian {
            self.loss
                .hessian_apply(&r_pre[layers.len() - 1], &mut r_delta);
        }
        for (l, layer) in layers.iter().enumerate().rev() {
            let (fi, fo, s) = (layer.fan_in, layer.fan_out, layer.weight_scale);
            let input: &[f64] = if l == 0 {
                self.data.inputs()
            } else {
                &self.cache.post[l - 1]
            };
            let delta = &self.deltas.pre[l];
            let gw = &mut out[layer.weight_offset..layer.weight_offset + fi * fo];
            gemm(
                gw,
                View::new(&r_delta, n, fo).t(),
                View::new(input, n, fi),
                s,
                false,
            );
            if l > 0 {
                gemm(
                    gw,
                    View::new(delta, n, fo).t(),
                    View::new(&r_post[l - 1], n, fi),
                    s,
                    true,
                );
            }
            if let Some(bo) = layer.bias_offset {
                column_sums(&r_delta, fo, layer.bias_scale, &mut out[bo..bo + fo]);
            }
            if l > 0 {
                let w = weight(self.params, layer);
                let mut r_dx = vec![0.0; n * fi];
                gemm(
                    &mut r_dx,
                    View::new(&r_delta, n, fo),
                    View::new(w, fo, fi),
                    s,
                    false,
                );
                gemm(
                    &mut r_dx,
                    View::new(delta, n, fo),
                    View::new(weight(v, layer), fo, fi),
                    s,
                    true,
                );
                let (d1, d2) = (&self.cache.d1[l - 1], &self.cache.d2[l - 1]);
                let dx = &self.deltas.post[l - 1];
                let rh = &r_pre[l - 1];
                for i in 0..r_dx.len() {
                    r_dx[i] = d1[i] * r_dx[i] + d2[i] * dx[i] * rh[i];
                }
                r_delta = r_dx;
            }
        }
    }

    /// `∇²ℒ v` by Pearlmutter's R-operator. Cost `O(n P)`: `6L − 4` batched matrix products (R-forward `2L − 1`,
    /// R-backward `4L − 3`) against the `3L − 1` of a gradient with its forward pass, so under 2 gradients.
    ///
    /// # Panics
    /// If `v` or `out` does not have length `P`.
    #[track_caller]
    pub fn hessian_vector_product(&self, v: &[f64], out: &mut [f64]) {
        self.check_len(v, out);
        self.r_backward(v, Part::Hessian, out);
    }

    /// `R v = Σ_α Σ_j g_{αj} ∇²f_{αj} v`, the residual (non-Gauss–Newton) part of the Hessian. Cost as
    /// [`CurvaturePoint::hessian_vector_product`].
    ///
    /// # Panics
    /// If `v` or `out` does not have length `P`.
    #[track_caller]
    pub fn residual_vector_product(&self, v: &[f64], out: &mut [f64]) {
        self.check_len(v, out);
        self.r_backward(v, Part::Residual, out);
    }

    /// `G v = Jᵀ H_loss J v`: an R-forward pass for `J v`, the output Hessian, and one backpropagation.
    ///
    /// # Panics
    /// If `v` or `out` does not have length `P`.
    #[track_caller]
    pub fn gauss_newton_vector_product(&self, v: &[f64], out: &mut [f64]) {
        self.check_len(v, out);
        let (mut r_pre, _) = self.r_forward(v);
        let jv = r_pre.pop().unwrap_or_default();
        let mut u = vec![0.0; jv.len()];
        self.loss.hessian_apply(&jv, &mut u);
        backward(
            self.mlp,
            self.params,
            self.data.inputs(),
            &self.cache,
            u,
            out,
            None,
        );
    }

    /// `J v`, row-major `n × k`.
    ///
    /// # Panics
    /// If `v` does not have length `P`.
    #[track_caller]
    pub fn jacobian_vector_product(&self, v: &[f64]) -> Vec<f64> {
        assert_eq!(v.len(), self.n_params(), "v has the wrong length");
        self.r_forward(v).0.pop().unwrap_or_default()
    }

    /// `Jᵀ u` for `u` row-major `n × k`.
    ///
    /// # Panics
    /// If `u` does not have length `n k`.
    #[track_caller]
    pub fn vector_jacobian_product(&self, u: &[f64]) -> Vec<f64> {
        assert_eq!(
            u.len(),
            self.cache.n * self.mlp.n_outputs(),
            "u has the wrong length"
        );
        let mut out = vec![0.0; self.n_params()];
        backward(
            self.mlp,
            self.params,
            self.data.inputs(),
            &self.cache,
            u.to_vec(),
            &mut out,
            None,
        );
        out
    }

    /// The Jacobian `∂f/∂θ`, row-major `(n k) × P`, row `α k + j` holding `∂f_{αj}/∂θ`. Cost `k` backward passes
    /// plus `O(n k P)` to write it.
    pub fn jacobian(&self) -> Vec<f64> {
        let n = self.cache.n;
        let k = self.mlp.n_outputs();
        let p = self.n_params();
        let mut jac = vec![0.0; n * k * p];
        let mut scratch = vec![0.0; p];
        for j in 0..k {
            let mut seed = vec![0.0; n * k];
            for a in 0..n {
                seed[a * k + j] = 1.0;
            }
            let mut deltas = Deltas::default();
            backward(
                self.mlp,
                self.params,
                self.data.inputs(),
                &self.cache,
                seed,
                &mut scratch,
                Some(&mut deltas),
            );
            for (l, layer) in self.mlp.layers().iter().enumerate() {
                let input: &[f64] = if l == 0 {
                    self.data.inputs()
                } else {
                    &self.cache.post[l - 1]
                };
                let (fi, fo) = (layer.fan_in, layer.fan_out);
                for a in 0..n {
                    let row = &mut jac[(a * k + j) * p..(a * k + j + 1) * p];
                    let d = &deltas.pre[l][a * fo..(a + 1) * fo];
                    let x = &input[a * fi..(a + 1) * fi];
                    for (i, di) in d.iter().enumerate() {
                        let dst = &mut row
                            [layer.weight_offset + i * fi..layer.weight_offset + (i + 1) * fi];
                        for (o, xm) in dst.iter_mut().zip(x) {
                            *o = layer.weight_scale * di * xm;
                        }
                    }
                    if let Some(bo) = layer.bias_offset {
                        for (o, di) in row[bo..bo + fo].iter_mut().zip(d) {
                            *o = layer.bias_scale * di;
                        }
                    }
                }
            }
        }
        jac
    }

    /// The Gauss–Newton matrix `G = Σ_α J_αᵀ H_α J_α`, dense row-major `P × P`, from the explicit Jacobian (an
    /// independent path from [`CurvaturePoint::gauss_newton_vector_product`]). Symmetrised as `(G + Gᵀ)/2`.
    /// Cost `O(n k P²)` time, `O(n k P + P²)` memory.
    pub fn gauss_newton_dense(&self) -> Vec<f64> {
        let n = self.cache.n;
        let k = self.mlp.n_outputs();
        let p = self.n_params();
        let jac = self.jacobian();
        let mut hj = vec![0.0; n * k * p];
        for a in 0..n {
            let h = self.loss.sample_hessian(a);
            let rows = a * k * p..(a + 1) * k * p;
            gemm(
                &mut hj[rows.clone()],
                View::new(&h, k, k),
                View::new(&jac[rows.clone()], k, p),
                1.0,
                false,
            );
        }
        let mut g = vec![0.0; p * p];
        gemm(
            &mut g,
            View::new(&jac, n * k, p).t(),
            View::new(&hj, n * k, p),
            1.0,
            false,
        );
        symmetrize(&mut g, p);
        g
    }

    /// The Hessian `∇²ℒ`, dense row-major `P × P`: row `i` is `∇²ℒ eᵢ` from the R-operator, not symmetrised (its
    /// asymmetry is a check on the products). Cost `P` Hessian-vector products; meant for `P` up to a few
    /// thousand.
    pub fn hessian_dense(&self) -> Vec<f64> {
        self.dense_from_products(|v, out| self.hessian_vector_product(v, out))
    }

    /// The residual term `R = ∇²ℒ − G`, dense row-major `P × P`, from [`CurvaturePoint::residual_vector_product`].
    pub fn residual_dense(&self) -> Vec<f64> {
        self.dense_from_products(|v, out| self.residual_vector_product(v, out))
    }

    fn dense_from_products(&self, product: impl Fn(&[f64], &mut [f64])) -> Vec<f64> {
        let p = self.n_params();
        let mut dense = vec![0.0; p * p];
        let mut e = vec![0.0; p];
        for (i, row) in dense.chunks_exact_mut(p).enumerate() {
            e[i] = 1.0;
            product(&e, row);
            e[i] = 0.0;
        }
        dense
    }

    #[track_caller]
    fn check_len(&self, v: &[f64], out: &[f64]) {
        assert_eq!(v.len(), self.n_params(), "v has the wrong length");
        assert_eq!(out.len(), self.n_params(), "out has the wrong length");
    }
}

/// What [`backward`] can keep: `δ_ℓ = ∂ℒ/∂H_ℓ` per layer (`n × d_ℓ`) and `D_ℓ = ∂ℒ/∂X_ℓ` per hidden layer.
#[derive(Debug, Clone, Default)]
struct Deltas {
    pre: Vec<Vec<f64>>,
    post: Vec<Vec<f64>>,
}

/// Backpropagates `seed = ∂ℒ/∂f` (row-major `n × k`) into the parameter gradient `grad`, optionally keeping
/// `δ_ℓ = ∂ℒ/∂H_ℓ` for every layer and `D_ℓ = ∂ℒ/∂X_ℓ` for every hidden layer.
fn backward(
    mlp: &Mlp,
    params: &[f64],
    x: &[f64],
    cache: &ForwardCache,
    seed: Vec<f64>,
    grad: &mut [f64],
    mut keep: Option<&mut Deltas>,
) {
    let n = cache.n;
    let layers = mlp.layers();
    let n_layers = layers.len();
    if let Some(d) = keep.as_mut() {
        d.pre = vec![Vec::new(); n_layers];
        d.post = vec![Vec::new(); n_layers - 1];
    }
    let mut delta = seed;
    for (l, layer) in layers.iter().enumerate().rev() {
        let (fi, fo, s) = (layer.fan_in, layer.fan_out, layer.weight_scale);
        let input: &[f64] = if l == 0 { x } else { &cache.post[l - 1] };
        let gw = &mut grad[layer.weight_offset..layer.weight_offset + fi * fo];
        gemm(
            gw,
            View::new(&delta, n, fo).t(),
            View::new(input, n, fi),
            s,
            false,
        );
        if let Some(bo) = layer.bias_offset {
            column_sums(&delta, fo, layer.bias_scale, &mut grad[bo..bo + fo]);
        }
        if l > 0 {
            let mut dx = vec![0.0; n * fi];
            gemm(
                &mut dx,
                View::new(&delta, n, fo),
                View::new(weight(params, layer), fo, fi),
                s,
                false,
            );
            let next: Vec<f64> = dx
                .iter()
                .zip(&cache.d1[l - 1])
                .map(|(a, b)| a * b)
                .collect();
            let prev = std::mem::replace(&mut delta, next);
            if let Some(d) = keep.as_mut() {
                d.pre[l] = prev;
                d.post[l - 1] = dx;
            }
        } else if let Some(d) = keep.as_mut() {
            d.pre[0] = std::mem::take(&mut delta);
        }
    }
}

/// `out[j] = scale · Σ_rows m[row, j]` for row-major `m` with `cols` columns.
fn column_sums(m: &[f64], cols: usize, scale: f64, out: &mut [f64]) {
    out.fill(0.0);
    for row in m.chunks_exact(cols) {
        for (o, v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
    out.iter_mut().for_each(|o| *o *= scale);
}

/// Replaces a row-major `p × p` matrix by `(A + Aᵀ)/2`.
fn symmetrize(a: &mut [f64], p: usize) {
    for i in 0..p {
        for j in i + 1..p {
            let m = 0.5 * (a[i * p + j] + a[j * p + i]);
            a[i * p + j] = m;
            a[j * p + i] = m;
        }
    }
}

/// `ℒ(θ)` and `∇ℒ(θ)` by backpropagation. Cost one forward and one backward pass, `O(n P)`.
pub fn loss_and_gradient(
    mlp: &Mlp,
    params: &[f64],
    data: &Dataset,
    loss: Loss,
) -> Result<(f64, Vec<f64>), SimulateError> {
    // A forward pass without σ'': cheaper than building a CurvaturePoint.
    check_inputs(mlp, params, data)?;
    let cache = mlp.forward_cache(params, data.inputs(), data.n_samples(), Derivatives::First);
    let ev = loss.evaluate(
        cache.outputs(),
        data.n_samples(),
        mlp.n_outputs(),
        data.targets(),
    )?;
    let mut gradient = vec![0.0; mlp.n_params()];
    backward(
        mlp,
        params,
        data.inputs(),
        &cache,
        ev.gradient().to_vec(),
        &mut gradient,
        None,
    );
    Ok((ev.value(), gradient))
}

/// Checks that the data fit the network and the parameters have length `P`.
fn check_inputs(mlp: &Mlp, params: &[f64], data: &Dataset) -> Result<(), SimulateError> {
    if data.sample_len() != mlp.n_inputs() {
        return Err(SimulateError::invalid(
            "data dim",
            data.sample_len(),
            format!("the network's input width {}", mlp.n_inputs()),
        ));
    }
    mlp.check_shapes(params, data.inputs(), data.n_samples())
}

/// `∇²ℒ(θ) v` including the forward and backward passes (use [`HessianOperator`] for repeated products).
pub fn hessian_vector_product(
    mlp: &Mlp,
    params: &[f64],
    data: &Dataset,
    loss: Loss,
    v: &[f64],
) -> Result<Vec<f64>, SimulateError> {
    let point = CurvaturePoint::new(mlp, params, data, loss)?;
    if v.len() != point.n_params() {
        return Err(SimulateError::invalid(
            "v.len()",
            v.len(),
            format!("P = {}", point.n_params()),
        ));
    }
    let mut out = vec![0.0; v.len()];
    point.hessian_vector_product(v, &mut out);
    Ok(out)
}

macro_rules! curvature_operator {
    ($(#[$doc:meta])* $name:ident, $method:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<'a> {
            point: CurvaturePoint<'a>,
        }

        impl<'a> $name<'a> {
            /// Does the forward and backward passes once (cost one gradient).
            pub fn new(
                mlp: &'a Mlp,
                params: &'a [f64],
                data: &'a Dataset,
                loss: Loss,
            ) -> Result<Self, SimulateError> {
                Ok(Self { point: CurvaturePoint::new(mlp, params, data, loss)? })
            }

            /// Wraps a point that is already evaluated.
            pub fn from_point(point: CurvaturePoint<'a>) -> Self {
                Self { point }
            }

            /// The evaluated point.
            pub fn point(&self) -> &CurvaturePoint<'a> {
                &self.point
            }
        }

        impl SymmetricOperator for $name<'_> {
            fn dim(&self) -> usize {
                self.point.n_params()
            }

            fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), SimulateError> {
                let p = self.point.n_params();
                if x.len() != p || y.len() != p {
                    return Err(SimulateError::invalid(
                        "vector length",
                        format!("{} → {}", x.len(), y.len()),
                        format!("P = {p}"),
                    ));
                }
                self.point.$method(x, y);
                Ok(())
            }
        }
    };
}

curvature_operator!(
    /// The loss Hessian `∇²ℒ` as a matrix-free operator (Pearlmutter's R-operator).
    HessianOperator,
    hessian_vector_product
);
curvature_operator!(
    /// The Gauss–Newton matrix `G = Σ_α J_αᵀ H_α J_α` as a matrix-free operator.
    GaussNewtonOperator,
    gauss_newton_vector_product
);
curvature_operator!(
    /// The residual term `R = ∇²ℒ − G` as a matrix-free operator.
    ResidualOperator,
    residual_vector_product
);
