//! A conjecture's result as report material: its figure, its section and its row of the verdict table, shared by
//! `landscape conjecture check --out` and the report's `conjectures` group.

use landscape_reports::{
    Curve, Figure, Legend, Marker, Section, Table, TrajectoryFigure, VerdictRow,
};

use super::{ConjectureResult, Test, Verdict};

/// The points of the fitted curve `b + c·n^(−a)` drawn between the smallest and the largest size.
const FIT_POINTS: usize = 50;

/// The report's verdict word for a conjecture's verdict: supported → PASS, refuted → FAIL.
pub fn report_verdict(v: Option<Verdict>) -> landscape_reports::Verdict {
    match v {
        Some(Verdict::Supported) => landscape_reports::Verdict::Pass,
        Some(Verdict::Refuted) => landscape_reports::Verdict::Fail,
        Some(Verdict::Inconclusive) => landscape_reports::Verdict::Inconclusive,
        None => landscape_reports::Verdict::Skipped,
    }
}

/// The figure of a result: for `limit`, the deviation against n with the fit and the tolerance band, one series
/// per grid point (at most four); otherwise the estimate with its interval against the prediction, point by point.
/// `None` when no point was measured (an invalid density refutes without sampling).
pub fn figure(result: &ConjectureResult) -> Option<Figure> {
    let title = shorten(&result.claim, 90);
    if result.test == Test::Limit {
        let mut series = Vec::new();
        for (k, p) in result
            .points
            .iter()
            .filter(|p| p.fit.is_some())
            .take(4)
            .enumerate()
        {
            let fit = p.fit.as_ref()?;
            let grid: Vec<String> = p.grid.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let label = if grid.is_empty() {
                String::new()
            } else {
                format!(" ({})", grid.join(", "))
            };
            let n: Vec<f64> = fit.sizes.iter().map(|s| s.n).collect();
            series.push(Curve {
                label: format!("measured − predicted ± 2 se{label}"),
                x: n.clone(),
                y: fit.sizes.iter().map(|s| s.mean).collect(),
            });
            for sign in [-2.0, 2.0] {
                series.push(Curve {
                    label: String::new(),
                    x: n.clone(),
                    y: fit.sizes.iter().map(|s| s.mean + sign * s.stderr).collect(),
                });
            }
            let (lo, hi) = (
                n.iter().copied().fold(f64::INFINITY, f64::min),
                n.iter().copied().fold(0.0, f64::max),
            );
            let xs: Vec<f64> = (0..FIT_POINTS)
                .map(|i| lo * (hi / lo).powf(i as f64 / (FIT_POINTS - 1) as f64))
                .collect();
            series.push(Curve {
                label: if k == 0 {
                    "fit b + c·n^(−a)".into()
                } else {
                    String::new()
                },
                y: xs
                    .iter()
                    .map(|x| fit.limit + fit.coefficient * x.powf(-fit.exponent))
                    .collect(),
                x: xs,
            });
        }
        if series.is_empty() {
            return None;
        }
        return Some(Figure::Trajectory(TrajectoryFigure {
            title,
            x_label: "n".into(),
            y_label: format!("{} − prediction", result.statistic),
            series,
            hlines: vec![
                Marker {
                    label: "± tolerance".into(),
                    value: result.tolerance,
                },
                Marker {
                    label: "± tolerance".into(),
                    value: -result.tolerance,
                },
            ],
            log_y: false,
            legend: Legend::Auto,
        }));
    }
    let measured: Vec<_> = result
        .points
        .iter()
        .filter(|p| p.estimate.is_finite())
        .collect();
    if measured.is_empty() {
        return None;
    }
    let x: Vec<f64> = (1..=measured.len()).map(|i| i as f64).collect();
    let bounds = matches!(result.test, Test::AtMost | Test::AtLeast);
    let mut series = vec![
        Curve {
            label: if bounds {
                "violation rate".into()
            } else {
                "measured (mean)".into()
            },
            x: x.clone(),
            y: measured.iter().map(|p| p.estimate).collect(),
        },
        Curve {
            label: "interval".into(),
            x: x.clone(),
            y: measured.iter().map(|p| p.interval[0]).collect(),
        },
        Curve {
            label: String::new(),
            x: x.clone(),
            y: measured.iter().map(|p| p.interval[1]).collect(),
        },
    ];
    let mut hlines = Vec::new();
    if bounds {
        hlines.push(Marker {
            label: "α".into(),
            value: result.alpha,
        });
    } else {
        series.push(Curve {
            label: "prediction".into(),
            x,
            y: measured.iter().map(|p| p.prediction).collect(),
        });
    }
    Some(Figure::Trajectory(TrajectoryFigure {
        title,
        x_label: "grid point (see the table)".into(),
        y_label: result.statistic.clone(),
        series,
        hlines,
        log_y: false,
        legend: Legend::Auto,
    }))
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

/// The row of the report's verdict table.
pub fn verdict_row(name: &str, result: &ConjectureResult) -> VerdictRow {
    let first = result.points.iter().find(|p| p.estimate.is_finite());
    // The conjecture's counterpart of a check's negative control: the smallest deviation beyond the tolerance
    // this run refutes with probability 0.8 (the largest over the points, the hardest one to detect).
    let detectable = result
        .points
        .iter()
        .filter_map(|p| p.detectable)
        .fold(None, |m: Option<f64>, d| Some(m.map_or(d, |m| m.max(d))));
    VerdictRow {
        group: "conjectures".into(),
        check: name.into(),
        prediction: first.map_or_else(
            || "—".into(),
            |p| {
                format!(
                    "{:.4} ({} ±{})",
                    p.prediction,
                    test_name(result.test),
                    result.tolerance
                )
            },
        ),
        measurement: first.map_or_else(
            || "density invalid".into(),
            |p| {
                format!(
                    "{:.4} [{:.4}, {:.4}]",
                    p.estimate, p.interval[0], p.interval[1]
                )
            },
        ),
        control: detectable.map_or_else(|| "—".into(), |d| format!("detects {d:.3} (power 0.8)")),
        verdict: report_verdict(result.verdict),
    }
}

fn test_name(t: Test) -> &'static str {
    match t {
        Test::Equal => "equal",
        Test::AtMost => "at_most",
        Test::AtLeast => "at_least",
        Test::Limit => "limit",
    }
}

/// The report section of one result: the claim, the verdict with its reason, the table of points, the figure.
pub fn section(name: &str, result: &ConjectureResult) -> Section {
    let verdict = result.verdict.map_or("incomplete", Verdict::name);
    let mut paragraphs = vec![format!("Claim: {}", result.claim)];
    if let Some(s) = &result.source {
        paragraphs.push(format!("Source: {s}"));
    }
    paragraphs.push(format!(
        "Verdict: {verdict}{}. {}",
        result
            .expect
            .map_or(String::new(), |e| format!(" (expected {})", e.name())),
        result.reason
    ));
    let rows = result
        .points
        .iter()
        .map(|p| {
            let grid: Vec<String> = p.grid.iter().map(|(k, v)| format!("{k}={v}")).collect();
            vec![
                grid.join(", "),
                p.verdict.name().to_string(),
                format!("{:.4} ± {:.4}", p.estimate, p.stderr),
                format!("{:.4}", p.prediction),
                format!("{:.2e}", p.p_value),
                p.detectable.map_or("—".into(), |d| format!("{d:.4}")),
                p.seeds_needed.map_or("—".into(), |s| s.to_string()),
            ]
        })
        .collect();
    Section {
        title: format!("Conjecture: {name}"),
        paragraphs,
        tables: vec![Table {
            caption: format!(
                "{} at each point; detectable: the smallest deviation refuted with power 0.8",
                result.statistic
            ),
            header: [
                "grid",
                "verdict",
                "estimate ± se",
                "prediction",
                "p",
                "detectable",
                "seeds needed",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        }],
        figures: figure(result).into_iter().collect(),
    }
}
