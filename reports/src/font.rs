//! The one embedded typeface (DejaVu Sans, regular and bold), shared by the
//! figure renderer (plotters through `ab_glyph`), the SVG parser (usvg's font
//! database) and the text measurer used for page layout.
//!
//! Nothing here reads system fonts: a report renders the same on a minimal
//! machine without fontconfig as on a desktop. The font files and their
//! licence (Bitstream Vera licence, DejaVu changes in the public domain) are in
//! `reports/fonts/`.

use std::sync::{Arc, OnceLock};

use plotters::style::FontStyle;
use usvg::fontdb;

/// The family name every SVG we write asks for. It is the name in the font's
/// own name table, so usvg resolves it without any alias.
pub const FAMILY: &str = "DejaVu Sans";

/// The `font-family` written into figure SVGs: the embedded face first, then
/// its metric twin and generic fallbacks, so a standalone SVG opened in a
/// browser on a machine without DejaVu still shows sans-serif text of nearly
/// the same width. usvg (and so the PDF) resolves the first entry to the
/// embedded face.
pub const SVG_FAMILY: &str = "DejaVu Sans, Bitstream Vera Sans, Verdana, sans-serif";

/// DejaVu Sans, regular.
pub static DEJAVU_SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// DejaVu Sans, bold.
pub static DEJAVU_SANS_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// Registers the embedded faces with plotters (once per process). plotters
/// needs them to measure text (legend boxes, tick-label space); its SVG
/// backend then writes `<text font-family="{SVG_FAMILY}">`.
///
/// The generic names `sans-serif` and `serif` are registered too, so a
/// plotters default can never hit an unregistered family.
pub(crate) fn register_plotters_fonts() -> Result<(), crate::ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        let mut ok = true;
        for name in [FAMILY, SVG_FAMILY, "sans-serif", "serif"] {
            ok &= plotters::style::register_font(name, FontStyle::Normal, DEJAVU_SANS).is_ok();
            ok &= plotters::style::register_font(name, FontStyle::Bold, DEJAVU_SANS_BOLD).is_ok();
        }
        ok
    });
    if ok {
        Ok(())
    } else {
        Err(crate::ReportError::invalid(
            "embedded font",
            "DejaVu Sans could not be parsed by ab_glyph",
        ))
    }
}

/// A usvg font database holding only the embedded faces, with every generic
/// family mapped to DejaVu Sans. Built once; cheap to clone (an `Arc`).
pub(crate) fn font_database() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_font_data(DEJAVU_SANS.to_vec());
        db.load_font_data(DEJAVU_SANS_BOLD.to_vec());
        db.set_sans_serif_family(FAMILY);
        db.set_serif_family(FAMILY);
        db.set_monospace_family(FAMILY);
        db.set_cursive_family(FAMILY);
        db.set_fantasy_family(FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// usvg options that resolve every font to the embedded faces.
pub(crate) fn usvg_options() -> usvg::Options<'static> {
    usvg::Options {
        font_family: FAMILY.to_string(),
        fontdb: font_database(),
        ..usvg::Options::default()
    }
}

fn face(bold: bool) -> Option<&'static ttf_parser::Face<'static>> {
    static REGULAR: OnceLock<Option<ttf_parser::Face<'static>>> = OnceLock::new();
    static BOLD: OnceLock<Option<ttf_parser::Face<'static>>> = OnceLock::new();
    if bold {
        BOLD.get_or_init(|| ttf_parser::Face::parse(DEJAVU_SANS_BOLD, 0).ok())
            .as_ref()
    } else {
        REGULAR
            .get_or_init(|| ttf_parser::Face::parse(DEJAVU_SANS, 0).ok())
            .as_ref()
    }
}

/// Advance width of `text` set in DejaVu Sans at `size` (same unit as the
/// result: points in, points out), from the font's horizontal metrics.
/// Kerning is ignored, which overestimates widths by well under 1 %: safe for
/// line breaking. Characters missing from the font count as the `.notdef`
/// advance.
pub fn text_width(text: &str, size: f32, bold: bool) -> f32 {
    let Some(face) = face(bold) else {
        // Unreachable with the embedded font; a generous estimate keeps layout sane.
        return 0.6 * size * text.chars().count() as f32;
    };
    let units_per_em = f32::from(face.units_per_em());
    let units: u32 = text
        .chars()
        .map(|c| {
            let glyph = face.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
            u32::from(face.glyph_hor_advance(glyph).unwrap_or(0))
        })
        .sum();
    units as f32 * size / units_per_em
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_font_is_found_by_its_family_name() {
        let db = font_database();
        let query = fontdb::Query {
            families: &[fontdb::Family::Name(FAMILY)],
            ..fontdb::Query::default()
        };
        assert!(
            db.query(&query).is_some(),
            "{FAMILY} not in the font database"
        );
        let bold = fontdb::Query {
            families: &[fontdb::Family::Name(FAMILY)],
            weight: fontdb::Weight::BOLD,
            ..fontdb::Query::default()
        };
        let id = db.query(&bold).expect("bold face");
        let face = db.face(id).expect("face info");
        assert_eq!(face.weight, fontdb::Weight::BOLD);
    }

    #[test]
    fn text_width_scales_linearly_and_bold_is_wider() {
        let w10 = text_width("Marchenko–Pastur λ₊", 10.0, false);
        let w20 = text_width("Marchenko–Pastur λ₊", 20.0, false);
        assert!(w10 > 50.0 && w10 < 150.0, "implausible width {w10}");
        assert!((w20 - 2.0 * w10).abs() < 1e-3 * w20);
        assert!(text_width("Marchenko", 10.0, true) > text_width("Marchenko", 10.0, false));
        assert!(text_width("", 10.0, false).abs() < f32::EPSILON);
    }

    #[test]
    fn plotters_fonts_register() {
        register_plotters_fonts().expect("register");
    }
}
