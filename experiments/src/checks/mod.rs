//! The registry of checks shared by `cargo test` and `landscape report`.
//!
//! A [`Check`] is a claim (one sentence from the literature or from our own derivation), a function that computes
//! a prediction and a measurement, and a tolerance with its reason. Running it yields an [`Outcome`] whose verdict
//! follows from the [`Comparison`]. The integration tests in `experiments/tests/checks.rs` run every check at
//! [`Scale::Quick`]; the report runs the same checks and draws their figures, so a figure and a test cannot
//! disagree.

mod common;
pub mod figures;
mod networks;
mod optimizers;
mod simulation;
mod theory;

use std::fmt;

use serde::Serialize;

/// The seed `landscape report` and the tests use unless told otherwise.
pub const DEFAULT_SEED: u64 = 20_261_128;

/// How large the simulations are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Sizes for `cargo test` and `landscape report --scale quick`: the whole registry in a few minutes on 2 cores.
    Quick,
    /// Larger sizes and more seeds.
    Full,
}

impl Scale {
    /// Picks `quick` or `full`.
    pub fn pick<T>(self, quick: T, full: T) -> T {
        match self {
            Scale::Quick => quick,
            Scale::Full => full,
        }
    }
}

/// The report's sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// Theory against itself and against independent references.
    Theory,
    /// Simulated ensembles and networks against theory.
    Simulation,
    /// Real networks against theory.
    Networks,
    /// Optimizers from landscape geometry: metrics, adaptive steps, the tuned comparison.
    Optimizers,
}

impl Group {
    /// Every group, in report order.
    pub const ALL: [Group; 4] = [
        Group::Theory,
        Group::Simulation,
        Group::Networks,
        Group::Optimizers,
    ];

    /// The name used on the command line (`--only NAME`) and in `results.json`.
    pub fn name(self) -> &'static str {
        match self {
            Group::Theory => "theory",
            Group::Simulation => "simulation",
            Group::Networks => "networks",
            Group::Optimizers => "optimizers",
        }
    }

    /// A section title.
    pub fn title(self) -> &'static str {
        match self {
            Group::Theory => "Theory: self-consistency and references",
            Group::Simulation => "Simulation against theory",
            Group::Networks => "Networks against theory",
            Group::Optimizers => "Optimizers from landscape geometry",
        }
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a check is given.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// Problem sizes.
    pub scale: Scale,
    /// The base seed; each check derives its own streams from it.
    pub seed: u64,
}

/// A measured number with its uncertainty and how it was obtained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    /// The value.
    pub value: f64,
    /// One standard error, when the value is random; `None` for exact or deterministic computations.
    pub stderr: Option<f64>,
    /// How it was computed (estimator, sizes, seeds).
    pub method: String,
}

/// How a measurement is judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Comparison {
    /// Pass when `|measurement − prediction| ≤ tolerance`.
    Within {
        /// The predicted value.
        prediction: f64,
        /// The allowed absolute deviation.
        tolerance: f64,
    },
    /// Pass when `measurement ≤ bound` (distances, errors).
    AtMost {
        /// The bound.
        bound: f64,
    },
    /// Pass when `measurement ≥ bound`.
    AtLeast {
        /// The bound.
        bound: f64,
    },
    /// Pass when `low ≤ measurement ≤ high` (an acceptance region that is not symmetric, such as the counts a
    /// binomial test accepts).
    Between {
        /// The lower end.
        low: f64,
        /// The upper end.
        high: f64,
    },
}

impl Comparison {
    /// Whether `value` passes.
    pub fn passes(&self, value: f64) -> bool {
        if !value.is_finite() {
            return false;
        }
        match *self {
            Comparison::Within {
                prediction,
                tolerance,
            } => (value - prediction).abs() <= tolerance,
            Comparison::AtMost { bound } => value <= bound,
            Comparison::AtLeast { bound } => value >= bound,
            Comparison::Between { low, high } => (low..=high).contains(&value),
        }
    }

    /// A short text form for tables: `2.5 ± 0.01`, `≤ 0.03`, `≥ 0.9`.
    pub fn describe(&self) -> String {
        match *self {
            Comparison::Within {
                prediction,
                tolerance,
            } => format!("{} ± {}", fmt_num(prediction), fmt_num(tolerance)),
            Comparison::AtMost { bound } => format!("≤ {}", fmt_num(bound)),
            Comparison::AtLeast { bound } => format!("≥ {}", fmt_num(bound)),
            Comparison::Between { low, high } => {
                format!("in [{}, {}]", fmt_num(low), fmt_num(high))
            }
        }
    }
}

/// Formats a number with 6 significant digits for tables.
pub fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        format!("{:.6}", v)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        format!("{v:.4e}")
    }
}

/// A nearby wrong prediction that a check must reject at the same scale: the check's own statistic (recomputed
/// where the prediction enters it) judged by the check's own criterion with the prediction moved by a stated
/// amount. A control that is not rejected shows that the check has no power against that error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NegativeControl {
    /// The wrong prediction, with the amount by which its parameter or threshold was moved.
    pub prediction: String,
    /// The statistic measured against the wrong prediction.
    pub measurement: f64,
    /// The criterion it faced: the check's own, with the wrong prediction in it.
    pub comparison: Comparison,
    /// Whether the criterion rejected the wrong prediction (it must).
    pub rejected: bool,
}

impl NegativeControl {
    /// Judges `measurement` by `comparison`: the control is rejected when the criterion fails.
    pub fn judge(prediction: impl Into<String>, measurement: f64, comparison: Comparison) -> Self {
        Self {
            prediction: prediction.into(),
            measurement,
            rejected: !comparison.passes(measurement),
            comparison,
        }
    }
}

/// The result of running one check.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The measurement.
    pub measurement: Measurement,
    /// How it is judged.
    pub comparison: Comparison,
    /// Why the tolerance or bound is what it is.
    pub tolerance_reason: String,
    /// The nearby wrong prediction the check must reject (its power).
    pub negative_control: NegativeControl,
    /// Extra numbers (per-n errors, fitted exponents, ...), for `results.json`.
    pub details: serde_json::Value,
    /// Figures for the report; their data are written beside them.
    #[serde(skip)]
    pub figures: Vec<landscape_reports::Figure>,
}

impl Outcome {
    /// Whether the check passed.
    pub fn passed(&self) -> bool {
        self.comparison.passes(self.measurement.value)
    }

    /// Whether the check rejected its negative control.
    pub fn control_rejected(&self) -> bool {
        self.negative_control.rejected
    }
}

/// A failure to run a check at all (as opposed to a failed verdict).
pub type CheckError = String;

/// One registered check.
#[derive(Clone, Copy)]
pub struct Check {
    /// Stable identifier, `group.topic.quantity`.
    pub id: &'static str,
    /// Report section.
    pub group: Group,
    /// The claim, one sentence.
    pub claim: &'static str,
    /// Computes the outcome.
    pub run: fn(&Context) -> Result<Outcome, CheckError>,
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check")
            .field("id", &self.id)
            .field("group", &self.group)
            .finish()
    }
}

/// Every check, in report order.
pub fn registry() -> Vec<Check> {
    let mut checks = theory::checks();
    checks.extend(simulation::checks());
    checks.extend(networks::checks());
    checks.extend(optimizers::checks());
    checks
}

/// Looks a check up by id.
pub fn find(id: &str) -> Option<Check> {
    registry().into_iter().find(|c| c.id == id)
}

/// Runs the check `id` and returns a one-paragraph failure message when it does not pass or does not reject its
/// negative control; for tests.
pub fn assert_passes(id: &str, ctx: &Context) -> Result<Outcome, String> {
    let check = find(id).ok_or_else(|| format!("no check with id {id}"))?;
    let outcome =
        (check.run)(ctx).map_err(|e| format!("{id} could not run (seed {}): {e}", ctx.seed))?;
    if outcome.passed() && outcome.control_rejected() {
        Ok(outcome)
    } else if outcome.passed() {
        let control = &outcome.negative_control;
        Err(format!(
            "{id} passed but did not reject its negative control (seed {}, scale {:?}): wrong prediction: {}; \
             measured {}, required {}; the check has no power against this error",
            ctx.seed,
            ctx.scale,
            control.prediction,
            fmt_num(control.measurement),
            control.comparison.describe()
        ))
    } else {
        Err(format!(
            "{id} failed (seed {}, scale {:?}): claim: {}; measured {} ({}), required {}; tolerance: {}; details: {}",
            ctx.seed,
            ctx.scale,
            check.claim,
            fmt_num(outcome.measurement.value),
            outcome.measurement.method,
            outcome.comparison.describe(),
            outcome.tolerance_reason,
            outcome.details
        ))
    }
}
