//! Figures: serialized data in, SVG out, all in one style ([`crate::style`]).
//!
//! Each kind is a plain serde struct; [`Figure`] is the tagged union the
//! report stores (`{"kind": "density", ...}`). Every figure can
//! - render itself to a standalone SVG string ([`Figure::render_svg`]), whose
//!   text is real `<text>` in the embedded DejaVu Sans (so it survives into the
//!   PDF as selectable text), and
//! - export its data ([`Figure::write_data`]): the whole figure as JSON plus
//!   each data set as CSV and `.npy`.

mod common;
mod density;
mod heatmap;
mod path;
mod scaling;
mod trajectory;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use common::{Curve, Legend, Marker};
pub use density::{DensityFigure, Histogram};
pub use heatmap::{HeatmapFigure, LabelledPoint};
pub use path::PathFigure;
pub use scaling::{PowerLawFit, ScalingFigure};
pub use trajectory::TrajectoryFigure;

use crate::ReportError;
use crate::data::{DataTable, npy_f64, write_atomic, write_tables};

/// Any figure of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Figure {
    /// Spectral density: histogram or SLQ against theory.
    Density(DensityFigure),
    /// Finite-size scaling on log–log axes.
    Scaling(ScalingFigure),
    /// Trajectories with thresholds.
    Trajectory(TrajectoryFigure),
    /// Loss along paths between minima.
    Path(PathFigure),
    /// Two-dimensional slice.
    Heatmap(HeatmapFigure),
}

impl Figure {
    /// The figure's title.
    pub fn title(&self) -> &str {
        match self {
            Self::Density(f) => &f.title,
            Self::Scaling(f) => &f.title,
            Self::Trajectory(f) => &f.title,
            Self::Path(f) => &f.title,
            Self::Heatmap(f) => &f.title,
        }
    }

    /// Checks the data without drawing: lengths agree, there is something
    /// finite to draw, log-axis values are positive.
    pub fn validate(&self) -> Result<(), ReportError> {
        match self {
            Self::Density(f) => f.validate(),
            Self::Scaling(f) => f.validate(),
            Self::Trajectory(f) => f.validate(),
            Self::Path(f) => f.validate(),
            Self::Heatmap(f) => f.validate(),
        }
    }

    /// Renders the figure to a standalone SVG document of
    /// [`crate::style::FIGURE_WIDTH`] × [`crate::style::FIGURE_HEIGHT`] pixels.
    /// Deterministic: the same figure gives the same string.
    pub fn render_svg(&self) -> Result<String, ReportError> {
        crate::font::register_plotters_fonts()?;
        match self {
            Self::Density(f) => f.render(),
            Self::Scaling(f) => f.render(),
            Self::Trajectory(f) => f.render(),
            Self::Path(f) => f.render(),
            Self::Heatmap(f) => f.render(),
        }
    }

    /// The figure's data sets as numeric tables (what [`Figure::write_data`]
    /// writes as CSV and `.npy`).
    pub fn data_tables(&self) -> Vec<DataTable> {
        match self {
            Self::Density(f) => f.data_tables(),
            Self::Scaling(f) => f.data_tables(),
            Self::Trajectory(f) => f.data_tables(),
            Self::Path(f) => f.data_tables(),
            Self::Heatmap(f) => f.data_tables(),
        }
    }

    /// Writes the figure's data into `dir` (created if missing), every file
    /// atomically, and returns the paths written:
    /// - `<stem>.json`: the whole figure (this enum, serde), the complete record;
    /// - `<stem>_<table>.csv` and `<stem>_<table>.npy` for each of
    ///   [`Figure::data_tables`] (`.npy`: `(rows, columns)` float64);
    /// - for a heatmap also `<stem>_z.npy`, the `(y, x)` value matrix.
    pub fn write_data(&self, dir: &Path, stem: &str) -> Result<Vec<PathBuf>, ReportError> {
        std::fs::create_dir_all(dir).map_err(|e| ReportError::io(dir, e))?;
        let json = serde_json::to_string_pretty(self).map_err(|source| ReportError::Json {
            what: format!("figure {:?}", self.title()),
            source,
        })?;
        let json_path = dir.join(format!("{stem}.json"));
        write_atomic(&json_path, json.as_bytes())?;
        let mut written = vec![json_path];
        written.extend(write_tables(dir, stem, &self.data_tables())?);
        if let Self::Heatmap(h) = self {
            h.validate()?;
            let (shape, values) = h.z_matrix();
            let path = dir.join(format!("{stem}_z.npy"));
            write_atomic(&path, &npy_f64(&shape, &values))?;
            written.push(path);
        }
        Ok(written)
    }

    /// Renders the SVG and writes it to `path` atomically.
    pub fn write_svg(&self, path: &Path) -> Result<(), ReportError> {
        let svg = self.render_svg()?;
        write_atomic(path, svg.as_bytes())
    }
}

impl From<DensityFigure> for Figure {
    fn from(f: DensityFigure) -> Self {
        Self::Density(f)
    }
}
impl From<ScalingFigure> for Figure {
    fn from(f: ScalingFigure) -> Self {
        Self::Scaling(f)
    }
}
impl From<TrajectoryFigure> for Figure {
    fn from(f: TrajectoryFigure) -> Self {
        Self::Trajectory(f)
    }
}
impl From<PathFigure> for Figure {
    fn from(f: PathFigure) -> Self {
        Self::Path(f)
    }
}
impl From<HeatmapFigure> for Figure {
    fn from(f: HeatmapFigure) -> Self {
        Self::Heatmap(f)
    }
}

/// Curves in long format: columns `curve` (index), `x`, `y`; the CSV adds the
/// curve's label.
fn curves_table(name: &str, curves: &[Curve]) -> DataTable {
    let (mut idx, mut xs, mut ys, mut labels) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (k, c) in curves.iter().enumerate() {
        for (x, y) in c.x.iter().zip(&c.y) {
            idx.push(k as f64);
            xs.push(*x);
            ys.push(*y);
            labels.push(c.label.clone());
        }
    }
    DataTable {
        name: name.to_string(),
        column_names: vec!["curve".into(), "x".into(), "y".into()],
        columns: vec![idx, xs, ys],
        row_labels: Some(labels),
    }
}

/// Markers: column `value`; the CSV adds the label.
fn markers_table(name: &str, markers: &[Marker]) -> DataTable {
    DataTable {
        name: name.to_string(),
        column_names: vec!["value".into()],
        columns: vec![markers.iter().map(|m| m.value).collect()],
        row_labels: Some(markers.iter().map(|m| m.label.clone()).collect()),
    }
}
