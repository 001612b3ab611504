//! The report document and its PDF rendering.
//!
//! Layout: a title page (title, metadata such as version, commit, seeds,
//! machine and date, then the summary table of verdicts, which flows onto
//! further pages if long), then one section per check group starting on a
//! new page (heading, paragraphs, tables, figures). Every page carries a
//! footer with the document title and "Page i of N"; the PDF has bookmarks for
//! the summary and each section.
//!
//! Pages are composed as SVG (see [`render_pages_svg`]), parsed by usvg with
//! the embedded DejaVu Sans only, and drawn into the PDF by krilla-svg with
//! text embedded as real text: the PDF's text is selectable and extractable
//! (e.g. by `pdftotext`). krilla writes deterministic output (its document id
//! is a hash of the content), no clock is read, and the PDF metadata is set
//! explicitly from the [`Document`], so equal documents give byte-identical
//! PDFs.

use std::path::Path;

use krilla::destination::XyzDestination;
use krilla::geom::{Point, Size};
use krilla::metadata::{DateTime, Metadata};
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::{Document as PdfDocument, SerializeSettings};
use krilla_svg::{SurfaceExt, SvgSettings};
use serde::{Deserialize, Serialize};

use crate::figure::Figure;
use crate::layout::{Align, Flow, TextStyle};
use crate::style::{self, page as pg};
use crate::{ReportError, write_atomic};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The measurement agrees with the prediction within the tolerance.
    Pass,
    /// It does not.
    Fail,
    /// The check ran but cannot decide (e.g. too few samples).
    Inconclusive,
    /// The check did not run (e.g. a feature is off).
    Skipped,
}

impl Verdict {
    /// The word printed in the summary table.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Fail => "FAIL",
            Self::Inconclusive => "INCONCLUSIVE",
            Self::Skipped => "SKIPPED",
        }
    }

    fn color(self) -> &'static str {
        match self {
            Self::Pass => pg::PASS,
            Self::Fail => pg::FAIL,
            Self::Inconclusive => pg::INCONCLUSIVE,
            Self::Skipped => pg::SKIPPED,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of the summary table. The numbers are preformatted text, so the
/// caller decides precision and units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictRow {
    /// Check group, e.g. `"spectra"`.
    pub group: String,
    /// Check name, e.g. `"mp_bulk_ks"`.
    pub check: String,
    /// The predicted value, e.g. `"λ₊ = 2.914"`.
    pub prediction: String,
    /// The measured value, e.g. `"2.907 ± 0.004"`.
    pub measurement: String,
    /// The negative control: what a nearby wrong prediction gave and whether the check rejected it, e.g.
    /// `"0.041: rejected"`. Kept short: the table has one line per check, and the tolerance reasons belong in the
    /// sections.
    pub control: String,
    /// The outcome.
    pub verdict: Verdict,
}

/// A table of text.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Table {
    /// Caption printed above the table (may be empty).
    #[serde(default)]
    pub caption: String,
    /// Column headings.
    pub header: Vec<String>,
    /// Rows of cells; a short row leaves its last cells empty.
    pub rows: Vec<Vec<String>>,
}

/// One section of the report (one check group).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Paragraphs of text, printed first.
    #[serde(default)]
    pub paragraphs: Vec<String>,
    /// Tables, printed after the paragraphs.
    #[serde(default)]
    pub tables: Vec<Table>,
    /// Figures, printed last, one per row at the text width.
    #[serde(default)]
    pub figures: Vec<Figure>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Document {
    /// Title (title page, PDF metadata, page footers).
    pub title: String,
    /// Key–value lines of the title page, in order: version, commit, seeds,
    /// machine, date, … A key `date` (case-insensitive) whose value starts
    /// with `YYYY-MM-DD` also becomes the PDF creation date; without it the
    /// PDF carries no date at all.
    #[serde(default)]
    pub meta: Vec<(String, String)>,
    /// The summary table of verdicts, on the title page.
    #[serde(default)]
    pub summary: Vec<VerdictRow>,
    /// The sections, each starting on a new page.
    #[serde(default)]
    pub sections: Vec<Section>,
}

/// Lays the document out and returns each page as a standalone SVG document
/// (A4, in points), exactly what [`render_pdf`] converts. Figures are rendered
/// and embedded as nested `<svg>` elements.
pub fn render_pages_svg(doc: &Document) -> Result<Vec<String>, ReportError> {
    Ok(layout(doc)?.0)
}

/// The document as PDF bytes. Deterministic: the same document gives the same
/// bytes.
pub fn render_pdf(doc: &Document) -> Result<Vec<u8>, ReportError> {
    let (pages, anchors) = layout(doc)?;
    let opts = crate::font::usvg_options();
    let settings = SerializeSettings {
        enable_tagging: false,
        ..SerializeSettings::default()
    };
    let mut pdf = PdfDocument::new_with(settings);
    let size = Size::from_wh(pg::WIDTH, pg::HEIGHT)
        .ok_or_else(|| ReportError::Pdf("invalid page size".into()))?;
    for (idx, svg) in pages.iter().enumerate() {
        let tree = usvg::Tree::from_str(svg, &opts)
            .map_err(|e| ReportError::Svg(format!("page {}: {e}", idx + 1)))?;
        let mut page = pdf.start_page_with(PageSettings::new(size));
        let mut surface = page.surface();
        let drawn = surface.draw_svg(
            &tree,
            size,
            SvgSettings {
                embed_text: true,
                ..SvgSettings::default()
            },
        );
        surface.finish();
        page.finish();
        if drawn.is_none() {
            return Err(ReportError::Pdf(format!(
                "page {} could not be drawn",
                idx + 1
            )));
        }
    }
    let mut outline = Outline::new();
    for (name, page_idx, y) in anchors {
        outline.push_child(OutlineNode::new(
            name,
            XyzDestination::new(page_idx, Point::from_xy(0.0, y)),
        ));
    }
    pdf.set_outline(outline);
    pdf.set_metadata(metadata(doc));
    pdf.finish().map_err(|e| ReportError::Pdf(format!("{e:?}")))
}

/// Renders the PDF and writes it to `path` atomically (temporary file in the
/// same directory, fsync, rename): an interrupted run never leaves a partial
/// PDF in place of a good one.
pub fn write_pdf(doc: &Document, path: &Path) -> Result<(), ReportError> {
    let bytes = render_pdf(doc)?;
    write_atomic(path, &bytes)
}

fn metadata(doc: &Document) -> Metadata {
    let mut m = Metadata::new()
        .title(doc.title.clone())
        .creator(format!("landscape-reports {}", env!("CARGO_PKG_VERSION")))
        .producer("krilla".to_string())
        .language("en".to_string());
    if let Some(date) = doc
        .meta
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("date"))
        .and_then(|(_, v)| parse_date(v))
    {
        m = m.creation_date(date);
    }
    m
}

/// `YYYY-MM-DD` at the start of `text` as a krilla date, if valid.
fn parse_date(text: &str) -> Option<DateTime> {
    let head = text.get(..10)?;
    let mut parts = head.split('-');
    let year: u16 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || head.as_bytes()[4] != b'-' {
        return None;
    }
    Some(DateTime::new(year).month(month).day(day))
}

type Anchors = Vec<(String, usize, f32)>;

fn layout(doc: &Document) -> Result<(Vec<String>, Anchors), ReportError> {
    // Render all figures first: a bad figure fails the whole document with
    // its own message, before any layout work.
    let figures: Vec<Vec<String>> = doc
        .sections
        .iter()
        .map(|s| {
            s.figures
                .iter()
                .map(Figure::render_svg)
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<_, _>>()?;

    let mut flow = Flow::new();
    title_page(&mut flow, doc);
    for (k, (section, svgs)) in doc.sections.iter().zip(&figures).enumerate() {
        flow.new_page();
        let heading = format!("{}. {}", k + 1, section.title);
        flow.anchor(&heading);
        let style = TextStyle {
            size: pg::HEADING_SIZE,
            bold: true,
            color: pg::INK,
        };
        flow.paragraph(&heading, style);
        flow.gap(2.0);
        flow.hline(
            pg::MARGIN_X,
            pg::MARGIN_X + pg::TEXT_WIDTH,
            flow.y,
            0.6,
            pg::RULE,
        );
        flow.gap(pg::BLOCK_GAP);
        for p in &section.paragraphs {
            flow.paragraph(p, TextStyle::body());
            flow.gap(0.6 * pg::BLOCK_GAP);
        }
        for table in &section.tables {
            flow.gap(0.4 * pg::BLOCK_GAP);
            if !table.caption.is_empty() {
                let caption = TextStyle {
                    size: pg::BODY_SIZE,
                    bold: true,
                    color: pg::INK,
                };
                // Keep the caption with the table's first rows.
                flow.ensure(caption.line_height() + 40.0);
                flow.paragraph(&table.caption, caption);
                flow.gap(2.0);
            }
            flow.table(&table.header, &table.rows, &|_, _| TextStyle {
                size: pg::TABLE_SIZE,
                bold: false,
                color: pg::INK,
            });
            flow.gap(pg::BLOCK_GAP);
        }
        for svg in svgs {
            flow.gap(0.4 * pg::BLOCK_GAP);
            flow.figure(svg, style::FIGURE_WIDTH as f32, style::FIGURE_HEIGHT as f32);
            flow.gap(pg::BLOCK_GAP);
        }
    }
    let anchors = std::mem::take(&mut flow.anchors);
    Ok((flow.finish(&doc.title), anchors))
}

fn title_page(flow: &mut Flow, doc: &Document) {
    flow.gap(70.0);
    let title = TextStyle {
        size: pg::TITLE_SIZE,
        bold: true,
        color: pg::INK,
    };
    flow.paragraph(&doc.title, title);
    flow.gap(6.0);
    flow.hline(
        pg::MARGIN_X,
        pg::MARGIN_X + pg::TEXT_WIDTH,
        flow.y,
        1.2,
        pg::INK,
    );
    flow.gap(14.0);

    // Metadata as an aligned key: value list.
    let key_style = TextStyle {
        size: pg::BODY_SIZE,
        bold: true,
        color: pg::MUTED,
    };
    let value_style = TextStyle::body();
    let key_w = doc
        .meta
        .iter()
        .map(|(k, _)| crate::font::text_width(k, key_style.size, true))
        .fold(0.0_f32, f32::max)
        + 14.0;
    let value_w = (pg::TEXT_WIDTH - key_w).max(100.0);
    for (key, value) in &doc.meta {
        let lines = crate::layout::wrap_text(value, value_w, value_style);
        let lh = value_style.line_height();
        flow.ensure(lh * lines.len() as f32);
        let top = flow.y;
        flow.text(pg::MARGIN_X, top + 0.8 * lh, key_style, Align::Start, key);
        for (i, line) in lines.iter().enumerate() {
            flow.text(
                pg::MARGIN_X + key_w,
                top + (i as f32 + 0.8) * lh,
                value_style,
                Align::Start,
                line,
            );
        }
        flow.y = top + lh * lines.len() as f32 + 2.0;
    }

    flow.gap(22.0);
    flow.anchor("Summary of verdicts");
    let heading = TextStyle {
        size: pg::HEADING_SIZE,
        bold: true,
        color: pg::INK,
    };
    flow.ensure(heading.line_height() + 60.0);
    flow.paragraph("Summary of verdicts", heading);
    flow.gap(2.0);
    if doc.summary.is_empty() {
        flow.paragraph("No checks were run.", TextStyle::body());
        return;
    }
    let count = |v: Verdict| doc.summary.iter().filter(|r| r.verdict == v).count();
    let mut parts = vec![format!("{} checks", doc.summary.len())];
    for v in [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::Inconclusive,
        Verdict::Skipped,
    ] {
        let n = count(v);
        if n > 0 {
            parts.push(format!("{n} {}", v.as_str().to_lowercase()));
        }
    }
    flow.paragraph(&parts.join(" · "), TextStyle::body());
    flow.gap(6.0);

    let header: Vec<String> = ["Check", "Measured", "Required", "Control", "Verdict"]
        .map(String::from)
        .to_vec();
    let rows: Vec<Vec<String>> = doc
        .summary
        .iter()
        .map(|r| {
            vec![
                r.check.clone(),
                r.measurement.clone(),
                r.prediction.clone(),
                r.control.clone(),
                r.verdict.as_str().to_string(),
            ]
        })
        .collect();
    let verdicts: Vec<Verdict> = doc.summary.iter().map(|r| r.verdict).collect();
    flow.table(&header, &rows, &|r, c| {
        if c == 4 {
            let v = verdicts.get(r).copied().unwrap_or(Verdict::Skipped);
            TextStyle {
                size: pg::SUMMARY_SIZE,
                bold: true,
                color: v.color(),
            }
        } else {
            TextStyle {
                size: pg::SUMMARY_SIZE,
                bold: false,
                color: pg::INK,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_only_when_well_formed() {
        assert!(parse_date("2025-03-07T10:00:00Z").is_some());
        assert!(parse_date("2025-13-07").is_none());
        assert!(parse_date("07.03.2025").is_none());
        assert!(parse_date("2025").is_none());
    }
}
