//! Heatmap figure: a scalar on a two-dimensional slice (e.g. the loss on the
//! plane through a minimum spanned by two Hessian eigenvectors), viridis, with
//! a colour bar and optional labelled points (minima, saddles).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use super::common::{
    DrawResult, Legend, Occupancy, Span, chart_builder, draw_error, draw_legend, draw_mesh,
    format_tick, new_root,
};
use crate::ReportError;
use crate::data::DataTable;
use crate::font::SVG_FAMILY;
use crate::style;

/// A labelled point in the plane of a heatmap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledPoint {
    /// Legend entry (points sharing a label share one entry).
    pub label: String,
    /// Abscissa.
    pub x: f64,
    /// Ordinate.
    pub y: f64,
}

fn default_z_label() -> String {
    "value".to_string()
}

/// Heatmap of `z[j][i]` at `(x[i], y[j])` on a rectilinear grid. Cells extend
/// half-way to their neighbours, so non-uniform grids are drawn faithfully.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeatmapFigure {
    /// Figure title.
    pub title: String,
    /// Label of the x axis.
    pub x_label: String,
    /// Label of the y axis.
    pub y_label: String,
    /// Label of the colour bar; `"value"` when omitted.
    #[serde(default = "default_z_label")]
    pub z_label: String,
    /// Cell centres along x, strictly increasing.
    pub x: Vec<f64>,
    /// Cell centres along y, strictly increasing.
    pub y: Vec<f64>,
    /// Values, one row per y: `z.len() == y.len()`, `z[j].len() == x.len()`.
    /// Non-finite cells are left blank.
    pub z: Vec<Vec<f64>>,
    /// Points to mark (minima, saddles).
    #[serde(default)]
    pub points: Vec<LabelledPoint>,
    /// Legend placement (for the points).
    #[serde(default)]
    pub legend: Legend,
}

/// Space reserved right of the plot for the colour bar and its labels, px.
const COLORBAR_AREA: u32 = 118;
/// Width of the colour bar, px.
const COLORBAR_WIDTH: i32 = 18;
/// Number of colour steps drawn in the bar.
const COLORBAR_STEPS: i32 = 96;

impl HeatmapFigure {
    pub(crate) fn validate(&self) -> Result<(), ReportError> {
        let what = |field: &str| format!("heatmap {:?}, {field}", self.title);
        for (name, axis) in [("x", &self.x), ("y", &self.y)] {
            if axis.is_empty() {
                return Err(ReportError::invalid(what(name), "no grid points"));
            }
            if axis.iter().any(|v| !v.is_finite()) || axis.windows(2).any(|w| w[1] <= w[0]) {
                return Err(ReportError::invalid(
                    what(name),
                    "grid must be finite and strictly increasing",
                ));
            }
        }
        if self.z.len() != self.y.len() {
            return Err(ReportError::invalid(
                what("z"),
                format!("{} rows for {} y values", self.z.len(), self.y.len()),
            ));
        }
        if let Some((j, row)) = self
            .z
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != self.x.len())
        {
            return Err(ReportError::invalid(
                what("z"),
                format!(
                    "row {j} has {} values for {} x values",
                    row.len(),
                    self.x.len()
                ),
            ));
        }
        if !self.z.iter().flatten().any(|v| v.is_finite()) {
            return Err(ReportError::invalid(what("z"), "no finite value"));
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
        let x_cells = cell_bounds(&self.x);
        let y_cells = cell_bounds(&self.y);
        let x_box = x_cells[0]..x_cells[x_cells.len() - 1];
        let y_box = y_cells[0]..y_cells[y_cells.len() - 1];
        let mut zs = Span::empty();
        for row in &self.z {
            zs.add_all(row, false);
        }
        let (z_lo, z_hi) = if zs.hi > zs.lo {
            (zs.lo, zs.hi)
        } else {
            (zs.lo - 0.5, zs.lo + 0.5)
        };
        let to_unit = |v: f64| (v - z_lo) / (z_hi - z_lo);

        let root = new_root(svg)?;
        let mut chart = chart_builder(&root, &self.title)
            .margin_right(COLORBAR_AREA)
            .build_cartesian_2d(x_box.clone(), y_box.clone())?;
        draw_mesh(&mut chart, &self.x_label, &self.y_label, false)?;

        let cells = self.z.iter().enumerate().flat_map(|(j, row)| {
            let (y0, y1) = (y_cells[j], y_cells[j + 1]);
            let x_cells = &x_cells;
            row.iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(move |(i, &v)| {
                    Rectangle::new(
                        [(x_cells[i], y0), (x_cells[i + 1], y1)],
                        style::viridis(to_unit(v)).filled(),
                    )
                })
        });
        chart.draw_series(cells)?;

        let mut labels: Vec<&str> = Vec::new();
        for p in &self.points {
            if !labels.contains(&p.label.as_str()) {
                labels.push(&p.label);
            }
        }
        let mut occ = Occupancy::new(&x_box, &y_box, false, false);
        for p in &self.points {
            occ.point(p.x, p.y);
        }
        for (idx, label) in labels.iter().enumerate() {
            // White-edged markers stay visible on every viridis colour.
            let color = style::series_color(idx);
            let pts: Vec<(f64, f64)> = self
                .points
                .iter()
                .filter(|p| p.label == *label && p.x.is_finite() && p.y.is_finite())
                .map(|p| (p.x, p.y))
                .collect();
            let series = chart.draw_series(pts.into_iter().map(|p| {
                EmptyElement::at(p)
                    + Circle::new((0, 0), style::POINT_RADIUS + 3, WHITE.filled())
                    + Circle::new((0, 0), style::POINT_RADIUS + 1, color.filled())
            }))?;
            if !label.is_empty() {
                series.label(*label).legend(move |(x, y)| {
                    EmptyElement::at((x + 11, y))
                        + Circle::new((0, 0), style::POINT_RADIUS + 3, WHITE.filled())
                        + Circle::new((0, 0), style::POINT_RADIUS + 1, color.filled())
                });
                occ.label(label);
            }
        }
        draw_legend(&mut chart, self.legend, &occ)?;

        // Colour bar, in pixel coordinates of the whole figure, spanning the
        // plot's height.
        let (px, py) = chart.plotting_area().get_pixel_range();
        let bar_x0 = px.end + 24;
        let (top, bottom) = (py.start, py.end);
        let height = f64::from(bottom - top);
        for k in 0..COLORBAR_STEPS {
            let t0 = f64::from(k) / f64::from(COLORBAR_STEPS);
            let t1 = f64::from(k + 1) / f64::from(COLORBAR_STEPS);
            // Pixel rows are whole numbers; the rounding is at most half a pixel.
            #[allow(clippy::cast_possible_truncation)]
            let (y_a, y_b) = (
                bottom - (t1 * height).round() as i32,
                bottom - (t0 * height).round() as i32,
            );
            root.draw(&Rectangle::new(
                [(bar_x0, y_a), (bar_x0 + COLORBAR_WIDTH, y_b)],
                style::viridis(0.5 * (t0 + t1)).filled(),
            ))?;
        }
        root.draw(&Rectangle::new(
            [(bar_x0, top), (bar_x0 + COLORBAR_WIDTH, bottom)],
            style::INK.stroke_width(1),
        ))?;
        let tick_font = (SVG_FAMILY, style::TICK_LABEL_SIZE)
            .into_font()
            .color(&style::INK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        for tick in nice_ticks(z_lo, z_hi, 6) {
            #[allow(clippy::cast_possible_truncation)]
            let y = bottom - (to_unit(tick) * height).round() as i32;
            root.draw(&PathElement::new(
                vec![
                    (bar_x0 + COLORBAR_WIDTH, y),
                    (bar_x0 + COLORBAR_WIDTH + 5, y),
                ],
                style::INK.stroke_width(1),
            ))?;
            root.draw(&Text::new(
                format_tick(tick),
                (bar_x0 + COLORBAR_WIDTH + 8, y),
                tick_font.clone(),
            ))?;
        }
        let label_font = (SVG_FAMILY, style::AXIS_LABEL_SIZE)
            .into_font()
            .color(&style::INK)
            .transform(FontTransform::Rotate90)
            .pos(Pos::new(HPos::Center, VPos::Top));
        root.draw(&Text::new(
            self.z_label.clone(),
            (
                px.end + i32::try_from(COLORBAR_AREA).unwrap_or(118) - 8,
                (top + bottom) / 2,
            ),
            label_font,
        ))?;
        root.present()
    }

    pub(crate) fn data_tables(&self) -> Vec<DataTable> {
        let n = self.x.len() * self.y.len();
        let (mut xs, mut ys, mut zs) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (j, row) in self.z.iter().enumerate() {
            for (i, &v) in row.iter().enumerate() {
                xs.push(self.x.get(i).copied().unwrap_or(f64::NAN));
                ys.push(self.y.get(j).copied().unwrap_or(f64::NAN));
                zs.push(v);
            }
        }
        let mut tables = vec![DataTable {
            name: "grid".into(),
            column_names: vec!["x".into(), "y".into(), "z".into()],
            columns: vec![xs, ys, zs],
            row_labels: None,
        }];
        if !self.points.is_empty() {
            tables.push(DataTable {
                name: "points".into(),
                column_names: vec!["x".into(), "y".into()],
                columns: vec![
                    self.points.iter().map(|p| p.x).collect(),
                    self.points.iter().map(|p| p.y).collect(),
                ],
                row_labels: Some(self.points.iter().map(|p| p.label.clone()).collect()),
            });
        }
        tables
    }

    /// `z` as a C-order `(y.len(), x.len())` array, for the 2-D `.npy` export.
    pub(crate) fn z_matrix(&self) -> (Vec<usize>, Vec<f64>) {
        (
            vec![self.y.len(), self.x.len()],
            self.z.iter().flatten().copied().collect(),
        )
    }
}

/// Cell boundaries for cell centres `c`: midpoints between neighbours, and
/// half a spacing beyond each end (±0.5 for a single centre).
fn cell_bounds(c: &[f64]) -> Vec<f64> {
    if c.len() == 1 {
        return vec![c[0] - 0.5, c[0] + 0.5];
    }
    let mut b = Vec::with_capacity(c.len() + 1);
    b.push(c[0] - 0.5 * (c[1] - c[0]));
    for w in c.windows(2) {
        b.push(0.5 * (w[0] + w[1]));
    }
    let k = c.len();
    b.push(c[k - 1] + 0.5 * (c[k - 1] - c[k - 2]));
    b
}

/// Round tick values (1, 2, 2.5 or 5 × 10^k steps) inside `[lo, hi]`, about
/// `target` of them.
pub(crate) fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite() && hi > lo) || target == 0 {
        return vec![lo];
    }
    let raw = (hi - lo) / target as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil();
    let mut ticks = Vec::new();
    let mut k = 0.0;
    while (first + k) * step <= hi * (1.0 + 1e-12) + 1e-300 && ticks.len() < 4 * target + 2 {
        let v = (first + k) * step;
        // Snap values like 0.30000000000000004 and -0.0.
        ticks.push(if v.abs() < 1e-9 * step { 0.0 } else { v });
        k += 1.0;
    }
    ticks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_extend_half_way_to_neighbours() {
        assert_eq!(cell_bounds(&[0.0, 1.0, 3.0]), vec![-0.5, 0.5, 2.0, 4.0]);
        assert_eq!(cell_bounds(&[2.0]), vec![1.5, 2.5]);
    }

    #[test]
    fn nice_ticks_are_round_and_inside() {
        let t = nice_ticks(0.13, 0.97, 5);
        assert_eq!(t, vec![0.2, 0.4, 0.6000000000000001, 0.8]);
        let t = nice_ticks(-1.0, 1.0, 4);
        assert_eq!(t, vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
    }
}
