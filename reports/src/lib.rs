//! Figures and the PDF report of landscape.
//!
//! This crate draws serialized data and knows nothing of theory or
//! simulation: it depends on no other crate of the workspace. Its parts:
//! - [`figure`]: the figure kinds ([`DensityFigure`], [`ScalingFigure`],
//!   [`TrajectoryFigure`], [`PathFigure`], [`HeatmapFigure`], united in
//!   [`Figure`]), each rendering to SVG with plotters and exporting its data;
//! - [`document`]: the report ([`Document`]: title page with metadata, a
//!   summary table of verdicts, one section per group) and
//!   [`render_pdf`], which lays pages out as SVG and converts them with
//!   krilla + krilla-svg into a PDF with embedded, selectable text;
//! - [`data`]: CSV and `.npy` export and [`write_atomic`];
//! - [`style`]: the one visual style; [`font`]: the embedded DejaVu Sans.
//!
//! Determinism: the same [`Document`] gives a byte-identical PDF (no clock is
//! read; the PDF metadata comes only from the document), and the same figure
//! gives the same SVG.
//!
//! ```
//! use landscape_reports::{
//!     Curve, Document, Figure, Legend, PathFigure, Section, Verdict, VerdictRow, render_pdf,
//! };
//!
//! let t: Vec<f64> = (0..=20).map(|k| f64::from(k) / 20.0).collect();
//! let loss = t.iter().map(|t| 4.0 * t * (1.0 - t)).collect();
//! let figure = Figure::Path(PathFigure {
//!     title: "Loss along the linear path".into(),
//!     x_label: "t".into(),
//!     y_label: "loss".into(),
//!     paths: vec![Curve { label: "linear".into(), x: t, y: loss }],
//!     legend: Legend::Auto,
//! });
//! assert!(figure.render_svg()?.contains("Loss along the linear path"));
//!
//! let doc = Document {
//!     title: "Example".into(),
//!     meta: vec![("seed".into(), "7".into())],
//!     summary: vec![VerdictRow {
//!         group: "paths".into(),
//!         check: "barrier".into(),
//!         prediction: "1".into(),
//!         measurement: "1.00".into(),
//!         control: "0.4: rejected".into(),
//!         verdict: Verdict::Pass,
//!     }],
//!     sections: vec![Section {
//!         title: "Paths".into(),
//!         figures: vec![figure],
//!         ..Section::default()
//!     }],
//! };
//! let pdf = render_pdf(&doc)?;
//! assert!(pdf.starts_with(b"%PDF-"));
//! # Ok::<(), landscape_reports::ReportError>(())
//! ```

pub mod data;
pub mod document;
mod error;
pub mod figure;
pub mod font;
mod layout;
pub mod style;

pub use data::{DataTable, write_atomic};
pub use document::{
    Document, Section, Table, Verdict, VerdictRow, render_pages_svg, render_pdf, write_pdf,
};
pub use error::ReportError;
pub use figure::{
    Curve, DensityFigure, Figure, HeatmapFigure, Histogram, LabelledPoint, Legend, Marker,
    PathFigure, PowerLawFit, ScalingFigure, TrajectoryFigure,
};
