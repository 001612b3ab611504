//! Trajectory figure: quantities along training (sharpness, loss, top
//! eigenvalue) against the step, with horizontal thresholds such as 2/η.

use plotters::coord::combinators::{BindKeyPoints, IntoLogRange};
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::common::{
    Curve, DrawResult, Legend, Marker, Occupancy, Span, chart_builder, check_curve, draw_curve,
    draw_dashed, draw_error, draw_legend, draw_mesh, log_ticks, new_root,
};
use crate::ReportError;
use crate::data::DataTable;
use crate::style;

fn default_step_label() -> String {
    "step".to_string()
}

/// Trajectory figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrajectoryFigure {
    /// Figure title.
    pub title: String,
    /// Label of the time axis; `"step"` when omitted.
    #[serde(default = "default_step_label")]
    pub x_label: String,
    /// Label of the value axis, e.g. `"sharpness λ_max"`.
    pub y_label: String,
    /// The trajectories.
    pub series: Vec<Curve>,
    /// Horizontal thresholds, e.g. `Marker { label: "2/η", value: 2.0 / eta }`.
    #[serde(default)]
    pub hlines: Vec<Marker>,
    /// Logarithmic value axis (values ≤ 0 are then not drawn).
    #[serde(default)]
    pub log_y: bool,
    /// Legend placement.
    #[serde(default)]
    pub legend: Legend,
}

impl TrajectoryFigure {
    pub(crate) fn validate(&self) -> Result<(), ReportError> {
        let what = format!("trajectory figure {:?}, series", self.title);
        if self.series.is_empty() {
            return Err(ReportError::invalid(what, "no series"));
        }
        for s in &self.series {
            check_curve(&what, s)?;
        }
        if self.log_y
            && !self
                .series
                .iter()
                .any(|s| s.y.iter().any(|v| v.is_finite() && *v > 0.0))
        {
            return Err(ReportError::invalid(
                what,
                "log_y is set but no value is positive",
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
        let mut ys = Span::empty();
        for s in &self.series {
            xs.add_all(&s.x, false);
            ys.add_all(&s.y, self.log_y);
        }
        for h in &self.hlines {
            ys.add(h.value, self.log_y);
        }
        let x_box = xs.padded_linear();
        let root = new_root(svg)?;
        if self.log_y {
            let y_box = ys.padded_log();
            let (major, minor) = log_ticks(&y_box);
            let mut chart = chart_builder(&root, &self.title).build_cartesian_2d(
                x_box.clone(),
                y_box
                    .clone()
                    .log_scale()
                    .with_key_points(major)
                    .with_light_points(minor),
            )?;
            draw_mesh(&mut chart, &self.x_label, &self.y_label, true)?;
            self.draw_content(&mut chart, &x_box, &y_box)?;
        } else {
            let y_box = ys.padded_linear();
            let mut chart = chart_builder(&root, &self.title)
                .build_cartesian_2d(x_box.clone(), y_box.clone())?;
            draw_mesh(&mut chart, &self.x_label, &self.y_label, true)?;
            self.draw_content(&mut chart, &x_box, &y_box)?;
        }
        root.present()
    }

    fn draw_content<'a, 'b: 'a, X, Y>(
        &self,
        chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>,
        x_box: &std::ops::Range<f64>,
        y_box: &std::ops::Range<f64>,
    ) -> DrawResult
    where
        X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
        Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    {
        let mut occ = Occupancy::new(x_box, y_box, false, self.log_y);
        for h in &self.hlines {
            occ.label(&h.label);
            occ.hline(h.value);
        }
        for s in &self.series {
            occ.label(&s.label);
            occ.polyline(&s.x, &s.y);
        }
        for (idx, h) in self.hlines.iter().enumerate() {
            if h.value.is_finite() && h.value >= y_box.start && h.value <= y_box.end {
                draw_dashed(
                    chart,
                    (x_box.start, h.value),
                    (x_box.end, h.value),
                    style::marker_color(idx),
                    &h.label,
                )?;
            }
        }
        for (idx, s) in self.series.iter().enumerate() {
            draw_curve(chart, s, style::series_color(idx), x_box, y_box)?;
        }
        draw_legend(chart, self.legend, &occ)
    }

    pub(crate) fn data_tables(&self) -> Vec<DataTable> {
        let mut tables = vec![super::curves_table("series", &self.series)];
        if !self.hlines.is_empty() {
            tables.push(super::markers_table("hlines", &self.hlines));
        }
        tables
    }
}
