//! `landscape optimize`: do curvature-adaptive step sizes beat tuned baselines? Convergence, generalization and
//! robustness over seeds, with 95 % intervals, and the landscape's geometry against width and depth.
//!
//! * [`config`]: the TOML configuration (`examples/optimize.toml`), errors with file:line:col and field.
//! * [`eval`]: tasks and splits, tuning on a validation split from a separate seed, evaluation runs, summaries, the
//!   verdict in words ([`eval::finding`]), the architecture study.
//! * [`stats`]: means with Student-t 95 % intervals (the t quantile computed, checked against mpmath).
//!
//! The update rules are `landscape_empirical::train` (SGD, momentum, Adam) and
//! `landscape_empirical::adaptive` (`c/λ_max`, `c/tr G`, Gauss–Newton diagonal); the metrics are
//! `landscape_empirical::geometry`.

pub mod config;
pub mod eval;
pub mod stability;
pub mod stats;

pub use config::{MethodKind, MethodSpec, OptimizeConfig, OptimizeError, TaskSpec, load, parse};
pub use eval::{OptimizeReport, evaluate};
