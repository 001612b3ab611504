//! Page layout: a small flow engine that writes each page as an SVG document
//! in points (A4), with text wrapped by the embedded font's metrics, tables
//! that break across pages (repeating their header) and figures embedded as
//! nested `<svg>` elements. The pages are then converted to PDF by krilla.

use crate::font::{FAMILY, text_width};
use crate::style::page as pg;

/// Horizontal text alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Start,
    End,
}

/// A text run's look.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextStyle<'a> {
    pub size: f32,
    pub bold: bool,
    pub color: &'a str,
}

impl TextStyle<'_> {
    pub fn body() -> TextStyle<'static> {
        TextStyle {
            size: pg::BODY_SIZE,
            bold: false,
            color: pg::INK,
        }
    }

    pub fn line_height(&self) -> f32 {
        self.size * pg::LEADING
    }
}

/// Escapes text for XML character data and attribute values.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Greedy line breaking at spaces; a word wider than `width` is broken
/// between characters. Returns at least one (possibly empty) line; explicit
/// `\n` starts a new line.
pub(crate) fn wrap_text(text: &str, width: f32, style: TextStyle<'_>) -> Vec<String> {
    let measure = |s: &str| text_width(s, style.size, style.bold);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if measure(&candidate) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if measure(word) <= width {
                line = word.to_string();
            } else {
                // Break the long word by characters.
                for c in word.chars() {
                    let mut next = line.clone();
                    next.push(c);
                    if measure(&next) > width && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        line.push(c);
                    } else {
                        line = next;
                    }
                }
            }
        }
        lines.push(line);
    }
    lines
}

/// One laid-out page: SVG elements in page coordinates (points).
#[derive(Debug, Default)]
pub(crate) struct Page {
    pub body: String,
}

/// The flow: a cursor going down the current page, opening new pages when
/// content does not fit.
#[derive(Debug)]
pub(crate) struct Flow {
    pub pages: Vec<Page>,
    /// Baseline-independent cursor: top of the next block, points from the top.
    pub y: f32,
    /// Named positions (page index, y) for the PDF outline.
    pub anchors: Vec<(String, usize, f32)>,
}

impl Flow {
    pub fn new() -> Self {
        Self {
            pages: vec![Page::default()],
            y: pg::MARGIN_TOP,
            anchors: Vec::new(),
        }
    }

    pub fn page_index(&self) -> usize {
        self.pages.len() - 1
    }

    pub fn bottom() -> f32 {
        pg::HEIGHT - pg::MARGIN_BOTTOM
    }

    pub fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = pg::MARGIN_TOP;
    }

    /// True when nothing has been placed on the current page yet.
    pub fn at_page_top(&self) -> bool {
        self.y <= pg::MARGIN_TOP + 0.01
    }

    /// Opens a new page unless `height` fits below the cursor (a block taller
    /// than a page is placed at the top of a fresh page and overflows).
    pub fn ensure(&mut self, height: f32) {
        if self.y + height > Self::bottom() && !self.at_page_top() {
            self.new_page();
        }
    }

    pub fn anchor(&mut self, name: &str) {
        let idx = self.page_index();
        self.anchors.push((name.to_string(), idx, self.y));
    }

    fn push(&mut self, element: &str) {
        if let Some(page) = self.pages.last_mut() {
            page.body.push_str(element);
            page.body.push('\n');
        }
    }

    /// A text run with its baseline at `baseline`.
    pub fn text(&mut self, x: f32, baseline: f32, style: TextStyle<'_>, align: Align, text: &str) {
        let anchor = match align {
            Align::Start => "",
            Align::End => " text-anchor=\"end\"",
        };
        let weight = if style.bold {
            " font-weight=\"bold\""
        } else {
            ""
        };
        let element = format!(
            "<text x=\"{x:.2}\" y=\"{baseline:.2}\" font-family=\"{FAMILY}\" font-size=\"{:.2}\"{weight}{anchor} fill=\"{}\">{}</text>",
            style.size,
            style.color,
            xml_escape(text)
        );
        self.push(&element);
    }

    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: &str) {
        let element = format!(
            "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{w:.2}\" height=\"{h:.2}\" fill=\"{fill}\"/>"
        );
        self.push(&element);
    }

    pub fn hline(&mut self, x0: f32, x1: f32, y: f32, width: f32, color: &str) {
        let element = format!(
            "<line x1=\"{x0:.2}\" y1=\"{y:.2}\" x2=\"{x1:.2}\" y2=\"{y:.2}\" stroke=\"{color}\" stroke-width=\"{width:.2}\"/>"
        );
        self.push(&element);
    }

    /// Wrapped text across the text width, advancing the cursor; breaks
    /// pages between lines.
    pub fn paragraph(&mut self, text: &str, style: TextStyle<'_>) {
        let lh = style.line_height();
        for line in wrap_text(text, pg::TEXT_WIDTH, style) {
            self.ensure(lh);
            // Baseline at ~80 % of the line box: ascent of DejaVu Sans ≈ 0.93 em.
            let baseline = self.y + 0.8 * lh;
            self.text(pg::MARGIN_X, baseline, style, Align::Start, &line);
            self.y += lh;
        }
    }

    pub fn gap(&mut self, h: f32) {
        self.y += h;
    }

    /// Embeds a standalone SVG document (a figure) at the cursor, scaled to
    /// the text width with its aspect ratio kept.
    pub fn figure(&mut self, svg: &str, view_w: f32, view_h: f32) {
        let w = pg::TEXT_WIDTH;
        let h = w * view_h / view_w;
        self.ensure(h);
        let inner = strip_svg_root(svg);
        let element = format!(
            "<svg x=\"{:.2}\" y=\"{:.2}\" width=\"{w:.2}\" height=\"{h:.2}\" viewBox=\"0 0 {view_w} {view_h}\">\n{inner}\n</svg>",
            pg::MARGIN_X,
            self.y
        );
        self.push(&element);
        self.y += h;
    }

    /// Draws a table across the text width. `cell_style(row, col)` gives the
    /// style of a body cell. Rows never split; the header repeats on each page.
    pub fn table(
        &mut self,
        header: &[String],
        rows: &[Vec<String>],
        cell_style: &dyn Fn(usize, usize) -> TextStyle<'static>,
    ) {
        let n_cols = header
            .len()
            .max(rows.iter().map(Vec::len).max().unwrap_or(0));
        if n_cols == 0 {
            return;
        }
        let header_style = TextStyle {
            size: pg::TABLE_SIZE,
            bold: true,
            color: pg::INK,
        };
        let widths = column_widths(header, rows, n_cols, header_style, cell_style);
        let cell = |text: &str, col: usize, style: TextStyle<'_>| -> Vec<String> {
            wrap_text(text, (widths[col] - 2.0 * pg::CELL_PAD_X).max(1.0), style)
        };
        let row_height = |lines: usize, style: TextStyle<'_>| {
            lines as f32 * style.line_height() + 2.0 * pg::CELL_PAD_Y
        };

        let header_lines: Vec<Vec<String>> = (0..n_cols)
            .map(|c| cell(header.get(c).map_or("", String::as_str), c, header_style))
            .collect();
        let header_h = row_height(
            header_lines.iter().map(Vec::len).max().unwrap_or(1),
            header_style,
        );

        let draw_header = |flow: &mut Self| {
            let top = flow.y;
            flow.rect(pg::MARGIN_X, top, pg::TEXT_WIDTH, header_h, pg::HEADER_FILL);
            flow.hline(
                pg::MARGIN_X,
                pg::MARGIN_X + pg::TEXT_WIDTH,
                top,
                0.9,
                pg::INK,
            );
            let mut x = pg::MARGIN_X;
            for (c, lines) in header_lines.iter().enumerate() {
                for (k, line) in lines.iter().enumerate() {
                    let baseline =
                        top + pg::CELL_PAD_Y + (k as f32 + 0.8) * header_style.line_height();
                    flow.text(
                        x + pg::CELL_PAD_X,
                        baseline,
                        header_style,
                        Align::Start,
                        line,
                    );
                }
                x += widths[c];
            }
            flow.y += header_h;
            flow.hline(
                pg::MARGIN_X,
                pg::MARGIN_X + pg::TEXT_WIDTH,
                flow.y,
                0.6,
                pg::INK,
            );
        };

        let first_row_h = rows.first().map_or(0.0, |r| {
            let lines = (0..n_cols)
                .map(|c| cell(r.get(c).map_or("", String::as_str), c, cell_style(0, c)).len())
                .max()
                .unwrap_or(1);
            row_height(lines, cell_style(0, 0))
        });
        self.ensure(header_h + first_row_h);
        draw_header(self);
        for (r, row) in rows.iter().enumerate() {
            let styles: Vec<TextStyle<'static>> = (0..n_cols).map(|c| cell_style(r, c)).collect();
            let lines: Vec<Vec<String>> = (0..n_cols)
                .map(|c| cell(row.get(c).map_or("", String::as_str), c, styles[c]))
                .collect();
            let line_h = styles
                .iter()
                .map(TextStyle::line_height)
                .fold(0.0_f32, f32::max);
            let h = lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * line_h
                + 2.0 * pg::CELL_PAD_Y;
            if self.y + h > Self::bottom() && !self.at_page_top() {
                self.hline(
                    pg::MARGIN_X,
                    pg::MARGIN_X + pg::TEXT_WIDTH,
                    self.y,
                    0.9,
                    pg::INK,
                );
                self.new_page();
                draw_header(self);
            }
            let top = self.y;
            if r % 2 == 1 {
                self.rect(pg::MARGIN_X, top, pg::TEXT_WIDTH, h, pg::STRIPE_FILL);
            }
            let mut x = pg::MARGIN_X;
            for (c, cell_lines) in lines.iter().enumerate() {
                for (k, line) in cell_lines.iter().enumerate() {
                    let baseline = top + pg::CELL_PAD_Y + (k as f32 + 0.8) * line_h;
                    self.text(x + pg::CELL_PAD_X, baseline, styles[c], Align::Start, line);
                }
                x += widths[c];
            }
            self.y += h;
        }
        self.hline(
            pg::MARGIN_X,
            pg::MARGIN_X + pg::TEXT_WIDTH,
            self.y,
            0.9,
            pg::INK,
        );
    }

    /// The finished pages as standalone SVG documents, each with a footer
    /// (`footer_left`, "Page i of N").
    pub fn finish(self, footer_left: &str) -> Vec<String> {
        let n = self.pages.len();
        let footer = TextStyle {
            size: pg::FOOTER_SIZE,
            bold: false,
            color: pg::MUTED,
        };
        let left = truncate_to_width(footer_left, 0.7 * pg::TEXT_WIDTH, footer);
        self.pages
            .into_iter()
            .enumerate()
            .map(|(i, page)| {
                let rule_y = pg::HEIGHT - pg::MARGIN_BOTTOM + 18.0;
                let baseline = rule_y + 12.0;
                let mut footer_flow = Flow {
                    pages: vec![Page::default()],
                    y: 0.0,
                    anchors: Vec::new(),
                };
                footer_flow.hline(pg::MARGIN_X, pg::MARGIN_X + pg::TEXT_WIDTH, rule_y, 0.4, pg::RULE);
                footer_flow.text(pg::MARGIN_X, baseline, footer, Align::Start, &left);
                footer_flow.text(
                    pg::MARGIN_X + pg::TEXT_WIDTH,
                    baseline,
                    footer,
                    Align::End,
                    &format!("Page {} of {n}", i + 1),
                );
                let footer_body = footer_flow.pages.pop().map(|p| p.body).unwrap_or_default();
                format!(
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"#FFFFFF\"/>\n{}{}</svg>\n",
                    page.body,
                    footer_body,
                    w = pg::WIDTH,
                    h = pg::HEIGHT
                )
            })
            .collect()
    }
}

/// Cuts `text` with an ellipsis so that it fits `width`.
fn truncate_to_width(text: &str, width: f32, style: TextStyle<'_>) -> String {
    if text_width(text, style.size, style.bold) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        let mut next = out.clone();
        next.push(c);
        next.push('…');
        if text_width(&next, style.size, style.bold) > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// Column widths summing to the text width: each column gets at least its
/// longest word (so words rarely break), the remaining space goes to columns
/// in proportion to how much more they would need to fit on one line.
fn column_widths(
    header: &[String],
    rows: &[Vec<String>],
    n_cols: usize,
    header_style: TextStyle<'_>,
    cell_style: &dyn Fn(usize, usize) -> TextStyle<'static>,
) -> Vec<f32> {
    let pad = 2.0 * pg::CELL_PAD_X;
    let mut min_w = vec![0.0_f32; n_cols];
    let mut natural = vec![0.0_f32; n_cols];
    let mut account = |c: usize, text: &str, style: TextStyle<'_>| {
        let w = text_width(text, style.size, style.bold) + pad;
        natural[c] = natural[c].max(w);
        let longest_word = text
            .split_whitespace()
            .map(|word| text_width(word, style.size, style.bold))
            .fold(0.0_f32, f32::max)
            + pad;
        min_w[c] = min_w[c].max(longest_word);
    };
    for (c, h) in header.iter().enumerate().take(n_cols) {
        account(c, h, header_style);
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate().take(n_cols) {
            account(c, text, cell_style(r, c));
        }
    }
    let total = pg::TEXT_WIDTH;
    let sum_min: f32 = min_w.iter().sum();
    let sum_nat: f32 = natural.iter().sum();
    if sum_nat <= total {
        // Everything fits on one line: spread the slack evenly.
        let extra = (total - sum_nat) / n_cols as f32;
        return natural.iter().map(|w| w + extra).collect();
    }
    if sum_min >= total {
        // Even single words do not fit: scale the minima down (words break).
        return min_w.iter().map(|w| w * total / sum_min).collect();
    }
    let ratio = (total - sum_min) / (sum_nat - sum_min);
    min_w
        .iter()
        .zip(&natural)
        .map(|(lo, hi)| lo + ratio * (hi - lo))
        .collect()
}

/// The content of a standalone SVG document without its XML prolog and root
/// element tags, for nesting inside a page.
fn strip_svg_root(svg: &str) -> &str {
    let Some(open) = svg.find("<svg") else {
        return svg;
    };
    let Some(end_of_open) = svg[open..].find('>').map(|k| open + k + 1) else {
        return svg;
    };
    let close = svg.rfind("</svg>").unwrap_or(svg.len());
    if close < end_of_open {
        return "";
    }
    &svg[end_of_open..close]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_fit_the_width() {
        let style = TextStyle::body();
        let text = "The top eigenvalue of the Gauss–Newton matrix separates from the bulk above the BBP threshold, as predicted.";
        let lines = wrap_text(text, 150.0, style);
        assert!(lines.len() >= 3, "{lines:?}");
        for line in &lines {
            assert!(
                text_width(line, style.size, false) <= 150.0,
                "{line:?} too wide"
            );
        }
        assert_eq!(lines.join(" "), text);
        let long = wrap_text("abcdefghijklmnopqrstuvwxyz0123456789", 40.0, style);
        assert!(long.len() > 1);
        assert_eq!(long.concat(), "abcdefghijklmnopqrstuvwxyz0123456789");
    }

    #[test]
    fn xml_escape_handles_markup_characters() {
        assert_eq!(
            xml_escape("a<b & \"c\"'"),
            "a&lt;b &amp; &quot;c&quot;&apos;"
        );
        assert_eq!(xml_escape("x\u{1}y"), "x y");
    }

    #[test]
    fn column_widths_fill_the_text_width() {
        let header: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let rows = vec![vec!["short".to_string(), "a much longer cell text that will need wrapping because it is long, very long, far longer than one line".to_string(), "x".into()]];
        let style = |_: usize, _: usize| TextStyle::body();
        let w = column_widths(&header, &rows, 3, TextStyle::body(), &style);
        let sum: f32 = w.iter().sum();
        assert!((sum - pg::TEXT_WIDTH).abs() < 1e-3, "{w:?}");
        assert!(w[1] > w[0] && w[1] > w[2]);
    }

    #[test]
    fn strip_svg_root_keeps_the_content() {
        let svg = "<?xml version=\"1.0\"?>\n<svg width=\"1\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect/>\n</svg>\n";
        assert_eq!(strip_svg_root(svg).trim(), "<rect/>");
    }
}
