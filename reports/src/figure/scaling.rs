//! Finite-size scaling figure: a measured error against the size n on
//! log–log axes, with error bars, the fitted power law and its slope, and
//! optionally the predicted slope for comparison.

use plotters::coord::combinators::{BindKeyPoints, IntoLogRange};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::common::{
    DrawResult, Legend, Occupancy, Span, chart_builder, clip_polyline, draw_error, draw_legend,
    draw_mesh, log_ticks, new_root,
};
use crate::ReportError;
use crate::data::DataTable;
use crate::style;

fn default_n_label() -> String {
    "n".to_string()
}

fn default_error_label() -> String {
    "error".to_string()
}

/// A fitted power law `error ≈ exp(intercept) · n^slope`, i.e. the least-squares
/// line `ln(error) = intercept + slope · ln(n)` in natural logarithms, with the
/// standard error of the slope.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PowerLawFit {
    /// Intercept of the line in (ln n, ln error) coordinates.
    pub intercept: f64,
    /// Fitted exponent.
    pub slope: f64,
    /// Standard error of the fitted exponent.
    pub slope_se: f64,
}

/// Finite-size scaling figure, drawn on log–log axes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingFigure {
    /// Figure title.
    pub title: String,
    /// Label of the size axis; `"n"` when omitted.
    #[serde(default = "default_n_label")]
    pub x_label: String,
    /// Label of the error axis; `"error"` when omitted.
    #[serde(default = "default_error_label")]
    pub y_label: String,
    /// Sizes, positive.
    pub n: Vec<f64>,
    /// Measured errors, positive; same length as `n`.
    pub error: Vec<f64>,
    /// Half-widths of the error bars (e.g. one standard error); same length.
    #[serde(default)]
    pub error_bar: Option<Vec<f64>>,
    /// The fitted power law, drawn as a line with its slope in the legend.
    #[serde(default)]
    pub fit: Option<PowerLawFit>,
    /// The predicted exponent, drawn dashed through the geometric centre of
    /// the data for comparison with the fit.
    #[serde(default)]
    pub predicted_slope: Option<f64>,
    /// Draw the line `y = x` dashed instead of the predicted slope (for predicted-against-observed figures, where
    /// agreement is the identity, not a slope through the data).
    #[serde(default)]
    pub identity: bool,
    /// Legend placement.
    #[serde(default)]
    pub legend: Legend,
}

impl ScalingFigure {
    pub(crate) fn validate(&self) -> Result<(), ReportError> {
        let what = |field: &str| format!("scaling figure {:?}, {field}", self.title);
        if self.n.len() != self.error.len() {
            return Err(ReportError::invalid(
                what("error"),
                format!("{} sizes but {} errors", self.n.len(), self.error.len()),
            ));
        }
        if self.n.is_empty() {
            return Err(ReportError::invalid(what("n"), "no data points"));
        }
        for (field, values) in [("n", &self.n), ("error", &self.error)] {
            if let Some(bad) = values.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
                return Err(ReportError::invalid(
                    what(field),
                    format!(
                        "{bad} cannot be drawn on a logarithmic axis (values must be positive)"
                    ),
                ));
            }
        }
        if let Some(bars) = &self.error_bar {
            if bars.len() != self.n.len() {
                return Err(ReportError::invalid(
                    what("error_bar"),
                    format!("{} bars for {} points", bars.len(), self.n.len()),
                ));
            }
            if bars.iter().any(|b| !b.is_finite() || *b < 0.0) {
                return Err(ReportError::invalid(
                    what("error_bar"),
                    "half-widths must be finite and non-negative",
                ));
            }
        }
        if let Some(fit) = self.fit
            && !(fit.intercept.is_finite() && fit.slope.is_finite())
        {
            return Err(ReportError::invalid(
                what("fit"),
                "intercept and slope must be finite",
            ));
        }
        Ok(())
    }

    pub(crate) fn render(&self) -> Result<String, ReportError> {
        self.validate()?;
        let mut svg = String::new();
        self.draw(&mut svg).map_err(draw_error(&self.title))?;
        Ok(svg)
    }

    fn draw(&self, svg: &mut String) -> DrawResult {
        let mut xs = Span::empty();
        xs.add_all(&self.n, true);
        let mut ys = Span::empty();
        ys.add_all(&self.error, true);
        if let Some(bars) = &self.error_bar {
            for (e, b) in self.error.iter().zip(bars) {
                ys.add(e + b, true);
                ys.add(e - b, true);
            }
        }
        let x_box = xs.padded_log();
        let y_box = ys.padded_log();

        let root = new_root(svg)?;
        let (x_major, x_minor) = log_ticks(&x_box);
        let (y_major, y_minor) = log_ticks(&y_box);
        let mut chart = chart_builder(&root, &self.title).build_cartesian_2d(
            x_box
                .clone()
                .log_scale()
                .with_key_points(x_major)
                .with_light_points(x_minor),
            y_box
                .clone()
                .log_scale()
                .with_key_points(y_major)
                .with_light_points(y_minor),
        )?;
        let mut occ = Occupancy::new(&x_box, &y_box, true, true);
        occ.label("measured");
        draw_mesh(&mut chart, &self.x_label, &self.y_label, true)?;

        let data_color = style::series_color(1);
        if let Some(bars) = &self.error_bar {
            let bar_style = data_color.stroke_width(1);
            let cap = 5;
            for ((&n, &e), &b) in self.n.iter().zip(&self.error).zip(bars) {
                // The lower end of a bar that reaches zero is cut at the axis.
                let lo = (e - b).max(y_box.start);
                let hi = (e + b).min(y_box.end);
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(n, lo), (n, hi)],
                    bar_style,
                )))?;
                chart.draw_series(
                    [lo, hi]
                        .into_iter()
                        .filter(|v| *v > y_box.start && *v < y_box.end)
                        .map(|v| {
                            EmptyElement::at((n, v))
                                + PathElement::new(vec![(-cap, 0), (cap, 0)], bar_style)
                        }),
                )?;
            }
        }
        chart
            .draw_series(
                self.n
                    .iter()
                    .zip(&self.error)
                    .map(|(&n, &e)| Circle::new((n, e), style::POINT_RADIUS, data_color.filled())),
            )?
            .label("measured")
            .legend(move |(x, y)| {
                Circle::new((x + 11, y), style::POINT_RADIUS, data_color.filled())
            });

        let line_through = |intercept: f64, slope: f64| {
            let samples = 64;
            let (l0, l1) = (x_box.start.ln(), x_box.end.ln());
            (0..=samples).map(move |k| {
                let ln_n = l0 + (l1 - l0) * f64::from(k) / f64::from(samples);
                (ln_n.exp(), (intercept + slope * ln_n).exp())
            })
        };

        for (&n, &e) in self.n.iter().zip(&self.error) {
            occ.point(n, e);
        }

        if let Some(fit) = self.fit {
            let color = style::series_color(0);
            let line = color.stroke_width(style::CURVE_WIDTH);
            let label = format!(
                "fit: slope {} ± {}",
                fmt_slope(fit.slope),
                fmt_slope(fit.slope_se)
            );
            let mut first = true;
            for run in clip_polyline(line_through(fit.intercept, fit.slope), &x_box, &y_box) {
                let series = chart.draw_series(LineSeries::new(run, line))?;
                if first {
                    series
                        .label(label.as_str())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], line));
                    first = false;
                }
            }
        }

        let dashed = if self.identity {
            Some((0.0, 1.0, "y = x".to_string()))
        } else {
            self.predicted_slope.filter(|s| s.is_finite()).map(|slope| {
                // Through the geometric centre of the data.
                let k = self.n.len() as f64;
                let mean_ln_n = self.n.iter().map(|v| v.ln()).sum::<f64>() / k;
                let mean_ln_e = self.error.iter().map(|v| v.ln()).sum::<f64>() / k;
                (
                    mean_ln_e - slope * mean_ln_n,
                    slope,
                    format!("predicted slope {}", fmt_slope(slope)),
                )
            })
        };
        if let Some((intercept, slope, label)) = dashed {
            let color = style::marker_color(0);
            let line = color.stroke_width(style::MARKER_LINE_WIDTH);
            let (dash, gap) = style::DASH;
            occ.label(&label);
            let runs = clip_polyline(line_through(intercept, slope), &x_box, &y_box);
            for run in &runs {
                let (xs, ys): (Vec<f64>, Vec<f64>) = run.iter().copied().unzip();
                occ.polyline(&xs, &ys);
            }
            let mut first = true;
            for run in runs {
                let series = chart.draw_series(DashedLineSeries::new(run, dash, gap, line))?;
                if first {
                    series.label(label.as_str()).legend(move |(x, y)| {
                        DashedPathElement::new(vec![(x, y), (x + 22, y)], 6, 3, line)
                    });
                    first = false;
                }
            }
        }

        draw_legend(&mut chart, self.legend, &occ)?;
        root.present()
    }

    pub(crate) fn data_tables(&self) -> Vec<DataTable> {
        let mut column_names = vec!["n".to_string(), "error".to_string()];
        let mut columns = vec![self.n.clone(), self.error.clone()];
        if let Some(bars) = &self.error_bar {
            column_names.push("error_bar".into());
            columns.push(bars.clone());
        }
        let mut tables = vec![DataTable {
            name: "points".into(),
            column_names,
            columns,
            row_labels: None,
        }];
        if let Some(fit) = self.fit {
            tables.push(DataTable {
                name: "fit".into(),
                column_names: vec!["intercept".into(), "slope".into(), "slope_se".into()],
                columns: vec![vec![fit.intercept], vec![fit.slope], vec![fit.slope_se]],
                row_labels: None,
            });
        }
        tables
    }
}

/// A slope to three decimals, with a true minus sign.
fn fmt_slope(v: f64) -> String {
    let text = format!("{v:.3}");
    match text.strip_prefix('-') {
        Some(rest) => format!("−{rest}"),
        None => text,
    }
}
