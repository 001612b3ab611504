//! Spectral density figure: an empirical histogram (or an SLQ density drawn
//! as a curve) against the theory curve, spectral edges as dashed vertical
//! lines, outlier eigenvalues as points on the baseline.

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::common::{
    Curve, DrawResult, Legend, Marker, Occupancy, Span, chart_builder, check_curve, draw_curve,
    draw_dashed, draw_error, draw_legend, draw_mesh, new_root,
};
use crate::ReportError;
use crate::data::DataTable;
use crate::style;

fn default_density_label() -> String {
    "density".to_string()
}

/// A normalized histogram: bin `i` spans `[edges[i], edges[i+1])` with height
/// `heights[i]` (a density, so that Σ heights·widths = 1 for a full sample).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Bin edges, strictly increasing; one more than `heights`.
    pub edges: Vec<f64>,
    /// Bar heights, finite and non-negative.
    pub heights: Vec<f64>,
}

/// Spectral density figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DensityFigure {
    /// Figure title (also the caption in the PDF).
    pub title: String,
    /// Label of the eigenvalue axis, e.g. `"eigenvalue λ"`.
    pub x_label: String,
    /// Label of the density axis; `"density"` when omitted.
    #[serde(default = "default_density_label")]
    pub y_label: String,
    /// Empirical histogram, drawn as light bars under the curves.
    #[serde(default)]
    pub histogram: Option<Histogram>,
    /// Curves: the theory density first (it gets the first palette colour),
    /// then e.g. an SLQ estimate.
    #[serde(default)]
    pub curves: Vec<Curve>,
    /// Vertical reference lines: spectral edges, BBP thresholds.
    #[serde(default)]
    pub vlines: Vec<Marker>,
    /// Outlier eigenvalues, drawn as points on the baseline; markers that
    /// share a label share one legend entry.
    #[serde(default)]
    pub points: Vec<Marker>,
    /// Upper end of the density axis. Omitted: the largest finite height
    /// (+8 %). Set it when a curve diverges at a hard edge.
    #[serde(default)]
    pub y_max: Option<f64>,
    /// Legend placement.
    #[serde(default)]
    pub legend: Legend,
}

impl DensityFigure {
    pub(crate) fn validate(&self) -> Result<(), ReportError> {
        let what = |field: &str| format!("density figure {:?}, {field}", self.title);
        if let Some(h) = &self.histogram {
            if h.edges.len() != h.heights.len() + 1 {
                return Err(ReportError::invalid(
                    what("histogram"),
                    format!(
                        "{} edges for {} bars (need one more edge than bars)",
                        h.edges.len(),
                        h.heights.len()
                    ),
                ));
            }
            if h.heights.is_empty() {
                return Err(ReportError::invalid(what("histogram"), "no bars"));
            }
            if h.edges.iter().any(|e| !e.is_finite()) || h.edges.windows(2).any(|w| w[1] <= w[0]) {
                return Err(ReportError::invalid(
                    what("histogram"),
                    "edges must be finite and strictly increasing",
                ));
            }
            if h.heights.iter().any(|v| !v.is_finite() || *v < 0.0) {
                return Err(ReportError::invalid(
                    what("histogram"),
                    "heights must be finite and non-negative",
                ));
            }
        }
        for c in &self.curves {
            check_curve(&what("curve"), c)?;
        }
        if self.histogram.is_none() && self.curves.is_empty() {
            return Err(ReportError::invalid(
                what("data"),
                "neither a histogram nor a curve",
            ));
        }
        if let Some(y_max) = self.y_max
            && !(y_max.is_finite() && y_max > 0.0)
        {
            return Err(ReportError::invalid(
                what("y_max"),
                format!("{y_max} is not a positive number"),
            ));
        }
        Ok(())
    }

    fn ranges(&self) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
        let mut xs = Span::empty();
        let mut ys = Span::empty();
        ys.add(0.0, false);
        if let Some(h) = &self.histogram {
            xs.add_all(&h.edges, false);
            ys.add_all(&h.heights, false);
        }
        for c in &self.curves {
            xs.add_all(&c.x, false);
            ys.add_all(&c.y, false);
        }
        for m in self.vlines.iter().chain(&self.points) {
            xs.add(m.value, false);
        }
        let x = xs.padded_linear();
        let y_top = self
            .y_max
            .unwrap_or(if ys.hi > 0.0 { ys.hi * 1.08 } else { 1.0 });
        (x, 0.0..y_top)
    }

    pub(crate) fn render(&self) -> Result<String, ReportError> {
        self.validate()?;
        let mut svg = String::new();
        self.draw(&mut svg).map_err(draw_error(&self.title))?;
        Ok(svg)
    }

    fn draw(&self, svg: &mut String) -> DrawResult {
        let (x_box, y_box) = self.ranges();
        let root = new_root(svg)?;
        let mut chart =
            chart_builder(&root, &self.title).build_cartesian_2d(x_box.clone(), y_box.clone())?;
        draw_mesh(&mut chart, &self.x_label, &self.y_label, true)?;
        let occupancy = self.occupancy(&x_box, &y_box);

        if let Some(h) = &self.histogram {
            let fill = style::HISTOGRAM_FILL.filled();
            let edge = style::HISTOGRAM_EDGE.stroke_width(1);
            let top = y_box.end;
            let bars = h
                .edges
                .windows(2)
                .zip(&h.heights)
                .map(|(e, &v)| Rectangle::new([(e[0], 0.0), (e[1], v.min(top))], fill));
            chart
                .draw_series(bars)?
                .label("empirical")
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 22, y + 6)], fill));
            // Outline each bar once, so that neighbouring bars share an edge.
            let outlines = h
                .edges
                .windows(2)
                .zip(&h.heights)
                .map(|(e, &v)| Rectangle::new([(e[0], 0.0), (e[1], v.min(top))], edge));
            chart.draw_series(outlines)?;
        }

        for (idx, curve) in self.curves.iter().enumerate() {
            draw_curve(&mut chart, curve, style::series_color(idx), &x_box, &y_box)?;
        }

        for (idx, m) in self.vlines.iter().enumerate() {
            if m.value.is_finite() {
                let color = style::marker_color(idx);
                draw_dashed(
                    &mut chart,
                    (m.value, y_box.start),
                    (m.value, y_box.end),
                    color,
                    &m.label,
                )?;
            }
        }

        // Outliers: one legend entry per distinct label, in order of appearance.
        let mut labels: Vec<&str> = Vec::new();
        for m in &self.points {
            if !labels.contains(&m.label.as_str()) {
                labels.push(&m.label);
            }
        }
        let baseline = Self::baseline(&y_box);
        for (idx, label) in labels.iter().enumerate() {
            let color = style::series_color(self.curves.len() + idx + 2);
            let points = self
                .points
                .iter()
                .filter(|m| m.label == *label && m.value.is_finite())
                .map(|m| m.value);
            let series = chart.draw_series(points.map(|x| {
                TriangleMarker::new((x, baseline), style::POINT_RADIUS + 3, color.filled())
            }))?;
            if !label.is_empty() {
                series.label(*label).legend(move |(x, y)| {
                    TriangleMarker::new((x + 11, y), style::POINT_RADIUS + 3, color.filled())
                });
            }
        }

        draw_legend(&mut chart, self.legend, &occupancy)?;
        root.present()
    }

    /// Height of the outlier markers: just above the axis.
    fn baseline(y_box: &std::ops::Range<f64>) -> f64 {
        y_box.start + 0.025 * (y_box.end - y_box.start)
    }

    fn occupancy(&self, x_box: &std::ops::Range<f64>, y_box: &std::ops::Range<f64>) -> Occupancy {
        let mut occ = Occupancy::new(x_box, y_box, false, false);
        if let Some(h) = &self.histogram {
            occ.label("empirical");
            for (e, &v) in h.edges.windows(2).zip(&h.heights) {
                for k in 0..=4 {
                    occ.point(0.5 * (e[0] + e[1]), v.min(y_box.end) * f64::from(k) / 4.0);
                }
            }
        }
        for c in &self.curves {
            occ.label(&c.label);
            occ.polyline(&c.x, &c.y);
        }
        for m in &self.vlines {
            occ.label(&m.label);
            occ.vline(m.value);
        }
        let mut seen: Vec<&str> = Vec::new();
        for m in &self.points {
            if !seen.contains(&m.label.as_str()) {
                seen.push(&m.label);
                occ.label(&m.label);
            }
            occ.point(m.value, Self::baseline(y_box));
        }
        occ
    }

    pub(crate) fn data_tables(&self) -> Vec<DataTable> {
        let mut tables = Vec::new();
        if let Some(h) = &self.histogram {
            tables.push(DataTable {
                name: "histogram".into(),
                column_names: vec!["left".into(), "right".into(), "height".into()],
                columns: vec![
                    h.edges[..h.edges.len().saturating_sub(1)].to_vec(),
                    h.edges.get(1..).unwrap_or_default().to_vec(),
                    h.heights.clone(),
                ],
                row_labels: None,
            });
        }
        if !self.curves.is_empty() {
            tables.push(super::curves_table("curves", &self.curves));
        }
        if !self.vlines.is_empty() {
            tables.push(super::markers_table("vlines", &self.vlines));
        }
        if !self.points.is_empty() {
            tables.push(super::markers_table("points", &self.points));
        }
        tables
    }
}
