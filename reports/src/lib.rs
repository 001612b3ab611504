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
