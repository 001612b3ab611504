//! The shared engine that turns a Cauchy-transform solver into a full [`SpectralLaw`]: support and edges, density,
//! CDF, atoms and moments.
//!
//! Laws without a closed form (free convolutions, the Pennington–Bahri model, deep Jacobians, CK/NTK laws) are
//! known through an equation that fixes `G(z)` at each `z ∈ C⁺`. A [`CauchySolver`] solves that equation at one
//! point, optionally warm-started from the solution at a nearby point; [`NumericalLaw::from_solver`] does everything
//! else:
//!
//! 1. **η-continuation.** A cold solve at `z = x + iy` starts at `x + i·4·scale` and walks `Im z` down by factors of
//!    10, warm-starting each step (`docs/theory.md` §A2.2).
//! 2. **Support.** The density `ρ(x) = −Im G_c(x + iη)/π` (where `G_c = G − Σ_atoms m/(z − a)` removes the known
//!    atoms) is scanned on a grid of [`SCAN_POINTS`] points over the search interval. Each edge is then bisected on
//!    the criterion "ρ at `η` is at least half of ρ at `100η`": inside the support the smoothed density does not
//!    depend on η, outside it is proportional to η. This locates soft (`√`) and hard (`x^{−α}`) edges to ~`η`,
//!    i.e. ~1e-12 of the scale, far below the 1e-6 target. Grid points above the density floor are confirmed by
//!    the same test, and [`NumericalConfig::regions`] (places where a component narrower than the grid may hide)
//!    are scanned on grids of their own.
//! 3. **Table.** Each support interval is cut into panels, graded geometrically towards both edges (ratio
//!    [`GRADING_RATIO`], [`GRADED_LEVELS`] levels, innermost panel ~1e-37 of the width at 0) so that Gauss–Legendre per
//!    panel integrates `√` and `x^{−α}` edges to high accuracy (hp-quadrature). Each panel is then bisected
//!    adaptively until its two halves agree with it to [`ADAPTIVE_TOL`] (this resolves near-cusps where two
//!    spectral components meet). Near an edge the density is read at `η ≤ ` [`ETA_EDGE_FRACTION`]` × distance`,
//!    and the graded levels closest to the edge, where a singular panel or a solver's lost accuracy breaks the
//!    geometric series of their masses, are replaced by that series' tail.
//!    Laws on `[0, ∞)` declare 0 as a possible hard edge ([`NumericalConfig::hard_edges`]), onto which a bisected
//!    edge is snapped. The cumulative mass at each panel start is stored, with a solver state for warm starts.
//! 4. **Atoms.** Known atoms are passed in; a mass deficit `1 − ∫ρ − Σ known` larger than [`MASS_TOLERANCE`] is
//!    searched for by the zoom of `docs/theory.md` §A2.3 (maximise `h·(−Im G(x + ih))`, shrinking `h` by 20 per level); the
//!    mass is read off as `η·(−Im G(x₀ + iη))`.
//! 5. **Moments** `m_k = (1/2πi)∮ z^k G(z) dz` by the trapezoid rule on a circle enclosing the support and atoms
//!    ([`CONTOUR_POINTS`] points); this converges geometrically and includes atoms automatically.
//!
//! The CDF at `x` is the tabulated mass up to the panel holding `x` plus a Gauss–Legendre integral over the rest of
//! that panel; the pdf is a direct solve at `x + iη` warm-started from the nearest panel. Both are accurate to
//! ~1e-9 away from edges for the laws tested in this crate (see the tests of `free_sum` and `pennington_bahri`).
//!
//! # Writing a solver
//! Implement [`CauchySolver`]: `solve(z, warm)` must return `G(z)` for `Im z > 0` and a state from which a solve at
//! a nearby point can start. `State` is whatever the fixed point is written in (a subordination function, `G`
//! itself, a vector of auxiliary unknowns). A solver should return `Err(LawError::NoConvergence)` rather than a
//! value on the wrong branch (`Im G ≥ 0`); the engine then retries with a cold continuation. For fixed points of
//! holomorphic self-maps of a half-plane, [`solve_self_map`] is a ready damped Newton iteration.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::LawError;
use crate::law::{Atom, Complex64, Interval, SpectralLaw, Support};
use crate::quadrature::{Rule, gauss_legendre};

/// Number of grid points of the support scan. The narrowest support component reliably found is a few grid
/// spacings wide, i.e. ~1e-3 of the search interval.
pub const SCAN_POINTS: usize = 2000;
/// Imaginary part, relative to the scale, at which densities are read: small enough that the Poisson smoothing
/// error `~η·|ρ''|` and the edge tail `~η/√d` are far below 1e-9 at distances `d ≥ 1e-6` from an edge.
pub const ETA_REL: f64 = 1e-13;
/// Largest ratio of η to the distance from an edge. The Poisson smoothing bias at an `x^{−2/3}` edge is
/// ~0.3·(η/d) relative (measured on FC₂: 0.34% at η/d = 0.01), so 1e-8 keeps it below 1e-8.
pub const ETA_EDGE_FRACTION: f64 = 1e-8;
/// Scan threshold, relative to the largest scanned density: grid points with a smaller density count as outside.
/// Bisection then moves the edge to where the η-independence criterion changes, so this only decides which grid
/// cells hold an edge.
pub const DENSITY_FLOOR_REL: f64 = 1e-8;
/// Geometric grading ratio of the panels next to each edge.
pub const GRADING_RATIO: f64 = 0.25;
/// Number of graded levels next to each edge: `0.25^60 ≈ 1e-36` of a uniform panel, so that even an `x^{−3/4}`
/// hard edge at 0 leaves < 1e-9 of mass in the innermost panel (panels that round to zero width away from 0 are
/// dropped, so soft edges at `a ≠ 0` get ~25 levels).
pub const GRADED_LEVELS: usize = 60;
/// Number of uniform panels across each support interval (the two end ones are graded).
pub const UNIFORM_PANELS: usize = 24;
/// Gauss–Legendre nodes per panel.
pub const PANEL_NODES: usize = 16;
/// Absolute mass tolerance per panel of the adaptive refinement (with ~100 panels the table's mass is then good
/// to ~1e-9).
pub const ADAPTIVE_TOL: f64 = 1e-11;
/// Largest number of adaptive bisections of one panel.
const ADAPTIVE_DEPTH: usize = 30;
/// Points on the upper half of the moment contour (the lower half follows by `G(z̄) = conj G(z)`).
pub const CONTOUR_POINTS: usize = 128;
/// Distance from an edge, relative to the first uniform panel, inside which the graded level masses are expected to
/// follow the edge's power law (see [`extrapolate_edge_tail`]): the correction to `c·x^{−α}` is a relative
/// `O(x^β)` with `β ≥ 1/10` for the laws of this crate, so ≤ 0.25 here, and the ratios change by far less from
/// one level to the next.
pub const TAIL_CHECK_FROM: f64 = 1e-6;
/// Largest relative change of the level-mass ratio between neighbouring graded levels for the series to count as
/// geometric: the power-law corrections change it by ~`(1 − 4^{−β})·x^β` ≤ 1e-2 per level within
/// [`TAIL_CHECK_FROM`], while a failed quadrature or a lost solve changes it by O(1) (the cases above: ×4 and ×800).
pub const TAIL_RATIO_TOL: f64 = 0.05;
/// Largest accepted mismatch between 1 and (continuous mass + atoms): a measured floor of the table quadrature is
/// ~1e-12 for √ edges and ~1e-9 for `x^{−2/3}` hard edges; 1e-7 leaves room.
pub const MASS_TOLERANCE: f64 = 1e-7;
/// Factor by which `Im z` shrinks per step of the η-continuation.
const CONTINUATION_FACTOR: f64 = 0.1;
/// Bisection steps for an edge (the bracket starts at one grid spacing, ~1e-3 of the scale).
const EDGE_BISECTIONS: usize = 60;

/// Most Cauchy-transform solves one construction ([`NumericalLaw::from_solver`]) may spend, counting the solves
/// of already-built operands that its own solves call. A construction that succeeds costs 5·10³–3·10⁴ solves
/// (scan 2000, edge bisection ~120 per edge, the table ~1300 per support interval plus adaptive refinement, the
/// contour 128, atom zooms 1600 each) plus up to ~10² operand solves per solve for nested free convolutions;
/// beyond this the construction is stuck in refinement or continuation and reports so instead of running on.
pub const BUILD_SOLVE_BUDGET: usize = 20_000_000;
/// Wall-clock limit of one construction, the backstop of [`BUILD_SOLVE_BUDGET`] for solves that are individually
/// slow (nested free convolutions). Successful constructions of the laws in this crate take ≤ 5 s in release
/// builds and up to ~4× that in the test profile on a loaded machine.
pub const BUILD_TIME_LIMIT: Duration = Duration::from_secs(30);

/// The wall-clock limit in force, in milliseconds ([`BUILD_TIME_LIMIT`] unless [`set_build_time_limit`] changed it).
static BUILD_TIME_LIMIT_MS: AtomicU64 = AtomicU64::new(BUILD_TIME_LIMIT.as_millis() as u64);

/// Sets the wall-clock limit of every later construction in this process (each construction, nested operands
/// included, gets its own). The CLI's `theory` commands set it from `--time-limit` (10 s by default) so that a law
/// out of reach says so promptly; libraries and tests keep [`BUILD_TIME_LIMIT`].
pub fn set_build_time_limit(limit: Duration) {
    let ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX).max(1);
    BUILD_TIME_LIMIT_MS.store(ms, Ordering::Relaxed);
}

/// The wall-clock limit of one construction now in force.
pub fn build_time_limit() -> Duration {
    Duration::from_millis(BUILD_TIME_LIMIT_MS.load(Ordering::Relaxed))
}

/// What is left of the budget of the construction running on this thread.
#[derive(Debug, Clone, Copy)]
struct BuildBudget {
    solves_left: usize,
    deadline: Instant,
    timed_out: bool,
}

thread_local! {
    static BUILD_BUDGET: Cell<Option<BuildBudget>> = const { Cell::new(None) };
}

/// Charges one solve to the running construction, if any; an error once its solves or time are spent.
fn charge_build_budget(name: &str) -> Result<(), LawError> {
    BUILD_BUDGET.with(|cell| {
        let Some(mut budget) = cell.get() else {
            return Ok(());
        };
        if budget.solves_left == 0 {
            return Err(LawError::NoConvergence {
                what: "law construction",
                detail: format!(
                    "{name}: gave up after {BUILD_SOLVE_BUDGET} Cauchy-transform solves without a converged table"
                ),
            });
        }
        budget.solves_left -= 1;
        // Reading the clock costs ~20 ns; every 256th solve is often enough for a limit of seconds.
        if budget.timed_out || (budget.solves_left % 256 == 0 && Instant::now() > budget.deadline) {
            budget.timed_out = true;
            cell.set(Some(budget));
            return Err(LawError::NoConvergence {
                what: "law construction",
                detail: format!(
                    "{name}: gave up after {} s (the construction time limit) without a converged table",
                    build_time_limit().as_secs_f64()
                ),
            });
        }
        cell.set(Some(budget));
        Ok(())
    })
}

/// Sorts intervals and merges those that overlap or touch.
fn merge_overlapping(mut intervals: Vec<Interval>) -> Vec<Interval> {
    intervals.sort_by(|a, b| a.lo.total_cmp(&b.lo));
    let mut merged: Vec<Interval> = Vec::new();
    for iv in intervals {
        match merged.last_mut() {
            Some(last) if iv.lo <= last.hi => last.hi = last.hi.max(iv.hi),
            _ => merged.push(iv),
        }
    }
    merged
}

/// Replaces the quadrature mass next to an edge, below the level where it stops being geometric, by its
/// geometric extrapolation.
///
/// `breaks = [e, b₁, b₂, …, b_K]` are the edge and the graded breaks going inwards (`|b_{k+1} − e| =
/// |b_k − e|/GRADING_RATIO`), ending at the first uniform break. Next to an edge the density is `c|x − e|^{−α}`
/// to any accuracy that matters, so the level masses `M_k` (of `[b_k, b_{k+1}]`) form a geometric series with
/// ratio `R = M_{k+1}/M_k = GRADING_RATIO^{α−1}`, and everything below level `k` holds `M_k/(R − 1)`. Two things
/// break the series next to the edge, and both used to fail the mass balance: Gauss–Legendre cannot integrate the
/// singularity inside `[e, b₁]` (for `α` near 1, `x^{−6/7}` at 0 in `FC₆ = FC₃ ⊠ FC₃`, that panel holds ~1e-5 of
/// the mass), and a solver may lose its accuracy within ~1e-27 of a hard edge (the linear conjugate kernel of a
/// square network, `MP ⊠ MP` with an `x^{−2/3}` edge: one panel there came out at 1.6e-7 instead of 2e-10).
///
/// So the ratios are read from the outside in, starting where the levels are within [`TAIL_CHECK_FROM`] of the
/// edge (the power law has set in), and the first level whose ratio differs from the previous one by more than
/// [`TAIL_RATIO_TOL`] ends the trusted series: the levels below it are rescaled, keeping their proportions, to the
/// geometric tail of the last trusted level. Nothing changes when the series is regular down to `[e, b₁]` except
/// that panel, or when the ratio is not that of an integrable tail (`R ≤ 1`).
fn extrapolate_edge_tail<T>(leaves: &mut [(f64, f64, T)], breaks: &[f64]) {
    if breaks.len() < 4 {
        return;
    }
    let edge = breaks[0];
    let within = |x: f64, a: f64, b: f64| (a.min(b)..a.max(b)).contains(&x);
    let mass_between = |leaves: &[(f64, f64, T)], a: f64, b: f64| -> f64 {
        leaves
            .iter()
            .filter(|(lo, _, _)| within(*lo, a, b))
            .map(|(_, m, _)| *m)
            .sum()
    };
    let levels: Vec<f64> = breaks
        .windows(2)
        .map(|w| mass_between(leaves, w[0], w[1]))
        .collect();
    let reach = (breaks[breaks.len() - 1] - edge).abs();
    // The outermost level checked: the first (from the outside) within TAIL_CHECK_FROM of the edge.
    let Some(start) = (0..levels.len() - 1)
        .rev()
        .find(|&k| (breaks[k + 1] - edge).abs() <= TAIL_CHECK_FROM * reach)
    else {
        return;
    };
    let ratio = |k: usize| levels[k + 1] / levels[k];
    // Walk inwards while the ratio stays put; `trusted` is the innermost level of the regular series.
    let mut trusted = start + 1;
    let mut reference = ratio(start);
    if !(levels[start] > 0.0 && reference.is_finite() && reference > 1.0) {
        return;
    }
    for k in (0..start).rev() {
        let r = ratio(k);
        if !(levels[k] > 0.0 && r.is_finite() && (r / reference - 1.0).abs() <= TAIL_RATIO_TOL) {
            break;
        }
        reference = r;
        trusted = k + 1;
    }
    let tail = levels[trusted] / (reference - 1.0);
    let below = mass_between(leaves, edge, breaks[trusted]);
    if !(below > 0.0 && tail.is_finite()) {
        return;
    }
    let factor = tail / below;
    for leaf in leaves
        .iter_mut()
        .filter(|(lo, _, _)| within(*lo, edge, breaks[trusted]))
    {
        leaf.1 *= factor;
    }
}

/// Solves the equation that defines a law's Cauchy transform at one point of the upper half-plane.
pub trait CauchySolver: fmt::Debug + Send + Sync {
    /// What a solve can be warm-started from (a subordination function, `G` itself, auxiliary unknowns).
    type State: Clone + fmt::Debug + Send + Sync;

    /// `G(z)` for `Im z > 0`, and the state reached. `warm` is the state of a solve at a nearby point, or `None`
    /// for a cold start (the engine only cold-starts at `Im z ≥ 4·scale`, far from the support).
    fn solve(
        &self,
        z: Complex64,
        warm: Option<&Self::State>,
    ) -> Result<(Complex64, Self::State), LawError>;

    /// Whether warm starts from a *different* real part are unsafe, so that every point must be reached by
    /// vertical η-continuation from `Im z = 4·scale` (default `false`). Solvers of a polynomial equation with
    /// several roots in the lower half-plane say `true`: walking along the real axis across an edge, where two
    /// roots meet, can land on the wrong one, while walking down from far above cannot. Fixed points of self-maps
    /// (subordination) are unique, so for them warm starts are always safe.
    fn needs_vertical_continuation(&self) -> bool {
        false
    }
}

/// Where to look for the law and what is known in advance.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericalConfig {
    /// An interval that contains the whole support and every atom (e.g. the sum of the operands' hulls for `⊞`).
    pub search: Interval,
    /// Atoms known in closed form (location and mass). Others are detected from the mass deficit.
    pub atoms: Vec<Atom>,
    /// Points known to be hard edges when they are edges at all (e.g. 0 for laws on `[0, ∞)`): a bisected edge
    /// within [`HARD_EDGE_SNAP`]·scale of one is moved onto it. This matters for `x^{−α}` edges, where the mass
    /// within `d` of the edge is `~d^{1−α}`: an edge off by the bisection resolution (~1e-12) would lose ~1e-4
    /// of mass at `α = 2/3`.
    pub hard_edges: Vec<f64>,
    /// Intervals that may hold a component too narrow for the scan of `search` to see (its grid spacing is 1/2000
    /// of `search`): an operand's atom smeared by a narrow law, e.g. the atom `1 − 1/φ` of `MP(φ, 1)` at 0 under
    /// `⊞ SC(2ε)` with `ε = 1e-10` (width ~1e-5 of the search interval) or `φ = 1e6` (width ~1e-6). Each region is
    /// scanned on its own grid; what it finds is merged with the main scan. A component that runs past a region's
    /// ends is clipped there and must be seen by the main scan (otherwise the mass balance fails). Regions a tenth
    /// of `search` or wider are skipped: the main scan resolves them.
    pub regions: Vec<Interval>,
}

/// Relative distance within which a bisected edge is snapped onto a declared hard edge (the bisection resolves
/// edges to ~1e-12 of the scale; 1e-9 leaves a margin and is far below the 1e-6 edge target).
pub const HARD_EDGE_SNAP: f64 = 1e-9;

#[derive(Debug, Clone)]
struct Panel<S> {
    lo: f64,
    /// Continuous mass of the whole law to the left of `lo`.
    mass_before: f64,
    /// A solver state near the panel (warm start for `pdf` and `cdf`).
    state: S,
}

#[derive(Debug, Clone)]
struct Piece<S> {
    interval: Interval,
    panels: Vec<Panel<S>>,
    mass: f64,
}

/// A law known through a [`CauchySolver`], tabulated once at construction.
///
/// Construction costs a few thousand solves (scan, bisection, ~1300 table nodes per support interval, 128 contour
/// points); afterwards `pdf` costs one warm solve and `cdf` 16 (measured: 2–6 ms per 1000 pdf values and
/// 35–70 ms per 1000 cdf values for the free convolutions of this crate, `benches/free.rs`).
///
/// ```
/// use landscape_theory::numerical::{CauchySolver, NumericalConfig, NumericalLaw};
/// use landscape_theory::{Complex64, Interval, LawError, SpectralLaw};
/// // The semicircle SC(1), given only through its Cauchy transform G(z) = (z − √(z−2)√(z+2))/2.
/// #[derive(Debug)]
/// struct Sc;
/// impl CauchySolver for Sc {
///     type State = ();
///     fn solve(&self, z: Complex64, _: Option<&()>) -> Result<(Complex64, ()), LawError> {
///         Ok(((z - (z - 2.0).sqrt() * (z + 2.0).sqrt()) / 2.0, ()))
///     }
/// }
/// let config = NumericalConfig { search: Interval::new(-3.0, 3.0), atoms: vec![], hard_edges: vec![], regions: vec![] };
/// let law = NumericalLaw::from_solver("sc".into(), Sc, config)?;
/// assert!((law.support().upper_edge().unwrap() - 2.0).abs() < 1e-9);
/// assert!((law.pdf(0.0) - 1.0 / std::f64::consts::PI).abs() < 1e-12);
/// assert!((law.cdf(1.0) - (0.5 + 3f64.sqrt() / (4.0 * std::f64::consts::PI) + 1.0 / 6.0)).abs() < 1e-10);
/// assert!((law.moment(4) - 2.0).abs() < 1e-12);
/// # Ok::<(), LawError>(())
/// ```
#[derive(Debug, Clone)]
pub struct NumericalLaw<S: CauchySolver> {
    name: String,
    solver: S,
    scale: f64,
    eta: f64,
    pieces: Vec<Piece<S::State>>,
    atoms: Vec<Atom>,
    hard_edges: Vec<f64>,
    /// Contour nodes `(z_j, G(z_j) · R e^{iθ_j})` on the upper half circle.
    contour: Vec<(Complex64, Complex64)>,
    rule: Rule,
}

impl<S: CauchySolver> fmt::Display for NumericalLaw<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl<S: CauchySolver> NumericalLaw<S> {
    /// Builds the law: scans the support, bisects its edges, tabulates the CDF, finds atoms and the moment contour
    /// (see the module docs for the algorithm).
    ///
    /// `name` is what `Display` prints (the law as the CLI writes it).
    ///
    /// # Errors
    /// [`LawError::NoConvergence`] if a solve fails even from a cold continuation, if the support reaches the end of
    /// the padded search interval, or if the masses do not add up to 1 within [`MASS_TOLERANCE`] after atom
    /// detection.
    pub fn from_solver(name: String, solver: S, config: NumericalConfig) -> Result<Self, LawError> {
        let outer = BUILD_BUDGET.with(|b| {
            b.replace(Some(BuildBudget {
                solves_left: BUILD_SOLVE_BUDGET,
                deadline: Instant::now() + build_time_limit(),
                timed_out: false,
            }))
        });
        let built = Self::build(name, solver, config);
        // Operands are built before the law that uses them, each with its own budget; a construction that runs
        // inside another one's solves (none does in this crate) would restore the outer budget as it found it.
        BUILD_BUDGET.with(|b| b.set(outer));
        built
    }

    fn build(name: String, solver: S, config: NumericalConfig) -> Result<Self, LawError> {
        let search = config.search;
        let width = search.width();
        let scale = width.max(search.lo.abs()).max(search.hi.abs()).max(1e-300);
        let mut law = Self {
            name,
            solver,
            scale,
            eta: ETA_REL * scale,
            pieces: Vec::new(),
            atoms: config.atoms.clone(),
            hard_edges: config.hard_edges.clone(),
            contour: Vec::new(),
            rule: gauss_legendre(PANEL_NODES),
        };
        law.atoms.retain(|a| a.mass > 0.0);
        law.atoms.sort_by(|a, b| a.location.total_cmp(&b.location));
        let pad = 0.02 * search.width().max(1e-3 * law.scale);
        let mut intervals = law.find_support(search, pad, false)?;
        for region in &config.regions {
            // A region a tenth of the search interval or wider is resolved by the main scan already.
            if region.width() > 0.0 && region.width() < 0.1 * search.width() {
                intervals.extend(law.find_support(*region, 0.02 * region.width(), true)?);
            }
        }
        for interval in merge_overlapping(intervals) {
            let piece = law.tabulate(interval, law.total_continuous())?;
            law.pieces.push(piece);
        }
        law.detect_atoms(search)?;
        // The moment contour encloses the support found and the atoms, detected ones included (not the whole
        // search interval, which can be much wider and would cost digits to cancellation in z^k).
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in &law.pieces {
            lo = lo.min(p.interval.lo);
            hi = hi.max(p.interval.hi);
        }
        for a in &law.atoms {
            lo = lo.min(a.location);
            hi = hi.max(a.location);
        }
        let hull = if lo <= hi {
            Interval::new(lo, hi)
        } else {
            search
        };
        law.build_contour(hull)?;
        Ok(law)
    }

    /// The name printed by `Display`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The solver this law was built from.
    pub fn solver(&self) -> &S {
        &self.solver
    }

    /// The length scale used for η and the continuation (the largest of the search interval's width and ends).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Total mass of the absolutely continuous part, from the table.
    pub fn continuous_mass(&self) -> f64 {
        self.total_continuous()
    }

    fn total_continuous(&self) -> f64 {
        self.pieces.iter().map(|p| p.mass).sum()
    }

    /// Solve at `z` (Im z > 0) by η-continuation from `Im z = 4·scale`: steps of [`CONTINUATION_FACTOR`] in
    /// `Im z`, each warm-started; a failed step is retried with the step's logarithm halved (down to 1/2^20),
    /// which keeps solvers whose equations have several roots (polynomials) on the right branch.
    fn solve_cold(&self, z: Complex64) -> Result<(Complex64, S::State), LawError> {
        let top = 4.0 * self.scale.max(z.re.abs());
        if z.im >= top {
            return self.solve_counted(z, None);
        }
        let (_, mut state) = self.solve_counted(Complex64::new(z.re, top), None)?;
        let mut y = top;
        let mut factor = CONTINUATION_FACTOR;
        loop {
            let next = (y * factor).max(z.im);
            match self.solve_counted(Complex64::new(z.re, next), Some(&state)) {
                Ok((g, st)) => {
                    if next <= z.im {
                        return Ok((g, st));
                    }
                    state = st;
                    y = next;
                    // Let the step grow back after a success.
                    factor = (factor * factor).max(CONTINUATION_FACTOR);
                }
                Err(e) => {
                    factor = factor.sqrt();
                    if factor > 1.0 - 1e-6 {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// One solve, charged to the construction budget when a construction is running on this thread (see
    /// [`BUILD_SOLVE_BUDGET`]).
    fn solve_counted(
        &self,
        z: Complex64,
        warm: Option<&S::State>,
    ) -> Result<(Complex64, S::State), LawError> {
        charge_build_budget(&self.name)?;
        self.solver.solve(z, warm)
    }

    /// Solve at `z` from a warm state, falling back to a cold continuation.
    fn solve_warm(
        &self,
        z: Complex64,
        warm: Option<&S::State>,
    ) -> Result<(Complex64, S::State), LawError> {
        if self.solver.needs_vertical_continuation() {
            return self.solve_cold(z);
        }
        match warm {
            Some(state) => self
                .solve_counted(z, Some(state))
                .or_else(|_| self.solve_cold(z)),
            None => self.solve_cold(z),
        }
    }

    /// `G` minus the known atoms' terms.
    fn continuous_part(&self, z: Complex64, g: Complex64) -> Complex64 {
        self.atoms
            .iter()
            .fold(g, |acc, a| acc - a.mass / (z - a.location))
    }

    /// Smoothed density of the continuous part at `x + iη`, and the state reached.
    fn density_eta(
        &self,
        x: f64,
        eta: f64,
        warm: Option<&S::State>,
    ) -> Result<(f64, S::State), LawError> {
        let z = Complex64::new(x, eta);
        let (g, state) = self.solve_warm(z, warm)?;
        let rho = -self.continuous_part(z, g).im / std::f64::consts::PI;
        Ok((rho.max(0.0), state))
    }

    /// Whether `x` is inside the support: the smoothed density at η is at least half of that at 100η (inside it
    /// does not depend on η; outside it is proportional to η).
    fn inside(&self, x: f64, warm: &S::State) -> Result<bool, LawError> {
        let eta = 0.1 * self.eta;
        let (coarse, state) = self.density_eta(x, 100.0 * eta, Some(warm))?;
        let (fine, _) = self.density_eta(x, eta, Some(&state))?;
        Ok(coarse > 0.0 && fine >= 0.5 * coarse)
    }

    /// The support intervals inside `search` (padded by `pad` on both sides): a grid of [`SCAN_POINTS`] points,
    /// each point above the density floor confirmed by the η-independence test of [`Self::inside`] (the Poisson
    /// tail of a heavy component next to a light one is above a relative floor but proportional to η), edges
    /// bisected. A run that reaches an end of the padded interval is an error, or with `clip` (a
    /// [`NumericalConfig::regions`] scan) ends there.
    fn find_support(
        &self,
        search: Interval,
        pad: f64,
        clip: bool,
    ) -> Result<Vec<Interval>, LawError> {
        let lo = search.lo - pad;
        let hi = search.hi + pad;
        let h = (hi - lo) / SCAN_POINTS as f64;
        let mut xs = Vec::with_capacity(SCAN_POINTS);
        let mut dens = Vec::with_capacity(SCAN_POINTS);
        let mut states: Vec<S::State> = Vec::with_capacity(SCAN_POINTS);
        let scan_eta = 0.1 * self.eta;
        for i in 0..SCAN_POINTS {
            // Offset by half a cell so that no scan point sits on a round-number edge or atom (such as 0).
            let x = lo + (i as f64 + 0.5) * h;
            let (rho, state) = self.density_eta(x, scan_eta, states.last())?;
            xs.push(x);
            dens.push(rho);
            states.push(state);
        }
        let rho_max = dens.iter().copied().fold(0.0, f64::max);
        if !(rho_max.is_finite() && rho_max * self.scale > 1e-12) {
            // No absolutely continuous part at all (a purely atomic law).
            return Ok(Vec::new());
        }
        let tau = DENSITY_FLOOR_REL * rho_max;
        for i in 0..SCAN_POINTS {
            if dens[i] > tau && !self.inside(xs[i], &states[i])? {
                dens[i] = 0.0;
            }
        }
        let mut intervals = Vec::new();
        let mut i = 0;
        while i < SCAN_POINTS {
            if dens[i] <= tau {
                i += 1;
                continue;
            }
            let start = i;
            while i < SCAN_POINTS && dens[i] > tau {
                i += 1;
            }
            let end = i - 1;
            if clip && (start == 0 || end == SCAN_POINTS - 1) {
                let left = if start == 0 {
                    lo
                } else {
                    self.snap(self.bisect_edge(xs[start - 1], xs[start], &states[start])?)
                };
                let right = if end == SCAN_POINTS - 1 {
                    hi
                } else {
                    self.snap(self.bisect_edge(xs[end + 1], xs[end], &states[end])?)
                };
                intervals.push(Interval::new(left, right.max(left)));
                continue;
            }
            if start == 0 || end == SCAN_POINTS - 1 {
                return Err(LawError::NoConvergence {
                    what: "support scan",
                    detail: format!(
                        "{}: the density is still positive at the end of the padded search interval [{lo}, {hi}]",
                        self.name
                    ),
                });
            }
            let left = self.snap(self.bisect_edge(xs[start - 1], xs[start], &states[start])?);
            let right = self.snap(self.bisect_edge(xs[end + 1], xs[end], &states[end])?);
            intervals.push(Interval::new(left, right.max(left)));
        }
        // Runs separated by a single sub-threshold cell can bisect to the same edge.
        Ok(merge_overlapping(intervals))
    }

    fn snap(&self, edge: f64) -> f64 {
        self.hard_edges
            .iter()
            .copied()
            .find(|h| (h - edge).abs() <= HARD_EDGE_SNAP * self.scale)
            .unwrap_or(edge)
    }

    /// Bisection between a point outside and a point inside the support.
    fn bisect_edge(&self, outside: f64, inside: f64, state: &S::State) -> Result<f64, LawError> {
        let (mut out, mut inn) = (outside, inside);
        for _ in 0..EDGE_BISECTIONS {
            if (out - inn).abs() <= 1e-15 * self.scale {
                break;
            }
            let mid = 0.5 * (out + inn);
            if self.inside(mid, state)? {
                inn = mid;
            } else {
                out = mid;
            }
        }
        Ok(0.5 * (out + inn))
    }

    /// Imaginary part used at `x` inside `interval`: [`ETA_REL`] of the scale, but at most [`ETA_EDGE_FRACTION`]
    /// of the distance to the nearer edge, so that integrable edge singularities are resolved by the graded panels.
    fn eta_at(&self, x: f64, interval: &Interval) -> f64 {
        let d = (x - interval.lo).min(interval.hi - x).abs();
        self.eta.min(ETA_EDGE_FRACTION * d).max(1e-300)
    }

    fn panel_breaks(interval: &Interval) -> Vec<f64> {
        let (a, b) = (interval.lo, interval.hi);
        let u = (b - a) / UNIFORM_PANELS as f64;
        let mut breaks = vec![a];
        for k in (1..=GRADED_LEVELS).rev() {
            breaks.push(a + u * GRADING_RATIO.powi(k as i32));
        }
        for j in 1..UNIFORM_PANELS {
            breaks.push(a + u * j as f64);
        }
        for k in 1..=GRADED_LEVELS {
            breaks.push(b - u * GRADING_RATIO.powi(k as i32));
        }
        breaks.push(b);
        breaks.dedup_by(|x, y| *x <= *y);
        breaks
    }

    fn tabulate(&self, interval: Interval, mass_before: f64) -> Result<Piece<S::State>, LawError> {
        let breaks = Self::panel_breaks(&interval);
        // Warm starts run along the interval from left to right, from a cold solve at the first panel.
        let first = 0.5 * (breaks[0] + breaks[1]);
        let (_, mut state) =
            self.solve_cold(Complex64::new(first, self.eta_at(first, &interval)))?;
        let mut leaves = Vec::with_capacity(2 * breaks.len());
        for w in breaks.windows(2) {
            let (lo, hi) = (w[0], w[1]);
            let (whole, _) = self.integrate(&interval, lo, hi, &state)?;
            state = self.refine(&interval, lo, hi, whole, state, ADAPTIVE_DEPTH, &mut leaves)?;
        }
        if breaks.len() >= 6 {
            // The graded breaks at each end, up to and including the first uniform one.
            let u = interval.width() / UNIFORM_PANELS as f64;
            let graded = |from_edge: &mut dyn Iterator<Item = f64>, edge: f64| -> Vec<f64> {
                let mut out = Vec::new();
                for b in from_edge {
                    out.push(b);
                    if (b - edge).abs() >= 0.5 * u {
                        break;
                    }
                }
                out
            };
            let left = graded(&mut breaks.iter().copied(), interval.lo);
            extrapolate_edge_tail(&mut leaves, &left);
            let right = graded(&mut breaks.iter().rev().copied(), interval.hi);
            extrapolate_edge_tail(&mut leaves, &right);
        }
        let mut panels = Vec::with_capacity(leaves.len());
        let mut cum = mass_before;
        for (lo, mass, panel_state) in leaves {
            panels.push(Panel {
                lo,
                mass_before: cum,
                state: panel_state,
            });
            cum += mass;
        }
        Ok(Piece {
            interval,
            panels,
            mass: cum - mass_before,
        })
    }

    /// Adaptive bisection of a panel: accept the two halves when their sum agrees with the whole panel's
    /// estimate to [`ADAPTIVE_TOL`], otherwise recurse (near-cusps where two spectral components meet need it).
    /// Pushes accepted leaves `(lo, mass, state at lo)` in order and returns the state at `hi`.
    #[allow(clippy::too_many_arguments)]
    fn refine(
        &self,
        interval: &Interval,
        lo: f64,
        hi: f64,
        whole: f64,
        state: S::State,
        depth: usize,
        leaves: &mut Vec<(f64, f64, S::State)>,
    ) -> Result<S::State, LawError> {
        let mid = 0.5 * (lo + hi);
        let (left, mid_state) = self.integrate(interval, lo, mid, &state)?;
        let (right, end_state) = self.integrate(interval, mid, hi, &mid_state)?;
        if (left + right - whole).abs() <= ADAPTIVE_TOL
            || depth == 0
            || hi - lo <= 1e-14 * self.scale
        {
            leaves.push((lo, left, state));
            leaves.push((mid, right, mid_state));
            return Ok(end_state);
        }
        let st = self.refine(interval, lo, mid, left, state, depth - 1, leaves)?;
        self.refine(interval, mid, hi, right, st, depth - 1, leaves)
    }

    /// `∫_lo^hi ρ` by Gauss–Legendre, warm-starting node to node.
    fn integrate(
        &self,
        interval: &Interval,
        lo: f64,
        hi: f64,
        warm: &S::State,
    ) -> Result<(f64, S::State), LawError> {
        let half = 0.5 * (hi - lo);
        let centre = 0.5 * (hi + lo);
        let mut state = warm.clone();
        let mut sum = 0.0;
        for (&t, &w) in self.rule.nodes.iter().zip(&self.rule.weights) {
            let x = centre + half * t;
            let (rho, st) = self.density_eta(x, self.eta_at(x, interval), Some(&state))?;
            state = st;
            sum += w * rho;
        }
        Ok((half * sum, state))
    }

    fn build_contour(&mut self, hull: Interval) -> Result<(), LawError> {
        let centre = 0.5 * (hull.lo + hull.hi);
        let radius = 0.8 * hull.width() + 0.05 * self.scale;
        let mut contour = Vec::with_capacity(CONTOUR_POINTS);
        // Walk from the top of the circle to each side so that every solve is warm-started.
        let theta = |j: usize| std::f64::consts::PI * (j as f64 + 0.5) / CONTOUR_POINTS as f64;
        let mid = CONTOUR_POINTS / 2;
        let mut values = vec![Complex64::new(0.0, 0.0); CONTOUR_POINTS];
        let mut nodes = vec![Complex64::new(0.0, 0.0); CONTOUR_POINTS];
        for range in [
            (mid..CONTOUR_POINTS).collect::<Vec<_>>(),
            (0..mid).rev().collect::<Vec<_>>(),
        ] {
            let mut state: Option<S::State> = None;
            for j in range {
                let e = Complex64::from_polar(1.0, theta(j));
                let z = centre + radius * e;
                let (g, st) = self.solve_warm(z, state.as_ref())?;
                state = Some(st);
                nodes[j] = z;
                values[j] = g * radius * e;
            }
        }
        for j in 0..CONTOUR_POINTS {
            contour.push((nodes[j], values[j]));
        }
        self.contour = contour;
        Ok(())
    }

    fn detect_atoms(&mut self, search: Interval) -> Result<(), LawError> {
        for _ in 0..4 {
            let known: f64 = self.atoms.iter().map(|a| a.mass).sum();
            let deficit = 1.0 - self.total_continuous() - known;
            if deficit.abs() <= MASS_TOLERANCE || deficit < 0.0 {
                break;
            }
            let atom = self.locate_atom(search)?;
            // Only a point mass that accounts for the deficit is believed; anything else is quadrature error
            // (e.g. at a strong hard edge) and is reported below.
            if (atom.mass - deficit).abs() > 0.01 * deficit + MASS_TOLERANCE {
                break;
            }
            self.atoms.push(atom);
            self.atoms.sort_by(|a, b| a.location.total_cmp(&b.location));
            // The table's densities subtracted the known atoms; an atom sitting inside a support interval would
            // have polluted it, so retabulate.
            let intervals: Vec<Interval> = self.pieces.iter().map(|p| p.interval).collect();
            self.pieces.clear();
            for interval in intervals {
                let piece = self.tabulate(interval, self.total_continuous())?;
                self.pieces.push(piece);
            }
        }
        let known: f64 = self.atoms.iter().map(|a| a.mass).sum();
        let deficit = 1.0 - self.total_continuous() - known;
        if deficit.abs() <= MASS_TOLERANCE {
            Ok(())
        } else {
            Err(LawError::NoConvergence {
                what: "numerical law mass balance",
                detail: format!(
                    "{}: continuous mass {} + atoms {} differs from 1 by {deficit:e} (tolerance {MASS_TOLERANCE:e})",
                    self.name,
                    self.total_continuous(),
                    known
                ),
            })
        }
    }

    /// Zoom of `docs/theory.md` §A2.3: maximise `h·(−Im G_c(x + ih))` on a grid of spacing `h`, shrinking by 20 per level.
    fn locate_atom(&self, search: Interval) -> Result<Atom, LawError> {
        let points = 200;
        let (mut lo, mut hi) = (search.lo, search.hi);
        let mut best = 0.5 * (lo + hi);
        for _ in 0..8 {
            let h = (hi - lo) / points as f64;
            let mut best_val = f64::NEG_INFINITY;
            let mut state: Option<S::State> = None;
            for i in 0..=points {
                let x = lo + i as f64 * h;
                let z = Complex64::new(x, h);
                let (g, st) = self.solve_warm(z, state.as_ref())?;
                state = Some(st);
                let val = -h * self.continuous_part(z, g).im;
                if val > best_val {
                    best_val = val;
                    best = x;
                }
            }
            lo = best - 5.0 * h;
            hi = best + 5.0 * h;
        }
        let eta = 1e-7 * self.scale;
        let z = Complex64::new(best, eta);
        let (g, _) = self.solve_cold(z)?;
        Ok(Atom {
            location: best,
            mass: -eta * self.continuous_part(z, g).im,
        })
    }

    fn piece_of(&self, x: f64) -> Option<&Piece<S::State>> {
        self.pieces.iter().find(|p| p.interval.contains(x))
    }

    fn panel_of(piece: &Piece<S::State>, x: f64) -> &Panel<S::State> {
        let idx = piece.panels.partition_point(|p| p.lo <= x);
        &piece.panels[idx.saturating_sub(1).min(piece.panels.len() - 1)]
    }

    /// Density at `x`, or an error if the solver fails there.
    pub fn try_pdf(&self, x: f64) -> Result<f64, LawError> {
        let Some(piece) = self.piece_of(x) else {
            return Ok(0.0);
        };
        let panel = Self::panel_of(piece, x);
        Ok(self
            .density_eta(x, self.eta_at(x, &piece.interval), Some(&panel.state))?
            .0)
    }

    /// Continuous part of the CDF at `x`, or an error if the solver fails there.
    pub fn try_continuous_cdf(&self, x: f64) -> Result<f64, LawError> {
        let mut before = 0.0;
        for piece in &self.pieces {
            if x >= piece.interval.hi {
                before += piece.mass;
                continue;
            }
            if x <= piece.interval.lo {
                return Ok(before);
            }
            let panel = Self::panel_of(piece, x);
            let (m, _) = self.integrate(&piece.interval, panel.lo, x, &panel.state)?;
            return Ok(panel.mass_before + m);
        }
        Ok(before)
    }

    /// `G(z)`, or an error if the solver fails. `Im z < 0` uses `G(z̄) = conj G(z)`; on the real axis the limit
    /// from above `G(x + i0)` is returned (real outside the support).
    pub fn try_cauchy(&self, z: Complex64) -> Result<Complex64, LawError> {
        if z.im < 0.0 {
            return self.try_cauchy(z.conj()).map(|g| g.conj());
        }
        let z = if z.im == 0.0 {
            Complex64::new(z.re, 0.1 * self.eta)
        } else {
            z
        };
        let warm = if z.im < 1e-3 * self.scale {
            self.nearest_state(z.re)
        } else {
            None
        };
        let (g, _) = self.solve_warm(z, warm)?;
        Ok(g)
    }

    fn nearest_state(&self, x: f64) -> Option<&S::State> {
        let piece = self.piece_of(x)?;
        Some(&Self::panel_of(piece, x).state)
    }
}

impl<S: CauchySolver> SpectralLaw for NumericalLaw<S> {
    /// Direct solve at `x + iη` (η = [`ETA_REL`]·scale, smaller near an edge); NaN if the solver fails.
    fn pdf(&self, x: f64) -> f64 {
        self.try_pdf(x).unwrap_or(f64::NAN)
    }

    /// Tabulated mass plus a 16-node Gauss–Legendre integral over the rest of the panel holding `x`, plus atoms.
    fn cdf(&self, x: f64) -> f64 {
        let atoms: f64 = self
            .atoms
            .iter()
            .filter(|a| a.location <= x)
            .map(|a| a.mass)
            .sum();
        let c = self.try_continuous_cdf(x).unwrap_or(f64::NAN);
        (atoms + c).clamp(0.0, 1.0)
    }

    fn support(&self) -> Support {
        Support {
            intervals: self.pieces.iter().map(|p| p.interval).collect(),
        }
    }

    fn atoms(&self) -> Vec<Atom> {
        self.atoms.clone()
    }

    /// `m_k = (1/2πi)∮ z^k G(z) dz` by the trapezoid rule on a circle enclosing the support and atoms.
    fn moment(&self, k: u32) -> f64 {
        if k == 0 {
            return 1.0;
        }
        let sum: f64 = self.contour.iter().map(|(z, v)| (z.powu(k) * v).re).sum();
        sum / CONTOUR_POINTS as f64
    }

    fn cauchy(&self, z: Complex64) -> Complex64 {
        self.try_cauchy(z)
            .unwrap_or(Complex64::new(f64::NAN, f64::NAN))
    }
}

/// Largest number of iterations of [`solve_self_map`].
pub const SELF_MAP_MAX_ITER: usize = 400;
/// Convergence tolerance of [`solve_self_map`], relative to `max(|ω|, scale)`: a few ulps, the floor of one map evaluation.
pub const SELF_MAP_TOL: f64 = 1e-14;
/// Residual, relative to `max(|ω|, scale)`, still accepted after [`SELF_MAP_MAX_ITER`] iterations (slow linear convergence
/// right at an edge, where the fixed point is a double root).
pub const SELF_MAP_ACCEPT: f64 = 1e-9;

/// The fixed point of a holomorphic self-map `φ` of a domain (the Denjoy–Wolff point), by damped Newton steps with
/// a finite-difference derivative, falling back to the plain iteration `ω ← φ(ω)`.
///
/// `in_domain` says whether a point is acceptable (e.g. `Im ω ≥ Im z / 2` for additive subordination, where
/// `φ(C⁺) ⊂ {Im ω ≥ Im z}`); `scale` is the magnitude residuals are measured against (e.g. `|z|` plus the
/// operands' extent: `ω` itself can be near 0, where only an absolute tolerance makes sense); since the interior fixed point of a non-automorphic self-map is unique, a fixed point
/// found inside the domain is the right one, and spurious real roots are rejected. Returns `φ(ω)` at the fixed
/// point.
///
/// # Errors
/// [`LawError::NoConvergence`] if the residual is still above [`SELF_MAP_ACCEPT`]`·|ω|` after
/// [`SELF_MAP_MAX_ITER`] iterations or the map returns a non-finite value.
///
/// ```
/// use landscape_theory::numerical::solve_self_map;
/// use landscape_theory::Complex64;
/// // φ(ω) = i + ω/2 maps C⁺ into itself; its fixed point is 2i.
/// let i = Complex64::new(0.0, 1.0);
/// let w = solve_self_map(|w| i + 0.5 * w, i, |w| w.im > 0.0, 1.0, "demo").unwrap();
/// assert!((w - Complex64::new(0.0, 2.0)).norm() < 1e-13);
/// ```
pub fn solve_self_map(
    phi: impl Fn(Complex64) -> Complex64,
    start: Complex64,
    in_domain: impl Fn(Complex64) -> bool,
    scale: f64,
    what: &'static str,
) -> Result<Complex64, LawError> {
    let f = iterate_self_map(&phi, start, &in_domain, scale, what)?;
    // The interior fixed point of a holomorphic self-map of a hyperbolic domain that is not an automorphism is
    // attracting (Schwarz–Pick). A repelling one is a spurious root — in practice a real root of the equation
    // sitting O(η) below the real axis, which rounding puts O(η) above it when Im z = η is at the rounding floor,
    // reached by a warm start that walked along the axis out of a spectral gap into the support (it reported zero
    // density inside the support: Pennington–Bahri at φ ≈ 2.92, ε ≈ 0.09 lost 7e-5 of mass that way). Near-real
    // Newton iterates of a real-symmetric map cannot leave the axis, so restart above it, at heights set by how
    // repelling the root is (a double root splits like a square root, and so does |φ'| − 1), and keep a restart
    // that converges to an attracting fixed point. Otherwise keep the root: this never turns a success into a
    // failure (at an edge |φ'| = 1 up to the finite difference's error).
    // Spurious roots sit within O(η) of the axis, so only near-axis fixed points pay for the two extra map
    // evaluations of the derivative.
    let w = f; // φ(ω) = ω at the fixed point, to the tolerance.
    if w.im > NEAR_AXIS * w.norm().max(scale) {
        return Ok(f);
    }
    let excess = derivative_norm(&phi, w, scale) - 1.0;
    if excess > SELF_MAP_DERIVATIVE_SLACK {
        let size = w.norm().max(scale);
        for k in [1.0, 0.1, 10.0] {
            let restart = w + Complex64::new(0.0, k * excess.min(1.0) * size);
            if in_domain(restart)
                && let Ok(g) = iterate_self_map(&phi, restart, &in_domain, scale, what)
                && derivative_norm(&phi, g, scale) <= 1.0 + SELF_MAP_DERIVATIVE_SLACK
            {
                return Ok(g);
            }
        }
    }
    Ok(f)
}

/// Fixed points with `Im ω` above this fraction of `max(|ω|, scale)` are not checked for being attracting: a
/// spurious real root is `O(η)` ≈ 1e-13 of the scale from the axis; genuine points of the support are far above.
const NEAR_AXIS: f64 = 1e-6;

/// How far above 1 `|φ'(ω)|` may be before a fixed point counts as repelling: at an edge the fixed point is a
/// double root with `φ' = 1`, which the finite difference of [`derivative_norm`] resolves to ~1e-6.
pub const SELF_MAP_DERIVATIVE_SLACK: f64 = 1e-5;

/// `|φ'(ω)|` by a central difference along the real axis.
fn derivative_norm(phi: &impl Fn(Complex64) -> Complex64, w: Complex64, scale: f64) -> f64 {
    let d = 1e-4 * w.im.abs() + 1e-9 * w.norm().max(scale);
    ((phi(w + d) - phi(w - d)) / (2.0 * d)).norm()
}

/// Damped Newton steps on `φ(ω) − ω` with a finite-difference derivative, falling back to `ω ← φ(ω)`; returns
/// `φ(ω)` at the fixed point.
fn iterate_self_map(
    phi: &impl Fn(Complex64) -> Complex64,
    start: Complex64,
    in_domain: &impl Fn(Complex64) -> bool,
    scale: f64,
    what: &'static str,
) -> Result<Complex64, LawError> {
    let finite = |w: Complex64| w.re.is_finite() && w.im.is_finite();
    let mut w = start;
    if !in_domain(w) || !finite(phi(w)) {
        return Err(LawError::NoConvergence {
            what,
            detail: format!("start point {w} is outside the domain"),
        });
    }
    let mut last_res = f64::INFINITY;
    let mut stalls = 0;
    for _ in 0..SELF_MAP_MAX_ITER {
        let f = phi(w);
        if !finite(f) {
            return Err(LawError::NoConvergence {
                what,
                detail: format!("the map is not finite at {w}"),
            });
        }
        let r = f - w;
        let res = r.norm();
        last_res = res;
        let size = w.norm().max(f.norm()).max(scale).max(1e-300);
        if res <= SELF_MAP_TOL * size {
            // Also ask for a relative accuracy of the imaginary part (it carries the density, and can be ~1e-13
            // of |ω| in a gap), but give up on that after a few rounds at the rounding floor.
            stalls += 1;
            if r.im.abs() <= 1e-8 * f.im.abs() || stalls >= 4 {
                return Ok(f);
            }
        }
        // Newton on g(ω) = φ(ω) − ω with a central difference along the real axis (which stays in the domain).
        let d = 1e-4 * w.im.abs() + 1e-9 * size;
        let dphi = (phi(w + d) - phi(w - d)) / (2.0 * d);
        let step = r / (Complex64::new(1.0, 0.0) - dphi);
        let mut t = 1.0;
        let mut accepted = false;
        if finite(step) {
            for _ in 0..12 {
                let cand = w + t * step;
                if in_domain(cand) {
                    let fc = phi(cand);
                    if finite(fc) && (fc - cand).norm() < res {
                        w = cand;
                        accepted = true;
                        break;
                    }
                }
                t *= 0.5;
            }
        }
        if !accepted {
            if !in_domain(f) {
                return Err(LawError::NoConvergence {
                    what,
                    detail: format!("the map left its domain at {f}"),
                });
            }
            w = f;
        }
    }
    let f = phi(w);
    if finite(f) && (f - w).norm() <= SELF_MAP_ACCEPT * w.norm().max(scale).max(1e-300) {
        Ok(f)
    } else {
        Err(LawError::NoConvergence {
            what,
            detail: format!(
                "residual {last_res:e} at ω = {w} after {SELF_MAP_MAX_ITER} iterations"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MarchenkoPastur;

    /// A "solver" that just evaluates a closed-form law, to test the engine against that law's own pdf/cdf.
    #[derive(Debug)]
    struct ClosedForm(MarchenkoPastur);

    impl CauchySolver for ClosedForm {
        type State = ();
        fn solve(&self, z: Complex64, _warm: Option<&()>) -> Result<(Complex64, ()), LawError> {
            Ok((self.0.cauchy(z), ()))
        }
    }

    fn tabulate(ratio: f64, known_atoms: bool) -> (MarchenkoPastur, NumericalLaw<ClosedForm>) {
        let mp = MarchenkoPastur::new(ratio, 1.0).unwrap();
        let config = NumericalConfig {
            search: Interval::new(0.0, mp.upper_edge()),
            atoms: if known_atoms { mp.atoms() } else { Vec::new() },
            hard_edges: vec![0.0],
            regions: Vec::new(),
        };
        let law =
            NumericalLaw::from_solver(format!("tabulated({mp})"), ClosedForm(mp), config).unwrap();
        (mp, law)
    }

    fn worst_errors(exact: &MarchenkoPastur, law: &NumericalLaw<ClosedForm>) -> (f64, f64) {
        let (lo, hi) = (exact.lower_edge(), exact.upper_edge());
        let (mut pdf, mut cdf): (f64, f64) = (0.0, 0.0);
        for i in 0..=200 {
            let x = lo + (hi - lo) * f64::from(i) / 200.0;
            if i > 0 && i < 200 {
                pdf = pdf.max((law.pdf(x) - exact.pdf(x)).abs());
            }
            cdf = cdf.max((law.cdf(x) - exact.cdf(x)).abs());
        }
        (pdf, cdf)
    }

    #[test]
    fn engine_reproduces_a_soft_edged_law() {
        let (mp, law) = tabulate(0.5, true);
        let s = law.support();
        assert!((s.intervals[0].lo - mp.lower_edge()).abs() < 1e-9, "{s:?}");
        assert!((s.intervals[0].hi - mp.upper_edge()).abs() < 1e-9, "{s:?}");
        let (pdf, cdf) = worst_errors(&mp, &law);
        assert!(
            pdf < 1e-8 && cdf < 1e-9,
            "pdf error {pdf:e}, cdf error {cdf:e}"
        );
        for k in 1..=6 {
            let rel = (law.moment(k) - mp.moment(k)).abs() / mp.moment(k);
            assert!(rel < 1e-12, "moment {k}: relative error {rel:e}");
        }
    }

    #[test]
    fn engine_integrates_an_inverse_square_root_hard_edge() {
        // MP(1): ρ ~ x^{-1/2} at 0.
        let (mp, law) = tabulate(1.0, true);
        assert!(law.support().intervals[0].lo.abs() < 1e-300);
        let (_, cdf) = worst_errors(&mp, &law);
        assert!(cdf < 1e-9, "cdf error {cdf:e}");
        assert!((law.continuous_mass() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn engine_detects_an_unannounced_atom_from_the_mass_deficit() {
        // MP(2) has an atom ½ at 0; do not tell the engine.
        let (mp, law) = tabulate(2.0, false);
        let atoms = law.atoms();
        assert_eq!(atoms.len(), 1, "{atoms:?}");
        assert!(atoms[0].location.abs() < 1e-6, "{atoms:?}");
        assert!((atoms[0].mass - 0.5).abs() < 1e-7, "{atoms:?}");
        let (pdf, cdf) = worst_errors(&mp, &law);
        assert!(
            pdf < 1e-8 && cdf < 1e-7,
            "pdf error {pdf:e}, cdf error {cdf:e}"
        );
    }
}
