//! Pieces shared by all figure kinds: the serialized building blocks
//! ([`Curve`], [`Marker`], [`Legend`]), data validation, axis ranges, tick
//! formatting, clipping, and the plotters chart set-up in the house style.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::ReportError;
use crate::font::SVG_FAMILY;
use crate::style;

/// A labelled polyline: a theory curve, a trajectory, a loss path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Legend entry (empty: no legend entry).
    pub label: String,
    /// Abscissae.
    pub x: Vec<f64>,
    /// Ordinates; same length as `x`. Non-finite values break the line.
    pub y: Vec<f64>,
}

/// A labelled position on one axis: a vertical line (spectral edge), a
/// horizontal line (threshold such as 2/η) or a point on the baseline
/// (an outlier eigenvalue), depending on where it is used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// Legend entry (markers sharing a label share one entry).
    pub label: String,
    /// The position on the axis.
    pub value: f64,
}

/// Where the legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Legend {
    /// Inside the plot, in the corner or side (upper right, upper left, lower
    /// right, lower left, middle right, middle left, in that order of
    /// preference) that covers the fewest data (the default).
    #[default]
    Auto,
    /// Inside the plot, upper right.
    UpperRight,
    /// Inside the plot, upper left.
    UpperLeft,
    /// Inside the plot, lower left.
    LowerLeft,
    /// Inside the plot, lower right.
    LowerRight,
    /// Inside the plot, middle of the right side.
    MiddleRight,
    /// Inside the plot, middle of the left side.
    MiddleLeft,
    /// No legend.
    Hidden,
}

/// The candidates [`Legend::Auto`] tries, in order of preference.
const AUTO_ORDER: [Legend; 6] = [
    Legend::UpperRight,
    Legend::UpperLeft,
    Legend::LowerRight,
    Legend::LowerLeft,
    Legend::MiddleRight,
    Legend::MiddleLeft,
];

/// Approximate size of the plotting area inside a figure, px (figure minus
/// margins, caption and label areas); used only to size the legend box for
/// [`Legend::Auto`].
const PLOT_AREA_PX: (f64, f64) = (590.0, 340.0);

impl Legend {
    fn position(self) -> Option<SeriesLabelPosition> {
        match self {
            Self::UpperRight | Self::Auto => Some(SeriesLabelPosition::UpperRight),
            Self::UpperLeft => Some(SeriesLabelPosition::UpperLeft),
            Self::LowerLeft => Some(SeriesLabelPosition::LowerLeft),
            Self::LowerRight => Some(SeriesLabelPosition::LowerRight),
            Self::MiddleRight => Some(SeriesLabelPosition::MiddleRight),
            Self::MiddleLeft => Some(SeriesLabelPosition::MiddleLeft),
            Self::Hidden => None,
        }
    }

    /// The legend box of a candidate position in unit plot coordinates
    /// (x right, y up, both in [0, 1]).
    fn unit_box(self, w: f64, h: f64) -> (f64, f64, f64, f64) {
        let (mx, my) = (12.0 / PLOT_AREA_PX.0, 12.0 / PLOT_AREA_PX.1);
        let (x0, x1) = match self {
            Self::UpperLeft | Self::LowerLeft | Self::MiddleLeft => (mx, mx + w),
            _ => (1.0 - mx - w, 1.0 - mx),
        };
        let (y0, y1) = match self {
            Self::LowerLeft | Self::LowerRight => (my, my + h),
            Self::MiddleLeft | Self::MiddleRight => (0.5 - h / 2.0, 0.5 + h / 2.0),
            _ => (1.0 - my - h, 1.0 - my),
        };
        (x0, x1, y0, y1)
    }
}

/// Data occupancy of a plot, for placing the legend where it hides least.
/// Points are stored in unit coordinates of the plot box (log axes are
/// mapped logarithmically).
#[derive(Debug)]
pub(crate) struct Occupancy {
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    log_x: bool,
    log_y: bool,
    points: Vec<(f64, f64)>,
    labels: Vec<String>,
}

impl Occupancy {
    pub fn new(
        x: &std::ops::Range<f64>,
        y: &std::ops::Range<f64>,
        log_x: bool,
        log_y: bool,
    ) -> Self {
        Self {
            x: x.clone(),
            y: y.clone(),
            log_x,
            log_y,
            points: Vec::new(),
            labels: Vec::new(),
        }
    }

    fn unit(v: f64, r: &std::ops::Range<f64>, log: bool) -> f64 {
        if log {
            (v.ln() - r.start.ln()) / (r.end.ln() - r.start.ln())
        } else {
            (v - r.start) / (r.end - r.start)
        }
    }

    /// Records a data point (non-finite points are ignored).
    pub fn point(&mut self, x: f64, y: f64) {
        let p = (
            Self::unit(x, &self.x, self.log_x),
            Self::unit(y, &self.y, self.log_y),
        );
        if p.0.is_finite() && p.1.is_finite() {
            self.points.push(p);
        }
    }

    /// Records a polyline, with extra points along long segments so that a
    /// straight line crossing a corner counts there.
    pub fn polyline(&mut self, xs: &[f64], ys: &[f64]) {
        let mut prev: Option<(f64, f64)> = None;
        for (&x, &y) in xs.iter().zip(ys) {
            if let Some((px, py)) = prev {
                for k in 1..8 {
                    let t = f64::from(k) / 8.0;
                    self.point(px + t * (x - px), py + t * (y - py));
                }
            }
            self.point(x, y);
            prev = (x.is_finite() && y.is_finite()).then_some((x, y));
        }
    }

    /// A vertical line at `x` across the whole plot.
    pub fn vline(&mut self, x: f64) {
        let u = Self::unit(x, &self.x, self.log_x);
        self.points
            .extend((0..=32).map(|k| (u, f64::from(k) / 32.0)));
    }

    /// A horizontal line at `y` across the whole plot.
    pub fn hline(&mut self, y: f64) {
        let u = Self::unit(y, &self.y, self.log_y);
        self.points
            .extend((0..=32).map(|k| (f64::from(k) / 32.0, u)));
    }

    /// Registers a legend entry (its text sizes the legend box).
    pub fn label(&mut self, label: &str) {
        if !label.is_empty() {
            self.labels.push(label.to_string());
        }
    }

    /// The requested legend, with [`Legend::Auto`] resolved to the candidate
    /// covering the fewest recorded points.
    pub fn resolve(&self, legend: Legend) -> Legend {
        if legend != Legend::Auto {
            return legend;
        }
        let px_per_pt = 1.0 / 1.24; // plotters font size -> SVG font size
        let text_w = self
            .labels
            .iter()
            .map(|l| {
                f64::from(crate::font::text_width(l, 1.0, false)) * style::LEGEND_SIZE * px_per_pt
            })
            .fold(0.0, f64::max);
        let w = (text_w + 50.0) / PLOT_AREA_PX.0;
        let h = (self.labels.len() as f64 * 20.0 + 14.0) / PLOT_AREA_PX.1;
        let mut best = (usize::MAX, Legend::UpperRight);
        for candidate in AUTO_ORDER {
            let (x0, x1, y0, y1) = candidate.unit_box(w, h);
            let covered = self
                .points
                .iter()
                .filter(|(x, y)| *x >= x0 && *x <= x1 && *y >= y0 && *y <= y1)
                .count();
            if covered < best.0 {
                best = (covered, candidate);
            }
        }
        best.1
    }
}

pub(crate) type DrawError = DrawingAreaErrorKind<std::io::Error>;
pub(crate) type DrawResult<T = ()> = Result<T, DrawError>;

/// Turns a plotters error into a [`ReportError::Draw`] naming the figure.
pub(crate) fn draw_error(title: &str) -> impl Fn(DrawError) -> ReportError + '_ {
    move |e| ReportError::Draw {
        title: title.to_string(),
        reason: e.to_string(),
    }
}

/// Checks that a curve's `x` and `y` have the same length and at least one
/// finite point.
pub(crate) fn check_curve(what: &str, curve: &Curve) -> Result<(), ReportError> {
    if curve.x.len() != curve.y.len() {
        return Err(ReportError::invalid(
            format!("{what} {:?}", curve.label),
            format!("x has {} values but y has {}", curve.x.len(), curve.y.len()),
        ));
    }
    if !curve
        .x
        .iter()
        .zip(&curve.y)
        .any(|(x, y)| x.is_finite() && y.is_finite())
    {
        return Err(ReportError::invalid(
            format!("{what} {:?}", curve.label),
            "no point with finite x and y",
        ));
    }
    Ok(())
}

/// A closed data interval, grown as values are seen.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub lo: f64,
    pub hi: f64,
}

impl Span {
    pub fn empty() -> Self {
        Self {
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
        }
    }

    /// Includes `v` if it is finite (and positive, when `positive_only`).
    pub fn add(&mut self, v: f64, positive_only: bool) {
        if v.is_finite() && (!positive_only || v > 0.0) {
            self.lo = self.lo.min(v);
            self.hi = self.hi.max(v);
        }
    }

    pub fn add_all(&mut self, values: &[f64], positive_only: bool) {
        for &v in values {
            self.add(v, positive_only);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.lo > self.hi
    }

    /// A drawable linear range: padded by [`style::RANGE_PADDING`] of its width
    /// on each side; a single value becomes a unit-width (or ±10 %) range.
    pub fn padded_linear(self) -> std::ops::Range<f64> {
        if self.is_empty() {
            return 0.0..1.0;
        }
        let width = self.hi - self.lo;
        if width <= f64::EPSILON * self.lo.abs().max(self.hi.abs()).max(1e-300) {
            let half = if self.lo == 0.0 {
                0.5
            } else {
                0.1 * self.lo.abs()
            };
            return (self.lo - half)..(self.hi + half);
        }
        let pad = style::RANGE_PADDING * width;
        (self.lo - pad)..(self.hi + pad)
    }

    /// A drawable logarithmic range (positive values only): padded by
    /// [`style::RANGE_PADDING`] of the width in decades; a single value becomes
    /// half a decade each side.
    pub fn padded_log(self) -> std::ops::Range<f64> {
        if self.is_empty() {
            return 1.0..10.0;
        }
        let (lo, hi) = (self.lo.log10(), self.hi.log10());
        let pad = if hi - lo < 1e-9 {
            0.5
        } else {
            style::RANGE_PADDING * (hi - lo)
        };
        10f64.powf(lo - pad)..10f64.powf(hi + pad)
    }
}

/// Tick label: at most four significant digits, no trailing zeros, scientific
/// notation outside [1e-3, 1e5).
pub(crate) fn format_tick(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".into()
        } else {
            format!("{v}")
        };
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let text = format!("{v:.4}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        if text == "-0" {
            "0".into()
        } else {
            text.to_string()
        }
    } else {
        let text = format!("{v:.2e}");
        // "1.00e-5" -> "1e-5", "2.50e7" -> "2.5e7"
        match text.split_once('e') {
            Some((mantissa, exponent)) => {
                let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
                format!("{mantissa}e{exponent}")
            }
            None => text,
        }
    }
}

/// Tick positions for a logarithmic axis over `range` (positive): major
/// ticks at 1, 2, 3, 5 × 10^k for spans up to 1.5 decades, 1, 2, 5 × 10^k up
/// to 3 decades, powers of ten beyond (thinned to at most 8); minor ticks at
/// the other integer mantissas. Falls back to round linear ticks when the
/// span holds fewer than two majors.
pub(crate) fn log_ticks(range: &std::ops::Range<f64>) -> (Vec<f64>, Vec<f64>) {
    let (lo, hi) = (range.start, range.end);
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return (vec![], vec![]);
    }
    let decades = (hi / lo).log10();
    let mantissas: &[f64] = if decades <= 1.5 {
        &[1.0, 2.0, 3.0, 5.0]
    } else if decades <= 3.0 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    // Exponents are small integers (|k| < 400 for f64).
    #[allow(clippy::cast_possible_truncation)]
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    // Ceiling division: at most 8 powers of ten get a label.
    let stride = usize::try_from(((k1 - k0 + 8) / 8).max(1)).unwrap_or(1);
    let inside = |v: f64| v >= lo * (1.0 - 1e-12) && v <= hi * (1.0 + 1e-12);
    let mut major = Vec::new();
    let mut minor = Vec::new();
    for (idx, k) in (k0..=k1).enumerate() {
        let p = 10f64.powi(k);
        for m in 1..10 {
            let v = f64::from(m) * p;
            if !inside(v) {
                continue;
            }
            let is_major = if mantissas.len() > 1 {
                mantissas.contains(&f64::from(m))
            } else {
                m == 1 && idx % stride == 0
            };
            if is_major {
                major.push(v);
            } else if decades <= 6.0 {
                minor.push(v);
            }
        }
    }
    if major.len() < 2 {
        major = crate::figure::heatmap::nice_ticks(lo, hi, 4);
        minor.clear();
    }
    (major, minor)
}

/// Clips the polyline through `points` to the box `x × y`, splitting it where
/// it leaves the box or meets a non-finite point. Each returned run has at
/// least two points. Segment clipping is Liang–Barsky.
pub(crate) fn clip_polyline(
    points: impl IntoIterator<Item = (f64, f64)>,
    x: &std::ops::Range<f64>,
    y: &std::ops::Range<f64>,
) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let mut prev: Option<(f64, f64)> = None;
    let flush = |current: &mut Vec<(f64, f64)>, runs: &mut Vec<Vec<(f64, f64)>>| {
        if current.len() >= 2 {
            runs.push(std::mem::take(current));
        } else {
            current.clear();
        }
    };
    for p in points {
        if !(p.0.is_finite() && p.1.is_finite()) {
            flush(&mut current, &mut runs);
            prev = None;
            continue;
        }
        if let Some(q) = prev {
            match clip_segment(q, p, x, y) {
                Some((a, b)) => {
                    if current.last() != Some(&a) {
                        flush(&mut current, &mut runs);
                        current.push(a);
                    }
                    current.push(b);
                    if b != p {
                        flush(&mut current, &mut runs);
                    }
                }
                None => flush(&mut current, &mut runs),
            }
        }
        prev = Some(p);
    }
    flush(&mut current, &mut runs);
    runs
}

fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    x: &std::ops::Range<f64>,
    y: &std::ops::Range<f64>,
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut t0 = 0.0_f64;
    let mut t1 = 1.0_f64;
    for (p, q) in [
        (-dx, a.0 - x.start),
        (dx, x.end - a.0),
        (-dy, a.1 - y.start),
        (dy, y.end - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    // Exact comparisons on purpose: t is 0 or 1 exactly when that end was not
    // clipped, and the end point is then returned bit for bit.
    #[allow(clippy::float_cmp)]
    let at = |t: f64| {
        if t == 0.0 {
            a
        } else if t == 1.0 {
            b
        } else {
            (a.0 + t * dx, a.1 + t * dy)
        }
    };
    Some((at(t0), at(t1)))
}

/// The SVG drawing area of one figure, white, in the house size.
pub(crate) fn new_root(buffer: &mut String) -> DrawResult<DrawingArea<SVGBackend<'_>, Shift>> {
    let root = SVGBackend::with_string(buffer, (style::FIGURE_WIDTH, style::FIGURE_HEIGHT))
        .into_drawing_area();
    root.fill(&WHITE)?;
    Ok(root)
}

/// The smallest title size before a title is cut with an ellipsis instead (two thirds of the house size stays
/// legible at the figure's print width).
const MIN_TITLE_SIZE: f64 = 14.0;

/// A title that fits the figure's width: the house size when it fits, else a size shrunk in proportion down to
/// [`MIN_TITLE_SIZE`], else the title cut with an ellipsis at that size. Widths are DejaVu Sans Bold advances
/// ([`crate::font::text_width`]); the caption is centred, so both margins and the extra right margin count.
pub(crate) fn fit_title(title: &str) -> (String, f64) {
    let available = f64::from(style::FIGURE_WIDTH - 2 * (style::MARGIN + 10));
    let width = |text: &str, size: f64| f64::from(crate::font::text_width(text, size as f32, true));
    let natural = width(title, style::TITLE_SIZE);
    if natural <= available {
        return (title.to_string(), style::TITLE_SIZE);
    }
    let size = (style::TITLE_SIZE * available / natural).max(MIN_TITLE_SIZE);
    if width(title, size) <= available {
        return (title.to_string(), size);
    }
    let mut cut = String::new();
    for c in title.chars() {
        cut.push(c);
        if width(&format!("{cut}…"), size) > available {
            cut.pop();
            break;
        }
    }
    (format!("{}…", cut.trim_end()), size)
}

/// A chart builder with the house caption, margins and label areas.
pub(crate) fn chart_builder<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let (title, size) = fit_title(title);
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(
            title,
            (SVG_FAMILY, size)
                .into_font()
                .style(FontStyle::Bold)
                .color(&style::INK),
        )
        .margin(style::MARGIN)
        .margin_right(style::MARGIN + 10)
        .x_label_area_size(style::X_LABEL_AREA)
        .y_label_area_size(style::Y_LABEL_AREA);
    builder
}

/// Draws grid, axes, tick labels and axis titles in the house style.
pub(crate) fn draw_mesh<X, Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    x_label: &str,
    y_label: &str,
    grid: bool,
) -> DrawResult
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let tick_font = (SVG_FAMILY, style::TICK_LABEL_SIZE)
        .into_font()
        .color(&style::INK);
    let axis_font = (SVG_FAMILY, style::AXIS_LABEL_SIZE)
        .into_font()
        .color(&style::INK);
    let x_fmt = |v: &f64| format_tick(*v);
    let y_fmt = |v: &f64| format_tick(*v);
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_label)
        .y_desc(y_label)
        .x_labels(8)
        .y_labels(7)
        .max_light_lines(1)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(tick_font)
        .axis_desc_style(axis_font)
        .axis_style(style::INK.stroke_width(1))
        .bold_line_style(style::GRID.stroke_width(1))
        .light_line_style(style::GRID_LIGHT.stroke_width(1));
    if !grid {
        mesh.disable_mesh();
    }
    mesh.draw()
}

/// Draws the legend if any series carries a label and the legend is shown.
pub(crate) fn draw_legend<'a, 'b: 'a, X, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>,
    legend: Legend,
    occupancy: &Occupancy,
) -> DrawResult
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let any_label = !occupancy.labels.is_empty();
    let Some(position) = occupancy.resolve(legend).position() else {
        return Ok(());
    };
    if !any_label {
        return Ok(());
    }
    chart
        .configure_series_labels()
        .position(position)
        .margin(12)
        .legend_area_size(28)
        .label_font(
            (SVG_FAMILY, style::LEGEND_SIZE)
                .into_font()
                .color(&style::INK),
        )
        .background_style(WHITE.mix(0.88))
        .border_style(style::GRID.stroke_width(1))
        .draw()
}

/// Draws `curve` as a solid line clipped to the chart box, with a legend
/// entry when it has a label.
pub(crate) fn draw_curve<X, Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    curve: &Curve,
    color: RGBColor,
    x_box: &std::ops::Range<f64>,
    y_box: &std::ops::Range<f64>,
) -> DrawResult
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let line = color.stroke_width(style::CURVE_WIDTH);
    let runs = clip_polyline(
        curve.x.iter().copied().zip(curve.y.iter().copied()),
        x_box,
        y_box,
    );
    let mut first = true;
    for run in runs {
        let series = chart.draw_series(LineSeries::new(run, line))?;
        if first && !curve.label.is_empty() {
            series
                .label(curve.label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], line));
        }
        first = false;
    }
    Ok(())
}

/// Draws a dashed straight line from `a` to `b` (data coordinates), with a
/// legend entry when `label` is not empty.
pub(crate) fn draw_dashed<X, Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    a: (f64, f64),
    b: (f64, f64),
    color: RGBColor,
    label: &str,
) -> DrawResult
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let line = color.stroke_width(style::MARKER_LINE_WIDTH);
    let (dash, gap) = style::DASH;
    let series = chart.draw_series(DashedLineSeries::new(vec![a, b], dash, gap, line))?;
    if !label.is_empty() {
        series
            .label(label)
            .legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 22, y)], 6, 3, line));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(format_tick(0.0), "0");
        assert_eq!(format_tick(0.5), "0.5");
        assert_eq!(format_tick(0.30000000000000004), "0.3");
        assert_eq!(format_tick(-2.0), "-2");
        assert_eq!(format_tick(1234.5678), "1234.5678");
        assert_eq!(format_tick(1e-5), "1e-5");
        assert_eq!(format_tick(2.5e7), "2.5e7");
        assert_eq!(format_tick(-1e-12), "-1e-12");
    }

    #[test]
    fn clipping_keeps_inside_runs_and_cuts_at_the_box() {
        let x = 0.0..10.0;
        let y = 0.0..1.0;
        // Rises through the top at x = 2 and comes back at x = 4.
        let pts = vec![
            (0.0, 0.0),
            (1.0, 0.5),
            (3.0, 1.5),
            (5.0, 0.5),
            (6.0, f64::NAN),
            (7.0, 0.1),
            (8.0, 0.2),
        ];
        let runs = clip_polyline(pts, &x, &y);
        assert_eq!(runs.len(), 3, "{runs:?}");
        assert_eq!(runs[0], vec![(0.0, 0.0), (1.0, 0.5), (2.0, 1.0)]);
        assert_eq!(runs[1], vec![(4.0, 1.0), (5.0, 0.5)]);
        assert_eq!(runs[2], vec![(7.0, 0.1), (8.0, 0.2)]);
    }

    #[test]
    fn log_ticks_label_every_decade_span() {
        let (major, minor) = log_ticks(&(0.018..0.11));
        assert_eq!(major, vec![0.02, 0.03, 0.05, 0.1]);
        assert!(minor.contains(&0.04) && minor.contains(&0.09));
        let (major, _) = log_ticks(&(90.0..3500.0));
        assert_eq!(major, vec![100.0, 200.0, 500.0, 1000.0, 2000.0]);
        let (major, _) = log_ticks(&(1e-12..1e3));
        assert!(major.len() <= 9 && major.len() >= 5, "{major:?}");
        let (major, _) = log_ticks(&(0.041..0.046));
        assert!(major.len() >= 2, "fallback ticks missing: {major:?}");
    }

    #[test]
    fn auto_legend_avoids_the_data() {
        // Data fill the upper right quarter only.
        let mut occ = Occupancy::new(&(0.0..1.0), &(0.0..1.0), false, false);
        for i in 0..20 {
            for j in 0..20 {
                occ.point(0.5 + f64::from(i) / 40.0, 0.5 + f64::from(j) / 40.0);
            }
        }
        occ.label("theory");
        assert_eq!(occ.resolve(Legend::Auto), Legend::UpperLeft);
        assert_eq!(occ.resolve(Legend::LowerLeft), Legend::LowerLeft);
    }

    #[test]
    fn degenerate_ranges_are_widened() {
        let mut s = Span::empty();
        s.add(3.0, false);
        let r = s.padded_linear();
        assert!(r.start < 3.0 && r.end > 3.0);
        let r = s.padded_log();
        assert!(r.start < 3.0 && r.end > 3.0 && r.start > 0.0);
        let mut z = Span::empty();
        z.add(0.0, false);
        let r = z.padded_linear();
        assert!(r.start < 0.0 && r.end > 0.0);
        let mut p = Span::empty();
        p.add_all(&[-1.0, 0.0, f64::NAN], true);
        assert!(p.is_empty());
    }

    #[test]
    fn long_titles_shrink_then_are_cut_to_the_figure_width() {
        let available = f64::from(style::FIGURE_WIDTH - 2 * (style::MARGIN + 10));
        let fits = |t: &str, size: f64| {
            f64::from(crate::font::text_width(t, size as f32, true)) <= available
        };
        let (short, size) = fit_title("Loss along the path");
        assert_eq!(
            (short.as_str(), size),
            ("Loss along the path", style::TITLE_SIZE)
        );
        let medium = "NTK of a depth-3 tanh network against the Fan–Wang law: KS against width";
        let (text, size) = fit_title(medium);
        assert!(
            (MIN_TITLE_SIZE..style::TITLE_SIZE).contains(&size),
            "{size}"
        );
        assert!(fits(&text, size), "{text} at {size}");
        let long = "a very long title ".repeat(20);
        let (text, size) = fit_title(&long);
        // The smallest size is returned as the constant itself, so the comparison is exact.
        assert!((size - MIN_TITLE_SIZE).abs() == 0.0, "{size}");
        assert!(text.ends_with('…') && fits(&text, size), "{text}");
    }
}
