//! Extreme eigenpairs by thick-restart Lanczos (Wu & Simon 2000, "Thick-restart Lanczos method for large
//! symmetric eigenvalue problems", SIAM J. Matrix Anal. Appl. 22(2), 602–616), with a bounded basis and a
//! convergence test.
//!
//! The basis `V = [v₀ … v_{m−1}]` (orthonormal, full reorthogonalisation by two passes of classical Gram–Schmidt)
//! and the projected matrix `H = Vᵀ A V` satisfy, after every step,
//!
//! ```text
//! A V = V H + r e_mᵀ,   r ⟂ V,   β = ‖r‖.
//! ```
//!
//! `H` is tridiagonal until the first restart. When the basis holds `max_basis` vectors, the run restarts: it
//! keeps `l` Ritz vectors `V y_i` (the wanted ones and the next ones in the wanted direction, Wu & Simon §3),
//! `H` becomes `diag(θ_i)` bordered by the couplings `s_i = β e_mᵀ y_i` to the next vector `r/β` (an "arrowhead",
//! Wu & Simon eq. 2.4), and the recurrence continues. Mathematically this is ARPACK's implicitly restarted Lanczos
//! with exact shifts (Sorensen 1992; Stewart 2001 proves the equivalence for Krylov–Schur); it needs no QR sweeps
//! and stays stable because the kept vectors are Ritz vectors.
//!
//! **Convergence.** The Ritz pair `(θ_i, V y_i)` has residual norm `β |e_mᵀ y_i|` (the cheap bound, exact in
//! exact arithmetic). It is checked as the run goes; when every wanted pair passes
//! `β |e_mᵀ y_i| ≤ tol · ‖A‖` (with `‖A‖` estimated by the largest `|θ|`, a lower bound on `‖A‖₂`), the Ritz
//! vectors are formed and their residuals `‖A x − θ x‖` computed with explicit products; the run stops only if
//! these confirm; otherwise it continues. A Ritz value whose unit Ritz vector has residual norm `‖r‖` lies within
//! `‖r‖` of an eigenvalue (Parlett, *The Symmetric Eigenvalue Problem*, Thm 4.5.1), so `tol` bounds the eigenvalue
//! error relative to `‖A‖`.
//!
//! **Cost.** One product per step; `O(n m)` flops for the reorthogonalisation at basis size `m`; `O(n m l)` per
//! restart; a dense `m × m` eigensolve per check (`O(m³)`, checked every step for `m ≤ 32`). Memory: `n ·
//! max_basis` for the basis plus `n` for the residual, whatever the number of iterations.
//!
//! **Breakdown.** If `β ≤` [`BREAKDOWN_REL_TOL`]` · ‖A‖`, `span V` is invariant and its Ritz values are exact
//! eigenvalues, but the eigenvalues of the complement are unknown (a start vector with no component along the
//! top eigenvector breaks down without ever seeing it). The run continues with a fresh Gaussian vector orthogonal
//! to `V` (coupling zero) and suspends the convergence test until the complement has been explored for
//! `max_basis − #wanted` products, as ARPACK does for one restart cycle. If a fresh random vector breaks down at
//! once, it is an eigenvector, so the complement is (almost surely) a single eigenspace and is fully known: the
//! test resumes at once. If the basis spans ℝⁿ the run stops with [`Stopped::Invariant`]: every Ritz value is then
//! an exact eigenvalue.
//!
//! **Multiplicity.** Lanczos from one vector sees one direction of each eigenspace: a repeated eigenvalue is
//! found, but its copies may be reported only once (they appear later, through round-off, if at all). Every
//! returned value is an eigenvalue; none is skipped; multiplicities may be undercounted. A block method would be
//! needed to count them.

use faer::prelude::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rand_distr::{Distribution, StandardNormal};

use super::{BREAKDOWN_REL_TOL, check_finite, fresh_orthogonal_vector, gram_schmidt_pass, norm};
use crate::SimulateError;
use crate::operator::{SymmetricOperator, apply_checked};
use crate::rng::Rng;

/// The default cap on products in [`LanczosConfig`].
///
/// A cap, not a schedule: runs stop at convergence, typically after 20–200 products for the extreme pairs of
/// the spectra in this workspace; 2000 products bound a run whose spectrum is too clustered to converge.
pub const DEFAULT_MAX_MATVECS: usize = 2000;

/// The default basis size is `max(2 · #wanted + DEFAULT_BASIS_EXTRA, …)`, ARPACK's `ncv = 2 nev + 1` rule of
/// thumb plus room: a larger basis restarts less often and converges in fewer products, at `n` floats a vector.
const DEFAULT_BASIS_EXTRA: usize = 20;

/// The projected eigenproblem is solved every `max(1, max_basis / CHECK_STRIDE_DIVISOR)` steps: every step for
/// bases up to 32 vectors (an `m × m` eigensolve, ~10 m³ flops, is then cheaper than one product with any
/// operator of dimension above ~m²), and about 32 times per restart cycle for larger bases.
const CHECK_STRIDE_DIVISOR: usize = 32;

/// Rows of the basis processed together when the basis is rotated at a restart (a `ROTATION_BLOCK_ROWS × l`
/// scratch block instead of a second basis).
const ROTATION_BLOCK_ROWS: usize = 256;

/// Which end of the spectrum [`lanczos`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The `k` largest eigenvalues.
    Top,
    /// The `k` smallest eigenvalues.
    Bottom,
    /// The `k` smallest and the `k` largest (`2k` pairs).
    Both,
}

/// Settings of [`lanczos`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LanczosConfig {
    /// Eigenpairs wanted at each requested end.
    pub k: usize,
    /// Which end(s).
    pub which: Which,
    /// Relative residual tolerance: a pair is converged when `‖A v − θ v‖ ≤ tol · ‖A‖`, with `‖A‖` estimated by the
    /// largest `|θ|` (a lower bound on `‖A‖₂`). The eigenvalue error is then at most `tol · ‖A‖`.
    pub tol: f64,
    /// A cap on the products of the iteration (the explicit residuals add one product per returned pair and per
    /// confirmation). Reaching it stops the run with [`Stopped::MaxMatvecs`]; unconverged pairs are flagged.
    pub max_matvecs: usize,
    /// Basis vectors kept at most (memory `n · max_basis`); `None` for `max(2 · #wanted + 20, …)`, capped at `n`.
    /// At least `#wanted + 1` (or `n`).
    pub max_basis: Option<usize>,
}

impl Default for LanczosConfig {
    /// The top eigenpair, `tol = 1e-8`, at most [`DEFAULT_MAX_MATVECS`] products, the default basis.
    fn default() -> Self {
        Self {
            k: 1,
            which: Which::Top,
            tol: 1e-8,
            max_matvecs: DEFAULT_MAX_MATVECS,
            max_basis: None,
        }
    }
}

impl LanczosConfig {
    /// The number of pairs returned: `k`, or `2k` for [`Which::Both`].
    pub fn n_wanted(&self) -> usize {
        match self.which {
            Which::Both => self.k.saturating_mul(2),
            Which::Top | Which::Bottom => self.k,
        }
    }

    /// The basis bound used for an operator of dimension `n`: `max_basis`, or `2 · #wanted + 20`, capped at `n`.
    pub fn basis_bound(&self, n: usize) -> usize {
        self.max_basis
            .unwrap_or_else(|| {
                self.n_wanted()
                    .saturating_mul(2)
                    .saturating_add(DEFAULT_BASIS_EXTRA)
            })
            .min(n)
    }
}

/// Why a run of [`lanczos`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Every wanted pair met the tolerance, confirmed by explicit residuals.
    Converged,
    /// The cap [`LanczosConfig::max_matvecs`] was reached; see [`RitzPair::converged`] per pair.
    MaxMatvecs,
    /// The basis spans ℝⁿ (an invariant subspace that is the whole space): every Ritz value is an exact
    /// eigenvalue up to round-off.
    Invariant,
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Converged => "converged",
            Self::MaxMatvecs => "max_matvecs",
            Self::Invariant => "invariant",
        })
    }
}

/// One Ritz pair with its measured accuracy.
#[derive(Debug, Clone, PartialEq)]
pub struct RitzPair {
    /// The Ritz value `θ`.
    pub value: f64,
    /// The unit Ritz vector `v`.
    pub vector: Vec<f64>,
    /// `‖A v − θ v‖₂`, computed with an explicit product (not the recurrence's estimate).
    pub residual: f64,
    /// Whether `residual ≤ tol · ‖A‖` (see [`LanczosConfig::tol`]).
    pub converged: bool,
}

/// Extreme eigenpairs from [`lanczos`].
#[derive(Debug, Clone)]
pub struct LanczosResult {
    /// The requested pairs, sorted by ascending value.
    pub pairs: Vec<RitzPair>,
    /// All products with `A`: the iteration's plus one per pair per explicit confirmation.
    pub n_matvecs: usize,
    /// Thick restarts (each when the basis was full).
    pub n_restarts: usize,
    /// Breakdowns (invariant subspaces) after which a fresh vector continued the run.
    pub n_breakdowns: usize,
    /// The largest number of basis vectors held at once (at most the configured bound).
    pub peak_basis: usize,
    /// Why the run ended.
    pub stopped: Stopped,
    /// The scale of the tolerance: the largest `|θ|` over all Ritz values of the last basis.
    pub norm_estimate: f64,
}

impl LanczosResult {
    /// Whether every returned pair is flagged converged.
    pub fn all_converged(&self) -> bool {
        self.pairs.iter().all(|p| p.converged)
    }

    /// The Ritz values, ascending.
    pub fn values(&self) -> Vec<f64> {
        self.pairs.iter().map(|p| p.value).collect()
    }

    /// The explicit residual norms, in the order of [`LanczosResult::pairs`].
    pub fn residuals(&self) -> Vec<f64> {
        self.pairs.iter().map(|p| p.residual).collect()
    }

    /// How many returned pairs are flagged converged.
    pub fn n_converged(&self) -> usize {
        self.pairs.iter().filter(|p| p.converged).count()
    }
}

/// Extreme eigenpairs of `op` by thick-restart Lanczos from a standard Gaussian start vector drawn from `rng`.
///
/// See [`lanczos_from`].
///
/// # Errors
/// As [`lanczos_from`].
pub fn lanczos<O: SymmetricOperator + ?Sized>(
    op: &O,
    config: &LanczosConfig,
    rng: &mut Rng,
) -> Result<LanczosResult, SimulateError> {
    validate(op.dim(), config)?;
    let start: Vec<f64> = (0..op.dim()).map(|_| StandardNormal.sample(rng)).collect();
    lanczos_from(op, &start, config, rng)
}

/// Extreme eigenpairs of `op` by thick-restart Lanczos started at `start` (normalised here; a warm start such as
/// the previous eigenvector along a trajectory converges in a few products).
///
/// Returns `k` pairs (`2k` for [`Which::Both`]) sorted by ascending value, each with its explicit residual and a
/// convergence flag, and why the run stopped. `rng` supplies fresh vectors after a breakdown only. Cost: see the
/// module documentation; memory `n · max_basis`.
///
/// # Errors
/// [`SimulateError::InvalidArgument`] if `n = 0`, `k = 0`, more eigenvalues are requested than `n`, `tol` is not
/// positive and finite, `max_matvecs` is below the number of requested pairs, `max_basis` is below `#wanted + 1`
/// (and below `n`), or `start` has the wrong length or is zero; [`SimulateError::NonFinite`] if the operator
/// returns NaN or ±∞; [`SimulateError::Numerical`] if the projected eigensolver fails.
pub fn lanczos_from<O: SymmetricOperator + ?Sized>(
    op: &O,
    start: &[f64],
    config: &LanczosConfig,
    rng: &mut Rng,
) -> Result<LanczosResult, SimulateError> {
    let n = op.dim();
    validate(n, config)?;
    if start.len() != n {
        return Err(SimulateError::invalid(
            "start.len()",
            start.len(),
            format!("the operator dimension {n}"),
        ));
    }
    check_finite("Lanczos starting vector", start)?;
    let start_norm = norm(start);
    if start_norm == 0.0 {
        return Err(SimulateError::invalid(
            "starting vector",
            "the zero vector",
            "a non-zero vector",
        ));
    }
    let max_basis = config.basis_bound(n);
    let wanted = config.n_wanted();
    let stride = (max_basis / CHECK_STRIDE_DIVISOR).max(1);
    // Products spent exploring the complement after a breakdown before convergence is tested again: one restart
    // cycle's worth of new vectors.
    let explore = max_basis.saturating_sub(wanted).max(1);
    let mut run = Run::new(op, max_basis);
    run.basis.extend(start.iter().map(|x| x / start_norm));
    run.multiply_last()?;
    let mut steps_since_check = 0;
    let mut suspended_until = 0;
    // Steps of the current Krylov block, and whether it began at a fresh random vector (after a breakdown).
    let mut block_len = 1;
    let mut block_is_fresh = false;
    let mut next_confirmation_at = 0;
    let mut pending_coupling: Option<Vec<f64>> = None;
    loop {
        let m = run.m();
        let broke_down = run.beta <= BREAKDOWN_REL_TOL * run.norm_estimate;
        let spans = m == n;
        let full = m == max_basis;
        let at_cap = run.products >= config.max_matvecs;
        if broke_down && !spans {
            if block_is_fresh && block_len == 1 {
                // A random vector orthogonal to the basis is an eigenvector: the complement of the basis is one
                // eigenspace (almost surely), whose eigenvalue is now a Ritz value. Nothing is left to explore.
                suspended_until = run.products;
            } else if run.products >= suspended_until {
                suspended_until = run.products + explore;
            }
        }
        let suspended = run.products < suspended_until;
        let must_finish = spans || at_cap;
        let due = must_finish || full || (!suspended && steps_since_check >= stride);
        if due && m >= wanted {
            steps_since_check = 0;
            let ritz = run.ritz()?;
            let selected = select(m, config.which, config.k);
            let effective_beta = if broke_down { 0.0 } else { run.beta };
            let tol_abs = config.tol * ritz.scale;
            let bounds_pass = selected
                .iter()
                .all(|&i| (effective_beta * ritz.vectors[(m - 1, i)]).abs() <= tol_abs);
            let confirm =
                must_finish || (!suspended && bounds_pass && run.products >= next_confirmation_at);
            if confirm {
                let pairs = run.ritz_pairs(&ritz, &selected, tol_abs)?;
                let all = pairs.iter().all(|p| p.converged);
                if all || must_finish {
                    let stopped = if spans {
                        Stopped::Invariant
                    } else if all {
                        Stopped::Converged
                    } else {
                        Stopped::MaxMatvecs
                    };
                    return Ok(run.finish(pairs, stopped, ritz.scale));
                }
                // The recurrence's bound and the explicit residual disagree (round-off in the basis, or a
                // tolerance near the floor): continue, and confirm again only after as many further products as
                // a confirmation costs, so confirmations at most double the cost.
                next_confirmation_at = run.products + wanted;
            }
            if full {
                let kept = keep(m, config.which, config.k, wanted);
                pending_coupling = Some(run.restart(&ritz, &kept, effective_beta));
            }
        } else if full {
            // Only reachable when the basis bound is below the number of wanted pairs, which validation rules out.
            return Err(SimulateError::Numerical {
                what: "thick-restart Lanczos",
                detail: format!("basis of {m} vectors full with {wanted} pairs wanted"),
            });
        }
        if broke_down {
            match fresh_orthogonal_vector(&run.basis, n, rng, &mut run.coefficients) {
                Some(fresh) => {
                    run.basis.extend_from_slice(&fresh);
                    run.n_breakdowns += 1;
                    pending_coupling = None;
                    block_len = 0;
                    block_is_fresh = true;
                }
                None => {
                    // The basis spans ℝⁿ numerically: every Ritz value is exact.
                    let ritz = run.ritz()?;
                    let selected = select(run.m(), config.which, config.k);
                    let pairs = run.ritz_pairs(&ritz, &selected, config.tol * ritz.scale)?;
                    return Ok(run.finish(pairs, Stopped::Invariant, ritz.scale));
                }
            }
        } else {
            run.append_residual(pending_coupling.take());
        }
        run.multiply_last()?;
        steps_since_check += 1;
        block_len += 1;
    }
}

fn validate(n: usize, config: &LanczosConfig) -> Result<(), SimulateError> {
    if n == 0 {
        return Err(SimulateError::invalid("operator dimension", 0, "n >= 1"));
    }
    if config.k == 0 {
        return Err(SimulateError::invalid("k", 0, "k >= 1"));
    }
    let wanted = config.n_wanted();
    if wanted > n {
        return Err(SimulateError::invalid(
            "k",
            config.k,
            format!(
                "at most the dimension n = {n} eigenvalues in all ({wanted} requested with {:?})",
                config.which
            ),
        ));
    }
    if !(config.tol.is_finite() && config.tol > 0.0) {
        return Err(SimulateError::invalid(
            "tol",
            config.tol,
            "a positive finite tolerance",
        ));
    }
    if config.max_matvecs < wanted {
        return Err(SimulateError::invalid(
            "max_matvecs",
            config.max_matvecs,
            format!("at least the {wanted} requested eigenpairs"),
        ));
    }
    let basis = config.basis_bound(n);
    if basis < n && basis <= wanted {
        return Err(SimulateError::invalid(
            "max_basis",
            basis,
            format!(
                "at least {} (the {wanted} requested pairs plus one) or the dimension {n}",
                wanted + 1
            ),
        ));
    }
    Ok(())
}

/// Indices (into ascending Ritz values `0..m`) of the wanted pairs, ascending.
fn select(m: usize, which: Which, k: usize) -> Vec<usize> {
    match which {
        Which::Top => (m - k..m).collect(),
        Which::Bottom => (0..k).collect(),
        Which::Both => (0..k).chain(m - k..m).collect(),
    }
}

/// Indices of the Ritz vectors kept at a restart: the wanted ones and half of the rest of the basis on the wanted
/// side(s), the thick-restart choice of Wu & Simon (§3, "keep about half").
fn keep(m: usize, which: Which, k: usize, wanted: usize) -> Vec<usize> {
    match which {
        Which::Top => {
            let l = wanted + (m - wanted) / 2;
            (m - l..m).collect()
        }
        Which::Bottom => (0..wanted + (m - wanted) / 2).collect(),
        Which::Both => {
            let side = k + (m - wanted) / 4;
            (0..side).chain(m - side..m).collect()
        }
    }
}

/// The eigendecomposition of the projected matrix and the tolerance's scale.
struct Ritz {
    values: Vec<f64>,
    vectors: Mat<f64>,
    scale: f64,
}

/// The state of one run: the basis, the projected matrix and the residual `r = w` with norm `beta`.
struct Run<'a, O: ?Sized> {
    op: &'a O,
    n: usize,
    /// Basis vectors, each contiguous (column-major `n × m`).
    basis: Vec<f64>,
    /// `H = Vᵀ A V`, top-left `m × m` in use.
    projected: Mat<f64>,
    /// The residual `r = A v_{m−1} − V H e_m`, orthogonal to the basis.
    w: Vec<f64>,
    beta: f64,
    /// Gram–Schmidt coefficients (scratch).
    coefficients: Vec<f64>,
    norm_estimate: f64,
    products: usize,
    n_restarts: usize,
    n_breakdowns: usize,
    peak_basis: usize,
}

impl<'a, O: SymmetricOperator + ?Sized> Run<'a, O> {
    fn new(op: &'a O, max_basis: usize) -> Self {
        let n = op.dim();
        Self {
            op,
            n,
            basis: Vec::with_capacity(n * max_basis),
            projected: Mat::zeros(max_basis, max_basis),
            w: vec![0.0; n],
            beta: 0.0,
            coefficients: vec![0.0; max_basis],
            norm_estimate: 0.0,
            products: 0,
            n_restarts: 0,
            n_breakdowns: 0,
            peak_basis: 0,
        }
    }

    fn m(&self) -> usize {
        self.basis.len() / self.n
    }

    /// `w = A v_{m−1}` orthogonalised (twice) against the whole basis; sets `H[m−1, m−1]` and `β = ‖w‖`. The other
    /// coefficients of the first pass reproduce entries of `H` already known (`β`, or the couplings after a
    /// restart) and, with the second pass, only restore orthogonality.
    fn multiply_last(&mut self) -> Result<(), SimulateError> {
        let m = self.m();
        let n = self.n;
        self.peak_basis = self.peak_basis.max(m);
        apply_checked(self.op, &self.basis[(m - 1) * n..], &mut self.w)?;
        self.products += 1;
        self.norm_estimate = self.norm_estimate.max(norm(&self.w));
        let mut alpha = 0.0;
        for _ in 0..2 {
            gram_schmidt_pass(&self.basis, n, &mut self.w, &mut self.coefficients[..m]);
            alpha += self.coefficients[m - 1];
        }
        if !alpha.is_finite() {
            return Err(SimulateError::NonFinite {
                what: "Lanczos coefficient alpha",
                index: m - 1,
            });
        }
        self.projected[(m - 1, m - 1)] = alpha;
        self.beta = norm(&self.w);
        if !self.beta.is_finite() {
            return Err(SimulateError::NonFinite {
                what: "Lanczos coefficient beta",
                index: m - 1,
            });
        }
        Ok(())
    }

    /// Appends `w / β` as the next basis vector, coupled to the previous one by `β` or, right after a restart, to
    /// the kept Ritz vectors by `coupling`.
    fn append_residual(&mut self, coupling: Option<Vec<f64>>) {
        let m = self.m();
        match coupling {
            Some(s) => {
                for (i, &si) in s.iter().enumerate() {
                    self.projected[(i, m)] = si;
                    self.projected[(m, i)] = si;
                }
            }
            None => {
                self.projected[(m - 1, m)] = self.beta;
                self.projected[(m, m - 1)] = self.beta;
            }
        }
        let beta = self.beta;
        self.basis.extend(self.w.iter().map(|x| x / beta));
    }

    /// Eigenpairs of the `m × m` projected matrix, ascending.
    fn ritz(&self) -> Result<Ritz, SimulateError> {
        let m = self.m();
        let h = self.projected.as_ref().submatrix(0, 0, m, m).to_owned();
        let (values, vectors) = crate::dense::eigen(&h)?;
        let scale = values.iter().fold(0.0_f64, |acc, t| acc.max(t.abs()));
        Ok(Ritz {
            values,
            vectors,
            scale,
        })
    }

    /// Forms the selected Ritz vectors and their explicit residuals (one product each).
    fn ritz_pairs(
        &mut self,
        ritz: &Ritz,
        selected: &[usize],
        tol_abs: f64,
    ) -> Result<Vec<RitzPair>, SimulateError> {
        let (n, m) = (self.n, self.m());
        let v = MatRef::from_column_major_slice(&self.basis, n, m);
        let mut av = vec![0.0; n];
        let mut pairs = Vec::with_capacity(selected.len());
        for &i in selected {
            let mut vector = vec![0.0; n];
            faer::linalg::matmul::matmul(
                MatMut::from_column_major_slice_mut(&mut vector, n, 1),
                Accum::Replace,
                v,
                ritz.vectors.as_ref().submatrix(0, i, m, 1),
                1.0,
                Par::Seq,
            );
            let vnorm = norm(&vector);
            vector.iter_mut().for_each(|x| *x /= vnorm);
            apply_checked(self.op, &vector, &mut av)?;
            self.products += 1;
            let value = ritz.values[i];
            let residual = av
                .iter()
                .zip(&vector)
                .map(|(a, x)| (a - value * x).powi(2))
                .sum::<f64>()
                .sqrt();
            pairs.push(RitzPair {
                value,
                vector,
                residual,
                converged: residual <= tol_abs,
            });
        }
        Ok(pairs)
    }

    /// The thick restart: `V ← V Y_kept`, `H ← diag(θ_kept)`; returns the couplings `s_i = β e_mᵀ y_i` of the kept
    /// vectors to the next basis vector `w / β`.
    fn restart(&mut self, ritz: &Ritz, kept: &[usize], beta: f64) -> Vec<f64> {
        let (n, m, l) = (self.n, self.m(), kept.len());
        let rotation = Mat::<f64>::from_fn(m, l, |r, c| ritz.vectors[(r, kept[c])]);
        let mut scratch = Mat::<f64>::zeros(ROTATION_BLOCK_ROWS.min(n), l);
        {
            let mut v = MatMut::from_column_major_slice_mut(&mut self.basis, n, m);
            let mut row = 0;
            while row < n {
                let rows = ROTATION_BLOCK_ROWS.min(n - row);
                let mut block = scratch.as_mut().subrows_mut(0, rows);
                faer::linalg::matmul::matmul(
                    block.rb_mut(),
                    Accum::Replace,
                    v.rb().subrows(row, rows),
                    rotation.as_ref(),
                    1.0,
                    Par::Seq,
                );
                v.rb_mut()
                    .subrows_mut(row, rows)
                    .subcols_mut(0, l)
                    .copy_from(block.rb());
                row += rows;
            }
        }
        self.basis.truncate(n * l);
        self.projected.fill(0.0);
        for (c, &i) in kept.iter().enumerate() {
            self.projected[(c, c)] = ritz.values[i];
        }
        self.n_restarts += 1;
        kept.iter()
            .map(|&i| beta * ritz.vectors[(m - 1, i)])
            .collect()
    }

    fn finish(self, pairs: Vec<RitzPair>, stopped: Stopped, scale: f64) -> LanczosResult {
        LanczosResult {
            pairs,
            n_matvecs: self.products,
            n_restarts: self.n_restarts,
            n_breakdowns: self.n_breakdowns,
            peak_basis: self.peak_basis,
            stopped,
            norm_estimate: scale,
        }
    }
}

#[cfg(test)]
mod tests;
