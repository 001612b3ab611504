//! The one visual style of every figure and page: sizes, fonts, colours.
//!
//! Colours are the Okabe–Ito palette (distinguishable under the common forms
//! of colour blindness); the heatmap uses viridis (perceptually uniform, also
//! readable in greyscale). Figure sizes are in SVG pixels; a figure is scaled
//! to the text width (≈ 482 pt) in the PDF, i.e. by 0.67, and the font sizes
//! below are chosen so that text lands at 8–11 pt on paper.

use plotters::style::RGBColor;

/// Width of every figure, SVG pixels.
pub const FIGURE_WIDTH: u32 = 720;
/// Height of every figure, SVG pixels (16:10).
pub const FIGURE_HEIGHT: u32 = 450;

/// plotters font size of a figure title (SVG font-size = size / 1.24).
pub const TITLE_SIZE: f64 = 21.0;
/// plotters font size of axis labels.
pub const AXIS_LABEL_SIZE: f64 = 18.0;
/// plotters font size of tick labels.
pub const TICK_LABEL_SIZE: f64 = 15.0;
/// plotters font size of legend entries.
pub const LEGEND_SIZE: f64 = 15.0;

/// Outer margin of a figure, pixels.
pub const MARGIN: u32 = 14;
/// Space reserved for the x tick and axis labels, pixels.
pub const X_LABEL_AREA: u32 = 52;
/// Space reserved for the y tick and axis labels, pixels.
pub const Y_LABEL_AREA: u32 = 78;

/// Stroke width of data curves, pixels.
pub const CURVE_WIDTH: u32 = 2;
/// Stroke width of reference lines (edges, thresholds), pixels.
pub const MARKER_LINE_WIDTH: u32 = 2;
/// Dash length and gap of reference lines, pixels.
pub const DASH: (u32, u32) = (7, 5);
/// Radius of scatter points, pixels.
pub const POINT_RADIUS: u32 = 4;

/// Relative padding added on each side of a data range.
pub const RANGE_PADDING: f64 = 0.03;

/// Text colour.
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Grid line colour (major grid).
pub const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
/// Grid line colour (minor grid).
pub const GRID_LIGHT: RGBColor = RGBColor(0xF0, 0xF0, 0xF0);
/// Fill of histogram bars.
pub const HISTOGRAM_FILL: RGBColor = RGBColor(0xC6, 0xDB, 0xEF);
/// Outline of histogram bars.
pub const HISTOGRAM_EDGE: RGBColor = RGBColor(0x6B, 0x8E, 0xB3);

/// The Okabe–Ito palette in the order series take it (black last).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0xF0, 0xE4, 0x42), // yellow
    RGBColor(0x00, 0x00, 0x00), // black
];

/// Colour of the `idx`-th series (cycles through [`PALETTE`]).
pub fn series_color(idx: usize) -> RGBColor {
    PALETTE[idx % PALETTE.len()]
}

/// Colours of reference lines (edges, thresholds): dark, so they stand apart
/// from the data series; cycles.
pub const MARKER_PALETTE: [RGBColor; 4] = [
    RGBColor(0x33, 0x33, 0x33),
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
];

/// Colour of the `idx`-th reference line.
pub fn marker_color(idx: usize) -> RGBColor {
    MARKER_PALETTE[idx % MARKER_PALETTE.len()]
}

/// Viridis at 9 evenly spaced stops (matplotlib's table, rounded to 8 bits).
const VIRIDIS: [(u8, u8, u8); 9] = [
    (0x44, 0x01, 0x54),
    (0x47, 0x2c, 0x7a),
    (0x3b, 0x51, 0x8b),
    (0x2c, 0x71, 0x8e),
    (0x21, 0x90, 0x8d),
    (0x27, 0xad, 0x81),
    (0x5c, 0xc8, 0x63),
    (0xaa, 0xdc, 0x32),
    (0xfd, 0xe7, 0x25),
];

/// Viridis colour at `t ∈ [0, 1]` (clamped; NaN maps to 0), linearly
/// interpolated between the stops.
pub fn viridis(t: f64) -> RGBColor {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let pos = t * (VIRIDIS.len() - 1) as f64;
    // `pos` is in [0, 8]; the cast truncates toward zero, as wanted.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let lo = (pos.floor() as usize).min(VIRIDIS.len() - 2);
    let frac = pos - lo as f64;
    let (a, b) = (VIRIDIS[lo], VIRIDIS[lo + 1]);
    let mix = |x: u8, y: u8| -> u8 {
        let v = f64::from(x) + frac * (f64::from(y) - f64::from(x));
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let v = v.round().clamp(0.0, 255.0) as u8;
        v
    };
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Page geometry and typography of the PDF, in points (1/72 in).
pub mod page {
    /// A4 width.
    pub const WIDTH: f32 = 595.276;
    /// A4 height.
    pub const HEIGHT: f32 = 841.89;
    /// Left and right margin (2 cm).
    pub const MARGIN_X: f32 = 56.69;
    /// Top margin.
    pub const MARGIN_TOP: f32 = 56.69;
    /// Bottom margin (room for the footer).
    pub const MARGIN_BOTTOM: f32 = 62.0;
    /// Width available to text, tables and figures.
    pub const TEXT_WIDTH: f32 = WIDTH - 2.0 * MARGIN_X;

    /// Document title (title page).
    pub const TITLE_SIZE: f32 = 22.0;
    /// Section heading.
    pub const HEADING_SIZE: f32 = 15.0;
    /// Sub-heading (table captions, the summary heading).
    pub const SUBHEADING_SIZE: f32 = 11.0;
    /// Body text.
    pub const BODY_SIZE: f32 = 10.0;
    /// Table text.
    pub const TABLE_SIZE: f32 = 8.5;
    /// The summary table of verdicts: one line per check across the text width (id, measured, required, control,
    /// verdict) needs about 115 characters, which DejaVu Sans fits at 7.5 pt.
    pub const SUMMARY_SIZE: f32 = 7.5;
    /// Footer text.
    pub const FOOTER_SIZE: f32 = 8.0;
    /// Line height as a multiple of the font size.
    pub const LEADING: f32 = 1.35;
    /// Horizontal padding inside a table cell.
    pub const CELL_PAD_X: f32 = 4.0;
    /// Vertical padding inside a table cell.
    pub const CELL_PAD_Y: f32 = 3.0;
    /// Vertical space after a block (paragraph, table, figure).
    pub const BLOCK_GAP: f32 = 10.0;

    /// Text colour.
    pub const INK: &str = "#222222";
    /// Secondary text (footer, captions).
    pub const MUTED: &str = "#666666";
    /// Table rules.
    pub const RULE: &str = "#999999";
    /// Table header background.
    pub const HEADER_FILL: &str = "#E8EEF4";
    /// Background of every other table row.
    pub const STRIPE_FILL: &str = "#F6F6F6";
    /// Verdict colours: pass, fail, inconclusive, skipped.
    pub const PASS: &str = "#1B7837";
    /// Fail verdict colour.
    pub const FAIL: &str = "#B2182B";
    /// Inconclusive verdict colour.
    pub const INCONCLUSIVE: &str = "#B35806";
    /// Skipped verdict colour.
    pub const SKIPPED: &str = "#666666";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_hits_its_end_stops_and_clamps() {
        assert_eq!(viridis(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), RGBColor(0xfd, 0xe7, 0x25));
        assert_eq!(viridis(-3.0), viridis(0.0));
        assert_eq!(viridis(7.0), viridis(1.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
        assert_eq!(viridis(0.5), RGBColor(0x21, 0x90, 0x8d));
    }
}
