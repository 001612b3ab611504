//! Reading a conjecture file: the TOML schema of `docs/conjectures.md`, checked completely before anything is
//! sampled, with every error located at `file:line:column` and naming its key.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use landscape_theory::SpectralLaw;
use landscape_theory::expr::LawExpr;
use landscape_theory::quadrature::tanh_sinh;
use serde::Deserialize;
use toml::Spanned;

use super::arith::Arith;
use super::decide::{Rate, Verdict};
use crate::toml_config::{ConfigError, List, Source};

/// The largest matrix side a file may ask for (dense eigendecompositions cost O(n³)).
pub const MAX_SIZE: u64 = 20_000;

/// The default bounds of a fitted finite-size exponent `a` in `c·n^(−a)`: slower than `n^(−1/4)` is not a
/// finite-size correction a few sizes can extrapolate, faster than `n^(−3/2)` is invisible beyond the smallest size.
pub const DEFAULT_RATE_BOUNDS: [f64; 2] = [0.25, 1.5];

/// How far the total mass of a theorist's density may be from one. tanh–sinh quadrature at 1e-12 integrates the
/// algebraic edge singularities of spectral densities to better than 1e-9, so a larger defect is the formula's.
pub const NORMALISATION_TOL: f64 = 1e-6;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    claim: Spanned<String>,
    source: Option<String>,
    expect: Option<Spanned<String>>,
    grid: Option<BTreeMap<String, List<f64>>>,
    measure: Spanned<RawMeasure>,
    predict: Spanned<RawPredict>,
    decide: Spanned<RawDecide>,
    quick: Option<RawQuick>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeasure {
    ensemble: Option<Spanned<String>>,
    n: Option<List<i64>>,
    seeds: Spanned<i64>,
    statistic: Spanned<String>,
    model: Option<Spanned<String>>,
    data: Option<Spanned<String>>,
    samples: Option<Spanned<i64>>,
    loss: Option<Spanned<String>>,
    operator: Option<Spanned<String>>,
    train: Option<Spanned<RawTrain>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrain {
    optimizer: Option<Spanned<String>>,
    beta: Option<Spanned<f64>>,
    learning_rate: Spanned<toml::Value>,
    steps: Spanned<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPredict {
    value: Option<Spanned<String>>,
    law: Option<Spanned<String>>,
    density: Option<Spanned<String>>,
    support: Option<List<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDecide {
    test: Spanned<String>,
    tolerance: Option<Spanned<f64>>,
    alpha: Option<Spanned<f64>>,
    rate: Option<Spanned<String>>,
    rate_bounds: Option<List<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuick {
    n: Option<List<i64>>,
    seeds: Option<Spanned<i64>>,
}

/// The decision rule named by `decide.test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// Equivalence within the tolerance at each size (TOST).
    Equal,
    /// `statistic ≤ prediction + tolerance` for every sample.
    AtMost,
    /// `statistic ≥ prediction − tolerance` for every sample.
    AtLeast,
    /// The deviation tends to zero (within the tolerance) as n → ∞.
    Limit,
}

/// What is measured on each sampled spectrum.
#[derive(Debug, Clone, PartialEq)]
pub enum Statistic {
    /// The largest eigenvalue.
    LambdaMax,
    /// The smallest eigenvalue.
    LambdaMin,
    /// The K-th largest eigenvalue (1 = largest).
    Lambda(usize),
    /// The fraction of eigenvalues below a threshold (in grid variables and n).
    FractionBelow(Arith),
    /// The fraction above a threshold.
    FractionAbove(Arith),
    /// `(1/n) Σ λ^K`.
    Moment(u32),
    /// `Σ λ`.
    Trace,
    /// Kolmogorov–Smirnov distance from the predicted law or density.
    Ks,
    /// Wasserstein-1 distance from the predicted law or density.
    W1,
    /// `⟨v_max, u⟩²` with the planted spike direction u.
    TopOverlap,
    /// The number of eigenvalues above a threshold.
    OutliersAbove(Arith),
}

impl Statistic {
    /// Whether the statistic is a distance from a law (whose prediction is 0).
    pub fn is_distance(&self) -> bool {
        matches!(self, Self::Ks | Self::W1)
    }
}

/// The sampled matrices of a grid point: a law's ensemble or a spiked model, built for each size n.
#[derive(Debug, Clone)]
pub enum EnsembleSpec {
    /// The ensemble whose limit is this law (`compare::ensemble_for`).
    Law(LawExpr),
    /// `spiked_covariance(ratio, spike, variance)`: p = n, n/ratio samples.
    SpikedCovariance {
        /// p/samples.
        ratio: f64,
        /// The population spike ℓ.
        spike: f64,
        /// The bulk variance σ².
        variance: f64,
    },
    /// `fan_wang_ntk(d0, width, activation)`: the NTK Gram matrix `JJᵀ` (n × n, one output) of the Fan–Wang
    /// network at initialisation on n Gaussian inputs, input dimension `d0·n`, one hidden layer of `width·n`
    /// (`simulation::ntk_eigenvalues`); its limit is `ntk(n=1, d0=D0, widths=[W], activation=A, weight_variance=1)`.
    FanWangNtk {
        /// Input dimension over samples.
        d0: f64,
        /// Hidden width over samples.
        width: f64,
        /// The activation's name (`tanh`, `relu`, ...).
        activation: String,
    },
    /// A network (`[measure] model = …`): the curvature spectrum of an MLP on data, `{n}` in the model filled
    /// in by each size.
    Network(Box<super::network::NetworkSpec>),
    /// `spiked_wigner(spike, variance)`.
    SpikedWigner {
        /// θ.
        spike: f64,
        /// σ².
        variance: f64,
    },
}

/// A theorist's density on `[lo, hi]`, normalisation checked, with its distribution function tabulated.
#[derive(Debug, Clone)]
pub struct DensityLaw {
    /// Left end of the support.
    pub lo: f64,
    /// Right end.
    pub hi: f64,
    xs: Vec<f64>,
    cdf: Vec<f64>,
}

/// The cells of the tabulated distribution function of a [`DensityLaw`] (linear interpolation between them; the
/// KS distance of a spectrum of a few hundred eigenvalues is far coarser than 1/4096 of the support).
const DENSITY_CELLS: usize = 4096;

impl DensityLaw {
    /// `F(x)` by linear interpolation of the tabulated integral.
    pub fn cdf(&self, x: f64) -> f64 {
        if x <= self.lo {
            return 0.0;
        }
        if x >= self.hi {
            return 1.0;
        }
        let h = (self.hi - self.lo) / DENSITY_CELLS as f64;
        let i = (((x - self.lo) / h) as usize).min(DENSITY_CELLS - 1);
        let t = (x - self.xs[i]) / h;
        self.cdf[i] + t * (self.cdf[i + 1] - self.cdf[i])
    }
}

/// What a grid point predicts for the distance statistics.
#[derive(Debug, Clone)]
pub enum Reference {
    /// None needed (the statistic is not a distance and no law was given).
    None,
    /// A library law.
    Law(Arc<dyn SpectralLaw>),
    /// A theorist's density that passed the normalisation check.
    Density(Arc<DensityLaw>),
    /// A theorist's density that is not a probability density: the claim is refuted at this point, for this
    /// reason, without sampling.
    Invalid(String),
}

/// One point of the grid, resolved.
#[derive(Debug, Clone)]
pub struct GridPoint {
    /// The grid values, in the order of [`Conjecture::grid_names`].
    pub values: Vec<f64>,
    /// What is sampled.
    pub ensemble: EnsembleSpec,
    /// The statistic, thresholds bound to this point.
    pub statistic: Statistic,
    /// The predicted value in grid variables and n (`None` for distances, whose prediction is 0, and for laws).
    pub value: Option<Arith>,
    /// The law or density for distances and law-predicted statistics.
    pub reference: Reference,
}

/// A conjecture file, read and checked.
#[derive(Debug, Clone)]
pub struct Conjecture {
    /// The claim, one sentence.
    pub claim: String,
    /// The citation, if given.
    pub source: Option<String>,
    /// The verdict the author expects.
    pub expect: Option<Verdict>,
    /// The grid's variable names (alphabetical).
    pub grid_names: Vec<String>,
    /// Every point of the grid product.
    pub points: Vec<GridPoint>,
    /// Matrix sides at full scale.
    pub sizes: Vec<usize>,
    /// Seeds per (point, size) at full scale.
    pub seeds: u64,
    /// Matrix sides at quick scale.
    pub quick_sizes: Vec<usize>,
    /// Seeds at quick scale.
    pub quick_seeds: u64,
    /// The statistic as written.
    pub statistic_text: String,
    /// The decision rule.
    pub test: Test,
    /// The deviation that still counts as agreement.
    pub tolerance: f64,
    /// The level.
    pub alpha: f64,
    /// The finite-size model of a limit test.
    pub rate: Rate,
    /// A fingerprint of the file's text, so stored results are never mixed across files.
    pub fingerprint: u64,
}

/// FNV-1a, 64 bit (Fowler, Noll, Vo): a fixed, portable fingerprint of a file's bytes.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `{name}` → the grid value, for every grid name.
fn substitute(text: &str, names: &[String], values: &[f64]) -> String {
    let mut out = text.to_string();
    for (name, v) in names.iter().zip(values) {
        out = out.replace(&format!("{{{name}}}"), &v.to_string());
    }
    out
}

/// Reads and checks the conjecture at `path`.
///
/// # Errors
/// The first problem, located at `file:line:column` with its key.
pub fn load(path: &Path) -> Result<Conjecture, ConfigError> {
    let text = crate::toml_config::read(path).map_err(|message| ConfigError {
        file: path.to_path_buf(),
        line: 1,
        column: 1,
        field: "(file)".into(),
        message,
    })?;
    parse(path, &text)
}

/// Checks the conjecture `text` (named `path` in errors).
///
/// # Errors
/// As [`load`].
pub fn parse(path: &Path, text: &str) -> Result<Conjecture, ConfigError> {
    let src = Source::new(path, text);
    let raw: RawFile = src.parse()?;
    let claim = raw.claim.get_ref().trim().to_string();
    if claim.is_empty() {
        return Err(src.error(
            raw.claim.span(),
            "claim",
            "the claim is empty; state it in one sentence",
        ));
    }
    let expect = raw
        .expect
        .as_ref()
        .map(|e| match e.get_ref().as_str() {
            "supported" => Ok(Verdict::Supported),
            "refuted" => Ok(Verdict::Refuted),
            "inconclusive" => Ok(Verdict::Inconclusive),
            other => Err(src.error(
                e.span(),
                "expect",
                format!("`{other}` is not one of: supported, refuted, inconclusive"),
            )),
        })
        .transpose()?;

    // The grid: named lists, their product in the order of the names.
    let mut grid_names = Vec::new();
    let mut grid_lists = Vec::new();
    for (name, list) in raw.grid.iter().flatten() {
        if name == "n" || name == "x" || name == "pi" {
            return Err(src.error(
                list.span(),
                name,
                "`n`, `x` and `pi` are reserved; choose another grid name",
            ));
        }
        let items = src.non_empty(list, name, "an empty grid list; give at least one value")?;
        grid_lists.push(src.reals(items, name, "a finite number", |_| true)?);
        grid_names.push(name.clone());
    }
    let mut combos: Vec<Vec<f64>> = vec![vec![]];
    for list in &grid_lists {
        combos = combos
            .into_iter()
            .flat_map(|c| list.iter().map(move |v| [c.clone(), vec![*v]].concat()))
            .collect();
    }

    let measure = raw.measure.get_ref();
    let ensemble_text = match (&measure.ensemble, &measure.model) {
        (Some(_), Some(m)) => {
            return Err(src.error(
                m.span(),
                "model",
                "give either `ensemble` (a matrix ensemble) or `model` (a network), not both",
            ));
        }
        (None, None) => {
            return Err(src.error(
                raw.measure.span(),
                "[measure]",
                "missing key `ensemble` (a matrix ensemble) or `model` (a network)",
            ));
        }
        (Some(e), None) => e,
        (None, Some(m)) => m,
    };
    let network_keys = [
        ("data", measure.data.as_ref().map(Spanned::span)),
        ("samples", measure.samples.as_ref().map(Spanned::span)),
        ("loss", measure.loss.as_ref().map(Spanned::span)),
        ("operator", measure.operator.as_ref().map(Spanned::span)),
        ("train", measure.train.as_ref().map(Spanned::span)),
    ];
    if measure.model.is_none() {
        if let Some((key, Some(span))) = network_keys.iter().find(|(_, s)| s.is_some()) {
            return Err(src.error(
                span.clone(),
                key,
                format!("`{key}` goes with `model` (a network)"),
            ));
        }
    } else if measure.data.is_none() {
        return Err(src.error(
            raw.measure.span(),
            "[measure]",
            "a network needs `data` (digits[:whiten=true,normalize=true], PATH.npz or gaussian-mixture:classes=C,dim=D,n=N)",
        ));
    }
    let Some(n_list) = &measure.n else {
        return Err(src.error(
            raw.measure.span(),
            "[measure]",
            "missing key `n` (a list of matrix sides)",
        ));
    };
    let sizes: Vec<usize> = src
        .ints(
            src.non_empty(n_list, "n", "an empty list of sizes")?,
            "n",
            2,
            MAX_SIZE,
        )?
        .into_iter()
        .map(|v| v as usize)
        .collect();
    let seeds = src.int(&measure.seeds, "seeds", 2, 100_000)?;
    let (quick_sizes, quick_seeds) = match &raw.quick {
        Some(q) => (
            match &q.n {
                Some(l) => src
                    .ints(
                        src.non_empty(l, "n", "an empty list of sizes")?,
                        "n",
                        2,
                        MAX_SIZE,
                    )?
                    .into_iter()
                    .map(|v| v as usize)
                    .collect(),
                None => sizes.clone(),
            },
            src.int_or(q.seeds.as_ref(), "seeds", seeds, 2, 100_000)?,
        ),
        None => (sizes.clone(), seeds),
    };

    let decide = raw.decide.get_ref();
    let test = match decide.test.get_ref().as_str() {
        "equal" => Test::Equal,
        "at_most" => Test::AtMost,
        "at_least" => Test::AtLeast,
        "limit" => Test::Limit,
        other => {
            return Err(src.error(
                decide.test.span(),
                "test",
                format!("`{other}` is not one of: equal, at_most, at_least, limit"),
            ));
        }
    };
    let tolerance = match (&decide.tolerance, test) {
        (Some(t), _) => src.real(t, "tolerance", "a finite number ≥ 0", |x| x >= 0.0)?,
        (None, Test::AtMost | Test::AtLeast) => 0.0,
        (None, _) => {
            return Err(src.error(
                raw.decide.span(),
                "[decide]",
                "missing key `tolerance` (the deviation that still counts as agreement)",
            ));
        }
    };
    let alpha = src.real_or(
        decide.alpha.as_ref(),
        "alpha",
        0.05,
        "a level in (0, 0.5)",
        |a| a > 0.0 && a < 0.5,
    )?;
    let rate = if let Some(r) = &decide.rate {
        Rate::Known {
            exponent: rate_exponent(r.get_ref()).map_err(|m| src.error(r.span(), "rate", m))?,
        }
    } else if let Some(b) = &decide.rate_bounds {
        let v = src.reals(b.get_ref(), "rate_bounds", "a finite number > 0", |x| {
            x > 0.0
        })?;
        if v.len() != 2 || v[0] >= v[1] {
            return Err(src.error(b.span(), "rate_bounds", "give [lo, hi] with 0 < lo < hi"));
        }
        Rate::Bounded { lo: v[0], hi: v[1] }
    } else {
        Rate::Bounded {
            lo: DEFAULT_RATE_BOUNDS[0],
            hi: DEFAULT_RATE_BOUNDS[1],
        }
    };
    if test == Test::Limit {
        let need = if matches!(rate, Rate::Known { .. }) {
            2
        } else {
            3
        };
        for (list, what) in [(&sizes, "[measure] n"), (&quick_sizes, "[quick] n")] {
            let mut distinct = list.clone();
            distinct.sort_unstable();
            distinct.dedup();
            if distinct.len() < need {
                return Err(src.error(
                    n_list.span(),
                    "n",
                    format!(
                        "a limit test needs {need} distinct sizes in {what} ({}); give more sizes or a known `rate`",
                        if need == 3 { "b, c and the exponent are fitted" } else { "b and c are fitted" }
                    ),
                ));
            }
        }
    }

    let predict = raw.predict.get_ref();
    let mut arith_names: Vec<&str> = grid_names.iter().map(String::as_str).collect();
    arith_names.push("n");
    let mut points = Vec::with_capacity(combos.len());
    for values in combos {
        let sub = |s: &str| substitute(s, &grid_names, &values);
        let ensemble = if measure.model.is_some() {
            EnsembleSpec::Network(Box::new(network_spec(&src, measure, &sub)?))
        } else {
            ensemble_spec(&sub(ensemble_text.get_ref()))
                .map_err(|m| src.error(ensemble_text.span(), "ensemble", m))?
        };
        let stat_text = sub(measure.statistic.get_ref());
        let statistic = parse_statistic(&stat_text, &arith_names)
            .map_err(|m| src.error(measure.statistic.span(), "statistic", m))?;
        // The measured object must exist at every size; check it now, not after an hour of sampling.
        for &n in sizes.iter().chain(&quick_sizes) {
            let checked = match &ensemble {
                EnsembleSpec::Network(net) => net.check(n, super::network::need(&statistic)),
                EnsembleSpec::FanWangNtk {
                    d0,
                    width,
                    activation,
                } => super::measure::fan_wang_widths(n, *d0, *width).and_then(|_| {
                    activation
                        .parse::<landscape_simulate::network::Activation>()
                        .map(|_| ())
                }),
                spec => super::measure::build(spec, n).map(|_| ()),
            };
            let key = if measure.model.is_some() {
                "model"
            } else {
                "ensemble"
            };
            checked
                .map_err(|e| src.error(ensemble_text.span(), key, format!("at n = {n}: {e}")))?;
        }
        if statistic == Statistic::TopOverlap
            && matches!(
                ensemble,
                EnsembleSpec::Law(_) | EnsembleSpec::FanWangNtk { .. } | EnsembleSpec::Network(_)
            )
        {
            return Err(src.error(
                measure.statistic.span(),
                "statistic",
                "top_overlap needs a planted direction: use spiked_covariance(...) or spiked_wigner(...)",
            ));
        }
        let value = predict
            .value
            .as_ref()
            .map(|v| {
                Arith::parse(&sub(v.get_ref()), &arith_names)
                    .map_err(|e| src.error(v.span(), "value", e.to_string()))
            })
            .transpose()?;
        let law = predict
            .law
            .as_ref()
            .map(|l| {
                landscape_theory::parse(&sub(l.get_ref()))
                    .map_err(|e| e.message)
                    .and_then(|expr| expr.build().map_err(|e| e.to_string()))
                    .map_err(|m| src.error(l.span(), "law", m))
            })
            .transpose()?;
        let density = match (&predict.density, &predict.support) {
            (Some(d), Some(s)) => Some(density_reference(&src, d, s, &sub, &grid_names, &values)?),
            (Some(d), None) => {
                return Err(src.error(d.span(), "density", "a density needs `support = [a, b]`"));
            }
            (None, Some(s)) => {
                return Err(src.error(s.span(), "support", "`support` goes with `density`"));
            }
            (None, None) => None,
        };
        let given = [value.is_some(), law.is_some(), density.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if given != 1 {
            return Err(src.error(
                raw.predict.span(),
                "[predict]",
                "give exactly one of `value`, `law` or `density` (with `support`)",
            ));
        }
        let reference = match (law, density) {
            (Some(l), _) => Reference::Law(l),
            (_, Some(d)) => d,
            _ => Reference::None,
        };
        let fits = match &statistic {
            Statistic::Ks | Statistic::W1 => !matches!(reference, Reference::None),
            Statistic::FractionBelow(_)
            | Statistic::FractionAbove(_)
            | Statistic::LambdaMax
            | Statistic::LambdaMin
            | Statistic::Moment(_) => {
                !matches!(reference, Reference::Density(_) | Reference::Invalid(_))
            }
            _ => value.is_some(),
        };
        if !fits {
            return Err(src.error(
                measure.statistic.span(),
                "statistic",
                "ks and w1 need `predict.law` or `predict.density`; lambda_max, lambda_min, fraction_below, \
                 fraction_above and moment take `value` or `law`; the others need `value`",
            ));
        }
        points.push(GridPoint {
            values,
            ensemble,
            statistic,
            value,
            reference,
        });
    }
    Ok(Conjecture {
        claim,
        source: raw.source,
        expect,
        grid_names,
        points,
        sizes,
        seeds,
        quick_sizes,
        quick_seeds,
        statistic_text: measure.statistic.get_ref().clone(),
        test,
        tolerance,
        alpha,
        rate,
        fingerprint: fnv1a(text.as_bytes()),
    })
}

/// The network of `[measure]` at one grid point (`sub` fills in the grid's placeholders; `{n}` stays).
fn network_spec(
    src: &Source,
    measure: &RawMeasure,
    sub: &dyn Fn(&str) -> String,
) -> Result<super::network::NetworkSpec, ConfigError> {
    use landscape_empirical::model::CurvatureKind;
    use landscape_empirical::spec::DataSpec;
    use landscape_empirical::train::Optimizer;
    let model = measure.model.as_ref().expect("called for networks");
    let data = measure.data.as_ref().expect("checked by the caller");
    let data_spec: DataSpec = sub(data.get_ref())
        .parse()
        .map_err(|e: landscape_empirical::spec::SpecError| src.error(data.span(), "data", e.0))?;
    let samples = measure
        .samples
        .as_ref()
        .map(|s| src.int(s, "samples", 1, 1_000_000).map(|v| v as usize))
        .transpose()?;
    let mse = match measure.loss.as_ref() {
        None => false,
        Some(l) => match l.get_ref().as_str() {
            "mse" => true,
            "cross_entropy" | "cross-entropy" => false,
            other => {
                return Err(src.error(
                    l.span(),
                    "loss",
                    format!("`{other}` is not one of: cross_entropy, mse"),
                ));
            }
        },
    };
    let operator = match measure.operator.as_ref() {
        None => CurvatureKind::Hessian,
        Some(o) => o.get_ref().parse::<CurvatureKind>().map_err(|_| {
            src.error(
                o.span(),
                "operator",
                format!("`{}` is not one of: hessian, ggn", o.get_ref()),
            )
        })?,
    };
    let train = match measure.train.as_ref() {
        None => None,
        Some(t) => {
            let raw = t.get_ref();
            let beta = raw
                .beta
                .as_ref()
                .map(|b| {
                    src.real(b, "beta", "a momentum in [0, 1)", |x| {
                        (0.0..1.0).contains(&x)
                    })
                })
                .transpose()?;
            let optimizer = match raw.optimizer.as_ref().map(|o| (o, o.get_ref().as_str())) {
                None | Some((_, "gd")) => Optimizer::GradientDescent,
                Some((_, "momentum")) => Optimizer::HeavyBall {
                    beta: beta.unwrap_or(0.9),
                },
                Some((o, other)) => {
                    return Err(src.error(
                        o.span(),
                        "optimizer",
                        format!("`{other}` is not one of: gd, momentum (full-batch training)"),
                    ));
                }
            };
            let lr_span = raw.learning_rate.span();
            let learning_rate = match raw.learning_rate.get_ref() {
                toml::Value::Float(v) => *v,
                toml::Value::Integer(v) => *v as f64,
                toml::Value::String(text) => Arith::parse(&sub(text), &[])
                    .map_err(|e| src.error(lr_span.clone(), "learning_rate", e.to_string()))?
                    .eval(&[]),
                _ => f64::NAN,
            };
            if !(learning_rate.is_finite() && learning_rate > 0.0) {
                return Err(src.error(
                    lr_span,
                    "learning_rate",
                    "a finite number > 0 (or an expression in the grid's placeholders, e.g. \"{lr}\")",
                ));
            }
            Some(super::network::TrainSpec {
                optimizer,
                learning_rate,
                steps: src.int(&raw.steps, "steps", 1, 1_000_000)? as usize,
            })
        }
    };
    let text = sub(model.get_ref());
    // The model must parse (with a placeholder size) before any size is tried.
    text.replace("{n}", "1")
        .parse::<landscape_empirical::spec::ModelSpec>()
        .map_err(|e| src.error(model.span(), "model", e.0))?;
    Ok(super::network::NetworkSpec {
        model: text,
        data: data_spec,
        samples,
        mse,
        operator,
        train,
    })
}

/// The exponent `a` of a rate `n^(−a)` written as an expression in n (`n^(-2/3)`, `1/n`, `1/sqrt(n)`).
fn rate_exponent(text: &str) -> Result<f64, String> {
    let f = Arith::parse(text, &["n"]).map_err(|e| e.to_string())?;
    let at = |n: f64| f.eval(&[n]);
    let a = -(at(4.0) / at(2.0)).log2();
    let again = -(at(64.0) / at(16.0)).log2() / 2.0;
    // A pure power gives the same exponent on every octave; 1e-9 allows for rounding in powf.
    if !(a.is_finite() && a > 0.0 && (a - again).abs() < 1e-9) {
        return Err(format!(
            "`{text}` is not a decaying power n^(-a) with a > 0 (e.g. \"n^(-2/3)\", \"1/n\")"
        ));
    }
    Ok(a)
}

/// `name(k=v, ...)` with numeric values; unknown keys are errors naming the valid ones.
fn keyword_args(text: &str, name: &str, valid: &[&str]) -> Result<BTreeMap<String, f64>, String> {
    let inner = text
        .strip_prefix(name)
        .map(str::trim)
        .and_then(|s| s.strip_prefix('('))
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| format!("expected {name}({})", valid.join("=…, ")))?;
    let mut args = BTreeMap::new();
    for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}` is not key=value"))?;
        let k = k.trim();
        if !valid.contains(&k) {
            return Err(format!(
                "{name} has no argument `{k}` (valid: {})",
                valid.join(", ")
            ));
        }
        let v: f64 = Arith::parse(v.trim(), &[])
            .map_err(|e| format!("{k}: {e}"))?
            .eval(&[]);
        args.insert(k.to_string(), v);
    }
    Ok(args)
}

/// The ensemble named by `text` (placeholders already substituted).
fn ensemble_spec(text: &str) -> Result<EnsembleSpec, String> {
    let text = text.trim();
    let required = |args: &BTreeMap<String, f64>, k: &str, name: &str| {
        args.get(k)
            .copied()
            .ok_or_else(|| format!("{name} needs `{k}=`"))
    };
    if text.starts_with("spiked_covariance") {
        let args = keyword_args(text, "spiked_covariance", &["ratio", "spike", "variance"])?;
        return Ok(EnsembleSpec::SpikedCovariance {
            ratio: required(&args, "ratio", "spiked_covariance")?,
            spike: required(&args, "spike", "spiked_covariance")?,
            variance: args.get("variance").copied().unwrap_or(1.0),
        });
    }
    if text.starts_with("spiked_wigner") {
        let args = keyword_args(text, "spiked_wigner", &["spike", "variance"])?;
        return Ok(EnsembleSpec::SpikedWigner {
            spike: required(&args, "spike", "spiked_wigner")?,
            variance: args.get("variance").copied().unwrap_or(1.0),
        });
    }
    if let Some(rest) = text.strip_prefix("fan_wang_ntk") {
        // The activation is a name, the other arguments numbers: split it off before the numeric parser.
        let inner = rest
            .trim()
            .strip_prefix('(')
            .and_then(|s| s.strip_suffix(')'))
            .unwrap_or("");
        let mut activation = None;
        let mut numeric = Vec::new();
        for part in inner.split(',').map(str::trim) {
            match part.split_once('=') {
                Some((k, v)) if k.trim() == "activation" => activation = Some(v.trim().to_string()),
                _ => numeric.push(part),
            }
        }
        let args = keyword_args(
            &format!("fan_wang_ntk({})", numeric.join(", ")),
            "fan_wang_ntk",
            &["d0", "width"],
        )?;
        return Ok(EnsembleSpec::FanWangNtk {
            d0: required(&args, "d0", "fan_wang_ntk")?,
            width: required(&args, "width", "fan_wang_ntk")?,
            activation: activation.ok_or("fan_wang_ntk needs `activation=` (e.g. tanh)")?,
        });
    }
    landscape_theory::parse(text)
        .map(EnsembleSpec::Law)
        .map_err(|e| e.message)
}

/// The statistic `text` with its argument bound to `names`.
fn parse_statistic(text: &str, names: &[&str]) -> Result<Statistic, String> {
    let text = text.trim();
    const VALID: &str = "lambda_max, lambda_min, lambda(K), fraction_below(X), fraction_above(X), moment(K), \
                         trace, ks, w1, top_overlap, outliers_above(X)";
    let (name, arg) = match text.split_once('(') {
        Some((name, rest)) => {
            let arg = rest
                .strip_suffix(')')
                .ok_or_else(|| format!("`{text}`: missing ')'"))?;
            (name.trim(), Some(arg.trim()))
        }
        None => (text, None),
    };
    let threshold = |arg: Option<&str>| -> Result<Arith, String> {
        let arg = arg.ok_or_else(|| format!("{name} needs a threshold: {name}(X)"))?;
        Arith::parse(arg, names).map_err(|e| format!("{name}: {e}"))
    };
    let count = |arg: Option<&str>, lo: u64| -> Result<u64, String> {
        arg.and_then(|a| a.parse::<u64>().ok())
            .filter(|k| *k >= lo)
            .ok_or_else(|| format!("{name} needs an integer K ≥ {lo}: {name}(K)"))
    };
    let no_arg = |s: Statistic| {
        if arg.is_some() {
            Err(format!("{name} takes no argument"))
        } else {
            Ok(s)
        }
    };
    match name {
        "lambda_max" => no_arg(Statistic::LambdaMax),
        "lambda_min" => no_arg(Statistic::LambdaMin),
        "trace" => no_arg(Statistic::Trace),
        "ks" => no_arg(Statistic::Ks),
        "w1" => no_arg(Statistic::W1),
        "top_overlap" => no_arg(Statistic::TopOverlap),
        "lambda" => Ok(Statistic::Lambda(count(arg, 1)? as usize)),
        "moment" => Ok(Statistic::Moment(
            u32::try_from(count(arg, 1)?).map_err(|_| "moment(K): K is too large".to_string())?,
        )),
        "fraction_below" => Ok(Statistic::FractionBelow(threshold(arg)?)),
        "fraction_above" => Ok(Statistic::FractionAbove(threshold(arg)?)),
        "outliers_above" => Ok(Statistic::OutliersAbove(threshold(arg)?)),
        _ => Err(format!("`{text}` is not one of: {VALID}")),
    }
}

/// Checks a theorist's density on its support: real and non-negative everywhere inside, total mass one.
fn density_reference(
    src: &Source<'_>,
    density: &Spanned<String>,
    support: &List<toml::Value>,
    sub: &dyn Fn(&str) -> String,
    grid_names: &[String],
    values: &[f64],
) -> Result<Reference, ConfigError> {
    let mut names: Vec<&str> = grid_names.iter().map(String::as_str).collect();
    let mut ends = Vec::new();
    for item in support.get_ref() {
        let v = match item.get_ref() {
            toml::Value::Float(f) => *f,
            toml::Value::Integer(i) => *i as f64,
            toml::Value::String(s) => Arith::parse(&sub(s), &names)
                .map_err(|e| src.error(item.span(), "support", e.to_string()))?
                .eval(values),
            _ => {
                return Err(src.error(
                    item.span(),
                    "support",
                    "a number or an expression in quotes",
                ));
            }
        };
        if !v.is_finite() {
            return Err(src.error(item.span(), "support", format!("{v} is not a finite end")));
        }
        ends.push(v);
    }
    if ends.len() != 2 || ends[0] >= ends[1] {
        return Err(src.error(support.span(), "support", "give [a, b] with a < b"));
    }
    let (lo, hi) = (ends[0], ends[1]);
    names.push("x");
    let f = Arith::parse(&sub(density.get_ref()), &names)
        .map_err(|e| src.error(density.span(), "density", e.to_string()))?;
    let mut args = values.to_vec();
    args.push(0.0);
    let rho = |x: f64| {
        let mut a = args.clone();
        *a.last_mut().expect("x is bound") = x;
        f.eval(&a)
    };
    // Look inside the support (ends excluded: integrable edge singularities are allowed) for a value that is
    // not a real, non-negative number.
    const PROBES: usize = 1000;
    for i in 1..PROBES {
        let x = lo + (hi - lo) * i as f64 / PROBES as f64;
        let y = rho(x);
        if !(y.is_finite() && y >= 0.0) {
            return Ok(Reference::Invalid(format!(
                "the predicted density is not a probability density: at x = {x:.4} inside the support \
                 [{lo:.4}, {hi:.4}] it evaluates to {y} (not a real number ≥ 0)"
            )));
        }
    }
    let mass = tanh_sinh(lo, hi, 1e-12, |x, _, _| rho(x));
    if !(mass.is_finite() && (mass - 1.0).abs() <= NORMALISATION_TOL) {
        return Ok(Reference::Invalid(format!(
            "the predicted density is not normalised: it integrates to {mass:.6} over [{lo:.4}, {hi:.4}], not 1"
        )));
    }
    let h = (hi - lo) / DENSITY_CELLS as f64;
    let xs: Vec<f64> = (0..=DENSITY_CELLS).map(|i| lo + h * i as f64).collect();
    let mut cdf = vec![0.0];
    for w in xs.windows(2) {
        let last = *cdf.last().expect("starts at 0");
        cdf.push(last + tanh_sinh(w[0], w[1], 1e-10, |x, _, _| rho(x)) / mass);
    }
    Ok(Reference::Density(Arc::new(DensityLaw { lo, hi, xs, cdf })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(Path::new("c.toml"), text).unwrap_err().to_string()
    }

    const GOOD: &str = "claim = \"edge\"\n[grid]\nratio = [0.25]\n[measure]\nensemble = \"mp(ratio={ratio})\"\n\
                        n = [20, 40]\nseeds = 4\nstatistic = \"lambda_max\"\n[predict]\nvalue = \"(1 + sqrt(ratio))^2\"\n\
                        [decide]\ntest = \"equal\"\ntolerance = 0.1\n";

    #[test]
    fn a_good_file_resolves_every_grid_point() {
        let c = parse(Path::new("c.toml"), GOOD).unwrap();
        assert_eq!(c.points.len(), 1);
        assert_eq!(c.sizes, vec![20, 40]);
        assert_eq!(c.test, Test::Equal);
        let v = c.points[0].value.as_ref().unwrap().eval(&[0.25, 20.0]);
        assert!((v - 2.25).abs() < 1e-15);
    }

    #[test]
    fn bad_files_get_located_one_line_errors_naming_the_key() {
        let e = err(&GOOD.replace("lambda_max", "lambda_mx"));
        assert!(
            e.starts_with("c.toml:8:13: statistic: `lambda_mx` is not one of"),
            "{e}"
        );
        let e = err(&GOOD.replace("sqrt(ratio)", "sqrt(rato)"));
        assert!(
            e.starts_with("c.toml:10:9: value: column 11: unknown variable 'rato'"),
            "{e}"
        );
        let e = err(&GOOD.replace("\"equal\"", "\"same\""));
        assert!(
            e.starts_with("c.toml:12:8: test: `same` is not one of"),
            "{e}"
        );
        let e = err(&GOOD.replace("seeds = 4", "seeds = 1"));
        assert!(
            e.starts_with("c.toml:7:9: seeds: 1 is not an integer in 2..=100000"),
            "{e}"
        );
        let e = err(&GOOD.replace("mp(ratio={ratio})", "mq(ratio={ratio})"));
        assert!(e.starts_with("c.toml:5:12: ensemble:"), "{e}");
        let e = err(&GOOD.replace("\"equal\"", "\"limit\"\nrate = \"log(n)\""));
        assert!(e.contains("rate: `log(n)` is not a decaying power"), "{e}");
        let e = err(&GOOD.replace("tolerance = 0.1", "tolerance = 0.1\nbogus = 1"));
        assert!(e.starts_with("c.toml:14:1: bogus: unknown field"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    /// A network file: a 64–{n}–10 MLP on 50 digits, its largest Hessian eigenvalue at initialisation.
    const NET: &str = "claim = \"net\"\n[measure]\nmodel = \"mlp:widths={n}\"\ndata = \"digits\"\nsamples = 50\n\
                       n = [4, 8]\nseeds = 2\nstatistic = \"lambda_max\"\n[predict]\nvalue = \"1\"\n\
                       [decide]\ntest = \"equal\"\ntolerance = 0.1\n";

    #[test]
    fn networks_are_read_and_their_mistakes_located() {
        let c = parse(Path::new("c.toml"), NET).unwrap();
        assert!(matches!(c.points[0].ensemble, EnsembleSpec::Network(_)));
        let e = err(&NET.replace("[measure]\n", "[measure]\nensemble = \"mp(ratio=0.5)\"\n"));
        assert!(e.contains("model: give either `ensemble`"), "{e}");
        let e = err(&NET.replace("data = \"digits\"\n", ""));
        assert!(e.contains("a network needs `data`"), "{e}");
        let e = err(&NET.replace("\"digits\"", "\"imagenet\""));
        assert!(
            e.starts_with("c.toml:4:8: data: unknown data set `imagenet`"),
            "{e}"
        );
        let e = err(&NET.replace("mlp:widths={n}", "cnn"));
        assert!(
            e.contains("model: at n = 4") && e.contains("native backend"),
            "{e}"
        );
        let e = err(&NET.replace("samples = 50", "samples = 5000"));
        assert!(e.contains("samples"), "{e}");
        // A whole-spectrum statistic on a network above the dense cap is refused before anything runs.
        let e = err(&NET
            .replace("[4, 8]", "[100]")
            .replace("\"lambda_max\"", "\"trace\""));
        assert!(e.contains("at most 4000 parameters"), "{e}");
        let e = err(&GOOD.replace("seeds = 4", "seeds = 4\nloss = \"mse\""));
        assert!(e.contains("loss: `loss` goes with `model`"), "{e}");
        let e = err(&NET.replace(
            "[predict]",
            "[measure.train]\nlearning_rate = -1\nsteps = 10\n[predict]",
        ));
        assert!(e.contains("learning_rate: a finite number > 0"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn rates_are_read_as_exponents() {
        assert!((rate_exponent("n^(-2/3)").unwrap() - 2.0 / 3.0).abs() < 1e-12);
        assert!((rate_exponent("1/sqrt(n)").unwrap() - 0.5).abs() < 1e-12);
        assert!(rate_exponent("n").is_err());
    }
}
